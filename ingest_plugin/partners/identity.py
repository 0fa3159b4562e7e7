"""Document identity, in one place: the ``uri`` of every version of an article, and the S3-safe article key that
names its folders (``articles/{partner}/{article_key}/``, ``failed/…``). Parsing, publishing, the ``publish``
command and the triggers all derive them here, so that every trigger and every process agrees on them."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.partners import PartnerProfile, by_key, registry

_DOCUMENT_URI = re.compile(r"urn:newsml:(?P<domain>[^:]+):(?P<id>[^:]+)")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Identity:
    partner: str  # partner profile key, e.g. "zenger"
    article_key: str  # stable, S3-safe key of the article: the same for every version
    uri: str  # the document ``uri``: ``urn:newsml:{partner domain}:{article key}``

    @classmethod
    def of_article(cls, profile: PartnerProfile, article_id: str | None, canonical_url: str | None,
                   fingerprint: str) -> Identity:
        """From the partner's id, else the canonical URL, else the headline and first date (``fingerprint``)."""
        if article_id:
            key = _UNSAFE.sub("-", article_id)
        else:
            kind, basis = ("url", canonical_url) if canonical_url else ("fp", fingerprint)
            key = f"{kind}-{hashlib.sha256(basis.encode('utf-8')).hexdigest()[:24]}"
        return cls(profile.key, key, f"urn:newsml:{profile.domain}:{key}")

    @classmethod
    def of_partner_id(cls, partner: str, article_id: str) -> Identity:
        """The identity of the article a partner calls ``article_id`` (a webhook or ``reingest --id``)."""
        return cls.of_article(by_key(partner), article_id, None, "")

    @classmethod
    def of_uri(cls, uri: str) -> Identity:
        """Read back from a document's ``uri`` (a coded ``unknown_partner`` error when no partner made it)."""
        match = _DOCUMENT_URI.fullmatch(uri or "")
        profile = registry().by_domain(match["domain"]) if match else None
        if match is None or profile is None:
            raise IngestError(ErrorCode.UNKNOWN_PARTNER, f"the uri {uri!r} names no partner we know",
                              stage=Stage.LOAD)
        return cls(profile.key, _UNSAFE.sub("-", match["id"]), uri)
