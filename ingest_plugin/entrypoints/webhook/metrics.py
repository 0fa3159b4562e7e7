"""Prometheus metrics of the webhook server (``GET /metrics``): outcomes by partner, status and error code, job
latency, queue depth and journal size. The same outcome counts go into every run record (``by_partner``,
``by_code``), so a CMS without Prometheus reads them from S3."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class WebhookMetrics:
    """One registry per app, so that several apps in one process (tests) never share counters."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, queue_depth: Callable[[], float], journal_size: Callable[[], float]) -> None:
        self.registry = CollectorRegistry()
        self.outcomes = Counter("ingest_outcomes", "Articles by how their job ended",
                                ("partner", "status", "code"), registry=self.registry)
        self.jobs = Counter("ingest_webhook_jobs", "Webhook jobs by final status", ("status",),
                            registry=self.registry)
        self.latency = Histogram("ingest_job_duration_seconds", "Time from a job's start to its end",
                                 registry=self.registry,
                                 buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, float("inf")))
        Gauge("ingest_queue_depth", "Jobs waiting for a worker", registry=self.registry).set_function(queue_depth)
        Gauge("ingest_journal_jobs", "Jobs in the disk journal (accepted, not yet done)",
              registry=self.registry).set_function(journal_size)

    def job_done(self, status: str, seconds: float, result: Mapping[str, Any] | None) -> None:
        self.jobs.labels(status).inc()
        self.latency.observe(seconds)
        for item in (result or {}).get("items", ()):
            code = (item.get("error") or {}).get("code") or ""
            self.outcomes.labels(item.get("partner") or "unknown", item["status"], code).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
