"""The S3-backed webhook dedupe store, against real local S3 servers: one claim per webhook-id across hosts."""
from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from ingest_plugin.entrypoints.webhook.dedupe import S3Dedupe
from ingest_plugin.publishing.keys import KeyLayout

pytestmark = pytest.mark.s3


def store(publisher, clock=None, **options) -> S3Dedupe:
    now = clock or (lambda: 1_000_000.0)
    return S3Dedupe(publisher.bucket, KeyLayout().webhook_dedupe, clock=now, **options)


def test_two_hosts_claim_a_webhook_id_once(publisher) -> None:
    host_a, host_b = store(publisher), store(publisher)
    assert host_a.claim("msg_1", "job-a") is None
    assert host_b.claim("msg_1", "job-b") == "job-a"  # a retry reaching the other host: the original job
    assert host_a.claim("msg_1", "job-a") is None  # our own claim, seen again (a lost reply): still ours
    assert publisher.bucket.get("webhooks/dedupe/msg_1.json").json()["job_id"] == "job-a"


def test_a_released_claim_lets_the_retry_run_and_an_expired_one_is_taken_over(publisher) -> None:
    now = [1_000_000.0]
    dedupe = store(publisher, clock=lambda: now[0], ttl_seconds=600)
    assert dedupe.claim("msg_2", "job-1") is None
    dedupe.release("msg_2", "job-other")  # not the holder: nothing happens
    assert dedupe.claim("msg_2", "job-2") == "job-1"
    dedupe.release("msg_2", "job-1")  # job-1 was never queued: the sender's retry must run
    assert dedupe.claim("msg_2", "job-3") is None
    now[0] += 601
    assert dedupe.claim("msg_2", "job-4") is None  # job-3's claim expired
    assert store(publisher, clock=lambda: now[0]).claim("msg_2", "job-5") == "job-4"


@pytest.mark.parametrize("claim", [b'{"job_id": "0f3c", "expires_at": 17', b"[]", b"{}", b'{"job_id": 7}',
                                   b'{"job_id": "old", "expires_at": "2020-01-01T00:00:00Z"}'],
                         ids=["cut-short", "a-list", "no-keys", "job-id-a-number", "expiry-a-date"])
def test_a_claim_that_holds_no_claim_is_taken_over_and_released_by_its_new_holder(publisher, claim) -> None:
    """Each raised at every claim of its webhook-id (HTTP 500 for ever), and release too."""
    publisher.bucket.put("webhooks/dedupe/msg_3.json", claim)
    dedupe = store(publisher)
    dedupe.release("msg_3", "job-1")  # not the holder: nothing happens
    with capture_logs() as events:
        assert dedupe.claim("msg_3", "job-1") is None
    assert [e["key"] for e in events if e["event"] == "dedupe_claim_unreadable"] == ["webhooks/dedupe/msg_3.json"]
    assert store(publisher).claim("msg_3", "job-2") == "job-1"
    dedupe.release("msg_3", "job-1")
    assert publisher.bucket.get("webhooks/dedupe/msg_3.json") is None
