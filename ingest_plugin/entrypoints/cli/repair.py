"""``ingest-plugin repair``: the sweep for versions an interrupted write left newer than ``current.json``.

It parses its arguments and calls :meth:`ingest_plugin.publishing.articles.ArticleStore.repair`, imported when the
command runs, so ``--help`` stays cheap. Output follows the other commands: lines for a person on a terminal, JSON
Lines otherwise (one ``item`` line per article met, then one ``repair`` line).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, TextIO

from ingest_plugin.entrypoints.cli.common import EXIT_FAILED, EXIT_OK, add_config_option, command_errors, configured

if TYPE_CHECKING:
    from ingest_plugin.publishing.articles import RepairResult

DEFAULT_GRACE_SECONDS = 600.0  # ingest_plugin.publishing.articles.ORPHAN_GRACE_SECONDS, without importing boto3

_REPAIR_EPILOG = """\
A process that dies between writing v{N+1}.json and moving current.json leaves an orphan: a version newer than
current.json. The next write of that article finds it; this sweep finds the ones no write meets (an unchanged
article, a killed one, or an article whose partner reverted the edit) and resolves each so that current.json
names the newest version:
  adopted     the orphan is a kill (a kill that reached S3 stands), or current.json was missing:
              current.json moves to it
  superseded  otherwise: current.json's content (the last text that was current, the one later ingests
              confirmed) is written again as the next version and becomes current; the orphan stays as a
              version that never was current
  waiting     the orphan is younger than --grace: a writer may still be between its two writes; the next
              sweep resolves it

One listing of articles/ (linear in the number of objects); an article in order costs no further request.
Safe to run at any time, next to ingests and other sweeps: every write is conditional.

Examples:
  ingest-plugin repair --dry-run                  # what would be done; writes nothing
  ingest-plugin repair --partner zenger
  INGEST_CONFIG=/etc/ingest-plugin/ingest.toml
  0 * * * * /srv/ingest/.venv/bin/ingest-plugin repair >>/var/log/ingest.jsonl 2>&1

Exit status: 0 nothing to repair, or everything repaired (or waiting); 1 S3 error (the listing, or an article,
which the next sweep tries again); 2 usage or configuration error, or S3 refused the set-up (bucket,
credentials)."""


def add_repair_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    repair = commands.add_parser("repair", help="make current.json name the newest version where a crash left one",
                                 description="Find versions an interrupted write left newer than current.json, and "
                                             "resolve them (adopt a kill, supersede anything else).",
                                 epilog=_REPAIR_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    repair.add_argument("--partner", metavar="PARTNER",
                        help="only this partner's articles (a configured partner's key, e.g. zenger)")
    repair.add_argument("--dry-run", action="store_true", help="read S3 and report what would be done; write nothing")
    repair.add_argument("--grace", type=_seconds, default=DEFAULT_GRACE_SECONDS, metavar="SECONDS",
                        help="leave orphans younger than this for the next sweep: a writer may still finish them "
                             f"(default: {DEFAULT_GRACE_SECONDS:g})")
    add_config_option(repair)
    repair.set_defaults(handler=run_repair)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"not a number of seconds (0 or more): {text!r}")
    return value


def run_repair(args: argparse.Namespace) -> int:
    return command_errors(_repair)(args)


def _repair(args: argparse.Namespace) -> int:
    from ingest_plugin import log
    from ingest_plugin.errors import IngestError
    from ingest_plugin.ingest.sqs import publisher_for

    log.bind_run("repair")
    config = configured(args.config)
    if args.partner:
        config.partner(args.partner)  # a partner the configuration does not know: a usage error, exit 2
    store = publisher_for(config).articles  # with the change log and events: an adopted version is news to the CMS
    printer = _Printer(dry_run=args.dry_run)
    try:
        for result in store.repair(args.partner, args.dry_run, grace_seconds=args.grace):
            printer.item(result)
    except IngestError:
        printer.summary(interrupted=True)  # what was done before S3 stopped answering, then the coded error
        raise
    printer.summary()
    return EXIT_FAILED if printer.counts.get("failed") else EXIT_OK


class _Printer:
    """JSON Lines when ``out`` is not a terminal; otherwise one line per article met, then the counts."""

    def __init__(self, *, dry_run: bool, out: TextIO | None = None) -> None:
        self.dry_run = dry_run
        self.out = out or sys.stdout
        self.json = not self.out.isatty()
        self.counts: dict[str, int] = {}

    def item(self, result: RepairResult) -> None:
        action = str(result.action)
        self.counts[action] = self.counts.get(action, 0) + 1
        if self.json:
            self.out.write(json.dumps({"event": "item", **result.to_dict()}, ensure_ascii=False) + "\n")
        else:
            at = f"v{result.current_version}" if result.current_version else "missing"
            if action == "failed":
                what = f"{result.message}"
            elif action == "waiting":
                what = f"orphan v{result.orphan_version} is recent; current.json stays at {at} until the next sweep"
            else:
                what = f"current.json {at} -> v{result.version} (orphan v{result.orphan_version})"
            label = f"would be {action}" if self.dry_run and action in ("adopted", "superseded") else action
            self.out.write(f"  {label:<10} {result.partner}/{result.article_key}  {what}\n")
        self.out.flush()

    def summary(self, *, interrupted: bool = False) -> None:
        ok = not interrupted and not self.counts.get("failed")
        if self.json:
            self.out.write(json.dumps({"event": "repair", "ok": ok, "complete": not interrupted,
                                       "counts": self.counts, "dry_run": self.dry_run}) + "\n")
            return
        counts = ", ".join(f"{n} {action}" for action, n in self.counts.items())
        note = " (dry run: nothing written)" if self.dry_run else ""
        stopped = " (stopped by an S3 error)" if interrupted else ""
        self.out.write(f"repair: {counts or 'nothing to repair'}{stopped}{note}\n")
