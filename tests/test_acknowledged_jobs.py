"""Every acknowledged job ends in exactly one place, whichever S3 request fails: published, recorded under
failed/ with its job (a replay then does the work), or kept in the local spool (the next run does it). Tested by
failing each request, one at a time, of a kill (cancel) and of an id-only job, whose first step reads S3 —
through a loopback fault proxy in front of a real SeaweedFS, with botocore's retries off so that every injected
fault is final."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest_plugin.config import load_config
from ingest_plugin.entrypoints.reingest import Selection, selected_jobs
from ingest_plugin.ingest.handler import JobHandler
from ingest_plugin.ingest.jobs import Action, ArticleSource, IngestJob
from ingest_plugin.ingest.runs import run_jobs
from ingest_plugin.ingest.spool import Spool
from ingest_plugin.publishing import Publisher, Status
from tests.conftest import make_publisher as _unused  # noqa: F401 - the fixture below builds on it
from tests.httpserver import LoopbackHTTPServer, Route, partner_config
from tests.s3_fault_proxy import Fault, FaultProxy

pytestmark = pytest.mark.s3
PAGE = (Path(__file__).resolve().parent / "fixtures" / "pages" / "zenger-kenya-drought.html").read_bytes()
ARTICLE = "articles/zenger/63809/current.json"


@pytest.fixture
def partner_site():
    with LoopbackHTTPServer({"/": Route(PAGE)}) as server:  # "/?p=ID", as WordPress serves a shortlink
        yield server


def config_for(tmp_path: Path, site: LoopbackHTTPServer):
    path = tmp_path / "ingest.toml"
    path.write_text(partner_config(site, article_url=True))
    return load_config(path, environ={})


def handler_on(config, publisher: Publisher) -> JobHandler:
    return JobHandler(config, publisher, Spool(publisher.settings.spool_dir))


def run_to_the_end(config, publisher: Publisher) -> None:
    """What the operator's next runs do, S3 healthy again: flush the spool, then replay failed/."""
    handler = handler_on(config, publisher)
    run_jobs([], handler)
    run_jobs(selected_jobs(Selection(failed=True), publisher), handler)


def requests_of(job: IngestJob, config, make_publisher, seaweedfs, tmp_path, prepare) -> int:
    with FaultProxy(seaweedfs.endpoint_url) as proxy:
        publisher = make_publisher(proxy.endpoint_url, max_attempts=1, spool_dir=tmp_path / "count-spool")
        prepare(handler_on(config, publisher))
        before = len(proxy.log)
        list(handler_on(config, publisher)(job))
        return len(proxy.log) - before


def published(config, publisher):
    (outcome,) = handler_on(config, publisher)(IngestJob(ArticleSource("zenger", "63809")))
    assert outcome.status is Status.CREATED


CASES = {
    "cancel": (Action.CANCEL, published, lambda document: document["pubStatus"] == "canceled"),
    "id-only": (Action.INGEST, lambda config, publisher: None, lambda document: document["pubStatus"] == "usable"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_fault_at_any_request_of_a_job_loses_nothing(case, make_publisher, seaweedfs, partner_site, tmp_path):
    action, prepare, done = CASES[case]
    config = config_for(tmp_path, partner_site)
    job = IngestJob(ArticleSource("zenger", "63809"), action=action, trigger="webhook")
    total = requests_of(job, config, make_publisher, seaweedfs, tmp_path,
                        lambda handler: prepare(config, handler.publisher))
    assert total >= 2
    for failing in range(1, total + 1):
        with FaultProxy(seaweedfs.endpoint_url) as proxy:
            spool = tmp_path / f"spool-{failing}"
            publisher = make_publisher(proxy.endpoint_url, max_attempts=1, spool_dir=spool)
            prepare(config, publisher)
            proxy.add(Fault("status", status=500, code="InternalError", after=len(proxy.log) * 0 + failing - 1,
                            count=1))
            proxy.log.clear()
            (outcome,) = handler_on(config, publisher)(job)
            assert proxy.stats["status:500"] == 1, f"request {failing} of {total} was not the one that failed"
            stored = publisher.bucket.get(ARTICLE)
            kept_in = {Status.FAILED: "failed/", Status.SPOOLED: "spool"}.get(outcome.status, "published")
            if kept_in == "published":
                assert done(stored.json()), f"request {failing}: {outcome}"
            elif kept_in == "failed/":
                assert publisher.bucket.get(outcome.key).json()["job"]["action"] == str(action)
            else:
                assert len(list(Spool(spool).entries())) == 1
            proxy.clear()
            run_to_the_end(config, publisher)
            assert done(publisher.bucket.get(ARTICLE).json()), f"request {failing} ({kept_in}): the job was lost"
            assert list(publisher.failed.entries()) == [] and list(Spool(spool).entries()) == []


def test_a_webhook_job_that_crashes_is_kept_under_failed_for_an_editor_not_run_again(make_publisher, seaweedfs,
                                                                                      monkeypatch):
    """A crash leaves the job where an editor sees and replays it, and the worker acknowledges it: replayed by itself
    at every start, a late reinstatement undid a later kill."""
    from ingest_plugin.entrypoints.webhook import jobs as webhook_jobs
    from ingest_plugin.ingest.jobs import from_webhook_payload

    publisher = make_publisher(seaweedfs.endpoint_url)
    handler = JobHandler(load_config(environ={}), publisher, Spool(publisher.settings.spool_dir))
    job = from_webhook_payload({"partner": "zenger", "id": "63809", "action": "reinstate"}, job_id="c" * 32,
                               request_id="msg_crash")

    def crash(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(webhook_jobs, "run_jobs", crash)
    result = webhook_jobs.make_handler(handler)(job)
    assert result["status"] == "failed" and "RuntimeError: a bug" in result["error"]["message"]
    [entry] = publisher.failed.entries()
    assert (entry.record["code"], entry.record["job"]["action"]) == ("fetch_failed", "reinstate")
    assert entry.record["job"]["source"] == {"kind": "article", "partner": "zenger", "article_id": "63809"}
