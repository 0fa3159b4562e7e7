"""Scale-out: a backfill of 1,000 articles through 1, 2 and 4 ``worker`` processes. Part of ``make bench`` (the
``scaleout`` section of bench/results.json); on its own (figures to bench/results-scaleout.json unless ``--json``):

    python -m bench.scaleout [--articles N] [--json PATH]

The partner is a loopback server that answers like a real WordPress host: 100-300 ms per page (seeded), and a
per-host rate limit it enforces with 429 (the run reports how many it had to send: the workers' politeness must keep
that at 0). The jobs go to SQS (``moto_server``) and the articles to SeaweedFS, both on 127.0.0.1; every SQS request
passes a counting proxy. For each worker count: a fresh bucket and queue, the 1,000 jobs sent, the workers started
(one job at a time each), and the clock stopped when the last job's message is gone. The work is mostly waiting on the
partner, so four workers should be at least three times faster than one, on two cores.

Also measured: SQS requests per article, and the latency the queue adds per article against running the same jobs
in this process (the job handler alone, one at a time).
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3

from . import report

ROOT = Path(__file__).resolve().parent.parent
LATENCY = (0.1, 0.3)  # seconds per page
RATE_LIMIT = 40  # requests per second the partner allows, per host
TARGET_SPEEDUP = 3.0  # 4 workers against 1


class PartnerSite:
    """A WordPress-like partner on 127.0.0.1: slow pages, and 429 past its rate limit (counted)."""

    def __init__(self, pages: dict[str, bytes], seed: int = 5) -> None:
        self.pages, self.refused, self.served = pages, 0, 0
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._recent: list[float] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                now = time.monotonic()
                with site._lock:
                    site._recent = [t for t in site._recent if now - t < 1.0] + [now]
                    over = len(site._recent) > RATE_LIMIT
                    delay = site._random.uniform(*LATENCY)
                    site.refused += over
                body = site.pages.get(self.path)
                if over or body is None:
                    self.send_response(429 if over else 404)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                time.sleep(delay)
                with site._lock:
                    site.served += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.port = self._server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _pages(count: int) -> dict[str, bytes]:
    sys.path.insert(0, str(ROOT))
    from tests.pagebuilder import zenger_page

    return {f"/story/{n}/": zenger_page(
        f"<p>WASHINGTON — Story {n} opens with a paragraph long enough to be one, as generated stories do.</p>"
        "<p>A second paragraph follows.</p><p>Zenger News does not provide investment advice.</p>",
        headline=f"Backfilled Story Number {n}", post_id=500_000 + n,
        url=f"https://www.zenger.news/archive/story-{n}/").encode() for n in range(count)}


def scaleout_benchmark(articles: int = 1000, worker_counts: tuple[int, ...] = (1, 2, 4)) -> dict[str, Any]:
    from ingest_plugin.config import QueueConfig, load_config
    from ingest_plugin.ingest.handler import JobHandler
    from ingest_plugin.ingest.jobs import IngestJob, UrlSource
    from ingest_plugin.ingest.sqs import SqsQueue, sqs_client
    from ingest_plugin.publishing import Publisher, S3Settings, ensure_bucket
    from ingest_plugin.testing.local_s3 import ACCESS_KEY, REGION, SECRET_KEY, SeaweedFS
    from ingest_plugin.testing.local_sqs import LocalSQS
    from tests.httpserver import partner_config
    from tests.s3_fault_proxy import FaultProxy

    scratch = Path(tempfile.mkdtemp(prefix="ingest-scaleout-"))
    os.environ.update({"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                       "AWS_DEFAULT_REGION": REGION})
    rows: list[dict[str, Any]] = []
    site = PartnerSite(_pages(articles))
    try:
        with SeaweedFS(scratch / "s3") as s3, LocalSQS() as sqs, FaultProxy(sqs.endpoint_url) as counted:
            config = scratch / "ingest.toml"
            config.write_text(partner_config(site, limits={"parse_budget_seconds": 10},
                                             queue={"wait_seconds": 1, "visibility_timeout": 60}))
            jobs = [IngestJob(UrlSource(site.url(f"/story/{n}/"), "zenger"), trigger="backfill")
                    for n in range(articles)]
            env_base = {**os.environ, **sqs.env(), "AWS_ENDPOINT_URL_SQS": counted.endpoint_url,
                        "AWS_ENDPOINT_URL": s3.endpoint_url, "INGEST_CONFIG": str(config),
                        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
            for workers in worker_counts:
                bucket = f"b-{uuid.uuid4().hex[:12]}"
                boto3.client("s3", endpoint_url=s3.endpoint_url, region_name=REGION).create_bucket(Bucket=bucket)
                queue_url, dead_url = sqs.queue_pair(max_receives=5, visibility_timeout=60)
                producer = SqsQueue(sqs_client(QueueConfig(endpoint_url=counted.endpoint_url), REGION), queue_url)
                counted.log.clear()
                producer.send_batch(jobs)
                env = {**env_base, "INGEST_S3_BUCKET": bucket, "INGEST_QUEUE_URL": queue_url,
                       "INGEST_DLQ_URL": dead_url, "INGEST_SPOOL_DIR": str(scratch / f"spool-{workers}")}
                refused_before = site.refused
                started = time.perf_counter()
                processes = [subprocess.Popen([sys.executable, "-m", "ingest_plugin", "worker", "--concurrency", "1"],
                                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                             for _ in range(workers)]
                while producer.depth() or _in_flight(producer):  # a retried job may come back after a delay
                    time.sleep(0.2)
                elapsed = time.perf_counter() - started
                for process in processes:  # SIGTERM: they finish what they hold (nothing) and exit 0
                    process.terminate()
                    process.wait(timeout=120)
                published = len([k for k in _keys(s3.endpoint_url, bucket, "articles/") if k.endswith("current.json")])
                rows.append({"workers": workers, "articles": articles, "published": published,
                             "seconds": round(elapsed, 2), "articles_per_second": round(articles / elapsed, 2),
                             "sqs_requests_per_article": round(len(counted.log) / articles, 2),
                             "partner_429": site.refused - refused_before})
            # The queue's added latency: the same jobs, handled here one at a time (no SQS).
            sample = jobs[:50]
            settings = S3Settings(bucket=f"b-{uuid.uuid4().hex[:12]}", endpoint_url=s3.endpoint_url, region=REGION,
                                  spool_dir=scratch / "spool-inline")
            publisher = Publisher(settings, change_log=True)
            ensure_bucket(publisher.client, settings)
            handler = JobHandler(load_config(config, environ={}), publisher)
            started = time.perf_counter()
            for job in sample:
                list(handler(job))
            inline = (time.perf_counter() - started) / len(sample)
    finally:
        site.close()
    one = next(r for r in rows if r["workers"] == 1)
    for row in rows:
        row["speedup"] = round(one["seconds"] / row["seconds"], 2)
    queued = one["seconds"] / articles
    return {"rows": rows, "latency": {"in_process_ms": round(inline * 1000, 1), "queued_ms": round(queued * 1000, 1),
                                      "added_ms": round((queued - inline) * 1000, 1)},
            "partner": {"latency_s": LATENCY, "rate_limit_per_s": RATE_LIMIT},
            "target_speedup_at_4": TARGET_SPEEDUP}


def _in_flight(queue: Any) -> int:
    attributes = queue.client.get_queue_attributes(QueueUrl=queue.url,
                                                   AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"])


def _keys(endpoint: str, bucket: str, prefix: str) -> list[str]:
    from ingest_plugin.testing.local_s3 import REGION

    pages = boto3.client("s3", endpoint_url=endpoint, region_name=REGION).get_paginator(
        "list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def failures(results: dict[str, Any]) -> list[str]:
    """What the scale-out figures must show: every article published, no 429, 4 workers >= 3x one."""
    problems = [f"{r['workers']} worker(s): {r['published']} of {r['articles']} published" for r in results["rows"]
                if r["published"] != r["articles"]]
    problems += [f"{r['workers']} worker(s): the partner answered 429 {r['partner_429']} times"
                 for r in results["rows"] if r["partner_429"]]
    four = next((r for r in results["rows"] if r["workers"] == 4), None)
    if four is not None and four["speedup"] < results["target_speedup_at_4"]:
        problems.append(f"4 workers only {four['speedup']}x faster than 1 (target {results['target_speedup_at_4']}x)")
    return problems


def render(results: dict[str, Any]) -> str:
    partner = results["partner"]
    out = [f"SCALE-OUT - backfill of {results['rows'][0]['articles']} articles from a loopback WordPress-like partner "
           f"({partner['latency_s'][0] * 1000:.0f}-{partner['latency_s'][1] * 1000:.0f} ms per page, "
           f"{partner['rate_limit_per_s']} requests/s allowed), SQS in moto_server, SeaweedFS; one job at a time per "
           "worker",
           f"  {'workers':>7} {'seconds':>8} {'articles/s':>10} {'speed-up':>8} {'SQS req/article':>15} {'429s':>5}"]
    for row in results["rows"]:
        out.append(f"  {row['workers']:>7} {row['seconds']:>8.1f} {row['articles_per_second']:>10.1f} "
                   f"{row['speedup']:>7.2f}x {row['sqs_requests_per_article']:>15.2f} {row['partner_429']:>5}")
    latency = results["latency"]
    out.append(f"  per article, one at a time: {latency['in_process_ms']} ms in-process, {latency['queued_ms']} ms "
               f"through the queue (+{latency['added_ms']} ms: receive, delete, heartbeat)")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scaleout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results-scaleout.json")
    args = parser.parse_args(argv)
    results = scaleout_benchmark(args.articles)
    report.publish(results, render, args.json)
    bad = failures(results)
    for problem in bad:
        print(f"NOT MET: {problem}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
