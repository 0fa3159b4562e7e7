"""Shared fixtures: real local S3 servers on 127.0.0.1 (SeaweedFS and moto), one fresh bucket per test.

Servers start once per session, and only when a test asks for one. The publishing tests run against both
servers where their answers differ (``If-Match`` on a missing key: SeaweedFS 412, moto/AWS 404).
"""
from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import structlog

from ingest_plugin.config import load_config
from ingest_plugin.ingest.handler import JobHandler, Outcome
from ingest_plugin.ingest.inputs import InputName, file_jobs
from ingest_plugin.ingest.jobs import Action, item_job
from ingest_plugin.ingest.runs import RunSummary, run_jobs
from ingest_plugin.parsing.model import ItemResult
from ingest_plugin.publishing import Publisher, S3Settings, ensure_bucket
from ingest_plugin.testing.local_s3 import ACCESS_KEY, REGION, SECRET_KEY, MotoS3, SeaweedFS
from ingest_plugin.testing.local_sqs import LocalSQS


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    with SeaweedFS(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture(scope="session")
def local_sqs() -> Iterator[LocalSQS]:
    """``moto_server`` in its own process on 127.0.0.1, for SQS and SNS; each test makes its own queues."""
    with LocalSQS() as server:
        yield server


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoS3]:
    with MotoS3() as server:
        yield server


@pytest.fixture(params=["seaweedfs", "moto"])
def s3_server(request: pytest.FixtureRequest) -> SeaweedFS | MotoS3:
    """Each test using this runs twice: against SeaweedFS and against moto."""
    return request.getfixturevalue("seaweedfs" if request.param == "seaweedfs" else "moto_s3")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test credentials only: no profile, config file or real endpoint from the developer's environment leaks in."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "INGEST_S3_BUCKET",
                 "INGEST_S3_PREFIX", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


# A stored job (a journal file, a spool entry, a queue message) whose raw payload is a string where the code writes
# {"inline" | "ref": …}: what a hand edit or another producer may leave. Every reader must report it unreadable.
JOB_PAYLOAD_NOT_AN_OBJECT = {"schema": 1, "job_id": "5af9a7f0b56241759a58dd21c99fe512", "action": "ingest",
                             "force": False, "trigger": "webhook", "attempt": 1, "request_id": "msg_1",
                             "source": {"kind": "payload", "name": "body.json", "payload": "PGh0bWw+"}}


def minimal_validate(document: dict[str, Any]) -> None:
    """Stand-in validator for hand-made documents: the few rules publishing itself relies on."""
    assert document["uri"] and isinstance(document["version"], str), document
    assert document.get("pubStatus", "usable") in ("usable", "withheld", "canceled"), document


@pytest.fixture
def make_publisher(aws_env: None, tmp_path: Path) -> Callable[..., Publisher]:
    """``make_publisher(endpoint_url, bucket=None, change_log=False, **settings)``: a publisher on a new (or the
    given) bucket."""

    def make(endpoint_url: str, bucket: str | None = None, *, validate: Any = minimal_validate,
             change_log: bool = False, **overrides: Any) -> Publisher:  # fmt: skip
        settings = S3Settings(
            bucket=bucket or f"t-{uuid.uuid4().hex[:16]}",
            endpoint_url=endpoint_url,
            region=REGION,
            spool_dir=overrides.pop("spool_dir", tmp_path / "spool"),
            **overrides,
        )
        publisher = Publisher(settings, validate=validate, change_log=change_log)
        if bucket is None:
            ensure_bucket(publisher.client, settings)
        return publisher

    return make


@pytest.fixture
def publisher(s3_server: SeaweedFS | MotoS3, make_publisher: Callable[..., Publisher]) -> Publisher:
    """A publisher on a fresh bucket of each server in turn."""
    return make_publisher(s3_server.endpoint_url)


def make_document(number: int = 1, body: str = "<p>First text.</p>", **fields: Any) -> dict[str, Any]:
    """A small hand-made ninjs document (as the parser would hand it over: version "1")."""
    return {
        "uri": f"urn:newsml:zenger.news:{number}",
        "version": "1",
        "versionCreated": "2024-03-12T16:40:00Z",
        "firstCreated": "2024-03-12T16:00:00Z",
        "pubStatus": "usable",
        "headlines": [{"role": "main", "value": f"Story {number}"}],
        "bodies": [{"role": "main", "contentType": "text/html", "value": body}],
        **fields,
    }


def make_item(document: dict[str, Any] | None = None, *, raw: bytes = b"<html>raw</html>",
              **fields: Any) -> ItemResult:  # fmt: skip
    """An ItemResult for ``document`` (default: :func:`make_document`), as ``parse_items`` would yield it."""
    document = document or make_document()
    values: dict[str, Any] = {"partner": "zenger", "article_key": document["uri"].rsplit(":", 1)[-1],
                              "source_url": "https://www.zenger.news/story/"}  # fmt: skip
    values.update(fields)
    return ItemResult(input_name=values.pop("input_name", "story.html"), raw=raw, document=document, **values)


def snapshot(publisher: Publisher, prefix: str = "articles/") -> dict[str, tuple[str, Any]]:
    """Key -> (ETag, LastModified) of every object under ``prefix``: equal snapshots mean nothing was written."""
    listing = publisher.client.list_objects_v2(Bucket=publisher.settings.bucket, Prefix=prefix)
    return {o["Key"]: (o["ETag"], o["LastModified"]) for o in listing.get("Contents", [])}


def get_json(publisher: Publisher, key: str) -> Any:
    return json.loads(publisher.client.get_object(Bucket=publisher.settings.bucket, Key=key)["Body"].read())


def job_handler(publisher: Publisher) -> JobHandler:
    """The handler every trigger uses, with the default configuration, on ``publisher``."""
    return JobHandler(load_config(environ={}), publisher)


def ingest_one(item: ItemResult, publisher: Publisher, *, force: bool = False, cancel: bool = False,
               dry_run: bool = False) -> Outcome:
    """One parsed item through the job handler, as a trigger's job for it would run."""
    job = item_job(item, action=Action.CANCEL if cancel else Action.INGEST, force=force)
    (outcome,) = job_handler(publisher)(job, dry_run=dry_run)
    return outcome


def ingest_files(paths: list[InputName], publisher: Publisher, **run_options: Any) -> RunSummary:
    """The ``ingest`` command's run over ``paths`` (``run_options``: those of :func:`run_jobs`)."""
    return run_jobs(file_jobs(paths), job_handler(publisher), **run_options)


@contextmanager
def logging_as_it_was() -> Iterator[None]:
    """Whatever the block does to structlog's configuration (``log.configure`` onto a captured stream, a level
    filter for capture_logs), the next test finds it as it was: configured the same way, or not configured at all,
    so that the plugin configures itself onto stderr again. Log context bound in the block is dropped too."""
    was_configured, saved = structlog.is_configured(), structlog.get_config()
    try:
        yield
    finally:
        if was_configured:
            structlog.configure(**saved)
        else:
            structlog.reset_defaults()
        structlog.contextvars.clear_contextvars()


@pytest.fixture
def in_process_cli() -> Iterator[None]:
    """For tests that call ``ingest_plugin.entrypoints.cli.main`` in this process: it configures logging onto the
    stream stderr is now (a capture that closes after the test)."""
    with logging_as_it_was():
        yield


@pytest.fixture
def request_counter() -> Callable[[Any], "RequestCounter"]:
    """``request_counter(client)`` starts counting that client's HTTP requests."""
    return RequestCounter


class RequestCounter:
    """Counts the HTTP requests a boto3 client sends (retries included), per method and key."""

    def __init__(self, client: Any) -> None:
        self.sent: Counter[tuple[str, str]] = Counter()
        client.meta.events.register("before-send.s3", self._count)

    def _count(self, request: Any, **_: Any) -> None:
        path = request.url.split("?", 1)[0].split("/", 4)[-1]  # http://host/bucket/KEY -> KEY
        self.sent[(request.method, path)] += 1

    def total(self, method: str | None = None) -> int:
        return sum(n for (m, _), n in self.sent.items() if method in (None, m))
