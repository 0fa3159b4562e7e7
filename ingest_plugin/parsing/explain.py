"""Where each field of a parsed document came from: ``ingest-plugin parse --explain``.

For an editor who wonders where a byline came from, and for a developer whose partner changed theme. The readers
record, as they decide a field, the source or rule that gave it (:attr:`Draft.sources`); credits and the body walk
add theirs; :func:`explain` puts them on the document's own fields, beside what every document gets from the
partner's configuration or from fixed rules.
"""
from __future__ import annotations

from typing import Any

# The draft or article field a source was recorded for -> the document fields it became.
_FIELDS = {
    "headline": ("headlines[main]",),
    "subhead": ("headlines[subhead]",),
    "summary": ("descriptions[summary]",),
    "published": ("firstCreated",),
    "modified": ("versionCreated",),
    "created": ("contentCreated",),
    "language": ("language",),
    "authors": ("by", "infoSources[author]"),
    "editors": ("infoSources[editor]",),
    "distributor": ("infoSources[distributor]",),
    "disclaimer": ("descriptions[disclaimer]",),
    "body": ("bodies[main]",),
    "located": ("located",),
    "keywords": ("subjects",),
    "tickers": ("organisations",),
    "partner_id": ("altIds[partner-id]",),
    "canonical_url": ("altIds[canonical-url]",),
    "pictures": ("associations[picture]",),
    "tweets": ("associations[embed]",),
}
# Fields whose source is always the same rule.
_FIXED = {
    "uri": "the partner's domain and the article key (its partner id, else its canonical URL, else headline and "
           "date): the same for every version",
    "infoSources[origin]": "the partner whose content this is (configuration: name, homepage)",
    "copyrightHolder": "the page's copyright holder when it names a partner, else the partner (configuration)",
    "copyrightNotice": "copyrightHolder and the year of firstCreated",
    "versionCreated": "firstCreated (the input states no later modification)",
    "language": "default: en (the input states none)",
    "by": "default: the partner's name (no person found in any byline source)",
    "edNote": "the parser's note for the receiving editors: what to check before publishing (a headline taken from "
              "the story's first sentence)",
}
_PREVIEW = 120


def explain(document: dict[str, Any], sources: dict[str, str]) -> dict[str, dict[str, Any]]:
    """``{field: {"value": what the document holds (shortened), "from": its source or rule}}`` for every field of
    ``document`` that comes from the input or the partner, in the document's order."""
    by_field = {target: source for name, source in sources.items() for target in _FIELDS.get(name, ())}
    explained: dict[str, dict[str, Any]] = {}
    for path, value in _fields(document):
        source = by_field.get(path) or _FIXED.get(path)
        if source is not None:
            explained[path] = {"value": _preview(value), "from": source}
    return explained


def _fields(document: dict[str, Any]) -> list[tuple[str, Any]]:
    """The document's fields that carry content, named as :data:`_FIELDS` names them (``role`` or ``rel`` in
    brackets for the lists of roles)."""
    fields: list[tuple[str, Any]] = []
    for key in ("uri", "firstCreated", "versionCreated", "contentCreated", "edNote", "language", "by", "located",
                "copyrightHolder", "copyrightNotice"):
        if key in document:
            fields.append((key, document[key]))
    for headline in document.get("headlines", []):
        fields.append((f"headlines[{headline['role']}]", headline["value"]))
    for description in document.get("descriptions", []):
        fields.append((f"descriptions[{description['role']}]", description["value"]))
    roles: dict[str, list[str]] = {}
    for source in document.get("infoSources", []):
        roles.setdefault(source["role"].rsplit("/", 1)[-1], []).append(source["name"])
    for role, names in roles.items():
        fields.append((f"infoSources[{_ROLE_NAMES.get(role, role)}]", names))
    for body in document.get("bodies", []):
        fields.append((f"bodies[{body['role']}]", body["value"]))
    if subjects := document.get("subjects"):
        fields.append(("subjects", [s["name"] for s in subjects]))
    if organisations := document.get("organisations"):
        fields.append(("organisations", [o["name"] for o in organisations]))
    for alt_id in document.get("altIds", []):
        role = "canonical-url" if alt_id["role"] == "canonical-url" else "partner-id"
        fields.append((f"altIds[{role}]", alt_id["value"]))
    kinds: dict[str, list[str]] = {}
    for association in document.get("associations", []):
        kind = "picture" if association.get("type") == "picture" else "embed"
        kinds.setdefault(kind, []).append(association["renditions"][0]["href"])
    fields += [(f"associations[{kind}]", hrefs) for kind, hrefs in kinds.items()]
    return fields


_ROLE_NAMES = {"origcont": "origin"}


def _preview(value: Any) -> Any:
    """Text shortened to what identifies it; lists of names as they are (short)."""
    if isinstance(value, str) and len(value) > _PREVIEW:
        return value[:_PREVIEW - 1] + "…"
    return value
