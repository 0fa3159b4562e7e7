"""The ``ingest`` and ``publish`` subcommands: arguments in, a summary out; the work is done in :mod:`.core`.

Output goes to stdout: a short human summary on a terminal, JSON Lines otherwise (one ``item`` line per article,
then one ``run`` line). Log events go to stderr. The exit status is 0 only when every article was published or was
already there; 1 when any failed or was spooled; 2 for a usage or configuration error.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TextIO

from . import log
from .config import ConfigError, load_config
from .core import Outcome, RunSummary, ingest_inputs, publish_documents
from .publish import Publisher, Status, ensure_bucket

EXIT_FAILED, EXIT_USAGE = 1, 2

_ENV_EPILOG = """\
S3 settings come from the [s3] table of the configuration file and from the environment, which wins:
INGEST_S3_BUCKET (required), INGEST_S3_PREFIX, AWS_ENDPOINT_URL,
AWS_DEFAULT_REGION, INGEST_S3_MAX_ATTEMPTS, INGEST_S3_CONNECT_TIMEOUT, INGEST_S3_READ_TIMEOUT and
INGEST_SPOOL_DIR; credentials from boto3's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, a
role). Re-running is always safe: unchanged articles are not written again.

Exit status: 0 everything published or already there; 1 an article failed (kept under failed/ in S3) or was
spooled locally (S3 unreachable; flushed by the next run); 2 usage or configuration error."""


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="PATH",
                        help="TOML configuration file (default: $INGEST_CONFIG; environment variables win)")


def _add_common(parser: argparse.ArgumentParser) -> None:
    add_config_option(parser)
    parser.add_argument("--dry-run", action="store_true",
                        help="read S3 and print what would be written (with each document); write nothing")
    parser.add_argument("--force", action="store_true",
                        help="write a new version even when the content is unchanged")
    parser.add_argument("--create-bucket", action="store_true", help="create the bucket first if it is missing")


def add_ingest_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ingest", help="parse partner content and publish every article to S3",
        description="Parse partner content (pages, feeds, API payloads) and publish each article to S3 as a "
                    "versioned ninjs document.",
        epilog=_ENV_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="a file path, or - for standard input")
    parser.add_argument("--source-url", metavar="URL",
                        help="where the input came from (used when the page names no canonical URL)")
    _add_common(parser)
    parser.set_defaults(handler=run_ingest)


def add_publish_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "publish", help="publish already-parsed ninjs documents (JSON Lines) to S3",
        description="Publish ninjs documents, one per line (the output of 'ingest-plugin parse'), to S3.",
        epilog=_ENV_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("documents", metavar="DOCS.jsonl", help="a JSON Lines file, or - for standard input")
    _add_common(parser)
    parser.set_defaults(handler=run_publish)


def run_ingest(args: argparse.Namespace) -> int:
    return _run(args, lambda publisher, on_outcome: ingest_inputs(
        args.inputs, publisher, source_url=args.source_url, force=args.force, dry_run=args.dry_run,
        on_outcome=on_outcome))  # fmt: skip


def run_publish(args: argparse.Namespace) -> int:
    return _run(args, lambda publisher, on_outcome: publish_documents(
        args.documents, publisher, force=args.force, dry_run=args.dry_run, on_outcome=on_outcome))  # fmt: skip


def _run(args: argparse.Namespace, work: Callable[[Publisher, Callable[[Outcome], None]], RunSummary]) -> int:
    try:
        settings = load_config(args.config).s3()
    except ConfigError as exc:
        print(f"ingest-plugin: {exc}", file=sys.stderr)
        return EXIT_USAGE
    publisher = Publisher(settings)
    if args.create_bucket and not args.dry_run:
        try:
            ensure_bucket(publisher.client, settings)
        except Exception as exc:  # an unreachable S3 is no reason to stop: the run spools what it cannot write
            log.get_logger().error("create_bucket_failed", bucket=settings.bucket, error=str(exc))
    printer = SummaryPrinter(dry_run=args.dry_run)
    summary = work(publisher, printer.item)  # items are printed as they are done: a long run keeps none of them
    printer.run(summary)
    return summary.exit_code


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
        self.out.write(f"run {summary.run_id}: {verdict}, {summary.items} items: {counts or 'none'}{note}\n")


def print_summary(summary: RunSummary, out: TextIO | None = None) -> None:
    """The output of a run that kept its outcomes (``keep_outcomes``): each item, then the run."""
    printer = SummaryPrinter(dry_run=summary.dry_run, out=out)
    for outcome in summary.outcomes or ():
        printer.item(outcome)
    printer.run(summary)
