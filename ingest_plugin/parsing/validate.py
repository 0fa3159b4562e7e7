"""Stage 6, validate: every document passes our strict ninjs profile (``schemas/``) and the rules a schema
cannot express, before anything leaves the process. It is the last gate for every writer (the parser, ``publish``
of hand-edited documents, spool flushes, replays): every URL is held to the one URL policy (``urls``) and every
HTML body to the sanitiser's allow-list, so that what the parse path guarantees holds for any document written.

The validator is compiled once, with format checking on (``uri``, ``date-time``) and no remote ``$ref`` fetches.
A start-up self-test proves the format checkers are really installed: jsonschema silently skips a format whose
backing library is missing.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import jsonschema_rs

from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.parsing.sanitize import is_clean_body, is_clean_embed
from ingest_plugin.parsing.urls import Use, url_problem
from ingest_plugin.partners import by_key
from ingest_plugin.partners.identity import Identity
from ingest_plugin.schemas import compile_validator, load_schema

PROFILE_SCHEMA_NAME = "ninjs-profile.schema.json"
_AUTHOR = "http://cv.iptc.org/newscodes/contentprodpartyrole/author"
_EDITOR = "http://cv.iptc.org/newscodes/contentprodpartyrole/editor"
_ORIGIN = "http://cv.iptc.org/newscodes/contentprodpartyrole/origcont"
# A value that starts with a URI scheme: an altId holding one is a URL, whatever its role.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_PLACEHOLDER = re.compile(r'data-association="([^"]+)"')
# ASCII characters other than capitals, "i" and "k": see _Lowered.
_PROBE = re.compile(r"[^A-Zik\x80-\U0010ffff]+")


_PROFILE_SCHEMA = load_schema(PROFILE_SCHEMA_NAME)
_PROFILE = compile_validator(_PROFILE_SCHEMA)
# The fast gate: jsonschema-rs answers "valid?" in microseconds; the jsonschema validator above only runs to
# explain a failure. tests/test_validate.py keeps the two in agreement.
_GATE = jsonschema_rs.Draft202012Validator(_PROFILE_SCHEMA, validate_formats=True, offline=True)


def _self_test() -> None:
    probe = {"uri": "not a uri", "firstCreated": "2024-03-12T16:40:00"}
    failed = {e.validator for e in _PROFILE.iter_errors(probe) if e.validator == "format"}
    checked = {e.instance for e in _PROFILE.iter_errors(probe) if e.validator == "format"}
    if failed != {"format"} or not {"not a uri", "2024-03-12T16:40:00"} <= checked:
        raise RuntimeError("jsonschema format checkers for uri/date-time are missing: install rfc3986-validator "
                           "and rfc3339-validator")


_self_test()


def schema_problems(doc: dict[str, Any]) -> list[str]:
    """Why the document fails our profile schema, one readable line per error (jsonschema's messages)."""
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in sorted(_PROFILE.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]


def problems(doc: dict[str, Any]) -> list[str]:
    """Every reason the document may not be published, readable by an editor; empty when it is fine."""
    try:
        return _problems(doc)
    except UnicodeEncodeError as error:  # a hand-made document's JSON escape of half a surrogate pair: no character
        return [f"holds {error.object[error.start:error.end]!r}, half a surrogate pair, no character"]


def _problems(doc: dict[str, Any]) -> list[str]:
    if not _GATE.is_valid(doc):
        return schema_problems(doc) or ["(root): rejected by the profile schema"]
    found: list[str] = []
    sources = doc["infoSources"]
    authors = {s["name"].lower() for s in sources if s["role"] == _AUTHOR}
    editors = {s["name"].lower() for s in sources if s["role"] == _EDITOR}
    if authors & editors:
        found.append(f"infoSources: {sorted(authors & editors)} credited as both author and editor")
    body = _Lowered(doc["bodies"][0]["value"])
    for description in doc["descriptions"]:
        if description["role"] == "disclaimer" and description["value"].lower().rstrip(".") in body:
            found.append(f"bodies: the disclaimer {description['value']!r} is still in the body")
    placeholders = set(_PLACEHOLDER.findall(doc["bodies"][0]["value"]))
    inline = {a["name"] for a in doc.get("associations", []) if a.get("rel") in ("inline", "embedded")}
    if placeholders != inline:
        found.append(f"associations: body placeholders {sorted(placeholders)} do not match {sorted(inline)}")
    try:
        if datetime.fromisoformat(doc["firstCreated"]) > datetime.fromisoformat(doc["versionCreated"]):
            found.append("versionCreated: earlier than firstCreated")
    except ValueError as error:  # RFC 3339 allows a leap second (23:59:60), which no receiver's clock holds
        found.append(f"firstCreated/versionCreated: not a time a receiver can read ({error})")
    return found + _markup_problems(doc) + _url_problems(doc)


def _url_problems(doc: dict[str, Any]) -> list[str]:
    """Every URL of the document against the URL policy of the partner its ``uri`` names, and the origin it credits
    against that partner. The profile schema closes every object, so these are all the URLs a document can hold
    (tests/test_validate.py checks the list against the schema's)."""
    try:
        partner = by_key(Identity.of_uri(doc["uri"]).partner)
    except IngestError as error:
        return [f"uri: {error.message}"]
    found = [f"infoSources/{n}/name: the origin credited is not {partner.name}, whose article the uri names"
             for n, source in enumerate(doc["infoSources"])
             if source["role"] == _ORIGIN and source["name"] != partner.name]
    urls: list[tuple[str, Any, Use]] = [
        (f"infoSources/{n}/uri", source["uri"], Use.PAGE if source["role"] == _ORIGIN else Use.LINK)
        for n, source in enumerate(doc["infoSources"]) if "uri" in source]
    urls += [(f"altIds/{n}/value", alt["value"], Use.PAGE) for n, alt in enumerate(doc.get("altIds", ()))
             if alt["role"] == "canonical-url" or _SCHEME.match(alt["value"])]
    urls += [(f"organisations/{n}/symbols/{m}/symbolType", symbol["symbolType"], Use.LINK)
             for n, organisation in enumerate(doc.get("organisations", ()))
             for m, symbol in enumerate(organisation["symbols"]) if "symbolType" in symbol]
    for n, association in enumerate(doc.get("associations", ())):
        use = Use.MEDIA if association["type"] == "picture" else Use.EMBED
        if use is Use.EMBED:  # a picture's uri is a URN the schema checks; an embed's is the embedded post
            urls.append((f"associations/{n}/uri", association["uri"], use))
        urls += [(f"associations/{n}/renditions/{m}/href", rendition["href"], use)
                 for m, rendition in enumerate(association["renditions"])]
    return found + [f"{path}: {problem}" for path, url, use in urls if (problem := url_problem(url, partner, use))]


def _markup_problems(doc: dict[str, Any]) -> list[str]:
    """Every HTML body and embed against the sanitiser's allow-list: one the sanitiser would change holds a tag, an
    attribute or a URL it does not allow (a hand-edited ``<script>`` or ``onerror``)."""
    found = [f"bodies/{n}/value: holds markup the body allow-list does not keep (a tag, attribute or link URL)"
             for n, body in enumerate(doc["bodies"]) if not is_clean_body(body["value"])]
    return found + [f"associations/{n}/bodies/{m}/value: holds markup the embed allow-list does not keep"
                    for n, association in enumerate(doc.get("associations", ()))
                    for m, body in enumerate(association.get("bodies", ())) if not is_clean_embed(body["value"])]


class _Lowered:
    """``needle in text.lower()``, lowering ``text`` only when a cheap test cannot rule the needle out: str.lower()
    is slow on non-ASCII text, and a disclaimer is almost never still in the body.

    Of what a non-ASCII character lowers to, only "i" (from "İ") and "k" (from the Kelvin sign) is ASCII, so a run
    of the needle's ASCII characters without those (or capitals, which no lowered text holds) can only be in
    ``text.lower()`` where it is in ``text`` in ASCII upper or lower case: that is, in the text's UTF-8 bytes with
    their ASCII letters lowered.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._ascii_lowered: bytes | None = None
        self._lowered: str | None = None

    def __contains__(self, needle: str) -> bool:
        probe = max(_PROBE.findall(needle), key=len, default="")
        if probe:
            if self._ascii_lowered is None:
                self._ascii_lowered = self.text.encode("utf-8", "surrogatepass").lower()
            if probe.encode("ascii") not in self._ascii_lowered:
                return False
        if self._lowered is None:
            self._lowered = self.text.lower()
        return needle in self._lowered


def validate_document(doc: dict[str, Any]) -> None:
    """Raise ``invalid_document`` naming every problem, or return quietly."""
    found = problems(doc)
    if found:
        raise IngestError(ErrorCode.INVALID_DOCUMENT, "; ".join(found[:10]), stage=Stage.VALIDATE)
