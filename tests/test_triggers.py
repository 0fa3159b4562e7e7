"""The three triggers end to end, as an operator runs them: real processes, a loopback HTTP server serving partner
feeds and pages, and the real local S3 (SeaweedFS). Every request stays on 127.0.0.1."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest

from ingest_plugin.entrypoints.webhook.protocol import sign
from ingest_plugin.testing.local_s3 import ACCESS_KEY, REGION, SECRET_KEY
from tests.conftest import JOB_PAYLOAD_NOT_AN_OBJECT
from tests.httpserver import LoopbackHTTPServer, Route
from tests.s3_fault_proxy import Fault, FaultProxy

pytestmark = pytest.mark.s3
FIXTURES = Path(__file__).parent / "fixtures"
FEED = (FIXTURES / "feeds" / "zenger-wordpress.rss").read_bytes()
PAGE = (FIXTURES / "pages" / "zenger-kenya-drought.html").read_bytes()
SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
CORRECTED = PAGE.replace(b"hundreds of thousands of families", b"tens of thousands of families")
UNDATED = (b"<html><body><div><p>" + b"A page of the partner's with no date anywhere, and text enough. " * 4
           + b"</p></div></body></html>")


@pytest.fixture
def partner_site():
    routes = {"/feed/": Route(FEED, content_type="application/rss+xml; charset=UTF-8", etag='"feed-1"'),
              "/story/": Route(PAGE), "/undated/": Route(UNDATED),
              "/": Route(PAGE)}  # "/" serves ?p=ID, as WordPress does
    with LoopbackHTTPServer(routes) as server:
        yield server


@pytest.fixture
def env(seaweedfs, tmp_path):
    bucket = f"t-{uuid.uuid4().hex[:16]}"
    variables = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                 "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": seaweedfs.endpoint_url,
                 "INGEST_S3_BUCKET": bucket, "INGEST_SPOOL_DIR": str(tmp_path / "spool"),
                 "INGEST_WEBHOOK_SECRETS": SECRET, "AWS_CONFIG_FILE": "/dev/null",
                 "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    s3 = boto3.client("s3", endpoint_url=seaweedfs.endpoint_url, region_name=REGION,
                      aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    s3.create_bucket(Bucket=bucket)
    variables["_keys"] = ""  # marker only
    return variables, s3, bucket


@pytest.fixture
def config(tmp_path, partner_site):
    host = f"127.0.0.1:{partner_site.port}"
    by_id = partner_site.url("/?p=") + "{id}"
    path = tmp_path / "ingest.toml"
    path.write_text(f"""
[limits]
min_seconds_between_requests = 0

[fetch]
allow_private_addresses = true   # the partner site of these tests is on loopback

[[partners]]
profile = "zenger"
feeds = ["{partner_site.url('/feed/')}"]
allowed_hosts = ["{host}"]
article_url = "{by_id}"
""")
    return path


def cli(env, *args, timeout=120):
    variables = {k: v for k, v in env[0].items() if not k.startswith("_")}
    return subprocess.run([sys.executable, "-m", "ingest_plugin", *args], env=variables, capture_output=True,
                          timeout=timeout)


def keys(env, prefix=""):
    _, s3, bucket = env
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def items(result):
    return [json.loads(line) for line in result.stdout.decode().splitlines() if '"event": "item"' in line]


def test_run_publishes_every_feed_item_and_a_second_run_nothing(env, config, partner_site):
    first = cli(env, "run", "--config", str(config))
    assert first.returncode == 0, first.stderr.decode()[-2000:]
    assert sorted(i["status"] for i in items(first)) == ["created"] * 3
    articles = keys(env, "articles/")
    assert len([k for k in articles if k.endswith("/v1.json")]) == 3
    second = cli(env, "run", "--config", str(config))
    assert second.returncode == 0
    assert items(second) == []  # the feed answered 304 to the cursor's ETag: nothing to do
    assert keys(env, "articles/") == articles
    assert partner_site.requests[-1].headers.get("if-none-match") == '"feed-1"'
    assert keys(env, "cursors/") == ["cursors/zenger.json"]


def run_record(env, stdout):
    """The stored record of the run whose summary line ``stdout`` ends with."""
    run_id = json.loads(stdout.decode().splitlines()[-1])["run_id"]
    _, s3, bucket = env
    return json.loads(s3.get_object(Bucket=bucket, Key=f"runs/history/{run_id}.json")["Body"].read())


def test_a_feed_that_fails_fails_the_run_and_keeps_last_success(env, config, partner_site):
    import socket
    assert cli(env, "run", "--config", str(config)).returncode == 0
    _, s3, bucket = env
    succeeded = json.loads(s3.get_object(Bucket=bucket, Key="runs/latest/cron.json")["Body"].read())["last_success"]
    with socket.socket() as closed:  # a port nothing listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{closed.getsockname()[1]}/feed/"
    config.write_text(config.read_text().replace(
        f'feeds = ["{partner_site.url("/feed/")}"]',
        f'feeds = ["{partner_site.url("/feed/")}", "{partner_site.url("/missing-feed/")}", "{refused}"]').replace(
        f'allowed_hosts = ["127.0.0.1:{partner_site.port}"]',
        f'allowed_hosts = ["127.0.0.1:{partner_site.port}", "{refused.split("/")[2]}"]'))
    result = cli(env, "run", "--config", str(config))
    assert result.returncode == 1, result.stderr.decode()[-2000:]
    summary = json.loads(result.stdout.decode().splitlines()[-1])
    assert summary["ok"] is False and summary["counts"]["failed"] == 0  # no item failed: the feeds did
    statuses = {feed["url"]: (feed["status"], feed["reason"]) for feed in run_record(env, result.stdout)["feeds"]}
    assert statuses[partner_site.url("/feed/")] == ("not_modified", None)
    assert statuses[partner_site.url("/missing-feed/")][0] == "failed" and "404" in statuses[
        partner_site.url("/missing-feed/")][1]
    assert statuses[refused][0] == "failed" and statuses[refused][1]
    latest = json.loads(s3.get_object(Bucket=bucket, Key="runs/latest/cron.json")["Body"].read())
    assert latest["last_success"] == succeeded and latest["last_attempt"]["ok"] is False


def test_items_left_by_the_cap_are_counted_and_logged(env, config):
    config.write_text(config.read_text().replace("[limits]", "[limits]\nmax_items_per_run = 1"))
    result = cli(env, "--log-level", "WARNING", "run", "--config", str(config))
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert run_record(env, result.stdout)["deferred"] == 2
    logged = [json.loads(line) for line in result.stderr.decode().splitlines() if line.startswith("{")]
    assert any(event["event"] == "items_deferred" and event["deferred"] == 2 for event in logged)


def test_changed_feed_item_is_ingested_again_and_unchanged_ones_are_skipped(env, config, partner_site):
    assert cli(env, "run", "--config", str(config)).returncode == 0
    changed = FEED.replace(b"Spooks Traders</title>", b"Spooks Traders Again</title>", 1)
    partner_site.routes["/feed/"] = Route(changed, content_type="application/rss+xml", etag='"feed-2"')
    again = cli(env, "run", "--config", str(config))
    assert again.returncode == 0
    assert [i["status"] for i in items(again)] == ["updated"]


def test_two_runs_at_once_write_no_duplicate_versions(env, config):
    variables = {k: v for k, v in env[0].items() if not k.startswith("_")}
    runs = [subprocess.Popen([sys.executable, "-m", "ingest_plugin", "run", "--config", str(config)],
                             env=variables, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for run in runs:
        run.communicate(timeout=120)
        assert run.returncode == 0
    versions = [k for k in keys(env, "articles/") if k.rsplit("/", 1)[-1].startswith("v")]
    assert len(versions) == 3 and all(k.endswith("/v1.json") for k in versions)


def test_reingest_failed_republishes_once_the_cause_is_fixed(env, config, partner_site):
    partner_site.routes["/story/"] = Route(b"down for maintenance", status=503)
    url = partner_site.url("/story/")
    broken = cli(env, "reingest", "--config", str(config), "--url", url)
    assert broken.returncode == 1
    assert [i["error"]["code"] for i in items(broken)] == ["fetch_failed"]
    assert any(k.endswith("error.json") for k in keys(env, "failed/"))
    partner_site.routes["/story/"] = Route(PAGE)
    fixed = cli(env, "reingest", "--config", str(config), "--failed")
    assert fixed.returncode == 0, fixed.stdout.decode()
    assert [i["status"] for i in items(fixed)] == ["created"]
    assert keys(env, "failed/") == []
    assert any(k.endswith("/current.json") for k in keys(env, "articles/zenger/"))


@pytest.mark.parametrize("url", ["http://evil.example/story/", "http://169.254.169.254/latest/meta-data/",
                                 "http://localhost:{port}/story/"])
def test_urls_off_the_allow_list_or_private_are_refused(env, config, partner_site, url):
    result = cli(env, "reingest", "--config", str(config), "--url", url.format(port=partner_site.port))
    assert result.returncode == 1
    [item] = items(result)
    assert item["status"] == "failed" and item["error"]["code"] == "fetch_failed"
    assert keys(env, "articles/") == []
    assert all(seen.path != "/latest/meta-data/" for seen in partner_site.requests)


def test_a_kill_stays_until_an_editor_reinstates_the_article(env, config, partner_site):
    assert cli(env, "reingest", "--config", str(config), "--url", partner_site.url("/story/")).returncode == 0
    kill = cli(env, "reingest", "--config", str(config), "--partner", "zenger", "--id", "63809", "--cancel")
    assert kill.returncode == 0, kill.stdout.decode()
    _, s3, bucket = env

    def current():
        return json.loads(s3.get_object(Bucket=bucket, Key="articles/zenger/63809/current.json")["Body"].read())

    assert current()["pubStatus"] == "canceled" and current()["version"] == "2"
    for again in (("--url", partner_site.url("/story/")), ("--url", partner_site.url("/story/"), "--force")):
        resent = cli(env, "reingest", "--config", str(config), *again)  # the partner's story, sent again
        assert resent.returncode == 0 and [i["status"] for i in items(resent)] == ["killed"], resent.stderr.decode()
    assert current()["pubStatus"] == "canceled" and current()["version"] == "2"  # a kill stays a kill
    back = cli(env, "reingest", "--config", str(config), "--partner", "zenger", "--id", "63809", "--reinstate")
    assert back.returncode == 0 and [i["status"] for i in items(back)] == ["reinstated"], back.stderr.decode()
    assert current()["pubStatus"] == "usable" and current()["version"] == "3"


def test_a_reader_that_stops_reading_does_not_stop_the_run(env, config, tmp_path):
    """``ingest … | head -1`` published 2 of 40 articles, wrote no run record and exited 0."""
    pages = []
    for n in range(12):
        pages.append(tmp_path / f"story-{n}.html")
        pages[-1].write_bytes(PAGE.replace(b"63809", f"7100{n}".encode()))
    variables = {k: v for k, v in env[0].items() if not k.startswith("_") and k != "PYTHONUNBUFFERED"}
    for buffered in (True, False):  # as under cron (block-buffered: all written at the end), and line by line
        run = subprocess.Popen([sys.executable, "-m", "ingest_plugin", "ingest", "--config", str(config),
                                "--force", *map(str, pages)], env={**variables, **({} if buffered else {
                                    "PYTHONUNBUFFERED": "1"})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert run.stdout is not None
        if not buffered:
            assert b'"event": "item"' in run.stdout.readline()
        run.stdout.close()  # the reader is gone (after one line, when there is one to read)
        _, stderr = run.communicate(timeout=120)
        assert run.returncode == 0 and b"BrokenPipe" not in stderr, stderr.decode()[-2000:]
    current = [k for k in keys(env, "articles/") if k.endswith("/current.json")]
    assert len(current) == 12 and len([k for k in keys(env, "articles/") if k.endswith("/v2.json")]) == 12
    assert keys(env, "runs/")


def test_a_partners_page_that_fails_is_kept_under_that_partner(env, config, partner_site):
    """It was kept under failed/unknown/ with partner null: failed list --partner zenger did not show it."""
    failed = cli(env, "reingest", "--config", str(config), "--url", partner_site.url("/undated/"))
    assert failed.returncode == 1 and [i["status"] for i in items(failed)] == ["failed"]
    assert [k for k in keys(env, "failed/") if k.endswith("error.json")][0].startswith("failed/zenger/")
    listed = cli(env, "failed", "list", "--config", str(config), "--partner", "zenger")
    assert partner_site.url("/undated/") in listed.stdout.decode(), listed.stderr.decode()


def test_a_kill_by_url_needs_no_page_when_the_url_names_the_article(env, config, partner_site):
    """The partner took the story down (404): the kill by its shortlink failed as fetch_failed, the story stayed."""
    assert cli(env, "reingest", "--config", str(config), "--url", partner_site.url("/story/")).returncode == 0
    kill = cli(env, "reingest", "--config", str(config), "--url", partner_site.url("/taken-down/?p=63809"), "--cancel")
    assert kill.returncode == 0 and [i["status"] for i in items(kill)] == ["canceled"], kill.stdout.decode()
    _, s3, bucket = env
    current = json.loads(s3.get_object(Bucket=bucket, Key="articles/zenger/63809/current.json")["Body"].read())
    assert (current["pubStatus"], current["version"]) == ("canceled", "2")
    assert "/taken-down/?p=63809" not in partner_site.paths()  # nothing fetched


def test_a_kill_and_a_reinstatement_by_file_publish_as_by_id(env, config, tmp_path):
    """``reingest --file PATH --cancel`` ran a plain ingest ("unchanged", exit 0): the story stayed live."""
    page = tmp_path / "story.html"
    page.write_bytes(PAGE)
    _, s3, bucket = env
    assert cli(env, "ingest", "--config", str(config), str(page)).returncode == 0
    for action, status, version in (("--cancel", "canceled", "2"), ("--reinstate", "reinstated", "3")):
        done = cli(env, "reingest", "--config", str(config), "--file", str(page), action)
        assert done.returncode == 0 and [i["status"] for i in items(done)] == [status], done.stderr.decode()
        current = json.loads(s3.get_object(Bucket=bucket, Key="articles/zenger/63809/current.json")["Body"].read())
        assert (current["pubStatus"], current["version"]) == ("canceled" if status == "canceled" else "usable",
                                                              version)


SPOOLED_AT = "2026-01-01T00:00:00.000Z"
# A file in the spool that holds no entry this release can run, and where it is (None: a directory). Each stopped
# every run that flushes the spool (ingest, run, reingest; the webhook's jobs too) with a traceback.
BROKEN_SPOOL = {
    "not-an-object": ("0123abcd.job.json", []),
    "spooled-at-a-number": ("0123abcd.job.json", {"kind": "job", "spooled_at": 17, "payload": {}}),
    "spooled-at-null": ("0123abcd.job.json", {"kind": "job", "spooled_at": None, "payload": {}}),
    "run-record-without-its-fields": ("0123abcd.run.json", {"kind": "run", "spooled_at": SPOOLED_AT,
                                                            "payload": {"ok": True}}),
    "job-payload-not-an-object": ("0123abcd.job.json", {"kind": "job", "spooled_at": SPOOLED_AT,
                                                        "payload": {"job": JOB_PAYLOAD_NOT_AN_OBJECT}}),
    "payload-directory": ("payloads/" + "0" * 64, None),
}


@pytest.mark.parametrize("case", BROKEN_SPOOL)
def test_a_spool_file_that_holds_no_entry_is_reported_and_the_run_goes_on(env, config, tmp_path, case):
    from ingest_plugin.errors import ErrorCode, IngestError
    from ingest_plugin.ingest.jobs import IngestJob, Payload, PayloadSource
    from ingest_plugin.ingest.payloads import SWEEP_GRACE_SECONDS
    from ingest_plugin.ingest.spool import Spool

    spool = Path(env[0]["INGEST_SPOOL_DIR"])
    waiting = Spool(spool).put_job(IngestJob(PayloadSource("story.html", Payload(PAGE))),
                                   IngestError(ErrorCode.PUBLISH_FAILED, "S3 unreachable"))
    name, content = BROKEN_SPOOL[case]
    broken = spool / name
    broken.parent.mkdir(exist_ok=True)
    if content is None:
        broken.mkdir()
        os.utime(broken, (time.time() - 2 * SWEEP_GRACE_SECONDS,) * 2)  # as old as a payload the sweep removes
    else:
        broken.write_text(json.dumps(content))
    page = tmp_path / "story.html"
    page.write_bytes(PAGE)
    result = cli(env, "ingest", "--config", str(config), str(page))
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert [i["status"] for i in items(result)] == ["created", "unchanged"]  # the waiting entry first, then ours
    assert not waiting.exists() and broken.exists()
    event = "spool_payload_not_removed" if content is None else "spool_entry_unreadable"
    reported = [json.loads(line) for line in result.stderr.decode().splitlines() if event in line]
    assert reported and {r["path"] for r in reported} == {str(broken)}


# --- the webhook, as the CMS calls it ---------------------------------------------------------------------------

@pytest.fixture
def serve_log(tmp_path):
    """Where the webhook server's log (JSON lines, INFO and up) goes."""
    return tmp_path / "serve.log"


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def webhook(env, config, serve_log):
    variables = {k: v for k, v in env[0].items() if not k.startswith("_")}
    with open(serve_log, "wb") as log_file:
        server, base = start_serve(config, variables, free_port(), log_file)
    yield base
    server.terminate()
    server.communicate(timeout=30)
    assert server.returncode == 0


def start_serve(config, variables, port, stderr):
    """`serve` in its own process on 127.0.0.1:port, once /healthz answers (bounded wait); its base URL."""
    server = subprocess.Popen([sys.executable, "-m", "ingest_plugin", "--log-level", "INFO", "serve", "--config",
                               str(config), "--port", str(port)], env=variables, stdout=subprocess.PIPE,
                              stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return server, base


def post(base, payload, **signing):
    status, answer, _ = post_answer(base, payload, **signing)
    return status, answer


def post_answer(base, payload, *, secret=SECRET, msg_id=None, timestamp=None, signature=None):
    """A signed webhook call: its status, JSON answer and headers."""
    body = json.dumps(payload).encode()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "content-type": "application/json",
               "webhook-signature": signature or sign(secret, msg_id, timestamp, body)}
    request = urllib.request.Request(base + "/webhooks/ingest", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), error.headers


def wait_for_job(base, job_id, seconds=30):
    for _ in range(seconds * 10):
        with urllib.request.urlopen(f"{base}/jobs/{job_id}", timeout=5) as response:
            job = json.loads(response.read())
        if job["status"] in ("done", "failed", "spooled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def test_signed_webhook_lands_the_document(env, webhook, partner_site, serve_log):
    status, reply = post(webhook, {"partner": "zenger", "id": "63809"}, msg_id="msg_lands")
    assert status == 202
    job = wait_for_job(webhook, reply["job_id"])
    assert job["status"] == "done" and job["result"]["ok"], job
    assert "articles/zenger/63809/current.json" in keys(env, "articles/")
    events = [json.loads(line) for line in serve_log.read_text().splitlines() if line.startswith("{")]
    ingested = next(e for e in events if e["event"] == "ingested")  # logged by the job handler, deep in the job
    assert (ingested["job_id"], ingested["run_id"], ingested["webhook_id"], ingested["trigger"]) == (
        reply["job_id"], reply["job_id"], "msg_lands", "webhook")
    assert (ingested["partner"], ingested["article_id"]) == ("zenger", "63809")
    started = events[0]  # the first line a service writes: where it listens and with what
    assert started["event"] == "webhook_listening" and started["level"] == "info"
    assert (started["signing_keys"], started["workers"], started["journal"], started["dedupe"]) == (
        1, 2, True, "MemoryDedupe")  # how many secrets, never the secrets


def test_a_kill_by_a_url_off_the_partners_hosts_kills_nothing(env, webhook, partner_site):
    """A kill read the article its id rules found in any URL, though no job may name a URL off the partner's hosts."""
    status, reply = post(webhook, {"partner": "zenger", "id": "63809"})
    assert status == 202 and wait_for_job(webhook, reply["job_id"])["status"] == "done"
    status, reply = post(webhook, {"partner": "zenger", "url": "https://not-zenger.example/page?p=63809",
                                   "action": "cancel"})
    assert status == 202
    job = wait_for_job(webhook, reply["job_id"])
    assert job["status"] == "failed" and "allow-list" in job["error"]["message"], job
    _, s3, bucket = env
    current = json.loads(s3.get_object(Bucket=bucket, Key="articles/zenger/63809/current.json")["Body"].read())
    assert (current["pubStatus"], current["version"]) == ("usable", "1")


def test_a_webhook_job_whose_article_failed_says_failed_with_its_code(env, webhook, partner_site):
    partner_site.routes["/"] = Route(b"gone", status=404)  # the partner's ?p=ID answers 404
    status, reply = post(webhook, {"partner": "zenger", "id": "404"})
    assert status == 202
    job = wait_for_job(webhook, reply["job_id"])
    assert job["status"] == "failed" and job["error"]["code"] == "fetch_failed", job
    assert job["result"]["items"][0]["key"].startswith("failed/zenger/")


def test_a_webhook_job_that_s3_refuses_as_set_up_stays_journaled(env, config, tmp_path, partner_site):
    """The bucket went away after serve started (serve checks it at start): the job cannot run at all, so it is
    neither done nor failed but kept for after the fix."""
    variables = {k: v for k, v in env[0].items() if not k.startswith("_")}
    server, base = start_serve(config, variables, free_port(), subprocess.PIPE)
    _, s3, bucket = env
    s3.delete_bucket(Bucket=bucket)
    try:
        status, reply = post(base, {"partner": "zenger", "id": "63809"})
        assert status == 202
        job = wait_for_job(base, reply["job_id"])
        assert job["status"] == "spooled" and job["error"]["code"] == "retry_later", job
        assert "NoSuchBucket" in job["error"]["message"]
    finally:
        server.terminate()
        server.communicate(timeout=30)
    journal = Path(variables["INGEST_SPOOL_DIR"]) / "jobs"
    assert [path.stem for path in journal.glob("*.json")] == [reply["job_id"]], "the job must wait for the fix"


def test_serve_starts_past_a_journaled_job_it_cannot_read_and_leaves_it(env, config, serve_log):
    """A journal file whose job's payload is no JSON object stopped serve at start, restart after restart."""
    variables = {k: v for k, v in env[0].items() if not k.startswith("_")}
    broken = Path(variables["INGEST_SPOOL_DIR"]) / "jobs" / f"{JOB_PAYLOAD_NOT_AN_OBJECT['job_id']}.json"
    broken.parent.mkdir(parents=True)
    broken.write_text(json.dumps(JOB_PAYLOAD_NOT_AN_OBJECT))
    with open(serve_log, "wb") as log_file:
        server, base = start_serve(config, variables, free_port(), log_file)
    try:
        status, reply = post(base, {"partner": "zenger", "id": "63809"})
        assert status == 202 and wait_for_job(base, reply["job_id"])["status"] == "done"
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert server.returncode == 0 and broken.exists(), serve_log.read_text()[-2000:]
    events = [json.loads(line) for line in serve_log.read_text().splitlines()]
    assert [e["path"] for e in events if e["event"] == "journal_entry_unreadable"] == [str(broken)]


def serve_with_s3_dedupe(env, config, serve_log, **variables):
    """`serve` with webhook-ids remembered in the bucket, as several hosts behind one endpoint run it."""
    config.write_text(config.read_text() + '\n[webhook]\ndedupe = "s3"\n')
    with open(serve_log, "wb") as log_file:
        return start_serve(config, {**{k: v for k, v in env[0].items() if not k.startswith("_")}, **variables},
                           free_port(), log_file)


def stop(server, serve_log):
    """Stop `serve` as systemd does; every line it logged must be JSON (a traceback is not)."""
    server.terminate()
    server.communicate(timeout=30)
    assert server.returncode == 0
    return [json.loads(line) for line in serve_log.read_text().splitlines()]


# What a claim object may hold that its code never wrote: cut short, not an object, without its keys, a date.
BROKEN_CLAIMS = [b'{"job_id": "0f3c", "expires_at": 17', b"[]", b"{}",
                 b'{"job_id": "old", "expires_at": "2020-01-01T00:00:00Z"}']


def test_a_webhook_id_whose_claim_in_s3_someone_broke_is_taken_over(env, config, serve_log):
    """Each answered 500 with a traceback, on every retry of the webhook-id, for ever: the article never came."""
    _, s3, bucket = env
    for n, claim in enumerate(BROKEN_CLAIMS):
        s3.put_object(Bucket=bucket, Key=f"webhooks/dedupe/msg_broken_{n}.json", Body=claim)
    server, base = serve_with_s3_dedupe(env, config, serve_log)
    try:
        for n in range(len(BROKEN_CLAIMS)):
            status, first = post(base, {"partner": "zenger", "id": "63809"}, msg_id=f"msg_broken_{n}")
            assert status == 202, first
            assert post(base, {"partner": "zenger", "id": "63809"}, msg_id=f"msg_broken_{n}") == (
                200, {"job_id": first["job_id"], "status": "duplicate"})
            assert wait_for_job(base, first["job_id"])["status"] == "done"
    finally:
        events = stop(server, serve_log)
    taken_over = [e["key"] for e in events if e["event"] == "dedupe_claim_unreadable"]
    assert taken_over == [f"webhooks/dedupe/msg_broken_{n}.json" for n in range(len(BROKEN_CLAIMS))]
    assert "articles/zenger/63809/current.json" in keys(env, "articles/")


def test_s3_trouble_with_a_webhook_claim_is_503_with_retry_after_and_the_retry_runs(env, config, serve_log,
                                                                                    seaweedfs):
    """It was a bare 500 and a traceback in the log."""
    with FaultProxy(seaweedfs.endpoint_url) as proxy:
        server, base = serve_with_s3_dedupe(env, config, serve_log, AWS_ENDPOINT_URL=proxy.endpoint_url,
                                            INGEST_S3_MAX_ATTEMPTS="1")
        try:
            proxy.add(Fault("status", status=503, code="SlowDown", path=r"/webhooks/dedupe/"))
            status, answer, headers = post_answer(base, {"partner": "zenger", "id": "63809"}, msg_id="msg_s3_trouble")
            assert (status, answer) == (503, {"error": "cannot check the webhook-id"})
            assert int(headers["Retry-After"]) > 0
            proxy.clear()
            status, reply = post(base, {"partner": "zenger", "id": "63809"}, msg_id="msg_s3_trouble")
            assert status == 202 and wait_for_job(base, reply["job_id"])["status"] == "done"
        finally:
            events = stop(server, serve_log)
    assert [e["webhook_id"] for e in events if e["event"] == "dedupe_unavailable"] == ["msg_s3_trouble"]


def test_serve_without_its_bucket_stops_at_start_with_exit_2(env, config):
    """It listened, answered 202 and reported healthy, while every job waited for a bucket that did not exist."""
    variables, _, _ = env
    started = subprocess.run([sys.executable, "-m", "ingest_plugin", "serve", "--config", str(config), "--port", "0"],
                             env={**variables, "INGEST_S3_BUCKET": f"missing-{uuid.uuid4().hex[:12]}"},
                             capture_output=True, text=True, timeout=30)
    assert started.returncode == 2 and "NoSuchBucket" in started.stderr, started.stderr[-2000:]
    assert "webhook_listening" not in started.stderr


def test_bad_expired_missing_and_replayed_signatures_write_nothing(env, webhook, partner_site):
    payload = {"partner": "zenger", "id": "63809"}
    wrong = "whsec_" + base64.b64encode(b"w" * 32).decode()
    assert post(webhook, payload, secret=wrong)[0] == 401
    assert post(webhook, payload, timestamp=int(time.time()) - 3600)[0] == 401
    assert post(webhook, payload, signature="v1,AAAA")[0] == 401
    assert keys(env) == [] and partner_site.requests == []
    status, first = post(webhook, payload, msg_id="msg_replay")
    assert status == 202
    wait_for_job(webhook, first["job_id"])
    before = keys(env)
    status, again = post(webhook, payload, msg_id="msg_replay")
    assert status in (200, 202) and again["job_id"] == first["job_id"]
    time.sleep(0.5)
    assert keys(env) == before
    assert len([r for r in partner_site.requests if r.path == "/?p=63809"]) == 1  # one job, one fetch


@pytest.mark.parametrize("url", ["https://169.254.169.254/latest/meta-data/", "http://127.0.0.1:9/",
                                 "https://evil.example/story/"])
def test_webhook_urls_outside_the_allow_list_are_refused(env, webhook, url):
    status, reply = post(webhook, {"partner": "zenger", "url": url})
    if status == 202:  # well-formed: the worker's fetch layer refuses it
        job = wait_for_job(webhook, reply["job_id"])
        assert job["result"]["items"][0]["error"]["code"] == "fetch_failed"
    else:
        assert status == 400  # refused in the request already
    assert keys(env, "articles/") == []


def test_runs_are_bounded_and_a_quiet_partner_raises_an_alert(env, config, aws_env):
    from datetime import datetime, timedelta, timezone

    from structlog.testing import capture_logs

    from ingest_plugin.config import load_config
    from ingest_plugin.entrypoints.cron import run_feeds
    from ingest_plugin.ingest.handler import JobHandler
    from ingest_plugin.publishing import Publisher

    config.write_text(config.read_text().replace("[limits]", "[limits]\nmax_items_per_run = 2"))
    settings = load_config(config, {k: v for k, v in env[0].items() if not k.startswith("_")})
    handler = JobHandler(settings, Publisher(settings.s3()))
    first = run_feeds(settings, handler)
    assert [str(o.status) for o in first.outcomes] == ["created", "created"]
    second = run_feeds(settings, handler)  # the item left over by the bound, and nothing twice
    assert [str(o.status) for o in second.outcomes] == ["created"]
    later = datetime.now(timezone.utc) + timedelta(hours=settings.quiet_partner_hours + 1)
    with capture_logs() as events:  # not capsys: a logger configured onto a captured stream outlives the test
        assert run_feeds(settings, handler, now=later).outcomes == []
    alerts = [event for event in events if event["event"] == "partner_quiet"]
    assert len(alerts) == 1 and alerts[0]["partner"] == "zenger" and alerts[0]["alert"] is True


@pytest.mark.parametrize("stored", [b'{"seen": {"abc": "2026-', b"[]", b"null",
                                    b'{"seen": [], "last_new_item_at": "yesterday"}', b'{"seen": {"abc": null}}'],
                         ids=["truncated", "a-list", "null", "wrong-shape", "a-stamp-of-null"])
def test_a_cursor_that_is_no_cursor_is_replaced_and_the_run_goes_on(env, config, stored):
    """A cursor object someone broke (cut short, or not a JSON object) costs one full re-check of the feed, said in
    the run's log: the writes are idempotent. Every partner's ingest stopped on it before."""
    _, s3, bucket = env
    s3.put_object(Bucket=bucket, Key="cursors/zenger.json", Body=stored)
    first = cli(env, "run", "--config", str(config))
    assert first.returncode == 0, first.stderr.decode()[-2000:]
    assert sorted(i["status"] for i in items(first)) == ["created"] * 3
    run_id = json.loads(first.stdout.decode().splitlines()[-1])["run_id"]
    complaint = [json.loads(line) for line in first.stderr.decode().splitlines() if "cursor_unreadable" in line]
    assert [(c["partner"], c["run_id"]) for c in complaint] == [("zenger", run_id)]
    assert "cursors/zenger.json" in complaint[0]["message"]
    cursor = json.loads(s3.get_object(Bucket=bucket, Key="cursors/zenger.json")["Body"].read())
    assert len(cursor["seen"]) == 3
    again = cli(env, "run", "--config", str(config))
    assert again.returncode == 0 and items(again) == []


def test_a_broken_latest_run_record_is_replaced(env, config):
    _, s3, bucket = env
    s3.put_object(Bucket=bucket, Key="runs/latest/cron.json", Body=b'{"last_success": ')
    result = cli(env, "run", "--config", str(config))
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    latest = json.loads(s3.get_object(Bucket=bucket, Key="runs/latest/cron.json")["Body"].read())
    assert latest["last_success"]["run_id"] == json.loads(result.stdout.decode().splitlines()[-1])["run_id"]
    replaced = [json.loads(line) for line in result.stderr.decode().splitlines() if "stored_object_replaced" in line]
    assert [r["key"] for r in replaced] == ["runs/latest/cron.json"]


def test_a_kill_of_an_article_never_published_is_refused_and_never_kept_to_kill_it_later(env, config, partner_site):
    """A mistyped id: ``reingest --id 777 --cancel`` kept the kill under failed/, and the next routine
    ``reingest --failed`` killed article 63809 once the partner had published it. Nor is a kill by a URL naming an
    article never published (by the partner's id in it) whose page is gone kept."""
    config.write_text(config.read_text().replace(partner_site.url("/?p=") + "{id}",
                                                 partner_site.url("/story/?p=") + "{id}"))
    for target in (("--partner", "zenger", "--id", "63809"), ("--url", partner_site.url("/gone/?p=63809"))):
        kill = cli(env, "reingest", "--config", str(config), *target, "--cancel")
        assert kill.returncode == 1, kill.stderr.decode()[-2000:]
        [item] = items(kill)
        assert item["status"] == "failed" and "nothing to cancel" in item["error"]["message"], item
        assert item["key"] is None and keys(env, "failed/") == [] and keys(env, "articles/") == []
    assert cli(env, "reingest", "--config", str(config), "--partner", "zenger", "--id", "63809").returncode == 0
    replay = cli(env, "reingest", "--config", str(config), "--failed")
    assert replay.returncode == 0 and items(replay) == [], replay.stdout.decode()
    _, s3, bucket = env
    current = json.loads(s3.get_object(Bucket=bucket, Key="articles/zenger/63809/current.json")["Body"].read())
    assert (current["pubStatus"], current["version"]) == ("usable", "1")


def test_a_failure_of_an_article_the_job_names_is_kept_under_that_article(env, config, partner_site):
    """A failed ``reingest --id 555`` went to failed/zenger/<hash>: ``failed show zenger/555`` found nothing, and
    the same page failing with other bytes made a second entry, each replayed (and failing) on every
    ``reingest --failed`` after the article was published."""
    config.write_text(config.read_text().replace(partner_site.url("/?p=") + "{id}",
                                                 partner_site.url("/undated/?p=") + "{id}"))
    for attempt, page in enumerate((UNDATED, UNDATED.replace(b"no date", b"no date at all")), start=1):
        partner_site.routes["/undated/"] = Route(page)
        failed = cli(env, "reingest", "--config", str(config), "--partner", "zenger", "--id", "555")
        assert failed.returncode == 1 and [i["key"] for i in items(failed)] == ["failed/zenger/555/error.json"]
        shown = cli(env, "failed", "show", "--config", str(config), "zenger/555")
        assert shown.returncode == 0 and json.loads(shown.stdout)["attempts"] == attempt, shown.stderr.decode()
    assert [k for k in keys(env, "failed/") if k.endswith("error.json")] == ["failed/zenger/555/error.json"]
    # a partner without an article URL template: the id names the article all the same
    config.write_text("\n".join(line for line in config.read_text().splitlines()
                                if not line.startswith("article_url")))
    failed = cli(env, "reingest", "--config", str(config), "--partner", "zenger", "--id", "556")
    assert [i["key"] for i in items(failed)] == ["failed/zenger/556/error.json"], failed.stderr.decode()[-2000:]


def test_a_replay_older_than_the_article_published_since_is_not_written_over_it(env, config, partner_site, tmp_path):
    """The partner's old text failed (too large for the limit then configured), its correction was published since,
    and ``reingest --failed`` published the old text as version 2 over the correction."""
    old, corrected = tmp_path / "old.html", tmp_path / "corrected.html"
    old.write_bytes(PAGE)
    corrected.write_bytes(CORRECTED)
    tight = tmp_path / "tight.toml"
    tight.write_text(config.read_text().replace("[limits]", "[limits]\nmax_input_bytes = 1024"))
    failed = cli(env, "ingest", "--config", str(tight), str(old))
    assert failed.returncode == 1 and [i["error"]["code"] for i in items(failed)] == ["too_large"]
    assert [i["status"] for i in items(cli(env, "ingest", "--config", str(config), str(corrected)))] == ["created"]
    replay = cli(env, "reingest", "--config", str(config), "--failed")
    assert replay.returncode == 0, replay.stderr.decode()[-2000:]
    assert [(i["status"], i["version"]) for i in items(replay)] == [("superseded", 1)]
    assert keys(env, "failed/") == []  # the entry is done with: its article moved on
    assert [k for k in keys(env, "articles/") if k.endswith(".json")] == [
        "articles/zenger/63809/current.json", "articles/zenger/63809/v1.json"]


def test_a_replay_that_fetches_the_page_again_publishes_what_it_fetched(env, config, partner_site, tmp_path):
    """Review: a kept ``reingest --id`` that met a 503 (no payload) fetches the page when replayed; with older text
    published meanwhile, the fresh correction it fetched was taken for older text ("superseded") and dropped."""
    config.write_text(config.read_text().replace(partner_site.url("/?p=") + "{id}",
                                                 partner_site.url("/story/?p=") + "{id}"))
    partner_site.routes["/story/"] = Route(b"busy", status=503)
    assert cli(env, "reingest", "--config", str(config), "--partner", "zenger", "--id", "63809").returncode == 1
    old = tmp_path / "old.html"
    old.write_bytes(PAGE)
    assert [i["status"] for i in items(cli(env, "ingest", "--config", str(config), str(old)))] == ["created"]
    partner_site.routes["/story/"] = Route(CORRECTED)
    replay = cli(env, "reingest", "--config", str(config), "--failed")
    assert [(i["status"], i["version"]) for i in items(replay)] == [("updated", 2)], replay.stderr.decode()[-2000:]
    _, s3, bucket = env
    current = s3.get_object(Bucket=bucket, Key="articles/zenger/63809/current.json")["Body"].read()
    assert b"tens of thousands" in current and keys(env, "failed/") == []


def test_a_kill_by_a_url_without_the_id_of_a_published_article_whose_page_is_gone_is_kept(env, config, partner_site,
                                                                                          tmp_path):
    """Review: the URL of a slug cannot find the article published under its id; with the page gone (410, a
    withdrawn story) the kill was refused as "nothing to cancel" and lost. It is kept, to be replayed."""
    page = tmp_path / "story.html"
    page.write_bytes(PAGE)
    assert [i["status"] for i in items(cli(env, "ingest", "--config", str(config), str(page)))] == ["created"]
    partner_site.routes["/2023/03/09/kenyan-herders/"] = Route(b"gone", status=410)
    kill = cli(env, "reingest", "--config", str(config), "--url", partner_site.url("/2023/03/09/kenyan-herders/"),
               "--cancel")
    assert kill.returncode == 1 and [i["error"]["code"] for i in items(kill)] == ["fetch_failed"]
    assert [k for k in keys(env, "failed/") if k.endswith("error.json")], kill.stdout.decode()
