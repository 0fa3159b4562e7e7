"""Secrets never leave the process: not in logs, error records, run records, cursors or spool files.

Real processes run with a webhook secret and an AWS secret key in the environment *and* the configuration file, at
``--log-level DEBUG``, through every failure path that writes text somewhere: S3 errors (injected 500s and dropped
connections, a wrong secret key answered with SignatureDoesNotMatch, S3 unreachable), fetch errors, failed
articles, spooled items and run records, rejected webhooks (wrong secret, expired, modified body, a sender that
puts the secret itself in the signature header) and jobs spooled by a graceful shutdown. Then every byte they
wrote (stdout, stderr, every S3 object, every spool file) is searched for each secret in every form it exists in.
"""
from __future__ import annotations

import base64
import http.client
import json
import os
import secrets as random_secrets
import signal
import time
from pathlib import Path

import boto3
import pytest

from ingest_plugin.entrypoints.webhook.protocol import sign
from ingest_plugin.testing.local_s3 import REGION
from tests.hostile.contexts import LEAD, TAIL, wordpress_feed
from tests.httpserver import LoopbackHTTPServer, Route
from tests.s3_fault_proxy import Fault, FaultProxy
from tests.test_crash_safety import Process, free_port, serve, story_routes

pytestmark = pytest.mark.s3
AWS_SECRET = "AwsCanary" + random_secrets.token_urlsafe(24)
WEBHOOK_KEY = random_secrets.token_bytes(32)
WEBHOOK_SECRET = "whsec_" + base64.b64encode(WEBHOOK_KEY).decode()  # in the environment
FILE_KEY = random_secrets.token_bytes(32)
FILE_SECRET = "whsec_" + base64.b64encode(FILE_KEY).decode()  # in the configuration file


def forms() -> dict[str, str]:
    """Every form a secret could leak in: whole, its base64 body, a 12-character piece of it, the key in hex."""
    found = {"aws secret": AWS_SECRET, "aws secret piece": AWS_SECRET[9:21]}
    for label, secret, key in (("webhook secret", WEBHOOK_SECRET, WEBHOOK_KEY),
                               ("config-file secret", FILE_SECRET, FILE_KEY)):
        body = secret.removeprefix("whsec_")
        found.update({label: secret, f"{label} base64": body, f"{label} piece": body[8:20],
                      f"{label} hex": key.hex(), f"{label} key repr": repr(key)[2:14]})
    return found


def assert_no_secret(where: str, text: str | bytes) -> None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    leaked = [label for label, value in forms().items() if value in text]
    assert leaked == [], f"{where} holds {leaked}"


def everything_in(s3, bucket: str) -> dict[str, bytes]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
            for page in pages for o in page.get("Contents", [])}


def assert_clean(processes: list[Process], spool: Path, objects: dict[str, bytes] | None = None) -> None:
    for number, process in enumerate(processes):
        assert_no_secret(f"stdout of process {number}", process.stdout)
        assert_no_secret(f"stderr of process {number}", "".join(process.stderr_lines))
        assert "v1," not in "".join(process.stderr_lines), "a webhook signature was logged"
    for path in spool.rglob("*") if spool.exists() else []:
        if path.is_file():
            assert_no_secret(f"spool file {path.relative_to(spool)}", path.read_bytes())
    for key, body in (objects or {}).items():
        assert_no_secret(f"S3 object {key}", body)


@pytest.fixture
def site():
    feed = wordpress_feed([(7_400_000 + n, f"Secret Story {n}", LEAD + f"<p>Fact {n}.</p>" + TAIL) for n in range(8)]
                          + [(7_400_900, "Empty", "<p> </p>")])
    routes = {"/feed/": Route(feed, content_type="application/rss+xml"),
              "/broken-feed/": Route(b"maintenance", status=503),
              "/down/": Route(b"maintenance", status=503)}
    with LoopbackHTTPServer(routes) as server:
        yield server


def config_file(path: Path, site: LoopbackHTTPServer, **webhook: int) -> Path:
    extra = "".join(f"{key} = {value}\n" for key, value in webhook.items())
    path.write_text(f"""
[limits]
min_seconds_between_requests = 0

[fetch]
allow_private_addresses = true

[webhook]
secrets = ["{FILE_SECRET}"]
{extra}
[[partners]]
profile = "zenger"
feeds = ["{site.url('/feed/')}", "{site.url('/broken-feed/')}"]
allowed_hosts = ["127.0.0.1:{site.port}"]
article_url = "{site.url('/story/')}{{id}}/"
""")
    return path


def environment(endpoint: str, bucket: str, spool: Path) -> dict[str, str]:
    return {**os.environ, "AWS_ACCESS_KEY_ID": "AKIDCANARYTEST", "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
            "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": endpoint, "INGEST_S3_BUCKET": bucket,
            "INGEST_SPOOL_DIR": str(spool), "INGEST_WEBHOOK_SECRETS": WEBHOOK_SECRET, "INGEST_S3_MAX_ATTEMPTS": "2",
            "INGEST_S3_CONNECT_TIMEOUT": "1", "INGEST_S3_READ_TIMEOUT": "2", "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}


def run_cli(env: dict[str, str], *args: str) -> Process:
    process = Process(list(args), env, log_level="DEBUG")
    process.finish()
    return process


@pytest.fixture
def moto_bucket(moto_s3):
    """A bucket on moto, which accepts any key: the canary secret is the working credential here."""
    name = f"secrets-{random_secrets.token_hex(6)}"
    s3 = boto3.client("s3", endpoint_url=moto_s3.endpoint_url, region_name=REGION,
                      aws_access_key_id="AKIDCANARYTEST", aws_secret_access_key=AWS_SECRET)
    s3.create_bucket(Bucket=name)
    return s3, name, moto_s3.endpoint_url


def test_cron_reingest_and_check_config_failures_leak_no_secret(moto_bucket, site, tmp_path) -> None:
    s3, bucket, endpoint = moto_bucket
    spool = tmp_path / "spool"
    config = config_file(tmp_path / "ingest.toml", site)
    with FaultProxy(endpoint, seed=7) as proxy:
        proxy.add(Fault("status", status=500, code="InternalError", methods=("PUT",), probability=0.35),
                  Fault("drop_before", methods=("GET",), probability=0.1),
                  Fault("drop_after", methods=("PUT",), probability=0.1))
        env = environment(proxy.endpoint_url, bucket, spool)
        processes = [run_cli(env, "run", "--config", str(config)),
                     run_cli(env, "reingest", "--config", str(config), "--url", site.url("/down/")),
                     run_cli(env, "reingest", "--config", str(config), "--failed"),
                     run_cli(env, "check-config", "--config", str(config))]
        assert proxy.stats["status:500"] and proxy.stats["forwarded"]
    unreachable = environment(f"http://127.0.0.1:{free_port()}", bucket, spool)  # nothing listens: all spooled
    processes.append(run_cli(unreachable, "run", "--config", str(config)))
    processes.append(run_cli(unreachable, "check-config", "--config", str(config)))
    objects = everything_in(s3, bucket)
    assert any(k.startswith("failed/") and k.endswith("error.json") for k in objects), sorted(objects)
    assert any(k.startswith("runs/") for k in objects)
    assert "cursors/zenger.json" in objects or any("cursor_not_saved" in line for line in processes[0].stderr_lines)
    assert list(spool.glob("*.job.json")) and list(spool.glob("*.run.json")), "the outage spooled nothing"
    assert_clean(processes, spool, objects)


def test_a_wrong_secret_key_leaks_neither_key(seaweedfs, site, tmp_path) -> None:
    """SeaweedFS checks SigV4: the canary key is wrong there, so every call fails with SignatureDoesNotMatch."""
    spool = tmp_path / "spool"
    config = config_file(tmp_path / "ingest.toml", site)
    env = {**environment(seaweedfs.endpoint_url, "no-such-bucket-for-canary", spool), "AWS_ACCESS_KEY_ID": "test"}
    processes = [run_cli(env, "run", "--config", str(config)),
                 run_cli(env, "reingest", "--config", str(config), "--url", site.url("/down/")),
                 run_cli(env, "check-config", "--config", str(config))]
    output = "".join(line for p in processes for line in p.stderr_lines)
    assert "SignatureDoesNotMatch" in output or "AccessDenied" in output or "InvalidAccessKeyId" in output
    assert not list(spool.glob("*.json")), "refused credentials stop the run: nothing is spooled"
    assert_clean(processes, spool)


def _post(port: int, body: bytes, headers: dict[str, str]) -> int | None:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("POST", "/webhooks/ingest", body=body, headers={"content-type": "application/json",
                                                                           **headers})
        return connection.getresponse().status
    except OSError:
        return None


def test_webhook_rejections_failed_jobs_and_spooled_jobs_leak_no_secret(moto_bucket, site, tmp_path) -> None:
    s3, bucket, endpoint = moto_bucket
    spool = tmp_path / "spool"
    story_routes(site, range(7_500_000, 7_500_004), delay=0.5)
    config = config_file(tmp_path / "ingest.toml", site, workers=1)
    port = free_port()
    server = serve(config, environment(endpoint, bucket, spool), port, log_level="DEBUG")
    body = b'{"partner": "zenger", "id": "7500000"}'
    now = int(time.time())
    wrong = "whsec_" + base64.b64encode(random_secrets.token_bytes(32)).decode()
    attempts = {
        "wrong secret": ({"webhook-id": "msg_wrong", "webhook-timestamp": str(now),
                          "webhook-signature": sign(wrong, "msg_wrong", now, body)}, body),
        "expired": ({"webhook-id": "msg_old", "webhook-timestamp": str(now - 3600),
                     "webhook-signature": sign(WEBHOOK_SECRET, "msg_old", now - 3600, body)}, body),
        "modified body": ({"webhook-id": "msg_mod", "webhook-timestamp": str(now),
                           "webhook-signature": sign(WEBHOOK_SECRET, "msg_mod", now, body)},
                          body.replace(b"7500000", b"7500001")),
        "secret as signature": ({"webhook-id": "msg_leak", "webhook-timestamp": str(now),
                                 "webhook-signature": f"v1,{WEBHOOK_SECRET} v1,{FILE_SECRET}"}, body),
        "secret as id": ({"webhook-id": WEBHOOK_SECRET, "webhook-timestamp": str(now),
                          "webhook-signature": sign(WEBHOOK_SECRET, "x", now, body)}, body),
    }
    statuses = {name: _post(port, payload, headers) for name, (headers, payload) in attempts.items()}
    assert set(statuses.values()) == {401}, statuses
    # first a job that fails (fetch refused: a failed/ record), then slow ones that shutdown must spool
    failing = json.dumps({"partner": "zenger", "url": "https://www.zenger.news/not-on-the-allow-list/"}).encode()
    assert _post(port, failing, {"webhook-id": "msg_fail", "webhook-timestamp": str(now),
                                 "webhook-signature": sign(WEBHOOK_SECRET, "msg_fail", now, failing)}) == 202
    for article_id in range(7_500_000, 7_500_004):  # the environment's secret wins over the file's
        payload = json.dumps({"partner": "zenger", "id": str(article_id)}).encode()
        msg_id = f"msg_{article_id}"
        assert _post(port, payload, {"webhook-id": msg_id, "webhook-timestamp": str(now),
                                     "webhook-signature": sign(WEBHOOK_SECRET, msg_id, now, payload)}) == 202
    time.sleep(0.3)  # the failing job is done, the first slow one runs, the rest wait in the queue
    server.kill(signal.SIGTERM)
    assert server.finish() == 0
    assert list((spool / "jobs").glob("*.json")), "shutdown spooled no job"
    objects = everything_in(s3, bucket)
    assert any(k.startswith("failed/") for k in objects), sorted(objects)
    assert_clean([server], spool, objects)
