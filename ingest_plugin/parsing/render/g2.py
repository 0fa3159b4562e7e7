"""NewsML-G2 2.35: for each version a ``packageItem``, the text ``newsItem`` and one picture ``newsItem`` per photo,
each its own XML document. A pure function of one stored version; docs/renderings.md has the mapping and rules.

- guids: the text item's is the document ``uri``; the package's is ``{uri}:package``; a picture's comes from its
  image URL (``{uri}:picture-{sha256(url)[:16]}``), never its position. Every item carries the version number of
  the article version it renders (a picture unchanged between versions comes again, same guid, higher version).
- a kill (``pubStatus: canceled``) cancels the package, the text and every picture: ``stat:canceled`` on each.
- ``sig:update`` from version 2 on; ``sig:correction`` when the partner marks a correction (a body paragraph or the
  headline starting with "Correction:" / "Corrected:").
- the body is the sanitised HTML as XHTML ``inlineXML``; tweets are inlined as their embed blockquotes, picture
  placeholders dropped (the pictures are the package's other items), the disclaimers end it as paragraphs.
- an inline catalog declares every scheme alias used: IPTC's (so no remote catalog is needed to resolve them) and
  our own (``urn:ingest-plugin:cv:…``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from lxml import etree

from ingest_plugin.parsing.render import common as c

NAR = "http://iptc.org/std/nar/2006-10-01/"
XHTML = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STANDARD_VERSION = "2.35"
NEWS_ITEM_TYPE = "application/vnd.iptc.g2.newsitem+xml"
PACKAGE_ITEM_TYPE = "application/vnd.iptc.g2.packageitem+xml"

# alias -> (scheme URI, the codes we use): the inline catalog, and the codes the checks allow.
SCHEMES: dict[str, tuple[str, frozenset[str] | None]] = {
    "ninat": ("http://cv.iptc.org/newscodes/ninature/", frozenset({"text", "picture", "composite"})),
    "stat": ("http://cv.iptc.org/newscodes/pubstatusg2/", frozenset({"usable", "withheld", "canceled"})),
    "sig": ("http://cv.iptc.org/newscodes/signal/", frozenset({"update", "correction"})),
    "cpprole": ("http://cv.iptc.org/newscodes/contentprodpartyrole/",
                frozenset({"author", "editor", "origcont", "distributor"})),
    "drol": ("http://cv.iptc.org/newscodes/descriptionrole/", frozenset({"summary", "caption"})),
    "cpnat": ("http://cv.iptc.org/newscodes/cpnature/", frozenset({"organisation"})),
    # ours
    "iphlrole": ("urn:ingest-plugin:cv:headlinerole:", None),  # ninjs's headline roles: open ("subhead", "kicker")
    "ipdrole": ("urn:ingest-plugin:cv:descriptionrole:", frozenset({"disclaimer", "alt"})),
    "ipidtype": ("urn:ingest-plugin:cv:idtype:", None),  # the partners' altIds roles: open
    "ipgroup": ("urn:ingest-plugin:cv:grouprole:", frozenset({"main"})),
}
_G2_ROLE = {c.AUTHOR: "cpprole:author", c.EDITOR: "cpprole:editor", c.ORIGIN: "cpprole:origcont",
            c.DISTRIBUTOR: "cpprole:distributor"}
_CORRECTION = ("correction:", "corrected:", "correction -", "correction –", "correction —")
_CORRECTION_LENGTH = max(map(len, _CORRECTION))
# Characters XML 1.0 cannot hold (C0 controls but tab, newline, carriage return): dropped from text.
NOT_XML = {n: None for n in (*range(0, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF)}
_NOT_XML_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class G2Item:
    part: str  # "package", "text" or "picture-<hex>": the object's leaf is v{N}.newsml-g2[.{part}].xml
    guid: str
    body: bytes
    content_type: str


# The items are written as text: a template per element with its text and attributes escaped (XML 1.0, characters it
# cannot hold dropped). Four times faster than lxml's element API for items this small; the checks parse the result
# back, so a mistake here cannot reach a receiver.
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;",  # a parser reads a bare CR as LF
                               **{chr(n): None for n in NOT_XML}})
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;",
                                    "\n": "&#10;", "\r": "&#13;", **{chr(n): None for n in NOT_XML}})


# XML 1.0's forbidden characters: one character class, searched once (linear); the slow translation only runs when
# one is there.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    if _FORBIDDEN.search(value):
        return value.translate(_TEXT_ESCAPES)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: str) -> str:
    if _FORBIDDEN.search(value) or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ATTRIBUTE_ESCAPES)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _attributes(attributes: dict[str, str | None]) -> str:
    return "".join(f' {name}="{_attribute(value)}"' for name, value in attributes.items() if value is not None)


def _open_code(role: str) -> str:
    """A ninjs role as the code of an open scheme of ours: percent-encoded past letters, digits and ``-._~``, as in
    the URI the scheme and the code make (a role may hold a space; a QCode's code cannot)."""
    return quote(role, safe="-._~")


def _e(name: str, text: str | None = None, **attributes: str | None) -> str:
    """One element: ``<name a="…">text</name>``, or ``<name a="…"/>``."""
    if text is None:
        return f"<{name}{_attributes(attributes)}/>"
    return f"<{name}{_attributes(attributes)}>{_text(text)}</{name}>"


def _named(name: str, party_name: str, **attributes: str | None) -> str:
    """A party or concept with a ``name`` child: ``<creator role="…"><name>…</name></creator>``."""
    return f"<{name}{_attributes(attributes)}><name>{_text(party_name)}</name></{name}>"


_CATALOG = "<catalog>" + "".join(_e("scheme", alias=alias, uri=uri) for alias, (uri, _) in SCHEMES.items()) \
    + "</catalog>"


def _item(kind: str, guid: str, document: dict[str, Any], parts: list[str]) -> bytes:
    language = f' xml:lang="{_attribute(document["language"])}"' if document.get("language") else ""
    head = (f"<?xml version='1.0' encoding='UTF-8'?>\n<{kind} xmlns=\"{NAR}\""
            f"{_attributes({'guid': guid, 'version': document['version']})} standard=\"NewsML-G2\" "
            f'standardversion="{STANDARD_VERSION}" conformance="power"{language}>')
    return (head + _CATALOG + "".join(parts) + f"</{kind}>").encode("utf-8")


def _rights(holder: str | None, holder_uri: str | None, notice: str | None) -> str:
    if not (holder or notice):
        return ""
    inner = _named("copyrightHolder", holder, uri=holder_uri) if holder else ""
    if notice:
        inner += _e("copyrightNotice", notice)
    return f"<rightsInfo>{inner}</rightsInfo>"


def _status(document: dict[str, Any]) -> str:
    return "stat:" + document.get("pubStatus", "usable")


def is_correction(document: dict[str, Any], body: etree._Element) -> bool:
    """Whether the partner marks this version a correction: the headline, or a paragraph of the body, starts with
    "Correction:" or "Corrected:" (plain prefix tests: no pattern runs on the text; of a paragraph, only its first
    words are read)."""
    texts = [c.headline(document, "main") or ""]
    texts += [_opening(p) for p in body.iter("p")]
    return any(text.strip().lower().startswith(_CORRECTION) for text in texts)


def _opening(paragraph: etree._Element) -> str:
    """The start of a paragraph's text past its leading white space: at least as many characters as the longest
    correction mark holds. Each piece is read once (white space a paragraph opens with may be most of it)."""
    pieces: list[str] = []
    length = 0
    for piece in paragraph.itertext():
        if not pieces and not (piece := piece.lstrip()):
            continue
        pieces.append(piece)
        length += len(piece)
        if length > _CORRECTION_LENGTH:
            break
    return "".join(pieces)


def _item_meta(document: dict[str, Any], item_class: str, provider: c.Provider, signals: list[str],
               ednote: bool) -> str:
    parts = [_e("itemClass", qcode=item_class), _named("provider", provider.name, uri=provider.uri),
             _e("versionCreated", document["versionCreated"]), _e("firstCreated", document["firstCreated"]),
             _e("pubStatus", qcode=_status(document))]
    if ednote and document.get("edNote"):
        parts.append(_e("edNote", document["edNote"]))
    parts += [_e("signal", qcode=signal) for signal in signals]
    return "<itemMeta>" + "".join(parts) + "</itemMeta>"


def _body_tree(document: dict[str, Any]) -> etree._Element:
    """The body as one HTML tree: tweets inlined, picture placeholders dropped, disclaimers last."""
    tweets = {t["name"]: t for t in c.tweets(document)}
    fragment: etree._Element = c.parse_fragment(c.body_html(document))
    for placeholder in list(fragment.iterfind(".//*[@data-association]")):
        name = placeholder.get("data-association")
        parent = placeholder.getparent()
        if parent is None:
            continue
        if placeholder.tag == "div" and name in tweets:
            index = parent.index(placeholder)
            for offset, element in enumerate(c.parse_fragment(c.embed_html(tweets[name]))):
                parent.insert(index + offset, element)
        if placeholder.tail:
            _append_text(placeholder, placeholder.tail)
        parent.remove(placeholder)
    for disclaimer in c.descriptions(document, "disclaimer"):  # as it stands: an HTML parser reads CR LF as LF
        etree.SubElement(fragment, "p").text = disclaimer.translate(NOT_XML)
    for comment in [e for e in fragment.iter() if not isinstance(e.tag, str)]:
        parent = comment.getparent()
        if parent is not None:  # the sanitiser keeps none; drop any, keeping the text after it
            if comment.tail:
                _append_text(comment, comment.tail)
            parent.remove(comment)
    return fragment


def _xhtml(document: dict[str, Any], body: etree._Element) -> str:
    """The body tree as XHTML: its elements serialized as XML without a namespace, inside an ``html`` element that
    declares XHTML as the default namespace, so that every element of it is an XHTML element."""
    markup = etree.tostring(body, encoding="unicode", method="xml")
    if _NOT_XML_CHARACTER.search(markup):  # rare: a translation reads every character of the body
        markup = markup.translate(NOT_XML)
    inner = markup[len("<div>"):-len("</div>")] if markup.startswith("<div>") else ""
    title = _text(c.headline(document, "main") or "")
    return f'<html xmlns="{XHTML}"><head><title>{title}</title></head><body>{inner}</body></html>'


def _append_text(element: etree._Element, text: str) -> None:
    previous = element.getprevious()
    parent = element.getparent()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    elif parent is not None:
        parent.text = (parent.text or "") + text


def _dateline(document: dict[str, Any]) -> str | None:
    located = document.get("located")
    if not located:
        return None
    first = datetime.fromisoformat(document["firstCreated"])
    return f"{located}, {first.strftime('%B')} {first.day}, {first.year}"


def to_g2(document: dict[str, Any]) -> tuple[list[G2Item], list[str]]:
    """The text item, the picture items and the package of one version (written in this order: the package last,
    so its presence says every item it names is there); and the canonical fields G2 cannot carry."""
    provider = c.provider(document)
    dropped: list[str] = []
    number = int(document["version"])
    body = _body_tree(document)
    signals = ["sig:update"] if number > 1 else []
    if is_correction(document, body):
        signals.append("sig:correction")
    origin = c.sources(document, c.ORIGIN)
    holder_uri = origin[0].get("uri") if origin and origin[0]["name"] == document.get("copyrightHolder") else None
    rights = _rights(document.get("copyrightHolder"), holder_uri, document.get("copyrightNotice"))
    headline = c.headline(document, "main") or ""

    # the text item
    meta: list[str] = []
    if document.get("contentCreated"):
        meta.append(_e("contentCreated", document["contentCreated"]))
    if document.get("located"):
        meta.append(_named("located", document["located"]))
    sources = document["infoSources"]
    meta += [_named("infoSource", s["name"], role=_G2_ROLE[s["role"]], uri=s.get("uri"))
             for s in sources if s["role"] in (c.ORIGIN, c.DISTRIBUTOR)]
    meta += [_named("creator", s["name"], role="cpprole:author") for s in sources if s["role"] == c.AUTHOR]
    meta += [_named("contributor", s["name"], role="cpprole:editor") for s in sources if s["role"] == c.EDITOR]
    meta += [_e("altId", alt["value"], type=f"ipidtype:{_open_code(alt['role'])}")
             for alt in document.get("altIds", ())]
    if document.get("language"):
        meta.append(_e("language", tag=document["language"]))
    meta += [_e("keyword", subject["name"]) for subject in document.get("subjects", ())]
    for organisation in document.get("organisations", ()):
        meta.append(_named("subject", organisation["name"], type="cpnat:organisation"))
        dropped.append("organisations[].symbols")
    # The main headline first, where a receiver looks for it; a headline without a role (or an empty one), as in
    # ninjs, has none.
    meta += [_e("headline", h["value"],
                role=f"iphlrole:{_open_code(h['role'])}" if h.get("role") not in (None, "", "main") else None)
             for h in sorted(document["headlines"], key=lambda h: h.get("role") != "main")]
    dateline = _dateline(document)
    if dateline:
        meta.append(_e("dateline", dateline))
    if document.get("by"):
        meta.append(_e("by", document["by"]))
    for description in document["descriptions"]:
        role = {"summary": "drol:summary", "disclaimer": "ipdrole:disclaimer"}.get(description["role"])
        if role:
            meta.append(_e("description", description["value"], role=role))
    word_count = document["bodies"][0].get("wordCount")
    inline = f'<inlineXML contenttype="application/xhtml+xml"' \
             f'{_attributes({"wordcount": None if word_count is None else str(word_count)})}>' \
             f"{_xhtml(document, body)}</inlineXML>"
    items = [G2Item("text", document["uri"], _item("newsItem", document["uri"], document, [
        rights, _item_meta(document, "ninat:text", provider, signals, ednote=True),
        "<contentMeta>" + "".join(meta) + "</contentMeta>", f"<contentSet>{inline}</contentSet>"]), NEWS_ITEM_TYPE)]

    # the picture items
    references = [_e("itemClass", qcode="ninat:text"), _e("pubStatus", qcode=_status(document)),
                  _e("title", headline)]
    refs = [f'<itemRef{_attributes({"residref": document["uri"], "version": document["version"]})} '
            f'contenttype="{NEWS_ITEM_TYPE}">' + "".join(references) + "</itemRef>"]
    guids = c.picture_ids(document)
    for picture in c.pictures(document):
        guid = guids[picture["name"]]
        notice = picture.get("copyrightNotice")
        picture_meta = [_named("creator", picture["by"], role="cpprole:author")] if picture.get("by") else []
        caption, alt = c.description_of(picture, "caption"), c.description_of(picture, "alt")
        if caption:
            picture_meta.append(_e("description", caption, role="drol:caption"))
        if alt:
            picture_meta.append(_e("description", alt, role="ipdrole:alt"))
        if notice:
            picture_meta.append(_e("creditline", notice))
        rendition = picture["renditions"][0]
        remote = _e("remoteContent", href=rendition["href"], contenttype=rendition.get("contentType"),
                    width=str(rendition["width"]) if rendition.get("width") else None,
                    height=str(rendition["height"]) if rendition.get("height") else None)
        items.append(G2Item(c.picture_slug(guid), guid, _item("newsItem", guid, document, [
            _rights(None if notice else document.get("copyrightHolder"), None if notice else holder_uri,
                    notice or document.get("copyrightNotice")),
            _item_meta(document, "ninat:picture", provider, signals, ednote=False),
            "<contentMeta>" + "".join(picture_meta) + "</contentMeta>", f"<contentSet>{remote}</contentSet>"]),
            NEWS_ITEM_TYPE))
        refs.append(f'<itemRef{_attributes({"residref": guid, "version": document["version"]})} '
                    f'contenttype="{NEWS_ITEM_TYPE}">' + _e("itemClass", qcode="ninat:picture")
                    + _e("pubStatus", qcode=_status(document))
                    + (_e("description", caption, role="drol:caption") if caption else "") + "</itemRef>")

    # the package, last
    package_guid = f"{document['uri']}:package"
    items.append(G2Item("package", package_guid, _item("packageItem", package_guid, document, [
        rights, _item_meta(document, "ninat:composite", provider, signals, ednote=False),
        "<contentMeta>" + _e("headline", headline) + "</contentMeta>",
        '<groupSet root="G1"><group id="G1" role="ipgroup:main">' + "".join(refs) + "</group></groupSet>"]),
        PACKAGE_ITEM_TYPE))
    if any(t.get("rel") for t in c.tweets(document)):
        dropped.append("associations[type=text] (tweets: inlined in the body)")
    return items, sorted(set(dropped))
