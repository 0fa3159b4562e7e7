"""The parse budget: every input a runner parses gets a CPU-time limit that really stops the work.

Parsing is CPU work inside C code (lxml, ``re``) that no Python timer can interrupt, so the kernel enforces the
budget: inputs are parsed in long-lived worker processes, and before each input a worker lowers its own CPU limit
(``RLIMIT_CPU``) to what it has used so far plus the budget. An input that runs past it gets the worker killed
(``SIGXCPU``); the runner reports that input as ``too_complex`` (the handler keeps it under ``failed/`` with its raw
payload, for a replay with a larger budget), starts a fresh worker on the next input, and goes on. A wall-clock
guard, several times the budget, covers a worker that stops answering for any other reason.

Workers are shared by every handler of the process (one per budget), started on first use and kept while idle: a
batch command uses one, the webhook's worker threads one each. The parse worker sends its log events back, and they
are logged here, under the caller's run id, trigger and job.
"""
from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any, Protocol

import structlog

from ingest_plugin import partners
from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.log import get_logger
from ingest_plugin.parsing.model import ItemResult

_START_TIMEOUT = 120.0  # seconds for a new worker to import the parser (a cold container is slow)
_WALL_FACTOR, _WALL_MARGIN = 4, 5.0  # the wall-clock guard: 4x the CPU budget, plus 5 s
_READY = "ready"


class Parser(Protocol):
    """How runners parse an input: ``parse_items``'s arguments, every item's outcome as a list."""

    def __call__(self, data: bytes, *, input_name: str = "-", source_url: str | None = None,
                 input_format: str | None = None, content_type: str | None = None,
                 max_bytes: int = ..., published: datetime | None = None) -> list[ItemResult]: ...


def parse_in_process(data: bytes, **options: Any) -> list[ItemResult]:
    """No budget: parse in this process (the ``parse`` command and the Python API, by default)."""
    from ingest_plugin.parsing.pipeline import parse_items

    return list(parse_items(data, **options))


def parser_for(budget_seconds: float) -> Parser:
    """The parser a runner uses: budgeted worker processes, or in-process parsing when the budget is 0 (off)."""
    if budget_seconds <= 0:
        return parse_in_process
    with _POOLS_LOCK:
        return _POOLS.setdefault(budget_seconds, BudgetedParser(budget_seconds))


class _WorkerLost(Exception):
    """The worker died or stopped answering while it held an input."""


class BudgetedParser:
    """Parses each input in a worker process under ``seconds`` of CPU time; thread-safe (one worker per caller)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def __call__(self, data: bytes, **options: Any) -> list[ItemResult]:
        worker = self._take()
        try:
            encoded, events = worker.parse(data, options, timeout=self.seconds * _WALL_FACTOR + _WALL_MARGIN)
        except _WorkerLost as lost:
            worker.stop()
            return [self._refused(data, options, reason=str(lost))]
        with self._lock:
            self._idle.append(worker)
        _log_again(events)
        return [_decoded(result, data) for result in encoded]

    def close(self) -> None:
        """Stop the idle workers (the rest stop with their callers or at exit: they are daemon processes)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
        return _Worker(self.seconds)

    def _refused(self, data: bytes, options: dict[str, Any], *, reason: str) -> ItemResult:
        name = options.get("input_name", "-")
        get_logger().error("parse_budget_exceeded", input=name, budget_seconds=self.seconds, reason=reason,
                           size_bytes=len(data))
        error = IngestError(ErrorCode.TOO_COMPLEX, f"parsing ran past its {self.seconds:g} s CPU budget and was "
                                                   f"stopped ({reason})", stage=Stage.PARSE)
        return ItemResult(input_name=name, raw=data, source_url=options.get("source_url")).failed(error)


class _Worker:
    """One parse process and the socket to it. A plain ``python -m`` child, not a multiprocessing one: spawning those
    re-imports the caller's main module, which breaks scripts without a ``__main__`` guard and some runtimes."""

    def __init__(self, seconds: float) -> None:
        ours, theirs = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
        with theirs:
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(theirs.fileno()), repr(seconds)], pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=env)
        self._conn = Connection(ours.detach())
        self._partners: partners.Registry | None = None  # what the worker parses with: the built-in partners at first
        if not self._conn.poll(_START_TIMEOUT) or self._receive() != _READY:
            self.stop()
            raise RuntimeError("the parse worker process did not start")

    def alive(self) -> bool:
        return self._process.poll() is None

    def parse(self, data: bytes, options: dict[str, Any], *, timeout: float) -> Any:
        """The worker's results for ``data``, parsed with this process's installed partners (sent along whenever
        they are not the ones the worker has: a configuration may define partners of its own)."""
        installed = partners.registry()
        profiles = tuple(installed.profiles.values()) if installed is not self._partners else None
        try:
            self._conn.send((data, options, profiles))
        except OSError as exc:
            raise _WorkerLost(f"the parse worker could not take the input: {exc}") from None
        self._partners = installed
        if not self._conn.poll(timeout):
            raise _WorkerLost(f"no answer within {timeout:g} s of wall-clock time")
        return self._receive()

    def _receive(self) -> Any:
        try:
            return self._conn.recv()
        except (EOFError, OSError):
            try:
                code = self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
            if code == -signal.SIGXCPU:
                raise _WorkerLost("the CPU limit stopped it") from None
            raise _WorkerLost(f"the parse worker ended with exit status {code}") from None

    def stop(self) -> None:
        self._conn.close()
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait(timeout=5)


def _decoded(result: tuple[ItemResult, bool], data: bytes) -> ItemResult:
    """A worker's result; a whole-input result came back without its raw bytes (the caller holds them)."""
    item, whole_input = result
    return replace(item, raw=data) if whole_input else item


def _log_again(events: list[dict[str, Any]]) -> None:
    """The worker's log events, logged here: with the caller's run id, trigger and job, at the caller's level."""
    logger = get_logger()
    for event in events:
        level = event.pop("level", "info")
        getattr(logger, level if level in ("debug", "info", "warning", "error", "critical") else "info")(
            event.pop("event", "parse_event"), **event)


def _serve(conn: Connection, seconds: float) -> None:
    """The worker process: parse each input it is sent, under the CPU limit, until the pipe closes."""
    import resource

    from ingest_plugin.parsing.pipeline import parse_items

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a worker stopped by its CPU limit leaves no core file
    events: list[dict[str, Any]] = []
    structlog.configure(processors=[structlog.contextvars.merge_contextvars, structlog.processors.add_log_level,
                                    structlog.processors.format_exc_info, _collect(events)],
                        wrapper_class=structlog.make_filtering_bound_logger(0), cache_logger_on_first_use=True)
    conn.send(_READY)
    while True:
        try:
            data, options, profiles = conn.recv()
        except EOFError:
            return
        if profiles is not None:
            partners.install(profiles)
        _limit_cpu(resource, seconds)
        results = [(replace(item, raw=b"") if item.raw is data else item, item.raw is data)
                   for item in parse_items(data, **options)]
        conn.send((results, events[:]))
        events.clear()


def _limit_cpu(resource: Any, seconds: float) -> None:
    """This process may use ``seconds`` more CPU time (whole seconds: the kernel's unit), then gets SIGXCPU."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    limit = math.ceil(usage.ru_utime + usage.ru_stime + seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


def _collect(events: list[dict[str, Any]]) -> Callable[..., Any]:
    """A structlog processor that keeps each event (its values as plain data, for the pipe) and drops it."""
    def collect(_logger: Any, _name: str, event: dict[str, Any]) -> Any:
        events.append({key: value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
                       for key, value in event.items()})
        raise structlog.DropEvent
    return collect


_POOLS: dict[float, BudgetedParser] = {}
_POOLS_LOCK = threading.Lock()

if __name__ == "__main__":  # a worker: python -m ingest_plugin.ingest.budget FD SECONDS
    _serve(Connection(int(sys.argv[1])), float(sys.argv[2]))
