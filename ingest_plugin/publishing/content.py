"""Content hashes and version documents: what "changed" means, and what version N+1 looks like.

The hash covers the normalised document *without* the fields we or the clock set per version: an article whose
text, credits and status are the same hashes the same on every run, whatever its ``versionCreated``. The stored
documents hash exactly like the incoming ones, because every field a version bump touches is left out.
"""
from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import datetime, timezone
from typing import Any

from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.parsing.model import INGEST_NOTE

# Set per version by us (version, edNote), by the clock (versionCreated), or kept from v1 whatever the partner
# now says (firstCreated): none of them is a content change.
VOLATILE_FIELDS = frozenset({"version", "versionCreated", "firstCreated", "edNote"})

CANCELED = "canceled"
USABLE = "usable"


def utc_now(timespec: str = "seconds") -> str:
    """An RFC 3339 UTC timestamp ending in ``Z``."""
    return datetime.now(timezone.utc).isoformat(timespec=timespec).replace("+00:00", "Z")


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {_nfc(k): _nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    return value


def content_hash(document: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON (NFC strings, sorted keys) of the document without
    :data:`VOLATILE_FIELDS`.

    The strings are normalised one by one only when the JSON text is not NFC as a whole. When it is, every string in
    it is NFC already: JSON escapes only quotes, backslashes and control characters, which never compose with
    what follows, so a string that is not NFC leaves a witness in the text. One C pass over the text instead of a
    walk over every string of every document (the hash is computed on every publish, new or unchanged).
    """
    stable = {k: v for k, v in document.items() if k not in VOLATILE_FIELDS}
    canonical = json.dumps(stable, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    if not unicodedata.is_normalized("NFC", canonical):
        canonical = json.dumps(_nfc(stable), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(_utf8(canonical)).hexdigest()


def to_bytes(document: dict[str, Any]) -> bytes:
    """The stored form of a document: UTF-8 JSON, key order as built (``uri`` first reads best)."""
    return _utf8(json.dumps(document, ensure_ascii=False, separators=(",", ":")))


def _utf8(text: str) -> bytes:
    """A document's JSON as UTF-8; one holding half a surrogate pair (a hand-made document's lone "\\ud800"
    escape) is an invalid document, not a failure of S3."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise IngestError(ErrorCode.INVALID_DOCUMENT, f"the document holds {error.object[error.start:error.end]!r}, "
                          "half a surrogate pair, which no UTF-8 text can carry", stage=Stage.VALIDATE) from None


def _parse_time(value: Any) -> datetime | None:
    """An aware datetime, or None (absent, unparsable, or without an offset, which cannot be compared)."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else None


def version_document(
    incoming: dict[str, Any],
    number: int,
    previous: dict[str, Any] | None,
    *,
    forced: bool = False,
    reinstated: bool = False,
    restores: int | None = None,
) -> dict[str, Any]:
    """Version ``number`` of an article: ``incoming`` as it stands, re-stamped against the ``previous`` version.

    Later versions keep the ``uri`` and the first version's ``firstCreated``, get a ``versionCreated`` later than the
    previous one (the partner's own update time when it moved on, else now), and an ``edNote`` that says what this
    version is. ``forced`` marks a re-issue of unchanged content (``--force``); ``reinstated`` a killed article
    published again by an editor's explicit reinstatement; ``restores`` the version whose content a repair re-issues
    over versions an interrupted write left behind (they never became current).
    """
    document = dict(incoming)
    document["version"] = str(number)
    if previous is None:
        return document
    if previous.get("firstCreated"):
        document["firstCreated"] = previous["firstCreated"]
    partner_time = _parse_time(incoming.get("versionCreated"))
    previous_time = _parse_time(previous.get("versionCreated"))
    if partner_time is None or previous_time is None or partner_time <= previous_time:
        document["versionCreated"] = utc_now()
    if reinstated:
        note = (f"Reinstated: version {number} publishes this article again after it was killed (an editor's "
                "explicit reinstatement).")
    elif document.get("pubStatus") == CANCELED:
        note = f"Kill: version {number} cancels this article; do not use earlier versions."
    elif forced:
        note = f"Re-issue: version {number} repeats version {number - 1} unchanged (forced re-ingest)."
    elif restores is None:
        note = f"Update: version {number} replaces version {number - 1}; the partner changed the article."
    else:
        note = ""
    if restores is not None:
        skipped = f"version {number - 1}" if number - 1 == restores + 1 else f"versions {restores + 1}-{number - 1}"
        repair = (f"Restore: version {number} repeats version {restores}, the current text; {skipped} never became "
                  "current (left by an interrupted write).")
        note = f"{note} {repair}" if note else repair
    document["edNote"] = f"{note} {incoming['edNote']}" if incoming.get("edNote") else note
    return document


def editor_notes(ed_note: str | None) -> str | None:
    """The parser's notes for the editors in a stored ``edNote`` (a derived headline), without the version note
    ("Update: …") written before them."""
    at = ed_note.find(INGEST_NOTE) if ed_note else -1
    return ed_note[at:] if ed_note and at >= 0 else None
