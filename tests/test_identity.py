"""Identity: the same partner article gets the same uri whatever shape it arrives in, and whenever."""
import re

import pytest

from ingest_plugin import parse
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
