"""``ingest-plugin worker``: a long-running consumer of the shared jobs queue (SQS), for containers and VMs."""
from __future__ import annotations

import argparse
import signal
import sys

from ingest_plugin.entrypoints.cli.common import EXIT_USAGE, add_config_option, command_errors, configured, job_handler

_EPILOG = """\
Receives jobs from the SQS jobs queue ([queue] url, INGEST_QUEUE_URL, or --queue) and runs each through the same
job handler as every other runner. A message is deleted only once its articles were published, found unchanged or
recorded under failed/; a job that could not run (S3 down, a crash) is delivered again after a growing delay, and
after [queue] max_receives receives SQS moves it to the dead-letter queue, with a failed/ record saying why
(reingest --from-dlq moves such jobs back after a fix). Long jobs keep their message hidden with a visibility
heartbeat. The local spool is not used: SQS is the buffer.

SIGTERM/SIGINT: stop receiving, finish the running jobs, exit 0. --max-idle ends the worker after that many
seconds without a job (batch containers).

Exit status: 0 after SIGTERM/SIGINT or --max-idle; 1 when receiving stopped on an unexpected error (logged as
fetcher_crashed; the running jobs finish first, and a supervisor restarts the worker); 2 configuration error or
no queue configured.

Example:
  INGEST_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/ingest-jobs ingest-plugin worker --concurrency 4"""


def add_worker_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = commands.add_parser("worker", help="consume the shared jobs queue (SQS) until stopped",
                                 description="Run jobs from the SQS jobs queue until SIGTERM.", epilog=_EPILOG,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_option(worker)
    worker.add_argument("--queue", metavar="URL", help="the jobs queue's URL (default: [queue] url, INGEST_QUEUE_URL)")
    worker.add_argument("--concurrency", type=_positive, default=1, metavar="N",
                        help="jobs run at once, one thread each (default: 1; partner fetches dominate, so a few per "
                             "core is fine)")
    worker.add_argument("--max-idle", type=float, metavar="SECONDS",
                        help="exit 0 after this many seconds without a job (default: run until stopped)")
    worker.set_defaults(handler=command_errors(run_worker))


def _positive(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 256:
        raise argparse.ArgumentTypeError(f"not a number from 1 to 256: {text!r}")
    return int(text)


def run_worker(args: argparse.Namespace) -> int:
    from ingest_plugin import log
    from ingest_plugin.ingest.consumer import QueueWorker
    from ingest_plugin.ingest.sqs import job_queue

    config = configured(args.config)
    handler = job_handler(config, queued=True)
    queue = job_queue(config, handler.publisher, url=args.queue)
    if queue is None:
        print("ingest-plugin worker: no jobs queue: set [queue] url, INGEST_QUEUE_URL or --queue", file=sys.stderr)
        return EXIT_USAGE
    log.bind_run("worker")
    worker = QueueWorker(queue, handler, concurrency=args.concurrency, max_idle=args.max_idle)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _signum, _frame: worker.stop())
    log.get_logger().info("worker_started", queue=queue.url, concurrency=args.concurrency, max_idle=args.max_idle,
                          max_receives=queue.max_receives, visibility_timeout=queue.visibility_timeout)
    worker.run()
    return 1 if worker.crashed else 0
