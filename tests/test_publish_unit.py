"""Publishing rules that need no server: the content hash, version documents, keys, settings, run bookkeeping,
and the spool round trip."""
from __future__ import annotations

import hashlib
import json
import os
import time
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest

from ingest_plugin.errors import ErrorCode, IngestError
from ingest_plugin.ingest.jobs import Action, ItemSource, item_job
from ingest_plugin.ingest.payloads import SWEEP_GRACE_SECONDS
from ingest_plugin.ingest.spool import Spool
from ingest_plugin.parsing.model import ItemResult
from ingest_plugin.publishing import S3Settings, SettingsError
from ingest_plugin.publishing.content import content_hash, version_document
from ingest_plugin.publishing.keys import KeyLayout
from ingest_plugin.publishing.runs import merge_latest
from tests.conftest import make_document, make_item


def test_hash_ignores_volatile_fields_and_unicode_normal_form():
    doc = make_document(slugline="Caf\u00e9")
    same = {**doc, "version": "7", "versionCreated": "2030-01-01T00:00:00Z", "firstCreated": "2001-01-01T00:00:00Z",
            "edNote": "Update: …", "slugline": "Cafe\u0301"}  # fmt: skip
    assert content_hash(same) == content_hash(doc)
    assert content_hash(make_document(body="<p>Changed.</p>")) != content_hash(doc)
    assert content_hash({**doc, "pubStatus": "canceled"}) != content_hash(doc)


@pytest.mark.parametrize("text", ["line\n\u0301", 'quote"\u0301', "back\\\u0301", "\u212b", "e\u0323\u0301",
                                  "\u1100\u1161\u11a8", "plain"])
def test_hash_normalises_each_string_not_the_json_text(text):
    """NFC of each string, as documented; never of the JSON text, where "\\n" + U+0301 would compose into "\\ń"."""
    doc = make_document(slugline=text)
    stable = {k: v for k, v in doc.items() if k not in ("version", "versionCreated", "firstCreated", "edNote")}
    stable["slugline"] = unicodedata.normalize("NFC", text)
    canonical = json.dumps(stable, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert content_hash(doc) == hashlib.sha256(canonical.encode()).hexdigest()


def test_first_version_is_the_document_as_parsed():
    doc = make_document()
    assert version_document(doc, 1, None) == {**doc, "version": "1"}


def test_update_keeps_uri_and_first_created_and_says_so():
    v1 = version_document(make_document(), 1, None)
    changed = make_document(body="<p>New.</p>", firstCreated="2024-03-13T00:00:00Z", edNote="Partner content.")
    v2 = version_document(changed, 2, v1)
    assert v2["uri"] == v1["uri"] and v2["version"] == "2"
    assert v2["firstCreated"] == v1["firstCreated"]
    assert datetime.fromisoformat(v2["versionCreated"]) > datetime.fromisoformat(v1["versionCreated"])
    assert v2["edNote"].startswith("Update: version 2 replaces version 1") and v2["edNote"].endswith("Partner content.")


def test_update_keeps_the_partners_own_later_version_time():
    v1 = version_document(make_document(), 1, None)
    v2 = version_document(make_document(body="<p>New.</p>", versionCreated="2024-03-12T18:00:00+01:00"), 2, v1)
    assert v2["versionCreated"] == "2024-03-12T18:00:00+01:00"


def test_kill_and_forced_reissue_notes():
    v1 = version_document(make_document(), 1, None)
    assert version_document({**make_document(), "pubStatus": "canceled"}, 2, v1)["edNote"].startswith("Kill:")
    assert version_document(make_document(), 2, v1, forced=True)["edNote"].startswith("Re-issue:")


def test_key_layout():
    keys = KeyLayout("/feeds/")
    assert keys.version("zenger", "63809", 2) == "feeds/articles/zenger/63809/v2.json"
    assert keys.current("zenger", "63809") == "feeds/articles/zenger/63809/current.json"
    assert keys.failed("unknown", "ab12") == "feeds/failed/unknown/ab12/"
    assert KeyLayout().run("r1") == "runs/history/r1.json" and KeyLayout().latest_run() == "runs/latest.json"
    assert keys.latest_run("cron") == "feeds/runs/latest/cron.json" and keys.run_history() == "feeds/runs/history/"


@pytest.mark.parametrize("segment", ["", "..", "a/b", ".hidden", "x" * 201, "ü"])
def test_unsafe_key_segments_are_refused(segment):
    with pytest.raises(IngestError) as raised:
        KeyLayout().current("zenger", segment)
    assert raised.value.code is ErrorCode.PUBLISH_FAILED


def test_settings_from_environment():
    env = {"INGEST_S3_BUCKET": "news", "INGEST_S3_PREFIX": "/ingest/", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
           "AWS_DEFAULT_REGION": "eu-west-1", "INGEST_S3_MAX_ATTEMPTS": "3", "INGEST_SPOOL_DIR": "/tmp/s"}  # fmt: skip
    settings = S3Settings.from_env(env, max_attempts=5)
    assert (settings.bucket, settings.prefix, settings.endpoint_url, settings.region) == (
        "news", "ingest", "http://127.0.0.1:9", "eu-west-1")  # fmt: skip
    assert settings.max_attempts == 5 and settings.spool_dir == Path("/tmp/s")
    with pytest.raises(SettingsError, match="INGEST_S3_BUCKET"):
        S3Settings.from_env({})
    with pytest.raises(SettingsError, match="INGEST_S3_READ_TIMEOUT"):
        S3Settings.from_env({"INGEST_S3_BUCKET": "b", "INGEST_S3_READ_TIMEOUT": "soon"})


def _record(run_id: str, finished_at: str, ok: bool) -> dict:
    return {"run_id": run_id, "trigger": "cron", "started_at": finished_at, "finished_at": finished_at, "ok": ok,
            "counts": {}}  # fmt: skip


def test_latest_keeps_last_success_apart_from_last_attempt():
    latest = merge_latest({}, _record("a", "2024-01-01T00:00:00.000Z", ok=True))
    latest = merge_latest(latest, _record("b", "2024-01-02T00:00:00.000Z", ok=False))
    assert latest["last_attempt"]["run_id"] == "b" and latest["last_success"]["run_id"] == "a"
    late = merge_latest(latest, _record("old", "2023-12-31T00:00:00.000Z", ok=True))  # flushed late from a spool
    assert late == latest


def test_spool_round_trip_rewrites_one_file_per_job(tmp_path):
    spool = Spool(tmp_path)
    item = make_item(raw=b"\x00raw")
    first = spool.put_job(item_job(item, force=True), IngestError(ErrorCode.PUBLISH_FAILED, "down"))
    again = spool.put_job(item_job(item, force=True, attempt=2), IngestError(ErrorCode.PUBLISH_FAILED, "still down"))
    assert first == again and len(list(tmp_path.iterdir())) == 1
    (entry,) = spool.entries()
    job = spool.job(entry)  # published again by the next run, forced as it was asked
    assert job.source == ItemSource(item) and job.force and job.action is Action.INGEST
    assert entry.payload["failure"]["message"] == "still down"
    spool.remove(entry)
    assert list(spool.entries()) == []


def test_spooled_parse_failure_keeps_its_own_error(tmp_path):
    error = IngestError(ErrorCode.NOT_AN_ARTICLE, "no headline", input="page.html", stage="extract")
    item = ItemResult(input_name="page.html", raw=b"<p>", error=error)
    Spool(tmp_path).put_job(item_job(item), IngestError(ErrorCode.PUBLISH_FAILED, "down"))
    (entry,) = Spool(tmp_path).entries()
    assert Spool(tmp_path).job(entry).source.item.error.to_dict() == error.to_dict()


def test_a_large_spooled_payload_waits_beside_the_job_and_goes_once_nothing_needs_it(tmp_path):
    spool = Spool(tmp_path)
    raw = bytes(range(256)) * 2000  # 512,000 bytes: over the inline limit of a job
    spool.put_job(item_job(make_item(raw=raw)), IngestError(ErrorCode.PUBLISH_FAILED, "down"))
    (entry,) = spool.entries()
    assert len(entry.path.read_bytes()) < 10_000, "the payload must not travel inside the job"
    assert spool.job(entry).source.item.raw == raw
    (stored,) = (tmp_path / "payloads").iterdir()
    an_hour_ago = time.time() - SWEEP_GRACE_SECONDS - 1
    os.utime(stored, (an_hour_ago, an_hour_ago))
    assert spool.sweep_payloads() == 0, "a payload a job still needs was removed"
    spool.remove(entry)
    spool.put_job(item_job(make_item(raw=raw[::-1])), IngestError(ErrorCode.PUBLISH_FAILED, "down"))
    spool.remove(next(spool.entries()))  # its payload is unreferenced too, but fresh: perhaps being spooled now
    assert spool.sweep_payloads() == 1 and not stored.exists() and len(list((tmp_path / "payloads").iterdir())) == 1
