"""Sitemaps (sitemaps.org 0.9, as WordPress core and Yoast SEO write them): bytes -> ``(loc, lastmod)`` entries.

Pure and streaming, for archives of any size: a ``.xml.gz`` sitemap is inflated chunk by chunk (capped at
``max_bytes`` decompressed: no gzip bomb), fed to lxml's pull parser chunk by chunk, and each ``<url>`` or
``<sitemap>`` element is read and dropped as soon as it ends, so the tree never holds more than one chunk's
entries and the work is linear in the input. The parser has the settings of
:data:`ingest_plugin.parsing.load.XML_PARSER` (no DTD loading, no entity expansion, no network, no huge-tree), and
a sitemap that declares a DOCTYPE at all is refused whole: no sitemap needs one, and an entity it declared could
only shorten or fake a URL (libxml2's own amplification guard may refuse an entity bomb first, as malformed).

An entry whose ``<loc>`` is missing, is not an absolute http(s) URL, is longer than the protocol's 2,048 characters
or holds markup (an entity reference) is skipped and counted (:attr:`Sitemap.skipped`). A ``<lastmod>`` is read as
a W3C datetime (``2024``, ``2024-03``, ``2024-03-01``, ``2024-03-01T10:00Z``, with seconds, fractions, an offset):
a date alone is that day's first moment, a time without an offset is UTC, and an unreadable one counts as absent.
"""
from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from lxml import etree

from ingest_plugin.parsing import DEFAULT_MAX_BYTES

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_LOC = 2048  # sitemaps.org: "less than 2,048 characters"
_CHUNK = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_ROOTS = {"urlset": False, "sitemapindex": True}  # root element -> whether its entries are sitemaps
_W3C_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(T.{1,40})?)?)?")
_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")


class SitemapError(ValueError):
    """Not a sitemap this reader accepts (malformed XML, another root element, a DOCTYPE, too large, broken gzip):
    the whole file is refused; the message says why."""


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: datetime | None  # in UTC; None when absent or unreadable
    index: bool  # True: a child sitemap of a sitemap index; False: a page of a url set


class Sitemap:
    """One sitemap's entries, read lazily: iterate once. Whether it is an index (:attr:`index`) is known on
    construction, which reads up to the first element that ends and raises :class:`SitemapError` for anything
    that is not a sitemap; the rest is read as the entries are taken (a later :class:`SitemapError` ends the
    iteration, after the entries before the fault). :attr:`skipped` counts the malformed entries met so far."""

    def __init__(self, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.skipped = 0
        self._chunks = _chunks(data, max_bytes)
        # The settings of parsing.load.XML_PARSER (a pull parser takes them itself, not a parser to copy).
        self._parser = etree.XMLPullParser(events=("end",), resolve_entities=False, no_network=True, load_dtd=False,
                                           huge_tree=False, remove_comments=True, remove_pis=True, strip_cdata=True)
        self._pending: list[etree._Element] = []
        self._done = False
        while not self._pending and not self._done:  # up to the first element that ends: root and prolog known
            self._feed()
        if not self._pending:
            raise SitemapError("no XML element")
        tree = self._pending[0].getroottree()
        if tree.docinfo.doctype:
            raise SitemapError("it declares a DOCTYPE (sitemaps have none; its entities would not be expanded)")
        root = etree.QName(tree.getroot())
        if root.namespace not in (SITEMAP_NS, None) or root.localname not in _ROOTS:
            raise SitemapError(f"the root element is <{root.localname}>, not <urlset> or <sitemapindex> of "
                               f"{SITEMAP_NS}")
        self.index = _ROOTS[root.localname]
        prefix = f"{{{root.namespace}}}" if root.namespace else ""
        self._entry_tag = prefix + ("sitemap" if self.index else "url")
        self._loc_tag, self._lastmod_tag = prefix + "loc", prefix + "lastmod"

    def __iter__(self) -> Iterator[SitemapEntry]:
        while True:
            pending, self._pending = self._pending, []
            for element in pending:
                parent = element.getparent()
                if parent is None or parent.getparent() is not None:
                    continue  # the root itself, or inside an entry: read with its entry
                entry = self._entry(element) if element.tag == self._entry_tag else None
                if entry is None:
                    self.skipped += 1
                else:
                    yield entry
                element.clear(keep_tail=False)  # done with it: the tree keeps no entry it has read
                while element.getprevious() is not None:
                    del parent[0]
            if self._done:
                return
            self._feed()

    def _feed(self) -> None:
        chunk = next(self._chunks, None)
        try:
            if chunk is None:
                self._done = True
                self._parser.close()
            else:
                self._parser.feed(chunk)
        except etree.XMLSyntaxError as exc:
            self._done = True
            raise SitemapError(f"malformed XML: {exc}") from None
        self._pending.extend(element for _, element in self._parser.read_events())

    def _entry(self, element: etree._Element) -> SitemapEntry | None:
        loc = element.find(self._loc_tag)
        if loc is None or len(loc):  # no <loc>, or markup inside it (an entity reference)
            return None
        url = (loc.text or "").strip()
        if not plain_url(url):
            return None
        lastmod = element.find(self._lastmod_tag)
        moment = w3c_datetime(lastmod.text or "") if lastmod is not None and not len(lastmod) else None
        return SitemapEntry(url, moment, self.index)


def plain_url(url: str) -> bool:
    """Whether ``url`` is what a sitemap may list: an absolute http(s) URL with a host, no white space or control
    character, under :data:`MAX_LOC` characters."""
    if not url or len(url) >= MAX_LOC or _SPACE_OR_CONTROL.search(url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def w3c_datetime(text: str) -> datetime | None:
    """A W3C datetime (the ``<lastmod>`` format) in UTC; a date alone is its first moment; None if unreadable."""
    text = text.strip()
    match = _W3C_DATE.fullmatch(text)
    if match is None:
        return None
    year, month, day, time = match.groups()
    try:
        if time is None:
            return datetime(int(year), int(month or 1), int(day or 1), tzinfo=timezone.utc)
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _chunks(data: bytes, max_bytes: int) -> Iterator[bytes]:
    """``data`` in chunks, inflated first when it is gzip (a ``.xml.gz`` sitemap); never more than ``max_bytes``."""
    if not data.startswith(_GZIP_MAGIC):
        if len(data) > max_bytes:
            raise SitemapError(f"it is {len(data):,} bytes, over the limit of {max_bytes:,}")
        view = memoryview(data)
        for start in range(0, len(data), _CHUNK):
            yield bytes(view[start:start + _CHUNK])
        return
    inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
    pending, total = data, 0
    try:
        while not inflate.eof:
            chunk = inflate.decompress(pending, _CHUNK)
            pending = inflate.unconsumed_tail
            if not chunk and not pending:
                raise SitemapError("the gzip data is truncated")
            total += len(chunk)
            if total > max_bytes:
                raise SitemapError(f"it is over the limit of {max_bytes:,} bytes once decompressed")
            yield chunk
    except zlib.error as exc:
        raise SitemapError(f"broken gzip data: {exc}") from None
    if inflate.unused_data:
        raise SitemapError("data after the end of the gzip stream (several gzip members are not supported)")
