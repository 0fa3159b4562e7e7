"""From "ingest this" to parsed items, the same way for every trigger: a URL (fetched under the partner's policy),
an article already in S3 (found by its partner id), or a raw payload kept under ``failed/``."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from .. import partners
from ..config import Config, PartnerConfig
from ..errors import ErrorCode, IngestError
from ..fetch import FetchPolicy, fetch
from ..model import ItemResult
from ..ninjs import document_canonical_url
from ..pipeline import parse_items
from ..publish import Publisher


def partner_for(config: Config, url: str | None = None, key: str | None = None) -> PartnerConfig:
    """The configured partner named by ``key``, or the one whose hosts serve ``url``."""
    if key:
        return config.partner(key)
    parts = urlsplit(url or "")
    names = {(parts.hostname or "").lower(), parts.netloc.lower()}  # allow-list entries are host or host:port
    for partner in config.partners:
        if names & partner.allowed_hosts or partner.profile.owns_url(url):
            return partner
    raise IngestError(ErrorCode.FETCH_FAILED, "the URL belongs to no configured partner's hosts", input=url or "-",
                      stage="fetch")


def url_items(url: str, config: Config, partner: PartnerConfig | None = None) -> list[ItemResult]:
    """Fetch ``url`` under the partner's policy (allow-list, SSRF guard, limits) and parse it."""
    try:
        partner = partner or partner_for(config, url=url)
        result = fetch(url, FetchPolicy.for_partner(config, partner))
    except IngestError as error:
        return [ItemResult(input_name=url, raw=b"", error=error.for_input(url), source_url=url,
                           partner=partner.profile.key if partner else None)]
    return list(parse_items(result.body, input_name=url, source_url=result.final_url,
                            content_type=result.content_type, max_bytes=config.limits.max_input_bytes))


def stored_document(publisher: Publisher, partner_key: str, article_id: str) -> dict[str, Any] | None:
    """The newest published version of an article, or None."""
    key = publisher.articles.keys.current(partner_key, partners.article_key(article_id))
    stored = publisher.bucket.get(key)
    return stored.json() if stored else None


def stored_item(publisher: Publisher, partner_key: str, article_id: str) -> ItemResult:
    """The published article as an item (for a cancel), or a coded error naming it."""
    name = f"{partner_key}/{article_id}"
    document = stored_document(publisher, partner_key, article_id)
    if document is None:
        error = IngestError(ErrorCode.FETCH_FAILED, "no published article with this id in S3", input=name,
                            stage="fetch")
        return ItemResult(input_name=name, raw=b"", error=error, partner=partner_key)
    return ItemResult(input_name=name, raw=b"", document=document, partner=partner_key,
                      article_key=partners.article_key(article_id), source_url=document_canonical_url(document))


def id_items(article_id: str, partner_key: str, config: Config, publisher: Publisher) -> list[ItemResult]:
    """Fetch an article named by its partner id: from the partner's URL template (safety.md: build fetch URLs
    from the id, never take them from a payload), else from the canonical URL of the version we published."""
    partner = config.partner(partner_key)
    if partner.article_url:
        return url_items(partner.article_url.replace("{id}", quote(article_id, safe="")), config, partner)
    stored = stored_item(publisher, partner_key, article_id)
    if stored.error is not None:
        return [stored]
    if not stored.source_url:
        error = IngestError(ErrorCode.FETCH_FAILED, "the stored document has no canonical URL to fetch again",
                            input=stored.input_name, stage="fetch")
        return [ItemResult(input_name=stored.input_name, raw=b"", error=error, partner=partner_key)]
    return url_items(stored.source_url, config, partner)
