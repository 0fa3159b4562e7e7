"""Local files and standard input: the one place inputs are read from disk."""
from __future__ import annotations

import sys
from pathlib import Path

from ingest_plugin.errors import ErrorCode, IngestError, Stage


def read_input(name: str) -> bytes:
    """The bytes of a path, or of standard input for ``-``; a coded ``fetch_failed`` error naming the input when
    it cannot be read."""
    try:
        return sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        raise IngestError(ErrorCode.FETCH_FAILED, f"cannot read the file: {exc.strerror}", input=name,
                          stage=Stage.READ) from None
