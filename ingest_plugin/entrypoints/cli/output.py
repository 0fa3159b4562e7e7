"""What the run commands print on stdout: a short human summary on a terminal, JSON Lines otherwise (one ``item``
line per article, then one ``run`` line). Log events go to stderr."""
from __future__ import annotations

import json
import sys
from typing import TextIO

from ingest_plugin.ingest.handler import Outcome
from ingest_plugin.ingest.runs import FEED_FAILED, RunSummary
from ingest_plugin.publishing import Status


class SummaryPrinter:
    """JSON Lines when ``out`` is not a terminal; otherwise one line per article that changed or failed, then
    the counts."""

    def __init__(self, *, dry_run: bool, out: TextIO | None = None) -> None:
        self.dry_run = dry_run
        self.out = out or sys.stdout
        self.json = not self.out.isatty()

    def item(self, outcome: Outcome) -> None:
        if self.json:
            self.out.write(json.dumps({"event": "item", **outcome.to_dict()}, ensure_ascii=False) + "\n")
            return
        if outcome.status is Status.UNCHANGED:
            return
        label = str(outcome.status)
        if self.dry_run:
            label = "would fail" if outcome.status is Status.FAILED else f"would be {label}"
        why = f"  {outcome.error.code}: {outcome.error.message}" if outcome.error else ""
        self.out.write(f"  {label:<9} {outcome.input}  {outcome.key or ''}{why}\n")

    def run(self, summary: RunSummary) -> None:
        if self.json:
            record = {k: v for k, v in summary.record().items() if k != "failures"}  # the item lines carry them
            self.out.write(json.dumps({"event": "run", **record, "dry_run": summary.dry_run}) + "\n")
            return
        counts = ", ".join(f"{n} {status}" for status, n in summary.counts.items() if n)
        note = " (dry run: nothing written)" if summary.dry_run else ""
        verdict = "ok" if summary.ok else "FAILED"
        for feed in summary.feeds:
            if feed["status"] == FEED_FAILED:
                self.out.write(f"  {feed.get('kind', 'feed')} failed {feed['url']}  {feed['reason']}\n")
        if summary.deferred:
            self.out.write(f"  {summary.deferred} new items left for the next run by [limits] max_items_per_run\n")
        self.out.write(f"run {summary.run_id}: {verdict}, {summary.items} items: {counts or 'none'}{note}\n")


def print_summary(summary: RunSummary, out: TextIO | None = None) -> None:
    """The output of a run that kept its outcomes (``keep_outcomes``): each item, then the run."""
    printer = SummaryPrinter(dry_run=summary.dry_run, out=out)
    for outcome in summary.outcomes or ():
        printer.item(outcome)
    printer.run(summary)
