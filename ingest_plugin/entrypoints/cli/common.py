"""What the subcommands share: exit statuses, the ``--config`` option, and the set-up of a job handler."""
from __future__ import annotations

import argparse
import json
import os
import stat
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest_plugin.config import Config
    from ingest_plugin.ingest.handler import JobHandler

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_DATAERR, EXIT_NOINPUT = 0, 1, 2, 65, 66


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="PATH",
                        help="TOML configuration file (default: $INGEST_CONFIG; environment variables win)")


def s3_setup_failed(error: Exception, args: argparse.Namespace) -> int:
    """The message and exit status of a command that S3 refused as set up (no bucket, refused credentials). Only
    the commands that write articles take ``--create-bucket``: the others name them instead."""
    create = ("create it with --create-bucket, which a --dry-run leaves undone" if hasattr(args, "create_bucket")
              else "ingest, publish or run create a missing one with --create-bucket")
    print(f"ingest-plugin: S3 refused the set-up, nothing was written or spooled: {error}. Check "
          f"INGEST_S3_BUCKET ({create}) and the AWS credentials (check-config tests both).", file=sys.stderr)
    return EXIT_USAGE


def command_errors(work: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """The error handling every S3 command shares. Configuration errors and S3 refusing the set-up exit 2; an S3
    error that ends a command before any article is at stake (listing failed/ for a replay, say) exits 1 with its
    coded error on stderr. Never a traceback: nothing was written, so the same command can simply run again."""
    def run(args: argparse.Namespace) -> int:
        from ingest_plugin import log
        from ingest_plugin.config import ConfigError
        from ingest_plugin.errors import IngestError
        from ingest_plugin.publishing import S3SetupError

        try:
            return work(args)
        except ConfigError as exc:
            print(f"ingest-plugin: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except S3SetupError as exc:
            return s3_setup_failed(exc, args)
        except IngestError as error:
            log.get_logger().error("command_failed", code=str(error.code), error=error.message)
            print(json.dumps(error.to_dict(), ensure_ascii=False), file=sys.stderr)
            return EXIT_FAILED
    return run


def job_handler(config: Config, *, queued: bool = False) -> JobHandler:
    """The handler the run commands give their jobs to: the configured S3 bucket (with its change log), the local
    spool beside it; ``queued`` for a consumer of the shared queue (see :class:`JobHandler`)."""
    from ingest_plugin.ingest.handler import JobHandler
    from ingest_plugin.ingest.sqs import publisher_for

    return JobHandler(config, publisher_for(config), queued=queued)


def date_or_time(text: str) -> date | datetime:
    """The argparse type of ``--since``/``--until``: a date or an ISO 8601 time; anything else (an impossible date
    included) is a usage error, exit 2, before anything runs, S3 included."""
    from ingest_plugin.publishing.failed import parse_moment

    try:
        return parse_moment(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class ReaderGoneTolerant:
    """Standard output for a command whose work is more than its output: when the reader stops reading
    (``| head -1``), the rest of the output goes to /dev/null and the work goes on, so that a run never stops half
    way with exit status 0 and no run record."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except BrokenPipeError:
            self._discard()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._discard()

    def _discard(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())
        os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def input_file(text: str) -> str:
    """The argparse type of a file to ingest: ``-`` (standard input), a readable file or a pipe (a ``<(…)``
    substitution, /dev/stdin); not a folder or a device (/dev/zero would be read without end). A mistyped path is
    a usage error, exit 2, before anything runs: never a failure kept in S3 that no replay can read."""
    if text == "-":
        return text
    try:
        mode = os.stat(text).st_mode
    except OSError as exc:
        why = (exc.strerror or "cannot be read").lower()
        raise argparse.ArgumentTypeError(f"cannot read {text!r}: {why} (nothing was ingested)") from None
    if stat.S_ISDIR(mode):
        why = "a folder"
    elif not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        why = "not a file or a pipe"
    elif not os.access(text, os.R_OK):
        why = "not readable"
    else:
        return text
    raise argparse.ArgumentTypeError(f"cannot read {text!r}: {why} (nothing was ingested)")


def configured(path: str | None) -> Config:
    """The command's configuration, with its partners installed: those its parsing and the stored documents it
    reads may name (a configuration may define partners of its own)."""
    from ingest_plugin.config import load_config

    config = load_config(path)
    config.install_partners()
    return config
