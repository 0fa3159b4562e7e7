"""Identity integrity at the job level (issue #16): content that claims another partner than the one its job came
from (the partner's feed, a URL on the partner's hosts, an article id fetched from the partner) is refused with
``partner_mismatch``, kept under the partner it came from, and never published under the partner it claims. Real
processes, a loopback partner site and the local S3."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.httpserver import LoopbackHTTPServer, Route, partner_config
from tests.test_triggers import cli, env, items, keys  # noqa: F401 - env is a fixture

pytestmark = pytest.mark.s3
FIXTURES = Path(__file__).parent / "fixtures"
BENZINGA_PAGE = (FIXTURES / "pages" / "benzinga-article.html").read_bytes()
BENZINGA_FEED = (FIXTURES / "feeds" / "benzinga.rss").read_bytes()
ZENGER_FEED = (FIXTURES / "feeds" / "zenger-wordpress.rss").read_bytes()


@pytest.fixture
def zenger_site():
    """A site the configuration gives to Zenger, serving Benzinga's content at some paths."""
    routes = {"/feed/": Route(ZENGER_FEED, content_type="application/rss+xml"),
              "/other-feed/": Route(BENZINGA_FEED, content_type="application/rss+xml"),
              "/story/": Route(BENZINGA_PAGE), "/": Route(BENZINGA_PAGE)}
    with LoopbackHTTPServer(routes) as server:
        yield server


@pytest.fixture
def config(tmp_path, zenger_site):
    path = tmp_path / "ingest.toml"
    path.write_text(partner_config(zenger_site, feeds=["/feed/", "/other-feed/"], article_url=True))
    return path


def test_a_page_on_the_partners_host_claiming_another_partner_is_refused(env, config, zenger_site):  # noqa: F811
    for how in (["--url", zenger_site.url("/story/")], ["--partner", "zenger", "--id", "1234"]):
        result = cli(env, "reingest", "--config", str(config), *how)
        assert result.returncode == 1, result.stderr.decode()[-2000:]
        (outcome,) = items(result)
        assert (outcome["status"], outcome["error"]["code"], outcome["partner"]) == (
            "failed", "partner_mismatch", "zenger")
        assert "benzinga" in outcome["error"]["message"]
    assert keys(env, "articles/") == []
    assert keys(env, "failed/") and all(k.startswith("failed/zenger/") for k in keys(env, "failed/"))


def test_a_partners_feed_carrying_another_partners_items_publishes_only_its_own(env, config):  # noqa: F811
    result = cli(env, "run", "--config", str(config))
    assert result.returncode == 1, result.stderr.decode()[-2000:]
    outcomes = items(result)
    refused = [o for o in outcomes if o["status"] == "failed"]
    published = [o for o in outcomes if o["status"] == "created"]
    assert len(published) == 3 and all(o["partner"] == "zenger" for o in published)
    assert refused and all(o["error"]["code"] == "partner_mismatch" for o in refused)
    assert not any(k.startswith("articles/benzinga/") for k in keys(env, "articles/"))
