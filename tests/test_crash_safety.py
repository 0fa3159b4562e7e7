"""Crash safety, end to end: real processes killed at random (seeded) points while they publish to the real local S3
(SeaweedFS), then started again.

* ``ingest-plugin run`` (cron) is SIGKILLed mid-publish several times, then runs to completion. Every feed item
  must end published exactly once per version (versions contiguous, no two consecutive versions with the same
  content: a crash never mints a v2) or under ``failed/``; nothing is missing; the cursor holds every item; and a
  third run publishes nothing.
* ``ingest-plugin serve`` (webhook) is stopped with SIGTERM or SIGKILL while jobs are queued and running, then
  restarted. Every job answered ``202`` must have completed, or have been spooled and replayed on restart: no
  ``202`` for work that is lost.

Everything stays on 127.0.0.1. A run takes well under a minute; ``CRASH_SEED`` changes the kill points.
"""
from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest

from ingest_plugin import parse_items
from ingest_plugin.entrypoints.webhook.protocol import sign
from ingest_plugin.publishing.content import content_hash
from ingest_plugin.publishing.s3io import UNREACHABLE_RECHECK_SECONDS
from ingest_plugin.testing.local_s3 import ACCESS_KEY, REGION, SECRET_KEY
from tests.hostile.contexts import LEAD, TAIL, wordpress_feed
from tests.httpserver import LoopbackHTTPServer, Route, wait_healthy
from tests.pagebuilder import zenger_page
from tests.s3_fault_proxy import Fault, FaultProxy

pytestmark = pytest.mark.s3
SEED = int(os.environ.get("CRASH_SEED", "20260601"))
SECRET = "whsec_" + base64.b64encode(b"crash-safety secret, 32 bytes!!!").decode()
ITEMS = 36  # good feed items; plus two that can only fail
BAD_IDS = (7_100_901, 7_100_902)


# --- a partner site, a bucket, a configuration -------------------------------------------------------------------

def feed_bytes(revision: int = 0, changed: tuple[int, ...] = ()) -> bytes:
    items = []
    for n in range(ITEMS):
        note = f" Revised {revision}." if n in changed else ""
        items.append((7_100_000 + n, f"Harbor Story Number {n}",
                      LEAD + f"<p>Harbor officials gave figure {n} for the month.{note}</p>" + TAIL))
    items += [(bad, "Empty Story", "<p> </p>") for bad in BAD_IDS]  # no body: not_an_article, kept in failed/
    return wordpress_feed(items)


@pytest.fixture
def site():
    with LoopbackHTTPServer({"/feed/": Route(feed_bytes(), content_type="application/rss+xml")}) as server:
        yield server  # no ETag: every run fetches the feed and relies on the cursor alone


@pytest.fixture
def bucket(seaweedfs, tmp_path):
    name = f"t-{uuid.uuid4().hex[:16]}"
    s3 = boto3.client("s3", endpoint_url=seaweedfs.endpoint_url, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                      aws_secret_access_key=SECRET_KEY)
    s3.create_bucket(Bucket=name)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
           "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": seaweedfs.endpoint_url, "INGEST_S3_BUCKET": name,
           "INGEST_SPOOL_DIR": str(tmp_path / "spool"), "INGEST_WEBHOOK_SECRETS": SECRET,
           "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    return s3, name, env


def write_config(path: Path, site: LoopbackHTTPServer, **webhook: int) -> Path:
    table = "".join(f"{key} = {value}\n" for key, value in webhook.items())
    path.write_text(f"""
[limits]
min_seconds_between_requests = 0
max_items_per_run = 1000

[fetch]
allow_private_addresses = true

[webhook]
{table}
[[partners]]
profile = "zenger"
feeds = ["{site.url('/feed/')}"]
allowed_hosts = ["127.0.0.1:{site.port}"]
article_url = "{site.url('/story/')}{{id}}/"
""")
    return path


def keys(s3, bucket: str, prefix: str = "") -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def get_json(s3, bucket: str, key: str) -> dict:
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


class Process:
    """A CLI subprocess whose stderr log events are counted as they arrive (to kill it at a chosen point)."""

    def __init__(self, args: list[str], env: dict[str, str], log_level: str = "INFO") -> None:
        self.events: list[dict] = []
        self.stdout = b""
        self.stderr_lines: list[str] = []
        self.changed = threading.Condition()
        self.popen = subprocess.Popen([sys.executable, "-m", "ingest_plugin", "--log-level", log_level, *args],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._readers = [threading.Thread(target=self._read_stderr, daemon=True),
                         threading.Thread(target=self._read_stdout, daemon=True)]
        for reader in self._readers:
            reader.start()

    def _read_stderr(self) -> None:
        for raw in self.popen.stderr:
            line = raw.decode("utf-8", "replace")
            with self.changed:
                self.stderr_lines.append(line)
                try:
                    self.events.append(json.loads(line))
                except ValueError:
                    pass
                self.changed.notify_all()

    def _read_stdout(self) -> None:
        self.stdout = self.popen.stdout.read()

    def wait_for(self, predicate: Callable[[list[dict]], bool], timeout: float = 60) -> bool:
        """Block until ``predicate(events)`` holds (True) or the process ended first (False)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate(self.events):
                if self.popen.poll() is not None and not self._readers[0].is_alive():
                    return False
                assert time.monotonic() < deadline, "the process neither got there nor ended"
                self.changed.wait(0.05)
        return True

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)

    def finish(self, timeout: float = 120) -> int:
        code = self.popen.wait(timeout)
        for reader in self._readers:
            reader.join(10)
        assert not any("Traceback" in line for line in self.stderr_lines), "".join(self.stderr_lines)[-3000:]
        return code

    def items(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if b'"event": "item"' in line]


def _handled(events: list[dict]) -> int:
    return sum(e.get("event") in ("ingested", "failed", "spooled") for e in events)


# --- cron ---------------------------------------------------------------------------------------------------------

def test_cron_run_killed_mid_publish_loses_and_duplicates_nothing(bucket, site, tmp_path) -> None:
    s3, name, env = bucket
    config = write_config(tmp_path / "ingest.toml", site)
    rng = random.Random(SEED)
    run = ["run", "--config", str(config)]
    kills = 0
    for round_number in range(5):
        if round_number == 2:  # the partner edits three stories between crashes: each must become one new version
            site.routes["/feed/"] = Route(feed_bytes(1, changed=(0, 5, 17)), content_type="application/rss+xml")
        process = Process(run, env)
        if round_number == 3:  # everything published, run record and cursor not yet written
            reached = process.wait_for(lambda events: any(e.get("event") == "run_finished" for e in events))
        else:
            target = rng.randint(1, ITEMS // 3)
            reached = process.wait_for(lambda events, target=target: _handled(events) >= target)
            time.sleep(rng.uniform(0, 0.05))  # somewhere inside the next article's writes
        if reached:
            process.kill()
            kills += 1
        process.finish()
    assert kills >= 3

    final = Process(run, env)
    assert final.finish() in (0, 1)  # 1 while the two bad items are recorded under failed/
    again = Process(run, env)
    assert again.finish() == 0
    assert again.items() == []  # the cursor holds every item: a third run publishes nothing

    expected = {r.article_key: r for r in parse_items(feed_bytes(1, changed=(0, 5, 17)), input_name="feed")}
    articles = keys(s3, name, "articles/zenger/")
    for key, result in expected.items():
        folder = f"articles/zenger/{key}/"
        stored = [k for k in articles if k.startswith(folder)]
        if not result.ok:
            assert stored == [], f"a failing item was published: {stored}"
            record = get_json(s3, name, f"failed/zenger/{key}/error.json")
            assert record["code"] == "not_an_article" and record["attempts"] >= 1
            continue
        versions = sorted(int(k[len(folder) + 1:-5]) for k in stored if k[len(folder):].startswith("v"))
        assert versions == list(range(1, len(versions) + 1)) and versions, (key, stored)
        assert folder + "current.json" in stored, key
        hashes = [content_hash(get_json(s3, name, f"{folder}v{n}.json")) for n in versions]
        repeats = [n for n, (a, b) in enumerate(zip(hashes, hashes[1:], strict=False), start=2) if a == b]
        assert repeats == [], f"{key}: version(s) {repeats} repeat their predecessor"
        current = get_json(s3, name, folder + "current.json")
        assert current["version"] == str(versions[-1]) and content_hash(current) == hashes[-1]
        assert hashes[-1] == content_hash(result.document), f"{key}: the newest version is not the feed's content"
        assert len(versions) <= 2, f"{key}: {len(versions)} versions for at most two contents"
    unexpected = {k.split("/")[2] for k in articles} - set(expected)
    assert unexpected == set()

    cursor = get_json(s3, name, "cursors/zenger.json")
    fingerprints = {hashlib.sha256(r.raw).hexdigest()[:32] for r in expected.values()}
    assert fingerprints <= set(cursor["seen"])
    assert not list((tmp_path / "spool").glob("*.json")), "work left in the spool"
    assert get_json(s3, name, "runs/latest.json")["last_success"]


# --- webhook ------------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(config: Path, env: dict[str, str], port: int, log_level: str = "INFO") -> Process:
    process = Process(["serve", "--config", str(config), "--port", str(port)], env, log_level)
    try:
        wait_healthy(port, lambda: process.popen.poll() is None)
    except RuntimeError as exc:
        raise AssertionError("".join(process.stderr_lines)[-2000:]) from exc
    return process


def post_job(port: int, article_id: int, secret: str = SECRET) -> tuple[int | None, dict]:
    body = json.dumps({"partner": "zenger", "id": str(article_id)}).encode()
    msg_id, timestamp = f"msg_{uuid.uuid4().hex}", int(time.time())
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "content-type": "application/json",
               "webhook-signature": sign(secret, msg_id, timestamp, body)}
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("POST", "/webhooks/ingest", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    except OSError:  # refused or reset: never acknowledged, the sender retries
        return None, {}


def job_status(port: int, job_id: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", f"/jobs/{job_id}")
    return json.loads(connection.getresponse().read()).get("status", "?")


def story_routes(site: LoopbackHTTPServer, ids: range, delay: float) -> None:
    for article_id in ids:
        page = zenger_page(LEAD + f"<p>Story {article_id} has its own paragraph of facts.</p>" + TAIL,
                           post_id=article_id, url=f"https://www.zenger.news/2024/03/12/story-{article_id}/")
        site.routes[f"/story/{article_id}/"] = Route(page.encode(), delay=delay)


def published(s3, bucket: str, ids: range) -> dict[int, list[str]]:
    return {i: [k.rsplit("/", 1)[1] for k in keys(s3, bucket, f"articles/zenger/{i}/")] for i in ids}


def _acknowledged_jobs_survive(sig: int, bucket, site, tmp_path, first_id: int) -> None:
    s3, name, env = bucket
    ids = range(first_id, first_id + 6)
    story_routes(site, ids, delay=0.4)  # slow partner: one job runs, the others wait in the queue
    config = write_config(tmp_path / "ingest.toml", site, workers=1, queue_size=50)
    port = free_port()
    server = serve(config, env, port)
    answers = {i: post_job(port, i) for i in ids}
    assert all(status == 202 for status, _ in answers.values()), answers
    first_job = answers[ids[0]][1]["job_id"]
    deadline = time.monotonic() + 30
    while job_status(port, first_job) not in ("done", "failed", "spooled"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    server.kill(sig)
    late_status, _ = post_job(port, ids[-1] + 1)  # after the signal: must not be acknowledged and then lost
    acknowledged = [i for i, (status, _) in answers.items() if status == 202]
    if late_status == 202:
        acknowledged.append(ids[-1] + 1)
        story_routes(site, range(ids[-1] + 1, ids[-1] + 2), delay=0)
    server.finish()

    restarted = serve(config, env, port)  # replays what the previous server spooled before it listens
    deadline = time.monotonic() + 8  # room for a design that replays after it listens
    while any(not files for files in published(s3, name, acknowledged).values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    restarted.kill(signal.SIGTERM)
    assert restarted.finish() == 0
    state = published(s3, name, acknowledged)
    assert {i: files for i, files in state.items() if files != ["current.json", "v1.json"]} == {}, \
        "a 202-acknowledged job was lost or published twice"
    assert not list((tmp_path / "spool" / "jobs").glob("*.json")), "spooled jobs were not replayed"


def test_webhook_sigterm_spools_queued_jobs_and_replays_them_on_restart(bucket, site, tmp_path) -> None:
    _acknowledged_jobs_survive(signal.SIGTERM, bucket, site, tmp_path, 7_200_000)


def test_webhook_sigkill_loses_no_acknowledged_job(bucket, site, tmp_path) -> None:
    _acknowledged_jobs_survive(signal.SIGKILL, bucket, site, tmp_path, 7_300_000)


# --- S3 going away and coming back --------------------------------------------------------------------------------

class OutageProxy(FaultProxy):
    """The fault proxy that can also take S3 away entirely: it stops listening (new connections are refused, so
    boto3 sees the endpoint as unreachable) and drops connections already open, then comes back on the same port."""

    def __init__(self, upstream: str, *, seed: int = 0) -> None:
        super().__init__(upstream, seed=seed)
        self.outage = False
        self._port = 0
        self._handler: type | None = None

    def _choose(self, method: str, path: str):  # type: ignore[override]
        if self.outage:
            return Fault("drop_before")
        return super()._choose(method, path)

    def start(self) -> OutageProxy:
        super().start()
        self._port = self._server.server_address[1]  # type: ignore[union-attr]
        self._handler = self._server.RequestHandlerClass  # type: ignore[union-attr]
        return self

    def begin_outage(self) -> None:
        self.outage = True
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def end_outage(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", self._port), self._handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, name="s3-fault-proxy", daemon=True).start()
        self.outage = False


def _job_outcome(port: int, article_id: int) -> str:
    status, reply = post_job(port, article_id)
    assert status == 202
    deadline = time.monotonic() + 30
    while (state := job_status(port, reply["job_id"])) not in ("done", "failed", "spooled"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", f"/jobs/{reply['job_id']}")
    job = json.loads(connection.getresponse().read())
    return job["result"]["items"][0]["status"] if job.get("result") else state


def test_webhook_publishes_again_after_an_s3_outage(bucket, site, tmp_path, seaweedfs) -> None:
    s3, name, env = bucket
    story_routes(site, range(7_600_000, 7_600_003), delay=0)
    config = write_config(tmp_path / "ingest.toml", site)
    with OutageProxy(seaweedfs.endpoint_url) as proxy:
        port = free_port()
        server = serve(config, {**env, "AWS_ENDPOINT_URL": proxy.endpoint_url, "INGEST_S3_CONNECT_TIMEOUT": "1"}, port)
        try:
            assert _job_outcome(port, 7_600_000) == "created"
            proxy.begin_outage()
            assert _job_outcome(port, 7_600_001) == "spooled"  # S3 unreachable: kept on local disk, not lost
            proxy.end_outage()
            time.sleep(UNREACHABLE_RECHECK_SECONDS)  # S3 is skipped that long after nothing answered
            assert _job_outcome(port, 7_600_002) == "created", "S3 is back, but the webhook still spools"
            assert len([k for k in keys(s3, name, "articles/") if k.endswith("/v1.json")]) == 3, \
                "the job spooled in the outage was not replayed"
        finally:
            server.kill(signal.SIGTERM)
            server.finish()


def test_reingest_failed_survives_s3_errors_while_reading_failed(bucket, site, tmp_path, seaweedfs) -> None:
    s3, name, env = bucket
    site.routes["/down/"] = Route(b"maintenance", status=503)
    config = write_config(tmp_path / "ingest.toml", site)
    for path in ("/down/", "/down/?again"):  # two failed entries, each with its raw payload in failed/
        Process(["reingest", "--config", str(config), "--url", site.url(path)], env).finish()
    assert len([k for k in keys(s3, name, "failed/") if k.endswith("error.json")]) == 2
    with FaultProxy(seaweedfs.endpoint_url) as proxy:
        proxy.add(Fault("status", status=500, code="InternalError", methods=("GET",), path=r"/raw$"))
        replay = Process(["reingest", "--config", str(config), "--failed"], {**env,
                         "AWS_ENDPOINT_URL": proxy.endpoint_url, "INGEST_S3_MAX_ATTEMPTS": "2"})
        replay.popen.wait(120)
        replay.finish()  # fails the test if the process printed a traceback
    assert len(replay.items()) == 2 and all(i["status"] == "failed" for i in replay.items())
    assert replay.popen.returncode == 1
    for key in (k for k in keys(s3, name, "failed/") if k.endswith("error.json")):
        record = get_json(s3, name, key)  # the failed attempt kept what the entry knew: it can still be replayed
        assert record["attempts"] == 2 and record["source_url"].startswith(site.url("/down/"))


def test_reingest_failed_ends_cleanly_when_failed_cannot_be_listed(bucket, site, tmp_path, seaweedfs) -> None:
    s3, name, env = bucket
    site.routes["/down/"] = Route(b"maintenance", status=503)
    config = write_config(tmp_path / "ingest.toml", site)
    Process(["reingest", "--config", str(config), "--url", site.url("/down/")], env).finish()
    before = {k: get_json(s3, name, k) for k in keys(s3, name, "failed/") if k.endswith("error.json")}
    with FaultProxy(seaweedfs.endpoint_url) as proxy:
        proxy.add(Fault("status", status=503, code="SlowDown", methods=("GET",), path=r"/error\.json$"))
        replay = Process(["reingest", "--config", str(config), "--failed"], {**env,
                         "AWS_ENDPOINT_URL": proxy.endpoint_url, "INGEST_S3_MAX_ATTEMPTS": "2"})
        replay.popen.wait(120)
        replay.finish()  # no traceback
    assert replay.popen.returncode == 1
    assert any('"code": "publish_failed"' in line and "error.json" in line for line in replay.stderr_lines)
    after = {k: get_json(s3, name, k) for k in keys(s3, name, "failed/") if k.endswith("error.json")}
    assert after == before, "a replay that could not read failed/ changed it"


def test_replaying_a_failed_feed_item_keeps_one_record(bucket, site, tmp_path) -> None:
    s3, name, env = bucket
    items = [(7_700_000, "Good Story", LEAD + TAIL)]
    feed = wordpress_feed(items).replace(b"</channel>", b"<item><title>Empty Story</title><description>"
                                                        b"</description></item></channel>")  # not_an_article
    site.routes["/feed/"] = Route(feed, content_type="application/rss+xml")
    config = write_config(tmp_path / "ingest.toml", site)
    Process(["run", "--config", str(config)], env).finish()
    before = [k for k in keys(s3, name, "failed/") if k.endswith("error.json")]
    assert len(before) == 1
    replay = Process(["reingest", "--config", str(config), "--failed"], env)
    replay.finish()
    after = [k for k in keys(s3, name, "failed/") if k.endswith("error.json")]
    assert after == before, "the replay filed the item under a second record"
    record = get_json(s3, name, before[0])
    assert record["attempts"] == 2 and not record["input"].endswith("#1#1")
