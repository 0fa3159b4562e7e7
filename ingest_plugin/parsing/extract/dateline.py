"""The dateline at the start of a story: wire style ("NAIROBI, Kenya —") and press-release style
("Bentonville, AR, May 10, 2026 (GLOBE NEWSWIRE) --"). The text stays in the body; the place goes to ``located``."""
from __future__ import annotations

import re

from lxml.html import HtmlElement

from ingest_plugin.parsing.extract.body import text_blocks, text_of
from ingest_plugin.parsing.names import name_case
from ingest_plugin.parsing.text import clean

_DASH = r"(?:—|–|--|-)"
_WIRE = re.compile(
    rf"^(?P<city>[A-Z][A-Z.'’\- ]{{1,40}}?)(?:,\s*(?P<region>[A-Z][\w.'’\- ]{{1,30}}?))?\s*(?:\([^)]{{1,40}}\)\s*)?"
    rf"{_DASH}\s")
_RELEASE = re.compile(
    rf"^(?P<place>[A-Z][\w.'’\- ]{{1,40}}?(?:,\s*[A-Z][\w.'’\- ]{{1,30}}?)?),\s*(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|"
    rf"Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{{1,2}},?\s+\d{{4}}\s*(?:/[^/]{{1,40}}/\s*)?(?:\([^)]{{1,60}}\)\s*)?"
    rf"{_DASH}")


def find_dateline(body: HtmlElement | None) -> str | None:
    if body is None:
        return None
    for index, block in enumerate(text_blocks(body)):
        if index >= 2:
            break
        text = clean(text_of(block))
        if match := _RELEASE.match(text):
            return _place(match.group("place"))
        if (match := _WIRE.match(text)) and match.group("city").replace(" ", "").replace(".", "").isupper():
            region = match.group("region")
            return _place(match.group("city")) + (f", {region.strip()}" if region else "")
    return None


def _place(place: str) -> str:
    parts = [p.strip() for p in place.split(",")]
    return ", ".join(name_case(p) if p.isupper() and len(p) > 3 else p for p in parts)
