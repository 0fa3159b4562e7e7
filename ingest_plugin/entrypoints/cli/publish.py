"""The ``ingest`` and ``publish`` subcommands: arguments in, jobs for the one handler, a summary out.

Output goes to stdout: a short human summary on a terminal, JSON Lines otherwise (one ``item`` line per article,
then one ``run`` line). Log events go to stderr. The exit status is 0 only when every article was published or was
already there; 1 when any failed or was spooled; 2 for a usage or configuration error.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from ingest_plugin.entrypoints.cli.common import (
    EXIT_USAGE,
    add_config_option,
    configured,
    input_file,
    job_handler,
    s3_setup_failed,
)

if TYPE_CHECKING:
    from ingest_plugin.ingest.jobs import IngestJob

_ENV_EPILOG = """\
S3 settings come from the [s3] table of the configuration file and from the environment, which wins:
INGEST_S3_BUCKET (required), INGEST_S3_PREFIX, AWS_ENDPOINT_URL,
AWS_DEFAULT_REGION, INGEST_S3_MAX_ATTEMPTS, INGEST_S3_CONNECT_TIMEOUT, INGEST_S3_READ_TIMEOUT and
INGEST_SPOOL_DIR; credentials from boto3's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, a
role). Re-running is always safe: unchanged articles are not written again.

Exit status: 0 everything published or already there; 1 an article failed (kept under failed/ in S3) or was
spooled locally (S3 unreachable; flushed by the next run); 2 usage or configuration error, nothing written: a
publish input line that is not a ninjs document of a known partner, a missing bucket, refused credentials."""


def _add_common(parser: argparse.ArgumentParser) -> None:
    add_config_option(parser)
    parser.add_argument("--dry-run", action="store_true",
                        help="read S3 and print what would be written (with each document); write nothing")
    parser.add_argument("--force", action="store_true",
                        help="write a new version even when the content is unchanged")
    parser.add_argument("--create-bucket", action="store_true", help="create the bucket first if it is missing")


def add_ingest_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "ingest", help="parse partner content and publish every article to S3",
        description="Parse partner content (pages, feeds, API payloads) and publish each article to S3 as a "
                    "versioned ninjs document.",
        epilog=_ENV_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("inputs", nargs="+", metavar="INPUT", type=input_file,
                        help="a file path, or - for standard input")
    parser.add_argument("--source-url", metavar="URL",
                        help="where the input came from (used when the page names no canonical URL)")
    _add_common(parser)
    parser.set_defaults(handler=run_ingest)


def add_publish_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "publish", help="publish already-parsed ninjs documents (JSON Lines) to S3",
        description="Publish ninjs documents, one per line (the output of 'ingest-plugin parse'), to S3.",
        epilog=_ENV_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("documents", metavar="DOCS.jsonl", help="a JSON Lines file, or - for standard input")
    _add_common(parser)
    parser.set_defaults(handler=run_publish)


def run_ingest(args: argparse.Namespace) -> int:
    from ingest_plugin.ingest.inputs import file_jobs

    return _run(args, lambda: file_jobs(args.inputs, source_url=args.source_url, force=args.force))


def run_publish(args: argparse.Namespace) -> int:
    from ingest_plugin.ingest.inputs import document_jobs

    return _run(args, lambda: document_jobs(args.documents, force=args.force))


def _run(args: argparse.Namespace, jobs: Callable[[], Iterator[IngestJob]]) -> int:
    from ingest_plugin import log
    from ingest_plugin.config import ConfigError
    from ingest_plugin.entrypoints.cli.output import SummaryPrinter
    from ingest_plugin.errors import IngestError
    from ingest_plugin.ingest.runs import run_jobs
    from ingest_plugin.publishing import S3SetupError, ensure_bucket

    try:
        handler = job_handler(configured(args.config))  # its partners are the ones documents may name
        planned = jobs()
    except ConfigError as exc:
        print(f"ingest-plugin: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IngestError as error:  # publish checks every line before anything reaches S3: a usage error
        print(f"ingest-plugin publish: {error} (nothing was published: fix the line and run again)",
              file=sys.stderr)
        return EXIT_USAGE
    publisher = handler.publisher
    if args.create_bucket and not args.dry_run:
        try:
            ensure_bucket(publisher.client, publisher.settings)
        except Exception as exc:  # an unreachable S3 is no reason to stop: the run spools what it cannot write
            log.get_logger().error("create_bucket_failed", bucket=publisher.settings.bucket, error=str(exc))
    printer = SummaryPrinter(dry_run=args.dry_run)
    try:  # items are printed as they are done: a long run keeps none of them
        summary = run_jobs(planned, handler, dry_run=args.dry_run, on_outcome=printer.item)
    except S3SetupError as exc:
        return s3_setup_failed(exc, args)
    printer.run(summary)
    return summary.exit_code
