"""Standard Webhooks v1, the protocol half of the webhook: signing, verifying and the thin payload.

HMAC-SHA256 over ``id.timestamp.body`` with ``whsec_`` secrets (several at once, for rotation), a timestamp window,
constant-time comparison; the payload checked against ``schemas/webhook-payload.schema.json``, then again with
whole-string matches and the fetcher's own host rule (:func:`~ingest_plugin.transport.fetch.plain_host_problem`).
No I/O here.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from jsonschema.exceptions import best_match

from ingest_plugin.partners import ARTICLE_ID, registry
from ingest_plugin.schemas import compile_validator, load_schema
from ingest_plugin.transport.fetch import plain_host_problem

SECRET_PREFIX = "whsec_"
MIN_SECRET_BYTES = 24  # the spec asks for 24 to 64 random bytes
DEFAULT_TOLERANCE = 300  # seconds either side of our clock, as the reference library
MAX_SIGNATURES = 10  # entries of webhook-signature we look at: rotation needs two, more is only CPU for attackers
HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
# No "." in ids: the signed content is "id.timestamp.body", so a dotted id could be re-split into another message.
# Ids are also log fields and dedupe keys; a UUID, a ULID or Svix's "msg_…" all fit.
WEBHOOK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:-]{0,127}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
# The schema's patterns again, matched against the whole string (a pattern is a search, and Python's "$" also
# matches before a final newline): an id becomes an S3 key, so "12345\n" must not be a second article. The id's
# pattern is ingest_plugin.partners.ARTICLE_ID (backfill lists check ids with it too).
_URL = re.compile(r"https://[A-Za-z0-9.-]+(?:/[!-~]*)?")
_PAYLOAD = compile_validator(load_schema("webhook-payload.schema.json"))


class WebhookRejected(Exception):
    """A request we refuse. ``reason`` is short and safe to send back; it never says which secret or entry failed."""

    def __init__(self, status: int, reason: str, *, retry_after: int | None = None) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


def decode_secret(secret: str) -> bytes:
    """The key bytes of a ``whsec_<base64>`` secret. Errors never quote the secret, since they may be logged."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret must look like {SECRET_PREFIX}<base64>")
    encoded = secret[len(SECRET_PREFIX):]
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        raise ValueError(f"a webhook secret is not valid base64 after {SECRET_PREFIX}") from None
    if len(key) < MIN_SECRET_BYTES:
        raise ValueError(f"a webhook secret holds {len(key)} bytes; Standard Webhooks asks for at least "
                         f"{MIN_SECRET_BYTES}")
    return key


def _mac(key: bytes, msg_id: str, timestamp: str, body: bytes) -> bytes:
    return hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` entry a sender computes (``v1,<base64>``): for tests, docs and the CMS side."""
    return "v1," + base64.b64encode(_mac(decode_secret(secret), msg_id, str(timestamp), body)).decode()


def _b64(text: str) -> bytes:
    """Decoded signature bytes, or ``b""`` (which matches nothing) when the entry is not base64."""
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        return b""


def verify_with_keys(headers: Mapping[str, str], body: bytes, keys: Sequence[bytes], now: float | None,
                     tolerance: float) -> str:
    """:func:`verify` with decoded keys; returns the verified ``webhook-id``."""
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id, timestamp, signatures = (lowered.get(name, "") for name in HEADERS)
    if not (WEBHOOK_ID.fullmatch(msg_id) and _TIMESTAMP.fullmatch(timestamp) and signatures):
        raise WebhookRejected(401, "missing or malformed webhook headers")
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance:
        raise WebhookRejected(401, "timestamp outside the tolerance window")
    offered = [_b64(entry[3:]) for entry in signatures.split()[:MAX_SIGNATURES] if entry.startswith("v1,")]
    matched = False
    for key in keys:  # no early exit: the time taken does not tell which secret or entry matched
        expected = _mac(key, msg_id, timestamp, body)
        for candidate in offered:
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise WebhookRejected(401, "no valid signature")
    return msg_id


def verify(headers: Mapping[str, str], body: bytes, secrets: Iterable[str], now: float | None = None,
           tolerance: float = DEFAULT_TOLERANCE) -> None:
    """Accept the call only if a ``v1`` signature over ``id.timestamp.body`` (the raw bytes) matches one of the
    ``whsec_`` secrets and the timestamp is within ``tolerance`` seconds of ``now``; else raise a 401
    :class:`WebhookRejected`. Header names are case-insensitive; several secrets allow rotation."""
    verify_with_keys(headers, body, [decode_secret(secret) for secret in secrets], now, tolerance)


def parse_payload(body: bytes, partners: Collection[str] | None = None) -> dict[str, Any]:
    """The thin payload, checked against ``schemas/webhook-payload.schema.json`` and naming one of ``partners`` (the
    configured partners' keys; default: every installed partner); 400 otherwise."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):  # bad UTF-8, bad JSON, or nesting deep enough to blow the stack
        raise WebhookRejected(400, "body is not UTF-8 JSON") from None
    error = best_match(_PAYLOAD.iter_errors(payload))
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "(root)"
        raise WebhookRejected(400, f"payload {where}: {error.message}"[:200])
    known = tuple(registry().profiles) if partners is None else partners
    if payload["partner"] not in known:
        raise WebhookRejected(400, f"payload partner: {payload['partner']!r} is not a configured partner (known: "
                                   f"{', '.join(known)})"[:200])
    if "id" in payload and not ARTICLE_ID.fullmatch(payload["id"]):
        raise WebhookRejected(400, "payload id: not a plain article id")
    if "url" in payload:
        url = payload["url"]
        if not _URL.fullmatch(url):
            raise WebhookRejected(400, "payload url: not a plain https URL")
        host = urlsplit(url).hostname or ""
        problem = plain_host_problem(host)
        if problem:
            raise WebhookRejected(400, f"payload url: the host {problem}"[:200])
    return payload
