"""The unit of work: one ingest job.

A job says *what* to ingest (a URL, a partner's article id, a raw payload, an item already parsed, a ninjs document, a
``failed/`` entry), the action (ingest or cancel), whether to force a new version, the trigger that made it and the
attempt.
Triggers only make jobs; runners only move them (in process, through the webhook's journal, later a remote queue);
:mod:`.handler` runs them. A job is frozen and JSON-serialisable, and its JSON carries :data:`JOB_SCHEMA`, so a
release reads the jobs the release before it wrote (spool files, journal entries, ``failed/`` records, queue
messages). A raw payload bigger than :data:`INLINE_PAYLOAD_LIMIT` is written once to a :class:`PayloadStore` and
the job holds its reference (a claim check), so that every job fits in a queue message (SQS takes 256 KiB).
"""
from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from ingest_plugin.errors import IngestError
from ingest_plugin.parsing.model import ItemResult

JOB_SCHEMA = 1
# What a job may carry itself: its raw payload and its document (an item's) up to 100 KiB each once encoded,
# so that the whole job stays under about 200 KiB, and under SQS's 256 KiB per message. Larger ones go to the
# payload store.
INLINE_PAYLOAD_LIMIT = 200 * 1024
_INLINE_PART_LIMIT = INLINE_PAYLOAD_LIMIT // 2


class Action(StrEnum):
    INGEST = "ingest"  # a killed article stays killed
    CANCEL = "cancel"  # publish a kill (pubStatus canceled) of what was published
    REINSTATE = "reinstate"  # an editor's explicit act: publish a killed article again


class PayloadStore(Protocol):
    """Where raw payloads too big for a job wait, named by a reference the job carries (a claim check)."""

    def put(self, data: bytes) -> str:
        """Store ``data`` (idempotent: the same bytes give the same reference); return its reference."""
        ...

    def get(self, ref: str) -> bytes:
        """The bytes stored under ``ref``; a coded error naming it when they are gone."""
        ...


@dataclass(frozen=True)
class Payload:
    """Raw bytes: held in the job (``data``) or stored in a :class:`PayloadStore` under ``ref``."""

    data: bytes | None = None
    ref: str | None = None

    def read(self, store: PayloadStore | None) -> bytes:
        if self.data is not None:
            return self.data
        if self.ref is None:
            return b""
        if store is None:
            raise ValueError(f"payload {self.ref} is stored outside the job, and no payload store was given")
        return store.get(self.ref)

    def to_dict(self, store: PayloadStore | None) -> dict[str, str]:
        if self.data is None:
            return {"ref": self.ref} if self.ref else {"inline": ""}
        encoded = base64.b64encode(self.data).decode("ascii")
        if store is not None and len(encoded) > _INLINE_PART_LIMIT:
            return {"ref": store.put(self.data)}
        return {"inline": encoded}

    @classmethod
    def from_dict(cls, data: Any) -> Payload:
        data = _object(data, "a payload")
        if "ref" in data:
            return cls(ref=_reference(data["ref"]))
        return cls(data=base64.b64decode(data.get("inline", "")))


@dataclass(frozen=True)
class UrlSource:
    """A page or feed to fetch under the partner's policy (the partner is found from the URL's host if unset)."""

    url: str
    partner: str | None = None
    # When the feed item that listed the page was published (RFC 3339): the date of a page that states none.
    published: str | None = None
    kind = "url"

    @property
    def name(self) -> str:
        return self.url


@dataclass(frozen=True)
class ArticleSource:
    """An article named by its partner id: fetched from the partner's ``article_url`` template or from the
    canonical URL of the version published before; a cancel needs no fetch, only that version."""

    partner: str
    article_id: str
    kind = "article"

    @property
    def name(self) -> str:
        return f"{self.partner}/{self.article_id}"


@dataclass(frozen=True)
class PayloadSource:
    """Partner content already in hand (a file, a request body): parsed by the handler."""

    name: str
    payload: Payload
    source_url: str | None = None
    kind = "payload"


@dataclass(frozen=True)
class ItemSource:
    """One item parsed before the job was made (a feed item, a line of ``parse`` output, a spooled item): its
    document, or the coded error its parse gave, which the handler records under ``failed/``."""

    item: ItemResult
    kind = "item"

    @property
    def name(self) -> str:
        return self.item.input_name


@dataclass(frozen=True)
class DocumentSource(ItemSource):
    """A ninjs document already parsed (a line for ``publish``), its item's raw payload that document's JSON: its own
    kind, so that a ``failed/`` record of it is replayed as a publish of that document, not parsed as partner
    content."""

    kind = "document"


@dataclass(frozen=True)
class FailedSource:
    """An entry of ``failed/`` (its ``error.json`` key), replayed; removed once it succeeds."""

    record_key: str
    kind = "failed"

    @property
    def name(self) -> str:
        return self.record_key


Source = UrlSource | ArticleSource | PayloadSource | ItemSource | DocumentSource | FailedSource


def new_job_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class IngestJob:
    source: Source
    action: Action = Action.INGEST
    force: bool = False
    trigger: str = "manual"
    attempt: int = 1
    job_id: str = field(default_factory=new_job_id)
    request_id: str | None = None  # the id of the request that made the job (a webhook-id), for logs and dedupe

    @property
    def name(self) -> str:
        """What logs and outcomes call the job's input."""
        return self.source.name

    @property
    def cancel(self) -> bool:
        return self.action is Action.CANCEL

    @property
    def reinstate(self) -> bool:
        return self.action is Action.REINSTATE

    def to_dict(self, payloads: PayloadStore | None = None) -> dict[str, Any]:
        """The job as JSON-ready data; with ``payloads``, a large raw payload is stored there and referenced."""
        return {**self._header(), "source": _source_to_dict(self.source, payloads)}

    def summary(self) -> dict[str, Any]:
        """:meth:`to_dict` without raw payloads or documents (a payload or item source shows only its kind and
        name): what a ``failed/`` record keeps, beside the raw payload it stores once."""
        if isinstance(self.source, (PayloadSource, ItemSource)):
            return {**self._header(), "source": {"kind": self.source.kind, "name": self.source.name}}
        return self.to_dict()

    def _header(self) -> dict[str, Any]:
        return {"schema": JOB_SCHEMA, "job_id": self.job_id, "action": str(self.action), "force": self.force,
                "trigger": self.trigger, "attempt": self.attempt, "request_id": self.request_id}

    @classmethod
    def from_dict(cls, data: Any, payloads: PayloadStore | None = None) -> IngestJob:
        """A job from :meth:`to_dict` (``payloads`` resolves an item's stored raw payload), or from what release
        0.1.0 wrote: a webhook journal entry (``{job_id, webhook_id, payload}``). Data of another shape (edited by
        hand, sent by another producer) raises ValueError, KeyError or TypeError: what every reader reports as an
        unreadable job."""
        data = _object(data, "a job")
        if "schema" not in data and "webhook_id" in data:
            return from_webhook_payload(_object(data["payload"], "a webhook payload"), job_id=data["job_id"],
                                        request_id=data["webhook_id"])
        if int(data["schema"]) > JOB_SCHEMA:
            raise ValueError(f"job schema {data['schema']} is newer than this release reads ({JOB_SCHEMA})")
        return cls(source=_source_from_dict(data["source"], payloads), action=Action(data["action"]),
                   force=bool(data["force"]), trigger=str(data["trigger"]), attempt=int(data["attempt"]),
                   job_id=str(data["job_id"]), request_id=data.get("request_id"))


def from_webhook_payload(payload: Mapping[str, Any], *, job_id: str | None = None,
                         request_id: str | None = None) -> IngestJob:
    """The job a thin webhook payload asks for: ``{partner, url | id, action?, force?}`` (already validated)."""
    source: Source = (UrlSource(payload["url"], payload["partner"]) if "url" in payload
                      else ArticleSource(payload["partner"], payload["id"]))
    return IngestJob(source, action=Action(payload.get("action", "ingest")), force=bool(payload.get("force")),
                     trigger="webhook", job_id=job_id or new_job_id(), request_id=request_id)


def item_job(item: ItemResult, *, action: Action = Action.INGEST, force: bool = False, trigger: str = "manual",
             attempt: int = 1) -> IngestJob:
    """A job for one item already parsed (see :class:`ItemSource`)."""
    return IngestJob(ItemSource(item), action=action, force=force, trigger=trigger, attempt=attempt)


def _source_to_dict(source: Source, payloads: PayloadStore | None) -> dict[str, Any]:
    if isinstance(source, UrlSource):
        return {"kind": source.kind, "url": source.url, "partner": source.partner,
                **({"published": source.published} if source.published else {})}
    if isinstance(source, ArticleSource):
        return {"kind": source.kind, "partner": source.partner, "article_id": source.article_id}
    if isinstance(source, PayloadSource):
        return {"kind": source.kind, "name": source.name, "payload": source.payload.to_dict(payloads),
                "source_url": source.source_url}
    if isinstance(source, ItemSource):
        return {"kind": source.kind, **item_to_dict(source.item, payloads)}
    return {"kind": source.kind, "record_key": source.record_key}


def _source_from_dict(data: Any, payloads: PayloadStore | None) -> Source:
    data = _object(data, "a job's source")
    kind = data["kind"]
    if kind == UrlSource.kind:
        return UrlSource(data["url"], data.get("partner"), data.get("published"))
    if kind == ArticleSource.kind:
        return ArticleSource(data["partner"], data["article_id"])
    if kind == PayloadSource.kind:
        return PayloadSource(data["name"], Payload.from_dict(data["payload"]), data.get("source_url"))
    if kind == ItemSource.kind:
        return ItemSource(item_from_dict(data, payloads))
    if kind == DocumentSource.kind:
        return DocumentSource(item_from_dict(data, payloads))
    if kind == FailedSource.kind:
        return FailedSource(data["record_key"])
    raise ValueError(f"unknown job source kind {kind!r}")


def item_to_dict(item: ItemResult, payloads: PayloadStore | None = None) -> dict[str, Any]:
    """An item as JSON-ready data; the raw payload as in :meth:`Payload.to_dict`, and so is a large document."""
    data = {"input_name": item.input_name, "raw": Payload(item.raw).to_dict(payloads), "document": item.document,
            "error": item.error.to_dict() if item.error else None, "partner": item.partner,
            "article_key": item.article_key, "source_url": item.source_url}
    # Measured as a message carries it (ASCII, "\uXXXX" escapes: twice the UTF-8 of CJK text), stored as UTF-8.
    if payloads is not None and item.document is not None and len(json.dumps(item.document)) > _INLINE_PART_LIMIT:
        data["document"] = None
        data["document_ref"] = payloads.put(json.dumps(item.document, ensure_ascii=False).encode("utf-8"))
    return data


def item_from_dict(data: Any, payloads: PayloadStore | None = None) -> ItemResult:
    """An item from :func:`item_to_dict`, or from release 0.1.0's spool (``raw`` as a bare base64 string)."""
    data = _object(data, "an item")
    raw = data["raw"]
    payload = Payload(base64.b64decode(raw)) if isinstance(raw, str) else Payload.from_dict(raw)
    document = data["document"]
    if data.get("document_ref"):
        document = json.loads(Payload(ref=_reference(data["document_ref"])).read(payloads))
    return ItemResult(input_name=data["input_name"], raw=payload.read(payloads), document=document,
                      error=IngestError.from_dict(_object(data["error"], "an item's error")) if data["error"] else None,
                      partner=data["partner"], article_key=data["article_key"], source_url=data["source_url"])


def _object(value: Any, what: str) -> dict[str, Any]:
    """``value`` if it is a JSON object. A stored job is read back from files and messages anyone may have written,
    so each object in it is checked where it is decoded, and any other shape is a ValueError its reader reports."""
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not a JSON object but {type(value).__name__}")
    return value


def _reference(value: Any) -> str:
    """A payload store's reference, as :meth:`PayloadStore.put` returned it (a string)."""
    if not isinstance(value, str):
        raise ValueError(f"a payload reference is not a string but {type(value).__name__}")
    return value
