"""The last gate of every rendering: our own strict schema (``schemas/rendering-*.schema.json``, written from the
official ninjs 2.2 and 1.6 specifications, as ``ninjs-profile.schema.json`` was from 3.1) and the rules a schema
cannot express; for NewsML-G2, our own checks of the required elements, the codes used and the body allow-list (the
XSD checks none of the body, and no code). The official schemas and the XSD themselves are applied by the tests,
read from the reference copies; the project ships none of IPTC's files.

Each check returns the problems it found, one readable line each; empty means the rendering may be written.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import jsonschema_rs
from lxml import etree

from ingest_plugin.parsing.render import common as c
from ingest_plugin.parsing.render.g2 import NAR, NOT_XML, SCHEMES, XHTML
from ingest_plugin.schemas import compile_validator, load_schema

SCHEMA_FILES = {"ninjs-2.2": "rendering-ninjs-2.2.schema.json", "ninjs-1.6": "rendering-ninjs-1.6.schema.json",
                "superdesk": "rendering-superdesk.schema.json"}


@lru_cache(maxsize=None)
def _validators(profile: str) -> tuple[Any, Any]:
    """(the fast jsonschema-rs gate, the jsonschema validator that explains a failure), compiled once."""
    schema = load_schema(SCHEMA_FILES[profile])
    return (jsonschema_rs.Draft202012Validator(schema, validate_formats=True, offline=True),
            compile_validator(schema))


def schema_problems(profile: str, rendered: dict[str, Any]) -> list[str]:
    gate, explain = _validators(profile)
    if gate.is_valid(rendered):
        return []
    found = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
             for e in sorted(explain.iter_errors(rendered), key=lambda e: list(map(str, e.absolute_path)))]
    return found or ["(root): rejected by the rendering schema"]


def _superdesk_comment(keys: frozenset[str]) -> Any:
    allowed = {f' EMBED {edge} Image {{id: "{key}"}} ' for key in keys for edge in ("START", "END")}
    return lambda text: text in allowed


def json_problems(profile: str, document: dict[str, Any], rendered: dict[str, Any]) -> list[str]:
    """Schema, then rules: the body and every embed on the allow-list, the body's placeholders naming exactly the
    associations it shows, the disclaimers ending the body."""
    found = schema_problems(profile, rendered)
    if found:
        return found
    if profile == "ninjs-2.2":
        body_path, body = "bodies/0/value", rendered["bodies"][0]["value"]
        associations = {a["name"]: a for a in rendered.get("associations", ())}
        embeds = [(f"associations/{n}/bodies/{m}/value", b["value"])
                  for n, a in enumerate(rendered.get("associations", ())) for m, b in enumerate(a.get("bodies", ()))]
    else:
        body_path, body = "body_html", rendered["body_html"]
        associations = dict(rendered.get("associations", {}))
        embeds = [(f"associations/{k}/body_html", a["body_html"]) for k, a in associations.items()
                  if "body_html" in a]
    policy = c.BODY_POLICY
    if profile == "superdesk":
        hrefs = frozenset(a["renditions"]["original"]["href"] for a in associations.values())
        policy = c.BodyPolicy(tags=policy.tags | {"img"}, attributes={**policy.attributes,
                                                                       "img": frozenset({"src", "alt"})},
                              classes=policy.classes, comments=_superdesk_comment(frozenset(associations)),
                              image_sources=hrefs)
    root = c.parse_fragment(body)
    found += list(c.body_problems(body_path, root, policy))
    for path, markup in embeds:
        found += list(c.body_problems(path, c.parse_fragment(markup), c.EMBED_POLICY))
    placeholders = [e.get("data-association") for e in root.iterfind(".//*[@data-association]")]
    if profile == "superdesk":
        starts = {element.text for element in root.iter(etree.Comment) if element.text}
        shown = {key for key in associations if f' EMBED START Image {{id: "{key}"}} ' in starts}
        expected = {key for key in associations if key != "featuremedia"}
        if placeholders:
            found.append(f"{body_path}: placeholders {sorted(map(str, placeholders))} left in a Superdesk body")
        if shown != expected:
            found.append(f"{body_path}: the body shows pictures {sorted(shown)}, the associations are "
                         f"{sorted(expected)}")
    else:
        inline = {k for k, a in associations.items() if k not in ("featured",) and not k.startswith("featured")}
        if set(placeholders) != inline or len(placeholders) != len(set(placeholders)):
            found.append(f"{body_path}: placeholders {sorted(map(str, placeholders))} do not match the associations "
                         f"{sorted(inline)}")
    if not c.ends_with_disclaimers(document, body):
        found.append(f"{body_path}: does not end with the partner disclaimer as its own paragraph")
    return found


# --- NewsML-G2 ---------------------------------------------------------------------------------------------------

_QCODE_ATTRIBUTES = ("qcode", "role", "type", "rel")
# The NewsML-G2 elements that hold a code (the XHTML body is in another namespace, so never among them).
# "/descendant::" rather than "//", which libxml2 expands into a step over every node of the item.
_CODED = etree.XPath("/descendant::g2:*[@qcode or @role or @type or @rel]", namespaces={"g2": NAR})
# A code of an open scheme of ours (a ninjs role, a partner's id role), percent-encoded: what a QCode can hold after
# its colon, and a URI after the scheme's (no space, no reserved character).
_OPEN_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%")


_LOCAL = threading.local()


def _parser() -> etree.XMLParser:
    """One safe XML parser per thread (a parser is not to be shared between threads; making one costs more than
    parsing a small item)."""
    parser: etree.XMLParser | None = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return parser


def well_formed(data: bytes) -> bool:
    """Whether ``data`` is one well-formed XML document (read with the safe parser)."""
    try:
        etree.fromstring(data, _parser())
    except etree.XMLSyntaxError:
        return False
    return True


def _n(name: str) -> str:
    return f"{{{NAR}}}{name}"


def _code_problem(where: str, value: str, aliases: dict[str, str]) -> str | None:
    alias, colon, code = value.partition(":")
    if not colon or not alias or not code:
        return f"{where}: {value!r} is not a QCode (alias:code)"
    if alias not in aliases:
        return f"{where}: the scheme alias {alias!r} is not in the item's catalog"
    allowed = SCHEMES.get(alias, ("", frozenset()))[1]
    if aliases[alias] != SCHEMES.get(alias, ("",))[0]:
        return f"{where}: the catalog maps {alias!r} to {aliases[alias]!r}, not {SCHEMES.get(alias, ('?',))[0]!r}"
    if allowed is None:
        return None if set(code) <= _OPEN_CODE_CHARS else f"{where}: {value!r} is not a code of {alias!r}"
    return None if code in allowed else f"{where}: {code!r} is not a code of {alias!r} ({', '.join(sorted(allowed))})"


def g2_problems(part: str, data: bytes, document: dict[str, Any]) -> list[str]:
    """Our own checks of one G2 item: what a receiver needs and the XSD does not hold us to."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        return [f"{part}: not well-formed XML: {error}"]
    found: list[str] = []
    kind = etree.QName(root).localname
    expected_kind = "packageItem" if part == "package" else "newsItem"
    if root.tag != _n(expected_kind):
        return [f"{part}: the root is {root.tag!r}, not a NewsML-G2 {expected_kind}"]
    for name, want in (("standard", "NewsML-G2"), ("standardversion", "2.35"), ("version", document["version"])):
        if root.get(name) != want:
            found.append(f"{part}: @{name} is {root.get(name)!r}, not {want!r}")
    if not root.get("guid"):
        found.append(f"{part}: no @guid")
    aliases = {s.get("alias", ""): s.get("uri", "") for s in root.iterfind(f"{_n('catalog')}/{_n('scheme')}")}
    # every code used, wherever it is, outside the XHTML body
    for element in _CODED(root):
        for attribute in _QCODE_ATTRIBUTES:
            value = element.get(attribute)
            if value is not None and (problem := _code_problem(f"{part}: {etree.QName(element).localname}/@"
                                                               f"{attribute}", value, aliases)):
                found.append(problem)
    meta = root.find(_n("itemMeta"))
    if meta is None:
        return found + [f"{part}: no itemMeta"]
    item_class = {"package": "ninat:composite", "text": "ninat:text"}.get(part, "ninat:picture")
    item_class_element = meta.find(_n("itemClass"))
    if item_class_element is None or item_class_element.get("qcode") != item_class:
        found.append(f"{part}: itemMeta/itemClass is not {item_class}")
    provider = meta.find(_n("provider"))
    if provider is None or not provider.get("uri") or not provider.findtext(_n("name")):
        found.append(f"{part}: itemMeta/provider needs a uri and a name")
    for name in ("versionCreated", "firstCreated"):
        if not c.is_rfc3339(meta.findtext(_n(name))):
            found.append(f"{part}: itemMeta/{name} is missing or not an RFC 3339 time")
    status = meta.find(_n("pubStatus"))
    if status is None or status.get("qcode") != "stat:" + document.get("pubStatus", "usable"):
        found.append(f"{part}: itemMeta/pubStatus does not say the document's status")
    content_meta = root.find(_n("contentMeta"))
    parties = [] if content_meta is None else content_meta.iterchildren(_n("creator"), _n("contributor"),
                                                                         _n("infoSource"))
    for party in parties:
        name = etree.QName(party).localname
        if not party.get("role"):
            found.append(f"{part}: a {name} without a role")
        if not (party.findtext(_n("name")) or "").strip():
            found.append(f"{part}: a {name} without a name")
    if kind == "packageItem":
        refs = root.findall(f"{_n('groupSet')}/{_n('group')}/{_n('itemRef')}")
        if not refs or refs[0].get("residref") != document["uri"]:
            found.append(f"{part}: the package's first itemRef is not the text item")
        for ref in refs:
            if ref.get("version") != document["version"] or not ref.get("residref"):
                found.append(f"{part}: an itemRef without the item's guid and version")
    elif part == "text":
        if not (root.findtext(f"{_n('contentMeta')}/{_n('headline')}") or "").strip():
            found.append(f"{part}: no headline")
        found += _xhtml_problems(part, root, document)
    else:
        remote = root.find(f"{_n('contentSet')}/{_n('remoteContent')}")
        if remote is None or not c._web_url(remote.get("href") or "", mailto=False):
            found.append(f"{part}: no remoteContent with an http(s) href")
    return found


def _xhtml_problems(part: str, root: etree._Element, document: dict[str, Any]) -> list[str]:
    inline = root.find(f"{_n('contentSet')}/{_n('inlineXML')}")
    if inline is None or inline.get("contenttype") != "application/xhtml+xml":
        return [f"{part}: no XHTML inlineXML body"]
    html_root = inline.find(f"{{{XHTML}}}html")
    body = html_root.find(f"{{{XHTML}}}body") if html_root is not None else None
    if html_root is None or body is None or len(inline) != 1 or len(body) == 0:
        return [f"{part}: inlineXML holds no XHTML html/body with content"]
    found = [problem for problem in c.body_problems(f"{part}: inlineXML", html_root, c.BODY_POLICY,
                                                    skip=frozenset({"head", "title", "body"}))]
    if any(element.get("data-association") for element in body.iter() if isinstance(element.tag, str)):
        found.append(f"{part}: body placeholders left in the XHTML body")
    disclaimers = [text.translate(NOT_XML) for text in c.descriptions(document, "disclaimer")]  # as XML holds them
    tail = [p.text for p in body[-len(disclaimers):]] if len(body) else []
    if disclaimers and tail != disclaimers:
        found.append(f"{part}: the XHTML body does not end with the partner disclaimer as its own paragraph")
    return found
