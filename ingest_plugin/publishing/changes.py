"""Change events: how a CMS learns that a new version exists without listing the bucket.

Every version that becomes current (a new article, an update, a kill, a reinstatement) gets one small event::

    {"uri", "version", "key", "partner", "pubStatus", "versionCreated", "content-sha256", "writtenAt"}

It is written to the change log in S3, one object per event, under a key that sorts by the time the version was
written: ``changes/YYYY/MM/DD/HH/{writtenAt}-{partner}-{article_key}-v{N}.json``. The key is a function of the
version alone, so whoever moves ``current.json`` to a version (its writer, a writer that meets an orphan, the repair
sweep) writes the event *before* moving it, create-only: a version gets exactly one event, however writers race or
crash. The writer whose create succeeded also sends the event to the configured SQS queue or SNS topic, so a race
sends one message (every writer's event bytes are the same, so each create carries a one-off writer token: a create
refused only on a retry was ours when the stored event holds our token); a crash between the log write and the
send loses that message, never the log entry (a CMS that must not miss one pages the log; see docs/scaling.md).

A CMS pages the log with ``ListObjectsV2`` and ``StartAfter`` = the last key it read. An event is written when its
version becomes current, at most seconds after ``writtenAt`` (longer only when a crashed write is finished by a
later run): re-read the last hour on each poll and skip the (uri, version) pairs already seen.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ingest_plugin import log
from ingest_plugin.publishing.keys import KeyLayout
from ingest_plugin.publishing.s3io import Bucket, Put, Stored

WRITTEN_AT_METADATA = "written-at"  # when the version was built: the event's time, the same for every emitter
WRITER_METADATA = "writer"  # a token of the one create that wrote an event
Notify = Callable[[dict[str, Any]], None]


class ChangeLog:
    """Writes the one change event of each version that becomes current, and sends it on when configured."""

    def __init__(self, bucket: Bucket, keys: KeyLayout, notify: Notify | None = None) -> None:
        self.bucket = bucket
        self.keys = keys
        self.notify = notify

    def record(self, partner: str, article_key: str, version: Stored) -> bool:
        """The event of ``version`` (a stored ``v{N}.json``, metadata at least), written create-only; True when
        this call wrote it (and sent it on), False when it was there already."""
        event = _event(partner, article_key, version, self.keys.version(partner, article_key, version.version))
        key = self.keys.change(_moment(event["writtenAt"]), partner, article_key, version.version)
        token = uuid.uuid4().hex
        put = self.bucket.put(key, json.dumps(event, sort_keys=True).encode("utf-8"), if_none_match=True,
                              metadata={WRITER_METADATA: token})
        if put is Put.REFUSED or (put is Put.REFUSED_ON_RETRY and not self._wrote(key, token)):
            return False
        if self.notify is not None:
            try:
                self.notify(event)
            except Exception as exc:  # noqa: BLE001 - the version and its log entry stand; the send is a courtesy
                log.get_logger().error("change_event_not_sent", key=key, error=f"{type(exc).__name__}: {exc}")
        return True

    def _wrote(self, key: str, token: str) -> bool:
        """Whether the stored event is our own create whose reply was lost, not a racing writer's identical one."""
        stored = self.bucket.get(key, body=False)
        return stored is not None and stored.metadata.get(WRITER_METADATA) == token


def _event(partner: str, article_key: str, version: Stored, key: str) -> dict[str, Any]:
    metadata = version.metadata
    return {"uri": metadata.get("uri") or _uri(version), "version": version.version, "key": key, "partner": partner,
            "article_key": article_key, "pubStatus": version.pub_status or "usable",
            "versionCreated": (version.stamps or {}).get("versionCreated"),
            "content-sha256": version.content_hash, "writtenAt": _written_at(version)}


def _uri(version: Stored) -> str | None:
    return (version.json_object() or {}).get("uri")


def _written_at(version: Stored) -> str:
    """When the version was built (its metadata); for a version written before that was metadata, when S3 got it."""
    if value := version.metadata.get(WRITTEN_AT_METADATA):
        return value
    moment = version.last_modified or datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def sqs_notifier(client: Any, queue_url: str) -> Notify:
    """Send each event as one SQS message (the CMS's queue)."""
    def send(event: dict[str, Any]) -> None:
        client.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event, sort_keys=True))
    return send


def sns_notifier(client: Any, topic_arn: str) -> Notify:
    """Publish each event to an SNS topic, with the partner and pubStatus as attributes for subscription filters."""
    def publish(event: dict[str, Any]) -> None:
        client.publish(TopicArn=topic_arn, Message=json.dumps(event, sort_keys=True),
                       MessageAttributes={name: {"DataType": "String", "StringValue": str(event[name])}
                                          for name in ("partner", "pubStatus")})
    return publish
