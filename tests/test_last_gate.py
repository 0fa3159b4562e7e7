"""Validation is the last gate for every writer (issue #16: 9): the ``publish`` command, spool flushes and replays
of failed/ all write through ``ArticleStore.publish``, which validates the very document it is about to write.
A hand-edited document with a ``<script>``, an ``onerror``, a ``javascript:`` or quoted URL, or a canonical URL on
another partner's host is refused with ``invalid_document`` and nothing is written under ``articles/``. Against a
real local S3 server (SeaweedFS)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ingest_plugin import ErrorCode, IngestError, parse
from ingest_plugin.entrypoints.cli import main
from ingest_plugin.ingest.jobs import DocumentSource, FailedSource, IngestJob, item_job
from ingest_plugin.ingest.runs import flush_spool
from ingest_plugin.parsing.validate import validate_document
from ingest_plugin.partners.identity import Identity
from ingest_plugin.publishing import Status
from ingest_plugin.publishing.articles import PRESUME_NEW_AFTER
from tests.conftest import ingest_one, job_handler, make_item

pytestmark = pytest.mark.s3
PAGE = Path(__file__).parent / "fixtures" / "pages" / "zenger-blinken.html"
BENZINGA_URL = "https://www.benzinga.com/news/24/03/37654321/congress-passes-spending-bill"


def _picture(doc):
    return next(a for a in doc["associations"] if a["type"] == "picture")


EDITS = {
    "script": lambda d: d["bodies"][0].update(value=d["bodies"][0]["value"] + "<script>alert(1)</script>"),
    "onerror": lambda d: d["bodies"][0].update(value=d["bodies"][0]["value"] + '<p><img src=x onerror="alert(1)"></p>'),
    "javascript-picture": lambda d: _picture(d)["renditions"][0].update(href="javascript:alert(1)"),
    "quoted-picture": lambda d: _picture(d)["renditions"][0].update(href='https://wpcdn.zenger.news/a.jpg" x="'),
    "spaced-alt-id": lambda d: d["altIds"][1].update(value="https://www.zenger.news/a b/"),
    "javascript-alt-id": lambda d: d["altIds"].append({"role": "zenger-article-id", "value": "javascript:alert(1)"}),
    "canonical-of-benzinga": lambda d: d["altIds"][1].update(value=BENZINGA_URL),
}


@pytest.fixture(scope="module")
def document():
    [doc] = parse(PAGE.read_bytes())
    assert doc["altIds"][1]["role"] == "canonical-url"
    return doc


def _edited(document, n, name):
    """The document, hand-edited, as its own article (``uri`` ending in ``n``)."""
    doc = copy.deepcopy(document)
    EDITS[name](doc)
    doc["uri"] = f"urn:newsml:zenger.news:{900000 + n}"
    return doc


def _article_keys(publisher):
    listing = publisher.client.list_objects_v2(Bucket=publisher.settings.bucket, Prefix="articles/")
    return sorted(o["Key"] for o in listing.get("Contents", []))


def test_the_publish_command_refuses_hand_edited_documents(document, seaweedfs, make_publisher, tmp_path, monkeypatch,
                                                           capsys, in_process_cli):
    publisher = make_publisher(seaweedfs.endpoint_url)
    docs = tmp_path / "docs.jsonl"
    edited = [_edited(document, n, name) for n, name in enumerate(EDITS)]
    docs.write_text("".join(json.dumps(d) + "\n" for d in [document, *edited]))
    for name, value in {"INGEST_S3_BUCKET": publisher.settings.bucket, "AWS_ENDPOINT_URL": seaweedfs.endpoint_url,
                        "INGEST_SPOOL_DIR": str(tmp_path / "spool")}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    status = main(["publish", str(docs)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()][:-1]  # the last: the run's line
    assert status == 1
    assert [(line["status"], (line["error"] or {}).get("code")) for line in lines] == (
        [("created", None)] + [("failed", "invalid_document")] * len(EDITS))
    assert _article_keys(publisher) == ["articles/zenger/84217/current.json", "articles/zenger/84217/v1.json"]
    failed = [publisher.failed.get(line["key"]) for line in lines[1:]]
    assert all(entry is not None and entry.partner == "zenger" for entry in failed)


def test_a_dry_run_of_a_hand_edited_document_would_fail(document, seaweedfs, make_publisher):
    publisher = make_publisher(seaweedfs.endpoint_url, validate=validate_document)
    outcome = ingest_one(make_item(_edited(document, 0, "script")), publisher, dry_run=True)
    assert outcome.status is Status.FAILED and outcome.error.code is ErrorCode.INVALID_DOCUMENT
    assert _article_keys(publisher) == []


def test_a_spooled_hand_edited_document_is_refused_when_the_spool_is_flushed(document, seaweedfs, make_publisher):
    """Even on the presumed-new path, which writes without reading first (after a run of new articles)."""
    publisher = make_publisher(seaweedfs.endpoint_url, validate=validate_document)
    handler = job_handler(publisher)
    for n in range(PRESUME_NEW_AFTER):  # new articles in a row: the next write presumes a new article too
        good = {**copy.deepcopy(document), "uri": f"urn:newsml:zenger.news:{800000 + n}"}
        assert ingest_one(make_item(good), publisher).status is Status.CREATED
    before = _article_keys(publisher)
    bad = make_item(_edited(document, 1, "onerror"))
    handler.spool.put_job(item_job(bad), IngestError(ErrorCode.PUBLISH_FAILED, "S3 was down", stage="publish"))
    [outcome] = flush_spool(handler, run_id="flush")
    assert outcome.status is Status.FAILED and outcome.error.code is ErrorCode.INVALID_DOCUMENT
    assert _article_keys(publisher) == before and list(handler.spool.entries()) == []


def test_a_replayed_failure_is_validated_again(document, seaweedfs, make_publisher):
    """A hand-edited document ``publish`` kept under failed/ and replayed: published again as the document it is
    (not parsed as partner content), it is refused again for what is wrong with it and never becomes an article."""
    publisher = make_publisher(seaweedfs.endpoint_url, validate=validate_document)
    handler = job_handler(publisher)
    doc = _edited(document, 2, "canonical-of-benzinga")
    identity = Identity.of_uri(doc["uri"])
    item = make_item(doc, raw=json.dumps(doc).encode(), article_key=identity.article_key)
    [first] = handler(IngestJob(DocumentSource(item)))
    assert first.status is Status.FAILED and first.error.code is ErrorCode.INVALID_DOCUMENT
    [replayed] = handler(IngestJob(FailedSource(first.key), trigger="reingest"))
    assert (replayed.status, replayed.error.code) == (Status.FAILED, ErrorCode.INVALID_DOCUMENT)
    assert replayed.error.message == first.error.message and _article_keys(publisher) == []
