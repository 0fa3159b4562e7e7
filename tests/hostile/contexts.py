"""Where hostile content can sit in what partners send: one function per position, each returning the input bytes.

Markup vectors go into an article page's body, a photo caption, a tweet embed, a WordPress feed item
(``content:encoded``), a Benzinga feed item (entity-encoded ``<description>``) and a Benzinga API story; URL vectors
go into every attribute or field a picture, link or tweet URL is read from. Each input is otherwise a normal,
publishable article, so a vector that survives sanitizing would reach a published document.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from xml.sax.saxutils import escape, quoteattr

from tests.pagebuilder import zenger_page

LEAD = ("<p>WASHINGTON — Lawmakers met on Tuesday to debate a spending bill that would fund the government through "
        "the end of the fiscal year, aides said, after weeks of negotiations that at times looked close to "
        "collapse.</p>")
TAIL = ("<p>The measure now heads to the Senate, where leaders of both parties have said they expect it to pass "
        "before the deadline at midnight on Friday.</p>")
LEAD_TEXT = "Lawmakers met on Tuesday to debate a spending bill"


def xml_safe(text: str) -> str:
    """Only the characters XML 1.0 allows (a feed carrying others is rightly refused as a whole)."""
    return "".join(c for c in text if (c >= " " or c in "\t\n\r") and c not in "\ufffe\uffff"
                   and not "\ud800" <= c <= "\udfff")


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def wordpress_feed(items: list[tuple[int, str, str]], extra: Callable[[int], str] = lambda n: "") -> bytes:
    """A WordPress RSS 2.0 feed: ``(post id, title, content HTML)`` per item."""
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>https://www.zenger.news/2024/06/05/story-{n}/</link>"
        f"<dc:creator><![CDATA[Jane Doe]]></dc:creator><pubDate>Wed, 05 Jun 2024 06:40:00 +0000</pubDate>"
        f'<guid isPermaLink="false">https://www.zenger.news/?p={n}</guid>{extra(n)}'
        f"<content:encoded>{_cdata(content)}</content:encoded></item>\n" for n, title, content in items)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:media="http://search.yahoo.com/mrss/">\n<channel><title>Zenger News</title>'
            "<link>https://www.zenger.news</link><generator>https://wordpress.org/?v=6.5.2</generator>\n"
            f"{entries}</channel></rss>\n").encode("utf-8")


def benzinga_story(n: int, body: str, **fields: object) -> dict[str, object]:
    story: dict[str, object] = {
        "id": n, "author": "Jordan Whitcombe", "created": "Thu, 25 Jul 2024 10:48:30 -0400",
        "title": "Ford Shares Sink As Warranty Costs Rise", "body": body,
        "teaser": "Ford Motor Co. shares sank on Thursday after second-quarter profit fell short.",
        "url": f"https://www.benzinga.com/news/earnings/24/07/{n}/ford-shares-sink"}
    story.update(fields)
    return story


# --- markup vectors ---------------------------------------------------------------------------------------------

def in_page_body(vector: str) -> bytes:
    return zenger_page(LEAD + vector + TAIL).encode("utf-8")


def in_paragraph(vector: str) -> bytes:
    return zenger_page(LEAD + f"<p>Officials said {vector} that the vote is near.</p>" + TAIL).encode("utf-8")


def in_caption(vector: str) -> bytes:
    figure = ("<figure class='wp-block-image'><img src='https://wpcdn.zenger.news/a.jpg' width='800' height='600'>"
              f"<figcaption>Senators meet {vector} in Washington. JANE DOE</figcaption></figure>")
    return zenger_page(LEAD + figure + TAIL).encode("utf-8")


def in_tweet(vector: str) -> bytes:
    tweet = ('<figure class="wp-block-embed is-provider-twitter wp-block-embed-twitter"><div '
             'class="wp-block-embed__wrapper"><blockquote class="twitter-tweet"><p lang="en" dir="ltr">Vote today '
             f'{vector}</p>&mdash; Someone (@someone) <a href="https://twitter.com/someone/status/1234567">June 1, '
             '2023</a></blockquote></div></figure>')
    return zenger_page(LEAD + tweet + TAIL).encode("utf-8")


def in_wordpress_item(vector: str) -> bytes:
    return wordpress_feed([(900001, "Senate Takes Up Spending Bill", LEAD + vector + TAIL)])


def in_benzinga_item(vector: str) -> bytes:
    description = escape(LEAD + vector + TAIL)  # Benzinga sends HTML entity-encoded as text
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            "<channel><title>Benzinga</title><link>https://www.benzinga.com/markets</link><item>"
            "<title>Delta Shares Fall</title><link>https://www.benzinga.com/news/24/07/39712399/delta</link>"
            f"<description>{description}</description><pubDate>Thu, 11 Jul 2024 12:00:00 -0400</pubDate>"
            '<dc:creator>Jane Analyst</dc:creator><guid isPermaLink="false">39712399 at https://www.benzinga.com'
            "</guid></item></channel></rss>\n").encode("utf-8")


def in_benzinga_api(vector: str) -> bytes:
    return json.dumps([benzinga_story(40200001, LEAD + vector + TAIL)]).encode("utf-8")


MARKUP_CONTEXTS: dict[str, Callable[[str], bytes]] = {
    "page-body": in_page_body, "paragraph": in_paragraph, "caption": in_caption, "tweet": in_tweet,
    "wordpress-item": in_wordpress_item, "benzinga-item": in_benzinga_item, "benzinga-api": in_benzinga_api}


# --- URL vectors ------------------------------------------------------------------------------------------------

def _figure(img_attributes: str) -> bytes:
    figure = (f"<figure class='wp-block-image'><img {img_attributes} width='800' height='600' alt='Senators'>"
              "<figcaption>Senators meet in Washington. JANE DOE</figcaption></figure>")
    return zenger_page(LEAD + figure + TAIL).encode("utf-8")


URL_CONTEXTS: dict[str, Callable[[str], bytes]] = {
    "img-src": lambda url: _figure(f"src={quoteattr(url)}"),
    "img-srcset": lambda url: _figure(f"src='https://wpcdn.zenger.news/a.jpg' srcset={quoteattr(url + ' 2000w')}"),
    "img-lazy-src": lambda url: _figure(f"src='data:image/gif;base64,R0lGOD' data-lazy-src={quoteattr(url)}"),
    "og-image": lambda url: zenger_page(LEAD + TAIL, head_extra=f"<meta property='og:image' content={quoteattr(url)}>"
                                        ).encode("utf-8"),
    "link-href": lambda url: zenger_page(LEAD + f"<p>Read <a href={quoteattr(url)}>the bill</a> here.</p>" + TAIL
                                         ).encode("utf-8"),
    "blockquote-cite": lambda url: zenger_page(LEAD + f"<blockquote cite={quoteattr(url)}><p>We will vote.</p>"
                                               "</blockquote>" + TAIL).encode("utf-8"),
    # Dated outside the JSON-LD too: a URL holding "</script>" ends the JSON-LD block, and its date with it.
    "canonical": lambda url: zenger_page(LEAD + TAIL, url=url, head_extra='<meta property="article:published_time" '
                                         'content="2024-03-12T14:05:00+00:00">').encode("utf-8"),
    "tweet-link": lambda url: zenger_page(
        LEAD + '<blockquote class="twitter-tweet"><p>Vote</p>&mdash; S (@s) '
        f"<a href={quoteattr('https://twitter.com/s/status/99' + url)}>June 1</a></blockquote>" + TAIL
    ).encode("utf-8"),
    "rss-media": lambda url: wordpress_feed([(900002, "Senate Takes Up Spending Bill", LEAD + TAIL)],
                                            extra=lambda n: f"<media:content url={quoteattr(url)} medium='image'/>"),
    "rss-link": lambda url: wordpress_feed([(900003, "Senate Takes Up Spending Bill", LEAD + TAIL)]).replace(
        b"https://www.zenger.news/2024/06/05/story-900003/", escape(url).encode("utf-8")),
    "benzinga-image": lambda url: json.dumps([benzinga_story(40200002, LEAD + TAIL,
                                                             image=[{"size": "large", "url": url}])]).encode(),
    "benzinga-url": lambda url: json.dumps([benzinga_story(40200003, LEAD + TAIL, url=url)]).encode(),
}
