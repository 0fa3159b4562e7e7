"""Stage 1, load: bytes -> NFC text -> one parsed tree, safely.

Decoding follows the browser order (BOM, then the declared charset, then detection), except that bytes which are
valid UTF-8 are read as UTF-8 even under a declared single-byte charset: a wrong ``iso-8859-1`` declaration is the
most common cause of mojibake, and real windows-1252 text is practically never valid multi-byte UTF-8.
Every parser is built once, with external entities, DTD loading and network access off.
"""
from __future__ import annotations

import codecs
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

import charset_normalizer
from lxml import etree, html

from .errors import ErrorCode, IngestError
from .model import Loaded

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
INPUT_FORMATS = ("html", "wordpress-rss", "benzinga-rss", "benzinga-api", "benzinga-webhook")

# huge_tree: libxml2 otherwise stops at 255 levels of nesting and empties text nodes over 10 MB *silently*; the
# byte cap above is what bounds the work instead.
HTML_PARSER = html.HTMLParser(huge_tree=True, no_network=True, remove_comments=True, remove_pis=True,
                              default_doctype=False)
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             decompress=False, remove_comments=True, remove_pis=True, strip_cdata=True)

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_BINARY_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"\x7fELF", b"BZh",
                 b"\x00\x00\x01\x00", b"RIFF", b"OggS", b"\x28\xb5\x2f\xfd")
_CHARSET_IN_HEADER = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_CHARSET_IN_MARKUP = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What browsers (WHATWG Encoding) decode these labels as.
_WHATWG_ALIASES = {"iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
                   "l1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252", "iso-8859-9": "cp1254",
                   "iso-8859-11": "cp874", "x-user-defined": "cp1252"}
_EXCESSIVE_DEPTH = "Excessive depth"
_SURROGATE = re.compile("[\ud800-\udfff]")
_PROLOG = re.compile(r"^(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^>\[]|\[.*?\])*>)*", re.S | re.I)
_MOJIBAKE = re.compile("â€[™œ\x9d“”˜¦¢]|Ã[\x80-\xbf©¨§¡³±¶¼]|Â[\xa0-\xbf]")
_LAYOUT_TAGS = re.compile(r"</?(?:div|span|section|font|center)\b[^>]*>", re.I)


def load(data: bytes, *, content_type: str | None = None, source_url: str | None = None,
         max_bytes: int = DEFAULT_MAX_BYTES, input_format: str | None = None) -> Loaded:
    """Decode and parse one input. Raises :class:`IngestError` with a coded reason when it cannot."""
    if not data.strip():
        raise IngestError(ErrorCode.EMPTY_INPUT, "the input is empty", stage="load")
    if len(data) > max_bytes:
        raise IngestError(ErrorCode.TOO_LARGE, f"the input is {len(data):,} bytes, over the limit of "
                                               f"{max_bytes:,} bytes", stage="load")
    text, encoding = decode(data, content_type)
    kind = _kind(text, input_format)
    tree = _parse(text, kind)
    return Loaded(text=text, kind=kind, encoding=encoding, tree=tree, source_url=source_url,
                  content_type=content_type)


def decode(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Bytes -> NFC text without control characters. Returns the text and the encoding used."""
    encoding = _bom_encoding(data)
    if encoding is None:
        if data.startswith(_BINARY_MAGIC) or b"\x00" in data[:8192]:
            raise IngestError(ErrorCode.UNDECODABLE, "the input is binary, not text", stage="load")
        encoding = _declared_encoding(data, content_type)
        if _is_utf8(data) and (encoding is None or _is_single_byte(encoding)):
            encoding = "utf-8"
        elif encoding is None:
            encoding = _detected_encoding(data)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        fallback = _detected_encoding(data)
        try:
            text, encoding = data.decode(fallback), fallback
        except (UnicodeDecodeError, LookupError) as exc:
            raise IngestError(ErrorCode.UNDECODABLE, f"the text is not valid {encoding}: {exc}",
                              stage="load") from None
    text = _CONTROL_CHARS.sub("", unicodedata.normalize("NFC", _repair_mojibake(text)))
    if not text.strip():
        raise IngestError(ErrorCode.EMPTY_INPUT, "the input holds no text", stage="load")
    return text, encoding


def read_input(name: str) -> bytes:
    """The bytes of a path, or of standard input for ``-``. Raises ``OSError``."""
    return sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()


def parse_html_fragment(markup: str) -> html.HtmlElement:
    """Parse an HTML fragment (a feed item's or API story's body) into a ``<div>`` holding it."""
    root = html.fragment_fromstring(markup or "", create_parent="div", parser=HTML_PARSER)
    return root


def _c1_as_bytes(error: UnicodeEncodeError) -> tuple[bytes, int]:
    """Browsers decode the five bytes windows-1252 leaves undefined (0x81, 0x8D, …) as C1 controls; map them back."""
    chunk = error.object[error.start:error.end]
    if all("\x80" <= char <= "\x9f" for char in chunk):
        return chunk.encode("latin-1"), error.end
    raise error


_C1_AS_BYTES = "ingest-plugin-c1"
codecs.register_error(_C1_AS_BYTES, _c1_as_bytes)


def _repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded as windows-1252 and saved again ("â€™" for "’") before it reached us.

    Only when the tell-tale sequences are there, and only when the whole text round-trips: a page that merely
    quotes such a sequence, or mixes encodings, is left alone.
    """
    if not _MOJIBAKE.search(text):
        return text
    try:
        repaired = text.encode("cp1252", errors=_C1_AS_BYTES).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
    return repaired if len(_MOJIBAKE.findall(repaired)) < len(_MOJIBAKE.findall(text)) else text


def _bom_encoding(data: bytes) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def _declared_encoding(data: bytes, content_type: str | None) -> str | None:
    label = None
    if content_type and (match := _CHARSET_IN_HEADER.search(content_type)):
        label = match.group(1)
    elif match := _CHARSET_IN_MARKUP.search(data[:8192]):
        label = (match.group(1) or match.group(2)).decode("ascii", "replace")
    if not label:
        return None
    label = _WHATWG_ALIASES.get(label.lower(), label.lower())
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_single_byte(encoding: str) -> bool:
    name = codecs.lookup(encoding).name
    return name.startswith(("cp12", "iso8859", "latin", "mac-", "cp437", "cp850", "koi8", "ascii"))


def _detected_encoding(data: bytes) -> str:
    best = charset_normalizer.from_bytes(data[:65536]).best()
    if best is None:
        # No plausible text encoding: binary or garbage. windows-1252 decodes any byte it defines; if even that
        # fails, the bytes are not text.
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            raise IngestError(ErrorCode.UNDECODABLE, "no text encoding fits the input", stage="load") from None
        return "cp1252"
    name = codecs.lookup(best.encoding).name
    # Western single-byte guesses are windows-1252 in practice (what a browser would use).
    if _is_single_byte(name) and _decodes(data, "cp1252"):
        return "cp1252"
    return name


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _kind(text: str, input_format: str | None) -> str:
    if input_format:
        if input_format not in INPUT_FORMATS:
            raise ValueError(f"unknown input format {input_format!r}; choose from {', '.join(INPUT_FORMATS)}")
        return {"html": "html", "wordpress-rss": "xml", "benzinga-rss": "xml"}.get(input_format, "json")
    head = text.lstrip()[:1]
    if head and head in "{[":
        return "json"
    lowered = text[_PROLOG.match(text[:1_000_000]).end():][:2048].lower()
    if re.search(r"<(rss|rdf:rdf|feed|item)\b", lowered) and "<html" not in lowered:
        return "xml"
    return "html"


def _parse(text: str, kind: str):
    if kind == "json":
        try:
            return _without_lone_surrogates(json.loads(text))
        except json.JSONDecodeError as exc:
            raise IngestError(ErrorCode.NOT_AN_ARTICLE, f"the input is not valid JSON: {exc}", stage="load") from None
        except RecursionError:
            raise IngestError(ErrorCode.NOT_AN_ARTICLE, "the JSON is nested too deeply to be a story",
                              stage="load") from None
    if kind == "xml":
        body = _XML_DECLARATION.sub("", text, count=1)
        try:
            return etree.fromstring(body.encode("utf-8"), XML_PARSER)
        except etree.XMLSyntaxError as exc:
            raise IngestError(ErrorCode.NOT_AN_ARTICLE, f"the feed is not well-formed XML: {exc}",
                              stage="load") from None
    return _parse_html(text)


def _without_lone_surrogates(value: Any) -> Any:
    """JSON may escape half a surrogate pair ("\\ud800"); such a string cannot be written as UTF-8, so each one
    becomes U+FFFD. Walks without recursion: the input decides the depth."""
    def fixed(text: str) -> str:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace") if _SURROGATE.search(text) else text

    if isinstance(value, str):
        return fixed(value)
    stack = [value]
    while stack:
        node = stack.pop()
        pairs = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, item in list(pairs):
            if isinstance(item, str):
                node[key] = fixed(item)
            elif isinstance(item, (dict, list)):
                stack.append(item)
        if isinstance(node, dict) and any(isinstance(k, str) and _SURROGATE.search(k) for k in node):
            for key in [k for k in node if _SURROGATE.search(k)]:
                node[fixed(key)] = node.pop(key)
    return value


def _parse_html(text: str) -> html.HtmlElement:
    try:
        root = html.document_fromstring(text, parser=HTML_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise IngestError(ErrorCode.NOT_AN_ARTICLE, f"the HTML holds no document: {exc}", stage="load") from None
    if any(_EXCESSIVE_DEPTH in entry.message for entry in HTML_PARSER.error_log):
        # Even with huge_tree libxml2 drops content nested deeper than 2048 levels. Layout wrappers carry no
        # content, so drop them and parse again rather than lose the article.
        root = html.document_fromstring(_LAYOUT_TAGS.sub("", text), parser=HTML_PARSER)
    return root
