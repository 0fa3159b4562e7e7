"""The CMS webhook as a sender meets it: waitress on 127.0.0.1 (the production server), requests from
:mod:`http.client`, Standard Webhooks v1 signatures computed the way any sender computes them.

Every test checks what the handler (the core ingest) saw, since "rejected" must also mean "nothing ran", and an
autouse fixture checks afterwards that no secret or signature reached a log line.
"""
from __future__ import annotations

import base64
import http.client
import io
import json
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from waitress import wasyncore

from ingest_plugin import log
from ingest_plugin.entrypoints.webhook import app as webhook
from ingest_plugin.entrypoints.webhook import protocol
from ingest_plugin.entrypoints.webhook.dedupe import ClaimPending, MemoryDedupe
from ingest_plugin.errors import ErrorCode, IngestError
from ingest_plugin.ingest.jobs import ArticleSource, IngestJob
from ingest_plugin.ingest.queue import RetryLater
from ingest_plugin.schemas import compile_validator
from tests.conftest import logging_as_it_was

SECRET = "whsec_" + base64.b64encode(b"current secret, 32 bytes long!!!").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"the previous secret, still live.").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"a secret this server never heard").decode()
PAYLOAD = b'{"partner": "zenger", "id": "12345"}'
TIMEOUT = 5.0


# --- fixtures ---------------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """The real structlog pipeline (JSON lines), written to a buffer; afterwards, no secret may be in it."""
    buffer = io.StringIO()
    with logging_as_it_was():
        monkeypatch.setattr(sys, "stderr", buffer)
        log.configure("DEBUG", json=True)
        yield buffer
    text = buffer.getvalue()
    for secret in (SECRET, OLD_SECRET, OTHER_SECRET):
        assert secret.removeprefix("whsec_") not in text
        assert repr(protocol.decode_secret(secret))[2:-1] not in text
    assert "v1," not in text, "a signature was logged"


def events(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@dataclass
class Recorder:
    """A handler that records the jobs it ran. With a gate, each job waits for it (a slow partner)."""

    gate: threading.Event | None = None
    jobs: list[IngestJob] = field(default_factory=list)
    started: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def __call__(self, job: IngestJob) -> dict[str, Any]:
        self.started.release()
        if self.gate is not None:
            assert self.gate.wait(TIMEOUT)
        self.jobs.append(job)
        return {"published": getattr(job.source, "article_id", None)}

    def wait_started(self) -> None:
        assert self.started.acquire(timeout=TIMEOUT), "the handler never started"


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: http.client.HTTPMessage


@dataclass
class Client:
    """A sender talking to a running server over loopback."""

    port: int
    counter: int = 0

    def request(self, method: str, path: str, body: bytes | Iterable[bytes] | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
            return Reply(response.status, json.loads(data) if data.startswith(b"{") else {}, response.headers)
        finally:
            connection.close()

    def signed(self, body: bytes = PAYLOAD, *, secrets: Iterable[str] = (SECRET,), msg_id: str | None = None,
               timestamp: int | None = None) -> dict[str, str]:
        """Standard Webhooks headers for ``body``: a fresh id unless given, the current time unless given."""
        self.counter += 1
        msg_id = msg_id or f"msg_test{self.counter}"
        timestamp = int(time.time()) if timestamp is None else timestamp
        return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "Content-Type": "application/json",
                "webhook-signature": " ".join(protocol.sign(s, msg_id, timestamp, body) for s in secrets)}

    def post(self, body: bytes = PAYLOAD, headers: dict[str, str] | None = None, **signing: Any) -> Reply:
        return self.request("POST", "/webhooks/ingest", body, self.signed(body, **signing) if headers is None
                            else headers)

    def wait_for(self, job_id: str, *statuses: str) -> dict[str, Any]:
        """Poll ``GET /jobs/{id}`` (bounded) until the job reaches one of ``statuses``."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            job = self.request("GET", f"/jobs/{job_id}").body
            if job.get("status") in statuses:
                return job
            time.sleep(0.01)
        raise AssertionError(f"job {job_id} never reached {statuses}: {job}")

    def healthy(self) -> bool:
        reply = self.request("GET", "/healthz")
        return reply.status == 200 and reply.body["status"] == "ok"


@dataclass
class LocalClient(Client):
    """A sender talking to a server in this process, whose app the test can reach."""

    app: webhook.WebhookApp = field(kw_only=True)


@contextmanager
def serving(handler: webhook.Handler, secrets: Iterable[str] = (SECRET,), **options: Any) -> Iterator[LocalClient]:
    """The app under a real waitress server on an ephemeral port, stopped and drained afterwards."""
    app = webhook.create_app(secrets, handler, **options)
    server = webhook.make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield LocalClient(server.effective_port, app=app)
    finally:
        # Closing every socket from inside the loop (a trigger thunk) ends it at once, with no poll timeout. The thunk
        # may run as soon as it is queued (a waitress thread can pull the trigger too), so it waits until our own
        # pull has written to the pipe it is about to close.
        pulled = threading.Event()
        server.trigger.pull_trigger(lambda: pulled.wait(TIMEOUT) and wasyncore.close_all(server._map))
        pulled.set()
        thread.join(TIMEOUT)
        server.task_dispatcher.shutdown()
        app.shutdown()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(recorder: Recorder) -> Iterator[LocalClient]:
    with serving(recorder) as running:
        yield running


# --- the protocol -----------------------------------------------------------------------------------------------

def test_sign_and_verify_reproduce_the_standard_webhooks_test_vector() -> None:
    """The vector every Standard Webhooks library checks: a sender's library will accept what we sign, and we
    accept what it signs."""
    secret, msg_id, timestamp, body = ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                       1614265330, b'{"test": 2432232314}')
    signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert protocol.sign(secret, msg_id, timestamp, body) == signature
    headers = {"Webhook-Id": msg_id, "Webhook-Timestamp": str(timestamp), "Webhook-Signature": signature}
    protocol.verify(headers, body, [secret], now=timestamp)


def _headers(msg_id: str = "msg_1", timestamp: int = 1_700_000_000, body: bytes = PAYLOAD,
             signature: str | None = None) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature or protocol.sign(SECRET, msg_id, timestamp, body)}


@pytest.mark.parametrize("skew", [-300, 300])
def test_the_tolerance_window_is_inclusive(skew: int) -> None:
    protocol.verify(_headers(), PAYLOAD, [SECRET], now=1_700_000_000 + skew)


@pytest.mark.parametrize(("headers", "now", "reason"), [
    (_headers(), 1_700_000_301, "timestamp outside the tolerance window"),
    (_headers(), 1_699_999_699, "timestamp outside the tolerance window"),
    ({"webhook-id": "msg_1", "webhook-timestamp": "1700000000"}, 1_700_000_000, "missing or malformed"),
    ({**_headers(), "webhook-timestamp": "1.7e9"}, 1_700_000_000, "missing or malformed"),
    ({**_headers(), "webhook-timestamp": " 1700000000"}, 1_700_000_000, "missing or malformed"),
    (_headers(msg_id="msg.1"), 1_700_000_000, "missing or malformed"),  # would make id.timestamp.body ambiguous
    ({**_headers(), "webhook-signature": "v1a,AAAA"}, 1_700_000_000, "no valid signature"),
    ({**_headers(), "webhook-signature": "v1,not base64!"}, 1_700_000_000, "no valid signature"),
    (_headers(body=b'{"partner": "zenger", "id": "99999"}'), 1_700_000_000, "no valid signature"),
])
def test_verify_rejects(headers: dict[str, str], now: int, reason: str) -> None:
    with pytest.raises(protocol.WebhookRejected) as rejected:
        protocol.verify(headers, PAYLOAD, [SECRET], now=now)
    assert rejected.value.status == 401 and rejected.value.reason.startswith(reason)


def test_verify_accepts_any_matching_entry_among_junk() -> None:
    good = protocol.sign(OLD_SECRET, "msg_1", 1_700_000_000, PAYLOAD)
    headers = _headers(signature=f"v1a,AAAA  v1,bm9wZQ== garbage {good}")
    protocol.verify(headers, PAYLOAD, [SECRET, OLD_SECRET], now=1_700_000_000)


@pytest.mark.parametrize(("secret", "problem"), [
    (SECRET.removeprefix("whsec_"), "must look like whsec_"),
    ("whsec_not*base64*at*all", "not valid base64"),
    ("whsec_" + base64.b64encode(b"short").decode(), "at least 24"),
])
def test_unusable_secrets_are_refused_without_being_quoted(secret: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as refused:
        webhook.create_app([secret], Recorder())
    assert secret.removeprefix("whsec_") not in str(refused.value)


def test_unpadded_secrets_decode_as_in_the_reference_library() -> None:
    assert protocol.decode_secret(SECRET.rstrip("=")) == protocol.decode_secret(SECRET)


def test_memory_dedupe_remembers_for_its_ttl_then_forgets() -> None:
    now = [0.0]
    store = MemoryDedupe(ttl_seconds=600, clock=lambda: now[0])
    assert store.claim("msg_1", "job-a") is None
    store.confirm("msg_1", "job-a")
    assert store.claim("msg_1", "job-b") == "job-a"
    store.release("msg_1", "job-b")  # not its claim: nothing happens
    assert store.claim("msg_1", "job-c") == "job-a"
    now[0] = 600.0
    assert store.claim("msg_1", "job-d") is None
    store.release("msg_1", "job-d")
    assert store.claim("msg_1", "job-e") is None


def test_memory_dedupe_makes_a_retry_wait_while_the_first_request_queues_its_job() -> None:
    """The first request's queue send was slow, the sender retried: the retry got 200 duplicate, then the send
    failed (503) and released the claim, and the webhook never ran. The retry now waits, and the next one runs."""
    store = MemoryDedupe(ttl_seconds=600)
    assert store.claim("msg_2", "job-a") is None
    with pytest.raises(ClaimPending) as pending:
        store.claim("msg_2", "job-b")
    assert pending.value.job_id == "job-a" and pending.value.retry_after >= 1
    store.release("msg_2", "job-a")  # job-a could not be queued
    assert store.claim("msg_2", "job-c") is None
    store.confirm("msg_2", "job-c")
    assert store.claim("msg_2", "job-d") == "job-c"


def test_create_app_refuses_unsafe_settings() -> None:
    with pytest.raises(ValueError, match="at least one secret"):
        webhook.create_app([], Recorder())
    with pytest.raises(ValueError, match="must cover"):
        webhook.create_app([SECRET], Recorder(), dedupe=MemoryDedupe(ttl_seconds=300))


# --- over HTTP --------------------------------------------------------------------------------------------------

def test_a_signed_webhook_is_queued_and_ingested(client: Client, recorder: Recorder) -> None:
    reply = client.post()
    assert reply.status == 202 and reply.body["status"] == "queued"
    job = client.wait_for(reply.body["job_id"], "done")
    assert job == {"job_id": reply.body["job_id"], "webhook_id": "msg_test1", "status": "done",
                   "result": {"published": "12345"}}
    assert recorder.jobs == [IngestJob(ArticleSource("zenger", "12345"), trigger="webhook",
                                       job_id=reply.body["job_id"], request_id="msg_test1")]


def _unsigned(client: Client) -> dict[str, str]:
    return {name: value for name, value in client.signed().items() if name != "webhook-signature"}


@pytest.mark.parametrize("forge", [
    pytest.param(lambda c: c.signed(secrets=[OTHER_SECRET]), id="wrong secret"),
    pytest.param(lambda c: {}, id="no headers"),
    pytest.param(_unsigned, id="no signature"),
    pytest.param(lambda c: {k: v for k, v in c.signed().items() if k != "webhook-id"}, id="no id"),
    pytest.param(lambda c: {k: v for k, v in c.signed().items() if k != "webhook-timestamp"}, id="no timestamp"),
    pytest.param(lambda c: {**_unsigned(c), "webhook-signature": "v1 not-a-signature"}, id="malformed"),
    pytest.param(lambda c: {**_unsigned(c), "webhook-signature": "sha256=" + "0" * 64}, id="other scheme"),
    pytest.param(lambda c: c.signed(timestamp=int(time.time()) - 301), id="expired"),
    pytest.param(lambda c: c.signed(timestamp=int(time.time()) + 301), id="from the future"),
    pytest.param(lambda c: c.signed(b'{"partner": "zenger", "id": "1"}'), id="body changed after signing"),
])
def test_bad_signatures_are_401_and_nothing_runs(client: LocalClient, recorder: Recorder, forge: Any) -> None:
    reply = client.post(headers=forge(client))
    assert reply.status == 401 and reply.body["error"]
    assert client.healthy()
    assert recorder.jobs == [] and client.app._queue.depth() == 0


def test_replays_and_retries_of_a_webhook_id_run_once(client: Client, recorder: Recorder, logs: io.StringIO) -> None:
    headers = client.signed()
    first = client.post(headers=headers)
    assert first.status == 202
    replay = client.post(headers=headers)  # the same request captured and sent again
    retry = client.post(msg_id=headers["webhook-id"])  # the sender's retry: same id, fresh timestamp and signature
    assert replay.status == retry.status == 200
    assert replay.body == retry.body == {"job_id": first.body["job_id"], "status": "duplicate"}
    client.wait_for(first.body["job_id"], "done")
    assert len(recorder.jobs) == 1
    received = [e for e in events(logs) if e["event"] == "webhook_received"]
    assert [e["duplicate"] for e in received] == [False, True, True]
    assert len({e["partner"] for e in received}) == 1  # every line names the partner, the duplicates' too


@pytest.mark.parametrize("body", [
    b'{"partner": "reuters", "id": "1"}',
    b'{"partner": "zenger", "id": "1", "content": "<p>injected</p>"}',
    b'{"partner": "zenger", "id": "1", "url": "https://www.zenger.news/a"}',
    b'{"partner": "zenger"}',
    b'{"partner": "zenger", "url": "http://www.zenger.news/a"}',
    b'{"partner": "zenger", "url": "https://user:pw@www.zenger.news/a"}',
    b'{"partner": "zenger", "url": "https://169.254.169.254/latest"}',
    b'{"partner": "zenger", "url": "https://www.zenger.news:8443/a"}',
    b'{"partner": "zenger", "id": "1", "force": "yes"}',
    b'{"partner": "zenger", "id": "1", "action": "delete"}',
    b"not json",
    b'{"partner": "zenger", "id": "\xff"}',
    b"[" * 10_000,
    b"",
], ids=["unknown partner", "extra field", "url and id", "neither", "http", "userinfo", "ip address", "port",
        "force type", "action", "not json", "not utf-8", "deep nesting", "empty"])
def test_bad_payloads_are_400_after_a_valid_signature(client: Client, recorder: Recorder, body: bytes) -> None:
    reply = client.post(body)
    assert reply.status == 400 and reply.body["error"]
    assert recorder.jobs == []


# Loose patterns: a pattern is a search and Python's "$" matches before a final newline, so "12345\n" once passed
# as another article key; and the "no IP literal" rule let every other spelling of an address through.
SMUGGLED = {
    "id with a trailing newline": b'{"partner": "zenger", "id": "12345\\n"}',
    "id with a newline inside": b'{"partner": "zenger", "id": "123\\n45"}',
    "id with a trailing CR LF": b'{"partner": "zenger", "id": "12345\\r\\n"}',
    "url with a trailing newline": b'{"partner": "zenger", "url": "https://www.zenger.news/a\\n"}',
    "host with a trailing newline": b'{"partner": "zenger", "url": "https://www.zenger.news\\n"}',
    "decimal IPv4": b'{"partner": "zenger", "url": "https://2130706433/a"}',
    "hex IPv4": b'{"partner": "zenger", "url": "https://0x7f000001/a"}',
    "octal IPv4": b'{"partner": "zenger", "url": "https://0177.0.0.1/a"}',
    "short IPv4": b'{"partner": "zenger", "url": "https://127.1/a"}',
    "dotted IPv4 with a trailing dot": b'{"partner": "zenger", "url": "https://127.0.0.1./a"}',
    "a name ending in a number": b'{"partner": "zenger", "url": "https://1.2.3.4.5/a"}',
    "IPv6": b'{"partner": "zenger", "url": "https://[::1]/a"}',
    "IPv4-mapped IPv6": b'{"partner": "zenger", "url": "https://[::ffff:127.0.0.1]/a"}',
    "localhost": b'{"partner": "zenger", "url": "https://localhost/a"}',
    "LOCALHOST.": b'{"partner": "zenger", "url": "https://LOCALHOST./a"}',
    "*.localhost": b'{"partner": "zenger", "url": "https://zenger.localhost/a"}',
    "empty label": b'{"partner": "zenger", "url": "https://www..zenger.news/a"}',
}


@pytest.mark.parametrize("body", list(SMUGGLED.values()), ids=list(SMUGGLED))
def test_smuggled_ids_and_hosts_are_400(client: Client, recorder: Recorder, body: bytes) -> None:
    reply = client.post(body)
    assert reply.status == 400 and reply.body["error"]
    assert recorder.jobs == []


@pytest.mark.parametrize("body", list(SMUGGLED.values()), ids=list(SMUGGLED))
def test_parse_payload_refuses_smuggled_ids_and_hosts(body: bytes) -> None:
    with pytest.raises(protocol.WebhookRejected) as caught:
        protocol.parse_payload(body)
    assert caught.value.status == 400


@pytest.mark.parametrize("url, reason", [
    ("https://0x7f000001/a", "the host is an IP address literal"),
    ("https://1.2.3.4.5/a", "the host ends in a number"),
    ("https://news.localhost/a", "the host is a local name"),
    ("https://-www.zenger.news/a", "the host is not a valid host name"),
])
def test_parse_payload_checks_hosts_with_the_fetchers_rule_even_past_the_schema(
        url: str, reason: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python check stands on its own: with a schema that only asks for a string, it still refuses."""
    monkeypatch.setattr(protocol, "_PAYLOAD", compile_validator({"type": "object"}))
    with pytest.raises(protocol.WebhookRejected) as caught:
        protocol.parse_payload(json.dumps({"partner": "zenger", "url": url}).encode())
    assert caught.value.status == 400 and reason in caught.value.reason
    for body in ({"partner": "zenger", "id": "12345\n"}, {"partner": "zenger", "url": "https://www.zenger.news/a\n"}):
        with pytest.raises(protocol.WebhookRejected):
            protocol.parse_payload(json.dumps(body).encode())


@pytest.mark.parametrize("payload", [
    {"partner": "zenger", "id": "12345"},
    {"partner": "zenger", "id": "ZN-2024:001.v2"},
    {"partner": "benzinga", "id": "a" * 128},
    {"partner": "zenger", "url": "https://www.zenger.news/2024/05/10/story/"},
    {"partner": "zenger", "url": "https://www.zenger.news"},
    {"partner": "zenger", "url": "https://localhost.zenger.news/a"},
    {"partner": "benzinga", "url": "https://www.benzinga.com/news/24/03/12345/headline?x=1&y=%20"},
    {"partner": "benzinga", "url": "https://1.benzinga.com/a"},
])
def test_plain_payloads_still_parse(payload: dict[str, Any]) -> None:
    assert protocol.parse_payload(json.dumps(payload).encode()) == payload


def test_a_400_does_not_use_up_its_webhook_id(client: Client) -> None:
    assert client.post(b'{"partner": "reuters", "id": "1"}', msg_id="msg_fixed").status == 400
    assert client.post(msg_id="msg_fixed").status == 202


@pytest.mark.parametrize("payload", [
    b'{"partner": "benzinga", "url": "https://www.benzinga.com/news/24/03/12345/headline?x=1", "action": "cancel"}',
    b'{"partner": "zenger", "id": "ZN-2024:001", "force": true, "action": "ingest"}',
])
def test_every_payload_shape_is_accepted(client: Client, payload: bytes) -> None:
    assert client.post(payload).status == 202


def test_bodies_over_the_cap_are_413(recorder: Recorder) -> None:
    with serving(recorder, max_body=1000) as client:
        exactly = PAYLOAD + b" " * (1000 - len(PAYLOAD))  # JSON allows trailing white space
        assert client.post(exactly).status == 202
        over = exactly + b" "
        assert client.post(over).status == 413  # Content-Length checked before reading
        chunked = client.request("POST", "/webhooks/ingest", iter([over[:600], over[600:]]), client.signed(over))
        assert chunked.status == 413  # chunked: waitress de-chunks it and reports its length
        connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=TIMEOUT)
        connection.putrequest("POST", "/webhooks/ingest")
        connection.putheader("Content-Length", "10000000")
        connection.endheaders()  # waitress refuses this before a byte of the body is buffered
        assert connection.getresponse().status == 413
        connection.close()
        assert client.healthy()
        client.wait_for(client.post().body["job_id"], "done")
    assert len(recorder.jobs) == 2


@pytest.mark.parametrize(("content_length", "answer", "read"), [(None, "413", 101), ("12x", "400", 0)])
def test_the_app_bounds_its_read_under_any_wsgi_server(content_length: str | None, answer: str, read: int) -> None:
    """Waitress always sets a valid CONTENT_LENGTH; a server that does not still cannot make the app read more."""
    app = webhook.create_app([SECRET], Recorder(), max_body=100)
    body, statuses = io.BytesIO(b" " * 10_000), []
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/webhooks/ingest", "wsgi.input": body}
    if content_length is not None:
        environ["CONTENT_LENGTH"] = content_length
    try:
        app(environ, lambda status, headers: statuses.append(status))
    finally:
        app.shutdown()
    assert [status.split()[0] for status in statuses] == [answer] and body.tell() == read


def test_a_full_queue_is_429_with_retry_after_and_the_id_stays_usable() -> None:
    gate = threading.Event()
    recorder = Recorder(gate=gate)
    with serving(recorder, queue_size=1, workers=1) as client:
        running = client.post()
        recorder.wait_started()
        queued = client.post()
        full = client.post(msg_id="msg_later")
        assert (running.status, queued.status, full.status) == (202, 202, 429)
        assert int(full.headers["Retry-After"]) > 0
        assert client.request("GET", "/healthz").body == {"status": "ok", "queue": 1, "workers": 1}
        gate.set()
        client.wait_for(queued.body["job_id"], "done")
        retried = client.post(msg_id="msg_later")  # the 429 released its claim on the id
        assert retried.status == 202
        client.wait_for(retried.body["job_id"], "done")
    assert [job.request_id for job in recorder.jobs] == ["msg_test1", "msg_test2", "msg_later"]


def test_secret_rotation_accepts_either_live_secret(recorder: Recorder) -> None:
    with serving(recorder, secrets=[SECRET, OLD_SECRET]) as client:
        assert client.post(secrets=[OLD_SECRET]).status == 202
        assert client.post(secrets=[SECRET]).status == 202
        assert client.post(secrets=[OTHER_SECRET, SECRET]).status == 202  # a sender signing with two
        assert client.post(secrets=[OTHER_SECRET]).status == 401


def test_routes_and_methods(client: Client) -> None:
    assert client.request("GET", "/healthz").body == {"status": "ok", "queue": 0, "workers": 2}
    wrong_method = client.request("GET", "/webhooks/ingest")
    assert wrong_method.status == 405 and wrong_method.headers["Allow"] == "POST"
    assert client.request("POST", "/healthz", b"").status == 405
    assert client.request("GET", "/jobs/" + "0" * 32).status == 404
    assert client.request("GET", "/jobs/../healthz").status == 404
    assert client.request("GET", "/").status == 404


def test_handler_failures_become_failed_jobs_and_the_worker_survives() -> None:
    """A handler that crashes fails its job; the serve handler keeps such a job under failed/ itself
    (test_triggers.py)."""
    def handler(job: IngestJob) -> dict[str, Any]:
        if job.source.article_id == "bad":
            raise IngestError(ErrorCode.FETCH_FAILED, "partner answered 500", input="12", stage="fetch")
        if job.source.article_id == "bug":
            raise RuntimeError("a bug")
        return {"ok": True}

    journal = MemoryJournal()
    with serving(handler, workers=1, journal=journal) as client:
        ids = [client.post(f'{{"partner": "zenger", "id": "{name}"}}'.encode()).body["job_id"]
               for name in ("bad", "bug", "fine")]
        bad, bug, fine = (client.wait_for(job_id, "done", "failed", "spooled") for job_id in ids)
    assert bad["status"] == "failed" and bad["error"]["code"] == "fetch_failed"
    assert bug["status"] == "failed" and bug["error"] == {"code": "internal_error", "message": "RuntimeError"}
    assert fine["status"] == "done" and fine["result"] == {"ok": True}
    assert list(journal.jobs) == []


@dataclass
class MemoryJournal:
    """A journal the test can read: what is in it, and every store and remove in order."""

    jobs: dict[str, IngestJob] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    broken: bool = False

    def store(self, job: IngestJob) -> None:
        if self.broken:
            raise OSError("disk full")
        self.jobs[job.job_id] = job
        self.calls.append(("store", job.job_id))

    def remove(self, job_id: str) -> None:
        self.jobs.pop(job_id, None)
        self.calls.append(("remove", job_id))

    def size(self) -> int:
        return len(self.jobs)


def test_shutdown_finishes_the_running_job_and_leaves_the_queued_ones_journaled() -> None:
    gate = threading.Event()
    recorder = Recorder(gate=gate)
    journal = MemoryJournal()
    with serving(recorder, workers=1, journal=journal) as client:
        running = client.post().body["job_id"]
        recorder.wait_started()
        queued = [client.post().body["job_id"] for _ in range(3)]
        assert list(journal.jobs) == [running, *queued], "a 202 before the job was stored"
        stopping = threading.Thread(target=client.app.shutdown)
        stopping.start()
        wait_until(lambda: not client.healthy())
        late = client.post()
        assert late.status == 503 and late.headers["Retry-After"]
        assert client.request("GET", "/healthz").body["status"] == "stopping"
        gate.set()  # only now can the running job end, and shutdown with it
        stopping.join(TIMEOUT)
        assert not stopping.is_alive()
        assert client.wait_for(running, "done")
        assert [client.wait_for(job_id, "spooled")["status"] for job_id in queued] == ["spooled"] * 3
    assert [job.job_id for job in recorder.jobs] == [running]
    assert list(journal.jobs) == queued, "the next start must find exactly the jobs that did not run"
    assert journal.jobs[queued[0]].source == ArticleSource("zenger", "12345")


def test_no_202_when_the_job_cannot_be_journaled() -> None:
    recorder, journal = Recorder(), MemoryJournal(broken=True)
    with serving(recorder, workers=1, journal=journal) as client:
        reply = client.post(msg_id="msg_disk_full")
        assert reply.status == 503 and reply.headers["Retry-After"]
        journal.broken = False
        retried = client.post(msg_id="msg_disk_full")  # the same webhook-id is not taken as a duplicate
        assert retried.status == 202
        client.wait_for(retried.body["job_id"], "done")
    assert len(recorder.jobs) == 1 and journal.jobs == {}


def test_without_a_journal_shutdown_runs_queued_jobs_itself() -> None:
    gate = threading.Event()
    recorder = Recorder(gate=gate)
    with serving(recorder, workers=1) as client:
        client.post()
        recorder.wait_started()
        queued = client.post().body["job_id"]
        stopping = threading.Thread(target=client.app.shutdown)
        stopping.start()
        wait_until(lambda: not client.healthy())
        gate.set()
        stopping.join(TIMEOUT)
        assert client.wait_for(queued, "done")
    assert len(recorder.jobs) == 2


def test_a_job_whose_article_waits_in_the_spool_leaves_the_journal_and_one_s3_refused_stays() -> None:
    def handler(job: IngestJob) -> dict[str, Any]:
        if job.source.article_id == "nobucket":
            raise RetryLater("bucket b: NoSuchBucket")
        return {"status": "spooled", "error": {"code": "publish_failed", "message": "S3 unreachable"}}

    journal = MemoryJournal()
    with serving(handler, workers=1, journal=journal) as client:
        spooled = client.post(b'{"partner": "zenger", "id": "1"}').body["job_id"]
        kept = client.post(b'{"partner": "zenger", "id": "nobucket"}').body["job_id"]
        assert client.wait_for(spooled, "spooled")["error"]["code"] == "publish_failed"
        assert client.wait_for(kept, "spooled")["error"]["code"] == "retry_later"
    assert list(journal.jobs) == [kept], "the spool holds the first job's work; the second must wait for the fix"


def test_metrics_count_outcomes_latency_queue_and_journal() -> None:
    def handler(job: IngestJob) -> dict[str, Any]:
        failed = job.source.article_id == "404"
        item = {"partner": "zenger", "status": "failed" if failed else "created",
                "error": {"code": "fetch_failed"} if failed else None}
        return {"status": "failed" if failed else "done", "items": [item]}

    with serving(handler, workers=1, journal=MemoryJournal()) as client:
        for article_id in ("1", "404", "2"):
            job_id = client.post(f'{{"partner": "zenger", "id": "{article_id}"}}'.encode()).body["job_id"]
            client.wait_for(job_id, "done", "failed")
        reply = client.request("GET", "/metrics")
        connection = http.client.HTTPConnection("127.0.0.1", client.port, timeout=TIMEOUT)
        connection.request("GET", "/metrics")
        text = connection.getresponse().read().decode()
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/plain")
    assert 'ingest_outcomes_total{code="",partner="zenger",status="created"} 2.0' in text
    assert 'ingest_outcomes_total{code="fetch_failed",partner="zenger",status="failed"} 1.0' in text
    assert 'ingest_webhook_jobs_total{status="failed"} 1.0' in text and "ingest_job_duration_seconds_count 3.0" in text
    assert "ingest_queue_depth 0.0" in text and "ingest_journal_jobs 0.0" in text


def test_logs_carry_job_and_webhook_ids(client: Client, logs: io.StringIO) -> None:
    accepted = client.post(msg_id="msg_logged").body["job_id"]
    client.wait_for(accepted, "done")
    client.post(msg_id="msg_forged", secrets=[OTHER_SECRET])
    found = {e["event"]: e for e in events(logs)}
    assert found["webhook_received"]["job_id"] == accepted
    assert found["webhook_received"]["webhook_id"] == "msg_logged"
    done = found["job_done"]
    assert (done["job_id"], done["run_id"], done["webhook_id"], done["trigger"]) == (
        accepted, accepted, "msg_logged", "webhook")
    assert done["status"] == "done" and isinstance(done["duration_ms"], int)
    rejected = found["webhook_rejected"]
    assert (rejected["status"], rejected["reason"], rejected["webhook_id"]) == (401, "no valid signature",
                                                                               "msg_forged")


SERVE_SCRIPT = textwrap.dedent("""
    import json, os, sys, time
    from ingest_plugin import log
    from ingest_plugin.entrypoints.webhook import app as webhook
    from ingest_plugin.config import WebhookConfig

    log.configure("INFO", json=True)
    secret, record, gate = sys.argv[1:]

    def write(entry):
        with open(record, "a") as out:
            print(json.dumps(entry), file=out)

    def handler(job):
        deadline = time.monotonic() + 5
        while not os.path.exists(gate) and time.monotonic() < deadline:
            time.sleep(0.01)
        write({"ran": job.job_id})
        return {}

    class Journal:
        def store(self, job):
            write({"stored": job.job_id})

        def remove(self, job_id):
            write({"removed": job_id})

    webhook.serve(WebhookConfig(secrets=(secret,), workers=1), handler, host="127.0.0.1", port=0, journal=Journal())
""")


def test_serve_drains_on_sigterm(tmp_path: Path) -> None:
    """The production path end to end: `serve` under waitress in its own process, stopped the way systemd does."""
    record, gate = tmp_path / "record.jsonl", tmp_path / "gate"
    process = subprocess.Popen([sys.executable, "-c", SERVE_SCRIPT, SECRET, str(record), str(gate)],
                               stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    try:
        while (line := process.stderr.readline()) and '"webhook_listening"' not in line:
            pass
        client = Client(json.loads(line)["port"])  # a crash before listening gives "" and fails here
        running = client.post().body["job_id"]
        client.wait_for(running, "running")
        queued = [client.post().body["job_id"] for _ in range(2)]
        process.send_signal(signal.SIGTERM)
        for _ in queued:  # one job_spooled event each
            while (line := process.stderr.readline()) and '"job_spooled"' not in line:
                pass
        gate.touch()  # the running job may end only now: both queued jobs must stay journaled, not run
        assert process.wait(TIMEOUT) == 0
    finally:
        process.kill()
        stderr = process.communicate()[1]
    assert [json.loads(line) for line in record.read_text().splitlines()] == [
        {"stored": running}, {"stored": queued[0]}, {"stored": queued[1]}, {"ran": running}, {"removed": running}]
    assert SECRET.removeprefix("whsec_") not in stderr and "v1," not in stderr
    assert '"event": "webhook_shutdown"' in stderr
