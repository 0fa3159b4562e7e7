"""structlog set-up: JSON lines on stderr when not on a TTY, a readable console on a TTY.

Every event carries the run id and trigger (bound once per run with :func:`bind_run`) and, while one article is
processed, its partner and article id (bound with :func:`structlog.contextvars.bound_contextvars`).
"""
from __future__ import annotations

import logging
import sys
import uuid

import structlog
from structlog.typing import EventDict, WrappedLogger

_SECRET_KEYS = ("secret", "password", "token", "authorization", "signature", "aws_secret_access_key")


def _redact_secrets(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    """Secrets never reach a log line, whatever a caller passes."""
    for key in list(event):
        if any(word in key.lower() for word in _SECRET_KEYS):
            event[key] = "[redacted]"
    return event


def configure(level: str = "INFO", *, json: bool | None = None) -> None:
    """Configure structlog once per process; ``json=None`` picks JSON unless stderr is a TTY."""
    if json is None:
        json = not sys.stderr.isatty()
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def bind_run(trigger: str, run_id: str | None = None) -> str:
    """Start a run: every later event carries ``run_id`` and ``trigger``. Returns the run id."""
    run_id = run_id or uuid.uuid4().hex[:16]
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(run_id=run_id, trigger=trigger)
    return run_id


def bind_job(trigger: str, job_id: str, request_id: str | None = None) -> None:
    """Start a job that is a run of its own (a webhook job): every later event carries the job id, as ``run_id`` and
    ``job_id``, and the id of the request that made it (``webhook_id``)."""
    bind_run(trigger, run_id=job_id)
    structlog.contextvars.bind_contextvars(job_id=job_id, webhook_id=request_id)


def get_logger() -> structlog.typing.FilteringBoundLogger:
    """The plugin's logger. A library caller that never configured structlog gets our defaults, so that no log
    line ever lands on stdout (where ``parse`` writes documents)."""
    if not structlog.is_configured():
        configure("WARNING")
    return structlog.get_logger("ingest_plugin")
