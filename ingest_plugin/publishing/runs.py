"""Run records: what each run did (``runs/history/``), and the latest records with the last attempt and the last
success kept apart, one per trigger (``runs/latest/{trigger}.json``, so that a manual success cannot hide a failing
cron) and one for any trigger (``runs/latest.json``).

A run that failed still updates ``last_attempt`` but never ``last_success``, so a monitor reading ``latest.json``
cannot mistake a failing ingest for a healthy one (the feed-consumer "last run updated on error" complaint).
``latest.json`` moves by compare-and-swap, and only forward in time: a run record flushed late from the spool
does not hide a newer run.
"""
from __future__ import annotations

import json
from typing import Any

from ingest_plugin.publishing.keys import KeyLayout
from ingest_plugin.publishing.s3io import Bucket

# What the latest records keep of a run; the strings among them name keys or are compared.
SUMMARY = ("run_id", "trigger", "started_at", "finished_at", "ok", "counts")
_STRINGS = ("run_id", "trigger", "finished_at")


def merge_latest(latest: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """``latest.json`` after ``record``: its summary becomes ``last_attempt`` (and ``last_success`` when it was
    ok) unless a newer run is already there."""
    summary = {name: record[name] for name in SUMMARY}
    merged = dict(latest)
    slots = ("last_attempt", "last_success") if record["ok"] else ("last_attempt",)
    for slot in slots:
        if (merged.get(slot) or {}).get("finished_at", "") <= summary["finished_at"]:
            merged[slot] = summary
    return merged


class RunStore:
    def __init__(self, bucket: Bucket, keys: KeyLayout) -> None:
        self.bucket = bucket
        self.keys = keys

    def write(self, record: dict[str, Any]) -> str:
        """Write ``runs/history/{run_id}.json`` and fold it into the latest records of its trigger and of any
        trigger; returns the run record's key. Anything else (a spooled record edited by hand) raises ValueError
        before a write, so that no history is written without its latest records."""
        if any(name not in record for name in SUMMARY) or not all(isinstance(record[n], str) for n in _STRINGS):
            raise ValueError(f"not a run record: {', '.join(SUMMARY)} expected, {', '.join(_STRINGS)} strings")
        key = self.keys.run(record["run_id"])
        self.bucket.put(key, json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"))
        for latest_key in (self.keys.latest_run(record["trigger"]), self.keys.latest_run()):
            self.bucket.update_json(latest_key, lambda latest: merge_latest(latest or {}, record))
        return key
