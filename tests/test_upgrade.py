"""Upgrades lose nothing: the spool entries, webhook journal entries and failed/ records release 0.1.0 wrote
(tests/fixtures/legacy, made by that release's own code) still load, and run, with this release."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest_plugin.ingest.jobs import Action, ArticleSource, FailedSource, IngestJob, ItemSource, UrlSource
from ingest_plugin.ingest.queue import DiskJournal
from ingest_plugin.ingest.runs import run_jobs
from ingest_plugin.ingest.spool import Spool
from ingest_plugin.publishing import Status
from tests.conftest import job_handler

LEGACY = Path(__file__).resolve().parent / "fixtures" / "legacy"


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(LEGACY / "spool", tmp_path / "spool"))


def test_old_spool_entries_load_as_jobs(spool_dir: Path) -> None:
    spool = Spool(spool_dir)
    entries = list(spool.entries())
    assert sorted(e.kind for e in entries) == ["item", "item", "run"]
    jobs = {job.name: job for job in (spool.job(e) for e in entries if e.kind == "item")}
    article = jobs["samples/zenger-article.html"]
    assert isinstance(article.source, ItemSource) and article.force and article.action is Action.INGEST
    assert article.source.item.document["uri"] == "urn:newsml:zenger.news:63809"
    assert article.source.item.raw == (Path(__file__).resolve().parents[1] / "samples/zenger-article.html").read_bytes()
    failure = jobs["home.html"].source.item.error
    assert (failure.code, failure.stage) == ("not_an_article", "extract")


def test_old_journal_entries_load_as_the_jobs_they_asked_for(spool_dir: Path) -> None:
    jobs = {job.job_id: job for _, job in DiskJournal(spool_dir).jobs()}
    assert jobs["0f" * 16] == IngestJob(ArticleSource("zenger", "63809"), trigger="webhook", job_id="0f" * 16,
                                        request_id="msg_2Lh9Kq")
    assert jobs["1e" * 16] == IngestJob(UrlSource("https://www.benzinga.com/news/24/03/38091542/x", "benzinga"),
                                        action=Action.CANCEL, force=True, trigger="webhook", job_id="1e" * 16,
                                        request_id="msg_3Xy")


@pytest.mark.s3
def test_the_next_run_flushes_an_old_spool(spool_dir: Path, make_publisher, seaweedfs) -> None:
    publisher = make_publisher(seaweedfs.endpoint_url, spool_dir=spool_dir)
    summary = run_jobs([], job_handler(publisher), keep_outcomes=True)
    assert summary.flushed == 2
    assert sorted(str(o.status) for o in summary.outcomes) == ["created", "failed"]
    assert publisher.bucket.get("articles/zenger/63809/current.json").json()["uri"] == "urn:newsml:zenger.news:63809"
    spooled_run = publisher.bucket.get("runs/history/0123456789abcdef.json")
    assert spooled_run.json()["trigger"] == "cron"
    assert list(Spool(spool_dir).entries()) == []


@pytest.mark.s3
def test_an_old_failed_record_replays_into_the_same_record(publisher) -> None:
    for path in (LEGACY / "s3").rglob("*"):
        if path.is_file():
            publisher.bucket.put(str(path.relative_to(LEGACY / "s3")), path.read_bytes())
    entries = {entry.key: entry for entry in publisher.failed.entries()}
    assert set(entries) == {"failed/zenger/700102/error.json",
                            "failed/unknown/5cc47a54792e09d43f673ab75cd22d33/error.json"}
    assert entries["failed/zenger/700102/error.json"].record["code"] == "not_an_article"

    (outcome,) = job_handler(publisher)(IngestJob(FailedSource("failed/zenger/700102/error.json")))
    assert outcome.status is Status.FAILED and outcome.key == "failed/zenger/700102/error.json"
    record = publisher.failed.get("failed/zenger/700102/error.json").record
    assert record["attempts"] == 2 and record["partner"] == "zenger" and record["input"] == "feed.rss#2"
    assert len(list(publisher.failed.entries())) == 2, "a replay must update its record, never fork a new one"
