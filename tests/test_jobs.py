"""The ingest job and the in-process queue: what a runner, a journal, a spool or (later) a queue message relies on."""
from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from ingest_plugin.errors import ErrorCode, IngestError
from ingest_plugin.ingest.jobs import (
    INLINE_PAYLOAD_LIMIT,
    JOB_SCHEMA,
    Action,
    ArticleSource,
    DocumentSource,
    FailedSource,
    IngestJob,
    Payload,
    PayloadSource,
    UrlSource,
    item_job,
)
from ingest_plugin.ingest.payloads import LocalPayloads
from ingest_plugin.ingest.queue import DiskJournal, InProcessQueue, QueueClosed, QueueFull
from ingest_plugin.parsing.model import ItemResult
from tests.conftest import make_document, make_item

SQS_MESSAGE_LIMIT = 256 * 1024

JOBS = [
    IngestJob(UrlSource("https://www.zenger.news/2024/03/12/story/", "zenger"), trigger="reingest"),
    IngestJob(ArticleSource("benzinga", "39495756"), action=Action.CANCEL, force=True, trigger="webhook",
              request_id="msg_1"),
    IngestJob(PayloadSource("page.html", Payload(b"<html>\xff\x00</html>"), "https://www.zenger.news/x/")),
    item_job(make_item(), force=True, trigger="cron", attempt=3),
    item_job(ItemResult(input_name="feed.rss#2", raw=b"<item/>").failed(
        IngestError(ErrorCode.NOT_AN_ARTICLE, "no body", stage="extract"))),
    IngestJob(DocumentSource(make_item(raw=json.dumps(make_document()).encode(), input_name="docs.jsonl:1"))),
    IngestJob(FailedSource("failed/zenger/1/error.json"), trigger="reingest", attempt=2),
]


@pytest.mark.parametrize("job", JOBS, ids=lambda job: job.source.kind)
def test_every_kind_of_job_survives_json(job: IngestJob) -> None:
    text = json.dumps(job.to_dict())
    again = IngestJob.from_dict(json.loads(text))
    assert again.to_dict() == job.to_dict() and type(again.source) is type(job.source)
    assert (again.job_id, again.action, again.force, again.trigger, again.attempt) == (
        job.job_id, job.action, job.force, job.trigger, job.attempt)
    assert json.loads(text)["schema"] == JOB_SCHEMA


def test_a_large_payload_travels_as_a_claim_check_and_every_job_fits_a_queue_message(tmp_path: Path) -> None:
    store = LocalPayloads(tmp_path)
    raw = bytes(range(256)) * 4000  # 1 MB of bytes no text encoding would shrink
    long_document = make_document(body="<p>" + "word " * 60_000 + "</p>")  # 300 KB of JSON
    for job in (IngestJob(PayloadSource("big.html", Payload(raw))), item_job(make_item(raw=raw)),
                item_job(make_item(long_document, raw=raw[:140_000]))):
        encoded = json.dumps(job.to_dict(store)).encode()
        assert len(encoded) < INLINE_PAYLOAD_LIMIT < SQS_MESSAGE_LIMIT
        again = IngestJob.from_dict(json.loads(encoded), store)
        assert again.to_dict(store) == job.to_dict(store)  # the same job, raw payload and document included
    assert len(list(tmp_path.iterdir())) == 3, "the same bytes are stored once"
    small = IngestJob(PayloadSource("small.html", Payload(b"x" * (INLINE_PAYLOAD_LIMIT // 3))))
    assert "inline" in small.to_dict(store)["source"]["payload"]


def test_a_job_from_a_newer_release_is_refused_not_misread() -> None:
    data = JOBS[0].to_dict()
    data["schema"] = JOB_SCHEMA + 1
    with pytest.raises(ValueError, match="newer"):
        IngestJob.from_dict(data)


def test_a_failed_record_keeps_the_job_without_its_payload() -> None:
    summary = item_job(make_item(raw=b"x" * 500_000)).summary()
    assert summary["source"] == {"kind": "item", "name": "story.html"} and len(json.dumps(summary)) < 500


def journaled(journal: DiskJournal) -> set[str]:
    return {job.job_id for _, job in journal.jobs()}


def test_the_journal_holds_a_job_from_send_until_ack(tmp_path: Path) -> None:
    journal = DiskJournal(tmp_path)
    queue = InProcessQueue(2, journal)
    first, second, third = JOBS[:3]
    queue.send(first)
    queue.send(second)
    with pytest.raises(QueueFull):
        queue.send(third)
    assert journaled(journal) == {first.job_id, second.job_id}, "a refused job must not stay journaled"
    delivery = queue.receive(timeout=1)
    assert delivery is not None and delivery.job == first
    queue.ack(delivery)
    assert journaled(journal) == {second.job_id}
    assert queue.close() == [second], "a job still queued at close is handed back"
    assert journaled(journal) == {second.job_id}, "... and stays journaled for the next start"
    with pytest.raises(QueueClosed):
        queue.send(third)
    assert queue.receive(timeout=1) is None


def test_close_wakes_every_waiting_receiver() -> None:
    queue = InProcessQueue(10)
    got: list[object] = []
    receivers = [threading.Thread(target=lambda: got.append(queue.receive())) for _ in range(3)]
    for receiver in receivers:
        receiver.start()
    queue.close()
    for receiver in receivers:
        receiver.join(timeout=10)
    assert got == [None, None, None] and not any(r.is_alive() for r in receivers)


def test_journal_replay_runs_each_job_once_and_keeps_the_ones_that_raise(tmp_path: Path) -> None:
    journal = DiskJournal(tmp_path)
    for job in JOBS[:3]:
        journal.store(job)
    ran: list[str] = []

    def handler(job: IngestJob) -> dict[str, str]:
        if isinstance(job.source, ArticleSource):
            raise RuntimeError("S3 is down")
        ran.append(job.job_id)
        return {}

    assert journal.replay(handler) == 3
    assert sorted(ran) == sorted([JOBS[0].job_id, JOBS[2].job_id])
    assert [job for _, job in journal.jobs()] == [JOBS[1]], "the job that raised stays for the next start"
