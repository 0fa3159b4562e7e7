"""Run records: one latest record per trigger, history under its own prefix, and the lifecycle rule that expires
the history and nothing else (deploy/s3/lifecycle.json), checked against every key the code writes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest_plugin.entrypoints.webhook.dedupe import S3Dedupe
from ingest_plugin.errors import ErrorCode, IngestError
from ingest_plugin.ingest.jobs import Action, item_job
from ingest_plugin.ingest.payloads import S3Payloads
from ingest_plugin.ingest.runs import run_jobs
from ingest_plugin.publishing.keys import KeyLayout
from tests.conftest import job_handler, make_document, make_item

pytestmark = pytest.mark.s3
REPO = Path(__file__).resolve().parent.parent
LIFECYCLE = json.loads((REPO / "deploy" / "s3" / "lifecycle.json").read_text())


def all_keys(publisher) -> list[str]:
    pages = publisher.client.get_paginator("list_objects_v2").paginate(Bucket=publisher.settings.bucket)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def test_a_manual_success_does_not_hide_a_failing_cron(publisher) -> None:
    handler = job_handler(publisher)
    failing = item_job(make_item(raw=b"<p>").failed(IngestError(ErrorCode.NOT_AN_ARTICLE, "no headline")))
    cron = run_jobs([failing], handler, trigger="cron")
    manual = run_jobs([item_job(make_item())], handler, trigger="manual")
    assert not cron.ok and manual.ok
    latest_cron = publisher.bucket.get("runs/latest/cron.json").json()
    assert latest_cron["last_attempt"]["run_id"] == cron.run_id and "last_success" not in latest_cron
    assert publisher.bucket.get("runs/latest/manual.json").json()["last_success"]["run_id"] == manual.run_id
    anything = publisher.bucket.get("runs/latest.json").json()
    assert anything["last_attempt"]["run_id"] == manual.run_id
    history = publisher.bucket.get(f"runs/history/{cron.run_id}.json").json()
    assert history["ok"] is False and history["by_code"] == {"not_an_article": 1}
    assert history["by_partner"] == {"zenger": {"failed": 1}}


def test_the_lifecycle_rules_expire_run_history_and_dedupe_records_and_nothing_else(make_publisher, moto_s3) -> None:
    publisher = make_publisher(moto_s3.endpoint_url)
    handler = job_handler(publisher)
    broken = item_job(make_item(make_document(2)).failed(IngestError(ErrorCode.INVALID_DOCUMENT, "bad")))
    for trigger in ("cron", "webhook", "reingest", "manual"):
        run_jobs([item_job(make_item()), broken, item_job(make_item(), action=Action.CANCEL)], handler,
                 trigger=trigger)
    publisher.bucket.update_json("cursors/zenger.json", lambda cursor: {"seen": {}})
    S3Dedupe(publisher.bucket, KeyLayout().webhook_dedupe).claim("msg_1", "job-1")
    payload = S3Payloads(publisher).put(b"a queued job's raw payload")
    keys = all_keys(publisher)
    expired = {rule["ID"]: {key for key in keys if key.startswith(rule["Filter"]["Prefix"])}
               for rule in LIFECYCLE["Rules"]}
    assert expired == {"ingest-plugin-run-history": {key for key in keys if key.startswith("runs/history/")},
                       "ingest-plugin-webhook-dedupe": {"webhooks/dedupe/msg_1.json"},
                       "ingest-plugin-queued-payloads": {"payloads/" + payload.removeprefix("s3:")}}
    assert len(expired["ingest-plugin-run-history"]) == 4
    kept = set(keys) - set.union(*expired.values())
    assert {key.split("/")[0] for key in kept} == {"articles", "failed", "runs", "cursors"}
    assert "runs/latest/cron.json" in kept and "runs/latest.json" in kept
    # S3 itself accepts the rule as written (moto answers as AWS does).
    publisher.client.put_bucket_lifecycle_configuration(Bucket=publisher.settings.bucket,
                                                        LifecycleConfiguration=LIFECYCLE)
    stored = publisher.client.get_bucket_lifecycle_configuration(Bucket=publisher.settings.bucket)
    assert stored["Rules"][0]["Filter"]["Prefix"] == "runs/history/"
