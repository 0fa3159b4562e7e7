"""The ninjs renderings: strict ninjs 2.2, strict ninjs 1.6, and ``superdesk`` (the 1.x flavour Superdesk's
``NINJSFeedParser`` reads). Each is a pure function of one stored version; docs/renderings.md has the mapping.

A builder returns the rendered document and the canonical fields it could not carry (what the profile's schema
forbids), which the caller logs once per profile and run.
"""
from __future__ import annotations

import html
from typing import Any

from ingest_plugin.parsing.render import common as c

NINJS_22 = {"name": "ninjs", "version": "2.2", "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json"}
NINJS_16 = {"name": "ninjs", "version": "1.6", "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_1.6.json"}
# Superdesk's ninjs author roles, by our content-production-party role.
SUPERDESK_ROLES = {c.AUTHOR: "writer", c.EDITOR: "editor"}
REPRESENTATION_16 = {"full": "complete", "partial": "incomplete"}


def _copy(source: dict[str, Any], target: dict[str, Any], names: dict[str, str]) -> None:
    for ours, theirs in names.items():
        if ours in source:
            target[theirs] = source[ours]


# --- ninjs 2.2 -------------------------------------------------------------------------------------------------------

def _texts22(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        entry = {"role": item["role"]} if "role" in item else {}
        if "contentType" in item:
            entry["contenttype"] = item["contentType"]
        entry["value"] = item["value"]
        out.append(entry)
    return out


def _tweet_in_body(tweet: dict[str, Any], name: str) -> str:
    """A tweet's placeholder with the tweet's own embed inside: a reader whose CMS shows no embeds still sees it."""
    return f'<div data-association="{name}">{c.embed_html(tweet)}</div>'


def to_ninjs22(document: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    dropped: list[str] = []
    out: dict[str, Any] = {"uri": document["uri"], "standard": dict(NINJS_22)}
    _copy(document, out, {"type": "type", "representationType": "representationtype", "profile": "profile",
                          "version": "version", "pubStatus": "pubstatus", "firstCreated": "firstcreated",
                          "versionCreated": "versioncreated", "contentCreated": "contentcreated",
                          "language": "language", "edNote": "ednote"})
    out["headlines"] = _texts22(document["headlines"])
    _copy(document, out, {"by": "by"})
    out["infosources"] = [{k: v for k, v in s.items() if k in ("name", "role", "uri")}
                          for s in document["infoSources"]]
    _copy(document, out, {"copyrightHolder": "copyrightholder", "copyrightNotice": "copyrightnotice"})
    out["descriptions"] = _texts22(document["descriptions"])
    body = document["bodies"][0]
    value = c.replace_markers(body["value"], lambda t: _tweet_in_body(t, t["name"]), c.tweets(document))
    rendered_body: dict[str, Any] = {"role": body["role"], "contenttype": body["contentType"],
                                     "value": c.with_disclaimer(document, value)}
    _copy(body, rendered_body, {"charCount": "charcount", "wordCount": "wordcount"})
    out["bodies"] = [rendered_body]
    _copy(document, out, {"located": "located"})
    if "subjects" in document:
        out["subjects"] = [dict(s) for s in document["subjects"]]
    if "organisations" in document:
        out["organisations"] = [
            {**{k: v for k, v in o.items() if k != "symbols"},
             "symbols": [{("symboltype" if k == "symbolType" else k): v for k, v in s.items()} for s in o["symbols"]]}
            for o in document["organisations"]]
    if "altIds" in document:
        out["altids"] = [dict(a) for a in document["altIds"]]
    associations = []
    for association in document.get("associations", ()):
        if "rel" in association:
            dropped.append("associations[].rel")
        rendered: dict[str, Any] = {"name": association["name"], "uri": association["uri"],
                                    "type": association["type"]}
        _copy(association, rendered, {"by": "by", "copyrightNotice": "copyrightnotice"})
        if association.get("descriptions"):
            rendered["descriptions"] = _texts22(association["descriptions"])
        if association.get("bodies"):
            rendered["bodies"] = _texts22(association["bodies"])
        rendered["renditions"] = [{("contenttype" if k == "contentType" else k): v for k, v in r.items()}
                                  for r in association["renditions"]]
        associations.append(rendered)
    if associations:
        out["associations"] = associations
    return out, sorted(set(dropped))


# --- ninjs 1.6 and Superdesk's flavour -------------------------------------------------------------------------------

def _association_keys16(document: dict[str, Any]) -> dict[str, str]:
    """Our association names -> the keys of 1.6's associations object (``[a-zA-Z0-9_]``): photo-1 -> photo_1."""
    return {a["name"]: a["name"].replace("-", "_") for a in document.get("associations", ())}


def superdesk_keys(document: dict[str, Any]) -> dict[str, str]:
    """Our picture names -> Superdesk's association keys: the featured picture is ``featuremedia``, the pictures in
    the body ``editor_0``, ``editor_1``, … in body order (as Superdesk's editor names them)."""
    keys: dict[str, str] = {}
    inline = 0
    for picture in c.pictures(document):
        if picture.get("rel") == "featured" or picture["name"] == "featured":
            keys[picture["name"]] = "featuremedia"
        else:
            keys[picture["name"]] = f"editor_{inline}"
            inline += 1
    return keys


def _renditions16(picture: dict[str, Any]) -> dict[str, Any]:
    """Name-keyed renditions with ``baseImage`` beside ``original`` (Superdesk reads ``baseImage`` and takes its URL
    from ``original``)."""
    first = picture["renditions"][0]
    rendition: dict[str, Any] = {"href": first["href"]}
    _copy(first, rendition, {"contentType": "mimetype", "width": "width", "height": "height"})
    return {"original": rendition, "baseImage": dict(rendition)}


def _superdesk_figure(picture: dict[str, Any], key: str) -> str:
    """Superdesk's own markup for a picture in the body, between its embed comments."""
    alt = c.description_of(picture, "alt") or c.description_of(picture, "caption") or ""
    caption = c.description_of(picture, "caption")
    figcaption = f"<figcaption>{html.escape(caption, quote=False)}</figcaption>" if caption else ""
    return (f'<!-- EMBED START Image {{id: "{key}"}} --><figure><img src="{html.escape(c.picture_href(picture))}" '
            f'alt="{html.escape(alt)}">{figcaption}</figure><!-- EMBED END Image {{id: "{key}"}} -->')


def to_ninjs16(document: dict[str, Any], *, superdesk: bool = False) -> tuple[dict[str, Any], list[str]]:
    """Strict ninjs 1.6 or, with ``superdesk``, the flavour Superdesk's parser reads: 1.6 plus ``guid``,
    ``authors``, ``source``, ``keywords`` and ``extra``, UTC times without fractions, pictures as
    ``featuremedia``/``editor_N`` with Superdesk's embed markup in the body."""
    dropped: list[str] = []
    time = c.utc_seconds if superdesk else (lambda value: value)
    out: dict[str, Any] = {}
    if superdesk:
        out["guid"] = document["uri"]
    out["uri"] = document["uri"]
    if not superdesk:
        out["$standard"] = dict(NINJS_16)
    out["type"] = document["type"]
    if not superdesk:
        if "representationType" in document:
            out["representationtype"] = REPRESENTATION_16[document["representationType"]]
        _copy(document, out, {"profile": "profile"})
    # Superdesk: standard, representationType and profile describe our document, not the story (and Superdesk's own
    # "profile" names one of its content profiles): not carried, and no loss
    out["version"] = document["version"]
    out["pubstatus"] = document.get("pubStatus", "usable")
    out["firstcreated"] = time(document["firstCreated"])
    out["versioncreated"] = time(document["versionCreated"])
    if "contentCreated" in document and not superdesk:  # Superdesk: in extra
        out["contentcreated"] = document["contentCreated"]
    _copy(document, out, {"language": "language", "edNote": "ednote"})
    out["headline"] = c.headline(document, "main")
    subhead = c.headline(document, "subhead")
    if subhead and not superdesk:
        out["headline_subhead"] = subhead
    _copy(document, out, {"by": "byline"})
    if superdesk:
        authors = [{"name": s["name"], "role": SUPERDESK_ROLES[s["role"]]}
                   for s in document["infoSources"] if s["role"] in SUPERDESK_ROLES]
        if authors:
            out["authors"] = authors
        origin = c.sources(document, c.ORIGIN)
        out["source"] = origin[0]["name"]
    else:
        out["infosource"] = [{"name": s["name"], "scheme": c.ROLE, "code": s["role"][len(c.ROLE):]}
                             for s in document["infoSources"]]
        if any("uri" in s for s in document["infoSources"]):
            dropped.append("infoSources[].uri")
    _copy(document, out, {"copyrightHolder": "copyrightholder", "copyrightNotice": "copyrightnotice"})
    summary = c.descriptions(document, "summary")
    if summary:
        out["description_text"] = summary[0]
    disclaimers = c.descriptions(document, "disclaimer")
    if not superdesk:
        out["description_disclaimer"] = " ".join(disclaimers)
    body = document["bodies"][0]
    keys16 = _association_keys16(document)
    keys = superdesk_keys(document) if superdesk else keys16
    if superdesk:
        value = c.replace_markers(body["value"],
                                  lambda a: _superdesk_figure(a, keys[a["name"]]) if a["type"] == "picture"
                                  else c.embed_html(a), document.get("associations", ()))
    else:
        value = c.replace_markers(body["value"],
                                  lambda a: c.marker(keys16[a["name"]], "figure") if a["type"] == "picture"
                                  else _tweet_in_body(a, keys16[a["name"]]), document.get("associations", ()))
    out["body_html"] = c.with_disclaimer(document, value)
    if not superdesk:
        _copy(body, out, {"charCount": "charcount", "wordCount": "wordcount"})
    _copy(document, out, {"located": "located"})
    keywords = [s["name"] for s in document.get("subjects", ()) if s.get("rel") == "keyword"]
    if superdesk:
        if keywords:
            out["keywords"] = keywords
        out["extra"] = _superdesk_extra(document, subhead, disclaimers)
    else:
        if "subjects" in document:
            out["subject"] = [dict(s) for s in document["subjects"]]
        if "organisations" in document:
            out["organisation"] = [
                {**{k: v for k, v in o.items() if k != "symbols"},
                 "symbols": [{("symboltype" if k == "symbolType" else k): v for k, v in s.items()}
                             for s in o["symbols"]]} for o in document["organisations"]]
        if "altIds" in document:
            out["altids"] = {a["role"]: a["value"] for a in document["altIds"]}
    associations: dict[str, Any] = {}
    ids = c.picture_ids(document) if superdesk else {}
    for association in document.get("associations", ()):
        if "rel" in association and not superdesk:
            dropped.append("associations[].rel")
        if association["type"] == "picture":
            associations[keys[association["name"]]] = _picture16(document, association, ids.get(association["name"]))
        elif not superdesk:  # Superdesk would ingest a tweet association as a story of its own: body only
            associations[keys16[association["name"]]] = _tweet16(association)
    if associations:
        out["associations"] = associations
    return out, sorted(set(dropped))


def _superdesk_extra(document: dict[str, Any], subhead: str | None, disclaimers: list[str]) -> dict[str, str]:
    """What Superdesk has no field for, as strings in ``extra`` (its custom fields)."""
    extra: dict[str, str] = {}
    if document.get("contentCreated"):
        extra["content_created"] = c.utc_seconds(document["contentCreated"])
    if subhead:
        extra["subhead"] = subhead
    if disclaimers:
        extra["disclaimer"] = " ".join(disclaimers)
    distributors = c.sources(document, c.DISTRIBUTOR)
    if distributors:
        extra["distributor"] = ", ".join(s["name"] for s in distributors)
    canonical = c.alt_id(document, "canonical-url")
    if canonical:
        extra["canonical_url"] = canonical
    partner_id = next((a["value"] for a in document.get("altIds", ()) if a["role"] != "canonical-url"), None)
    if partner_id:
        extra["partner_id"] = partner_id
    tickers = [f"{s['exchange']}:{s['symbol']}" if s.get("exchange") else s["symbol"]
               for o in document.get("organisations", ()) for s in o["symbols"]]
    if tickers:
        extra["tickers"] = ", ".join(dict.fromkeys(tickers))
    return extra


def _picture16(document: dict[str, Any], picture: dict[str, Any], stable: str | None) -> dict[str, Any]:
    """A picture association in the 1.6 shape; ``stable``: its own id, for Superdesk (which ingests it as an item)."""
    out: dict[str, Any] = {}
    if stable is not None:
        out.update({"guid": stable, "uri": stable, "type": "picture", "version": document["version"],
                    "pubstatus": document.get("pubStatus", "usable"),
                    "versioncreated": c.utc_seconds(document["versionCreated"])})
    else:
        out.update({"uri": picture["uri"], "type": "picture"})
    _copy(picture, out, {"by": "byline", "copyrightNotice": "copyrightnotice"})
    caption = c.description_of(picture, "caption")
    alt = c.description_of(picture, "alt")
    if caption:
        out["description_text"] = caption
    if alt:
        out["body_text" if stable is not None else "description_alt"] = alt
    out["renditions"] = _renditions16(picture)
    return out


def _tweet16(tweet: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"uri": tweet["uri"], "type": tweet["type"]}
    _copy(tweet, out, {"by": "byline"})
    embed = c.embed_html(tweet)
    if embed:
        out["body_html"] = embed
    first = tweet["renditions"][0]
    rendition: dict[str, Any] = {"href": first["href"]}
    _copy(first, rendition, {"contentType": "mimetype"})
    out["renditions"] = {first.get("name", "web").replace("-", "_"): rendition}
    return out
