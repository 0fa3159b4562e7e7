"""The one URL policy (parsing/urls.py): what a publishable URL is, which hosts a partner's pictures, embeds and
canonical URL may be on, how the pipeline applies it to what an input offers, and the schemas' full-match
patterns (issue #16: 5, 6, 10)."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from ingest_plugin import parse_items
from ingest_plugin.config import ConfigError, load_config
from ingest_plugin.parsing.text import canonical_url, web_url
from ingest_plugin.parsing.urls import Use, url_problem
from ingest_plugin.partners import by_key, partner_for_url
from ingest_plugin.schemas import load_schema
from tests.hostile.contexts import LEAD, TAIL, URL_CONTEXTS, benzinga_story
from tests.pagebuilder import zenger_page

ZENGER, BENZINGA = by_key("zenger"), by_key("benzinga")


@pytest.mark.parametrize("url", [
    "https://www.zenger.news/2024/03/12/story/", "http://wpcdn.zenger.news/a.jpg?w=300&h=200",
    "https://www.zenger.news/a%20b/#section-2", "https://www.zenger.news:8443/x", "https://www.zenger.news",
])
def test_a_plain_web_url_passes(url):
    assert url_problem(url) is None


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "data:image/png;base64,iVBORw0KGgo=", "//www.zenger.news/x", "/relative/path", "",
    "ftp://www.zenger.news/x", "HTTPS://www.zenger.news/x", "https://www.zenger.news/a b",
    "https://www.zenger.news/a\"b", "https://www.zenger.news/it's", "https://www.zenger.news/<x>",
    "https://www.zenger.news/x\n", " https://www.zenger.news/x", "https://user:pw@www.zenger.news/x",
    "https://bücher.example/x", "https://localhost/x", "https://www.zenger.news/a\\b", "https://[::1]/x",
    "https://www.zenger.news/100%", None, 42,
])
def test_anything_else_is_refused(url):
    assert url_problem(url) is not None


@pytest.mark.parametrize("url, use, partner, allowed", [
    ("https://www.zenger.news/x/", Use.PAGE, ZENGER, True),
    ("https://zenger.news/x/", Use.PAGE, ZENGER, True),
    ("https://www.benzinga.com/x/", Use.PAGE, ZENGER, False),
    ("https://zenger.news.evil.example/x/", Use.PAGE, ZENGER, False),
    ("https://evilzenger.news/x/", Use.PAGE, ZENGER, False),
    ("https://wpcdn.zenger.news/a.jpg", Use.MEDIA, ZENGER, True),
    ("https://cdn.benzinga.com/a.jpg", Use.MEDIA, ZENGER, False),
    ("https://cdn.benzinga.com/a.jpg", Use.MEDIA, BENZINGA, True),
    ("https://twitter.com/a/status/1", Use.EMBED, ZENGER, True),
    ("https://x.com/a/status/1", Use.EMBED, BENZINGA, True),
    ("https://twitter.com/a.jpg", Use.MEDIA, ZENGER, False),
    ("https://evil.example/a/status/1", Use.EMBED, ZENGER, False),
    ("https://www.benzinga.com/", Use.LINK, ZENGER, True),
])
def test_each_use_has_its_hosts(url, use, partner, allowed):
    assert (url_problem(url, partner, use) is None) is allowed


def test_media_hosts_are_data():
    """An image CDN a partner starts using is one entry in its profile, not code."""
    with_cdn = replace(ZENGER, media_hosts=frozenset({"i0.wp.com"}))
    assert url_problem("https://i0.wp.com/a.jpg", with_cdn, Use.MEDIA) is None
    assert url_problem("https://i0.wp.com/a.jpg", ZENGER, Use.MEDIA) is not None
    assert url_problem("https://i0.wp.com/a.jpg", with_cdn, Use.PAGE) is not None  # never a canonical URL


def test_an_unparseable_url_belongs_to_no_partner():
    assert partner_for_url("https://[www.zenger.news/x") is None and partner_for_url("") is None


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40).map(lambda s: "https://www.zenger.news/" + s),
                 st.text(max_size=60), st.from_regex(r"https?://[^/]{0,20}/.{0,20}", fullmatch=True)))
def test_what_the_normaliser_publishes_always_passes(value):
    """One definition: every URL web_url or canonical_url makes (pictures, the canonical URL) is publishable."""
    for made in (web_url(value), canonical_url(value)):
        assert made is None or url_problem(made) is None, made


# --- the pipeline drops a picture or an embed off the allowed hosts ----------------------------------------------

def _only(data: bytes):
    with capture_logs() as events:
        [result] = parse_items(data, input_name="input")
    assert result.ok, result.error
    return result.document, [e for e in events if e["event"] == "association_dropped"]


@pytest.mark.parametrize("position, url", [
    ("img-src", "https://evil.example/tracker.jpg"), ("img-src", "//xss.example/protocol-relative.jpg"),
    ("img-src", "https://bücher.example/a.jpg"), ("og-image", "https://evil.example/a.jpg"),
    ("rss-media", "https://evil.example/a.jpg"), ("benzinga-image", "https://wpcdn.zenger.news/a.jpg"),
])
def test_a_picture_off_the_partners_hosts_is_dropped_with_a_warning(position, url):
    doc, dropped = _only(URL_CONTEXTS[position](url))
    hrefs = [r["href"] for a in doc.get("associations", []) for r in a["renditions"]]
    assert hrefs == [] and len(dropped) == 1 and "is not on" in dropped[0]["reason"]
    assert "data-association" not in doc["bodies"][0]["value"]  # its placeholder left with it


def test_only_the_picture_off_the_hosts_goes_and_the_others_keep_their_credits():
    figures = "".join(f"<figure class='wp-block-image'><img src='{src}' width='800' height='600'>"
                      f"<figcaption>Senators meet in Washington. {credit}</figcaption></figure>"
                      for src, credit in (("https://wpcdn.zenger.news/a.jpg", "JANE DOE"),
                                          ("https://evil.example/b.jpg", "JOHN ROE"),
                                          ("https://wpcdn.zenger.news/c.jpg", "MARY MAJOR")))
    doc, dropped = _only(zenger_page(LEAD + figures + TAIL).encode())
    pictures = {a["name"]: (a["renditions"][0]["href"], a.get("by")) for a in doc["associations"]}
    assert pictures == {"photo-1": ("https://wpcdn.zenger.news/a.jpg", "Jane Doe"),
                        "photo-3": ("https://wpcdn.zenger.news/c.jpg", "Mary Major")}
    assert [e["association"] for e in dropped] == ["photo-2"]
    body = doc["bodies"][0]["value"]
    assert 'data-association="photo-1"' in body and 'data-association="photo-2"' not in body


def test_tweets_are_kept_on_the_embed_hosts():
    embed = ("<blockquote class='twitter-tweet'><p>Vote today.</p>&mdash; Senate (@SenateGOP) "
             "<a href='https://x.com/SenateGOP/status/1767600000000000000'>March 12, 2024</a></blockquote>")
    doc, dropped = _only(zenger_page(LEAD + embed + TAIL).encode())
    assert [a["uri"] for a in doc["associations"]] == ["https://x.com/SenateGOP/status/1767600000000000000"]
    assert dropped == []


def test_a_benzinga_story_keeps_its_cdn_image():
    doc, dropped = _only(json.dumps([benzinga_story(40200001, LEAD + TAIL, image=[
        {"size": "large", "url": "https://cdn.benzinga.com/files/a.jpeg"}])]).encode())
    assert [a["renditions"][0]["href"] for a in doc["associations"]] == ["https://cdn.benzinga.com/files/a.jpeg"]
    assert dropped == []


# --- full-match patterns in our schemas (issue #16: 10) ----------------------------------------------------------

def _patterns(node):
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node, node["pattern"]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


def test_every_anchored_pattern_of_the_profile_refuses_a_newline():
    """re.search's "$" matches before a final newline: each anchored pattern sits beside a refusal of newlines."""
    anchored = [(node, pattern) for node, pattern in _patterns(load_schema("ninjs-profile.schema.json"))
                if pattern.endswith("$")]
    assert len(anchored) >= 9
    assert all(node.get("not") == {"pattern": "\\n"} for node, _ in anchored), anchored


def test_no_config_pattern_ends_in_a_dollar():
    assert all(not pattern.endswith("$") for _, pattern in _patterns(load_schema("config.schema.json")))


SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqr"


@pytest.mark.parametrize("toml, path", [
    ('[s3]\nbucket = "news-bucket\\n"\n', "s3.bucket"),
    ('[s3]\nendpoint_url = "http://127.0.0.1:9000\\n"\n', "s3.endpoint_url"),
    (f'[webhook]\nsecrets = ["{SECRET}\\n"]\n', "webhook.secrets.0"),
    ('[partners.zenger]\nfeeds = ["https://www.zenger.news/feed/\\n"]\n', "partners.zenger.feeds.0"),
    ('[partners.zenger]\nallowed_hosts = ["www.zenger.news\\n"]\n', "partners.zenger.allowed_hosts.0"),
    ('[partners.zenger]\narticle_url = "https://www.zenger.news/?p={id}\\n"\n', "partners.zenger.article_url"),
])
def test_a_config_value_with_a_trailing_newline_is_refused(tmp_path, toml, path):
    config = tmp_path / "config.toml"
    config.write_text(toml)
    with pytest.raises(ConfigError, match=path.replace(".", r"\.")):
        load_config(config, {})
    config.write_text(toml.replace("\\n", ""))
    load_config(config, {})  # the same value without it is fine
