"""Renderings on a real S3 (SeaweedFS and moto): written create-only beside each new version before current.json
moves, none for an unchanged article (still one request), nothing at all when a rendering fails its checks, and the
backfill (``render-profiles``) and ``export`` of what is stored."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from structlog.testing import capture_logs

from ingest_plugin.entrypoints.cli import main
from ingest_plugin.errors import ErrorCode, IngestError
from ingest_plugin.ingest.export import export
from ingest_plugin.parsing.render import render
from ingest_plugin.parsing.validate import validate_document
from ingest_plugin.publishing.renderings import backfill
from tests.conftest import get_json, make_document, snapshot
from tests.rendering_fixtures import document

pytestmark = pytest.mark.s3
SOIL = "tests/fixtures/pages/zenger-israel-soil-sensors.html#0@v1"  # two pictures
KENYA = "tests/fixtures/pages/zenger-kenya-drought.html#0@v1"
ALL = ("ninjs-3.1", "ninjs-2.2", "ninjs-1.6", "superdesk", "newsml-g2")


def _fresh(name: str) -> dict[str, Any]:
    """A fixture document as the parser hands it over (version "1", no edNote)."""
    doc = document(name)
    doc.pop("edNote", None)
    return doc


def _publish(publisher, doc: dict[str, Any], **options: Any):
    key = doc["uri"].rsplit(":", 1)[-1]
    return publisher.articles.publish(doc, partner="zenger", article_key=key, **options)


def _text(value: Any) -> str:
    return value.decode("ascii") if isinstance(value, bytes) else str(value)


class Sent:
    """Every request a client sends, in order: (method, key, conditional headers)."""

    def __init__(self, client: Any) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        client.meta.events.register("before-send.s3", self._record)

    def _record(self, request: Any, **_: Any) -> None:
        key = request.url.split("?", 1)[0].split("/", 4)[-1]
        headers = {name: _text(request.headers[name]) for name in ("If-None-Match", "If-Match")
                   if request.headers.get(name) is not None}
        self.requests.append((request.method, key, headers))


def test_a_new_version_gets_each_rendering_create_only_before_current_moves(s3_server, make_publisher):
    publisher = make_publisher(s3_server.endpoint_url, profiles=ALL, validate=validate_document)
    doc = _fresh(SOIL)
    sent = Sent(publisher.client)
    result = _publish(publisher, doc)
    assert result.status.value == "created"
    folder = "articles/zenger/" + doc["uri"].rsplit(":", 1)[-1] + "/"
    puts = [(key[len(folder):], headers) for method, key, headers in sent.requests if method == "PUT"]
    leaves = [leaf for leaf, _ in puts]
    assert leaves[0] == "v1.json" and leaves[-1] == "current.json"
    renderings = leaves[1:-1]
    assert set(renderings) >= {"v1.ninjs-2.2.json", "v1.ninjs-1.6.json", "v1.superdesk.json", "v1.newsml-g2.xml",
                               "v1.newsml-g2.text.xml"}
    assert len([r for r in renderings if ".newsml-g2.picture-" in r]) == 2
    assert renderings[-1] == "v1.newsml-g2.xml"  # the package after the items it names
    assert [leaf for leaf, headers in puts[:-1] if headers.get("If-None-Match") != "*"] == [], puts
    # each rendering is the pure function of the stored version
    stored = get_json(publisher, folder + "v1.json")
    expected = {f"v1.{o.leaf}": o.body for profile in ALL[1:] for o in render(stored, profile).objects}
    for leaf, body in expected.items():
        got = publisher.client.get_object(Bucket=publisher.settings.bucket, Key=folder + leaf)
        assert got["Body"].read() == body, leaf
    assert get_json(publisher, folder + "v1.superdesk.json")["guid"] == doc["uri"]


@pytest.mark.parametrize(("profiles", "new_requests"), [
    (("ninjs-3.1",), 3),
    (("ninjs-3.1", "superdesk"), 4),
    (("ninjs-3.1", "ninjs-2.2", "ninjs-1.6", "superdesk"), 6),
    (("ninjs-3.1", "newsml-g2"), 3 + 2 + 2),  # the text, 2 pictures, the package
    (ALL, 3 + 3 + 4),
])
def test_requests_per_article_for_each_profile_setting(s3_server, make_publisher, request_counter, profiles,
                                                       new_requests):
    publisher = make_publisher(s3_server.endpoint_url, profiles=profiles, validate=validate_document)
    _publish(publisher, _fresh(KENYA))  # the first HEAD of a run also asks for the bucket: not counted below
    counter = request_counter(publisher.client)
    assert _publish(publisher, _fresh(SOIL)).status.value == "created"
    assert counter.total() == new_requests
    unchanged = request_counter(publisher.client)
    assert _publish(publisher, _fresh(SOIL)).status.value == "unchanged"
    assert unchanged.total() == 1 and unchanged.total("HEAD") == 1  # an unchanged article: one request, always


def test_a_rendering_that_fails_its_checks_writes_nothing_not_even_the_version(s3_server, make_publisher):
    publisher = make_publisher(s3_server.endpoint_url, profiles=("ninjs-3.1", "superdesk"))
    doc = make_document(7)  # passes the stand-in validator, but has no credits, disclaimer or byline to render
    with pytest.raises(IngestError) as raised:
        publisher.articles.publish(doc, partner="zenger", article_key="7")
    assert raised.value.code is ErrorCode.INVALID_DOCUMENT and "superdesk rendering" in raised.value.message
    assert snapshot(publisher) == {}
    good = make_publisher(s3_server.endpoint_url, bucket=publisher.settings.bucket, profiles=("ninjs-3.1",))
    assert good.articles.publish(doc, partner="zenger", article_key="7").status.value == "created"


def test_an_update_and_a_kill_get_renderings_of_their_own_version(s3_server, make_publisher):
    publisher = make_publisher(s3_server.endpoint_url, profiles=("ninjs-3.1", "superdesk", "newsml-g2"),
                               validate=validate_document)
    doc = _fresh(KENYA)
    folder = "articles/zenger/" + doc["uri"].rsplit(":", 1)[-1] + "/"
    _publish(publisher, doc)
    changed = {**doc, "headlines": [{**doc["headlines"][0], "value": "Kenyan Herders Sell Cattle, Prices Fall"}]}
    assert _publish(publisher, changed).status.value == "updated"
    assert _publish(publisher, changed, cancel=True).status.value == "canceled"
    assert get_json(publisher, folder + "v2.superdesk.json")["headline"] == "Kenyan Herders Sell Cattle, Prices Fall"
    assert get_json(publisher, folder + "v3.superdesk.json")["pubstatus"] == "canceled"
    package = publisher.client.get_object(Bucket=publisher.settings.bucket, Key=folder + "v3.newsml-g2.xml")
    root = etree.fromstring(package["Body"].read())
    assert root.get("version") == "3"
    assert root.find("{*}itemMeta/{*}pubStatus").get("qcode") == "stat:canceled"


def test_presumed_new_articles_get_their_renderings_too(s3_server, make_publisher, request_counter):
    publisher = make_publisher(s3_server.endpoint_url, profiles=("ninjs-3.1", "superdesk"))
    publisher.articles.start_run()
    base = _fresh(KENYA)
    docs = [{**base, "uri": f"urn:newsml:zenger.news:presumed-{n}"} for n in range(6)]
    for doc in docs[:5]:
        _publish(publisher, doc)
    counter = request_counter(publisher.client)
    _publish(publisher, docs[5])
    assert counter.total() == 2 + 1  # no HEAD: v1.json, its rendering, current.json
    listing = snapshot(publisher)
    for doc in docs:
        assert f"articles/zenger/{doc['uri'].rsplit(':', 1)[-1]}/v1.superdesk.json" in listing


def test_render_profiles_backfills_existing_versions_once(s3_server, make_publisher):
    publisher = make_publisher(s3_server.endpoint_url, validate=validate_document)  # ninjs-3.1 only
    for name in (SOIL, KENYA):
        _publish(publisher, _fresh(name))
    before = snapshot(publisher)
    assert not any(".superdesk." in key or ".newsml-g2" in key for key in before)
    results = list(backfill(publisher.articles, ("superdesk", "newsml-g2")))
    assert [(r.article_key, r.version, r.ok) for r in results] == [
        (_fresh(KENYA)["uri"].rsplit(":", 1)[-1], 1, True), (_fresh(SOIL)["uri"].rsplit(":", 1)[-1], 1, True)]
    after = snapshot(publisher)
    for result in results:
        assert f"articles/zenger/{result.article_key}/v1.superdesk.json" in after
        assert f"articles/zenger/{result.article_key}/v1.newsml-g2.xml" in after
    assert {k: v for k, v in after.items() if k in before} == before  # versions and current.json untouched
    assert list(backfill(publisher.articles, ("superdesk", "newsml-g2"))) == []  # a second run: nothing to do
    rewritten = list(backfill(publisher.articles, ("superdesk",), rewrite=True))
    assert [r.written for r in rewritten] == [(), ()] and all(r.unchanged == 1 for r in rewritten)
    assert snapshot(publisher) == after


def test_render_profiles_command(s3_server, make_publisher, monkeypatch, capsys, in_process_cli):
    publisher = make_publisher(s3_server.endpoint_url, validate=validate_document)
    _publish(publisher, _fresh(KENYA))
    monkeypatch.setenv("INGEST_S3_BUCKET", publisher.settings.bucket)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint_url)
    assert main(["render-profiles", "--profile", "ninjs-2.2", "--dry-run"]) == 0
    assert main(["render-profiles", "--profile", "ninjs-2.2"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["event"] for line in lines] == ["item", "render-profiles", "item", "render-profiles"]
    assert lines[0]["dry_run"] and lines[2]["written"] == [lines[0]["written"][0]]
    assert main(["render-profiles", "--profile", "ninjs-2.2"]) == 0
    assert json.loads(capsys.readouterr().out)["versions"] == 0


def test_export_feeds_a_flat_folder_once_per_version(s3_server, make_publisher, tmp_path):
    publisher = make_publisher(s3_server.endpoint_url, profiles=("ninjs-3.1", "superdesk"),
                               validate=validate_document)
    soil, kenya = _fresh(SOIL), _fresh(KENYA)
    _publish(publisher, soil)
    _publish(publisher, kenya)
    _publish(publisher, kenya, cancel=True)
    folder = tmp_path / "superdesk-ingest"
    folder.mkdir()
    first = export(publisher.articles, "superdesk", folder)
    soil_key, kenya_key = soil["uri"].rsplit(":", 1)[-1], kenya["uri"].rsplit(":", 1)[-1]
    assert first.ok and first.files == [f"zenger-{kenya_key}-v1.superdesk.json",
                                        f"zenger-{kenya_key}-v2.superdesk.json", f"zenger-{soil_key}-v1.superdesk.json"]
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == sorted(first.files)  # nothing else is a file
    killed = json.loads((folder / f"zenger-{kenya_key}-v2.superdesk.json").read_text())
    assert killed["pubstatus"] == "canceled" and killed["guid"] == kenya["uri"]
    for name in first.files:  # Superdesk's file service moves each file away once ingested
        (folder / name).unlink()
    assert export(publisher.articles, "superdesk", folder).files == []  # the cursor: nothing again
    changed = {**soil, "headlines": [{**soil["headlines"][0], "value": "Sensors Tell Farmers When To Water"}]}
    _publish(publisher, changed)
    assert export(publisher.articles, "superdesk", folder).files == [f"zenger-{soil_key}-v2.superdesk.json"]


def test_export_renders_versions_stored_before_the_profile_was_on(s3_server, make_publisher, tmp_path):
    publisher = make_publisher(s3_server.endpoint_url, validate=validate_document)  # no G2 rendering stored
    doc = _fresh(SOIL)
    _publish(publisher, doc)
    summary = export(publisher.articles, "newsml-g2", tmp_path)
    key = doc["uri"].rsplit(":", 1)[-1]
    assert summary.files[0] == f"zenger-{key}-v1.newsml-g2.text.xml"
    assert summary.files[-1] == f"zenger-{key}-v1.newsml-g2.xml"
    assert len(summary.files) == 4
    stored = get_json(publisher, f"articles/zenger/{key}/v1.json")
    assert {f"zenger-{key}-v1.{o.leaf}": o.body for o in render(stored, "newsml-g2").objects} == \
        {name: (tmp_path / name).read_bytes() for name in summary.files}


def test_export_lets_a_kill_pass_a_version_that_cannot_be_rendered(s3_server, make_publisher, tmp_path):
    """A version stored by an older release, whose body the renderer refuses, must not keep the kill after it out of
    the consumer's folder for good."""
    publisher = make_publisher(s3_server.endpoint_url, validate=validate_document)
    doc = _fresh(KENYA)
    _publish(publisher, doc)
    key = doc["uri"].rsplit(":", 1)[-1]
    first_key = f"articles/zenger/{key}/v1.json"
    stored = get_json(publisher, first_key)
    stored["bodies"][0]["value"] = '<p><em title="Kiswahili">Habari</em></p>' + stored["bodies"][0]["value"]
    publisher.bucket.put(first_key, json.dumps(stored).encode("utf-8"))
    _publish(publisher, doc, cancel=True)
    summary = export(publisher.articles, "superdesk", tmp_path)
    assert summary.files == [f"zenger-{key}-v2.superdesk.json"]
    assert json.loads((tmp_path / summary.files[0]).read_text())["pubstatus"] == "canceled"
    assert not summary.ok and [(f["version"], f["error"]["code"], f["error"]["input"]) for f in summary.failures] \
        == [(1, "invalid_document", first_key)]
    assert export(publisher.articles, "superdesk", tmp_path).files == []  # past it for good


def _cut_short(publisher, key: str) -> None:
    """The object cut to 300 bytes, its metadata kept (as a copy tool would)."""
    stored = publisher.client.get_object(Bucket=publisher.settings.bucket, Key=key)
    publisher.client.put_object(Bucket=publisher.settings.bucket, Key=key, Body=stored["Body"].read()[:300],
                                Metadata=stored["Metadata"], ContentType="application/json")


def test_export_of_the_canonical_profile_checks_each_version_like_every_profile(s3_server, make_publisher,
                                                                                tmp_path):
    """A version cut short is reported (invalid_document), never copied into the watched folder, and the kill after
    it still goes out."""
    publisher = make_publisher(s3_server.endpoint_url, validate=validate_document)
    doc = _fresh(KENYA)
    _publish(publisher, doc)
    _publish(publisher, doc, cancel=True)
    key = doc["uri"].rsplit(":", 1)[-1]
    _cut_short(publisher, f"articles/zenger/{key}/v1.json")
    summary = export(publisher.articles, "ninjs-3.1", tmp_path)
    assert summary.files == [f"zenger-{key}-v2.json"]
    kill = json.loads((tmp_path / summary.files[0]).read_bytes())
    assert kill == get_json(publisher, f"articles/zenger/{key}/v2.json") and kill["pubStatus"] == "canceled"
    assert [(f["version"], f["error"]["code"], f["error"]["input"]) for f in summary.failures] == [
        (1, "invalid_document", f"articles/zenger/{key}/v1.json")]


def test_export_renders_again_a_stored_rendering_cut_short(s3_server, make_publisher, tmp_path):
    publisher = make_publisher(s3_server.endpoint_url, profiles=("ninjs-3.1", "superdesk"),
                               validate=validate_document)
    doc = _fresh(KENYA)
    _publish(publisher, doc)
    key = doc["uri"].rsplit(":", 1)[-1]
    _cut_short(publisher, f"articles/zenger/{key}/v1.superdesk.json")
    summary = export(publisher.articles, "superdesk", tmp_path)
    assert summary.ok and summary.files == [f"zenger-{key}-v1.superdesk.json"]
    (rendered,) = render(get_json(publisher, f"articles/zenger/{key}/v1.json"), "superdesk").objects
    assert (tmp_path / summary.files[0]).read_bytes() == rendered.body


@pytest.mark.parametrize("saved", ['{"articles": {"zenger/63809": 1, "zenger/84',
                                   '{"profile": "superdesk", "articles": {"zenger/63809": "v1"}}',
                                   '{"profile": "superdesk", "articles": []}', "[]"])
def test_export_starts_again_from_a_cursor_someone_broke(s3_server, make_publisher, tmp_path, saved):
    """Cut short, edited by hand, not what export writes: said, and every version is exported again under the same
    names with the same bytes; the cursor is written anew."""
    publisher = make_publisher(s3_server.endpoint_url, validate=validate_document)
    _publish(publisher, _fresh(KENYA))
    first = export(publisher.articles, "superdesk", tmp_path)
    exported = {name: (tmp_path / name).read_bytes() for name in first.files}
    cursor = tmp_path / ".ingest-export" / "superdesk.cursor.json"
    cursor.write_text(saved)
    for name in first.files:
        (tmp_path / name).unlink()
    with capture_logs() as logs:
        again = export(publisher.articles, "superdesk", tmp_path)
    assert again.ok and {name: (tmp_path / name).read_bytes() for name in again.files} == exported
    assert {"event": "export_cursor_unreadable", "path": str(cursor), "action": "exporting every version again",
            "log_level": "warning"} in logs
    assert export(publisher.articles, "superdesk", tmp_path).files == []


def test_export_command(s3_server, make_publisher, monkeypatch, capsys, in_process_cli, tmp_path):
    publisher = make_publisher(s3_server.endpoint_url, validate=validate_document)
    _publish(publisher, _fresh(KENYA))
    monkeypatch.setenv("INGEST_S3_BUCKET", publisher.settings.bucket)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint_url)
    assert main(["export", "--profile", "ninjs-2.2", str(tmp_path)]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["event"] == "export" and line["versions"] == 1 and line["files"] == 1
    assert (tmp_path / ".ingest-export" / "ninjs-2.2.cursor.json").exists()
    assert main(["export", "--profile", "ninjs-2.2", str(tmp_path / "missing")]) == 2


def test_parse_profile_prints_a_rendering(capsys, in_process_cli):
    sample = str(Path(__file__).resolve().parents[1] / "samples" / "zenger-article.html")
    assert main(["parse", sample, "--profile", "superdesk"]) == 0
    rendered = json.loads(capsys.readouterr().out)
    assert rendered["guid"] == rendered["uri"] and rendered["authors"][0]["role"] == "writer"
    assert main(["parse", sample, "--profile", "newsml-g2"]) == 0
    out = capsys.readouterr().out
    documents = ["<?xml" + part for part in out.split("<?xml")[1:]]
    roots = [etree.fromstring(part.strip().encode("utf-8")) for part in documents]
    assert [etree.QName(r).localname for r in roots][-1] == "packageItem"
    assert etree.QName(roots[0]).localname == "newsItem"


def test_the_configuration_selects_the_profiles(s3_server, make_publisher, monkeypatch, capsys, in_process_cli,
                                                tmp_path):
    """`[s3] profiles` in the TOML file (or INGEST_S3_PROFILES) reaches every run: `ingest` writes the renderings."""
    from ingest_plugin.config import ConfigError, load_config

    publisher = make_publisher(s3_server.endpoint_url)  # makes the bucket
    config = tmp_path / "ingest.toml"
    config.write_text('[s3]\nprofiles = ["ninjs-3.1", "ninjs-1.6", "newsml-g2"]\n', encoding="utf-8")
    monkeypatch.setenv("INGEST_S3_BUCKET", publisher.settings.bucket)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint_url)
    monkeypatch.setenv("INGEST_SPOOL_DIR", str(tmp_path / "spool"))
    sample = str(Path(__file__).resolve().parents[1] / "samples" / "zenger-article.html")
    assert main(["ingest", sample, "--config", str(config)]) == 0
    capsys.readouterr()
    leaves = sorted(key.rsplit("/", 1)[1] for key in snapshot(publisher))
    assert "v1.ninjs-1.6.json" in leaves and "v1.newsml-g2.xml" in leaves and "v1.superdesk.json" not in leaves
    environ = {"INGEST_S3_BUCKET": "bkt", "INGEST_S3_PROFILES": "superdesk, newsml-g2"}
    assert load_config(environ=environ).s3().profiles == ("superdesk", "newsml-g2")
    assert load_config(environ={"INGEST_S3_BUCKET": "bkt"}).s3().profiles == ("ninjs-3.1",)  # the default
    config.write_text('[s3]\nprofiles = ["ninjs-1.9"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="profiles"):
        load_config(config, environ={})
