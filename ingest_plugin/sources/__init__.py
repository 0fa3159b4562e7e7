"""Input shapes, each a module that says whether it can read a loaded input and turns it into drafts.

Transport (files, HTTP, webhooks) is kept apart from format, as in Superdesk's feeding services and feed parsers.
"""
from __future__ import annotations

from typing import Iterator

from ..errors import ErrorCode, IngestError
from ..model import Draft, Loaded
from . import benzinga_api, html_page, rss

READERS = (html_page, rss, benzinga_api)


def drafts(loaded: Loaded) -> Iterator[tuple[bytes | None, Draft | IngestError]]:
    """``(raw item bytes or None for the whole input, draft or error)`` for every article in the input."""
    for reader in READERS:
        if reader.can_read(loaded):
            if reader is html_page:
                try:
                    yield None, html_page.read(loaded)
                except IngestError as error:
                    yield None, error
            else:
                yield from reader.read(loaded)
            return
    raise IngestError(ErrorCode.NOT_AN_ARTICLE, f"no reader understands this {loaded.kind} input (an RSS 2.0 "
                                                "feed, an article page or Benzinga JSON was expected)",
                      stage="extract")
