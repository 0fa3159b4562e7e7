"""What the subcommands share: exit statuses, the ``--config`` option, and the set-up of a job handler."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest_plugin.config import Config
    from ingest_plugin.ingest.handler import JobHandler

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_DATAERR, EXIT_NOINPUT = 0, 1, 2, 65, 66


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="PATH",
                        help="TOML configuration file (default: $INGEST_CONFIG; environment variables win)")


def job_handler(config: Config) -> JobHandler:
    """The handler the run commands give their jobs to: the configured S3 bucket, the local spool beside it."""
    from ingest_plugin.ingest.handler import JobHandler
    from ingest_plugin.publishing import Publisher

    return JobHandler(config, Publisher(config.s3()))
