"""Orphans: a process SIGKILLed between writing ``v{N+1}.json`` and moving ``current.json``, against real local S3
servers (SeaweedFS and moto). The next write meets the orphan and ends with ``current.json`` on the newest version;
the ``repair`` sweep resolves the orphans no write meets (docs/publishing.md, "Orphans and repair").

The crash is real: a child process registers a botocore ``before-send`` hook that SIGKILLs the process itself just
before the PUT that would move ``current.json`` to the new version, after the version's own create-only PUT landed.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ingest_plugin.entrypoints.cli import repair as commands_repair
from ingest_plugin.ingest.jobs import item_job
from ingest_plugin.parsing.pipeline import parse_items
from ingest_plugin.parsing.validate import validate_document
from ingest_plugin.publishing import Publisher, S3Settings, Status
from ingest_plugin.publishing.articles import ORPHAN_GRACE_SECONDS, RepairAction
from ingest_plugin.publishing.content import content_hash, to_bytes
from tests.conftest import get_json, ingest_one, job_handler, make_document, make_item, minimal_validate, snapshot

pytestmark = pytest.mark.s3
REPO = Path(__file__).resolve().parent.parent
FOLDER = "articles/zenger/1/"
EDIT = "<p>An edit the partner later took back.</p>"


def _crash_worker() -> None:
    """Child process: ingest one document through the job handler, and SIGKILL itself just before the PUT that
    would move current.json to version ``die_at`` (whose v{N}.json is then already written)."""
    spec = json.loads(sys.stdin.readline())
    publisher = Publisher(S3Settings(**spec["settings"]), validate=minimal_validate)

    def die_before_moving_current(request, **_):
        key = request.url.split("?", 1)[0]
        version = request.headers.get("x-amz-meta-version")
        version = version.decode() if isinstance(version, bytes) else version
        if request.method == "PUT" and key.endswith("/current.json") and version == str(spec["die_at"]):
            os.kill(os.getpid(), signal.SIGKILL)

    publisher.client.meta.events.register("before-send.s3", die_before_moving_current)
    list(job_handler(publisher)(item_job(make_item(spec["document"]))))
    print("survived", flush=True)


def crash_between_the_two_writes(publisher: Publisher, document: dict, die_at: int) -> None:
    settings = {"bucket": publisher.settings.bucket, "endpoint_url": publisher.settings.endpoint_url,
                "region": publisher.settings.region, "spool_dir": str(publisher.settings.spool_dir)}  # fmt: skip
    spec = {"settings": settings, "document": document, "die_at": die_at}
    code = "from tests.test_publish_repair import _crash_worker; _crash_worker()"
    child = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=os.environ.copy(), input=json.dumps(spec) + "\n",
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert child.returncode == -signal.SIGKILL, (child.returncode, child.stdout, child.stderr)


def keys(publisher, prefix=FOLDER):
    listing = publisher.client.list_objects_v2(Bucket=publisher.settings.bucket, Prefix=prefix)
    return sorted(o["Key"][len(prefix):] for o in listing.get("Contents", []))




def body_of(document):
    return document["bodies"][0]["value"]


def repair(publisher, **options):
    return list(publisher.articles.repair(**{"grace_seconds": 0, **options}))


@pytest.fixture
def orphaned(publisher):
    """v1 (the first text) is current; a process died after writing v2 (an edit) and before moving current.json."""
    assert ingest_one(make_item(), publisher).status is Status.CREATED
    crash_between_the_two_writes(publisher, make_document(body=EDIT), die_at=2)
    assert keys(publisher) == ["current.json", "v1.json", "v2.json"]
    assert get_json(publisher, f"{FOLDER}current.json")["version"] == "1"
    assert body_of(get_json(publisher, f"{FOLDER}v2.json")) == EDIT
    return publisher


def test_the_next_update_meets_the_orphan_and_ends_current_on_the_newest(orphaned, request_counter):
    newest = make_document(body="<p>The partner's next edit.</p>")
    counter = request_counter(orphaned.client)
    outcome = ingest_one(make_item(newest), orphaned)
    assert (outcome.status, outcome.version) == (Status.UPDATED, 3)
    # its v2 is refused (412): read v2, move current.json to it, then write v3 and move current.json again
    assert counter.sent == {("HEAD", f"{FOLDER}current.json"): 2, ("PUT", f"{FOLDER}v2.json"): 1,
                            ("GET", f"{FOLDER}v2.json"): 1, ("PUT", f"{FOLDER}current.json"): 2,
                            ("PUT", f"{FOLDER}v3.json"): 1}  # fmt: skip
    current = get_json(orphaned, f"{FOLDER}current.json")
    assert current == get_json(orphaned, f"{FOLDER}v3.json") and body_of(current) == body_of(newest)
    assert keys(orphaned) == ["current.json", "v1.json", "v2.json", "v3.json"]
    assert body_of(get_json(orphaned, f"{FOLDER}v2.json")) == EDIT  # versions are immutable
    assert repair(orphaned) == []


def test_the_crashed_runs_retry_adopts_its_own_orphan(orphaned):
    """The trigger that crashed runs again (cron's cursor did not record the item, the webhook journal replays):
    the same edit finds its v2 and only moves current.json."""
    outcome = ingest_one(make_item(make_document(body=EDIT)), orphaned)
    assert (outcome.status, outcome.version) == (Status.UNCHANGED, 2)
    assert get_json(orphaned, f"{FOLDER}current.json") == get_json(orphaned, f"{FOLDER}v2.json")
    assert keys(orphaned) == ["current.json", "v1.json", "v2.json"] and repair(orphaned) == []


def test_the_partner_reverts_and_the_sweep_supersedes_the_orphan(orphaned, request_counter):
    """The issue's case: the partner took the edit back, so every ingest finds current.json unchanged (one HEAD)
    and never meets v2. The sweep re-issues the current text as v3; an unchanged re-run then costs one HEAD."""
    counter = request_counter(orphaned.client)
    assert ingest_one(make_item(), orphaned).status is Status.UNCHANGED
    assert counter.sent == {("HEAD", f"{FOLDER}current.json"): 1}

    before = snapshot(orphaned)
    (waiting,) = orphaned.articles.repair()  # the default grace: a writer may still be between its two writes
    assert (waiting.action, waiting.current_version, waiting.orphan_version) == (RepairAction.WAITING, 1, 2)
    (planned,) = repair(orphaned, dry_run=True)
    assert (planned.action, planned.version, planned.dry_run) == (RepairAction.SUPERSEDED, 3, True)
    assert snapshot(orphaned) == before

    counter = request_counter(orphaned.client)
    (done,) = repair(orphaned)
    assert (done.action, done.current_version, done.orphan_version, done.version, done.key) == (
        RepairAction.SUPERSEDED, 1, 2, 3, f"{FOLDER}v3.json")  # fmt: skip
    assert counter.total() == 5  # the listing, GET current.json and v2, PUT v3 and current.json
    assert counter.total("PUT") == 2 and counter.total("GET") == 3
    v1, v3 = get_json(orphaned, f"{FOLDER}v1.json"), get_json(orphaned, f"{FOLDER}v3.json")
    assert get_json(orphaned, f"{FOLDER}current.json") == v3 and content_hash(v3) == content_hash(v1)
    assert v3["version"] == "3" and v3["firstCreated"] == v1["firstCreated"]
    assert v3["edNote"].startswith("Restore: version 3 repeats version 1, the current text; version 2 never")
    assert body_of(get_json(orphaned, f"{FOLDER}v2.json")) == EDIT
    meta = orphaned.client.head_object(Bucket=orphaned.settings.bucket, Key=f"{FOLDER}current.json")["Metadata"]
    assert (meta["version"], meta["pub-status"], meta["source-url"]) == ("3", "usable", "https://www.zenger.news/story/")

    counter = request_counter(orphaned.client)
    assert ingest_one(make_item(), orphaned).status is Status.UNCHANGED
    assert counter.sent == {("HEAD", f"{FOLDER}current.json"): 1}
    counter = request_counter(orphaned.client)
    assert repair(orphaned) == []
    assert counter.total() == 1  # the listing: current.json has the ETag of v3, so nothing else is read


def test_a_crash_before_current_json_exists_is_adopted(publisher):
    crash_between_the_two_writes(publisher, make_document(), die_at=1)
    assert keys(publisher) == ["v1.json"]
    (done,) = repair(publisher)
    assert (done.action, done.current_version, done.version) == (RepairAction.ADOPTED, None, 1)
    assert get_json(publisher, f"{FOLDER}current.json") == get_json(publisher, f"{FOLDER}v1.json")
    assert ingest_one(make_item(), publisher).status is Status.UNCHANGED


def _orphan(publisher, number, document):
    """A version written as the protocol writes it, whose writer then died before moving current.json."""
    _orphan_of(publisher, FOLDER, number, document)


def _orphan_of(publisher, folder, number, document):
    document = {**document, "version": str(number)}
    assert publisher.bucket.put(f"{folder}v{number}.json", to_bytes(document), if_none_match=True,
                                metadata={"content-sha256": content_hash(document), "version": str(number),
                                          "pub-status": document.get("pubStatus", "usable")})  # fmt: skip


def test_a_restore_keeps_the_note_on_its_content_for_the_editors(publisher):
    """A restored version carries its own version note, not the stored version's ("Update: …"), but keeps the
    parser's note on the content it repeats (a headline taken from the first sentence: write one)."""
    note = "Ingest note: the headline is the story's first sentence, as the source names no title."
    ingest_one(make_item(make_document(edNote=note)), publisher)
    assert ingest_one(make_item(make_document(body=EDIT, edNote=note)), publisher).status is Status.UPDATED
    assert get_json(publisher, f"{FOLDER}v2.json")["edNote"].endswith(f"the partner changed the article. {note}")
    _orphan(publisher, 3, make_document(body="<p>An edit whose writer died.</p>"))
    (done,) = repair(publisher)
    assert (done.action, done.version) == (RepairAction.SUPERSEDED, 4)
    v4 = get_json(publisher, f"{FOLDER}v4.json")
    assert body_of(v4) == EDIT
    assert v4["edNote"] == ("Restore: version 4 repeats version 2, the current text; version 3 never became "
                            f"current (left by an interrupted write). {note}")


def test_an_orphaned_kill_is_adopted(publisher):
    ingest_one(make_item(), publisher)
    _orphan(publisher, 2, make_document(pubStatus="canceled"))
    (done,) = repair(publisher)
    assert (done.action, done.version) == (RepairAction.ADOPTED, 2)
    assert get_json(publisher, f"{FOLDER}current.json")["pubStatus"] == "canceled"
    assert ingest_one(make_item(make_document(body=EDIT)), publisher).status is Status.KILLED


def test_an_orphaned_update_above_a_kill_never_revives_the_article(publisher):
    """A usable version above a kill (a reinstatement that crashed, or what the previous release wrote on a plain
    re-ingest): the sweep keeps the article killed, re-issuing the kill as the newest version."""
    ingest_one(make_item(), publisher)
    ingest_one(make_item(), publisher, cancel=True)
    _orphan(publisher, 3, make_document(body=EDIT))
    (done,) = repair(publisher)
    assert (done.action, done.current_version, done.version) == (RepairAction.SUPERSEDED, 2, 4)
    v4 = get_json(publisher, f"{FOLDER}v4.json")
    assert get_json(publisher, f"{FOLDER}current.json") == v4 and v4["pubStatus"] == "canceled"
    assert v4["edNote"].startswith("Kill: version 4 cancels this article") and "Restore: version 4 repeats" in v4[
        "edNote"]
    assert ingest_one(make_item(make_document(body=EDIT)), publisher).status is Status.KILLED


def test_the_sweep_on_a_clean_bucket_writes_nothing_and_reads_only_the_listing(publisher, request_counter):
    for n in range(1, 6):
        ingest_one(make_item(make_document(n)), publisher)
    ingest_one(make_item(make_document(2, body=EDIT)), publisher)
    ingest_one(make_item(make_document(3)), publisher, cancel=True)
    publisher.bucket.put("articles/zenger/notes.txt", b"not an article")  # left alone
    before = snapshot(publisher)
    for dry_run in (False, True):
        counter = request_counter(publisher.client)
        assert repair(publisher, dry_run=dry_run) == []
        assert counter.total() == 1 and snapshot(publisher) == before


def test_the_sweep_of_one_partner_leaves_the_others(orphaned):
    before = snapshot(orphaned)
    assert repair(orphaned, partner="benzinga") == [] and snapshot(orphaned) == before
    assert [r.action for r in repair(orphaned, partner="zenger")] == [RepairAction.SUPERSEDED]


def test_a_dry_run_of_an_adoption_writes_nothing(publisher):
    ingest_one(make_item(), publisher)
    _orphan(publisher, 2, make_document(pubStatus="canceled"))
    before = snapshot(publisher)
    (planned,) = repair(publisher, dry_run=True)
    assert (planned.action, planned.version, planned.dry_run) == (RepairAction.ADOPTED, 2, True)
    assert snapshot(publisher) == before


def test_one_article_failing_does_not_stop_the_sweep(publisher):
    """Article 1 lost current.json and its newest version was put there by hand (no metadata of ours): it is never
    made current (its number and content hash would be guesses), the failure names it, the sweep goes on."""
    for n in (1, 2):
        ingest_one(make_item(make_document(n)), publisher)
        _orphan_of(publisher, f"articles/zenger/{n}/", 2, make_document(n, body=EDIT))
    publisher.client.put_object(Bucket=publisher.settings.bucket, Key=f"{FOLDER}v2.json",
                                Body=to_bytes(make_document(body=EDIT)))  # fmt: skip
    publisher.client.delete_object(Bucket=publisher.settings.bucket, Key=f"{FOLDER}current.json")
    results = repair(publisher)
    assert [(r.action, r.article_key) for r in results] == [(RepairAction.FAILED, "1"),
                                                            (RepairAction.SUPERSEDED, "2")]  # fmt: skip
    assert results[0].message.startswith(f"{FOLDER}v2.json: not a version ingest-plugin wrote") and not results[0].ok
    assert keys(publisher) == ["v1.json", "v2.json"]


# The command: ingest-plugin repair


@pytest.fixture
def command(s3_server, tmp_path, monkeypatch, capsys):
    """``command(publisher, *argv)`` runs ``ingest-plugin repair`` on ``publisher``'s bucket: (status, stdout
    lines as JSON, stderr)."""
    parser = argparse.ArgumentParser()
    commands_repair.add_repair_parser(parser.add_subparsers())

    def run(publisher, *argv, endpoint_url=None):
        for name, value in {"INGEST_S3_BUCKET": publisher.settings.bucket,
                            "AWS_ENDPOINT_URL": endpoint_url or s3_server.endpoint_url,
                            "INGEST_SPOOL_DIR": str(tmp_path / "spool")}.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        args = parser.parse_args(["repair", *argv])
        status = args.handler(args)
        captured = capsys.readouterr()
        return status, [json.loads(line) for line in captured.out.splitlines()], captured.err

    return run


@pytest.fixture
def sample_orphaned(make_publisher, s3_server):
    """The orphaned fixture on the real sample article, validated as the command validates (the full profile)."""
    publisher = make_publisher(s3_server.endpoint_url, validate=validate_document)
    (item,) = parse_items((REPO / "samples" / "zenger-article.html").read_bytes(), input_name="zenger-article.html")
    assert ingest_one(item, publisher).status is Status.CREATED
    body = item.document["bodies"][0]
    edit = {**item.document, "bodies": [{**body, "value": body["value"] + f"{EDIT}"}, *item.document["bodies"][1:]]}
    crash_between_the_two_writes(publisher, edit, die_at=2)
    return publisher


def test_the_command_repairs_and_reports_json_lines(sample_orphaned, command):
    orphaned = sample_orphaned
    before = snapshot(orphaned)
    status, lines, _ = command(orphaned)
    assert status == 0 and [(line["event"], line["action"]) for line in lines[:-1]] == [("item", "waiting")]
    status, lines, _ = command(orphaned, "--grace", "0", "--dry-run")
    assert status == 0 and lines[0]["action"] == "superseded" and lines[0]["dry_run"] is True
    assert lines[-1] == {"event": "repair", "ok": True, "complete": True, "counts": {"superseded": 1},
                         "dry_run": True}  # fmt: skip
    assert snapshot(orphaned) == before
    status, lines, _ = command(orphaned, "--grace", "0", "--partner", "zenger")
    assert status == 0 and lines[0]["version"] == 3 and lines[-1]["counts"] == {"superseded": 1}
    # The version it made current is news to the CMS: its change event is in the log (none was written before).
    changes = orphaned.client.list_objects_v2(Bucket=orphaned.settings.bucket, Prefix="changes/").get("Contents", [])
    assert [c["Key"] for c in changes if c["Key"].endswith(f"-{lines[0]['article_key']}-v3.json")]
    status, lines, _ = command(orphaned, "--grace", "0")
    assert status == 0 and lines == [{"event": "repair", "ok": True, "complete": True, "counts": {},
                                      "dry_run": False}]  # fmt: skip


def test_the_command_exits_1_when_s3_cannot_be_read(publisher, command, monkeypatch):
    monkeypatch.setenv("INGEST_S3_MAX_ATTEMPTS", "1")
    status, lines, err = command(publisher, endpoint_url="http://127.0.0.1:9")  # nothing listens there
    assert status == 1 and json.loads(err.strip().splitlines()[-1])["code"] == "publish_failed"
    assert lines == [{"event": "repair", "ok": False, "complete": False, "counts": {}, "dry_run": False}]


def test_the_command_exits_2_on_usage_and_configuration_errors(publisher, command, monkeypatch, tmp_path):
    assert commands_repair.DEFAULT_GRACE_SECONDS == ORPHAN_GRACE_SECONDS  # kept apart only so --help imports no boto3
    with pytest.raises(SystemExit) as exit_info:
        command(publisher, "--grace", "soon")
    assert exit_info.value.code == 2
    status, _, err = command(publisher, "--partner", "nobody")
    assert status == 2 and "'nobody' is not configured" in err
    status, _, err = command(publisher, "--config", str(tmp_path / "missing.toml"))
    assert status == 2 and "no such configuration file" in err


def test_the_command_on_a_terminal_prints_a_line_per_article_and_the_counts(publisher):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = Terminal()
    printer = commands_repair._Printer(dry_run=False, out=out)
    ingest_one(make_item(), publisher)
    _orphan(publisher, 2, make_document(body=EDIT))
    for result in repair(publisher):
        printer.item(result)
    printer.summary()
    assert out.getvalue().splitlines() == ["  superseded zenger/1  current.json v1 -> v3 (orphan v2)",
                                           "repair: 1 superseded"]  # fmt: skip
