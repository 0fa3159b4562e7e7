"""Overlapping runs: 8 processes ingest the same article at the same moment, against a real server.

Each worker process builds its publisher, reports ready, and waits on stdin; the test releases all of them at
once, so they read the same ``current.json`` and race for the same ``v2.json``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest_plugin.core import ingest_one
from ingest_plugin.model import ItemResult
from ingest_plugin.pipeline import parse_items
from ingest_plugin.publish import Publisher, S3Settings, Status
from ingest_plugin.publish.content import content_hash
from ingest_plugin.validate import validate_document

pytestmark = pytest.mark.s3
REPO = Path(__file__).resolve().parent.parent
WORKERS = 8


def _worker() -> None:
    """Child process: one ingest_one call, released by the parent."""
    spec = json.loads(sys.stdin.readline())
    publisher = Publisher(S3Settings(**spec["settings"]), validate=validate_document)
    item = ItemResult(input_name=spec["input"], raw=b"", document=spec["document"], partner=spec["partner"],
                      article_key=spec["article_key"])  # fmt: skip
    print("ready", flush=True)
    sys.stdin.readline()
    print(json.dumps(ingest_one(item, publisher).to_dict()), flush=True)


def race(publisher: Publisher, item: ItemResult, documents: list[dict]) -> list[dict]:
    """Run one worker per document, all released together; returns their outcomes."""
    settings = {"bucket": publisher.settings.bucket, "endpoint_url": publisher.settings.endpoint_url,
                "region": publisher.settings.region}  # fmt: skip
    code = "from tests.test_publish_concurrency import _worker; _worker()"
    workers = [subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=os.environ.copy(), text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE) for _ in documents]  # fmt: skip
    try:
        for worker, document in zip(workers, documents, strict=True):
            spec = {"settings": settings, "document": document, "partner": item.partner,
                    "article_key": item.article_key, "input": item.input_name}  # fmt: skip
            worker.stdin.write(json.dumps(spec) + "\n")
            worker.stdin.flush()
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        return [json.loads(worker.communicate(timeout=60)[0]) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()


@pytest.fixture
def article(make_publisher, s3_server):
    """A fresh bucket holding v1 of the sample Zenger article."""
    publisher = make_publisher(s3_server.endpoint_url, validate=validate_document)
    data = (REPO / "samples" / "zenger-article.html").read_bytes()
    (item,) = parse_items(data, input_name="zenger-article.html")
    assert ingest_one(item, publisher).status is Status.CREATED
    return publisher, item


def versions(publisher: Publisher, item: ItemResult) -> list[str]:
    prefix = f"articles/{item.partner}/{item.article_key}/"
    listing = publisher.client.list_objects_v2(Bucket=publisher.settings.bucket, Prefix=prefix)
    return sorted(o["Key"][len(prefix):] for o in listing.get("Contents", []))


def current(publisher: Publisher, item: ItemResult) -> dict:
    key = f"articles/{item.partner}/{item.article_key}/current.json"
    return json.loads(publisher.client.get_object(Bucket=publisher.settings.bucket, Key=key)["Body"].read())


def edited(document: dict, text: str) -> dict:
    body = document["bodies"][0]
    return {**document, "bodies": [{**body, "value": body["value"] + f"<p>{text}</p>"}, *document["bodies"][1:]]}


def test_eight_processes_one_changed_article_make_exactly_one_v2(article):
    publisher, item = article
    change = edited(item.document, "Correction: the herd counts were revised.")
    outcomes = race(publisher, item, [change] * WORKERS)
    assert versions(publisher, item) == ["current.json", "v1.json", "v2.json"]
    assert sorted(o["status"] for o in outcomes) == ["unchanged"] * (WORKERS - 1) + ["updated"]
    assert {o["version"] for o in outcomes} == {2}
    latest = current(publisher, item)
    assert latest["version"] == "2" and content_hash(latest) == content_hash(change)


def test_eight_processes_eight_different_changes_lose_no_update(article):
    publisher, item = article
    changes = [edited(item.document, f"Update number {n}.") for n in range(WORKERS)]
    outcomes = race(publisher, item, changes)
    assert versions(publisher, item) == ["current.json"] + [f"v{n}.json" for n in range(1, WORKERS + 2)]
    assert sorted(o["version"] for o in outcomes) == list(range(2, WORKERS + 2))
    assert {o["status"] for o in outcomes} == {"updated"}
    stored = {content_hash(json.loads(publisher.client.get_object(
        Bucket=publisher.settings.bucket, Key=f"articles/zenger/{item.article_key}/v{n}.json")["Body"].read()))
        for n in range(2, WORKERS + 2)}  # fmt: skip
    assert stored == {content_hash(c) for c in changes}
    assert current(publisher, item)["version"] == str(WORKERS + 1)
