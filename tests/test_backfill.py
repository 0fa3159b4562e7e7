"""``ingest-plugin backfill`` (issue #12): a partner's archive from its WordPress sitemaps, an id range or a list.

A loopback partner site serves a Yoast sitemap index (a post sitemap, a gzipped one, and page, category and author
sitemaps that must never be read) and the article pages of ``tests/fixtures/pages``; the commands run as real
processes against the real local S3 (SeaweedFS) and, for the queue, SQS in ``moto_server``. The sitemap parser's
hostile inputs and the walk's laziness are checked in process. No timing is asserted anywhere: a super-linear
parser or walk would show as a test that takes minutes."""
from __future__ import annotations

import gzip
import io
import json
import os
import sys
from pathlib import Path

import pytest

from ingest_plugin.config import load_config
from ingest_plugin.entrypoints.progress import with_progress
from ingest_plugin.ingest.backfill import BackfillError, SitemapWalk, Window, plan
from ingest_plugin.parsing.sitemap import SITEMAP_NS, Sitemap, SitemapError, w3c_datetime
from tests.httpserver import LoopbackHTTPServer, Route
from tests.test_triggers import cli, config, env, items, keys  # noqa: F401 - config and env are fixtures

PAGES = Path(__file__).parent / "fixtures" / "pages"
XML = "application/xml; charset=UTF-8"
IMAGE_NS = "http://www.google.com/schemas/sitemap-image/1.1"
# path on the partner site -> (fixture page, <lastmod> or None)
POSTS = {
    "/2023/03/09/kenya-drought/": ("zenger-kenya-drought.html", "2023-03-09T08:47:30+00:00"),
    "/2023/06/18/blinken-qin-gang/": ("zenger-blinken.html", "2023-06-18T11:04:17+00:00"),
    "/2023/08/22/soil-sensors/": ("zenger-israel-soil-sensors.html", "2023-08-22"),
    "/2023/05/04/capetown/": ("zenger-capetown-no-disclaimer.html", None),
}
GZIPPED_POSTS = {
    "/2023/10/03/markets/": ("zenger-markets-editor-account.html", "2023-10-03T21:31:44Z"),
    "/2024/10/19/miami/": ("zenger-miami-vcard.html", "2024-10-19T09:05:31-04:00"),
}
IN_2023_H2 = ["/2023/08/22/soil-sensors/", "/2023/10/03/markets/"]  # --since 2023-07-01 --until 2023-12-31


def urlset(entries: list[tuple[str, str | None]], extra: str = "") -> bytes:
    """A Yoast post sitemap: each entry with its lastmod (when given) and an image, as Yoast lists them."""
    body = "".join(f"<url><loc>{loc}</loc>{f'<lastmod>{lastmod}</lastmod>' if lastmod else ''}"
                   f"<image:image><image:loc>{loc}featured.jpg</image:loc></image:image></url>"
                   for loc, lastmod in entries)
    return (f'<?xml version="1.0" encoding="UTF-8"?><?xml-stylesheet type="text/xsl" href="/main-sitemap.xsl"?>'
            f'<urlset xmlns:image="{IMAGE_NS}" xmlns="{SITEMAP_NS}">{extra}{body}</urlset>').encode()


def sitemap_index(locs: list[str]) -> bytes:
    body = "".join(f"<sitemap><loc>{loc}</loc><lastmod>2024-10-19T09:05:31+00:00</lastmod></sitemap>"
                   for loc in locs)
    return f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="{SITEMAP_NS}">{body}</sitemapindex>'.encode()


class PartnerSite:
    """The loopback partner site: a Yoast sitemap index and the posts it lists, and articles by id."""

    def __init__(self) -> None:
        self.server = LoopbackHTTPServer({})

    def __enter__(self) -> PartnerSite:
        self.server.__enter__()
        url = self.server.url
        routes = self.server.routes
        posts = [(url(path), lastmod) for path, (_, lastmod) in POSTS.items()]
        routes["/sitemap_index.xml"] = Route(sitemap_index([
            url("/post-sitemap.xml"), url("/post-sitemap2.xml.gz"), url("/page-sitemap.xml"),
            url("/category-sitemap.xml"), url("/author-sitemap.xml"), "https://elsewhere.example/post-sitemap.xml"]),
            content_type=XML)
        routes["/post-sitemap.xml"] = Route(urlset(
            [*posts, ("https://elsewhere.example/2023/07/01/not-ours/", "2023-07-01"), ("ftp://nope/", None)],
            extra="<url><lastmod>2023-07-01</lastmod></url>"), content_type=XML)  # off-host, malformed, no <loc>
        routes["/post-sitemap2.xml.gz"] = Route(gzip.compress(urlset(
            [(url(path), lastmod) for path, (_, lastmod) in GZIPPED_POSTS.items()])), content_type="application/x-gzip")
        routes["/page-sitemap.xml"] = Route(urlset([(url("/about/"), "2024-01-01")]), content_type=XML)
        routes["/category-sitemap.xml"] = Route(urlset([(url("/category/world/"), None)]), content_type=XML)
        routes["/author-sitemap.xml"] = Route(urlset([(url("/author/someone/"), None)]), content_type=XML)
        for path, (page, _) in {**POSTS, **GZIPPED_POSTS}.items():
            routes[path] = Route((PAGES / page).read_bytes())
        routes["/"] = Route((PAGES / "zenger-ukraine-reporting-from.html").read_bytes())  # /?p=ID, as WordPress
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def url(self, path: str = "/") -> str:
        return self.server.url(path)

    def paths(self) -> list[str]:
        return self.server.paths()


@pytest.fixture
def site():
    with PartnerSite() as partner_site:
        yield partner_site


@pytest.fixture
def partner_site(site):
    """The site test_triggers' ``config`` fixture configures: zenger on its host, ``article_url`` ``/?p={id}``."""
    return site.server


def run_line(result) -> dict:
    return json.loads(result.stdout.decode().splitlines()[-1])


def article_paths(site: PartnerSite) -> list[str]:
    return [path for path in site.paths() if not path.endswith((".xml", ".xml.gz"))]


# --- The command, end to end ---------------------------------------------------------------------------------------


@pytest.mark.s3
def test_sitemap_discovery_with_since_until_dry_run_counts_and_fetches_no_article(env, config, site):  # noqa: F811
    result = cli(env, "--log-level", "INFO", "backfill", "--config", str(config), "--partner", "zenger",
                 "--sitemap", site.url("/"), "--since", "2023-07-01", "--until", "2023-12-31", "--dry-run")
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert [(i["status"], i["dry_run"], i["input"]) for i in items(result)] == [
        ("queued", True, site.url(path)) for path in IN_2023_H2]
    # Only the index and the two post sitemaps were read: no page, category or author sitemap, and no article.
    assert site.paths() == ["/sitemap_index.xml", "/post-sitemap.xml", "/post-sitemap2.xml.gz"]
    run = run_line(result)
    assert run["dry_run"] and run["counts"]["queued"] == 2 and run["ok"]
    sitemaps = {feed["url"]: feed for feed in run["feeds"]}
    assert sitemaps[site.url("/sitemap_index.xml")]["skipped"] == {"not_posts": 3, "off_host": 1}
    post = sitemaps[site.url("/post-sitemap.xml")]
    assert (post["entries"], post["new_items"]) == (5, 1)  # the two malformed ones are no entries
    assert post["skipped"] == {"outside_window": 2, "undated": 1, "off_host": 1, "malformed": 2}
    assert sitemaps[site.url("/post-sitemap2.xml.gz")]["skipped"] == {"outside_window": 1}
    logged = [json.loads(line) for line in result.stderr.decode().splitlines() if line.startswith("{")]
    assert [e["input"] for e in logged if e["event"] == "backfill_job"] == [site.url(p) for p in IN_2023_H2]
    assert keys(env) == []  # a dry run writes nothing, not even a run record

    everything = cli(env, "backfill", "--config", str(config), "--partner", "zenger", "--sitemap", site.url("/"),
                     "--dry-run")  # no filter: entries without a lastmod are kept
    assert [i["input"] for i in items(everything)] == [site.url(p) for p in [*POSTS, *GZIPPED_POSTS]]


@pytest.mark.s3
def test_running_the_same_backfill_twice_publishes_nothing_twice(env, config, site):  # noqa: F811
    first = cli(env, "backfill", "--config", str(config), "--partner", "zenger", "--sitemap",
                site.url("/sitemap_index.xml"))
    assert first.returncode == 0, first.stderr.decode()[-2000:]
    assert [i["status"] for i in items(first)] == ["created"] * 6
    versions = [key for key in keys(env, "articles/") if not key.endswith("/current.json")]
    assert len(versions) == 6 and all(key.endswith("/v1.json") for key in versions)

    second = cli(env, "backfill", "--config", str(config), "--partner", "zenger", "--sitemap",
                 site.url("/sitemap_index.xml"))
    assert second.returncode == 0, second.stderr.decode()[-2000:]
    assert [i["status"] for i in items(second)] == ["unchanged"] * 6  # enqueued and run again: nothing written
    assert [key for key in keys(env, "articles/") if not key.endswith("/current.json")] == versions
    assert run_line(second)["trigger"] == "backfill"
    assert len(keys(env, "runs/history/")) == 2 and keys(env, "runs/latest/backfill.json")


@pytest.mark.s3
def test_an_id_range_fetches_each_id_through_the_article_url_template(env, config, site, tmp_path):  # noqa: F811
    result = cli(env, "backfill", "--config", str(config), "--partner", "zenger", "--ids", "1-3")
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert [(i["input"], i["status"]) for i in items(result)] == [  # an outcome names the URL the id gave
        (site.url(f"/?p={n}"), status) for n, status in ((1, "created"), (2, "unchanged"), (3, "unchanged"))]
    assert site.paths() == ["/?p=1", "/?p=2", "/?p=3"]  # the site serves one story for every id

    limited = cli(env, "backfill", "--config", str(config), "--partner", "zenger", "--ids", "2-900000", "--limit", "1")
    assert [(i["input"], i["status"]) for i in items(limited)] == [(site.url("/?p=2"), "unchanged")]

    config.write_text(config.read_text() + f'\n[[partners]]\nprofile = "benzinga"\nallowed_hosts = ["{site.host}"]\n')
    without = cli(env, "backfill", "--config", str(config), "--partner", "benzinga", "--ids", "1-3")
    assert without.returncode == 2 and b"no article_url template" in without.stderr
    assert cli(env, "backfill", "--config", str(config), "--partner", "zenger", "--ids", "9-1").returncode == 2


@pytest.mark.s3
def test_a_file_of_urls_and_ids(env, config, site, tmp_path):  # noqa: F811
    listed = tmp_path / "archive.txt"
    listed.write_text(f"# what the partner's editor sent\n\n{site.url('/2023/03/09/kenya-drought/')}\n  2  \n"
                      f"{site.url('/2024/10/19/miami/')}\n")
    result = cli(env, "backfill", "--config", str(config), "--partner", "zenger", "--file", str(listed))
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert [(i["input"], i["status"]) for i in items(result)] == [
        (site.url("/2023/03/09/kenya-drought/"), "created"), (site.url("/?p=2"), "created"),
        (site.url("/2024/10/19/miami/"), "created")]
    assert site.paths() == ["/2023/03/09/kenya-drought/", "/?p=2", "/2024/10/19/miami/"]


@pytest.mark.s3
def test_a_url_off_the_partners_hosts_is_refused_before_anything_runs(env, config, site, tmp_path):  # noqa: F811
    listed = tmp_path / "archive.txt"
    listed.write_text(f"{site.url('/2023/03/09/kenya-drought/')}\n# next\nhttps://elsewhere.example/story/\n")
    result = cli(env, "backfill", "--config", str(config), "--partner", "zenger", "--file", str(listed))
    assert result.returncode == 2
    message = result.stderr.decode()
    assert f"{listed}:3" in message and "elsewhere.example is not on the allow-list" in message
    assert site.host in message and "Traceback" not in message

    not_an_id = tmp_path / "ids.txt"
    not_an_id.write_text("63809\n../../etc/passwd\n")
    refused = cli(env, "backfill", "--config", str(config), "--partner", "zenger", "--file", str(not_an_id))
    assert refused.returncode == 2 and f"{not_an_id}:2: neither an http(s) URL nor an article id" in (
        refused.stderr.decode())

    elsewhere = cli(env, "backfill", "--config", str(config), "--partner", "zenger", "--sitemap",
                    "https://elsewhere.example/sitemap_index.xml")
    assert elsewhere.returncode == 2 and b"elsewhere.example is not on the allow-list" in elsewhere.stderr
    homepage = cli(env, "backfill", "--config", str(config), "--partner", "zenger", "--sitemap")
    assert homepage.returncode == 2 and b"zenger's homepage https://www.zenger.news/" in homepage.stderr
    assert b"--sitemap URL" in homepage.stderr
    filtered_ids = cli(env, "backfill", "--config", str(config), "--partner", "zenger", "--ids", "1-2",
                       "--since", "2024-01-01")
    assert filtered_ids.returncode == 2 and b"--since and --until filter on sitemap" in filtered_ids.stderr
    assert site.paths() == [] and keys(env) == []  # nothing fetched, nothing enqueued or written


@pytest.mark.s3
def test_a_sitemap_that_fails_fails_the_run_after_the_jobs_of_the_others(env, config, site):  # noqa: F811
    site.server.routes["/post-sitemap2.xml.gz"] = Route(b"<html>gone</html>", status=404)
    result = cli(env, "backfill", "--config", str(config), "--partner", "zenger", "--sitemap", site.url("/"),
                 "--dry-run")
    assert result.returncode == 1
    assert len(items(result)) == len(POSTS)
    run = run_line(result)
    failed = [feed for feed in run["feeds"] if feed["status"] == "failed"]
    assert [feed["url"] for feed in failed] == [site.url("/post-sitemap2.xml.gz")] and "404" in failed[0]["reason"]


@pytest.mark.s3
def test_with_a_queue_the_jobs_arrive_in_it_with_trigger_backfill(env, config, site, local_sqs):  # noqa: F811
    queue, _dead = local_sqs.queue_pair()
    variables, s3, bucket = env
    queued_env = ({**variables, **local_sqs.env(), "INGEST_QUEUE_URL": queue}, s3, bucket)
    result = cli(queued_env, "backfill", "--config", str(config), "--partner", "zenger", "--sitemap", site.url("/"),
                 "--until", "2023-08-22")
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    expected = ["/2023/03/09/kenya-drought/", "/2023/06/18/blinken-qin-gang/", "/2023/08/22/soil-sensors/"]
    assert [(i["input"], i["status"]) for i in items(result)] == [(site.url(p), "queued") for p in expected]
    sqs = local_sqs.client()
    bodies = []
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []):
        bodies += [json.loads(m["Body"]) for m in messages]
        sqs.delete_message_batch(QueueUrl=queue, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
    assert sorted((b["trigger"], b["source"]["kind"], b["source"]["partner"], b["source"]["url"]) for b in bodies) == (
        sorted(("backfill", "url", "zenger", site.url(p)) for p in expected))
    assert article_paths(site) == [] and keys(env, "articles/") == []  # the workers fetch and publish, not we


# --- The walk, in process ------------------------------------------------------------------------------------------


def walk_plan(path: Path, **options):
    loaded = load_config(path, environ={})
    return plan(loaded, loaded.partner("zenger"), **options)


def test_wordpress_core_sitemaps_are_found_when_there_is_no_yoast_index(site, config):  # noqa: F811
    routes = site.server.routes
    routes["/wp-sitemap.xml"] = routes.pop("/sitemap_index.xml")
    routes["/wp-sitemap.xml"].body = sitemap_index([
        site.url("/wp-sitemap-posts-post-1.xml"), site.url("/wp-sitemap-posts-page-1.xml"),
        site.url("/wp-sitemap-taxonomies-category-1.xml"), site.url("/wp-sitemap-users-1.xml")])
    routes["/wp-sitemap-posts-post-1.xml"] = routes["/post-sitemap.xml"]
    backfill = walk_plan(config, sitemap=site.url("/"))
    assert [job.source.url for job in backfill.jobs] == [site.url(p) for p in POSTS]
    assert site.paths() == ["/sitemap_index.xml", "/wp-sitemap.xml", "/wp-sitemap-posts-post-1.xml"]
    assert backfill.walk is not None and backfill.walk.skipped()["not_posts"] == 3

    routes.pop("/wp-sitemap.xml")
    nothing = walk_plan(config, sitemap=site.url("/"))
    assert list(nothing.jobs) == []
    assert nothing.walk is not None
    [report] = nothing.walk.sitemaps
    assert report["status"] == "failed" and "/sitemap_index.xml" in report["reason"]
    assert "/wp-sitemap.xml" in report["reason"] and "404" in report["reason"]


def test_the_walk_is_lazy_and_reads_an_index_listing_a_sitemap_twice_once(site, config):  # noqa: F811
    site.server.routes["/sitemap_index.xml"].body = sitemap_index(
        [site.url("/post-sitemap.xml"), site.url("/post-sitemap.xml"), site.url("/sitemap_index.xml"),
         site.url("/post-sitemap2.xml.gz")])
    backfill = walk_plan(config, sitemap=site.url("/sitemap_index.xml"), limit=2)
    assert backfill.total is None
    first = next(backfill.jobs)
    assert first.source.url == site.url("/2023/03/09/kenya-drought/") and first.trigger == "backfill"
    assert site.paths() == ["/sitemap_index.xml", "/post-sitemap.xml"]  # the second sitemap: not yet
    assert len(list(backfill.jobs)) == 1  # the limit: the walk stops, and fetches nothing more
    assert site.paths() == ["/sitemap_index.xml", "/post-sitemap.xml"]

    whole = walk_plan(config, sitemap=site.url("/sitemap_index.xml"))
    assert len(list(whole.jobs)) == len(POSTS) + len(GZIPPED_POSTS)
    assert whole.walk is not None and whole.walk.skipped() == {
        "repeated": 1, "not_posts": 1, "off_host": 1, "malformed": 2}


def test_memory_stays_flat_over_a_100k_url_archive(site, config):  # noqa: F811
    """Two sitemaps of 50,000 URLs each (the protocol's maximum) walked to the end: from the 10,000th job to the
    100,000th, neither the interpreter's allocated blocks nor the process's resident memory grows. Keeping each
    job would add about 6 blocks and 400 bytes a job; keeping the parsed entries in lxml's tree, 25 MB a sitemap."""
    for number in (1, 2):
        site.server.routes[f"/post-sitemap{number}.xml"] = Route(urlset(
            [(site.url(f"/{number}/{i}/"), None) for i in range(50_000)]), content_type=XML)
    site.server.routes["/sitemap_index.xml"].body = sitemap_index(
        [site.url("/post-sitemap1.xml"), site.url("/post-sitemap2.xml")])
    backfill = walk_plan(config, sitemap=site.url("/"))
    samples = {}
    for count, _job in enumerate(backfill.jobs, start=1):
        if count % 10_000 == 0:
            samples[count] = (sys.getallocatedblocks(), resident_bytes())
    assert sorted(samples) == list(range(10_000, 100_001, 10_000))  # every URL of both sitemaps
    blocks, resident = samples[10_000]
    assert max(b for b, _ in samples.values()) - blocks < 10_000, samples
    assert max(r for _, r in samples.values()) - resident < 16 * 1024 * 1024, samples


def resident_bytes() -> int:
    """This process's resident memory now (not its peak), or 0 where /proc does not tell."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def test_the_window_reads_dates_as_whole_days_and_refuses_an_empty_one():
    window = Window(since=w3c_datetime("2023-08-22").date(), until=w3c_datetime("2023-08-22").date())
    assert window.leaves_out(w3c_datetime("2023-08-22T23:59:59Z")) is None
    assert window.leaves_out(w3c_datetime("2023-08-23T00:30:00+02:00")) is None  # 22:30 UTC on the 22nd
    assert window.leaves_out(w3c_datetime("2023-08-23")) == "outside_window"
    assert window.leaves_out(None) == "undated"
    assert Window().leaves_out(None) is None
    with pytest.raises(BackfillError, match="after --until"):
        Window(since=w3c_datetime("2024-01-02").date(), until=w3c_datetime("2024-01-01").date())


def test_a_sitemap_walk_refuses_a_start_off_the_partners_hosts(site, config):  # noqa: F811
    loaded = load_config(config, environ={})
    with pytest.raises(BackfillError, match="not on the allow-list"):
        SitemapWalk(loaded, loaded.partner("zenger"), "http://127.0.0.2:1/sitemap.xml")
    with pytest.raises(BackfillError, match="homepage"):
        SitemapWalk(loaded, loaded.partner("zenger"))
    assert site.paths() == []


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_on_a_terminal_only_and_shows_the_end():
    bar = Terminal()
    assert list(with_progress(range(40), "reingest", total=40, out=bar)) == list(range(40))
    assert bar.getvalue().startswith("\rreingest [") and bar.getvalue().endswith(f"[{'#' * 30}] 40/40\n")
    stream = Terminal()
    assert sum(1 for _ in with_progress(iter(range(25)), "backfill", out=stream)) == 25  # no total: a count
    assert stream.getvalue().startswith("\rbackfill 20") and stream.getvalue().endswith("\rbackfill 25\n")
    few, piped = Terminal(), io.StringIO()
    assert list(with_progress(iter(range(19)), "backfill", out=few)) == list(range(19))
    assert list(with_progress(range(40), "reingest", total=40, out=piped)) == list(range(40))
    assert few.getvalue() == piped.getvalue() == ""


# --- The sitemap parser: hostile and huge inputs -------------------------------------------------------------------


def test_external_entities_and_entity_expansion_are_refused():
    passwd = f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/passwd">]>' \
             f'<urlset xmlns="{SITEMAP_NS}"><url><loc>https://www.zenger.news/&x;</loc></url></urlset>'
    with pytest.raises(SitemapError, match="DOCTYPE"):
        Sitemap(passwd.encode())
    laughs = '<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)) + "]>" \
        f'<urlset xmlns="{SITEMAP_NS}"><url><loc>https://www.zenger.news/&j;</loc></url></urlset>'
    with pytest.raises(SitemapError, match="DOCTYPE|entity amplification"):  # libxml2's guard may see it first
        Sitemap(laughs.encode())  # 10^10 characters, were it expanded
    remote = f'<!DOCTYPE urlset SYSTEM "http://169.254.169.254/x.dtd"><urlset xmlns="{SITEMAP_NS}"/>'
    with pytest.raises(SitemapError, match="DOCTYPE"):
        Sitemap(remote.encode())
    undeclared = f'<urlset xmlns="{SITEMAP_NS}"><url><loc>https://www.zenger.news/&x;</loc></url></urlset>'
    with pytest.raises(SitemapError, match="malformed XML"):
        list(Sitemap(undeclared.encode()))


def test_what_is_not_a_sitemap_is_refused_whole():
    for data, reason in [(b"", "malformed XML"), (b"<html><body>Not found</body></html>", "root element is <html>"),
                         (b'<rss version="2.0"><channel/></rss>', "root element is <rss>"),
                         (b'<urlset xmlns="http://example.com/other"/>', "root element is <urlset>"),
                         (gzip.compress(b"<urlset>")[:-6], "malformed XML|gzip")]:
        with pytest.raises(SitemapError, match=reason):
            list(Sitemap(data))
    bomb = gzip.compress(urlset([("https://www.zenger.news/x/", None)] * 200_000))  # 21 MB inflated, 80 KB sent
    with pytest.raises(SitemapError, match="over the limit of 1,000,000 bytes once decompressed"):
        list(Sitemap(bomb, max_bytes=1_000_000))
    with pytest.raises(SitemapError, match="over the limit"):
        Sitemap(urlset([("https://www.zenger.news/x/", None)] * 10_000), max_bytes=100_000)


def test_a_50000_url_sitemap_plain_and_gzipped_gives_every_entry_in_order():
    entries = [(f"https://www.zenger.news/2024/01/01/story-{i}/?a=1&amp;b={i}", f"2024-01-{1 + i % 28:02d}")
               for i in range(50_000)]
    data = urlset(entries)
    for raw in (data, gzip.compress(data)):
        sitemap = Sitemap(raw, max_bytes=len(data))
        assert sitemap.index is False
        read = list(sitemap)
        assert len(read) == 50_000 and sitemap.skipped == 0
        assert read[0].loc == "https://www.zenger.news/2024/01/01/story-0/?a=1&b=0"  # &amp; read, image:loc not
        assert read[-1].loc.endswith("story-49999/?a=1&b=49999") and read[-1].lastmod == w3c_datetime("2024-01-20")
        assert all(entry.lastmod is not None and not entry.index for entry in read)


def test_malformed_entries_are_skipped_and_counted():
    data = (f'<sitemapindex xmlns="{SITEMAP_NS}">'
            "<sitemap><loc>https://www.zenger.news/post-sitemap.xml</loc><lastmod>2024-02</lastmod></sitemap>"
            "<sitemap><lastmod>2024-02-01</lastmod></sitemap>"  # no <loc>
            "<sitemap><loc>javascript:alert(1)</loc></sitemap>"
            "<sitemap><loc>https://www.zenger.news/a b.xml</loc></sitemap>"
            f"<sitemap><loc>https://www.zenger.news/{'x' * 2048}</loc></sitemap>"
            "<url><loc>https://www.zenger.news/a-url-in-an-index/</loc></url>"
            "<sitemap><loc> https://www.zenger.news/post-sitemap2.xml </loc><lastmod>yesterday</lastmod></sitemap>"
            "</sitemapindex>").encode()
    sitemap = Sitemap(data)
    assert sitemap.index is True
    assert [(e.loc, e.lastmod) for e in sitemap] == [
        ("https://www.zenger.news/post-sitemap.xml", w3c_datetime("2024-02-01")),
        ("https://www.zenger.news/post-sitemap2.xml", None)]  # an unreadable lastmod counts as none
    assert sitemap.skipped == 5


@pytest.mark.parametrize("text, expected", [
    ("2024", "2024-01-01T00:00:00+00:00"), ("2024-03", "2024-03-01T00:00:00+00:00"),
    ("2024-03-05", "2024-03-05T00:00:00+00:00"), ("2024-03-05T10:20+01:00", "2024-03-05T09:20:00+00:00"),
    ("2024-03-05T10:20:30.5Z", "2024-03-05T10:20:30.500000+00:00"),
    ("2024-03-05T10:20:30", "2024-03-05T10:20:30+00:00"),
    ("2024-02-30", None), ("March 5, 2024", None), ("2024-03-05T" + "9" * 100, None), ("", None)])
def test_lastmod_is_read_as_a_w3c_datetime(text, expected):
    moment = w3c_datetime(text)
    assert (moment.isoformat() if moment else None) == expected
