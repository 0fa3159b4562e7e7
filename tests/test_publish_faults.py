"""Fault injection between boto3 and a real SeaweedFS (SigV4 enforced), through tests/s3_fault_proxy.py: error
statuses, dropped connections, replies lost after the write landed, 30% of all requests failing, and S3 down."""
from __future__ import annotations

import argparse
import json
import socket
from pathlib import Path

import pytest

from ingest_plugin import parse
from ingest_plugin.entrypoints.cli import publish as commands_publish
from ingest_plugin.ingest.spool import RUN, Spool
from ingest_plugin.parsing.pipeline import parse_items
from ingest_plugin.publishing import Status
from ingest_plugin.publishing.articles import PRESUME_NEW_AFTER
from ingest_plugin.publishing.content import content_hash
from tests.conftest import ingest_one, make_document, make_item
from tests.s3_fault_proxy import Fault, FaultProxy
from tests.test_triggers import cli, env, items, keys  # noqa: F401 - env: a fixture

pytestmark = pytest.mark.s3
REPO = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (REPO / "samples").iterdir() if p.suffix in (".html", ".rss", ".json"))


@pytest.fixture
def proxy(seaweedfs):
    with FaultProxy(seaweedfs.endpoint_url, seed=20240312) as running:
        yield running


def listing(publisher, prefix):
    found = publisher.client.list_objects_v2(Bucket=publisher.settings.bucket, Prefix=prefix)
    return sorted(o["Key"][len(prefix):] for o in found.get("Contents", []))


def test_lost_reply_on_the_create_only_write_is_recognised_as_ours(proxy, make_publisher):
    publisher = make_publisher(proxy.endpoint_url)
    proxy.add(Fault("drop_after", methods=("PUT",), path=r"/v1\.json$", count=1))
    outcome = ingest_one(make_item(), publisher)
    assert proxy.stats["drop_after"] == 1
    assert (outcome.status, outcome.version, outcome.recovered, outcome.error) == (Status.CREATED, 1, True, None)
    assert listing(publisher, "articles/zenger/1/") == ["current.json", "v1.json"]


def test_lost_reply_on_the_current_pointer_is_not_an_error(proxy, make_publisher):
    publisher = make_publisher(proxy.endpoint_url)
    ingest_one(make_item(), publisher)
    proxy.add(Fault("drop_after", methods=("PUT",), path=r"/current\.json$", count=1))
    outcome = ingest_one(make_item(make_document(body="<p>Changed.</p>")), publisher)
    assert proxy.stats["drop_after"] == 1
    assert (outcome.status, outcome.version) == (Status.UPDATED, 2)
    assert listing(publisher, "articles/zenger/1/") == ["current.json", "v1.json", "v2.json"]


@pytest.mark.parametrize("fault", [
    Fault("status", status=503, code="SlowDown", methods=("PUT",), count=2),
    Fault("status", status=500, code="InternalError", count=3),
    Fault("drop_before", count=3),
    Fault("status", status=409, code="ConditionalRequestConflict", methods=("PUT",), path=r"/v1\.json$", count=1),
], ids=["503-slowdown", "500", "drop-before", "409-conflict"])  # fmt: skip
def test_transient_faults_are_retried(proxy, make_publisher, fault):
    publisher = make_publisher(proxy.endpoint_url)
    proxy.add(fault)
    outcome = ingest_one(make_item(), publisher)
    assert fault.count == 0  # every injected fault was used
    assert (outcome.status, outcome.version) == (Status.CREATED, 1)
    assert listing(publisher, "articles/zenger/1/") == ["current.json", "v1.json"]


def _many_documents(count: int) -> list[dict]:
    """``count`` distinct, valid documents made from the samples (new partner ids, so new articles)."""
    base = [i.document for p in SAMPLES for i in parse_items(p.read_bytes(), input_name=p.name)]
    made = []
    for n in range(count):
        doc = json.loads(json.dumps(base[n % len(base)]))
        doc["uri"] = f"{doc['uri']}{n:03d}"
        made.append(doc)
    return made


def _cli(capsys):
    parser = argparse.ArgumentParser()
    commands_publish.add_publish_parser(parser.add_subparsers())

    def run(*argv):
        args = parser.parse_args(argv)
        status = args.handler(args)
        return status, [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    return run


def _configure(monkeypatch, publisher, endpoint_url):
    for name, value in {"INGEST_S3_BUCKET": publisher.settings.bucket, "AWS_ENDPOINT_URL": endpoint_url,
                        "INGEST_SPOOL_DIR": str(publisher.settings.spool_dir),
                        "INGEST_S3_MAX_ATTEMPTS": str(publisher.settings.max_attempts)}.items():  # fmt: skip
        monkeypatch.setenv(name, value)


def test_thirty_percent_of_requests_failing_loses_and_duplicates_nothing(
    proxy, make_publisher, tmp_path, monkeypatch, capsys
):
    publisher = make_publisher(proxy.endpoint_url, max_attempts=2)
    _configure(monkeypatch, publisher, proxy.endpoint_url)
    documents = _many_documents(30)
    lines = [json.dumps(doc) for doc in documents]
    docs = tmp_path / "docs.jsonl"
    docs.write_text("\n".join(lines) + "\n")
    # 10% each: error status, dropped before forwarding, reply lost after the write (30% of requests in all)
    proxy.add(Fault("status", status=500, code="InternalError", probability=0.1),
              Fault("drop_before", probability=0.1 / 0.9),
              Fault("drop_after", probability=0.1 / 0.8))  # fmt: skip
    run = _cli(capsys)
    status, output = run("publish", str(docs))
    proxy.clear()  # S3 healthy again, for checking and for the next run
    injected = sum(n for action, n in proxy.stats.items() if action != "forwarded")
    assert 0.2 < injected / sum(proxy.stats.values()) < 0.4
    items, summary = output[:-1], output[-1]
    assert len(items) == len(documents)
    spooled = Spool(publisher.settings.spool_dir)
    spool = {spooled.job(entry).name: spooled.job(entry) for entry in spooled.entries() if entry.kind != RUN}
    kept = 0
    for document, line, item in zip(documents, lines, items, strict=True):
        partner, key = item["partner"], item["article_key"]
        versions = listing(publisher, f"articles/{partner}/{key}/")
        assert versions in ([], ["v1.json"], ["current.json", "v1.json"]), versions  # never a duplicate version
        if item["status"] in ("created", "unchanged"):
            current = publisher.bucket.get(f"articles/{partner}/{key}/current.json")
            assert current.content_hash == content_hash(document)
        elif item["status"] == "failed":
            kept += 1
            record = publisher.bucket.get(item["key"]).json()
            raw = publisher.bucket.get(record["raw_key"]).body
            assert raw == line.encode() and record["code"] == "publish_failed" and record["message"]
        else:
            kept += 1
            assert item["status"] == "spooled" and spool[item["input"]].source.item.document == document
    assert kept > 0, "the seed should make some articles fail; pick another seed"
    assert status == 1 and summary["ok"] is False
    assert summary["counts"]["failed"] + summary["counts"]["spooled"] == kept

    status, output = run("publish", str(docs))  # flushes the spool, publishes what failed: each article once
    assert status == 0 and output[-1]["ok"] is True, [o["error"] for o in output[:-1] if o["error"]]
    assert list(Spool(publisher.settings.spool_dir).entries()) == []
    for item in items:
        assert listing(publisher, f"articles/{item['partner']}/{item['article_key']}/") == ["current.json", "v1.json"]


def _dead_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_unreachable_s3_spools_locally_and_the_next_run_flushes(seaweedfs, make_publisher, monkeypatch, capsys):
    publisher = make_publisher(seaweedfs.endpoint_url)  # creates the bucket while S3 is up
    run = _cli(capsys)
    docs = Path(publisher.settings.spool_dir).parent / "docs.jsonl"
    docs.write_text("".join(json.dumps(d) + "\n" for d in _many_documents(4)))
    _configure(monkeypatch, publisher, _dead_endpoint())
    status, output = run("publish", str(docs))
    assert status == 1 and [o["status"] for o in output[:-1]] == ["spooled"] * 4
    for item in output[:-1]:  # each says why for its own article, not for the first one that met the outage
        assert f"articles/{item['partner']}/{item['article_key']}/" in item["error"]["message"]
    spool = Spool(publisher.settings.spool_dir)
    assert sorted(e.kind for e in spool.entries()) == ["job"] * 4 + ["run"]
    down_run = output[-1]["run_id"]

    _configure(monkeypatch, publisher, seaweedfs.endpoint_url)
    status, output = run("publish", str(docs))
    assert status == 0 and output[-1]["flushed_from_spool"] == 4
    assert sorted(o["status"] for o in output[:-1]) == ["created"] * 4 + ["unchanged"] * 4
    assert list(spool.entries()) == []
    assert set(listing(publisher, "runs/")) == {f"history/{down_run}.json", f"history/{output[-1]['run_id']}.json",
                                              "latest.json", "latest/manual.json"}
    latest = publisher.bucket.get("runs/latest.json").json()
    assert latest["last_attempt"]["run_id"] == latest["last_success"]["run_id"] == output[-1]["run_id"]


@pytest.mark.parametrize("lost", [r"/v1\.json$", r"/current\.json$"], ids=["version", "current"])
def test_lost_reply_on_a_presumed_new_article_is_recognised_as_ours(proxy, make_publisher, lost):
    publisher = make_publisher(proxy.endpoint_url)
    for number in range(1, PRESUME_NEW_AFTER + 1):  # new articles in a row: the next one is written unread
        ingest_one(make_item(make_document(number)), publisher)
    proxy.add(Fault("drop_after", methods=("PUT",), path=lost, count=1))
    outcome = ingest_one(make_item(make_document(50)), publisher)
    assert proxy.stats["drop_after"] == 1
    assert (outcome.status, outcome.version, outcome.error) == (Status.CREATED, 1, None)
    assert outcome.recovered is (lost == r"/v1\.json$")
    assert listing(publisher, "articles/zenger/50/") == ["current.json", "v1.json"]
    assert publisher.bucket.get("articles/zenger/50/current.json").content_hash == content_hash(make_document(50))


def test_a_policy_that_refuses_head_bucket_costs_one_question_per_run(proxy, make_publisher):
    """With ``s3:ListBucket`` granted on the key prefix only (deploy/aws/template.yaml), ``HeadBucket`` answers 403:
    the bucket exists, and the next new articles do not ask again."""
    publisher = make_publisher(proxy.endpoint_url)
    bucket = publisher.settings.bucket
    proxy.add(Fault("status", status=403, code="AccessDenied", methods=("HEAD",), path=rf"^/{bucket}/?$"))
    outcomes = [ingest_one(make_item(make_document(number)), publisher) for number in (1, 2, 3)]
    assert [o.status for o in outcomes] == [Status.CREATED] * 3
    assert [r.path for r in proxy.log if r.method == "HEAD" and r.path.rstrip("/") == f"/{bucket}"] == [f"/{bucket}"]


def test_a_racing_writers_identical_version_behind_a_lost_reply_gets_one_change_event(proxy, make_publisher):
    """Writer B creates v1; writer A, presuming the article new, sends the same v1, which S3 refuses, and the reply
    is lost: A's retry meets an identical v1 and takes it for its own. The change event is still B's one event (its
    key comes from the version as stored, not from A's draft)."""
    first = make_publisher(proxy.endpoint_url, change_log=True)
    second = make_publisher(proxy.endpoint_url, bucket=first.settings.bucket, change_log=True)
    assert ingest_one(make_item(), first).status is Status.CREATED
    second.articles._new_streak = PRESUME_NEW_AFTER  # a backfill of new articles: no HEAD first
    proxy.add(Fault("drop_after", methods=("PUT",), path=r"/v1\.json$", count=1))
    assert ingest_one(make_item(), second).status in (Status.CREATED, Status.UNCHANGED)
    assert proxy.stats["drop_after"] == 1
    assert len(listing(first, "changes/")) == 1


CHANGE_EVENT_PUT = r"^/[^/]+/changes/"


def test_a_change_event_refused_on_a_retry_is_not_sent_again_by_a_racing_writer(proxy, make_publisher):
    """Two workers publish the same version (a duplicated job). The change event's bytes are the same for both, so
    a create refused only on a retry cannot tell by content whose it is: the writer that lost the race sends none."""
    first = make_publisher(proxy.endpoint_url, change_log=True)
    second = make_publisher(proxy.endpoint_url, bucket=first.settings.bucket, change_log=True)
    first.changes.notify = (first_sent := []).append
    second.changes.notify = (second_sent := []).append
    assert ingest_one(make_item(), first).status is Status.CREATED
    proxy.add(Fault("status", status=503, code="SlowDown", methods=("PUT",), path=CHANGE_EVENT_PUT, count=1))
    assert second.changes.record("zenger", "1", first.bucket.get("articles/zenger/1/v1.json")) is False
    assert proxy.stats["status:503"] == 1
    assert [(e["uri"], e["version"]) for e in first_sent] == [("urn:newsml:zenger.news:1", 1)]
    assert second_sent == []
    assert len(listing(first, "changes/")) == 1


def test_a_change_event_whose_reply_was_lost_is_still_sent_once(proxy, make_publisher):
    publisher = make_publisher(proxy.endpoint_url, change_log=True)
    publisher.changes.notify = (sent := []).append
    proxy.add(Fault("drop_after", methods=("PUT",), path=CHANGE_EVENT_PUT, count=1))
    assert ingest_one(make_item(), publisher).status is Status.CREATED
    assert proxy.stats["drop_after"] == 1
    assert [(e["uri"], e["version"]) for e in sent] == [("urn:newsml:zenger.news:1", 1)]
    assert len(listing(publisher, "changes/")) == 1


def test_a_replayed_entry_s3_will_not_remove_stops_no_replay(proxy, env):  # noqa: F811 - env: a fixture
    """``reingest --failed``: S3 refusing to remove one replayed entry (its article published) was the replay's end,
    with no item reported, the other entries never tried and no run record. Now the entry stays for next time."""
    proxied = _via(env, proxy.endpoint_url)
    pages = [str(REPO / "tests" / "fixtures" / "pages" / name) for name in
             ("zenger-blinken.html", "zenger-israel-soil-sensors.html", "zenger-miami-vcard.html")]
    proxy.add(Fault("status", status=500, code="InternalError", methods=("PUT",), path=r"/articles/.*/v1\.json"))
    assert cli(proxied, "ingest", *pages).returncode == 1  # all three kept under failed/
    proxy.clear()
    proxy.add(Fault("status", status=500, code="InternalError", methods=("DELETE",), path=r"/failed/", count=2))
    replay = cli(proxied, "reingest", "--failed")
    assert replay.returncode == 0, replay.stderr.decode()[-2000:]
    assert sorted(i["status"] for i in items(replay)) == ["created"] * 3
    entries = {k.rsplit("/", 2)[-2] for k in keys(env, "failed/")}
    assert len(entries) == 1 and b"failed_entry_kept" in replay.stderr
    again = cli(env, "reingest", "--failed")
    assert again.returncode == 0 and [i["status"] for i in items(again)] == ["unchanged"]
    assert keys(env, "failed/") == []



def _via(environment, endpoint_url):
    """``environment`` (test_triggers' ``env``) with S3 at ``endpoint_url``, two attempts per request."""
    variables, s3, bucket = environment
    return {**variables, "AWS_ENDPOINT_URL": endpoint_url, "INGEST_S3_MAX_ATTEMPTS": "2"}, s3, bucket


def _parsed_page(tmp_path):
    """A JSON Lines file of one page's ninjs document, as ``ingest-plugin parse`` writes it: ``publish``'s input."""
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps(doc) + "\n" for doc in parse(
        (REPO / "tests" / "fixtures" / "pages" / "zenger-blinken.html").read_bytes())))
    return docs


VERSION_PUT_500 = Fault("status", status=500, code="InternalError", methods=("PUT",), path=r"/articles/.*/v1\.json")
ARTICLE = ["articles/zenger/84217/current.json", "articles/zenger/84217/v1.json"]


def _record(environment):
    """The one failed/ record there is."""
    [key] = [key for key in keys(environment, "failed/") if key.endswith("/error.json")]
    _, s3, bucket = environment
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_a_failed_publish_is_replayed_as_a_publish_of_its_document(proxy, env, tmp_path):  # noqa: F811 - a fixture
    """``publish`` of parsed documents meeting 500s on the version PUT keeps each under failed/ (publish_failed).
    ``reingest --failed`` parsed the kept ninjs JSON as partner content: not_an_article, the real reason overwritten.
    Now it publishes the document again: while S3 still refuses, the record keeps a publish reason; once S3 is
    healthy, the article is created and the entry is gone."""
    proxied, docs = _via(env, proxy.endpoint_url), _parsed_page(tmp_path)
    proxy.add(VERSION_PUT_500)
    published = cli(proxied, "publish", str(docs))
    assert published.returncode == 1 and [i["status"] for i in items(published)] == ["failed"]
    assert _record(env)["code"] == "publish_failed"
    still = cli(proxied, "reingest", "--failed")
    assert still.returncode == 1 and [(i["status"], i["error"]["code"]) for i in items(still)] == [
        ("failed", "publish_failed")]
    record = _record(env)
    assert (record["code"], record["attempts"], record["job"]["source"]["kind"]) == ("publish_failed", 2, "document")
    assert "v1.json" in record["message"]
    proxy.clear()
    replay = cli(proxied, "reingest", "--failed")
    assert replay.returncode == 0, replay.stderr.decode()[-2000:]
    assert [(i["status"], i["input"]) for i in items(replay)] == [("created", f"{docs}:1")]
    assert keys(env, "failed/") == [] and keys(env, "articles/") == ARTICLE


def test_a_spooled_publish_stays_a_publish_of_its_document(proxy, env, tmp_path):  # noqa: F811 - a fixture
    """A ``publish`` spooled while S3 was down, whose flush then fails on S3, is kept under failed/ as a publish of
    its document, so that ``reingest --failed`` publishes it once S3 is healthy."""
    docs, empty = _parsed_page(tmp_path), tmp_path / "none.jsonl"
    empty.write_text("")
    down = cli(_via(env, _dead_endpoint()), "publish", str(docs))
    assert down.returncode == 1 and [i["status"] for i in items(down)] == ["spooled"]
    proxy.add(VERSION_PUT_500)
    flushed = cli(_via(env, proxy.endpoint_url), "publish", str(empty))  # a run flushes the spool first
    assert [(i["status"], i["error"]["code"]) for i in items(flushed)] == [("failed", "publish_failed")]
    proxy.clear()
    replay = cli(_via(env, proxy.endpoint_url), "reingest", "--failed")
    assert replay.returncode == 0, replay.stderr.decode()[-2000:]
    assert [i["status"] for i in items(replay)] == ["created"]
    assert keys(env, "failed/") == [] and keys(env, "articles/") == ARTICLE
