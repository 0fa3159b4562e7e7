"""The AWS Lambda entry point, ``ingest_plugin.aws_lambda.handler``: one function for three event sources.

* **EventBridge scheduled event** -> the cron run. With a jobs queue (``INGEST_QUEUE_URL``) it only sends the new
  feed items to the queue; the cursor moves past exactly what was sent.
* **SQS batch** (event source mapping with ``ReportBatchItemFailures``) -> each record is a job, run by the one job
  handler and judged as a ``worker`` judges it (:func:`~ingest_plugin.ingest.consumer.run_delivered`); the answer
  lists only the records to deliver again (``batchItemFailures``), each hidden for the retry delay first.
* **API Gateway HTTP API (payload 2.0) or function URL request** -> the signed webhook: the very WSGI app ``serve``
  runs (same verification, payload checks and answers), sending each job to the queue before its 202, with the
  webhook-id dedupe in S3 (containers share no memory).

Lambda's filesystem is read-only but for ``/tmp``, which does not outlive the container: the local spool and the
webhook's disk journal are not used. SQS is the buffer: a job that cannot reach S3 is delivered again later, and a
webhook whose job cannot be queued is answered 503 so that the CMS retries. Configuration comes from the environment
(and ``INGEST_CONFIG``, a TOML file shipped with the function); it is read once per container.
"""
from __future__ import annotations

import base64
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from ingest_plugin import log
from ingest_plugin.config import Config, load_config
from ingest_plugin.ingest.consumer import Verdict, judge_unreadable, run_delivered
from ingest_plugin.ingest.handler import JobHandler
from ingest_plugin.ingest.sqs import UNREADABLE, SqsQueue, UnreadableMessage, job_queue, publisher_for, read_job

START_MARGIN_MS = 60_000  # a job is started only with this much of the invocation left (fetch, parse, publish)
LAMBDA_SPOOL = "/tmp/ingest-spool"  # noqa: S108 - Lambda's only writable place; nothing in it must outlive a call


@dataclass(frozen=True)
class _Runtime:
    config: Config
    handler: JobHandler
    queue: SqsQueue | None


@cache
def _runtime() -> _Runtime:
    """Built on the first invocation of a container and kept for the warm ones (clients, schemas, parse worker)."""
    os.environ.setdefault("INGEST_SPOOL_DIR", LAMBDA_SPOOL)
    log.configure(os.environ.get("INGEST_LOG_LEVEL", "INFO"), json=True)
    config = load_config()
    publisher = publisher_for(config)
    queue = job_queue(config, publisher)
    return _Runtime(config, JobHandler(config, publisher, queued=queue is not None), queue)


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    """Dispatch on the event's shape (module docstring)."""
    runtime = _runtime()
    records = event.get("Records")
    if isinstance(records, list) and records and all(r.get("eventSource") == "aws:sqs" for r in records):
        return _sqs_batch(runtime, records, getattr(context, "get_remaining_time_in_millis", None))
    if event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event":
        return _scheduled(runtime)
    if event.get("version") == "2.0" and isinstance(event.get("requestContext"), dict):
        return _http(runtime, event)
    log.get_logger().error("lambda_event_unknown", keys=sorted(event)[:20])
    raise ValueError("not an EventBridge scheduled event, an SQS batch or an HTTP API (2.0) request")


def _scheduled(runtime: _Runtime) -> dict[str, Any]:
    from ingest_plugin.entrypoints.cron import run_feeds

    summary = run_feeds(runtime.config, runtime.handler, queue=runtime.queue)
    return summary.record()


def _sqs_batch(runtime: _Runtime, records: list[dict[str, Any]],
               remaining_ms: Callable[[], int] | None) -> dict[str, Any]:
    """Each record as a job; the ones to deliver again are reported. Records the function has no time left to start
    (less than :data:`START_MARGIN_MS`, e.g. a batch of slow partners) are reported without running: a timed-out
    invocation would otherwise count a receive against every record of the batch, done or not."""
    failures = []
    max_receives = runtime.config.queue.max_receives
    for position, record in enumerate(records):
        message_id, receipt = record["messageId"], record.get("receiptHandle", "")
        if remaining_ms is not None and remaining_ms() < START_MARGIN_MS:
            log.get_logger().warning("lambda_time_short", left_for_later=len(records) - position)
            failures += [{"itemIdentifier": r["messageId"]} for r in records[position:]]
            break
        count = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
        try:
            job = read_job(record["body"], runtime.handler.payloads)
        except UNREADABLE as exc:
            unreadable = UnreadableMessage.of(message_id, receipt, count, record.get("body", ""), exc)
            verdict = judge_unreadable(runtime.handler, unreadable, max_receives)
        else:
            verdict = run_delivered(runtime.handler, job, receive_count=count, max_receives=max_receives,
                                    message_id=message_id)
        if verdict is Verdict.RETRY:
            failures.append({"itemIdentifier": message_id})
            _delay(runtime.queue, receipt, count)
    return {"batchItemFailures": failures}


def _delay(queue: SqsQueue | None, receipt: str, receive_count: int) -> None:
    """Hide a record to retry for the retry delay (else it is back after the queue's whole visibility timeout)."""
    if queue is None or not receipt:
        return
    try:
        queue.hide(receipt, queue.retry_delay(receive_count))
    except Exception as exc:  # noqa: BLE001 - the record still comes back, after the visibility timeout
        log.get_logger().warning("retry_delay_not_set", error=f"{type(exc).__name__}: {exc}")


def _http(runtime: _Runtime, event: dict[str, Any]) -> dict[str, Any]:
    if runtime.queue is None:
        log.get_logger().error("webhook_without_queue", reason="set INGEST_QUEUE_URL: a Lambda function cannot run "
                                                                "jobs after it answered")
        return {"statusCode": 503, "headers": {"Content-Type": "application/json", "Retry-After": "60"},
                "body": '{"error": "no jobs queue configured"}'}
    return _call_wsgi(_webhook_app(), event)


@cache
def _webhook_app() -> Callable[..., Any]:
    from ingest_plugin.entrypoints.webhook.app import create_app
    from ingest_plugin.entrypoints.webhook.dedupe import S3Dedupe
    from ingest_plugin.entrypoints.webhook.jobs import make_handler

    runtime = _runtime()
    settings, publisher = runtime.config.webhook, runtime.handler.publisher
    return create_app(settings.secrets, make_handler(runtime.handler), workers=0, queue=runtime.queue,
                      max_body=settings.max_body_bytes, tolerance=settings.tolerance_seconds,
                      dedupe=S3Dedupe(publisher.bucket, publisher.articles.keys.webhook_dedupe))


def _call_wsgi(app: Callable[..., Any], event: dict[str, Any]) -> dict[str, Any]:
    """An HTTP API (payload 2.0) request through a WSGI app, and its answer in the shape API Gateway expects."""
    http = event["requestContext"].get("http", {})
    body = event.get("body") or ""
    data = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    environ: dict[str, Any] = {
        "REQUEST_METHOD": http.get("method", "GET"), "PATH_INFO": event.get("rawPath") or http.get("path", "/"),
        "QUERY_STRING": event.get("rawQueryString", ""), "REMOTE_ADDR": http.get("sourceIp", ""),
        "CONTENT_LENGTH": str(len(data)), "CONTENT_TYPE": headers.get("content-type", ""),
        "SERVER_NAME": headers.get("host", "lambda"), "SERVER_PORT": "443", "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(data), "wsgi.url_scheme": "https", "wsgi.errors": io.StringIO(),
        **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()
           if name not in ("content-type", "content-length")},
    }
    answer: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: object = None) -> None:
        answer["statusCode"] = int(status.split(" ", 1)[0])
        answer["headers"] = dict(response_headers)

    chunks = app(environ, start_response)
    answer["body"] = b"".join(chunks).decode("utf-8")
    answer["isBase64Encoded"] = False
    return answer
