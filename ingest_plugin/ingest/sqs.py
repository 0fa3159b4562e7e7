"""The SQS backend of the job queue: one message per job, for hosts and Lambda functions that share the work.

Delivery is at least once. A received message stays hidden for the visibility timeout, which the runner extends
while the job runs (a heartbeat); it is deleted once the job reached its final place, made visible again at once
when the job could not run, and moved by SQS to the dead-letter queue after ``max_receives`` receives (the
queue's redrive policy). Publishing is idempotent, so a job delivered twice writes no second version.

A job's raw payload over the inline limit travels by claim check: stored in the bucket under ``payloads/`` (named
by its SHA-256, expired by a lifecycle rule after the queue's retention) and referenced from the message, so every
message stays far below SQS's 256 KiB.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from ingest_plugin.config import Config, QueueConfig
from ingest_plugin.errors import ErrorCode, IngestError, Stage
from ingest_plugin.ingest.jobs import IngestJob, PayloadStore
from ingest_plugin.ingest.payloads import S3Payloads, unreadable_for_now
from ingest_plugin.ingest.queue import Delivery
from ingest_plugin.log import get_logger
from ingest_plugin.publishing import Publisher
from ingest_plugin.publishing.changes import Notify, sns_notifier, sqs_notifier

BATCH = 10  # SQS's limit per SendMessageBatch / DeleteMessageBatch
# SQS's limit on the messages of one SendMessageBatch together, on a queue with the classic maximum message size
# (a queue allowing more takes it too): ten jobs of long feed items exceed it, each one far below it.
BATCH_BYTES = 256 * 1024


class UnreadableMessage(Exception):
    """A message that holds no job this release can read: it stays in the queue until the redrive moves it."""

    def __init__(self, message_id: str, receipt: str, receive_count: int, body: str, reason: str,
                 transient: bool = False) -> None:
        super().__init__(f"message {message_id}: {reason}")
        self.message_id, self.receipt, self.receive_count, self.body, self.reason = (
            message_id, receipt, receive_count, body, reason)
        self.transient = transient  # its stored payload S3 did not give this time: the next receive may read it

    @classmethod
    def of(cls, message_id: str, receipt: str, receive_count: int, body: str, exc: Exception) -> UnreadableMessage:
        """Why reading ``body`` raised ``exc``: a payload stored and gone, or no job (``fetch_failed``, malformed)
        for good; an S3 error reading the payload for now."""
        return cls(message_id, receipt, receive_count, body, f"{type(exc).__name__}: {exc}", unreadable_for_now(exc))


def read_job(body: str, payloads: PayloadStore | None) -> IngestJob:
    """The job a message holds, its stored payloads read back from ``payloads`` (a claim check); raises
    :data:`UNREADABLE` when there is none (or its stored payload is gone, or cannot be read now)."""
    return IngestJob.from_dict(json.loads(body), payloads)


# What reading a message's job may raise: no job this release can read, or a claim check S3 cannot answer now.
UNREADABLE = (ValueError, KeyError, TypeError, IngestError)


def _delivery(message: dict[str, Any], payloads: PayloadStore | None) -> Delivery | UnreadableMessage:
    count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
    try:
        job = read_job(message["Body"], payloads)
    except UNREADABLE as exc:
        return UnreadableMessage.of(message["MessageId"], message["ReceiptHandle"], count, message["Body"], exc)
    return Delivery(job, message["ReceiptHandle"], count, message["MessageId"])


class SqsQueue:
    """A :class:`~ingest_plugin.ingest.queue.JobQueue` on an SQS standard queue."""

    def __init__(self, client: Any, url: str, *, payloads: PayloadStore | None = None, wait_seconds: int = 20,
                 visibility_timeout: int = 300, max_receives: int = 5, retry_seconds: int = 10) -> None:
        self.client = client
        self.url = url
        self.payloads = payloads
        self.wait_seconds = wait_seconds
        self.visibility_timeout = visibility_timeout
        self.max_receives = max_receives
        self.retry_seconds = retry_seconds
        self._closed = False

    def retry_delay(self, receive_count: int) -> int:
        """How long a job that could not run stays hidden: ``retry_seconds``, doubled per receive, at most 15 min
        (S3 or the partner may need minutes to recover)."""
        return min(900, self.retry_seconds * 2 ** max(0, min(receive_count - 1, 10)))

    def send(self, job: IngestJob) -> None:
        self.send_batch([job])

    def send_batch(self, jobs: Iterable[IngestJob]) -> int:
        """Send every job, up to ten per request and :data:`BATCH_BYTES` of messages; returns how many were sent.
        Entries SQS refuses are sent again once; a job still refused raises (the caller has not counted it as
        enqueued)."""
        sent = 0
        bodies: list[str] = []
        size = 0
        for job in jobs:
            body = json.dumps(job.to_dict(self.payloads), separators=(",", ":"))  # ASCII: its length is its size
            if bodies and (len(bodies) == BATCH or size + len(body) > BATCH_BYTES):
                sent += self._send(bodies)
                bodies, size = [], 0
            bodies.append(body)
            size += len(body)
        if bodies:
            sent += self._send(bodies)
        return sent

    def _send(self, bodies: list[str]) -> int:
        entries = dict(enumerate(bodies))
        for _attempt in range(2):
            answer = self._call("SendMessageBatch", self.client.send_message_batch, QueueUrl=self.url,
                                Entries=[{"Id": str(i), "MessageBody": body} for i, body in entries.items()])
            failed = {entry["Id"]: entry for entry in answer.get("Failed", [])}
            entries = {i: body for i, body in entries.items() if str(i) in failed}
            if not entries:
                return len(bodies)
        reasons = "; ".join(f"{f.get('Code')}: {f.get('Message')}" for f in failed.values())
        raise IngestError(ErrorCode.PUBLISH_FAILED, f"SQS refused {len(entries)} of {len(bodies)} jobs: {reasons}",
                          input=self.url, stage=Stage.PUBLISH)

    def receive(self, timeout: float | None = None) -> Delivery | None:
        """One job (long polling up to ``timeout`` seconds, at most the queue's wait time), or None. A message that
        holds no readable job raises :class:`UnreadableMessage`."""
        received = self.receive_many(1, timeout)
        if not received:
            return None
        if isinstance(received[0], UnreadableMessage):
            raise received[0]
        return received[0]

    def receive_many(self, count: int, timeout: float | None = None) -> list[Delivery | UnreadableMessage]:
        """Up to ``count`` (at most ten) deliveries in one request, long polling up to ``timeout`` seconds; a
        message that holds no readable job comes back as an :class:`UnreadableMessage`."""
        if self._closed:
            return []
        wait = self.wait_seconds if timeout is None else max(0, min(self.wait_seconds, int(timeout)))
        answer = self._call("ReceiveMessage", self.client.receive_message, QueueUrl=self.url,
                            MaxNumberOfMessages=max(1, min(BATCH, count)), WaitTimeSeconds=wait,
                            VisibilityTimeout=self.visibility_timeout,
                            MessageSystemAttributeNames=["ApproximateReceiveCount"])
        return [_delivery(message, self.payloads) for message in answer.get("Messages", [])]

    def ack(self, delivery: Delivery) -> None:
        self.ack_many([delivery.receipt])

    def ack_many(self, receipts: list[str]) -> None:
        """Delete the messages of ``receipts``, ten per request."""
        for start in range(0, len(receipts), BATCH):
            entries = [{"Id": str(i), "ReceiptHandle": r} for i, r in enumerate(receipts[start:start + BATCH])]
            answer = self._call("DeleteMessageBatch", self.client.delete_message_batch, QueueUrl=self.url,
                                Entries=entries)
            if answer.get("Failed"):  # an expired receipt: the message comes back, and publishing is idempotent
                get_logger().warning("ack_failed", failed=[f.get("Code") for f in answer["Failed"]])

    def release(self, delivery: Delivery) -> None:
        self.hide(delivery.receipt, 0)

    def extend(self, delivery: Delivery, seconds: float) -> None:
        self.hide(delivery.receipt, seconds)

    def hide(self, receipt: str, seconds: float) -> None:
        """The message of ``receipt`` stays invisible for ``seconds`` from now (0: visible again at once)."""
        self.hide_many([receipt], seconds)

    def hide_many(self, receipts: list[str], seconds: float) -> None:
        """:meth:`hide` for many messages, ten per request (the heartbeat of every running job at once)."""
        for start in range(0, len(receipts), BATCH):
            entries = [{"Id": str(i), "ReceiptHandle": r, "VisibilityTimeout": int(seconds)}
                       for i, r in enumerate(receipts[start:start + BATCH])]
            answer = self._call("ChangeMessageVisibilityBatch", self.client.change_message_visibility_batch,
                                QueueUrl=self.url, Entries=entries)
            if answer.get("Failed"):
                get_logger().warning("visibility_not_changed", failed=[f.get("Code") for f in answer["Failed"]])

    def depth(self) -> int:
        answer = self._call("GetQueueAttributes", self.client.get_queue_attributes, QueueUrl=self.url,
                            AttributeNames=["ApproximateNumberOfMessages"])
        return int(answer["Attributes"]["ApproximateNumberOfMessages"])

    def move_to(self, target: SqsQueue, limit: int | None = None) -> int:
        """Move this queue's messages (a dead-letter queue's, after a fix) to ``target`` as they are, ten at a time,
        each deleted here only once ``target`` took it; returns how many moved. At least once: a crash between the
        two steps leaves a message in both, and publishing is idempotent."""
        moved = 0
        while limit is None or moved < limit:
            answer = self._call("ReceiveMessage", self.client.receive_message, QueueUrl=self.url,
                                MaxNumberOfMessages=BATCH if limit is None else min(BATCH, limit - moved),
                                WaitTimeSeconds=1, VisibilityTimeout=60)
            messages = answer.get("Messages", [])
            if not messages:
                return moved
            entries = [{"Id": str(i), "MessageBody": m["Body"]} for i, m in enumerate(messages)]
            sent = target._call("SendMessageBatch", target.client.send_message_batch, QueueUrl=target.url,
                                Entries=entries)
            failed = {entry["Id"] for entry in sent.get("Failed", [])}
            taken = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
                     if str(i) not in failed]
            if taken:
                self._call("DeleteMessageBatch", self.client.delete_message_batch, QueueUrl=self.url, Entries=taken)
            moved += len(taken)
            if failed:
                raise IngestError(ErrorCode.PUBLISH_FAILED, f"SQS refused {len(failed)} messages moved to "
                                                            f"{target.url}", input=self.url, stage=Stage.PUBLISH)
        return moved

    def close(self) -> list[IngestJob]:
        """Receive no more; what was not received stays in SQS, nothing to hand back."""
        self._closed = True
        return []

    def _call(self, action: str, method: Any, **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise IngestError(ErrorCode.PUBLISH_FAILED, f"SQS {action} failed: {exc}", input=self.url,
                              stage=Stage.PUBLISH) from None


def sqs_client(queue: QueueConfig, region: str | None = None) -> Any:
    """A boto3 SQS client: the configured endpoint (else boto3's own: ``AWS_ENDPOINT_URL_SQS``), bounded retries."""
    return boto3.client("sqs", endpoint_url=queue.endpoint_url or None, region_name=region,
                        config=BotoConfig(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5,
                                          read_timeout=max(30, queue.wait_seconds + 10)))


def job_queue(config: Config, publisher: Publisher, url: str | None = None) -> SqsQueue | None:
    """The configured SQS jobs queue (or the one at ``url``), or None on one host with no queue."""
    url = url or config.queue.url
    if not url:
        return None
    queue = config.queue
    return SqsQueue(sqs_client(queue, publisher.settings.region), url, payloads=S3Payloads(publisher),
                    wait_seconds=queue.wait_seconds, visibility_timeout=queue.visibility_timeout,
                    max_receives=queue.max_receives, retry_seconds=queue.retry_seconds)


def publisher_for(config: Config) -> Publisher:
    """The configured bucket's publisher, with the change log and the change-event target of ``[changes]``."""
    settings = config.s3()
    changes = config.changes
    notify: Notify | None = None
    if changes.queue_url:
        notify = sqs_notifier(sqs_client(config.queue, settings.region), changes.queue_url)
    elif changes.topic_arn:
        notify = sns_notifier(boto3.client("sns", region_name=settings.region), changes.topic_arn)
    return Publisher(settings, change_log=changes.log, notify=notify)
