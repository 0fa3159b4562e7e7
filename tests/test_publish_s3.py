"""Publishing against real local S3 servers over HTTP (SeaweedFS and moto; no mocked clients): versions,
idempotent re-runs, kills, repair after a crash, failed records, run records, and the CLI commands."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ingest_plugin.entrypoints.cli import main
from ingest_plugin.entrypoints.cli import publish as commands_publish
from ingest_plugin.errors import ErrorCode, IngestError
from ingest_plugin.ingest.jobs import FailedSource, IngestJob, Payload, PayloadSource
from ingest_plugin.parsing.model import ItemResult
from ingest_plugin.parsing.pipeline import parse_items
from ingest_plugin.parsing.validate import validate_document
from ingest_plugin.partners.identity import Identity
from ingest_plugin.publishing import S3SetupError, Status
from ingest_plugin.publishing.articles import PRESUME_NEW_AFTER
from ingest_plugin.publishing.content import content_hash, to_bytes
from ingest_plugin.publishing.s3io import Put, checksum_sha256
from tests.conftest import get_json, ingest_files, ingest_one, job_handler, make_document, make_item, snapshot

pytestmark = pytest.mark.s3
REPO = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (REPO / "samples").iterdir() if p.suffix in (".html", ".rss", ".json"))


def keys(publisher, prefix=""):
    listing = publisher.client.list_objects_v2(Bucket=publisher.settings.bucket, Prefix=prefix)
    return sorted(o["Key"] for o in listing.get("Contents", []))




def test_if_match_on_a_missing_key_is_a_refusal_on_both_servers(publisher):
    """AWS and moto answer 404, SeaweedFS 412; both must read as "condition failed", never as an error."""
    bucket = publisher.bucket
    assert bucket.put("k.json", b"{}", if_match='"0123456789abcdef0123456789abcdef"') is Put.REFUSED
    assert bucket.put("k.json", b"{}", if_none_match=True) is Put.WRITTEN
    assert bucket.put("k.json", b"{}", if_none_match=True) is Put.REFUSED
    stored = bucket.get("k.json")
    assert bucket.put("k.json", b"[]", if_match=stored.etag) is Put.WRITTEN
    assert bucket.put("k.json", b"{}", if_match=stored.etag) is Put.REFUSED


def test_first_ingest_then_unchanged_rerun_costs_one_head_and_no_write(publisher, request_counter):
    item = make_item()
    first = ingest_one(item, publisher)
    assert (first.status, first.version, first.key) == (Status.CREATED, 1, "articles/zenger/1/v1.json")
    assert keys(publisher) == ["articles/zenger/1/current.json", "articles/zenger/1/v1.json"]
    head = publisher.client.head_object(Bucket=publisher.settings.bucket, Key=first.key, ChecksumMode="ENABLED")
    body = publisher.client.get_object(Bucket=publisher.settings.bucket, Key=first.key)["Body"].read()
    assert head["ContentType"] == "application/json"
    assert head["ChecksumSHA256"] == checksum_sha256(body)
    written_at = head["Metadata"].pop("written-at")  # when we built it: the time of its change event
    assert abs(datetime.fromisoformat(written_at) - datetime.now(timezone.utc)) < timedelta(minutes=5)
    assert head["Metadata"] == {"content-sha256": content_hash(item.document), "version": "1",
                                "first-created": "2024-03-12T16:00:00Z", "version-created": "2024-03-12T16:40:00Z",
                                "source-url": "https://www.zenger.news/story/", "pub-status": "usable",
                                "uri": "urn:newsml:zenger.news:1"}  # fmt: skip
    before = snapshot(publisher)
    counter = request_counter(publisher.client)
    again = ingest_one(make_item(make_document(versionCreated="2030-01-01T00:00:00Z")), publisher)
    assert (again.status, again.version) == (Status.UNCHANGED, 1)
    assert counter.sent == {("HEAD", "articles/zenger/1/current.json"): 1}
    assert snapshot(publisher) == before


def test_changed_article_becomes_v2_and_current_names_v2(publisher):
    ingest_one(make_item(), publisher)
    outcome = ingest_one(make_item(make_document(body="<p>Corrected text.</p>")), publisher)
    assert (outcome.status, outcome.version, outcome.key) == (Status.UPDATED, 2, "articles/zenger/1/v2.json")
    v1, v2 = get_json(publisher, "articles/zenger/1/v1.json"), get_json(publisher, "articles/zenger/1/v2.json")
    current = get_json(publisher, "articles/zenger/1/current.json")
    assert current == v2 and v2["version"] == "2" and v2["uri"] == v1["uri"]
    assert v2["firstCreated"] == v1["firstCreated"] and v2["versionCreated"] > v1["versionCreated"]
    assert v2["edNote"].startswith("Update: version 2")
    meta = publisher.client.head_object(Bucket=publisher.settings.bucket, Key="articles/zenger/1/current.json")
    assert meta["Metadata"]["version"] == "2"


def test_cancel_is_a_new_canceled_version_and_is_idempotent(publisher):
    ingest_one(make_item(), publisher)
    killed = ingest_one(make_item(), publisher, cancel=True)
    assert (killed.status, killed.version) == (Status.CANCELED, 2)
    assert get_json(publisher, "articles/zenger/1/current.json")["pubStatus"] == "canceled"
    assert ingest_one(make_item(), publisher, cancel=True).status is Status.UNCHANGED


def test_force_writes_a_new_version_of_unchanged_content(publisher):
    ingest_one(make_item(), publisher)
    forced = ingest_one(make_item(), publisher, force=True)
    assert (forced.status, forced.version) == (Status.UPDATED, 2)
    assert get_json(publisher, "articles/zenger/1/v2.json")["edNote"].startswith("Re-issue:")


def test_dry_run_reads_but_writes_nothing(publisher, request_counter):
    ingest_one(make_item(), publisher)
    counter = request_counter(publisher.client)
    planned = ingest_one(make_item(make_document(body="<p>New.</p>")), publisher, dry_run=True)
    assert (planned.status, planned.version, planned.dry_run) == (Status.UPDATED, 2, True)
    assert planned.document["version"] == "2"
    assert counter.total("PUT") == 0 and keys(publisher, "articles/zenger/1/v2") == []


def test_a_version_left_behind_by_a_crashed_run_is_repaired(publisher):
    """v2 landed but the run died before moving current: the next writer moves current for it, then writes v3."""
    ingest_one(make_item(), publisher)
    orphan = {**make_document(body="<p>Orphan.</p>"), "version": "2"}
    publisher.bucket.put("articles/zenger/1/v2.json", to_bytes(orphan),
                         metadata={"content-sha256": content_hash(orphan), "version": "2"}, if_none_match=True)
    outcome = ingest_one(make_item(make_document(body="<p>Newest.</p>")), publisher)
    assert (outcome.status, outcome.version) == (Status.UPDATED, 3)
    assert get_json(publisher, "articles/zenger/1/current.json")["bodies"][0]["value"] == "<p>Newest.</p>"
    assert get_json(publisher, "articles/zenger/1/v2.json") == orphan


def test_the_orphan_with_our_content_is_adopted(publisher):
    ingest_one(make_item(), publisher)
    mine = make_document(body="<p>Mine.</p>")
    publisher.bucket.put("articles/zenger/1/v2.json", to_bytes({**mine, "version": "2"}),
                         metadata={"content-sha256": content_hash(mine), "version": "2"}, if_none_match=True)
    outcome = ingest_one(make_item(mine), publisher)
    assert (outcome.status, outcome.version) == (Status.UNCHANGED, 2)
    assert get_json(publisher, "articles/zenger/1/current.json")["version"] == "2"
    assert keys(publisher, "articles/") == [f"articles/zenger/1/{n}" for n in ("current.json", "v1.json", "v2.json")]


def test_failures_keep_raw_payload_and_count_attempts(publisher):
    error = IngestError(ErrorCode.NOT_AN_ARTICLE, "no headline", input="page.html", stage="extract")
    item = ItemResult(input_name="page.html", raw=b"<html>broken</html>", error=error)
    first = ingest_one(item, publisher)
    assert first.status is Status.FAILED and first.key.startswith("failed/unknown/")
    folder = first.key.rsplit("/", 1)[0]
    assert publisher.client.get_object(Bucket=publisher.settings.bucket, Key=f"{folder}/raw")["Body"].read() == item.raw
    record = get_json(publisher, first.key)
    assert (record["code"], record["stage"], record["input"], record["attempts"]) == (
        "not_an_article", "extract", "page.html", 1)  # fmt: skip
    ingest_one(item, publisher)
    again = get_json(publisher, first.key)
    assert again["attempts"] == 2 and again["first_failed_at"] == record["first_failed_at"]


def test_a_payload_whose_parse_could_not_run_is_kept_with_it_and_replays(publisher):
    """A parse worker that did not start failed the whole job: its record kept 0 bytes, and no replay could read
    it ("the failed record keeps neither a payload nor a URL")."""
    page = (REPO / "samples" / "zenger-article.html").read_bytes()
    handler = job_handler(publisher)

    def no_worker(data, **options):
        raise RuntimeError("the parse worker process did not start")

    handler.parse = no_worker
    (outcome,) = handler(IngestJob(PayloadSource("zenger-article.html", Payload(page))))
    assert outcome.status is Status.FAILED
    (entry,) = publisher.failed.entries()
    assert publisher.failed.raw(entry) == page
    replayed = list(job_handler(publisher)(IngestJob(FailedSource(entry.key))))
    assert [o.status for o in replayed] == [Status.CREATED] and list(publisher.failed.entries()) == []


def test_an_invalid_document_is_never_published(make_publisher, s3_server):
    def refuse(document):
        raise IngestError(ErrorCode.INVALID_DOCUMENT, "no body", stage="validate")

    publisher = make_publisher(s3_server.endpoint_url, validate=refuse)
    outcome = ingest_one(make_item(), publisher)
    assert outcome.status is Status.FAILED and outcome.error.code is ErrorCode.INVALID_DOCUMENT
    assert keys(publisher, "articles/") == [] and keys(publisher, "failed/zenger/1/") != []


def test_samples_twice_second_run_writes_no_article(make_publisher, s3_server, request_counter):
    publisher = make_publisher(s3_server.endpoint_url, validate=validate_document)
    first = ingest_files(SAMPLES, publisher)
    assert first.ok and first.counts["created"] == 6, first.counts
    before = snapshot(publisher)
    counter = request_counter(publisher.client)
    second = ingest_files(SAMPLES, publisher)
    assert second.ok and second.counts["unchanged"] == 6 and snapshot(publisher) == before
    one_head_each = {("HEAD", key.replace("/v1.json", "/current.json")): 1
                     for key in before if key.endswith("/v1.json")}  # fmt: skip
    assert {k: n for k, n in counter.sent.items() if k[1].startswith("articles/")} == one_head_each
    latest = get_json(publisher, "runs/latest.json")
    assert latest["last_success"]["run_id"] == second.run_id == latest["last_attempt"]["run_id"]


def test_a_failing_run_does_not_move_last_success(make_publisher, s3_server, tmp_path):
    publisher = make_publisher(s3_server.endpoint_url, validate=validate_document)
    good = ingest_files(SAMPLES[:1], publisher)
    bad = ingest_files([tmp_path / "missing.html"], publisher)
    assert good.ok and not bad.ok and bad.exit_code == 1
    latest = get_json(publisher, "runs/latest.json")
    assert latest["last_attempt"]["run_id"] == bad.run_id and latest["last_success"]["run_id"] == good.run_id
    record = get_json(publisher, f"runs/history/{bad.run_id}.json")
    assert record["counts"]["failed"] == 1 and record["failures"][0]["error"]["code"] == "fetch_failed"


def test_publish_command_uses_the_same_keys_as_ingest(make_publisher, s3_server, tmp_path, monkeypatch, capsys):
    """``parse > docs.jsonl; publish docs.jsonl`` and ``ingest`` name every article alike: no duplicates."""
    publisher = make_publisher(s3_server.endpoint_url, validate=validate_document)
    items = [item for path in SAMPLES for item in parse_items(path.read_bytes(), input_name=path.name)]
    assert all(Identity.of_uri(i.document["uri"]) == Identity(i.partner, i.article_key, i.document["uri"])
               for i in items)
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps(i.document) + "\n" for i in items) + "not json\n")
    for name, value in {"INGEST_S3_BUCKET": publisher.settings.bucket, "AWS_ENDPOINT_URL": s3_server.endpoint_url,
                        "INGEST_SPOOL_DIR": str(tmp_path / "spool")}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers()
    commands_publish.add_ingest_parser(subparsers)
    commands_publish.add_publish_parser(subparsers)

    errors = []

    def run(*argv):
        args = parser.parse_args(argv)
        status = args.handler(args)
        captured = capsys.readouterr()
        errors.append(captured.err)
        return status, [json.loads(line) for line in captured.out.splitlines()]

    status, lines = run("publish", str(docs))
    assert status == 2 and lines == [] and keys(publisher) == []  # the bad line: a usage error, nothing written
    assert f"{docs}:7: the line is not JSON" in errors[-1]
    docs.write_text("".join(json.dumps(i.document) + "\n" for i in items))
    status, lines = run("publish", str(docs))
    assert status == 0 and [line["status"] for line in lines[:-1]] == ["created"] * 6
    status, lines = run("ingest", *map(str, SAMPLES))
    assert status == 0 and {line["status"] for line in lines[:-1]} == {"unchanged"}
    assert len(keys(publisher, "articles/")) == 12


def test_cli_module_help_of_the_local_server():
    result = subprocess.run([sys.executable, "-m", "ingest_plugin.testing.local_s3", "--help"], capture_output=True,
                            text=True,
                            timeout=60, check=True)  # fmt: skip
    assert "127.0.0.1" in result.stdout and "telemetry off" in result.stdout


def test_an_unsafe_article_key_is_still_kept_under_failed(publisher):
    outcome = ingest_one(make_item(article_key="../../etc"), publisher)
    assert outcome.status is Status.FAILED and outcome.key.startswith("failed/zenger/")
    assert "not a safe S3 key segment" in get_json(publisher, outcome.key)["message"]


def test_a_missing_bucket_stops_the_run_and_nothing_is_spooled(make_publisher, s3_server, tmp_path, monkeypatch,
                                                                capsys, in_process_cli):
    publisher = make_publisher(s3_server.endpoint_url, bucket="never-created-bucket")
    with pytest.raises(S3SetupError, match="NoSuchBucket"):  # never mistaken for a missing (new) article
        ingest_one(make_item(), publisher)
    for name, value in {"INGEST_S3_BUCKET": "never-created-bucket", "AWS_ENDPOINT_URL": s3_server.endpoint_url,
                        "INGEST_SPOOL_DIR": str(tmp_path / "spool")}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    assert main(["ingest", *map(str, SAMPLES)]) == 2
    assert "S3 refused the set-up" in capsys.readouterr().err
    assert not (tmp_path / "spool").exists() or not list((tmp_path / "spool").iterdir()), "nothing may be spooled"


@pytest.mark.parametrize("command", [
    ["ingest", str(SAMPLES[0])], ["failed", "list"], ["reingest", "--failed"], ["repair"],
    ["render-profiles", "--profile", "superdesk"], ["export", "--profile", "superdesk", "{out}"]])
def test_a_missing_bucket_is_answered_with_what_the_command_can_do(aws_env, s3_server, tmp_path, monkeypatch, capsys,
                                                                   in_process_cli, command):
    """Every command said "create it with --create-bucket", an option only ingest, publish and run take."""
    for name, value in {"INGEST_S3_BUCKET": "never-created-bucket", "AWS_ENDPOINT_URL": s3_server.endpoint_url,
                        "INGEST_SPOOL_DIR": str(tmp_path / "spool")}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    assert main([arg.format(out=tmp_path) for arg in command]) == 2
    err = capsys.readouterr().err
    assert "NoSuchBucket" in err and "Check INGEST_S3_BUCKET" in err
    takes_it = command[0] == "ingest"
    assert ("create it with --create-bucket" in err) == takes_it
    assert ("ingest, publish or run create a missing one with --create-bucket" in err) != takes_it


def test_refused_credentials_stop_the_run(make_publisher, seaweedfs, tmp_path, monkeypatch, capsys, in_process_cli):
    publisher = make_publisher(seaweedfs.endpoint_url)  # SeaweedFS checks keys; moto takes any
    for name, value in {"INGEST_S3_BUCKET": publisher.settings.bucket, "AWS_ENDPOINT_URL": seaweedfs.endpoint_url,
                        "INGEST_SPOOL_DIR": str(tmp_path / "spool"), "AWS_ACCESS_KEY_ID": "AKIAREVOKED",
                        "AWS_SECRET_ACCESS_KEY": "no"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    status = main(["ingest", str(SAMPLES[0])])
    assert status == 2 and "S3 refused the set-up" in capsys.readouterr().err
    assert not (tmp_path / "spool").exists() or not list((tmp_path / "spool").iterdir())


def test_an_update_costs_a_head_and_two_puts_and_keeps_the_first_times(publisher, request_counter):
    """The times a next version keeps or compares travel as metadata: an update reads no body."""
    ingest_one(make_item(), publisher)
    counter = request_counter(publisher.client)
    outcome = ingest_one(make_item(make_document(body="<p>Corrected.</p>")), publisher)
    assert (outcome.status, outcome.version) == (Status.UPDATED, 2)
    assert counter.sent == {("HEAD", "articles/zenger/1/current.json"): 1, ("PUT", "articles/zenger/1/v2.json"): 1,
                            ("PUT", "articles/zenger/1/current.json"): 1}  # fmt: skip
    v2 = get_json(publisher, "articles/zenger/1/v2.json")
    assert v2["firstCreated"] == "2024-03-12T16:00:00Z" and v2["versionCreated"] > "2024-03-12T16:40:00Z"
    meta = publisher.client.head_object(Bucket=publisher.settings.bucket, Key="articles/zenger/1/current.json")
    assert meta["Metadata"]["version-created"] == v2["versionCreated"]


def test_a_current_copy_without_times_in_its_metadata_is_read_in_full(publisher):
    """A current.json written before the times were metadata: its body gives them, and nothing is lost."""
    v1 = make_document(firstCreated="2020-01-01T00:00:00Z")
    legacy = {"content-sha256": content_hash(v1), "version": "1"}
    for key in ("articles/zenger/1/v1.json", "articles/zenger/1/current.json"):
        publisher.bucket.put(key, to_bytes(v1), metadata=legacy, if_none_match=True)
    assert ingest_one(make_item(v1), publisher).status is Status.UNCHANGED
    outcome = ingest_one(make_item(make_document(body="<p>Changed.</p>")), publisher)
    assert (outcome.status, outcome.version) == (Status.UPDATED, 2)
    assert get_json(publisher, "articles/zenger/1/current.json")["firstCreated"] == "2020-01-01T00:00:00Z"


def test_puts_carry_our_own_sha256_and_no_expect_handshake(publisher):
    sent = []
    publisher.client.meta.events.register("before-send.s3", lambda request, **_: sent.append(request.headers))
    body = b'{"a": 1}'
    publisher.bucket.put("k.json", body)
    assert sent[0]["x-amz-checksum-sha256"] in (checksum_sha256(body), checksum_sha256(body).encode())
    assert "Expect" not in sent[0]


def test_a_run_keeps_counts_and_failures_and_streams_each_outcome(make_publisher, s3_server, tmp_path):
    publisher = make_publisher(s3_server.endpoint_url, validate=validate_document)
    seen = []
    summary = ingest_files([*SAMPLES[:2], tmp_path / "missing.html"], publisher, on_outcome=seen.append)
    created = summary.counts["created"]
    assert summary.outcomes is None and created >= 2 and summary.items == len(seen) == created + 1
    assert [str(o.status) for o in seen] == ["created"] * created + ["failed"]
    assert [o.input for o in summary.failures] == [str(tmp_path / "missing.html")]
    assert summary.record()["failures"][0]["error"]["code"] == "fetch_failed"
    kept = ingest_files(SAMPLES[:2], publisher, keep_outcomes=True)
    assert [str(o.status) for o in kept.outcomes] == ["unchanged"] * created


# Presumed new: after PRESUME_NEW_AFTER new articles in a row, the next ones are written without a HEAD first.


def _publish_new(publisher, numbers):
    return [ingest_one(make_item(make_document(n)), publisher) for n in numbers]


def _article_requests(counter):
    return {key: n for key, n in counter.sent.items() if key[1].startswith("articles/")}


def test_a_burst_of_new_articles_costs_two_requests_each_after_the_first_few(publisher, request_counter):
    counter = request_counter(publisher.client)
    outcomes = _publish_new(publisher, range(1, 11))
    assert [(o.status, o.version) for o in outcomes] == [(Status.CREATED, 1)] * 10
    heads = {key for (method, key) in _article_requests(counter) if method == "HEAD"}
    assert heads == {f"articles/zenger/{n}/current.json" for n in range(1, PRESUME_NEW_AFTER + 1)}
    assert sum(_article_requests(counter).values()) == 2 * 10 + PRESUME_NEW_AFTER
    for n in range(1, 11):
        current = publisher.bucket.get(f"articles/zenger/{n}/current.json")
        assert (current.version, current.content_hash) == (1, content_hash(make_document(n)))


def test_a_presumed_new_article_that_exists_is_updated_or_left_alone(publisher, request_counter):
    _publish_new(publisher, (100, 101))
    publisher.articles.start_run()
    _publish_new(publisher, range(1, PRESUME_NEW_AFTER + 1))
    counter = request_counter(publisher.client)
    changed = make_document(100, body="<p>Changed.</p>")
    outcome = ingest_one(make_item(changed), publisher)
    assert (outcome.status, outcome.version) == (Status.UPDATED, 2)
    folder = "articles/zenger/100/"  # one refused create of v1, then the usual HEAD and two PUTs
    assert _article_requests(counter) == {("PUT", f"{folder}v1.json"): 1, ("HEAD", f"{folder}current.json"): 1,
                                          ("PUT", f"{folder}v2.json"): 1, ("PUT", f"{folder}current.json"): 1}
    assert publisher.bucket.get(f"{folder}current.json").content_hash == content_hash(changed)
    _publish_new(publisher, range(5, 5 + PRESUME_NEW_AFTER))  # the streak starts again after a wrong guess
    before = snapshot(publisher, "articles/zenger/101/")
    outcome = ingest_one(make_item(make_document(101)), publisher)
    assert (outcome.status, outcome.version) == (Status.UNCHANGED, 1)
    assert snapshot(publisher, "articles/zenger/101/") == before


@pytest.mark.parametrize("body", ["<p>Changed.</p>", "<p>Second text.</p>"], ids=["changed", "unchanged"])
def test_a_presumed_new_article_whose_first_version_was_removed_loses_no_update(publisher, body):
    """Versions removed by hand or by a lifecycle rule while current.json stays: the create of v1 succeeds, but
    current.json is only taken when absent, so the article still moves on (or stays) as it should."""
    _publish_new(publisher, (200,))
    ingest_one(make_item(make_document(200, body="<p>Second text.</p>")), publisher)
    publisher.client.delete_object(Bucket=publisher.settings.bucket, Key="articles/zenger/200/v1.json")
    publisher.articles.start_run()
    _publish_new(publisher, range(1, PRESUME_NEW_AFTER + 1))
    document = make_document(200, body=body)
    outcome = ingest_one(make_item(document), publisher)
    current = publisher.bucket.get("articles/zenger/200/current.json")
    assert current.content_hash == content_hash(document)
    if body == "<p>Changed.</p>":
        assert (outcome.status, outcome.version, current.version) == (Status.UPDATED, 3, 3)
    else:
        assert (outcome.status, outcome.version, current.version) == (Status.UNCHANGED, 2, 2)
