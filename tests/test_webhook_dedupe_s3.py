"""The S3-backed webhook dedupe store, against real local S3 servers: one claim per webhook-id across hosts, and no
claim that swallows a webhook whose job was never queued (the app over HTTP, with S3 failing through the proxy)."""
from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from structlog.testing import capture_logs

from ingest_plugin.entrypoints.webhook.dedupe import DEFAULT_DEDUPE_TTL, ClaimPending, S3Dedupe
from ingest_plugin.publishing.keys import KeyLayout
from tests.s3_fault_proxy import Fault, FaultProxy
from tests.test_webhook import LocalClient, Recorder, serving, wait_until

pytestmark = pytest.mark.s3


def store(publisher, clock=None, **options) -> S3Dedupe:
    now = clock or (lambda: 1_000_000.0)
    return S3Dedupe(publisher.bucket, KeyLayout().webhook_dedupe, clock=now, **options)


def test_two_hosts_claim_a_webhook_id_once(publisher) -> None:
    host_a, host_b = store(publisher), store(publisher)
    assert host_a.claim("msg_1", "job-a") is None
    with pytest.raises(ClaimPending) as pending:  # job-a is not queued yet: the retry must come back, not drop
        host_b.claim("msg_1", "job-b")
    assert (pending.value.job_id, pending.value.retry_after) == ("job-a", 60)
    host_a.confirm("msg_1", "job-a")
    assert host_b.claim("msg_1", "job-b") == "job-a"  # a retry reaching the other host: the original job
    assert host_a.claim("msg_1", "job-a") is None  # our own claim, seen again (a lost reply): still ours
    assert publisher.bucket.get("webhooks/dedupe/msg_1.json").json() == {
        "job_id": "job-a", "expires_at": 1_000_000.0 + DEFAULT_DEDUPE_TTL, "claimed_at": 1_000_000.0, "queued": True}


def test_a_released_claim_lets_the_retry_run_and_an_expired_one_is_taken_over(publisher) -> None:
    now = [1_000_000.0]
    dedupe = store(publisher, clock=lambda: now[0], ttl_seconds=600)
    assert dedupe.claim("msg_2", "job-1") is None
    dedupe.confirm("msg_2", "job-1")
    dedupe.release("msg_2", "job-other")  # not the holder: nothing happens
    assert dedupe.claim("msg_2", "job-2") == "job-1"
    dedupe.release("msg_2", "job-1")  # job-1 was never queued: the sender's retry must run
    assert dedupe.claim("msg_2", "job-3") is None
    now[0] += 601
    assert dedupe.claim("msg_2", "job-4") is None  # job-3's claim expired
    dedupe.confirm("msg_2", "job-4")
    assert store(publisher, clock=lambda: now[0]).claim("msg_2", "job-5") == "job-4"


@pytest.mark.parametrize("claim", [b'{"job_id": "0f3c", "expires_at": 17', b"[]", b"{}", b'{"job_id": 7}',
                                   b'{"job_id": "old", "expires_at": "2020-01-01T00:00:00Z"}',
                                   b'{"job_id": "old", "expires_at": 2000000, "queued": false}',
                                   b'{"job_id": "old", "expires_at": 2000000, "claimed_at": 999999, "queued": "no"}',
                                   b'{"job_id": "old", "expires_at": 1' + b"0" * 400 + b', "queued": true}',
                                   b'{"job_id": "old", "expires_at": 2000000, "claimed_at": 1' + b"0" * 400
                                   + b', "queued": false}',
                                   b'{"job_id": "old", "expires_at": Infinity, "queued": true}',
                                   b'{"job_id": "old", "expires_at": NaN, "queued": true}'],
                         ids=["cut-short", "a-list", "no-keys", "job-id-a-number", "expiry-a-date",
                              "pending-since-unknown", "queued-a-string", "expiry-too-long-for-a-float",
                              "claimed-too-long-for-a-float", "expiry-infinite", "expiry-nan"])
def test_a_claim_that_holds_no_claim_is_taken_over_and_released_by_its_new_holder(publisher, claim) -> None:
    """Each raised at every claim of its webhook-id (HTTP 500 for ever), and release too; an integer too long for a
    float raised OverflowError in claim and confirm (a 500 after the job was queued); an infinite expiry held the id
    until the lifecycle rule deleted the object."""
    publisher.bucket.put("webhooks/dedupe/msg_3.json", claim)
    dedupe = store(publisher)
    dedupe.release("msg_3", "job-1")  # not the holder: nothing happens
    with capture_logs() as events:
        assert dedupe.claim("msg_3", "job-1") is None
    assert [e["key"] for e in events if e["event"] == "dedupe_claim_unreadable"] == ["webhooks/dedupe/msg_3.json"]
    dedupe.confirm("msg_3", "job-1")
    assert store(publisher).claim("msg_3", "job-2") == "job-1"
    dedupe.release("msg_3", "job-1")
    assert store(publisher).claim("msg_3", "job-3") is None  # released: the next delivery runs


def test_a_late_release_leaves_the_claim_of_the_host_that_took_it_over(publisher) -> None:
    """A release came after another host had taken the pending claim over and confirmed it: its unconditional
    delete removed that claim, and the next delivery of the id ran the webhook a third time."""
    now = [1_000_000.0]
    host_b = store(publisher, clock=lambda: now[0])

    class TakenOverAfterRead:
        """Host A's bucket: between the read and the write of its release, host B takes the claim over."""

        def __getattr__(self, name: str) -> Any:
            return getattr(publisher.bucket, name)

        def get(self, key: str) -> Any:
            stored = publisher.bucket.get(key)
            if releasing:
                releasing.clear()
                assert host_b.claim("msg_9", "job-b") is None
                host_b.confirm("msg_9", "job-b")
            return stored

    releasing: list[bool] = []
    host_a = S3Dedupe(TakenOverAfterRead(), KeyLayout().webhook_dedupe, clock=lambda: now[0])  # type: ignore[arg-type]
    assert host_a.claim("msg_9", "job-a") is None
    now[0] += 61  # host A's queue send hangs past the grace period, then fails: it releases its claim
    releasing.append(True)
    host_a.release("msg_9", "job-a")
    assert store(publisher, clock=lambda: now[0]).claim("msg_9", "job-c") == "job-b"


# --- a claim is pending until its job is queued -------------------------------------------------------------------

def pending_claim(job_id: str, claimed_at: float, ttl: float = DEFAULT_DEDUPE_TTL) -> bytes:
    """The claim object a request leaves when it dies (or S3's reply is lost) before its job is queued."""
    return json.dumps({"job_id": job_id, "expires_at": claimed_at + ttl, "claimed_at": claimed_at,
                       "queued": False}).encode()


def test_a_pending_claim_of_a_request_that_died_is_taken_over_after_the_grace_period(publisher) -> None:
    """It answered every retry "duplicate" until it expired (48 h): the article never came."""
    now = [1_000_000.0]
    publisher.bucket.put("webhooks/dedupe/msg_4.json", pending_claim("job-lost", claimed_at=now[0] - 10))
    dedupe = store(publisher, clock=lambda: now[0])
    with pytest.raises(ClaimPending) as pending:  # its request may still be queueing it
        dedupe.claim("msg_4", "job-retry")
    assert (pending.value.job_id, pending.value.retry_after) == ("job-lost", 50)
    now[0] += 50
    with capture_logs() as events:
        assert dedupe.claim("msg_4", "job-retry") is None
    assert [(e["webhook_id"], e["pending_job_id"], e["job_id"]) for e in events
            if e["event"] == "dedupe_pending_claim_taken_over"] == [("msg_4", "job-lost", "job-retry")]
    assert publisher.bucket.get("webhooks/dedupe/msg_4.json").json()["queued"] is False
    dedupe.confirm("msg_4", "job-retry")
    assert publisher.bucket.get("webhooks/dedupe/msg_4.json").json() == {
        "job_id": "job-retry", "expires_at": now[0] + DEFAULT_DEDUPE_TTL, "claimed_at": now[0], "queued": True}
    now[0] += 3600
    assert store(publisher, clock=lambda: now[0]).claim("msg_4", "job-late") == "job-retry"
    # made "in an hour": no live request's clock is that far ahead, and it must not hold the id until it expires
    publisher.bucket.put("webhooks/dedupe/msg_4b.json", pending_claim("job-ahead", claimed_at=now[0] + 3600))
    assert dedupe.claim("msg_4b", "job-retry") is None


@pytest.mark.parametrize("claim", [
    b'{"job_id": "job-1", "expires_at": 1100000.0, "claimed_at": 900000.0, "queued": true}',
    b'{"job_id": "job-1", "expires_at": 1100000.0}',
], ids=["confirmed", "written-before-claims-were-confirmed"])
def test_a_confirmed_claim_of_another_job_is_a_duplicate_however_old(publisher, claim) -> None:
    publisher.bucket.put("webhooks/dedupe/msg_5.json", claim)
    assert store(publisher).claim("msg_5", "job-2") == "job-1"
    assert publisher.bucket.get("webhooks/dedupe/msg_5.json").body == claim


def test_confirm_leaves_a_claim_taken_over_meanwhile_and_remakes_a_deleted_one(publisher) -> None:
    now = [1_000_000.0]
    slow, fast = store(publisher, clock=lambda: now[0]), store(publisher, clock=lambda: now[0])
    assert slow.claim("msg_6", "job-slow") is None
    now[0] += 61  # the slow request's queue took longer than the grace period
    assert fast.claim("msg_6", "job-fast") is None
    with capture_logs() as events:
        slow.confirm("msg_6", "job-slow")
    assert [(e["webhook_id"], e["job_id"], e["holder_job_id"]) for e in events
            if e["event"] == "dedupe_claim_taken_over"] == [("msg_6", "job-slow", "job-fast")]
    assert publisher.bucket.get("webhooks/dedupe/msg_6.json").json()["job_id"] == "job-fast"
    publisher.bucket.delete("webhooks/dedupe/msg_6.json")  # by hand, or the lifecycle rule
    fast.confirm("msg_6", "job-fast")
    assert store(publisher, clock=lambda: now[0]).claim("msg_6", "job-late") == "job-fast"


def all_at_once(count: int, prepare: Callable[[int], Callable[[], Any]]) -> list[Any]:
    """Run ``count`` actions in threads released together (each prepared first); what each returned or raised."""
    start, results = threading.Barrier(count), [None] * count

    def run(n: int) -> None:
        action = prepare(n)
        start.wait()
        try:
            results[n] = action()
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_hosts_claiming_one_webhook_id_at_once_leave_one_holder(publisher) -> None:
    for n in range(5):
        webhook_id = f"msg_race_{n}"
        answers = all_at_once(6, lambda host, webhook_id=webhook_id: functools.partial(
            store(publisher).claim, webhook_id, f"job-{host}"))
        winners = [host for host, answer in enumerate(answers) if answer is None]
        assert len(winners) == 1, answers
        assert all(isinstance(answer, ClaimPending) and answer.job_id == f"job-{winners[0]}"
                   for answer in answers if answer is not None), answers
        assert publisher.bucket.get(f"webhooks/dedupe/{webhook_id}.json").json()["job_id"] == f"job-{winners[0]}"


# --- over HTTP: the webhook app with S3 dedupe, through the fault proxy where S3 must fail ------------------------

@contextmanager
def webhook_on(publisher, now: list[float], recorder: Recorder) -> Iterator[LocalClient]:
    with serving(recorder, dedupe=store(publisher, clock=lambda: now[0])) as client:
        yield client


def test_a_claim_whose_reply_was_lost_does_not_swallow_the_retry(s3_server, make_publisher) -> None:
    """The claim landed, its reply was lost and S3 failed right after: 503, no job, and the claim left in the bucket
    named a job that never ran, so every retry was answered "duplicate" for 48 hours and the article never came."""
    now, recorder = [time.time()], Recorder()
    with FaultProxy(s3_server.endpoint_url) as proxy:
        publisher = make_publisher(proxy.endpoint_url, max_attempts=2)
        with capture_logs() as events, webhook_on(publisher, now, recorder) as client:
            proxy.add(Fault("drop_after", methods=("PUT",), path=r"/webhooks/dedupe/", count=1),
                      Fault("status", status=503, code="SlowDown", path=r"/webhooks/dedupe/"))
            first = client.post(msg_id="msg_lost")
            assert (first.status, first.body) == (503, {"error": "cannot check the webhook-id"})
            assert int(first.headers["Retry-After"]) > 0
            proxy.clear()
            soon = client.post(msg_id="msg_lost")  # its request might still be queueing the job: come back later
            assert (soon.status, soon.body) == (503, {"error": "the webhook-id is being queued"})
            assert 0 < int(soon.headers["Retry-After"]) <= 60
            assert publisher.bucket.get("webhooks/dedupe/msg_lost.json").json()["queued"] is False
            now[0] += 61
            later = client.post(msg_id="msg_lost")
            assert later.status == 202, later.body
            assert client.wait_for(later.body["job_id"], "done")["webhook_id"] == "msg_lost"
            again = client.post(msg_id="msg_lost")
            assert (again.status, again.body) == (200, {"job_id": later.body["job_id"], "status": "duplicate"})
    assert [job.job_id for job in recorder.jobs] == [later.body["job_id"]]
    assert proxy.stats["drop_after"] == 1
    assert [(e["event"], e["webhook_id"]) for e in events if e["event"].startswith("dedupe_")] == [
        ("dedupe_unavailable", "msg_lost"), ("dedupe_not_released", "msg_lost"),
        ("dedupe_claim_pending", "msg_lost"), ("dedupe_pending_claim_taken_over", "msg_lost")]


def test_a_claim_whose_reply_was_lost_is_released_when_s3_answers_again(s3_server, make_publisher) -> None:
    """Only the reply was lost: our claim is deleted before the 503, so the retry runs at once."""
    recorder = Recorder()
    with FaultProxy(s3_server.endpoint_url) as proxy:
        publisher = make_publisher(proxy.endpoint_url, max_attempts=2)
        with webhook_on(publisher, [time.time()], recorder) as client:
            proxy.add(Fault("drop_after", methods=("PUT",), path=r"/webhooks/dedupe/", count=2))
            assert client.post(msg_id="msg_lost_reply").status == 503
            retry = client.post(msg_id="msg_lost_reply")  # within the grace period: runs, so the claim was deleted
            assert (retry.status, retry.body["status"]) == (202, "queued")
            client.wait_for(retry.body["job_id"], "done")
    assert [job.job_id for job in recorder.jobs] == [retry.body["job_id"]]


def test_a_request_that_died_before_queueing_leaves_the_retry_to_run(publisher) -> None:
    now, recorder = [time.time()], Recorder()
    publisher.bucket.put("webhooks/dedupe/msg_died.json", pending_claim("f" * 32, claimed_at=now[0]))
    with webhook_on(publisher, now, recorder) as client:
        soon = client.post(msg_id="msg_died")
        assert (soon.status, soon.body) == (503, {"error": "the webhook-id is being queued"})
        assert soon.headers["Retry-After"] == "60"
        now[0] += 60
        later = client.post(msg_id="msg_died")
        assert later.status == 202, later.body
        client.wait_for(later.body["job_id"], "done")
    assert [job.request_id for job in recorder.jobs] == ["msg_died"]


def test_a_queued_job_confirms_its_claim_and_retries_stay_duplicates(publisher) -> None:
    now, recorder = [time.time()], Recorder()
    publisher.bucket.put("webhooks/dedupe/msg_old.json",  # as the previous release wrote claims
                         json.dumps({"job_id": "e" * 32, "expires_at": now[0] + 7200}).encode())
    with webhook_on(publisher, now, recorder) as client:
        first = client.post(msg_id="msg_ok")
        assert first.status == 202
        held = publisher.bucket.get("webhooks/dedupe/msg_ok.json").json()
        assert (held["job_id"], held["queued"]) == (first.body["job_id"], True)
        now[0] += 3600  # long past the grace period, within the TTL
        retry = client.post(msg_id="msg_ok")
        assert (retry.status, retry.body) == (200, {"job_id": first.body["job_id"], "status": "duplicate"})
        old = client.post(msg_id="msg_old")
        assert (old.status, old.body) == (200, {"job_id": "e" * 32, "status": "duplicate"})
        client.wait_for(first.body["job_id"], "done")
    assert [job.request_id for job in recorder.jobs] == ["msg_ok"]


def test_concurrent_deliveries_of_one_webhook_id_to_two_hosts_queue_one_job(publisher) -> None:
    now, recorder, senders = [time.time()], Recorder(), 6
    with webhook_on(publisher, now, recorder) as host_a, webhook_on(publisher, now, recorder) as host_b:
        for n in range(3):
            webhook_id = f"msg_together_{n}"

            def sender(number: int, webhook_id: str = webhook_id) -> Callable[[], Any]:
                host = (host_a, host_b)[number % 2]
                return functools.partial(host.post, headers=host.signed(msg_id=webhook_id))

            replies = all_at_once(senders, sender)
            accepted = [reply for reply in replies if reply.status == 202]
            assert len(accepted) == 1, [(reply.status, reply.body) for reply in replies]
            job_id = accepted[0].body["job_id"]
            for reply in replies:  # the others: a duplicate of it, or "come back" while it was being queued
                assert (reply.status, reply.body) in ((202, accepted[0].body), (200, {
                    "job_id": job_id, "status": "duplicate"}), (503, {"error": "the webhook-id is being queued"}))
            retry = host_b.post(msg_id=webhook_id)
            assert (retry.status, retry.body) == (200, {"job_id": job_id, "status": "duplicate"})
        wait_until(lambda: len(recorder.jobs) == 3)
    assert sorted(job.request_id for job in recorder.jobs) == [f"msg_together_{n}" for n in range(3)]


def test_a_failed_confirm_still_answers_202_and_says_so(s3_server, make_publisher) -> None:
    """The job is queued and runs; the claim stays pending, so a retry after the grace period runs the job again
    (an unchanged article publishes nothing): nothing lost wins over exactly once."""
    now, recorder = [time.time()], Recorder()
    with FaultProxy(s3_server.endpoint_url) as proxy:
        publisher = make_publisher(proxy.endpoint_url, max_attempts=2)
        with capture_logs() as events, webhook_on(publisher, now, recorder) as client:
            proxy.add(Fault("status", status=503, code="SlowDown", methods=("PUT",), path=r"/webhooks/dedupe/",
                            after=1))  # the claim goes through; the confirmation does not
            first = client.post(msg_id="msg_unconfirmed")
            assert (first.status, first.body["status"]) == (202, "queued")
            client.wait_for(first.body["job_id"], "done")
            proxy.clear()
            now[0] += 61
            retry = client.post(msg_id="msg_unconfirmed")
            assert retry.status == 202
            client.wait_for(retry.body["job_id"], "done")
    assert [job.job_id for job in recorder.jobs] == [first.body["job_id"], retry.body["job_id"]]
    unconfirmed = [e for e in events if e["event"] == "dedupe_not_confirmed"]
    assert [(e["webhook_id"], e["job_id"], e["log_level"]) for e in unconfirmed] == [
        ("msg_unconfirmed", first.body["job_id"], "error")]
