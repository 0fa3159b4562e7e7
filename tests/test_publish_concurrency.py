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

from ingest_plugin.ingest.jobs import item_job
from ingest_plugin.ingest.runs import run_jobs
from ingest_plugin.parsing.model import ItemResult
from ingest_plugin.parsing.pipeline import parse_items
from ingest_plugin.parsing.validate import validate_document
from ingest_plugin.publishing import Publisher, S3Settings, Status
from ingest_plugin.publishing.content import content_hash
from tests.conftest import ingest_one, job_handler

pytestmark = pytest.mark.s3
REPO = Path(__file__).resolve().parent.parent
WORKERS = 8


def _worker() -> None:
    """Child process: ingest the documents it is given, in one run, once released by the parent."""
    spec = json.loads(sys.stdin.readline())
    publisher = Publisher(S3Settings(**spec["settings"]), validate=validate_document)
    items = [ItemResult(input_name=spec["input"], raw=b"", document=document, partner=spec["partner"],
                        article_key=document["uri"].rsplit(":", 1)[-1]) for document in spec["documents"]]  # fmt: skip
    print("ready", flush=True)
    sys.stdin.readline()
    run = run_jobs(map(item_job, items), job_handler(publisher), keep_outcomes=True)
    print(json.dumps([outcome.to_dict() for outcome in run.outcomes]), flush=True)


def race(publisher: Publisher, item: ItemResult, runs: list[list[dict]]) -> list[list[dict]]:
    """One worker process per run of documents (articles of ``item``'s partner), all released together; returns
    the outcomes of each run."""
    settings = {"bucket": publisher.settings.bucket, "endpoint_url": publisher.settings.endpoint_url,
                "region": publisher.settings.region}  # fmt: skip
    code = "from tests.test_publish_concurrency import _worker; _worker()"
    workers = [subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=os.environ.copy(), text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE) for _ in runs]  # fmt: skip
    try:
        for worker, documents in zip(workers, runs, strict=True):
            spec = {"settings": settings, "documents": documents, "partner": item.partner, "input": item.input_name}
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
    outcomes = [run[0] for run in race(publisher, item, [[change]] * WORKERS)]
    assert versions(publisher, item) == ["current.json", "v1.json", "v2.json"]
    assert {o["status"] for o in outcomes} == {"unchanged", "updated"}
    # One writer wrote v2. A writer whose request went unanswered under load and was sent again finds v2 holding the
    # very bytes it sent: it cannot tell its own landed first try from another's, and counts v2 as its own
    # (recovered). Only such a writer may say "updated" besides the one.
    assert [o["status"] for o in outcomes if not o["recovered"]].count("updated") <= 1
    assert {o["version"] for o in outcomes} == {2}
    latest = current(publisher, item)
    assert latest["version"] == "2" and content_hash(latest) == content_hash(change)


def test_eight_processes_eight_different_changes_lose_no_update(article):
    publisher, item = article
    changes = [edited(item.document, f"Update number {n}.") for n in range(WORKERS)]
    outcomes = [run[0] for run in race(publisher, item, [[change] for change in changes])]
    assert {o["status"] for o in outcomes} == {"updated"}, outcomes  # first: a spooled or failed one says why
    assert sorted(o["version"] for o in outcomes) == list(range(2, WORKERS + 2))
    assert versions(publisher, item) == ["current.json"] + [f"v{n}.json" for n in range(1, WORKERS + 2)]
    stored = {content_hash(json.loads(publisher.client.get_object(
        Bucket=publisher.settings.bucket, Key=f"articles/zenger/{item.article_key}/v{n}.json")["Body"].read()))
        for n in range(2, WORKERS + 2)}  # fmt: skip
    assert stored == {content_hash(c) for c in changes}
    assert current(publisher, item)["version"] == str(WORKERS + 1)


def test_overlapping_runs_of_the_same_new_articles_write_each_once(article):
    """Four runs of the same 24 new articles at once, from four starting points, two forwards and two backwards:
    past the first few each run writes without reading first (presumed new) until it meets articles another run
    has written. Each article still ends with exactly one version, created once."""
    publisher, item = article
    burst = [{**item.document, "uri": f"{item.document['uri']}-{n}"} for n in range(24)]
    turned = burst[12:] + burst[:12]
    runs = race(publisher, item, [burst, burst[::-1], turned, turned[::-1]])
    for document in burst:
        key = document["uri"].rsplit(":", 1)[-1]
        outcomes = [o for run in runs for o in run if o["article_key"] == key]
        assert sorted(o["status"] for o in outcomes) == ["created"] + ["unchanged"] * 3, outcomes
        assert {o["version"] for o in outcomes} == {1}
        prefix = f"articles/{item.partner}/{key}/"
        listing = publisher.client.list_objects_v2(Bucket=publisher.settings.bucket, Prefix=prefix)
        assert sorted(o["Key"][len(prefix):] for o in listing["Contents"]) == ["current.json", "v1.json"]
        assert publisher.bucket.get(f"{prefix}current.json").content_hash == content_hash(document)
