"""The trigger subcommands: ``run`` (cron), ``serve`` (webhook), ``reingest`` (manual) and ``check-config``.
Each parses its arguments and calls one function of its entry point (:mod:`..cron`, :mod:`..webhook`,
:mod:`..reingest`), imported when the command runs."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from ingest_plugin.entrypoints.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    add_config_option,
    command_errors,
    configured,
    date_or_time,
    input_file,
    job_handler,
)

if TYPE_CHECKING:
    from ingest_plugin.config import Config
    from ingest_plugin.ingest.handler import JobHandler
    from ingest_plugin.ingest.sqs import SqsQueue
    from ingest_plugin.publishing import Publisher

Command = Callable[[argparse.Namespace, "Config", "JobHandler"], int]

_RUN_EPILOG = """\
Polls every feed of every enabled [partners.KEY] table of the configuration, ingests the items that are new or
changed since the last run (the cursor lives in S3, so overlapping runs on several hosts never double-ingest),
writes a run record, and logs a partner_quiet alert for a partner silent longer than [alerts] quiet_partner_hours.
At most [limits] max_items_per_run items per run; the rest wait for the next run (counted as deferred).

Exit status: 0 every item published or already there; 1 something failed (kept under failed/) or was spooled,
or a feed could not be read (its status and reason are in the run record, runs/history/RUN_ID.json); 2
configuration error.

crontab (every 5 minutes, logs as JSON lines):
  INGEST_CONFIG=/etc/ingest-plugin/ingest.toml
  */5 * * * * /srv/ingest/.venv/bin/ingest-plugin run >>/var/log/ingest.jsonl 2>&1"""

_CHECK_CONFIG_EPILOG = """\
Then, when [queue] url (or INGEST_QUEUE_URL) is set, it reaches the jobs queue and its dead-letter queue and says
how many jobs wait in each.

Exit status: 0 everything usable; 1 S3 or a queue could not be reached; 2 configuration error (the file, a
partner file, the environment, a malformed webhook secret, a feed or article_url off allowed_hosts), or S3
refused the set-up (no such bucket, refused credentials)."""

_SERVE_EPILOG = """\
Answers 202 only after the job is written and synced to the job journal ($INGEST_SPOOL_DIR/jobs/, default
.ingest-spool/jobs/); a job leaves the journal once it ran. On start, jobs a crash (even SIGKILL) or the last
shutdown left there run first. SIGTERM/SIGINT: stop listening, finish running jobs, keep queued ones journaled.
Secrets: INGEST_WEBHOOK_SECRETS or [webhook] secrets (whsec_…, several for rotation). Several hosts behind one
endpoint: [webhook] dedupe = "s3" remembers webhook-ids in the bucket. GET /jobs/{id}: queued, running, done,
failed (with the coded error) or spooled; GET /metrics: Prometheus metrics. Logs at INFO by default, starting
with a webhook_listening line. See docs/webhook.md.

Exit status: 0 after a clean shutdown; 1 S3 error before serving; 2 configuration error, no secret or a
malformed one, a missing bucket or refused credentials."""

_REINGEST_EPILOG = """\
Examples:
  ingest-plugin reingest --url https://www.zenger.news/2024/03/12/some-story/
  ingest-plugin reingest --partner benzinga --id 39495756 --force
  ingest-plugin reingest --partner zenger --id 63809 --cancel       # publish a kill (pubStatus canceled)
  ingest-plugin reingest --partner zenger --id 63809 --reinstate    # a killed article published again
  ingest-plugin reingest --file fixed-page.html
  ingest-plugin reingest --failed --since 2026-11-01                 # replay failed/; remove what now succeeds
  ingest-plugin reingest --from-dlq                                  # dead-letter queue -> jobs queue, after a fix

--failed parses each kept payload again (the parser may have been fixed), or fetches the recorded URL or article
again; a document 'publish' could not write is published again, validated like every write; a feed item kept only
for stating no date is fetched from its page when the partner's pages are fetched.
An entry whose article was published after it failed is not written over the newer text ("superseded", the entry
removed; --force replays it anyway).

--cancel of an article never published (a mistyped id) has nothing to withdraw: it fails, and is not kept under
failed/ (a replay would kill the article once the partner published it).

With a jobs queue configured ([queue] url or INGEST_QUEUE_URL) the selected jobs are sent to it (status
"queued") for the workers or the Lambda function to run; without one they run here.

Exit status: 0 all published, unchanged or kept killed; 1 something failed, or S3 could not be read before
anything was replayed (nothing written: run it again); 2 usage or configuration error (an impossible --since, a
--url that is no http(s) URL, a partner the configuration does not know, a missing bucket, refused credentials):
nothing written. A --url on no configured partner's hosts is a fetch_failed failure (exit 1), kept under
failed/unknown/."""


def add_trigger_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("run", help="scheduled run: poll partner feeds and ingest what is new",
                              description="Poll partner feeds and ingest new or changed items (for cron).",
                              epilog=_RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_option(run)
    run.add_argument("--dry-run", action="store_true", help="fetch and parse, read S3, write nothing")
    run.add_argument("--create-bucket", action="store_true", help="create the bucket first if it is missing")
    run.set_defaults(handler=run_cron)

    serve = commands.add_parser("serve", help="serve the signed CMS webhook (POST /webhooks/ingest)",
                                description="Serve POST /webhooks/ingest (Standard Webhooks v1 signatures), "
                                            "GET /jobs/{id} and GET /healthz with waitress.",
                                epilog=_SERVE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_option(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8080, help="port to listen on (default: 8080; 0: any free one)")
    serve.set_defaults(handler=run_serve)

    reingest = commands.add_parser("reingest", help="re-ingest by hand: a URL, an article id, a file, or failed/",
                                   description="Re-ingest articles by hand, as jobs for the same handler as the other "
                                               "triggers.",
                                   epilog=_REINGEST_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_option(reingest)
    reingest.add_argument("--url", action="append", default=[], metavar="URL", type=_http_url,
                          help="fetch and ingest this http(s) URL (with --cancel, a URL that names its article, by the "
                               "partner's id in it or as published, is not fetched: the kill works on a page "
                               "taken down)")
    reingest.add_argument("--id", action="append", default=[], dest="ids", metavar="PARTNER_ID",
                          help="an article by its partner id (needs --partner): fetched from the partner's "
                               "article_url template, else from the canonical URL of the version published before")
    reingest.add_argument("--partner", metavar="PARTNER",
                          help="the partner of --id: the key of a configured partner ([partners.KEY]; check-config "
                               "lists them)")
    reingest.add_argument("--file", action="append", default=[], dest="files", metavar="PATH", type=input_file,
                          help="parse and ingest a local file")
    reingest.add_argument("--failed", action="store_true", help="replay the items kept under failed/")
    reingest.add_argument("--since", type=date_or_time, metavar="DATE",
                          help="with --failed: only failures at or after DATE (YYYY-MM-DD, or an ISO 8601 time)")
    reingest.add_argument("--from-dlq", action="store_true",
                          help="move the dead-letter queue's jobs back to the jobs queue (after a fix), for the "
                               "workers to run again ([queue] dead_letter_url / INGEST_DLQ_URL)")
    reingest.add_argument("--force", action="store_true", help="a new version even when nothing changed")
    actions = reingest.add_mutually_exclusive_group()
    actions.add_argument("--cancel", action="store_true", help="publish a kill (pubStatus canceled)")
    actions.add_argument("--reinstate", action="store_true",
                         help="publish a killed article again (usable): the only way back from a kill; logged")
    reingest.add_argument("--dry-run", action="store_true", help="show what would be written; write nothing")
    reingest.set_defaults(handler=run_reingest)

    check = commands.add_parser("check-config", help="validate the configuration, list its partners, test S3 access",
                                description="Validate the configuration file (and the partner files it names) and "
                                            "the environment, list the configured partners\n(key, name, hosts, "
                                            "feeds, source: built-in or the file that defines it), then test that "
                                            "the S3 bucket can be\nlisted. A feed or article_url its partner may "
                                            "never fetch (off allowed_hosts) is a configuration error: exit 2.",
                                epilog=_CHECK_CONFIG_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_option(check)
    check.set_defaults(handler=run_check_config)


def _setup(args: argparse.Namespace) -> tuple[Config, JobHandler]:
    from ingest_plugin.publishing import ensure_bucket

    config = configured(args.config)
    if getattr(args, "partner", None):
        config.partner(args.partner)  # a partner the configuration does not know: a usage error, before any S3 access
    handler = job_handler(config)
    if getattr(args, "create_bucket", False) and not getattr(args, "dry_run", False):
        ensure_bucket(handler.publisher.client, handler.publisher.settings)
    return config, handler


def _with_config(work: Command) -> Callable[[argparse.Namespace], int]:
    """``work`` with the configuration and a job handler, under :func:`command_errors`."""
    return command_errors(lambda args: work(args, *_setup(args)))


@_with_config
def run_cron(args: argparse.Namespace, config: Config, handler: JobHandler) -> int:
    from ingest_plugin.entrypoints.cli.output import print_summary
    from ingest_plugin.entrypoints.cron import run_feeds
    from ingest_plugin.ingest.sqs import job_queue

    summary = run_feeds(config, handler, dry_run=args.dry_run, queue=job_queue(config, handler.publisher))
    print_summary(summary)
    return summary.exit_code


@_with_config
def run_reingest(args: argparse.Namespace, config: Config, handler: JobHandler) -> int:
    from ingest_plugin.entrypoints.cli.output import print_summary
    from ingest_plugin.entrypoints.reingest import Selection, reingest
    from ingest_plugin.ingest.jobs import Action
    from ingest_plugin.ingest.sqs import job_queue

    selection = Selection(urls=args.url, ids=args.ids, partner=args.partner, files=args.files, failed=args.failed,
                          since=args.since)
    queue = job_queue(config, handler.publisher)
    if args.from_dlq:
        return _from_dead_letter_queue(config, handler, queue, dry_run=args.dry_run)
    if not (selection.urls or selection.ids or selection.files or selection.failed):
        print("ingest-plugin reingest: name what to re-ingest (--url, --id, --file, --failed or --from-dlq)",
              file=sys.stderr)
        return EXIT_USAGE
    if selection.ids and not selection.partner:
        print("ingest-plugin reingest: --id needs --partner", file=sys.stderr)
        return EXIT_USAGE
    if selection.since and not selection.failed:
        print("ingest-plugin reingest: --since selects among the failures: it needs --failed", file=sys.stderr)
        return EXIT_USAGE
    action = Action.CANCEL if args.cancel else Action.REINSTATE if args.reinstate else Action.INGEST
    summary = reingest(selection, handler, action=action, force=args.force, dry_run=args.dry_run, queue=queue)
    print_summary(summary)
    return summary.exit_code


def _from_dead_letter_queue(config: Config, handler: JobHandler, queue: SqsQueue | None, *, dry_run: bool) -> int:
    """``reingest --from-dlq``: the dead-letter queue's messages back to the jobs queue, as they are."""
    from ingest_plugin.ingest.sqs import job_queue

    dead = job_queue(config, handler.publisher, url=config.queue.dead_letter_url)
    if queue is None or dead is None:
        print("ingest-plugin reingest: --from-dlq needs the jobs queue and its dead-letter queue: set [queue] url "
              "and dead_letter_url (or INGEST_QUEUE_URL and INGEST_DLQ_URL)", file=sys.stderr)
        return EXIT_USAGE
    if dry_run:
        print(json.dumps({"event": "from_dlq", "dry_run": True, "waiting": dead.depth()}))
        return 0
    moved = dead.move_to(queue)
    print(json.dumps({"event": "from_dlq", "moved": moved, "queue": queue.url}))
    return 0


@_with_config
def run_serve(args: argparse.Namespace, config: Config, handler: JobHandler) -> int:
    from ingest_plugin import log
    from ingest_plugin.entrypoints.webhook.app import ListenError, serve
    from ingest_plugin.entrypoints.webhook.dedupe import S3Dedupe
    from ingest_plugin.entrypoints.webhook.jobs import make_handler
    from ingest_plugin.ingest.queue import DiskJournal
    from ingest_plugin.ingest.sqs import job_queue

    if not config.webhook.secrets:
        print("ingest-plugin serve: no webhook secret: set INGEST_WEBHOOK_SECRETS or [webhook] secrets",
              file=sys.stderr)
        return EXIT_USAGE
    if problem := _secret_problem(config):
        print(f"ingest-plugin serve: {problem}", file=sys.stderr)
        return EXIT_USAGE
    log.bind_run("webhook")
    _check_bucket(handler)
    run_job = make_handler(handler)
    journal = DiskJournal(handler.publisher.settings.spool_dir)
    journal.replay(run_job)  # jobs a crash left here run first, queue or not
    publisher = handler.publisher
    dedupe = (S3Dedupe(publisher.bucket, publisher.articles.keys.webhook_dedupe)
              if config.webhook.dedupe == "s3" else None)
    queue = job_queue(config, publisher)  # with a shared queue, jobs go there before the 202 and nothing stays here
    try:
        serve(config.webhook, run_job, host=args.host, port=args.port, journal=None if queue else journal,
              dedupe=dedupe, queue=queue, partners=config.partner_keys)
    except ListenError as exc:
        print(f"ingest-plugin serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def _http_url(text: str) -> str:
    """The type of ``--url``: an http(s) URL by the rule backfill holds its list's URLs to, so that a typo exits 2
    instead of being kept in S3 as a failure. One on no configured partner's hosts is the job's to refuse."""
    from ingest_plugin.transport.fetch import http_url_refusal

    if problem := http_url_refusal(text, None):
        raise argparse.ArgumentTypeError(f"{text!r}: {problem}")
    return text


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0 to 65535): {text!r}")
    return int(text)


def _check_bucket(handler: JobHandler) -> None:
    """A long-running trigger asks S3 once before it starts taking jobs: a missing bucket or refused credentials
    raise (exit 2), where every job would wait in the journal; an S3 that does not answer yet is only logged."""
    from ingest_plugin import log
    from ingest_plugin.errors import IngestError

    publisher = handler.publisher
    try:
        publisher.bucket.get(publisher.articles.keys.latest_run("webhook"))  # a GET: its error names the cause
    except IngestError as error:
        log.get_logger().warning("s3_not_answering_at_start", error=error.message)


def run_check_config(args: argparse.Namespace) -> int:
    from botocore.exceptions import NoCredentialsError

    from ingest_plugin.config import ConfigError, load_config
    from ingest_plugin.publishing import Publisher
    from ingest_plugin.publishing.s3io import SETUP_ERROR_CODES

    try:
        config = load_config(args.config)
        settings = config.s3()
    except ConfigError as exc:
        print(f"configuration: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if problem := _secret_problem(config):
        print(f"configuration: {config.source}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if unfetchable := _unfetchable(config):
        for line in unfetchable:
            print(f"configuration: {config.source}: {line}", file=sys.stderr)
        return EXIT_USAGE
    print(f"configuration: {config.source}: ok")
    for partner in config.partners:
        state = "enabled" if partner.enabled else "disabled"
        profile = partner.profile
        print(f"  partner {profile.key} ({state}): {profile.name!r}, hosts {', '.join(sorted(profile.hosts))}; "
              f"{len(partner.feeds)} feed(s), fetches from {', '.join(sorted(partner.allowed_hosts))}, updates: "
              f"{partner.update_policy}; source: {partner.source}")
        for feed in partner.feeds:
            print(f"    feed {feed}")
    print(f"  webhook secrets: {len(config.webhook.secrets)}")
    where = settings.endpoint_url or "AWS"
    try:
        publisher = Publisher(settings)
        publisher.client.list_objects_v2(Bucket=settings.bucket, MaxKeys=1)
    except Exception as exc:  # noqa: BLE001 - every S3 failure (ours or boto's) is reported the same way
        code = (getattr(exc, "response", None) or {}).get("Error", {}).get("Code")
        setup = code in SETUP_ERROR_CODES or isinstance(exc, NoCredentialsError)
        print(f"S3: bucket {settings.bucket!r} at {where}: NOT {'usable' if setup else 'reachable'}: {exc}",
              file=sys.stderr)
        return EXIT_USAGE if setup else EXIT_FAILED
    print(f"S3: bucket {settings.bucket!r} at {where}: ok (listed)")
    return _check_queues(config, publisher)


def _unfetchable(config: Config) -> list[str]:
    """The feeds of enabled partners and the article URL templates of all partners that their own fetch policy
    refuses: every fetch would fail on them. ``enabled = false`` only stops ``run`` polling the feeds; the webhook,
    ``reingest --id`` and ``backfill --ids`` still fetch a disabled partner's articles through its template."""
    from ingest_plugin.transport.fetch import refusal

    found = []
    for partner in config.partners:
        policy = config.fetch_policy(partner)
        urls = [("feed", feed) for feed in partner.feeds if partner.enabled] + (
            [("article_url", partner.article_url)] if partner.article_url else [])
        found += [f"partner {partner.profile.key}: {what} {url} is never fetched: {reason} (allowed_hosts)"
                  for what, url in urls if (reason := refusal(url.replace("{id}", "1"), policy))]
    return found


def _check_queues(config: Config, publisher: Publisher) -> int:
    """Reach the jobs queue and its dead-letter queue, when configured, and say how many jobs wait in each."""
    from ingest_plugin.errors import IngestError
    from ingest_plugin.ingest.sqs import job_queue

    status = 0
    for name, url in (("jobs queue", config.queue.url), ("dead-letter queue", config.queue.dead_letter_url)):
        queue = job_queue(config, publisher, url=url) if url else None
        if queue is None:
            if name == "jobs queue":
                print("queue: none (one host: the triggers run their jobs themselves)")
            continue
        try:
            waiting = queue.depth()
        except IngestError as exc:
            print(f"SQS: {name} {url}: NOT reachable: {exc.message}", file=sys.stderr)
            status = EXIT_FAILED
            continue
        print(f"SQS: {name} {url}: ok ({waiting} waiting)")
    return status


def _secret_problem(config: Config) -> str | None:
    """Why a configured webhook secret cannot be used (never quoting it), or None."""
    from ingest_plugin.entrypoints.webhook.protocol import SECRET_PREFIX, decode_secret

    for number, secret in enumerate(config.webhook.secrets, start=1):
        try:
            decode_secret(secret)
        except ValueError as exc:
            return (f"webhook secret {number} of {len(config.webhook.secrets)} is not usable: {exc}. Make one with: "
                    f"python -c \"import base64, os; print('{SECRET_PREFIX}' + base64.b64encode(os.urandom(32))"
                    ".decode())\"")
    return None
