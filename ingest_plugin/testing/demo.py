"""``python -m ingest_plugin.testing.demo`` (``make demo``): the whole path on a laptop, against a real local S3.

Starts SeaweedFS on 127.0.0.1 with its data in ``.demo-s3/`` (kept, so a second run sees the first run's
objects), creates the bucket, ingests the bundled samples, prints every key this run wrote (from a before/after
listing of the bucket, not from our own bookkeeping) and one document, then stops the server. A second run writes
no article object at all: only its run record.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ingest_plugin import log
from ingest_plugin.config import load_config
from ingest_plugin.ingest.handler import JobHandler
from ingest_plugin.ingest.inputs import file_jobs
from ingest_plugin.ingest.runs import run_jobs
from ingest_plugin.publishing import Publisher, S3Settings, ensure_bucket
from ingest_plugin.testing.local_s3 import REGION, SeaweedFS

BUCKET = "ingest-demo"
SAMPLE_SUFFIXES = (".html", ".rss", ".json")


def _listing(publisher: Publisher) -> dict[str, tuple[str, object]]:
    """Key -> (ETag, LastModified) of every object in the bucket."""
    objects = {}
    for page in publisher.client.get_paginator("list_objects_v2").paginate(Bucket=publisher.settings.bucket):
        objects.update({o["Key"]: (o["ETag"], o["LastModified"]) for o in page.get("Contents", [])})
    return objects


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest_plugin.testing.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--data-dir", default=".demo-s3", help="SeaweedFS data, kept between runs (default: .demo-s3)")
    parser.add_argument("--samples", default="samples", help="folder of sample inputs (default: samples)")
    args = parser.parse_args(argv)
    log.configure("ERROR")  # the demo's own output is the report; warnings would only interleave with it
    samples = sorted(p for p in Path(args.samples).iterdir() if p.suffix in SAMPLE_SUFFIXES)
    data_dir = Path(args.data_dir)
    with SeaweedFS(data_dir) as server:
        print(f"Local S3 (SeaweedFS, loopback only) at {server.endpoint_url}, data in {data_dir}/")
        os.environ.update(server.env())
        settings = S3Settings(bucket=BUCKET, endpoint_url=server.endpoint_url, region=REGION,
                              spool_dir=data_dir / "spool")  # fmt: skip
        publisher = Publisher(settings, change_log=True)  # as the commands: one change event per new version
        created = ensure_bucket(publisher.client, settings)
        print(f"Bucket {BUCKET}: {'created' if created else 'already there (from an earlier run)'}")
        print(f"Ingesting {len(samples)} sample files: {', '.join(str(p) for p in samples)}")
        before = _listing(publisher)
        handler = JobHandler(load_config(environ={}), publisher)
        summary = run_jobs(file_jobs(samples, trigger="demo"), handler, trigger="demo", keep_outcomes=True)
        after = _listing(publisher)
        written = sorted(key for key, stamp in after.items() if before.get(key) != stamp)
        counts = ", ".join(f"{n} {status}" for status, n in summary.counts.items() if n)
        print(f"\nArticles: {counts} (run {summary.run_id})")
        print("Keys written by this run:")
        for key in written:
            print(f"  {key}")
        article_writes = [key for key in written if not key.startswith("runs/")]
        if not article_writes:
            print("Nothing new written: 0 article objects; every article is already in S3, unchanged "
                  "(only the run record above).")
        shown = next((o for o in summary.outcomes or () if o.ok), None)
        stored = shown and publisher.bucket.get(f"articles/{shown.partner}/{shown.article_key}/current.json")
        if stored:
            print(f"\nOne document ({stored.key}):")
            print(json.dumps(stored.json(), ensure_ascii=False, indent=2))
        for outcome in summary.outcomes or ():
            if not outcome.ok:
                print(f"\n{outcome.status}: {outcome.input}: {outcome.error} -> {outcome.key}", file=sys.stderr)
        print("\nStopping the local S3 server.")
    return summary.exit_code


if __name__ == "__main__":
    sys.exit(main())
