"""A replay of ``failed/`` never writes a kept payload's older text over the partner's newer text published since,
and never holds back newer text (a review of the first version of that rule): against the real local S3 servers,
with the partner's real page parsed as the triggers parse it."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.ingest.inputs import document_item
from ingest_plugin.ingest.jobs import Action, ArticleSource, DocumentSource, FailedSource, IngestJob, item_job
from ingest_plugin.parsing.model import ItemResult
from ingest_plugin.parsing.pipeline import parse_items
from ingest_plugin.publishing import Publisher, Status
from ingest_plugin.publishing.content import to_bytes
from tests.conftest import get_json, ingest_one, job_handler

pytestmark = pytest.mark.s3
PAGE = (Path(__file__).parent / "fixtures" / "pages" / "zenger-kenya-drought.html").read_bytes()
CORRECTED = PAGE.replace(b"hundreds of thousands of families", b"tens of thousands of families")
FOLDER = "articles/zenger/63809/"
RECORD = "failed/zenger/63809/error.json"


def parsed(page: bytes) -> ItemResult:
    [item] = parse_items(page, input_name="story.html", source_url="https://www.zenger.news/?p=63809")
    assert item.ok and item.article_key == "63809", item.error
    return item


def kept(publisher: Publisher, item: ItemResult, code: ErrorCode = ErrorCode.PUBLISH_FAILED) -> None:
    """``item`` kept under failed/ as the handler keeps a failure (its raw payload, the reason, the job)."""
    publisher.failed.record(item, IngestError(code, "S3 refused the write", stage=Stage.PUBLISH),
                            job=item_job(item).summary())


def replay(publisher: Publisher) -> list:
    return list(job_handler(publisher)(IngestJob(FailedSource(RECORD), action=Action.INGEST)))


def has_correction(publisher: Publisher) -> bool:
    return "tens of thousands" in get_json(publisher, f"{FOLDER}current.json")["bodies"][0]["value"]


def test_a_later_failure_that_read_nothing_keeps_the_time_of_the_payload_it_keeps(publisher):
    """The old page is kept; the correction is published; a later ``reingest --id`` meets a 503 and is kept in the
    same entry (the article's), keeping the old payload: the replay compared the version with that later failure
    and wrote the old text over the correction."""
    kept(publisher, parsed(PAGE))
    assert ingest_one(parsed(CORRECTED), publisher).status is Status.CREATED
    refused = ItemResult(input_name="https://www.zenger.news/?p=63809", raw=b"", partner="zenger",
                         article_key="63809")
    publisher.failed.record(refused, IngestError(ErrorCode.FETCH_FAILED, "HTTP 503", stage=Stage.FETCH))
    [outcome] = replay(publisher)
    assert (outcome.status, outcome.version) == (Status.SUPERSEDED, 1)
    assert has_correction(publisher) and publisher.failed.get(RECORD) is None


def test_a_repairs_restore_of_older_text_does_not_hold_back_a_kept_correction(publisher):
    """v1 is published; the partner's correction fails and is kept; the repair sweep re-issues v1's text over an
    orphan as v3, built after the correction was kept: the replay took the correction for older text and dropped
    it."""
    assert ingest_one(parsed(PAGE), publisher).status is Status.CREATED
    kept(publisher, parsed(CORRECTED))
    orphan = {**get_json(publisher, f"{FOLDER}v1.json"), "version": "2", "headlines": [
        {"role": "main", "contentType": "text/plain", "value": "An edit whose writer died"}]}
    metadata = publisher.client.head_object(Bucket=publisher.settings.bucket, Key=f"{FOLDER}v1.json")["Metadata"]
    assert publisher.bucket.put(f"{FOLDER}v2.json", to_bytes(orphan), if_none_match=True,
                                metadata={**metadata, "version": "2", "content-sha256": "0" * 64})
    time.sleep(1.1)  # the restore is built in a later second than the correction was kept (records keep seconds)
    [repaired] = publisher.articles.repair(grace_seconds=0)
    assert repaired.version == 3 and not has_correction(publisher)
    [outcome] = replay(publisher)
    assert (outcome.status, outcome.version) == (Status.UPDATED, 4)
    assert has_correction(publisher)


def test_a_replayed_publish_of_a_document_is_superseded_by_newer_text_too(publisher):
    """A document ``publish`` could not write is a kept payload like a page: its line is as old as its failure."""
    line = json.dumps(parsed(PAGE).document).encode()  # a line of `ingest-plugin parse` output
    job = IngestJob(DocumentSource(document_item("docs.jsonl#1", line)))
    publisher.failed.record(job.source.item, IngestError(ErrorCode.PUBLISH_FAILED, "S3 refused",
                                                         stage=Stage.PUBLISH), job=job.summary())
    assert ingest_one(parsed(CORRECTED), publisher).status is Status.CREATED
    [outcome] = replay(publisher)
    assert outcome.status is Status.SUPERSEDED and has_correction(publisher)



def test_a_kill_of_an_unpublished_article_kept_by_release_0_2_0_is_dropped_not_replayed(publisher):
    """Release 0.2.0 kept ``reingest --id 63809 --cancel`` of an article not yet published; replayed after the
    partner published it, it killed the article. Now it is dropped, whenever it is replayed."""
    nothing = ItemResult(input_name="zenger/63809", raw=b"", partner="zenger")
    kill = IngestJob(ArticleSource("zenger", "63809"), action=Action.CANCEL)
    key = publisher.failed.record(nothing, IngestError(ErrorCode.FETCH_FAILED, "no published article with this id "
                                                                               "in S3", stage=Stage.FETCH),
                                  job=kill.summary())
    assert ingest_one(parsed(PAGE), publisher).status is Status.CREATED
    [outcome] = job_handler(publisher)(IngestJob(FailedSource(key), action=Action.CANCEL))  # as reingest --failed
    assert outcome.status is Status.FAILED and "nothing to cancel" in outcome.error.message
    assert publisher.failed.get(key) is None
    assert get_json(publisher, f"{FOLDER}current.json")["pubStatus"] == "usable"


def test_a_kept_document_replays_as_a_document_after_a_later_attempt_that_read_nothing(publisher):
    """Review: a document ``publish`` could not write, then a ``reingest --id`` of the same article that met a 503
    (kept in the same entry, its job replacing the publish's): the replay parsed the document's JSON as a page
    ("the story has no title or no body"), every time."""
    line = json.dumps(parsed(PAGE).document).encode()
    job = IngestJob(DocumentSource(document_item("docs.jsonl#1", line)))
    publisher.failed.record(job.source.item, IngestError(ErrorCode.PUBLISH_FAILED, "S3 refused",
                                                         stage=Stage.PUBLISH), job=job.summary())
    refused = ItemResult(input_name="zenger/63809", raw=b"", partner="zenger", article_key="63809")
    publisher.failed.record(refused, IngestError(ErrorCode.FETCH_FAILED, "HTTP 503", stage=Stage.FETCH),
                            job=IngestJob(ArticleSource("zenger", "63809")).summary())
    [outcome] = replay(publisher)
    assert (outcome.status, outcome.version) == (Status.CREATED, 1), outcome.error
    assert publisher.failed.get(RECORD) is None


def test_a_replay_that_fails_again_keeps_the_time_its_payload_was_read(publisher):
    """Parsing the kept bytes again reads nothing new: a replay failing again must not make them look fresh."""
    stub = b"<html><head><title>A stub</title></head><body><article><h1>A stub</h1><p>Subscribe.</p></article>"
    [item] = parse_items(stub, input_name="story.html", source_url="https://www.zenger.news/?p=63809")
    assert item.error is not None, item
    key = publisher.failed.record(item, item.error, job=item_job(item).summary())
    read_at = publisher.failed.get(key).record["raw_kept_at"]
    time.sleep(0.01)
    [outcome] = job_handler(publisher)(IngestJob(FailedSource(key), action=Action.INGEST))
    assert outcome.status is Status.FAILED and outcome.key == key
    assert publisher.failed.get(key).record["raw_kept_at"] == read_at
