"""Partners defined by configuration (issue #18, build item 3): a partner is data in the TOML configuration or a
partner file it names, checked by the config schema; the built-in ones are the same data and can be replaced; a
third partner needs no code. End to end: a partner defined only in a test configuration, its site on a loopback
server, through ``ingest``, ``run``, ``serve`` and ``reingest`` into the local S3 (SeaweedFS)."""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import unicodedata
from pathlib import Path

import pytest

from ingest_plugin import parse, partners
from ingest_plugin.config import ConfigError, load_config
from ingest_plugin.partners import profile_from_table
from tests.httpserver import LoopbackHTTPServer, Route, toml_table
from tests.test_triggers import cli, env, items, keys, post, start_serve, wait_for_job  # noqa: F401 - env: fixture

ACME = {
    "name": "Acme Wire", "homepage": "https://news.acme.example/", "domain": "acme.example",
    "hosts": ["acme.example", "news.acme.example"], "aliases": ["Acme"], "desks": ["Acme Staff"],
    "disclaimer": "Acme Wire does not provide investment advice.", "id_role": "acme-id",
    "id_rules": [r"/story/(\d{1,12})/", r"[?&]p=(\d{1,20})\b"], "promo_patterns": [r"^Subscribe to Acme\b"],
    "timezone": "Europe/London",
}
PACKAGED = Path(partners.__file__).parent / "partners.toml"


@pytest.fixture(autouse=True)
def built_in_partners():
    """Whatever a test installs, the next one parses with the built-in partners again."""
    yield
    partners.install(partners.BUILT_IN)


def write_config(directory: Path, *tables: str) -> Path:
    path = directory / "ingest.toml"
    path.write_text("\n".join(tables))
    return path


def acme_page(article_id: int, headline: str) -> bytes:
    """A page of the Acme Wire site: nothing in it is any built-in partner's."""
    url = f"https://news.acme.example/story/{article_id}/{headline.lower().replace(' ', '-')}/"
    graph = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": headline, "url": url,
             "datePublished": "2024-07-12T09:05:00", "author": {"@type": "Person", "name": "Jane Roe"},
             "publisher": {"@type": "Organization", "name": "Acme Wire"}}
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{headline} | Acme Wire</title>
<link rel="canonical" href="{url}"><link rel="shortlink" href="https://news.acme.example/?p={article_id}">
<meta property="og:site_name" content="Acme Wire">
<script type="application/ld+json">{json.dumps(graph)}</script></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/markets/">Markets</a></li></ul></nav>
<main><article><h1>{headline}</h1><p class="byline">By Jane Roe</p>
<div class="entry-content">
<p>LONDON — The harbour authority said on Friday that dredging of the main channel would finish a month early,
letting the largest container ships call at the port again before the autumn peak in trade.</p>
<p>Shipping lines had diverted vessels to rival ports since the spring, when silt cut the channel's depth, and
the authority said traffic should return to normal within weeks of the work ending.</p>
<p>Subscribe to Acme for the morning briefing, free every weekday.</p>
</div></article></main><footer><p>© Acme Wire</p></footer></body></html>""".encode()


def acme_feed(site: LoopbackHTTPServer, *stories: tuple[int, str]) -> bytes:
    """An RSS 2.0 feed of the Acme site whose item links point at the loopback site (to be fetched)."""
    entries = "".join(f"""<item><title>{headline}</title><link>{site.url(f"/story/{number}/")}</link>
<guid isPermaLink="false">https://news.acme.example/?p={number}</guid>
<pubDate>Fri, 12 Jul 2024 08:05:00 +0000</pubDate><dc:creator>Jane Roe</dc:creator>
<description>The harbour authority said dredging of the main channel would finish a month early, letting the largest
container ships call at the port again before the autumn peak in trade, and shipping lines would return.</description>
</item>""" for number, headline in stories)
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Acme Wire</title><link>https://news.acme.example/</link>
<description>News</description>{entries}</channel></rss>""".encode()


# --- The schema and the loader ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("table, complaint", [
    ({**ACME, "bogus": 1}, "partners.acme: Additional properties are not allowed ('bogus' was unexpected)"),
    ({key: value for key, value in ACME.items() if key != "disclaimer"}, "'disclaimer' is a dependency of 'name'"),
    ({"feeds": [], "hosts": ["acme.example"]}, "partners.acme: 'name' is a dependency of 'hosts'"),
    ({"feeds": []}, "partners.acme: no such partner (built-in: zenger, benzinga)"),
    ({**ACME, "hosts": []}, "partners.acme.hosts: [] should be non-empty"),
    ({**ACME, "id_rules": [r"/story/(\d+)/"]}, "partners.acme.id_rules.0: not linear-safe: an unbounded repeat"),
    ({**ACME, "id_rules": [r"/(\d{1,9})/(\d{1,9})/"]}, "partners.acme.id_rules.0: needs exactly 1 group(s)"),
    ({**ACME, "id_rules": [r"/([a-z]{1,9}"]}, "partners.acme.id_rules.0: not a regular expression"),
    ({**ACME, "promo_patterns": ["^ok", r"(?:ab|a){1,40}c"]},
     "partners.acme.promo_patterns.1: not linear-safe: a repeated group"),
    ({**ACME, "promo_patterns": [r"(a)\1"]}, "partners.acme.promo_patterns.0: not linear-safe: a back-reference"),
    ({**ACME, "promo_patterns": [r".{0,999}.{0,999}x"]}, "1,000,000 ways to match at one position"),
    # copied from a built-in table: its articles would resolve to the built-in partner
    ({**ACME, "domain": "zenger.news"}, "partners.acme: its domain 'zenger.news' is partner 'zenger''s too"),
    ({**ACME, "hosts": ["news.acme.example", "www.benzinga.com"]}, "its host 'www.benzinga.com' is partner 'benzinga'"),
    # a URL is the first partner's whose hosts hold it or a parent domain of it; a page's site name finds a partner
    # by its name or aliases, in any case and spacing
    ({**ACME, "hosts": ["acme.example", "wire.zenger.news"]},
     "partners.acme: its host 'wire.zenger.news' is a subdomain of partner 'zenger''s host 'zenger.news'"),
    ({**ACME, "hosts": ["acme.example", "news"]},
     "partners.acme: partner 'zenger''s host 'wpcdn.zenger.news' is a subdomain of its host 'news'"),
    ({**ACME, "aliases": ["Acme", "ZENGER  news"]},
     "partners.acme: its name or alias 'ZENGER  news' is partner 'zenger''s too"),
    # searched at every position of a paragraph: 90,601 ways at each is seconds on a long one (anchored, it is fine)
    ({**ACME, "promo_patterns": [r"x.{0,300}.{0,300}z"]}, "90,601 ways to match at one position (at most 1,000"),
    ({**ACME, "promo_patterns": [r"(?m)^x.{0,300}.{0,300}z"]}, "(at most 1,000"),
    # an alternation adds its branches' ways: forty two-way branches in a row are 2**40 ways at each position (an
    # ordinary page took minutes, and a URL hung reingest --cancel, which runs the id rules in its own process)
    ({**ACME, "promo_patterns": [r"(?:.|\S)" * 40 + "~"]},
     "partners.acme.promo_patterns.0: not linear-safe: its bounds allow 1,099,511,627,776 ways to match"),
    ({**ACME, "id_rules": ["(" + r"(?:.|\S)" * 30 + "~)"]},
     "partners.acme.id_rules.0: not linear-safe: its bounds allow 1,073,741,824 ways to match"),
    ({**ACME, "promo_patterns": ["^" + r"(?:.|\S)" * 20 + "~"]},
     "1,048,576 ways to match at one position (at most 100,000)"),
    ({**ACME, "promo_patterns": [r"(?:.{0,9}|x)" * 3]}, "1,331 ways to match at one position"),  # (10 + 1) ** 3
    ({**ACME, "timezone": "Mars/Olympus_Mons"}, "partners.acme.timezone: no time zone 'Mars/Olympus_Mons'"),
    ({**ACME, "disclaimer_formats": ["pdf"]}, "partners.acme.disclaimer_formats.0"),
])
def test_a_partner_table_that_cannot_be_used_is_refused_naming_its_key(tmp_path, table, complaint):
    path = write_config(tmp_path, toml_table("partners.acme", table))
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert complaint in str(caught.value) and str(path) in str(caught.value)


def test_names_of_a_configuration_saved_decomposed_still_meet_the_text(tmp_path):
    """Inputs are read in NFC; a configuration saved in NFD ("e" and U+0301) credited the partner's desk as a person
    and wrote its name decomposed. Names, aliases, desks and the disclaimer are read in NFC."""
    def nfd(text: str) -> str:
        return unicodedata.normalize("NFD", text)

    lumiere = {**ACME, "name": nfd("Presse Lumière"), "aliases": [nfd("Lumière")], "desks": [nfd("Rédaction Lumière")],
               "disclaimer": nfd("Presse Lumière does not provide investment advice.")}
    load_config(write_config(tmp_path, toml_table("partners.acme", lumiere)), {}).install_partners()
    page = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Le bassin rouvre</title>
<link rel="canonical" href="https://news.acme.example/story/880/bassin/">
<meta property="article:published_time" content="2025-07-14T09:00:00"></head><body><main><article>
<h1>Le bassin rouvre</h1><p class="byline">By Rédaction Lumière</p><div class="entry-content">
<p>Le bassin principal du port a rouvert lundi matin après trois semaines de travaux de dragage, a annoncé
l'autorité portuaire, qui prévoit un retour complet du trafic d'ici la fin du mois.</p>
<p>Les armateurs avaient détourné leurs navires vers les ports voisins pendant les travaux, et plusieurs lignes
régulières reprendront leurs escales dès la semaine prochaine.</p></div></article></main></body></html>"""
    [document] = parse(page.encode())
    assert [source["name"] for source in document["infoSources"] if source["role"].endswith("/author")] == []
    assert document["by"] == document["copyrightHolder"] == "Presse Lumière"  # as typed: NFC
    assert "Presse Lumière does not provide investment advice." in [d["value"] for d in document["descriptions"]]


def test_a_partner_key_must_be_s3_safe(tmp_path):
    path = write_config(tmp_path, toml_table('partners."Acme Wire"', ACME))
    with pytest.raises(ConfigError, match=r"partners: 'Acme Wire' does not match"):
        load_config(path, {})


def test_the_built_in_partners_are_a_valid_partner_file(tmp_path):
    """partners.toml passes the schema as a partner file, and gives the very profiles the package uses."""
    config = load_config(write_config(tmp_path, f"partner_files = [{json.dumps(str(PACKAGED))}]"), {})
    assert config.profiles == partners.BUILT_IN
    assert [(p.profile.key, p.source) for p in config.partners] == [("zenger", str(PACKAGED)),
                                                                    ("benzinga", str(PACKAGED))]


def test_a_pattern_anchored_at_the_start_may_have_wider_bounds():
    profile = profile_from_table("acme", {**ACME, "promo_patterns": [r"^x.{0,300}.{0,300}z"]})
    assert profile.promo_patterns[0][1].search("x" + "y" * 500 + "z")


def test_the_ways_of_an_alternation_add_up():
    """Each branch of an alternation is tried in turn: a promo of two bounded phrases has 41 + 41 ways at a
    position, well under the bound (it was refused as 41 x 41 = 1,681)."""
    promo = r"\b(?:Sign up.{0,40}newsletter|Follow us.{0,40}on X)"
    profile = profile_from_table("acme", {**ACME, "promo_patterns": [promo]})
    assert profile.promo_patterns[0][1].search("Follow us today on X")


def test_promo_needles_are_found_from_the_patterns():
    """Each promo pattern is only searched in text holding its needle: a run of characters every match holds."""
    benzinga = dict((pattern.pattern, needle) for needle, pattern in partners.by_key("benzinga").promo_patterns)
    assert benzinga[r"\bin Benzinga Pro\.?$"] == "nga pro" and benzinga[r"\bGet your tickets\b"] == "get your t"
    profile = profile_from_table("acme", {**ACME, "promo_patterns": ["Visit (?:us|them) today", "^(?:a|b)"]})
    assert [needle for needle, _ in profile.promo_patterns] == [" today", ""]  # no "i", "s" or group in a needle
    assert all(needle in pattern.pattern.lower() for needle, pattern in profile.promo_patterns)


def test_a_configured_partner_replaces_the_built_in_one_of_its_key(tmp_path):
    page = (Path(__file__).parent / "fixtures" / "pages" / "zenger-kenya-drought.html").read_bytes()
    (before,) = parse(page)
    assert before["uri"].startswith("urn:newsml:zenger.news:")
    table = {**tomllib.loads(PACKAGED.read_text())["partners"]["zenger"], "name": "Zenger Wire",
             "domain": "zenger.example", "aliases": ["Zenger"]}
    config = load_config(write_config(tmp_path, toml_table("partners.zenger", table)), {})
    assert [(p.profile.key, p.profile.name, p.source) for p in config.partners] == [
        ("zenger", "Zenger Wire", str(tmp_path / "ingest.toml"))]  # the only configured partner
    assert [p.key for p in config.profiles] == ["zenger", "benzinga"]  # parsing still knows Benzinga
    config.install_partners()
    (after,) = parse(page)
    assert after["uri"] == before["uri"].replace("zenger.news", "zenger.example")
    assert after["copyrightHolder"] == "Zenger Wire"


def test_the_partner_list_of_release_0_2_is_still_read(tmp_path):
    legacy = load_config(write_config(tmp_path, '[[partners]]\nprofile = "zenger"\nfeeds = ["https://www.zenger.news/feed/"]\n'
                                                '[[partners]]\nprofile = "benzinga"\nenabled = false\n'), {})
    tables = load_config(write_config(tmp_path, '[partners.zenger]\nfeeds = ["https://www.zenger.news/feed/"]\n'
                                                '[partners.benzinga]\nenabled = false\n'), {})
    assert legacy.partners == tables.partners
    with pytest.raises(ConfigError, match=r"partners\.1: no profile = KEY"):
        load_config(write_config(tmp_path, '[[partners]]\nprofile = "zenger"\n[[partners]]\nfeeds = []\n'), {})


def test_a_partner_file_defines_partners_the_configuration_configures(tmp_path):
    (tmp_path / "partners").mkdir()
    partner_file = tmp_path / "partners" / "acme.toml"
    partner_file.write_text(toml_table("partners.acme", {**ACME, "feeds": ["https://news.acme.example/feed/"]}))
    config = load_config(write_config(tmp_path, 'partner_files = ["partners/acme.toml"]',
                                      toml_table("partners.acme", {"enabled": False})), {})
    (acme,) = config.partners
    assert (acme.profile.name, acme.source, acme.feeds, acme.enabled) == (
        "Acme Wire", str(partner_file), ("https://news.acme.example/feed/",), False)
    with pytest.raises(ConfigError, match="partners.acme: already defined in .*acme.toml"):
        load_config(write_config(tmp_path, 'partner_files = ["partners/acme.toml"]',
                                 toml_table("partners.acme", ACME)), {})
    partner_file.write_text(toml_table("partners.acme", {"feeds": []}))
    with pytest.raises(ConfigError, match="a partner file defines partners"):
        load_config(write_config(tmp_path, 'partner_files = ["partners/acme.toml"]'), {})
    with pytest.raises(ConfigError, match="no such partner file"):
        load_config(write_config(tmp_path, 'partner_files = ["partners/missing.toml"]'), {})


# --- The command line ---------------------------------------------------------------------------------------------


@pytest.fixture
def s3_that_must_not_be_asked():
    """An "S3 endpoint" that records every request: a command refused for its arguments sends none."""
    with LoopbackHTTPServer({}) as server:
        yield server


@pytest.mark.parametrize("command", [
    ["reingest", "--partner", "reuters", "--id", "1"],
    ["backfill", "--partner", "reuters", "--ids", "1-2"],
    ["repair", "--partner", "reuters"],
    ["render-profiles", "--partner", "reuters"],
    ["export", "--profile", "superdesk", "out", "--partner", "reuters"],
])
def test_an_unknown_partner_is_a_usage_error_before_any_s3_access(tmp_path, s3_that_must_not_be_asked, command):
    config = write_config(tmp_path, toml_table("partners.acme", ACME))
    environ = {"PATH": "/usr/bin:/bin", "INGEST_S3_BUCKET": "bkt", "AWS_ENDPOINT_URL": s3_that_must_not_be_asked.url(),
               "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_DEFAULT_REGION": "us-east-1",
               "INGEST_SPOOL_DIR": str(tmp_path / "spool")}
    result = subprocess.run([sys.executable, "-m", "ingest_plugin", *command, "--config", str(config)], env=environ,
                            capture_output=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 2, result.stderr.decode()
    assert "partner 'reuters' is not configured (known: acme)" in result.stderr.decode()
    assert s3_that_must_not_be_asked.requests == []


def test_parse_knows_the_partners_of_the_configuration_it_is_given(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(acme_page(4242, "Harbour Dredging Ends Early"))
    config = write_config(tmp_path, toml_table("partners.acme", ACME))
    command = [sys.executable, "-m", "ingest_plugin", "parse", str(page)]
    unknown = subprocess.run(command, capture_output=True, timeout=60)
    assert unknown.returncode == 65 and json.loads(unknown.stderr)["code"] == "unknown_partner"
    for budget in ([], ["--budget", "5"]):  # in this process, and in a parse worker process
        known = subprocess.run([*command, "--config", str(config), *budget], capture_output=True, timeout=60)
        assert known.returncode == 0, known.stderr.decode()
        assert json.loads(known.stdout)["uri"] == "urn:newsml:acme.example:4242"


@pytest.mark.parametrize(("configured", "shown"), [
    ("Opinions expressed by Acme Wire contributors are their own and are not financial recommendations.",
     "Opinions expressed by Acme Wire contributors are their own and are not financial recommendations."),
    ("Acme Wire doesn’t offer investment advice.", "Acme Wire doesn’t offer investment advice."),
    ('Acme Wire does not provide "investment" advice.', "Acme Wire does not provide &#8220;investment&#8221; advice."),
    ("Acme Wire reports... it does not give investment advice.",
     "Acme Wire reports&#8230; it does not give investment advice."),
    ("Acme Wire reports\u2026 it does not give investment advice.",
     "Acme Wire reports... it does not give investment advice."),
], ids=["own-wording", "contraction", "curly-quotes", "ellipsis-printed", "ellipsis-typed"])
def test_a_partners_own_disclaimer_leaves_the_body_whatever_its_wording(tmp_path, configured, shown):
    """A partner's pages end with the disclaimer its configuration names, in its own words and in the quotes its
    theme prints: it is the partner's disclaimer (once), not story text, so the article is published."""
    page = tmp_path / "page.html"
    page.write_bytes(acme_page(4242, "Harbour Dredging Ends Early").replace(
        b"</div></article>", f"<p>{shown}</p></div></article>".encode()))
    config = write_config(tmp_path, toml_table("partners.acme", {**ACME, "disclaimer": configured}))
    result = subprocess.run([sys.executable, "-m", "ingest_plugin", "parse", str(page), "--config", str(config)],
                            capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    document = json.loads(result.stdout)
    assert [d["value"] for d in document["descriptions"] if d["role"] == "disclaimer"] == [configured]
    assert "advice" not in document["bodies"][0]["value"] and "Opinions" not in document["bodies"][0]["value"]
    assert b"disclaimer_added" not in result.stderr


def test_a_disclaimer_ending_in_an_ellipsis_takes_no_story_sentence_with_it(tmp_path):
    """A configured disclaimer ending "..." found as "…" in a page: the cut ran on to the next full stop, and the
    story's next sentence left the body with it."""
    page = tmp_path / "page.html"
    page.write_bytes(acme_page(4243, "Harbour Dredging Ends Early").replace(
        b"</div></article>",
        "<p>Acme Wire gives no investment advice… Shares in the port rose 5% on Monday.</p></div></article>"
        .encode()))
    configured = {**ACME, "disclaimer": "Acme Wire gives no investment advice..."}
    config = write_config(tmp_path, toml_table("partners.acme", configured))
    result = subprocess.run([sys.executable, "-m", "ingest_plugin", "parse", str(page), "--config", str(config)],
                            capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    body = json.loads(result.stdout)["bodies"][0]["value"]
    assert "Shares in the port rose 5% on Monday." in body and "advice" not in body


def test_help_reads_no_configuration(tmp_path):
    environ = {"PATH": "/usr/bin:/bin", "INGEST_CONFIG": str(tmp_path / "missing.toml")}
    result = subprocess.run([sys.executable, "-m", "ingest_plugin", "reingest", "--help"], env=environ,
                            capture_output=True, timeout=60)
    assert result.returncode == 0 and b"[partners.KEY]" in result.stdout


def test_check_config_lists_the_partners_and_where_each_is_defined(tmp_path):
    config = write_config(tmp_path, toml_table("partners.zenger", {}), toml_table("partners.acme", ACME))
    environ = {"PATH": "/usr/bin:/bin", "INGEST_S3_BUCKET": "nowhere", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
               "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_DEFAULT_REGION": "us-east-1",
               "INGEST_S3_MAX_ATTEMPTS": "1", "INGEST_S3_CONNECT_TIMEOUT": "1"}
    result = subprocess.run([sys.executable, "-m", "ingest_plugin", "check-config", "--config", str(config)],
                            env=environ, capture_output=True, timeout=60)
    lines = result.stdout.decode().splitlines()
    assert "  partner zenger (enabled): 'Zenger News', hosts wpcdn.zenger.news, www.zenger.news, zenger.news; 0 " \
           "feed(s), fetches from wpcdn.zenger.news, www.zenger.news, zenger.news, updates: update; source: " \
           "built-in" in lines
    assert "  partner acme (enabled): 'Acme Wire', hosts acme.example, news.acme.example; 0 feed(s), fetches from " \
           f"acme.example, news.acme.example, updates: update; source: {config}" in lines
    assert result.returncode == 1 and b"NOT reachable" in result.stderr  # the listing comes before S3


def test_check_config_lists_the_feeds_and_refuses_one_its_partner_may_never_fetch(tmp_path):
    """A feed off its partner's allow-list passed as "ok", and every run then failed on it."""
    environ = {"PATH": "/usr/bin:/bin", "INGEST_S3_BUCKET": "nowhere", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
               "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_DEFAULT_REGION": "us-east-1",
               "INGEST_S3_MAX_ATTEMPTS": "1", "INGEST_S3_CONNECT_TIMEOUT": "1"}
    feed = "https://news.acme.example/feed/"
    config = write_config(tmp_path, toml_table("partners.acme", {**ACME, "feeds": [feed]}))
    listed = subprocess.run([sys.executable, "-m", "ingest_plugin", "check-config", "--config", str(config)],
                            env=environ, capture_output=True, text=True, timeout=60)
    assert f"    feed {feed}" in listed.stdout.splitlines()
    off_list = "http://127.0.0.1:18080/feed.xml"
    config = write_config(tmp_path, toml_table("partners.acme", {**ACME, "feeds": [off_list]}))
    refused = subprocess.run([sys.executable, "-m", "ingest_plugin", "check-config", "--config", str(config)],
                             env=environ, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and off_list in refused.stderr and "allow-list" in refused.stderr
    assert "ok" not in refused.stdout


def check_config(config: Path) -> subprocess.CompletedProcess[str]:
    """``check-config`` run as a user would, with an S3 endpoint where nothing answers (checked last)."""
    environ = {"PATH": "/usr/bin:/bin", "INGEST_S3_BUCKET": "nowhere", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
               "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_DEFAULT_REGION": "us-east-1",
               "INGEST_S3_MAX_ATTEMPTS": "1", "INGEST_S3_CONNECT_TIMEOUT": "1"}
    return subprocess.run([sys.executable, "-m", "ingest_plugin", "check-config", "--config", str(config)],
                          env=environ, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("line, complaint", [
    (toml_table("partners.acme", {**ACME, "id_rules": [r"/(\d{1,4294967296})/"]}),
     "partners.acme.id_rules.0: not a regular expression: the repetition number is too large"),
    (toml_table("partners.acme", {**ACME, "promo_patterns": ["(?a)(?u)Subscribe"]}),
     "partners.acme.promo_patterns.0: not a regular expression: ASCII and UNICODE flags are incompatible"),
    ('partner_files = ["partners/acme\\u0000.toml"]',
     "partner_files.0: '{tmp_path}/partners/acme\\x00.toml': cannot read the partner file: embedded null byte"),
])
def test_a_value_python_cannot_use_is_a_configuration_error_not_a_traceback(tmp_path, line, complaint):
    """A repeat count past C's integers, flags that Python refuses with a ValueError, a NUL in a partner file's name:
    each ended in a traceback (exit 1) or a message naming no key; now check-config names the file and the key."""
    config = write_config(tmp_path, line)
    result = check_config(config)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert f"configuration: {config}: {complaint.format(tmp_path=tmp_path)}" in result.stderr, result.stderr


def test_check_config_refuses_a_disabled_partners_article_url_it_may_never_fetch(tmp_path):
    """``enabled = false`` stops only ``run`` polling the feeds: the webhook and ``reingest --id`` still fetch a
    disabled partner's articles through ``article_url``, so one off its allow-list fails every such job, and
    check-config said "ok". Its feeds, which nothing fetches, are no error."""
    off_list = "http://127.0.0.1:18080/feed.xml"
    paused = {**ACME, "enabled": False, "article_url": "https://www.acme-cdn.example/?p={id}"}
    refused = check_config(write_config(tmp_path, toml_table("partners.acme", paused)))
    assert refused.returncode == 2 and "ok" not in refused.stdout
    assert "partner acme: article_url https://www.acme-cdn.example/?p={id} is never fetched" in refused.stderr
    config = write_config(tmp_path, toml_table("partners.acme", {**ACME, "enabled": False, "feeds": [off_list]}))
    feeds_only = check_config(config)
    assert f"configuration: {config}: ok" in feeds_only.stdout and "NOT reachable" in feeds_only.stderr


BETA = {"name": "Beta Wire", "homepage": "https://wire.acme.example/", "domain": "betawire.example",
        "hosts": ["wire.acme.example"], "disclaimer": "Beta Wire does not provide investment advice."}


@pytest.mark.parametrize("tables, complaint", [
    ({"acme": ACME, "beta": BETA},
     "partners.beta: its host 'wire.acme.example' is a subdomain of partner 'acme''s host 'acme.example'"),
    ({"beta": BETA, "acme": ACME},
     "partners.acme: partner 'beta''s host 'wire.acme.example' is a subdomain of its host 'acme.example'"),
    ({"acme": {**ACME, "aliases": ["Acme", "Harbor Light"]},
      "beta": {**BETA, "hosts": ["beta.example"], "aliases": ["harbor light"]}},
     "partners.beta: its name or alias 'harbor light' is partner 'acme''s too"),
])
def test_partners_whose_hosts_or_names_overlap_are_refused_naming_both(tmp_path, tables, complaint):
    """Beta's site a subdomain of Acme's: its articles were published as Acme's (uri, copyrightHolder, keys). Two
    partners sharing an alias: a page naming its site by it was credited to whichever came first."""
    config = write_config(tmp_path, *(toml_table(f"partners.{key}", table) for key, table in tables.items()))
    result = check_config(config)
    assert result.returncode == 2 and f"configuration: {config}: {complaint}" in result.stderr, result.stderr
    assert "ok" not in result.stdout


# --- A third partner, end to end -----------------------------------------------------------------------------------


@pytest.fixture
def acme_site():
    routes: dict[str, Route | bytes] = {"/story/4242/": acme_page(4242, "Harbour Dredging Ends Early"),
                                        "/story/4243/": acme_page(4243, "Port Traffic Returns"),
                                        "/": acme_page(4245, "Shipping Lines Come Back")}  # "/?p=ID", by id
    with LoopbackHTTPServer(routes) as server:
        server.routes["/feed/"] = Route(acme_feed(server, (4242, "Harbour Dredging Ends Early"),
                                                  (4243, "Port Traffic Returns")), content_type="application/rss+xml")
        yield server


@pytest.fixture
def acme_config(tmp_path, acme_site):
    """A configuration whose only partner is Acme Wire, defined right here, its site on loopback."""
    return write_config(
        tmp_path, toml_table("limits", {"min_seconds_between_requests": 0}),
        toml_table("fetch", {"allow_private_addresses": True}),
        toml_table("partners.acme", {**ACME, "hosts": [*ACME["hosts"], "127.0.0.1"],  # its site, here
                                     "feeds": [acme_site.url("/feed/")],
                                     "allowed_hosts": [f"127.0.0.1:{acme_site.port}"],
                                     "article_url": acme_site.url("/?p=") + "{id}"}))


def document(env, key):  # noqa: F811
    _, s3, bucket = env
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_a_partner_defined_only_in_the_configuration_ingests_end_to_end(env, acme_config, acme_site,  # noqa: F811
                                                                       tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(acme_page(4241, "Dredging Begins"))
    ingested = cli(env, "ingest", str(page), "--config", str(acme_config))  # parsed in a budgeted worker process
    assert ingested.returncode == 0, ingested.stderr.decode()[-2000:]
    doc = document(env, "articles/acme/4241/v1.json")
    assert doc["uri"] == "urn:newsml:acme.example:4241"
    assert {"role": "acme-id", "value": "4241"} in doc["altIds"]
    assert doc["firstCreated"] == "2024-07-12T09:05:00+01:00"  # a time with no offset, read in London
    body = json.dumps(doc)
    assert "Acme Wire does not provide investment advice." in body  # the partner's disclaimer, added
    assert "Subscribe to Acme" not in body and "Jane Roe" in body  # its promo dropped, the byline kept

    run = cli(env, "run", "--config", str(acme_config))  # the feed, each item's page fetched (the default)
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    assert sorted((i["status"], i["key"]) for i in items(run)) == [
        ("created", "articles/acme/4242/v1.json"), ("created", "articles/acme/4243/v1.json")]
    assert "cursors/acme.json" in keys(env, "cursors/")
    assert {"/feed/", "/story/4242/", "/story/4243/"} <= set(acme_site.paths())

    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    variables = {k: v for k, v in env[0].items() if not k.startswith("_")}
    server, base = start_serve(acme_config, variables, port, subprocess.PIPE)
    try:
        status, reply = post(base, {"partner": "acme", "id": "4245"})
        assert status == 202, reply
        job = wait_for_job(base, reply["job_id"])
        assert job["status"] == "done" and job["result"]["items"][0]["key"] == "articles/acme/4245/v1.json", job
        status, reply = post(base, {"partner": "zenger", "id": "63809"})  # built-in, but not configured here
        assert (status, reply) == (400, {"error": "payload partner: 'zenger' is not a configured partner (known: "
                                                  "acme)"})
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert acme_site.paths().count("/?p=4245") == 1

    again = cli(env, "reingest", "--config", str(acme_config), "--partner", "acme", "--id", "4245", "--force")
    assert again.returncode == 0, again.stderr.decode()[-2000:]
    assert [(i["status"], i["key"]) for i in items(again)] == [("updated", "articles/acme/4245/v2.json")]
    assert document(env, "articles/acme/4245/current.json")["version"] == "2"
    assert not any(key.startswith("failed/") for key in keys(env))


def test_feed_items_linking_off_the_partners_hosts_are_published_from_the_feed(env, acme_site, tmp_path):  # noqa: F811
    """A partner whose pages are fetched (the default) but whose feed links to no host of its own: each item's link
    is dropped and its URL is the feed's, so the item is published from the feed, and the feed is read once."""
    config = write_config(
        tmp_path, toml_table("limits", {"min_seconds_between_requests": 0}),
        toml_table("fetch", {"allow_private_addresses": True}),
        toml_table("partners.acme", {**ACME, "feeds": [acme_site.url("/feed/")],
                                     "allowed_hosts": [f"127.0.0.1:{acme_site.port}"]}))
    run = cli(env, "run", "--config", str(config))
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    assert sorted((i["status"], i["key"]) for i in items(run)) == [
        ("created", "articles/acme/4242/v1.json"), ("created", "articles/acme/4243/v1.json")]
    assert acme_site.paths() == ["/feed/"]


def test_an_undated_page_listed_by_the_feed_takes_the_feed_items_date_and_alone_is_refused(
        env, acme_config, acme_site, tmp_path):  # noqa: F811
    """The ingest time is no publication date: a page that states none is published with the date of the feed item
    that listed it (a cron run), and refused with a clear reason when it arrives alone."""
    undated = acme_page(4242, "Harbour Dredging Ends Early").replace(b'"datePublished": "2024-07-12T09:05:00", ', b"")
    assert b"datePublished" not in undated
    acme_site.routes["/story/4242/"] = Route(undated)
    run = cli(env, "run", "--config", str(acme_config))
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    assert sorted(i["status"] for i in items(run)) == ["created", "created"]
    assert document(env, "articles/acme/4242/v1.json")["firstCreated"] == "2024-07-12T08:05:00+00:00"  # pubDate

    page = tmp_path / "undated.html"
    page.write_bytes(undated)
    alone = cli(env, "parse", str(page), "--config", str(acme_config))
    assert alone.returncode == 65 and alone.stdout == b""
    assert b"not_an_article" in alone.stderr and b"no publication date" in alone.stderr


def test_an_undated_feed_item_still_has_its_dated_page_fetched(env, acme_config, acme_site):  # noqa: F811
    """A feed item that states no date is no article on its own, but the partner's pages are fetched: the page,
    which states its date, is published with it (the item's refusal does not lose its link)."""
    feed = acme_site.routes["/feed/"]
    acme_site.routes["/feed/"] = Route(feed.body.replace(b"<pubDate>Fri, 12 Jul 2024 08:05:00 +0000</pubDate>", b""),
                                       content_type="application/rss+xml")
    run = cli(env, "run", "--config", str(acme_config))
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    assert sorted((i["status"], i["key"]) for i in items(run)) == [
        ("created", "articles/acme/4242/v1.json"), ("created", "articles/acme/4243/v1.json")]
    assert document(env, "articles/acme/4242/v1.json")["firstCreated"] == "2024-07-12T09:05:00+01:00"  # the page's
    assert {"/story/4242/", "/story/4243/"} <= set(acme_site.paths())
    assert not any(key.startswith("failed/") for key in keys(env))


def test_an_undated_feed_item_linking_off_the_partners_hosts_is_kept_not_fetched(env, acme_site, tmp_path):  # noqa: F811
    """An undated item's link is followed only when it is one of the partner's pages: off its hosts, the item is
    refused for its missing date and kept for replay, and nothing but the feed is requested."""
    config = write_config(
        tmp_path, toml_table("limits", {"min_seconds_between_requests": 0}),
        toml_table("fetch", {"allow_private_addresses": True}),
        toml_table("partners.acme", {**ACME, "feeds": [acme_site.url("/feed/")],
                                     "allowed_hosts": [f"127.0.0.1:{acme_site.port}"]}))
    feed = acme_site.routes["/feed/"]
    acme_site.routes["/feed/"] = Route(feed.body.replace(b"<pubDate>Fri, 12 Jul 2024 08:05:00 +0000</pubDate>", b""),
                                       content_type="application/rss+xml")
    run = cli(env, "run", "--config", str(config))
    assert run.returncode == 1, run.stderr.decode()[-2000:]  # items failed
    failed = [i for i in items(run) if i["status"] == "failed"]
    assert len(failed) == 2 and all("no publication date" in json.dumps(i) for i in failed), items(run)
    assert acme_site.paths() == ["/feed/"]
    records = [key for key in keys(env) if key.startswith("failed/acme/") and key.endswith("/raw")]
    assert len(records) == 2 and all(b"<item" in env[1].get_object(Bucket=env[2], Key=key)["Body"].read()
                                      for key in records)


def _undated_items_kept_from_the_feed(env, acme_config, acme_site, tmp_path) -> None:  # noqa: F811
    """Acme's feed, its dates removed, run while the partner's feed content was used as it is
    (``fetch_article_page = false``): both items are kept under failed/ for their missing date."""
    feed = acme_site.routes["/feed/"]
    acme_site.routes["/feed/"] = Route(feed.body.replace(b"<pubDate>Fri, 12 Jul 2024 08:05:00 +0000</pubDate>", b""),
                                       content_type="application/rss+xml")
    feed_only = tmp_path / "feed-only"
    feed_only.mkdir()
    thin = acme_config.read_text().replace('[partners.acme]', '[partners.acme]\nfetch_article_page = false')
    assert thin != acme_config.read_text()
    kept = cli(env, "run", "--config", str(write_config(feed_only, thin)))
    assert kept.returncode == 1, kept.stderr.decode()[-2000:]
    assert [i["status"] for i in items(kept)] == ["failed", "failed"]
    assert acme_site.paths() == ["/feed/"]


def failed_records(env) -> dict[str, dict]:  # noqa: F811
    _, s3, bucket = env
    return {key: json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) for key in keys(env)
            if key.startswith("failed/") and key.endswith("/error.json")}


def test_a_kept_undated_feed_item_is_replayed_from_its_page_once_pages_are_fetched(
        env, acme_config, acme_site, tmp_path):  # noqa: F811
    """Items kept for their missing date while the partner's feed content was used as it is (or before undated
    items' pages were fetched) are replayed as a run would take them now: from their pages, which state the date.
    The failed records go once the articles are published."""
    _undated_items_kept_from_the_feed(env, acme_config, acme_site, tmp_path)
    replayed = cli(env, "reingest", "--failed", "--config", str(acme_config))
    assert replayed.returncode == 0, replayed.stderr.decode()[-2000:]
    assert sorted((i["status"], i["key"]) for i in items(replayed)) == [
        ("created", "articles/acme/4242/v1.json"), ("created", "articles/acme/4243/v1.json")]
    assert document(env, "articles/acme/4242/v1.json")["firstCreated"] == "2024-07-12T09:05:00+01:00"  # the page's
    assert not any(key.startswith("failed/") for key in keys(env))


def test_a_replayed_undated_item_whose_page_fails_keeps_the_item_and_is_followed_again(
        env, acme_config, acme_site, tmp_path):  # noqa: F811
    """The page of a replayed undated item is down, then a stub: the record keeps the feed item (its payload and
    URL, so that the next replay follows its link again), with the page's reason, naming the page; once the page is
    back, a replay publishes it."""
    _undated_items_kept_from_the_feed(env, acme_config, acme_site, tmp_path)
    before = {key: (record["source_url"], record["raw_sha256"]) for key, record in failed_records(env).items()}
    pages = {path: acme_site.routes[path] for path in ("/story/4242/", "/story/4243/")}
    acme_site.routes.update({path: Route(b"busy", status=503) for path in pages})
    down = cli(env, "reingest", "--failed", "--config", str(acme_config))
    assert [i["status"] for i in items(down)] == ["failed", "failed"]
    after = failed_records(env)
    assert {key: (record["source_url"], record["raw_sha256"]) for key, record in after.items()} == before
    assert all(record["code"] == "fetch_failed" and "503" in record["message"] for record in after.values())

    stub = b"""<html><head><title>Dredging Ends Early</title></head><body><h1>Dredging Ends Early</h1>
<p>Subscribe to continue reading.</p></body></html>"""
    acme_site.routes.update({path: Route(stub) for path in pages})
    refused = cli(env, "reingest", "--failed", "--config", str(acme_config))
    assert [i["status"] for i in items(refused)] == ["failed", "failed"]
    after = failed_records(env)
    assert {key: (record["source_url"], record["raw_sha256"]) for key, record in after.items()} == before
    assert sorted(record["message"].split(": ")[0] for record in after.values()) == [
        f"its page {acme_site.url(path)}" for path in sorted(pages)]

    acme_site.routes.update(pages)
    back = cli(env, "reingest", "--failed", "--config", str(acme_config))
    assert back.returncode == 0, back.stderr.decode()[-2000:]
    assert sorted(i["status"] for i in items(back)) == ["created", "created"]
    assert not failed_records(env)


def test_a_third_partners_feed_can_be_forced_as_rss(env, acme_config, acme_site, tmp_path):  # noqa: F811
    """``--input-format rss`` names any partner's RSS 2.0 feed, not only the built-in partners' formats."""
    feed = tmp_path / "feed.xml"
    feed.write_bytes(acme_site.routes["/feed/"].body)
    parsed = cli(env, "parse", str(feed), "--config", str(acme_config), "--input-format", "rss")
    assert parsed.returncode == 0, parsed.stderr.decode()[-2000:]
    documents = [json.loads(line) for line in parsed.stdout.decode().splitlines()]
    assert [d["headlines"][0]["value"] for d in documents] == ["Harbour Dredging Ends Early", "Port Traffic Returns"]
    assert all(d["uri"].startswith("urn:newsml:acme.example:") for d in documents)


def test_a_partners_own_body_container_is_the_fast_path_to_its_article(tmp_path):
    """Acme's story sits in ``div.story-text``; beside it, a letters column with more text and no furniture class
    would win a generic search. With ``containers = ["story-text"]`` the body is the story alone."""
    story = ["The harbour authority said on Friday that dredging of the main channel would finish a month early.",
             "Shipping lines had diverted vessels to rival ports since the spring, when silt cut the channel's depth.",
             "The authority said traffic should return to normal within weeks of the work ending, officials said."]
    letters = " ".join(["Sir, the town council should spend the harbour money on the old swimming baths, which have "
                        "been closed for years, instead of digging the channel deeper for ships, write many readers."
                        ] * 6)
    page = f"""<!DOCTYPE html><html lang="en"><head><title>Dredging Ends Early | Acme Wire</title>
<link rel="canonical" href="https://news.acme.example/story/4250/dredging-ends-early/">
<meta property="article:published_time" content="2024-07-12T09:05:00+01:00"></head><body>
<h1>Dredging Ends Early</h1><div class="story-text">{"".join(f"<p>{p}</p>" for p in story)}</div>
<div class="letters"><p>{letters}</p><p>{letters}</p></div></body></html>""".encode()
    config = write_config(tmp_path, toml_table("partners.acme", {**ACME, "containers": ["story-text"]}))
    load_config(config, {}).install_partners()
    [document] = parse(page, source_url="https://news.acme.example/story/4250/dredging-ends-early/")
    body = document["bodies"][0]["value"]
    assert all(paragraph in body for paragraph in story) and "swimming baths" not in body
