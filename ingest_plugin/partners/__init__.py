"""Partner profiles: everything partner-specific, as data.

The pipeline never branches on a partner's name; it asks the profile. A profile is made from a TOML table
(:func:`profile_from_table`): the built-in ones from ``partners.toml`` beside this module, others from the
configuration, whose loaded partners the runners :func:`install` before they parse. Parsing reads the installed
:class:`Registry` and never a file, so adding a partner is a configuration change, not a code change. What data
cannot express stays code: the Benzinga API and webhook formats always belong to the partner keyed ``benzinga``.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from re import _parser as _sre  # type: ignore[attr-defined]  # the stdlib's regex parser: no public API gives the tree
from typing import Any, Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    # Where the partner's article id is in a URL, shortlink or feed guid: each pattern has one group, the id; the
    # first pattern that matches gives it.
    id_rules: tuple[re.Pattern[str], ...] = ()
    desks: tuple[str, ...] = ()  # desk or account names of this partner that are never people
    # Body paragraphs that are the partner's own promos, as (needle, case-insensitive pattern) pairs: the pattern
    # is only searched in text whose lower case holds the needle, a part of every match ("" when the pattern has
    # none: see :func:`_needle`).
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
    # Class names or ids of the element holding the article body in the partner's pages, first choice first: the
    # content root's fast path (the generic search runs when a page has none of them).
    containers: tuple[str, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def article_id(self, url_or_guid: str) -> str | None:
        """The partner's own id of an article, from its canonical URL, shortlink or feed guid."""
        for rule in self.id_rules:
            match = rule.search(url_or_guid or "")
            if match and match.group(1):
                return match.group(1)
        return None

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
    """The host name of ``url`` in lower case; "" when it has none or is not a URL at all. Cached for URLs of
    ordinary length (every URL of a document is asked of several partners and checks); a long one, which the cache
    would keep alive, is split again each time."""
    if not url:
        return ""
    return _cached_host(url) if len(url) <= _CACHED_URL_LENGTH else _split_host(url)


_CACHED_URL_LENGTH = 2048


def _split_host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:  # an unclosed "[" IPv6 literal
        return ""


_cached_host = lru_cache(maxsize=1024)(_split_host)


def _on_hosts(host: str, hosts: frozenset[str]) -> bool:
    """One of ``hosts``, or a subdomain of one: ``host`` and its parent domains are looked up (asked of every URL
    of every document, so one set lookup per label rather than a test per allowed host)."""
    while host:
        if host in hosts:
            return True
        host = host.partition(".")[2]
    return False


# --- Profiles from data ---------------------------------------------------------------------------------------------

# Bounds of a linear-safe pattern: repeats at most this long, and at most this many ways to match at one position.
_MAX_REPEAT, _MAX_WAYS = 1000, 100_000
# A pattern that is not anchored at the start is tried at every position of a paragraph: its bound per position
# must be small, or a long paragraph costs seconds (".{0,300}.{0,300}" is 90,601 ways at each of them).
_MAX_WAYS_SEARCHED = 1000


def profile_from_table(key: str, table: Mapping[str, Any]) -> PartnerProfile:
    """The profile a partner table defines (already checked by the config schema); a :class:`ValueError` names the
    key whose value cannot be used (a regular expression that is not linear-safe, an unknown time zone)."""
    timezone = table.get("timezone", "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone: no time zone {timezone!r} (an IANA name, e.g. Europe/London)") from None
    return PartnerProfile(
        key=key, name=_nfc(table["name"]), homepage=table["homepage"], domain=table["domain"],
        hosts=_hostnames(table["hosts"]), aliases=tuple(map(_nfc, table.get("aliases", ()))),
        disclaimer=_nfc(table["disclaimer"]), id_role=table.get("id_role", f"{key}-id"),
        id_rules=tuple(_compiled(rule, f"id_rules.{n}", groups=1) for n, rule in enumerate(table.get("id_rules", ()))),
        desks=tuple(map(_nfc, table.get("desks", ()))),
        promo_patterns=tuple(_promo(pattern, f"promo_patterns.{n}")
                             for n, pattern in enumerate(table.get("promo_patterns", ()))),
        fetch_article_page=table.get("fetch_article_page", True), timezone=timezone,
        article_url=table.get("article_url"), disclaimer_formats=tuple(table.get("disclaimer_formats", ())),
        media_hosts=_hostnames(table.get("media_hosts", ())), embed_hosts=_hostnames(table.get("embed_hosts", ())),
        containers=tuple(table.get("containers", ())))


def _nfc(text: str) -> str:
    """``text`` in NFC, the form every input is read in (``parsing/load.py``): a name saved decomposed by an editor
    must still meet the page that spells it, and go into documents as they spell it."""
    return unicodedata.normalize("NFC", text)


def _hostnames(hosts: Iterable[str]) -> frozenset[str]:
    return frozenset(host.lower() for host in hosts)


def _compiled(pattern: str, where: str, *, groups: int | None = None, flags: int = 0) -> re.Pattern[str]:
    """``pattern`` compiled, once it is known to run in linear time on any text (and to hold ``groups`` groups)."""
    try:
        compiled = re.compile(pattern, flags)
    except (re.error, OverflowError, ValueError) as exc:  # also a repeat count past C's integers, (?a)(?u)
        raise ValueError(f"{where}: not a regular expression: {exc}") from None
    if groups is not None and compiled.groups != groups:
        raise ValueError(f"{where}: needs exactly {groups} group(s), the id, and has {compiled.groups}")
    parsed = _sre.parse(pattern, flags)
    problem, ways = _unsafe(parsed)
    once = _anchored(parsed) and not parsed.state.flags & re.MULTILINE  # (?m): ^ is at every line
    limit = _MAX_WAYS if once else _MAX_WAYS_SEARCHED
    if problem is None and ways > limit:
        problem = (f"its bounds allow {ways:,} ways to match at one position (at most {limit:,}"
                   + ("" if limit == _MAX_WAYS else "; anchor it with ^ for more") + ")")
    if problem:
        raise ValueError(f"{where}: not linear-safe: {problem}")
    return compiled


def _promo(pattern: str, where: str) -> tuple[str, re.Pattern[str]]:
    compiled = _compiled(pattern, where, flags=re.I)
    return _needle(_sre.parse(pattern, re.I)), compiled


_REPEATS = (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT)
_ONE_CHARACTER = (_sre.LITERAL, _sre.NOT_LITERAL, _sre.ANY, _sre.IN, _sre.CATEGORY)


def _unsafe(items: Any) -> tuple[str | None, int]:
    """Why the parsed pattern ``items`` could take more than linear time on a long text (None when it cannot), and
    how many ways it has to match at one position. Only single characters may repeat more than once, every repeat is
    bounded, and there are no back-references: then the work at each position of a search is bounded by the ways.

    The ways, as the backtracking engine tries them: a sequence multiplies its items' ways, an alternation adds its
    branches' (each is tried in turn: ``(?:.|\\S)`` forty times over is 2**40), and a repeat of up to n of a body with
    w ways has w**0 + … + w**n (n + 1 for one character: counted from 0 whatever the lower bound, so that a long fixed
    repeat, one way of n steps, is held by the bound too). A look-around or atomic group counts as a sequence: what
    it tries is tried again at each way that reaches it."""
    ways = 1
    for op, arg in items:
        problem, item_ways = None, 1
        if op in _REPEATS:
            _low, high, body = arg
            if high == _sre.MAXREPEAT:
                return "an unbounded repeat (*, + or {n,}): give it a bound, as in {0,80}", ways
            if high > _MAX_REPEAT:
                return f"a repeat of more than {_MAX_REPEAT}", ways
            if high > 1 and not (len(body) == 1 and body[0][0] in _ONE_CHARACTER):
                return "a repeated group: repeat single characters only", ways
            problem, body_ways = _unsafe(body)
            item_ways = high + 1 if body_ways == 1 else (body_ways ** (high + 1) - 1) // (body_ways - 1)
        elif op == _sre.BRANCH:
            branches = [_unsafe(branch) for branch in arg[1]]
            problem = next((why for why, _ in branches if why), None)
            item_ways = sum(branch_ways for _, branch_ways in branches)
        elif op in (_sre.SUBPATTERN, _sre.ASSERT, _sre.ASSERT_NOT, _sre.ATOMIC_GROUP):
            problem, item_ways = _unsafe(arg if op == _sre.ATOMIC_GROUP else arg[-1])
        elif op in (_sre.GROUPREF, _sre.GROUPREF_EXISTS):
            return "a back-reference", ways
        if problem:
            return problem, ways
        ways *= item_ways
    return None, ways


def _anchored(items: Any) -> bool:
    """Whether every match of the parsed pattern starts at the start of the text (``^``, ``\\A``), so that a
    search tries it at one position only."""
    if not len(items):
        return False
    op, arg = items[0]
    if op == _sre.AT:
        return arg in (_sre.AT_BEGINNING, _sre.AT_BEGINNING_STRING)
    if op == _sre.BRANCH:
        return all(_anchored(branch) for branch in arg[1])
    if op in (_sre.SUBPATTERN, _sre.ATOMIC_GROUP):
        return _anchored(arg[-1] if op == _sre.SUBPATTERN else arg)
    return False


def _needle(items: Any) -> str:
    """The longest run of plain characters every match of a case-insensitive pattern holds, lower-cased, for a cheap
    test before its search; "" when there is none of 3 or more. No "i" or "s": re.I also matches "ı", "İ" and "ſ",
    which ``lower()`` does not make "i" or "s"."""
    best = run = ""
    for op, arg in items:
        character = chr(arg) if op == _sre.LITERAL else ""
        if character and character.isascii() and (character.isalnum() or character in " ,.:-") \
                and character.lower() not in "is":
            run += character.lower()
            best = max(best, run, key=len)
        else:
            run = ""
    return best if len(best) >= 3 else ""


# --- The registry ---------------------------------------------------------------------------------------------------


def name_key(name: str) -> str:
    """A partner's name or alias as it is matched: in lower case, with single spaces ("Harbor  LIGHT" matches
    "Harbor Light"). Two partners may not share one (the configuration checks it), or the first would take both."""
    return " ".join(name.split()).lower()


class Registry:
    """The partners parsing knows, with the lookups asked of every article worked out once."""

    def __init__(self, profiles: Iterable[PartnerProfile]) -> None:
        self.profiles: dict[str, PartnerProfile] = {profile.key: profile for profile in profiles}
        # Asked for on every byline and credit line of every article.
        self.names = tuple(n for p in self.profiles.values() for n in p.names())
        self.lowered_names = frozenset(n.lower() for n in self.names)  # what a person's name may never be
        # Name or alias as matched (name_key) -> profile; the first profile to spell a name keeps it.
        self._by_name_key = {name_key(n): p for p in reversed(self.profiles.values()) for n in (p.name, *p.aliases)}

    def __repr__(self) -> str:
        return f"Registry({', '.join(self.profiles)})"

    def by_key(self, key: str) -> PartnerProfile:
        return self.profiles[key]

    def by_domain(self, domain: str) -> PartnerProfile | None:
        return next((p for p in self.profiles.values() if p.domain == domain), None)

    def partner_for_url(self, url: str | None) -> PartnerProfile | None:
        return next((p for p in self.profiles.values() if p.owns_url(url)), None)

    def partner_named(self, name: str | None) -> PartnerProfile | None:
        return self._by_name_key.get(name_key(name)) if name else None

    def detect_partner(self, urls: Iterable[str | None], names: Iterable[str | None],
                       text: Callable[[], str] = str) -> PartnerProfile:
        """The origin partner: by URL host first, then by site/publisher name, then by who the text credits
        (``text`` is only called when the cheaper signals say nothing)."""
        for url in urls:
            if profile := self.partner_for_url(url):
                return profile
        for name in names:
            if profile := self.partner_named(name):
                return profile
        lowered = text().lower()
        # The disclaimer names the origin; a Zenger story produced with Benzinga mentions both.
        for profile in self.profiles.values():
            if profile.disclaimer.lower() in lowered:
                return profile
        counts = {p.key: sum(lowered.count(n.lower()) for n in (p.name, p.domain)) for p in self.profiles.values()}
        best = max(counts, key=counts.__getitem__, default=None)
        if best is not None and counts[best]:
            return self.profiles[best]
        raise IngestError(ErrorCode.UNKNOWN_PARTNER, "no partner profile matches this article's URL, site name or "
                                                     "credits (known partners: " + ", ".join(self.profiles) + ")",
                          stage=Stage.EXTRACT)


def _built_in() -> tuple[PartnerProfile, ...]:
    from ingest_plugin.partners.packaged import partner_tables

    return tuple(profile_from_table(key, table) for key, table in partner_tables().items())


BUILT_IN: tuple[PartnerProfile, ...] = _built_in()
_installed = Registry(BUILT_IN)


def install(profiles: Iterable[PartnerProfile]) -> None:
    """Make ``profiles`` the partners this process parses with (a loaded configuration's: ``Config.profiles``)."""
    global _installed
    _installed = Registry(profiles)


def registry() -> Registry:
    """The installed partners: the built-in ones until a configuration's are installed."""
    return _installed


def by_key(key: str) -> PartnerProfile:
    return _installed.by_key(key)


def all_partner_names() -> tuple[str, ...]:
    return _installed.names


def not_person_names() -> frozenset[str]:
    """Every partner's names, aliases and desks in lower case: the ``blocked`` names of a person check."""
    return _installed.lowered_names


def partner_for_url(url: str | None) -> PartnerProfile | None:
    return _installed.partner_for_url(url)


def partner_named(name: str | None) -> PartnerProfile | None:
    return _installed.partner_named(name)


def detect_partner(urls: Iterable[str | None], names: Iterable[str | None],
                   text: Callable[[], str] = str) -> PartnerProfile:
    return _installed.detect_partner(urls, names, text)
