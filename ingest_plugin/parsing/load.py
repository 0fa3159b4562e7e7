"""Stage 1, load: bytes -> NFC text -> one parsed tree, safely.

Decoding follows the browser order (BOM, then the declared charset, then detection), except that bytes which are
UTF-8 are read as UTF-8 even under a declared single-byte charset: a wrong ``iso-8859-1`` declaration is the most
common cause of mojibake, and real windows-1252 text practically never holds a valid multi-byte UTF-8 sequence.
Every parser is built once, with external entities, DTD loading and network access off.
"""
from __future__ import annotations

import codecs
import json
import re
import unicodedata
from functools import lru_cache
from html.entities import html5 as HTML_ENTITIES
from typing import Any

import charset_normalizer
from lxml import etree

from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.parsing import DEFAULT_MAX_BYTES, INPUT_FORMATS
from ingest_plugin.parsing.model import Loaded


def _html_parser(encoding: str | None = None) -> etree.HTMLParser:
    """huge_tree: libxml2 otherwise stops at 255 levels of nesting and empties text nodes over 10 MB *silently*; the
    byte cap above is what bounds the work instead.

    lxml's plain elements, not lxml.html's: an ``HtmlElement`` is a Python subclass, slower to make each time the
    pipeline touches an element (and its helpers, ``drop_tree()`` or ``text_content()``, have ours: ``remove_all``,
    ``text_of``).

    collect_ids=False: libxml2 builds no table of the page's ids as it parses (nothing here looks an element up by
    its id).
    """
    return etree.HTMLParser(huge_tree=True, no_network=True, remove_comments=True, remove_pis=True,
                            default_doctype=False, encoding=encoding, collect_ids=False)


HTML_PARSER = _html_parser()
# For a page's own UTF-8 bytes: libxml2 reads them as they are, where a str reaches it as UTF-16 or UCS-4 to
# convert. The encoding is fixed, so a <meta charset> in the page changes nothing, as with a str.
HTML_UTF8_PARSER = _html_parser("utf-8")
# The ignore: types-lxml does not know decompress= (new in lxml 6) yet.
XML_PARSER = etree.XMLParser(  # type: ignore[call-overload]
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, decompress=False,
    remove_comments=True, remove_pis=True, strip_cdata=True)

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_BINARY_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"\x7fELF", b"BZh",
                 b"\x00\x00\x01\x00", b"RIFF", b"OggS", b"\x28\xb5\x2f\xfd")
_CHARSET_IN_HEADER = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
# Possessive white space: a long run after "=" was split between the two "\s*" every way (quadratic); the value
# holds no space or quote, so only the whole run can lead to it.
_CHARSET_IN_MARKUP = re.compile(
    rb"""<meta[^>]+charset\s*+=\s*+["']?\s*+([\w.:-]+)|<\?xml[^>]+encoding\s*+=\s*+["']([\w.:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Control characters and the two noncharacters XML refuses: lxml raises on them, and no reader wants them.
_UNUSABLE = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff"
_UNUSABLE_CHARS = re.compile(f"[{_UNUSABLE}]")
_UNUSABLE_IN_JSON = re.compile(f"[{_UNUSABLE}\ud800-\udfff]")  # a JSON escape may also hold half a surrogate pair
# A character reference to one of those (what a page cannot hold raw, it may spell "&#1;"): the parser puts the
# character into the tree, where lxml refuses to set a text holding it. A number is read whole (no digit may
# follow), past possessive leading zeros; "&#0;" is left alone: the HTML parser makes it U+FFFD, as browsers do
# (a feed's XML parser refuses it: see _xml_references_repaired).
_UNUSABLE_REFERENCE = re.compile(
    r"&#(?:[xX]0*+(?:[1-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]|[fF]{3}[eEfF])(?![0-9a-fA-F])"
    r"|0*+(?:[1-8]|1[124-9]|2[0-9]|3[01]|127|6553[45])(?![0-9]));?")
# The same in a page's UTF-8 bytes: searched there when the text is their decoding, in half the time.
_UNUSABLE_REFERENCE_BYTES = re.compile(_UNUSABLE_REFERENCE.pattern.encode("ascii"))
# Any numeric character reference, its number (hex or decimal) read whole.
_NUMERIC_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]++)|([0-9]++));?")
# What most of a page is made of: printable ASCII and the three whitespace controls. Deleting these bytes from a
# UTF-8 page (bytes.translate, a fraction of any scan of the decoded text) leaves its other characters: the control
# characters of _UNUSABLE and the non-ASCII ones, typically a few dozen.
_PLAIN_ASCII_BYTES = bytes(range(0x20, 0x7f)) + b"\t\n\r"
# What browsers (WHATWG Encoding) decode these labels as.
_WHATWG_ALIASES = {"iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
                   "l1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252", "iso-8859-9": "cp1254",
                   "iso-8859-11": "cp874", "x-user-defined": "cp1252"}
_EXCESSIVE_DEPTH = "Excessive depth"
_FEED_ROOT = re.compile(r"<(?:rss|rdf:rdf|feed|item|entry)\b", re.I)  # an Atom entry document stands alone too
_WHOLE_DOCUMENT = re.compile(r"\s*<(?:html|!doctype)", re.I)  # what lxml's fragment parser parses as a document
# Possessive throughout: a DOCTYPE's internal subset ("[ … ]") ends at its first "]" and nothing else may end it, so
# no other split of the text can succeed where the first fails. Backtracking over the ways to split "][][]…" (the
# lazy ".*?" it replaces) took exponential time on an unclosed subset.
_PROLOG = re.compile(r"^(?:\s++|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^>\[]++|\[[^\]]*+\])*+>)*+", re.S | re.I)
_MOJIBAKE = re.compile("â€[™œ\x9d“”˜¦¢]|Ã[\x80-\xbf©¨§¡³±¶¼]|Â[\xa0-\xbf]")
_LAYOUT_TAGS = re.compile(r"</?(?:div|span|section|font|center)\b[^>]*>", re.I)


def load(data: bytes, *, content_type: str | None = None, source_url: str | None = None,
         max_bytes: int = DEFAULT_MAX_BYTES, input_format: str | None = None) -> Loaded:
    """Decode and parse one input. Raises :class:`IngestError` with a coded reason when it cannot."""
    if not data or data.isspace():  # not data.strip(), which copies a page that ends with a newline
        raise IngestError(ErrorCode.EMPTY_INPUT, "the input is empty", stage=Stage.LOAD)
    if len(data) > max_bytes:
        raise IngestError(ErrorCode.TOO_LARGE, f"the input is {len(data):,} bytes, over the limit of "
                                               f"{max_bytes:,} bytes", stage=Stage.LOAD)
    text, encoding, is_utf8_source = _decode(data, content_type)
    kind = _kind(text, input_format)
    tree = _parse(text, kind, data if is_utf8_source else None)
    return Loaded(text=text, kind=kind, encoding=encoding, tree=tree, source_url=source_url,
                  content_type=content_type)


def decode(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Bytes -> NFC text without control characters. Returns the text and the encoding used."""
    text, encoding, _ = _decode(data, content_type)
    return text, encoding


def _decode(data: bytes, content_type: str | None) -> tuple[str, str, bool]:
    """:func:`decode`, and whether the text is ``data`` decoded as UTF-8 as it stands (no BOM, no broken sequence
    replaced, nothing normalized or removed): the HTML parser may then read ``data`` instead."""
    encoding = _bom_encoding(data)
    text = None
    if encoding is None:
        if data.startswith(_BINARY_MAGIC) or b"\x00" in data[:8192]:
            raise IngestError(ErrorCode.UNDECODABLE, "the input is binary, not text", stage=Stage.LOAD)
        declared = _declared_encoding(data, content_type)
        if declared is None or declared == "utf-8" or _is_single_byte(declared):
            text = _utf8_text(data, declared == "utf-8")
        encoding = "utf-8" if text is not None else declared or _detected_encoding(data)
    if text is None:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            fallback = _detected_encoding(data)
            try:
                text, encoding = data.decode(fallback), fallback
            except (UnicodeDecodeError, LookupError) as exc:
                raise IngestError(ErrorCode.UNDECODABLE, f"the text is not valid {encoding}: {exc}",
                                  stage=Stage.LOAD) from None
    usable = _usable_text(text, data if encoding.startswith("utf-8") else None)
    if not usable or usable.isspace():
        raise IngestError(ErrorCode.EMPTY_INPUT, "the input holds no text", stage=Stage.LOAD)
    # A U+FFFD may stand for a broken sequence; one the page really holds merely costs the faster parse.
    return usable, encoding, encoding == "utf-8" and usable is text and "\ufffd" not in text


def parse_html_fragment(markup: str) -> etree._Element:
    """Parse an HTML fragment (a feed item's or API story's body) into a ``<div>`` holding it.

    What lxml's ``fragment_fromstring`` does, without its failures: a body that is a whole document keeps what its
    ``<body>`` holds, and one with no body at all (only a DOCTYPE, only a ``<head>``) gives an empty ``<div>``.
    """
    holder = fragment_holder(_without_unusable_references(markup), HTML_PARSER)
    return HTML_PARSER.makeelement("div") if holder is None else holder


def fragment_holder(markup: str, parser: etree.HTMLParser) -> etree._Element | None:
    """What ``lxml.html.fragment_fromstring(markup, create_parent="div")`` gives, read by ``parser`` into lxml's plain
    elements; None when the markup holds no body (nothing but a DOCTYPE, a head only).

    The ``<div>`` is the root of an HTML document of its own, as lxml.html's is: libxml2's HTML serializer writes a CR
    in an XML document's element as "&#13;", which the sanitiser reads back as a CR it keeps (the body then fails
    validation); and a query from the document's root ("//") finds the fragment, not the page it was cut from."""
    document = markup if _WHOLE_DOCUMENT.match(markup) else f"<html><body>{markup}</body></html>"
    root = etree.fromstring(document, parser)  # None: nothing but a DOCTYPE
    body = root.find("body") if root is not None else None
    if body is None:
        return None
    holder = parser.makeelement("div")
    holder.text = body.text if body.text and body.text.strip() else None
    holder.extend(body)
    return holder


def _without_unusable_references(markup: str) -> str:
    """``markup`` without references to unusable characters. Taking one out may join the text around it into
    another ("&&#1;#1;"): any left after one pass becomes U+FFFD's reference, which joins with nothing."""
    once = _UNUSABLE_REFERENCE.sub("", markup)
    return once if once is markup else _UNUSABLE_REFERENCE.sub("&#xFFFD;", once)


def _xml_references_repaired(feed: str) -> str:
    """A feed that XML refuses, with each reference to a character XML cannot hold (U+0000, a surrogate, past
    U+10FFFF) made U+FFFD's, as an HTML parser reads it: one bad title must not lose every item of the feed. The
    same object when it has none (the feed is malformed otherwise). Asked only of a feed that failed to parse."""
    def repaired(match: re.Match[str]) -> str:
        digits = (match[1] or match[2]).lstrip("0")
        if len(digits) > 8:  # past U+10FFFF whatever they are (and never a 5,000-digit int to convert)
            return "&#xFFFD;"
        code = int(digits or "0", 16 if match[1] else 10)
        return "&#xFFFD;" if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else match[0]

    fixed = _NUMERIC_REFERENCE.sub(repaired, feed)
    return feed if fixed == feed else fixed


def _c1_as_bytes(error: UnicodeError) -> tuple[bytes, int]:
    """Browsers decode the five bytes windows-1252 leaves undefined (0x81, 0x8D, …) as C1 controls; map them back.
    An encoding error handler: any other error is raised as it is."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    chunk = error.object[error.start:error.end]
    if all("\x80" <= char <= "\x9f" for char in chunk):
        return chunk.encode("latin-1"), error.end
    raise error


_C1_AS_BYTES = "ingest-plugin-c1"
codecs.register_error(_C1_AS_BYTES, _c1_as_bytes)


def _usable_text(text: str, utf8_source: bytes | None) -> str:
    """``text`` repaired, in NFC and without unusable characters.

    Each step scans the whole page, yet rarely changes anything: cheap presence tests come first. When ``text`` is
    ``utf8_source`` decoded (and needed no repair), the tests look at the source's characters other than plain
    ASCII, which hold every character these steps could act on.
    """
    repaired = _repair_mojibake(text)
    if repaired is not text or utf8_source is None:
        return _normalized_without_unusable(repaired)
    others = utf8_source.translate(None, _PLAIN_ASCII_BYTES).decode("utf-8", "replace")
    if _UNUSABLE_CHARS.search(others):
        return _normalized_without_unusable(text)
    return text if _is_nfc_around_ascii(others) else unicodedata.normalize("NFC", text)


def _normalized_without_unusable(text: str) -> str:
    """Unusable characters out, then NFC: a control character between a letter and a combining mark would otherwise
    leave the two uncomposed once it is gone (NFC never makes an unusable character)."""
    return unicodedata.normalize("NFC", _UNUSABLE_CHARS.sub("", text))


def _is_nfc_around_ascii(others: str) -> bool:
    """Whether a text is in NFC, judged from ``others``: its characters other than plain ASCII, in order, and at
    most a few more that bytes of broken UTF-8 sequences (U+FFFD in the text) make up.

    ASCII characters and U+FFFD neither compose nor reorder with their neighbours, so the text is in NFC when each
    run of its other characters is, after the ASCII character before it. Every such run is a piece of ``others``.
    Without combining marks a run changes in NFC only where one of its characters composes with the one before
    it: never, when ``others`` is in NFC and none of its characters composes with an ASCII one. ``unicodedata``
    decides both, so this is its own answer for the whole text, at a fraction of its cost.
    """
    return all(map(_starts_nfc_after_ascii, set(others))) and unicodedata.is_normalized("NFC", others)


@lru_cache(maxsize=4096)
def _starts_nfc_after_ascii(char: str) -> bool:
    """Whether ``char`` is no combining mark and stays as it is after each ASCII character in NFC."""
    return unicodedata.combining(char) == 0 \
        and unicodedata.is_normalized("NFC", "".join(chr(ascii_code) + char for ascii_code in range(0x80)))


def _repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded as windows-1252 and saved again ("â€™" for "’") before it reached us.

    Only when the tell-tale sequences are there, and only when the whole text round-trips: a page that merely
    quotes such a sequence, or mixes encodings, is left alone.
    """
    # The substring tests cost a fraction of the regex over a whole page, and rarely pass. One-character searches
    # run at memchr speed, a two-character one fifty times slower: "€" rules most pages out before "â€" is sought.
    if not ("Ã" in text or "Â" in text or "€" in text and "â€" in text) or not _MOJIBAKE.search(text):
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
    label, in_markup = None, False
    if content_type and (match := _CHARSET_IN_HEADER.search(content_type)):
        label = match.group(1)
    elif found := _CHARSET_IN_MARKUP.search(data[:8192]):
        label, in_markup = (found.group(1) or found.group(2)).decode("ascii", "replace"), True
    if not label:
        return None
    label = _WHATWG_ALIASES.get(label.lower(), label.lower())
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # A declaration we could read as ASCII is not in UTF-16 or UTF-32, whatever it says (WHATWG reads it as UTF-8).
    return "utf-8" if in_markup and name.startswith(("utf-16", "utf-32")) else name


def _utf8_text(data: bytes, declared_utf8: bool) -> str | None:
    """The text, when the bytes are UTF-8 (None otherwise).

    A few broken sequences (a truncated download, one pasted windows-1252 byte) do not make a UTF-8 page legacy
    text: they become U+FFFD, as in a browser, when valid multi-byte characters outnumber them, or when the page
    declares UTF-8 and holds any. A legacy page (mis)labelled UTF-8 holds none: every non-ASCII byte is invalid.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", "replace")
    invalid = text.count("\ufffd")
    valid = len(text) - len(text.encode("ascii", "ignore")) - invalid
    return text if valid > invalid or (declared_utf8 and valid) else None


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
            raise IngestError(ErrorCode.UNDECODABLE, "no text encoding fits the input", stage=Stage.LOAD) from None
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
        return INPUT_FORMATS[input_format]
    head = text.lstrip()[:1]
    if head and head in "{[":
        return "json"
    # The root element decides: markup an item quotes ("<html" in a CDATA section) says nothing about the input.
    prolog = _PROLOG.match(text[:1_000_000])
    assert prolog is not None  # every part of the pattern is optional: it matches any text
    return "xml" if _FEED_ROOT.match(text, prolog.end()) else "html"


def _parse(text: str, kind: str, utf8_source: bytes | None = None) -> Any:
    """The lxml root element for html and xml, the decoded value for json (:attr:`Loaded.tree`).
    ``utf8_source``: the bytes ``text`` is the UTF-8 decoding of, if it is."""
    if kind != "json" and (_UNUSABLE_REFERENCE_BYTES.search(utf8_source) if utf8_source is not None
                           else _UNUSABLE_REFERENCE.search(text)):
        text, utf8_source = _without_unusable_references(text), None
    if kind == "json":
        try:
            return _usable_strings(json.loads(text))
        except json.JSONDecodeError as exc:
            raise IngestError(ErrorCode.NOT_AN_ARTICLE, f"the input is not valid JSON: {exc}",
                              stage=Stage.LOAD) from None
        except RecursionError:
            raise IngestError(ErrorCode.NOT_AN_ARTICLE, "the JSON is nested too deeply to be a story",
                              stage=Stage.LOAD) from None
        except ValueError as exc:  # an integer over Python's 4,300-digit conversion limit
            raise IngestError(ErrorCode.NOT_AN_ARTICLE, f"the JSON holds a number no story has: {exc}",
                              stage=Stage.LOAD) from None
    if kind == "xml":
        body = _XML_DECLARATION.sub("", text, count=1)
        try:
            try:
                root = etree.fromstring(body.encode("utf-8"), XML_PARSER)
            except etree.XMLSyntaxError:
                if (repaired := _xml_references_repaired(body)) is body:
                    raise
                root = etree.fromstring(repaired.encode("utf-8"), XML_PARSER)
        except etree.XMLSyntaxError as exc:
            raise IngestError(ErrorCode.NOT_AN_ARTICLE, f"the feed is not well-formed XML: {exc}",
                              stage=Stage.LOAD) from None
        if root.getroottree().docinfo.doctype:
            _entity_references_as_text(root)
        return root
    return _parse_html(text, utf8_source)


def _entity_references_as_text(root: etree._Element) -> None:
    """Entity references the parser leaves unresolved (it loads no DTD) become the text HTML gives them.

    A feed under the RSS 0.91 DTD uses the HTML entities that DTD declares (``&nbsp;``, ``&copy;``); left as
    nodes, they would cut a title short at the first one. Any other name stays as written ("&file;"): nothing is
    read or expanded. One pass per parent element, so many references cost linear time.
    """
    parents = {owner for entity in root.iter(etree.Entity) if (owner := entity.getparent()) is not None}
    for parent in parents:
        pieces, holder = [parent.text or ""], None  # the text goes to parent.text, then to each element's tail
        for child in list(parent):
            if isinstance(child, etree._Entity):
                pieces += (HTML_ENTITIES.get(f"{child.name};", child.text), child.tail or "")
                parent.remove(child)
            else:
                _set_text(parent, holder, "".join(pieces))
                pieces, holder = [child.tail or ""], child
        _set_text(parent, holder, "".join(pieces))


def _set_text(parent: etree._Element, holder: etree._Element | None, text: str) -> None:
    if holder is None:
        parent.text = text or None
    else:
        holder.tail = text or None


def _usable_strings(value: Any) -> Any:
    """JSON escapes can carry what :func:`decode` removes from raw text: control characters (lxml refuses them)
    and half a surrogate pair ("\\ud800", which cannot be written as UTF-8). The first are dropped, each of the
    second becomes U+FFFD. Walks without recursion: the input decides the depth."""
    def fixed(text: str) -> str:
        if not _UNUSABLE_IN_JSON.search(text):
            return text
        return _UNUSABLE_CHARS.sub("", text.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))

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
        if isinstance(node, dict) and any(isinstance(k, str) and _UNUSABLE_IN_JSON.search(k) for k in node):
            for key in [k for k in node if _UNUSABLE_IN_JSON.search(k)]:
                node[fixed(key)] = node.pop(key)
    return value


def _parse_html(text: str, utf8_source: bytes | None = None) -> etree._Element:
    # An XHTML page may open with an XML declaration naming its encoding, which lxml refuses in a str (ValueError):
    # the text is decoded already, so the declaration goes (the UTF-8 bytes would keep it, so the text is parsed).
    source: str | bytes
    if (declaration := _XML_DECLARATION.match(text)) is not None:
        text, utf8_source = text[declaration.end():], None
    if utf8_source is not None:
        source, parser = utf8_source, HTML_UTF8_PARSER
    else:
        source, parser = text, HTML_PARSER
    root = _document(source, parser)
    if any(_EXCESSIVE_DEPTH in entry.message for entry in parser.error_log):
        # Even with huge_tree libxml2 drops content nested deeper than 2048 levels. Layout wrappers carry no
        # content, so drop them and parse again rather than lose the article.
        # Only up to the last ">": a tag after it cannot close, and each would be scanned to the end (quadratic).
        cut = text.rfind(">") + 1
        root = _document(_LAYOUT_TAGS.sub("", text[:cut]) + text[cut:], HTML_PARSER)
    return root


def _document(source: str | bytes, parser: etree.HTMLParser) -> etree._Element:
    """The root element of an HTML document, or a coded refusal when the markup holds none (nothing but a DOCTYPE
    or a comment)."""
    try:
        root = etree.fromstring(source, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise IngestError(ErrorCode.NOT_AN_ARTICLE, f"the HTML holds no document: {exc}", stage=Stage.LOAD) from None
    if root is None:
        raise IngestError(ErrorCode.NOT_AN_ARTICLE, "the HTML holds no document: Document is empty", stage=Stage.LOAD)
    return root
