"""Identity: the same partner article gets the same uri whatever shape it arrives in, and whenever."""
import html
import json
import re

import pytest
from structlog.testing import capture_logs

from ingest_plugin import ErrorCode, parse, parse_items
from ingest_plugin.parsing.urls import url_problem
from ingest_plugin.publishing.failed import failed_identity
from tests.hostile.contexts import LEAD, TAIL, benzinga_story, wordpress_feed
from tests.pagebuilder import zenger_page

SHORTLINK = "<link rel='shortlink' href='https://www.zenger.news/?p=4242'>"


@pytest.mark.parametrize("replace", [
    lambda page: page,  # the shortlink
    lambda page: page.replace(SHORTLINK, '<link rel="alternate" type="application/json" '
                                         'href="https://www.zenger.news/wp-json/wp/v2/posts/4242">'),
    lambda page: page.replace(SHORTLINK, ""),  # <article id="post-4242"> and <body class="postid-4242">
])
def test_wordpress_post_id_from_any_signal(replace):
    [doc] = parse(replace(zenger_page(post_id=4242)).encode())
    assert doc["uri"] == "urn:newsml:zenger.news:4242"
    assert {"role": "zenger-article-id", "value": "4242"} in doc["altIds"]


def test_without_an_id_the_canonical_url_without_tracking_decides():
    url = "https://www.zenger.news/2024/03/12/congress-passes-spending-bill/"
    page = re.sub(r"postid-\d+|post-\d+", "", zenger_page(post_id=1).replace(SHORTLINK.replace("4242", "1"), ""))
    [plain] = parse(page.encode())
    [tracked] = parse(page.replace(f'href="{url}"', f'href="{url}?utm_source=x&utm_medium=rss"').encode())
    assert plain["uri"] == tracked["uri"] and plain["uri"].startswith("urn:newsml:zenger.news:url-")
    assert {"role": "canonical-url", "value": url} in tracked["altIds"]


def test_an_update_keeps_the_uri():
    [before] = parse(zenger_page().encode())
    [after] = parse(zenger_page(headline="Congress Passes Amended Spending Bill").encode())
    assert before["uri"] == after["uri"] and before["headlines"] != after["headlines"]


# --- cross-partner identity (issue #16: 5) -------------------------------------------------------------------------

ZENGER_URL = "https://www.zenger.news/2024/03/12/congress-passes-spending-bill/"
BENZINGA_URL = "https://www.benzinga.com/news/24/03/37654321/congress-passes-spending-bill"
BENZINGA_SHORTLINK = "<link rel='shortlink' href='https://www.benzinga.com/?p=4242'>"
CLAIMS = {
    "canonical": lambda: zenger_page(url=BENZINGA_URL),
    "shortlink": lambda: zenger_page().replace(SHORTLINK, BENZINGA_SHORTLINK),
    "og:url": lambda: zenger_page(head_extra=f"<meta property='og:url' content='{BENZINGA_URL}'>"),
}


@pytest.mark.parametrize("claim", CLAIMS)
def test_a_zenger_page_claiming_a_benzinga_article_is_refused(claim):
    """Served by zenger.news, a page whose canonical URL, shortlink or og:url names Benzinga's article would be
    published as a new version of that article, credited to Benzinga: it is refused, and kept under Zenger."""
    [result] = parse_items(CLAIMS[claim]().encode(), input_name="page.html", source_url=ZENGER_URL)
    assert result.error is not None and result.error.code is ErrorCode.PARTNER_MISMATCH
    assert "Benzinga" in result.error.message and result.document is None
    assert failed_identity(result)[0] == "zenger" and result.article_key is None


@pytest.mark.parametrize("claim", ["canonical", "shortlink"])
def test_a_page_whose_own_urls_name_two_partners_is_refused_whatever_its_origin(claim):
    """A file (no host served it): its canonical URL and shortlink must still agree on one partner."""
    [result] = parse_items(CLAIMS[claim]().encode(), input_name="page.html")
    assert result.error is not None and result.error.code is ErrorCode.PARTNER_MISMATCH


def test_the_served_partner_and_the_content_agreeing_is_no_mismatch():
    [result] = parse_items(zenger_page().encode(), source_url=ZENGER_URL)
    assert result.ok and result.partner == "zenger"
    [local] = parse_items(zenger_page().encode(), source_url="http://127.0.0.1:8080/story.html")  # a test server
    assert local.ok and local.partner == "zenger"


@pytest.mark.parametrize("source_url", [None, "https://www.zenger.news/feed/"])
def test_a_zenger_feed_item_linking_to_benzinga_is_refused_and_the_others_parse(source_url):
    feed = wordpress_feed([(900001, "Senate Takes Up Spending Bill", LEAD + TAIL),
                           (900002, "House Passes Spending Bill", LEAD + TAIL),
                           (900003, "President Signs Spending Bill", LEAD + TAIL)])
    feed = feed.replace(b"https://www.zenger.news/2024/06/05/story-900002/", BENZINGA_URL.encode())
    results = list(parse_items(feed, input_name="feed.rss", source_url=source_url))
    assert [r.error.code if r.error else "ok" for r in results] == ["ok", ErrorCode.PARTNER_MISMATCH, "ok"]
    assert [r.document["uri"] for r in results if r.ok] == ["urn:newsml:zenger.news:900001",
                                                            "urn:newsml:zenger.news:900003"]
    assert results[1].partner == "zenger" and results[1].input_name == "feed.rss#2"


def test_a_feed_served_by_zenger_is_zengers_whatever_its_channel_link_says():
    feed = wordpress_feed([(900001, "Senate Takes Up Spending Bill", LEAD + TAIL)]).replace(
        b"<link>https://www.zenger.news</link>", b"<link>https://www.benzinga.com</link>")
    [result] = parse_items(feed, source_url="https://www.zenger.news/feed/")
    assert result.ok and result.document["uri"] == "urn:newsml:zenger.news:900001"


def test_a_benzinga_story_whose_url_is_a_zenger_article_is_refused():
    data = json.dumps([benzinga_story(40200001, LEAD + TAIL, url=ZENGER_URL),
                       benzinga_story(40200002, LEAD + TAIL)]).encode()
    results = list(parse_items(data, source_url="https://api.benzinga.com/api/v2/news"))
    assert [r.error.code if r.error else "ok" for r in results] == [ErrorCode.PARTNER_MISMATCH, "ok"]
    assert results[0].partner == "benzinga"


# --- the canonical URL (issue #16: 6) ------------------------------------------------------------------------------

def _canonical(doc):
    return next((a["value"] for a in doc.get("altIds", []) if a["role"] == "canonical-url"), None)


def test_a_canonical_url_off_the_partners_hosts_is_dropped_with_a_warning():
    """A syndicated copy's canonical URL is not the partner's: it never reaches altIds, and the article keeps its
    partner id."""
    page = zenger_page(url="https://syndicator.example/2024/03/12/congress-passes-spending-bill/")
    with capture_logs() as events:
        [result] = parse_items(page.encode(), source_url=ZENGER_URL)
    assert result.ok and _canonical(result.document) is None
    assert result.document["uri"] == "urn:newsml:zenger.news:4242"
    assert [e["reason"] for e in events if e["event"] == "canonical_url_dropped"] == [
        "'https://syndicator.example/2024/03/12/congress-passes-spending-bill/' is not on Zenger News's hosts"]


@pytest.mark.parametrize("url, published", [
    ("https://www.zenger.news/a'>x", "https://www.zenger.news/a%27%3Ex"),
    ('https://www.zenger.news/a" onmouseover="alert(1)', "https://www.zenger.news/a%22%20onmouseover=%22alert(1)"),
    ("https://www.zenger.news/it's here/", "https://www.zenger.news/it%27s%20here/"),
    ("https://user:secret@www.zenger.news/story/", "https://www.zenger.news/story/"),
    ("javascript:alert(1)", ZENGER_URL),  # not a web URL: the URL the page was fetched from instead
])
def test_a_canonical_url_is_published_only_as_a_valid_url(url, published):
    """Regression: quotes, spaces and apostrophes survived in the canonical URL, which breaks out of an HTML
    attribute when a CMS renders it."""
    page = zenger_page().replace(f'<link rel="canonical" href="{ZENGER_URL}">',
                                 f"<link rel=\"canonical\" href=\"{html.escape(url)}\">")
    [result] = parse_items(page.encode(), source_url=ZENGER_URL)
    assert result.ok, result.error
    assert _canonical(result.document) == published and url_problem(published) is None
