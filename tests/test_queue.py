"""The shared jobs queue, end to end (issue #12): real ``ingest-plugin`` processes, SQS in ``moto_server`` and S3
in SeaweedFS, both on 127.0.0.1. Triggers send jobs (``queued``); ``worker`` processes run them; every version
that becomes current gets exactly one change event, in the bucket's change log and on the CMS's queue."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from ingest_plugin.testing.local_s3 import ACCESS_KEY, REGION, SECRET_KEY
from tests.conftest import JOB_PAYLOAD_NOT_AN_OBJECT
from tests.httpserver import LoopbackHTTPServer, Route, partner_config, toml_table
from tests.s3_fault_proxy import Fault, FaultProxy

pytestmark = pytest.mark.s3
FIXTURES = Path(__file__).parent / "fixtures"
PAGES = sorted((FIXTURES / "pages").glob("zenger-*.html"))[:4]
QUEUE = {"retry_seconds": 0, "wait_seconds": 1, "max_receives": 2}  # retries at once, quick idle exits


class Stack:
    """A bucket, a jobs queue with its dead-letter queue, a change-event queue, and the environment of a process
    that uses them."""

    def __init__(self, seaweedfs: Any, sqs: Any, tmp_path: Path) -> None:
        self.bucket = f"t-{uuid.uuid4().hex[:16]}"
        self.s3 = boto3.client("s3", endpoint_url=seaweedfs.endpoint_url, region_name=REGION,
                               aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        self.s3.create_bucket(Bucket=self.bucket)
        self.sqs = sqs.client()
        self.queue, self.dead = sqs.queue_pair(max_receives=QUEUE["max_receives"], visibility_timeout=30)
        self.changes = self.sqs.create_queue(QueueName=f"changes-{uuid.uuid4().hex[:12]}")["QueueUrl"]
        self.config = tmp_path / "ingest.toml"
        self.config.write_text(toml_table("queue", QUEUE))
        self.env = {**os.environ, **sqs.env(), "AWS_ENDPOINT_URL": seaweedfs.endpoint_url,
                    "INGEST_S3_BUCKET": self.bucket, "INGEST_SPOOL_DIR": str(tmp_path / "spool"),
                    "INGEST_QUEUE_URL": self.queue, "INGEST_DLQ_URL": self.dead,
                    "INGEST_CHANGES_QUEUE_URL": self.changes, "INGEST_CONFIG": str(self.config),
                    "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "ingest_plugin", *args], env=self.env, capture_output=True,
                              timeout=timeout)

    def keys(self, prefix: str) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def json(self, key: str) -> Any:
        return json.loads(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def waiting(self, url: str) -> int:
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def drain(self, url: str) -> list[dict[str, Any]]:
        bodies = []
        while messages := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                    WaitTimeSeconds=0).get("Messages", []):
            bodies += [json.loads(m["Body"]) for m in messages]
            self.sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        return bodies


@pytest.fixture
def stack(seaweedfs: Any, local_sqs: Any, tmp_path: Path) -> Stack:
    return Stack(seaweedfs, local_sqs, tmp_path)


def statuses(result: subprocess.CompletedProcess[bytes]) -> list[str]:
    return [json.loads(line)["status"] for line in result.stdout.decode().splitlines() if '"event": "item"' in line]


def test_reingested_jobs_are_queued_and_a_worker_publishes_each_once_with_one_change_event(stack: Stack) -> None:
    sent = stack.cli("reingest", *[arg for page in PAGES for arg in ("--file", str(page))])
    assert sent.returncode == 0, sent.stderr.decode()[-2000:]
    assert statuses(sent) == ["queued"] * len(PAGES)
    assert stack.keys("articles/") == [] and stack.waiting(stack.queue) == len(PAGES)

    worker = stack.cli("worker", "--concurrency", "2", "--max-idle", "3")
    assert worker.returncode == 0, worker.stderr.decode()[-2000:]
    current = [k for k in stack.keys("articles/") if k.endswith("/current.json")]
    assert len(current) == len(PAGES) and stack.waiting(stack.queue) == 0
    log_keys = stack.keys("changes/")
    events = [stack.json(key) for key in log_keys]
    assert sorted(e["key"] for e in events) == sorted(k.replace("current.json", "v1.json") for k in current)
    for event in events:
        document = stack.json(event["key"])
        assert (event["uri"], event["version"], event["pubStatus"]) == (document["uri"], 1, "usable")
    assert sorted(e["key"] for e in stack.drain(stack.changes)) == sorted(e["key"] for e in events)

    again = stack.cli("reingest", *[arg for page in PAGES for arg in ("--file", str(page))])  # unchanged now
    assert again.returncode == 0
    assert stack.cli("worker", "--max-idle", "3").returncode == 0
    assert stack.keys("changes/") == log_keys and stack.drain(stack.changes) == []  # no version, no event


# A job of a newer release; a job whose payload is no JSON object (the worker's fetcher thread died on it, exit 1,
# and nothing was recorded).
UNREADABLE_JOBS = {"newer": {"schema": 99, "source": {}}, "payload-not-an-object": JOB_PAYLOAD_NOT_AN_OBJECT}


@pytest.mark.parametrize("body", UNREADABLE_JOBS.values(), ids=list(UNREADABLE_JOBS))
def test_a_message_no_worker_can_read_ends_in_the_dead_letter_queue_with_a_failed_record(stack: Stack,
                                                                                         body: Any) -> None:
    stack.sqs.send_message(QueueUrl=stack.queue, MessageBody=json.dumps(body))
    worker = stack.cli("worker", "--max-idle", "4")
    assert worker.returncode == 0, worker.stderr.decode()[-2000:]
    assert b"fetcher_crashed" not in worker.stderr and b"Traceback" not in worker.stderr
    assert stack.waiting(stack.queue) == 0
    assert stack.waiting(stack.dead) == 1
    (record_key,) = [k for k in stack.keys("failed/") if k.endswith("error.json")]
    record = stack.json(record_key)
    assert record["code"] == "fetch_failed" and "dead-letter queue" in record["message"]

    moved = stack.cli("reingest", "--from-dlq")
    assert moved.returncode == 0, moved.stderr.decode()[-2000:]
    assert json.loads(moved.stdout.decode().splitlines()[-1])["moved"] == 1
    assert stack.waiting(stack.dead) == 0 and stack.waiting(stack.queue) == 1


def _long_feed(items: int, paragraphs: int) -> bytes:
    """A WordPress feed of ``items`` whole stories of ``paragraphs`` paragraphs each (about 250 bytes a paragraph)."""
    def item(n: int) -> str:
        body = "".join(f"<p>Paragraph {i} of story {n}: oil prices fell to their lowest level in four months on "
                       f"Monday after OPEC+ laid out a plan to unwind some of its production cuts, traders said.</p>"
                       for i in range(paragraphs))
        return (f"<item><title>Long story number {n} about oil markets</title><link>https://www.zenger.news/2024/06/"
                f"04/long-story-{n}/</link><dc:creator><![CDATA[Jane Roe]]></dc:creator><pubDate>Tue, 04 Jun 2024 "
                f"08:55:00 +0000</pubDate><guid isPermaLink=\"false\">https://www.zenger.news/?p={198000 + n}</guid>"
                f"<content:encoded><![CDATA[{body}]]></content:encoded></item>")
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/'
            'content/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Zenger News</title><link>'
            'https://www.zenger.news</link><description>x</description>' + "".join(map(item, range(1, items + 1)))
            + "</channel></rss>").encode()


def test_a_feed_of_long_stories_is_queued_and_every_story_published(stack: Stack) -> None:
    """Ten long items make ten jobs of about 130 KB: more than one SendMessageBatch takes (256 KiB; moto: 1 MiB),
    each far below a message's limit. Two longer ones travel by claim check (their raw item under payloads/), which
    a worker reads back from the bucket."""
    feed = _long_feed(10, 300)[:-len("</channel></rss>")] + _long_feed(2, 420).split(b"</description>", 1)[1]
    with LoopbackHTTPServer({"/feed/": Route(feed, content_type="application/rss+xml")}) as site:
        stack.config.write_text(partner_config(site, feeds=["/feed/"], queue=QUEUE))
        sent = stack.cli("run")
        assert sent.returncode == 0, sent.stderr.decode()[-2000:]
        assert statuses(sent) == ["queued"] * 12 and stack.keys("payloads/")
        worker = stack.cli("worker", "--concurrency", "2", "--max-idle", "3")
    assert worker.returncode == 0, worker.stderr.decode()[-2000:]
    current = [k for k in stack.keys("articles/") if k.endswith("/current.json")]
    assert len(current) == 10  # the two longer items are new versions of stories 1 and 2
    assert {f"articles/zenger/19800{n}/v2.json" for n in (1, 2)} <= set(stack.keys("articles/"))
    assert stack.keys("failed/") == [] and stack.waiting(stack.queue) == stack.waiting(stack.dead) == 0


def _claim_checked_job_through(stack: Stack, seaweedfs: Any, fault: Fault,
                               tmp_path: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """Queue one job that travels by claim check (a feed item; a file, with ``tmp_path``), then run a worker whose
    S3 requests meet ``fault``."""
    if tmp_path is not None:
        page = tmp_path / "long-story.html"
        padding = "".join(f"<p>Paragraph {n}: officials said the channel work would take two years.</p>"
                          for n in range(2500))
        page.write_bytes(PAGES[0].read_bytes().replace(b"</article>", padding.encode() + b"</article>", 1))
        assert statuses(stack.cli("reingest", "--file", str(page))) == ["queued"] and stack.keys("payloads/")
    else:
        with LoopbackHTTPServer({"/feed/": Route(_long_feed(1, 420), content_type="application/rss+xml")}) as site:
            stack.config.write_text(partner_config(site, feeds=["/feed/"], queue=QUEUE))
            assert statuses(stack.cli("run")) == ["queued"] and stack.keys("payloads/")
    proxy = FaultProxy(seaweedfs.endpoint_url)
    proxy.start()
    try:
        proxy.faults.append(fault)
        through_proxy = {**stack.env, "AWS_ENDPOINT_URL": proxy.endpoint_url, "INGEST_S3_MAX_ATTEMPTS": "1"}
        return subprocess.run([sys.executable, "-m", "ingest_plugin", "worker", "--max-idle", "3"],
                              env=through_proxy, capture_output=True, timeout=90)
    finally:
        proxy.stop()


@pytest.mark.parametrize("fault", [
    # On a job's last deliveries the worker records it before it runs, storing its payload again: S3 refusing that
    # PUT killed the consumer thread, and the worker neither consumed nor exited, the message kept hidden.
    Fault("status", status=503, code="SlowDown", methods=("PUT",), path=r"/payloads/"),
    # S3 not giving the stored payload once made the message "unreadable", kept under failed/ for good.
    Fault("status", status=503, code="SlowDown", methods=("GET",), path=r"/payloads/", count=1),
], ids=["payload-put-refused", "payload-get-refused-once"])
def test_a_claim_checked_job_meeting_an_s3_error_is_published_and_nothing_is_left(stack: Stack, seaweedfs: Any,
                                                                                  fault: Fault) -> None:
    worker = _claim_checked_job_through(stack, seaweedfs, fault)
    assert worker.returncode == 0, worker.stderr.decode()[-2000:]
    published = [k for k in stack.keys("articles/") if k.endswith("/current.json")]
    assert published == ["articles/zenger/198001/current.json"] and stack.waiting(stack.queue) == 0
    assert stack.keys("failed/") == []


def test_a_file_job_whose_stored_page_s3_does_not_give_once_is_delivered_again(stack: Stack, seaweedfs: Any,
                                                                               tmp_path: Path) -> None:
    """A file's page is read from the bucket when its job runs: a 503 then kept the job as failed for good."""
    fault = Fault("status", status=503, code="SlowDown", methods=("GET",), path=r"/payloads/", count=1)
    worker = _claim_checked_job_through(stack, seaweedfs, fault, tmp_path)
    assert worker.returncode == 0, worker.stderr.decode()[-2000:]
    assert len([k for k in stack.keys("articles/") if k.endswith("/current.json")]) == 1
    assert stack.keys("failed/") == [] and stack.waiting(stack.queue) == 0


def test_sigterm_lets_the_running_job_finish_and_exits_0(stack: Stack) -> None:
    slow = Route(PAGES[0].read_bytes(), delay=3.0)  # the partner takes 3 s: SIGTERM arrives mid-job
    with LoopbackHTTPServer({"/story/": slow}) as site:
        stack.config.write_text(partner_config(site, queue=QUEUE))
        assert stack.cli("reingest", "--url", site.url("/story/")).returncode == 0
        worker = subprocess.Popen([sys.executable, "-m", "ingest_plugin", "--log-level", "INFO", "worker"],
                                  env=stack.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not site.requests:
            time.sleep(0.05)
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=60)
    assert worker.returncode == 0, stderr.decode()[-2000:]
    assert b"worker_stopped" in stderr
    assert len([k for k in stack.keys("articles/") if k.endswith("current.json")]) == 1  # the job finished
    assert stack.waiting(stack.queue) == 0  # and its message was deleted


def test_check_config_reaches_the_queues_and_says_so(stack: Stack) -> None:
    stack.sqs.send_message(QueueUrl=stack.queue, MessageBody="{}")
    reached = stack.cli("check-config")
    assert reached.returncode == 0, reached.stderr.decode()[-2000:]
    assert f"SQS: jobs queue {stack.queue}: ok (1 waiting)".encode() in reached.stdout
    assert f"SQS: dead-letter queue {stack.dead}: ok (0 waiting)".encode() in reached.stdout
    stack.env["INGEST_QUEUE_URL"] = stack.queue + "-missing"
    missing = stack.cli("check-config")
    assert missing.returncode == 1 and b"jobs queue" in missing.stderr and b"NOT reachable" in missing.stderr
