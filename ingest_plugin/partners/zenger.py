"""Zenger News: a WordPress (Yoast SEO) wire service; many stories are produced in association with Benzinga."""
from __future__ import annotations

import re

from ingest_plugin.partners import PartnerProfile

_POST_ID = re.compile(r"[?&]p=(\d+)\b")


def article_id(url_or_guid: str) -> str | None:
    """WordPress post id from a shortlink or feed guid (``https://www.zenger.news/?p=12345``)."""
    match = _POST_ID.search(url_or_guid or "")
    return match.group(1) if match else None


PROFILE = PartnerProfile(
    key="zenger",
    name="Zenger News",
    homepage="https://www.zenger.news/",
    domain="zenger.news",
    hosts=frozenset({"zenger.news", "www.zenger.news", "wpcdn.zenger.news"}),
    aliases=("Zenger", "zenger.news", "www.zenger.news", "Zenger News Service", "Zenger Newsdesk"),
    disclaimer="Zenger News does not provide investment advice.",
    id_role="zenger-article-id",
    article_id=article_id,
    desks=("Zenger Staff", "Zenger News Staff", "Zenger Newsroom"),
    promo_patterns=(
        ("", re.compile(r"^“?What’s the latest with Florida Man\?”?$", re.I)),
        ("", re.compile(r"^Get news, handpicked just for you", re.I)),
        ("", re.compile(r"^Check out our free email newsletters?", re.I)),
    ),
    fetch_article_page=False,  # content:encoded carries the whole story
    article_url="https://www.zenger.news/?p={id}",  # WordPress redirects the shortlink to the article
    disclaimer_formats=("html", "wordpress-rss"),  # its article pages and feed carry it under the story
    # Every picture seen in its pages, feeds and API payloads is on its own hosts: no media_hosts. Tweets are embedded.
    embed_hosts=frozenset({"twitter.com", "x.com"}),
)
