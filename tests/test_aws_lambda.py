"""The Lambda handler (issue #12) called with the three event shapes AWS sends it, recorded from AWS's documented
samples (tests/fixtures/lambda/) and filled in per test: an EventBridge scheduled event, an SQS batch with good and
bad records, an API Gateway HTTP API (2.0) request signed and forged. SQS is ``moto_server``, S3 is SeaweedFS, the
partner site a loopback HTTP server: only 127.0.0.1 is ever contacted."""
from __future__ import annotations

import base64
import copy
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from ingest_plugin import aws_lambda
from ingest_plugin.entrypoints.webhook.protocol import sign
from ingest_plugin.ingest.jobs import IngestJob, UrlSource, item_job
from ingest_plugin.parsing.pipeline import parse_items
from ingest_plugin.testing.local_s3 import ACCESS_KEY, REGION, SECRET_KEY
from tests.conftest import logging_as_it_was
from tests.httpserver import LoopbackHTTPServer, Route, partner_config

pytestmark = pytest.mark.s3
FIXTURES = Path(__file__).parent / "fixtures"
EVENTS = FIXTURES / "lambda"
SECRET = "whsec_" + base64.b64encode(b"L" * 32).decode()
FEED = (FIXTURES / "feeds" / "zenger-wordpress.rss").read_bytes()
PAGE = (FIXTURES / "pages" / "zenger-kenya-drought.html").read_bytes()


def event(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((EVENTS / name).read_text()))


class Deployment:
    """What the function's environment points at: a bucket, the jobs queue and its DLQ, a partner site."""

    def __init__(self, seaweedfs: Any, sqs: Any, site: LoopbackHTTPServer, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> None:
        self.site = site
        self.bucket = f"t-{uuid.uuid4().hex[:16]}"
        self.s3 = boto3.client("s3", endpoint_url=seaweedfs.endpoint_url, region_name=REGION,
                               aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        self.s3.create_bucket(Bucket=self.bucket)
        self.sqs = sqs.client()
        self.queue, self.dead = sqs.queue_pair(max_receives=2)
        config = tmp_path / "ingest.toml"
        # max_receives: as the redrive policy of the test queue
        config.write_text(partner_config(site, feeds=["/feed/"], queue={"retry_seconds": 0, "max_receives": 2}))
        for name, value in {**sqs.env(), "AWS_ENDPOINT_URL": seaweedfs.endpoint_url, "INGEST_S3_BUCKET": self.bucket,
                            "INGEST_QUEUE_URL": self.queue, "INGEST_DLQ_URL": self.dead,
                            "INGEST_WEBHOOK_SECRETS": SECRET, "INGEST_CONFIG": str(config),
                            "INGEST_SPOOL_DIR": str(tmp_path / "spool"), "AWS_CONFIG_FILE": "/dev/null",
                            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "INGEST_LOG_LEVEL": "WARNING"}.items():
            monkeypatch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "INGEST_S3_PREFIX"):
            monkeypatch.delenv(name, raising=False)

    def keys(self, prefix: str) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(o["Key"] for o in listing.get("Contents", []))

    def receive_all(self, url: str) -> list[dict[str, Any]]:
        """Every message of ``url``, received (hidden) as the event source mapping would receive them."""
        received: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                                VisibilityTimeout=60,
                                                MessageSystemAttributeNames=["All"]).get("Messages", []):
            received += batch
        return received


@pytest.fixture
def deployment(seaweedfs: Any, local_sqs: Any, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployment]:
    routes = {"/feed/": Route(FEED, content_type="application/rss+xml"), "/story/": Route(PAGE)}
    with LoopbackHTTPServer(routes) as site, logging_as_it_was():
        built = Deployment(seaweedfs, local_sqs, site, tmp_path, monkeypatch)
        aws_lambda._runtime.cache_clear()
        aws_lambda._webhook_app.cache_clear()
        yield built
        aws_lambda._runtime.cache_clear()
        aws_lambda._webhook_app.cache_clear()


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The documented SQS event, one record per received message."""
    template = event("sqs-event.json")["Records"][0]
    return {"Records": [{**template, "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                         "body": m["Body"], "attributes": {**template["attributes"], **m.get("Attributes", {})}}
                        for m in messages]}


def test_a_scheduled_event_sends_the_new_feed_items_to_the_queue(deployment: Deployment) -> None:
    record = aws_lambda.handler(event("scheduled-event.json"), None)
    assert record["trigger"] == "cron" and record["ok"] is True
    assert record["counts"]["queued"] == 3
    assert deployment.keys("articles/") == []  # the consumers publish, not the schedule
    jobs = [IngestJob.from_dict(json.loads(m["Body"])) for m in deployment.receive_all(deployment.queue)]
    assert len(jobs) == 3 and all(job.trigger == "cron" for job in jobs)
    assert deployment.keys("cursors/") == ["cursors/zenger.json"]
    again = aws_lambda.handler(event("scheduled-event.json"), None)
    assert again["counts"]["queued"] == 0  # the cursor holds what was sent


def test_an_sqs_batch_reports_only_the_records_that_failed(deployment: Deployment) -> None:
    good = IngestJob(UrlSource(deployment.site.url("/story/"), "zenger"), trigger="webhook")
    deployment.sqs.send_message(QueueUrl=deployment.queue, MessageBody=json.dumps(good.to_dict()))
    deployment.sqs.send_message(QueueUrl=deployment.queue, MessageBody="{not a job")
    received = deployment.receive_all(deployment.queue)
    bad_id = next(m["MessageId"] for m in received if m["Body"] == "{not a job")

    answer = aws_lambda.handler(sqs_event(received), None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": bad_id}]}
    assert len([k for k in deployment.keys("articles/") if k.endswith("current.json")]) == 1
    assert len(deployment.keys("changes/")) == 1

    # The bad record comes back (retry delay 0 here); on its last receive it is recorded, then SQS moves it on.
    time.sleep(0.5)
    (again,) = deployment.receive_all(deployment.queue)
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    assert aws_lambda.handler(sqs_event([again]), None) == {"batchItemFailures": [{"itemIdentifier": bad_id}]}
    (record_key,) = [k for k in deployment.keys("failed/") if k.endswith("error.json")]
    record = json.loads(deployment.s3.get_object(Bucket=deployment.bucket, Key=record_key)["Body"].read())
    assert "dead-letter queue" in record["message"]
    time.sleep(0.5)
    assert deployment.receive_all(deployment.queue) == []
    assert [m["Body"] for m in deployment.receive_all(deployment.dead)] == ["{not a job"]


def test_a_job_whose_payload_travels_by_claim_check_is_read_back_and_published(deployment: Deployment) -> None:
    """A feed item too long to travel in its message waits under payloads/; the function reads it back."""
    story = "".join(f"<p>Paragraph {n}: traders said oil prices fell to their lowest level in four months after "
                    f"OPEC+ laid out a plan to unwind some of its production cuts.</p>" for n in range(900))
    feed = FEED.replace(b"<content:encoded><![CDATA[", b"<content:encoded><![CDATA[" + story.encode(), 1)
    item = next(r for r in parse_items(feed, input_name="feed") if r.ok)
    aws_lambda._runtime().queue.send(item_job(item, trigger="cron"))
    assert deployment.keys("payloads/")
    answer = aws_lambda.handler(sqs_event(deployment.receive_all(deployment.queue)), None)
    assert answer == {"batchItemFailures": []}
    assert [k for k in deployment.keys("articles/") if k.endswith("current.json")] \
        == [f"articles/zenger/{item.article_key}/current.json"]
    assert deployment.keys("failed/") == []


class ShortOnTime:
    """A Lambda context with less time left than one job needs."""

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 5_000


def test_records_the_invocation_has_no_time_for_are_reported_without_running(deployment: Deployment) -> None:
    for number in range(3):
        job = IngestJob(UrlSource(deployment.site.url("/story/"), "zenger"), trigger=f"webhook-{number}")
        deployment.sqs.send_message(QueueUrl=deployment.queue, MessageBody=json.dumps(job.to_dict()))
    received = deployment.receive_all(deployment.queue)
    answer = aws_lambda.handler(sqs_event(received), ShortOnTime())
    assert sorted(f["itemIdentifier"] for f in answer["batchItemFailures"]) == sorted(m["MessageId"] for m in received)
    assert deployment.keys("articles/") == [] and deployment.keys("failed/") == []


def http_event(body: bytes, *, secret: str = SECRET, webhook_id: str | None = None) -> dict[str, Any]:
    request = event("http-api-event.json")
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time())
    request["headers"].update({"content-length": str(len(body)), "webhook-id": webhook_id,
                               "webhook-timestamp": str(timestamp),
                               "webhook-signature": sign(secret, webhook_id, timestamp, body)})
    request["body"] = base64.b64encode(body).decode()
    request["isBase64Encoded"] = True
    return request


def test_a_signed_webhook_is_queued_and_a_forged_one_is_refused(deployment: Deployment) -> None:
    body = json.dumps({"partner": "zenger", "id": "63809"}).encode()
    accepted = aws_lambda.handler(http_event(body), None)
    assert accepted["statusCode"] == 202, accepted
    job_id = json.loads(accepted["body"])["job_id"]
    (message,) = deployment.receive_all(deployment.queue)
    job = IngestJob.from_dict(json.loads(message["Body"]))
    assert (job.job_id, job.trigger, job.source.name) == (job_id, "webhook", "zenger/63809")

    forged = aws_lambda.handler(http_event(body, secret="whsec_" + base64.b64encode(b"X" * 32).decode()), None)
    assert forged["statusCode"] == 401
    assert deployment.receive_all(deployment.queue) == []
    assert deployment.keys("articles/") == []


def test_an_event_of_another_shape_is_refused(deployment: Deployment) -> None:
    with pytest.raises(ValueError, match="not an EventBridge"):
        aws_lambda.handler({"Records": [{"eventSource": "aws:s3"}]}, None)
