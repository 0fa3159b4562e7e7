"""Partner profiles: everything partner-specific, as data plus a couple of small hooks.

The pipeline never branches on a partner's name; it asks the profile. Adding a partner means adding a module here
and registering its profile in :data:`PROFILES`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from ingest_plugin.errors import ErrorCode, IngestError, Stage

# What a partner's article id may look like wherever one comes from outside (a webhook payload, a backfill list):
# the webhook schema's pattern, matched against the whole string (``fullmatch``; Python's "$" also matches before a
# final newline), since an id becomes part of a URL, an S3 key and log lines: "12345\n" must not be another article.
ARTICLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


@dataclass(frozen=True)
class PartnerProfile:
    key: str  # short, S3-safe name: "zenger"
    name: str  # the organisation as credited: "Zenger News"
    homepage: str
    domain: str  # used in document URIs
    hosts: frozenset[str]  # hosts whose URLs belong to this partner
    aliases: tuple[str, ...]  # other spellings of the name; none of them is ever a person
    disclaimer: str  # the canonical disclaimer every document carries (fail closed)
    id_role: str  # altIds role of the partner's own article id
    article_id: Callable[[str], str | None]  # canonical URL or guid -> the partner's article id
    desks: tuple[str, ...] = ()  # desk or account names of this partner that are never people
    # Body paragraphs that are the partner's own promos, as (needle, case-insensitive pattern) pairs: the pattern
    # is only searched in text whose lower case holds the needle, a part of every match ("" for patterns anchored
    # at the start, which fail at once anyway); an unanchored case-insensitive search tries every position.
    promo_patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()
    fetch_article_page: bool = True  # whether feed content alone is too thin (used by the cron trigger)
    timezone: str = "UTC"  # the newsroom's zone, for times a page states without an offset
    article_url: str | None = None  # where an article is fetched by its id ("{id}" is replaced), if anywhere
    # Input formats whose content normally carries the disclaimer: when one arrives without it, that is worth a
    # warning (the partner's page changed); in the others (Benzinga's API never sends it) adding it is routine.
    disclaimer_formats: tuple[str, ...] = ()
    # Hosts besides ``hosts`` that may serve the article's pictures (image CDNs) and its embeds (tweets). Every
    # picture, rendition and embed URL of a document must be on one of them: a page cannot make readers' browsers
    # fetch from anywhere (docs/hardening.md).
    media_hosts: frozenset[str] = frozenset()
    embed_hosts: frozenset[str] = frozenset()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def owns_url(self, url: str | None) -> bool:
        return _on_hosts(_host(url), self.hosts)

    def serves_media(self, url: str | None) -> bool:
        """Whether a picture or rendition may be published at ``url``: on the partner's hosts or its media hosts."""
        host = _host(url)
        return _on_hosts(host, self.hosts) or _on_hosts(host, self.media_hosts)

    def serves_embed(self, url: str | None) -> bool:
        """Whether an embed (a tweet) may be published at ``url``: on the partner's hosts or its embed hosts."""
        host = _host(url)
        return _on_hosts(host, self.hosts) or _on_hosts(host, self.embed_hosts)

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases, *self.desks)


def _host(url: str | None) -> str:
    """The host name of ``url`` in lower case; "" when it has none or is not a URL at all."""
    try:
        return (urlsplit(url).hostname or "") if url else ""
    except ValueError:  # an unclosed "[" IPv6 literal
        return ""


def _on_hosts(host: str, hosts: frozenset[str]) -> bool:
    """One of ``hosts``, or a subdomain of one: ``host`` and its parent domains are looked up (asked of every URL
    of every document, so one set lookup per label rather than a test per allowed host)."""
    while host:
        if host in hosts:
            return True
        host = host.partition(".")[2]
    return False


def _registry() -> dict[str, PartnerProfile]:
    from ingest_plugin.partners import benzinga, zenger

    return {p.key: p for p in (zenger.PROFILE, benzinga.PROFILE)}


PROFILES: dict[str, PartnerProfile] = _registry()
# Asked for on every byline and credit line of every article: worked out once.
_ALL_NAMES = tuple(n for p in PROFILES.values() for n in p.names())
# Lower-cased name or alias -> profile; the first profile to spell a name keeps it.
_BY_LOWERED_NAME = {n.lower(): p for p in reversed(PROFILES.values()) for n in (p.name, *p.aliases)}


def by_key(key: str) -> PartnerProfile:
    return PROFILES[key]


def all_partner_names() -> tuple[str, ...]:
    return _ALL_NAMES


def partner_for_url(url: str | None) -> PartnerProfile | None:
    return next((p for p in PROFILES.values() if p.owns_url(url)), None)


def partner_named(name: str | None) -> PartnerProfile | None:
    if not name:
        return None
    return _BY_LOWERED_NAME.get(name.strip().lower())


def detect_partner(urls: Iterable[str | None], names: Iterable[str | None],
                   text: Callable[[], str] = str) -> PartnerProfile:
    """The origin partner: by URL host first, then by site/publisher name, then by who the text credits
    (``text`` is only called when the cheaper signals say nothing)."""
    for url in urls:
        if profile := partner_for_url(url):
            return profile
    for name in names:
        if profile := partner_named(name):
            return profile
    lowered = text().lower()
    counts = {p.key: sum(lowered.count(n.lower()) for n in (p.name, p.domain)) for p in PROFILES.values()}
    # The disclaimer names the origin; a Zenger story produced with Benzinga mentions both.
    for profile in PROFILES.values():
        if profile.disclaimer.lower() in lowered:
            return profile
    best = max(counts, key=counts.__getitem__)
    if counts[best]:
        return PROFILES[best]
    raise IngestError(ErrorCode.UNKNOWN_PARTNER, "no partner profile matches this article's URL, site name or "
                                                 "credits (known partners: " + ", ".join(PROFILES) + ")",
                      stage=Stage.EXTRACT)
