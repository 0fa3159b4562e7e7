"""Input shapes, each a module that says whether it can read a loaded input and turns it into drafts.

Transport (files, HTTP, webhooks) is kept apart from format, as in Superdesk's feeding services and feed parsers.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, Iterator

from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.parsing.formats import atom, benzinga_api, html_page, rss
from ingest_plugin.parsing.model import Draft, Loaded

READERS = (html_page, rss, atom, benzinga_api)


def drafts(loaded: Loaded) -> Iterator[tuple[bytes | None, Callable[[], Draft]]]:
    """``(raw item bytes or None for the whole input, a function building its draft)`` for every article.

    Drafts are built by the caller, one at a time, so a feed is streamed and a failure of one item (a coded
    ``IngestError`` or anything unexpected) stays with that item.
    """
    for reader in READERS:
        if reader.can_read(loaded):
            if reader is html_page:
                yield None, partial(html_page.read, loaded)
            else:
                yield from reader.read(loaded)
            return
    raise IngestError(ErrorCode.NOT_AN_ARTICLE, f"no reader understands this {loaded.kind} input (an RSS 2.0 "
                                                "or Atom feed, an article page or Benzinga JSON was expected)",
                      stage=Stage.EXTRACT)
