"""``ingest-plugin backfill``: enqueue a partner's archive, from its WordPress sitemaps, an id range or a list.

It parses its arguments and calls :mod:`ingest_plugin.ingest.backfill`, imported when the command runs, so
``--help`` stays cheap. Output follows the other run commands: on a terminal the failures and a summary line (a
progress bar on stderr meanwhile), JSON Lines otherwise (one ``item`` line per job as it is done, then one ``run``
line)."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from ingest_plugin.entrypoints.cli.common import EXIT_USAGE, add_config_option, command_errors, configured, date_or_time

if TYPE_CHECKING:
    from ingest_plugin.entrypoints.cli.output import SummaryPrinter
    from ingest_plugin.ingest.handler import Outcome
    from ingest_plugin.ingest.jobs import IngestJob

_EPILOG = """\
Sources (one of):
  --sitemap         discover the partner's sitemaps from its homepage host: /sitemap_index.xml (Yoast SEO), else
                    /wp-sitemap.xml (WordPress core); an index is followed to its post sitemaps only (Yoast
                    post-sitemap*.xml, core wp-sitemap-posts-post-*.xml), never pages, categories, tags or authors
  --sitemap URL     a sitemap index or a sitemap (.xml or .xml.gz) on the partner's hosts; a site root
                    (https://host/) is discovered like the homepage
  --ids FIRST-LAST  every id from FIRST to LAST, fetched through the partner's article_url template
  --file PATH       one URL or article id per line; blank lines and # comments skipped

--since/--until keep the sitemap entries whose <lastmod> is in the window: a DATE is the whole day (UTC), an ISO
8601 time without an offset is UTC, both bounds inclusive. With either one, entries without a lastmod are left
out (counted as "undated" in the run record and the backfill_skipped log line). Every URL must be on the
partner's allowed_hosts: a --sitemap URL or a line of --file that is not is refused before anything runs.

With a jobs queue configured ([queue] url or INGEST_QUEUE_URL) the jobs are sent to it (status "queued") for the
workers or the Lambda function; without one they run here. Re-running a backfill enqueues the same jobs again
and publishes nothing twice: an article already published as it is costs one HEAD and writes nothing. --dry-run
fetches the sitemaps and counts the jobs (lists them with --log-level INFO), sending, fetching and publishing
nothing. Each sitemap is a line of the run record's "feeds" (entries, jobs, what was skipped and why).

Examples:
  ingest-plugin backfill --partner zenger --sitemap --since 2024-01-01 --dry-run
  ingest-plugin backfill --partner zenger --sitemap https://www.zenger.news/post-sitemap12.xml
  ingest-plugin backfill --partner zenger --ids 60000-63809 --limit 500
  ingest-plugin --log-level INFO backfill --partner zenger --file missing.txt --dry-run

Exit status: 0 every job enqueued (or published, unchanged or kept killed); 1 something failed: a sitemap
that could not be read or parsed (after the jobs the others gave), an article, or sending to the queue; 2 usage
or configuration error, found before anything is enqueued (a URL off the partner's hosts, --ids without an
article_url template, an unreadable --file, --since after --until, a partner the configuration does not know),
or S3 refused the set-up (bucket, credentials)."""


def add_backfill_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backfill = commands.add_parser("backfill", help="enqueue a partner's archive: its sitemaps, an id range or a list",
                                   description="Enqueue a partner's archive as jobs for the same handler as the other "
                                               "triggers: from its WordPress sitemaps, a range of article ids, or a "
                                               "file of URLs and ids.",
                                   epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_option(backfill)
    backfill.add_argument("--partner", required=True, metavar="PARTNER",
                          help="a configured partner's key (e.g. zenger; check-config lists them)")
    source = backfill.add_mutually_exclusive_group(required=True)
    source.add_argument("--sitemap", nargs="?", const="", metavar="URL",
                        help="walk the partner's post sitemaps: discovered from its homepage host, or from URL (a "
                             "sitemap index, a sitemap, or a site root)")
    source.add_argument("--ids", type=_id_range, metavar="FIRST-LAST",
                        help="every article id from FIRST to LAST (needs the partner's article_url template)")
    source.add_argument("--file", metavar="PATH", help="one URL or article id per line")
    backfill.add_argument("--since", type=date_or_time, metavar="DATE",
                          help="with --sitemap: only entries whose lastmod is at or after DATE (YYYY-MM-DD or ISO "
                               "8601 time)")
    backfill.add_argument("--until", type=date_or_time, metavar="DATE",
                          help="with --sitemap: only entries whose lastmod is at or before DATE")
    backfill.add_argument("--limit", type=_positive, metavar="N", help="enqueue at most N jobs")
    backfill.add_argument("--dry-run", action="store_true",
                          help="count the jobs (fetching only the sitemaps); send, fetch and publish nothing")
    backfill.set_defaults(handler=command_errors(run_backfill))


def _id_range(text: str) -> range:
    """The type of ``--ids``: ``FIRST-LAST`` (inclusive) or a single id; anything else exits 2."""
    first, dash, last = text.strip().partition("-")
    last = last if dash else first
    if not all(part.isascii() and part.isdigit() and len(part) <= 18 for part in (first, last)) or int(first) > int(
            last):
        raise argparse.ArgumentTypeError(f"not an id range FIRST-LAST of whole numbers, FIRST <= LAST: {text!r}")
    return range(int(first), int(last) + 1)


def _positive(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number from 1: {text!r}")
    return int(text)


def run_backfill(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ingest_plugin.entrypoints.cli.common import job_handler
    from ingest_plugin.entrypoints.cli.output import SummaryPrinter
    from ingest_plugin.entrypoints.progress import with_progress
    from ingest_plugin.ingest import backfill
    from ingest_plugin.ingest.sqs import job_queue

    config = configured(args.config)
    partner = config.partner(args.partner)  # a partner the configuration does not know: a usage error, exit 2
    try:
        planned = backfill.plan(config, partner, sitemap=args.sitemap or None, discover=args.sitemap == "",
                                ids=args.ids, listed=Path(args.file) if args.file else None,
                                window=backfill.Window(args.since, args.until), limit=args.limit)
        handler = job_handler(config)
        printer = SummaryPrinter(dry_run=args.dry_run)
        summary = backfill.run_backfill(planned, handler, job_queue(config, handler.publisher), dry_run=args.dry_run,
                                        progress=lambda jobs, total: with_progress(jobs, "backfill", total=total),
                                        on_job=_streamed(printer))
    except backfill.BackfillError as exc:
        print(f"ingest-plugin backfill: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not printer.json:  # a terminal gets what needs a look, not a line per article of the archive
        for outcome in summary.failures:
            printer.item(outcome)
    printer.run(summary)
    return summary.exit_code


def _streamed(printer: SummaryPrinter) -> Callable[[IngestJob, list[Outcome]], None] | None:
    """JSON Lines: each job's outcomes as it is done (a long backfill keeps none of them)."""
    if not printer.json:
        return None

    def print_items(_job: IngestJob, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            printer.item(outcome)
    return print_items
