"""Benzinga: financial news; article pages, RSS, the REST API v2 and webhook v1."""
from __future__ import annotations

import re

from ingest_plugin.partners import PartnerProfile

# https://www.benzinga.com/news/24/06/39495756/slug (press releases: /24/07/g39701588/), and the RSS guid
# "39712345 at https://www.benzinga.com".
_STORY_ID = re.compile(r"/\d{2}/\d{2}/g?(\d{5,})(?:/|$)|^(\d{5,}) at https?://(?:www\.)?benzinga\.com")


def article_id(url_or_guid: str) -> str | None:
    match = _STORY_ID.search(url_or_guid or "")
    return (match.group(1) or match.group(2)) if match else None


PROFILE = PartnerProfile(
    key="benzinga",
    name="Benzinga",
    homepage="https://www.benzinga.com/",
    domain="benzinga.com",
    hosts=frozenset({"benzinga.com", "www.benzinga.com", "feeds.benzinga.com", "api.benzinga.com",
                     "cdn.benzinga.com"}),
    aliases=("benzinga.com", "www.benzinga.com", "Benzinga.com", "Benzinga Pro"),
    disclaimer="Benzinga does not provide investment advice.",
    id_role="benzinga-id",
    article_id=article_id,
    desks=("Benzinga Newsdesk", "Benzinga Insights", "Benzinga Neuro", "Benzinga Staff", "Benzinga Editors",
           "Benzinga Staff Writer", "Benzinga Contributor"),
    # Needles have no "i" or "s": re.I also matches "ı", "İ" and "ſ", which lower() does not make "i" or "s".
    promo_patterns=(
        ("", re.compile(r"^(?:Subscribe|Sign up)\b.{0,80}\bBenzinga\b.{0,60}newsletter", re.I)),
        ("", re.compile(r"^(?:Check out|Read|Don’t miss|Don't miss)\b.{0,40}\bBenzinga\b.{0,80}"
                        r"(?:conference|event|newsletter)", re.I)),
        ("", re.compile(r"^(?:Get|Join)\b.{0,80}\b(?:Benzinga|Cannabis Capital Conference)\b", re.I)),
        ("nga pro", re.compile(r"^Benzinga Pro\b|\bin Benzinga Pro\.?$", re.I)),
        ("get your t", re.compile(r"\bGet your tickets\b", re.I)),
        ("", re.compile(r"^Check out more of Benzinga['’]s\b", re.I)),
        ("", re.compile(r"^Zinger Key Points\b|^Zinger Brief\b", re.I)),
    ),
    fetch_article_page=False,
    timezone="America/New_York",  # the API documents created/updated in Eastern time
    # Every picture seen in its pages, feeds and API payloads is on its own hosts: no media_hosts. Tweets are embedded.
    embed_hosts=frozenset({"twitter.com", "x.com"}),
)
