"""The progress bar of the long manual commands (``reingest``, ``backfill``): on a terminal (stderr) only."""
from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

PROGRESS_FROM = 20  # items; fewer finish before a bar would help
REDRAW_SECONDS = 0.1  # a backfill takes thousands of items a second: the terminal needs far fewer pictures
_WIDTH = 30
T = TypeVar("T")


def with_progress(items: Iterable[T], label: str, *, total: int | None = None,
                  out: TextIO | None = None) -> Iterator[T]:
    """``items`` as they are, drawing a bar on ``out`` (stderr) when it is a terminal: ``label [###...] 12/40``
    with a ``total`` (fewer than :data:`PROGRESS_FROM` draw nothing), a running count once past
    :data:`PROGRESS_FROM` without one (a stream, such as a sitemap walk). Lazy: takes one item at a time."""
    out = out if out is not None else sys.stderr
    if (total is not None and total < PROGRESS_FROM) or not out.isatty():
        yield from items
        return
    drawn_at: float | None = None
    done = 0
    for done, item in enumerate(items, start=1):
        if (total or done >= PROGRESS_FROM) and (drawn_at is None
                                                 or time.monotonic() - drawn_at >= REDRAW_SECONDS):
            _draw(out, label, done, total)
            drawn_at = time.monotonic()
        yield item
    if drawn_at is not None:
        _draw(out, label, done, total)  # the last picture shows the end
        out.write("\n")


def _draw(out: TextIO, label: str, done: int, total: int | None) -> None:
    if total:
        filled = _WIDTH * min(done, total) // total
        out.write(f"\r{label} [{'#' * filled}{'.' * (_WIDTH - filled)}] {done}/{total}")
    else:
        out.write(f"\r{label} {done}")
    out.flush()
