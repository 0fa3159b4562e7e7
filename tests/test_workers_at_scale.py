"""Scale-out under fire (issue #12): four ``worker`` processes over a queue of 1,000 article jobs, with S3 faults
(the fault proxy), a partner answering 500 for some articles, poison messages, forced duplicate deliveries (copies
of jobs sent while the originals run) and a worker SIGKILLed mid-job. Afterwards: every article is in S3 exactly
once per version with exactly one change event per version, or kept under failed/ with its reason; the poison
messages are in the dead-letter queue with their failed/ records; the change notifications repeat none; nothing
else is missing. SQS is ``moto_server``, S3 SeaweedFS behind the fault proxy, the partner a loopback server."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from ingest_plugin.config import QueueConfig
from ingest_plugin.ingest.jobs import IngestJob, UrlSource
from ingest_plugin.ingest.sqs import SqsQueue, sqs_client
from ingest_plugin.testing.local_s3 import ACCESS_KEY, REGION, SECRET_KEY
from tests.httpserver import LoopbackHTTPServer, Route, partner_config
from tests.pagebuilder import zenger_page
from tests.s3_fault_proxy import Fault, FaultProxy

pytestmark = pytest.mark.s3
ARTICLES = int(os.environ.get("SCALE_ARTICLES", "1000"))
BROKEN = range(0, ARTICLES, 50)  # the partner answers 500 for these: kept under failed/, never lost
POISON = 10
DUPLICATED = range(1, ARTICLES, 25)  # a second copy of these jobs is sent while the workers run
WORKERS, CONCURRENCY = 4, 2
MAX_RECEIVES = 3


def story(number: int) -> bytes:
    url = f"https://www.zenger.news/2026/12/06/story-{number}/"
    body = (f"<p>WASHINGTON — Story number {number} begins with a paragraph long enough to be a real paragraph of "
            f"an article, as every generated story here does.</p><p>Its second paragraph is here.</p>"
            "<p>Zenger News does not provide investment advice.</p>")
    return zenger_page(body, headline=f"Story Number {number} Reaches The Desk", post_id=100_000 + number,
                       url=url).encode()


def worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A worker process logging to ``log`` (a file: a pipe nobody reads until the end would fill and block it)."""
    with open(log, "ab") as stderr:
        return subprocess.Popen([sys.executable, "-m", "ingest_plugin", "worker", "--concurrency", str(CONCURRENCY),
                                 "--max-idle", "10"], env=env, stdout=subprocess.DEVNULL, stderr=stderr)


def test_four_workers_publish_a_thousand_jobs_exactly_once_through_faults(seaweedfs: Any, local_sqs: Any,
                                                                          tmp_path: Path, aws_env: None) -> None:
    routes = {f"/story/{n}/": Route(b"partner error", status=500) if n in BROKEN else Route(story(n))
              for n in range(ARTICLES)}
    bucket = f"t-{uuid.uuid4().hex[:16]}"
    s3 = boto3.client("s3", endpoint_url=seaweedfs.endpoint_url, region_name=REGION,
                      aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    s3.create_bucket(Bucket=bucket)
    sqs = local_sqs.client()
    queue_url, dead_url = local_sqs.queue_pair(max_receives=MAX_RECEIVES, visibility_timeout=5)
    changes_url = sqs.create_queue(QueueName=f"changes-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    with LoopbackHTTPServer(routes) as site, FaultProxy(seaweedfs.endpoint_url, seed=12) as proxy:
        fault_rate = float(os.environ.get("SCALE_FAULT_RATE", "0.02"))
        proxy.add(Fault("status", status=503, code="SlowDown", probability=fault_rate),
                  Fault("status", status=500, code="InternalError", probability=fault_rate),
                  Fault("drop_after", methods=("PUT",), probability=fault_rate / 2))
        config = tmp_path / "ingest.toml"
        config.write_text(partner_config(site, queue={"retry_seconds": 0, "wait_seconds": 1, "visibility_timeout": 5,
                                                      "max_receives": MAX_RECEIVES}))
        env = {**os.environ, **local_sqs.env(), "AWS_ENDPOINT_URL": proxy.endpoint_url, "INGEST_S3_BUCKET": bucket,
               "INGEST_SPOOL_DIR": str(tmp_path / "spool"), "INGEST_QUEUE_URL": queue_url,
               "INGEST_DLQ_URL": dead_url, "INGEST_CHANGES_QUEUE_URL": changes_url, "INGEST_CONFIG": str(config),
               "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
        producer = SqsQueue(sqs_client(QueueConfig(endpoint_url=local_sqs.endpoint_url), REGION), queue_url)
        jobs = [IngestJob(UrlSource(site.url(f"/story/{n}/"), "zenger"), trigger="backfill") for n in range(ARTICLES)]
        random.Random(7).shuffle(jobs)
        assert producer.send_batch(jobs) == ARTICLES
        for number in range(POISON):  # each its own: a release that cannot read them keeps each apart
            sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"schema": 1, "source": {"kind": "nonsense",
                                                                                                   "n": number}}))

        logs = [tmp_path / f"worker-{n}.log" for n in range(WORKERS + 1)]
        workers = [worker(env, log) for log in logs[:WORKERS]]
        deadline = time.monotonic() + 600
        while len(site.requests) < ARTICLES // 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers[0].send_signal(signal.SIGKILL)  # mid-job: its messages come back after the visibility timeout
        workers[0].wait()
        producer.send_batch([jobs[n] for n in DUPLICATED])  # the same jobs again, while the originals run
        workers.append(worker(env, logs[WORKERS]))
        for process, log in zip(workers[1:], logs[1:], strict=True):
            process.wait(timeout=max(1.0, deadline - time.monotonic()))
            stderr = log.read_text()
            assert process.returncode == 0, stderr[-3000:]
            assert "Traceback" not in stderr, stderr[-3000:]

    def keys(prefix: str) -> list[str]:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [o["Key"] for page in pages for o in page.get("Contents", [])]

    def body(key: str) -> Any:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    articles = keys("articles/")
    current = [k for k in articles if k.endswith("/current.json")]
    versions = [k for k in articles if not k.endswith("/current.json")]
    assert len(current) == ARTICLES - len(BROKEN)
    assert sorted(versions) == sorted(k.replace("current.json", "v1.json") for k in current)  # once, no v2

    events = [body(k) for k in keys("changes/")]
    assert sorted(e["key"] for e in events) == sorted(versions)  # exactly one event per version
    notified: Counter[tuple[str, int]] = Counter()
    while messages := sqs.receive_message(QueueUrl=changes_url, MaxNumberOfMessages=10,
                                          WaitTimeSeconds=0).get("Messages", []):
        notified.update((json.loads(m["Body"])["uri"], json.loads(m["Body"])["version"]) for m in messages)
        sqs.delete_message_batch(QueueUrl=changes_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
    assert max(notified.values()) == 1  # no event sent twice
    assert len(notified) >= len(events) - 1  # at most the one a SIGKILL caught between log and send

    records = [body(k) for k in keys("failed/") if k.endswith("/error.json")]
    by_code = Counter(r["code"] for r in records)
    assert by_code == {"fetch_failed": len(BROKEN) + POISON}, by_code
    dead_letters = 0
    while messages := sqs.receive_message(QueueUrl=dead_url, MaxNumberOfMessages=10,
                                          WaitTimeSeconds=0).get("Messages", []):
        dead_letters += len(messages)
        sqs.delete_message_batch(QueueUrl=dead_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
    assert dead_letters == POISON
    assert sum("dead-letter queue" in r["message"] for r in records) == POISON
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert proxy.stats["forwarded"] < sum(proxy.stats.values())  # the faults did fire
