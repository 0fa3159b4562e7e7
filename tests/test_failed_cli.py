"""``ingest-plugin failed list|show|drop`` as an operator uses it, against a real local S3: records written by the
failed/ store itself, commands run through ``main`` or as a process (on a pseudo-terminal where a person would
sit), and the bucket read back afterwards."""
from __future__ import annotations

import json
import os
import pty
import select
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ingest_plugin.entrypoints.cli import main
from ingest_plugin.errors import IngestError, Stage
from ingest_plugin.ingest.jobs import item_job
from ingest_plugin.publishing import Publisher
from tests.conftest import logging_as_it_was, make_document, make_item

pytestmark = pytest.mark.s3
PREFIX = "newsroom"  # every key under a prefix, as in production: names must work with and without it


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """``main`` points structlog at this test's captured stderr, closed once the test ends: later tests must not log
    there."""
    with logging_as_it_was():
        yield


@pytest.fixture
def cli_env(make_publisher: Callable[..., Publisher], monkeypatch: pytest.MonkeyPatch,
            tmp_path: Any) -> Callable[[str], Publisher]:
    """``cli_env(endpoint)``: a publisher on a new bucket, and the environment the command finds it by."""
    def setup(endpoint: str) -> Publisher:
        publisher = make_publisher(endpoint, prefix=PREFIX)
        monkeypatch.delenv("INGEST_CONFIG", raising=False)
        monkeypatch.setenv("INGEST_S3_BUCKET", publisher.settings.bucket)
        monkeypatch.setenv("INGEST_S3_PREFIX", PREFIX)
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("INGEST_SPOOL_DIR", str(tmp_path / "spool"))
        return publisher
    return setup


@pytest.fixture
def store(cli_env: Callable[[str], Publisher], seaweedfs: Any) -> Publisher:
    return cli_env(seaweedfs.endpoint_url)


def fail(publisher: Publisher, number: int | None, code: str, when: str, *, partner: str | None = "zenger",
         raw: bytes | None = None) -> str:
    """Keep a failure the way the job handler does (``number`` None: an input that named no article), then date
    its last failure ``when``; returns the record's key."""
    document = make_document(number or 1)
    raw = raw if raw is not None else f"<html>story {number}</html>".encode()
    item = make_item(document, raw=raw, partner=partner, article_key=str(number) if number else None,
                     input_name=f"story-{number}.html")
    error = IngestError(code, f"why {number} failed", input=item.input_name, stage=Stage.EXTRACT)
    key = publisher.failed.record(item, error, run_id="0123456789abcdef", job=item_job(item).summary())
    publisher.bucket.update_json(key, lambda record: {**(record or {}), "first_failed_at": when,
                                                      "last_failed_at": when})
    return key


@pytest.fixture
def entries(store: Publisher) -> dict[str, str]:
    """Five failures over a week, three partners (one "unknown"), four codes: name -> error.json key."""
    return {
        "unknown": fail(store, None, "undecodable", "2026-10-15T12:00:00Z", partner=None, raw=b"\xff\xfe\x00junk"),
        "zenger/1": fail(store, 1, "not_an_article", "2026-11-01T10:00:00Z"),
        "zenger/2": fail(store, 2, "fetch_failed", "2026-11-02T23:30:00Z"),
        "benzinga/3": fail(store, 3, "fetch_failed", "2026-11-03T00:00:00Z", partner="benzinga"),
        "zenger/4": fail(store, 4, "invalid_document", "2026-11-05T08:00:00Z"),
    }


def failed(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["failed", *args])
    out, err = capsys.readouterr()
    return status, out, err


def listed(capsys: pytest.CaptureFixture[str], *filters: str) -> list[str]:
    status, out, err = failed(capsys, "list", *filters)
    assert status == 0, err
    return [json.loads(line)["entry"] for line in out.splitlines()]


def bucket_keys(publisher: Publisher) -> set[str]:
    return set(publisher.bucket.keys(f"{PREFIX}/"))


def command(*args: str, stdin: Any = subprocess.DEVNULL, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "ingest_plugin", *args], stdin=stdin, capture_output=True,
                          env=dict(os.environ), timeout=timeout)


def on_terminal(*args: str, answer: str | None = None, timeout: float = 60) -> tuple[int, str]:
    """Run the command with stdin, stdout and stderr on a pseudo-terminal, as a person at a shell; ``answer`` is
    typed once the question shows. Returns the exit status and everything the terminal showed."""
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "ingest_plugin", *args], stdin=slave, stdout=slave,
                               stderr=slave, env=dict(os.environ), start_new_session=True)
    os.close(slave)
    shown, deadline, answered = b"", time.monotonic() + timeout, False
    try:
        while True:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"no end after {timeout}s; the terminal showed: {shown!r}")
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the command ended and closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            if answer is not None and not answered and b"[y/N]" in shown:
                os.write(master, answer.encode() + b"\n")
                answered = True
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    return process.wait(timeout=10), shown.decode().replace("\r\n", "\n")


# ---- list


def test_a_record_someone_broke_is_left_out_and_a_new_failure_rewrites_it(capsys: pytest.CaptureFixture[str],
                                                                           store: Publisher,
                                                                           entries: dict[str, str]) -> None:
    store.bucket.put(entries["zenger/2"], b'{"code": "fetch_')
    status, out, err = failed(capsys, "list", "--partner", "zenger")
    assert status == 0, err
    assert [json.loads(line)["entry"] for line in out.splitlines()] == ["zenger/1", "zenger/4"]
    assert "failed_record_unreadable" in err and entries["zenger/2"] in err
    assert failed(capsys, "show", "zenger/2")[0] == 0  # what the log names can be looked at
    fail(store, 2, "fetch_failed", "2026-11-06T00:00:00Z")  # the article fails again: its record is written anew
    assert listed(capsys, "--partner", "zenger") == ["zenger/1", "zenger/4", "zenger/2"]
    store.bucket.put(entries["zenger/4"], b"[]")
    assert failed(capsys, "drop", "zenger/4", "--yes")[0] == 0  # ... and dropped
    assert listed(capsys, "--partner", "zenger") == ["zenger/1", "zenger/2"]


def test_list_filters_select_the_right_entries(capsys: pytest.CaptureFixture[str], entries: dict[str, str]) -> None:
    unknown = entries["unknown"].split("/")[-3] + "/" + entries["unknown"].split("/")[-2]
    assert listed(capsys) == [unknown, "zenger/1", "zenger/2", "benzinga/3", "zenger/4"]  # oldest failure first
    assert listed(capsys, "--partner", "zenger") == ["zenger/1", "zenger/2", "zenger/4"]
    assert listed(capsys, "--partner", "unknown") == [unknown]
    assert listed(capsys, "--code", "fetch_failed") == ["zenger/2", "benzinga/3"]
    # a day is the whole day (UTC), both bounds inclusive
    assert listed(capsys, "--since", "2026-11-02", "--until", "2026-11-02") == ["zenger/2"]
    assert listed(capsys, "--until", "2026-11-02T23:30:00Z") == [unknown, "zenger/1", "zenger/2"]
    assert listed(capsys, "--since", "2026-11-03T01:00:00+01:00") == ["benzinga/3", "zenger/4"]  # = 00:00Z
    assert listed(capsys, "--since", "2026-11-03T00:00:01") == ["zenger/4"]  # no offset: UTC
    assert listed(capsys, "--partner", "zenger", "--code", "fetch_failed", "--since", "2026-11-02") == ["zenger/2"]
    assert listed(capsys, "--partner", "benzinga", "--code", "not_an_article") == []


def test_list_json_lines_carry_the_record(capsys: pytest.CaptureFixture[str], entries: dict[str, str]) -> None:
    status, out, _ = failed(capsys, "list", "--partner", "benzinga")
    assert status == 0
    (line,) = out.splitlines()
    record = json.loads(line)
    assert record["key"] == entries["benzinga/3"] == f"{PREFIX}/failed/benzinga/3/error.json"
    assert record["entry"] == "benzinga/3"
    assert record["code"] == "fetch_failed" and record["stage"] == "extract" and record["attempts"] == 1
    assert record["input"] == "story-3.html" and record["last_failed_at"] == "2026-11-03T00:00:00Z"
    assert record["raw_key"] == f"{PREFIX}/failed/benzinga/3/raw"
    assert record["job"]["source"]["kind"] and record["job"]["action"] == "ingest"


def test_list_on_a_terminal_prints_one_line_per_entry(entries: dict[str, str]) -> None:
    status, shown = on_terminal("failed", "list", "--code", "fetch_failed")
    assert status == 0, shown
    lines = shown.splitlines()
    assert len(lines) == 3, shown
    assert lines[0].split() == ["2026-11-02T23:30:00Z", "zenger/2", "fetch_failed", "1", "attempt", "story-2.html"]
    assert lines[1].split() == ["2026-11-03T00:00:00Z", "benzinga/3", "fetch_failed", "1", "attempt", "story-3.html"]
    assert lines[2] == "2 failed entries"
    assert "{" not in shown  # no JSON for a person


# ---- show


def test_show_prints_the_record_by_any_of_its_names(capsys: pytest.CaptureFixture[str],
                                                    entries: dict[str, str]) -> None:
    key = entries["zenger/2"]
    for name in ("zenger/2", key, key.removeprefix(f"{PREFIX}/"), f"{PREFIX}/failed/zenger/2/"):
        status, out, err = failed(capsys, "show", name)
        assert status == 0, (name, err)
        record = json.loads(out)
        assert record["key"] == key and record["code"] == "fetch_failed" and record["message"] == "why 2 failed"
        assert record["first_failed_at"] == record["last_failed_at"] == "2026-11-02T23:30:00Z"


def test_show_raw_writes_the_kept_bytes_exactly(store: Publisher, entries: dict[str, str]) -> None:
    shown = command("failed", "show", entries["unknown"], "--raw")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == b"\xff\xfe\x00junk"
    shown = command("failed", "show", "zenger/1", "--raw")
    assert shown.stdout == b"<html>story 1</html>"


def test_show_a_missing_or_malformed_name(capsys: pytest.CaptureFixture[str], entries: dict[str, str]) -> None:
    status, out, err = failed(capsys, "show", "zenger/999")
    assert (status, out) == (1, "") and "no failed entry 'zenger/999'" in err
    for nonsense in ("zenger", "../../articles/zenger/1", "articles/zenger/1/current.json", "zenger/1/2"):
        status, out, err = failed(capsys, "show", nonsense)
        assert (status, out) == (2, ""), nonsense
        assert "names no failed entry" in err


# ---- drop


def test_drop_by_filter_removes_exactly_the_selected_records_and_raw_payloads(
        capsys: pytest.CaptureFixture[str], cli_env: Callable[[str], Publisher], s3_server: Any) -> None:
    publisher = cli_env(s3_server.endpoint_url)  # on SeaweedFS and on moto
    kept = [fail(publisher, n, "not_an_article", "2026-11-01T10:00:00Z") for n in (1, 2)]
    dropped = [fail(publisher, 3, "fetch_failed", "2026-11-03T00:00:00Z", partner="benzinga"),
               fail(publisher, 4, "fetch_failed", "2026-11-04T00:00:00Z")]
    publisher.bucket.put(f"{PREFIX}/articles/zenger/3/current.json", b"{}")  # an article that must stay
    before = bucket_keys(publisher)

    status, out, err = failed(capsys, "drop", "--code", "fetch_failed", "--yes")
    assert status == 0, err
    assert [json.loads(line) for line in out.splitlines()] == [
        {"event": "dropped", "key": dropped[0], "entry": "benzinga/3", "code": "fetch_failed"},
        {"event": "dropped", "key": dropped[1], "entry": "zenger/4", "code": "fetch_failed"}]
    gone = {key for record in dropped for key in (record, record.removesuffix("error.json") + "raw")}
    assert gone <= before and bucket_keys(publisher) == before - gone
    assert [entry.key for entry in publisher.failed.entries()] == kept


def test_drop_by_name_without_a_terminal(capsys: pytest.CaptureFixture[str], store: Publisher,
                                         entries: dict[str, str]) -> None:
    before = bucket_keys(store)
    # one entry, named: nothing to ask, dropped
    status, out, err = failed(capsys, "drop", "zenger/1")
    assert status == 0, err
    assert json.loads(out)["key"] == entries["zenger/1"]
    after = before - {entries["zenger/1"], f"{PREFIX}/failed/zenger/1/raw"}
    assert bucket_keys(store) == after
    # several named, one of them twice: refused without --yes, nothing deleted
    status, out, err = failed(capsys, "drop", "zenger/2", entries["zenger/4"], "zenger/2")
    assert (status, out) == (2, "")
    assert "2 entries match" in err and "not a terminal" in err and "--yes" in err
    assert bucket_keys(store) == after
    # a missing name among them: the others are dropped, the status says one was not there
    status, out, err = failed(capsys, "drop", "zenger/2", "zenger/999", "--yes")
    assert status == 1 and "no failed entry 'zenger/999'" in err
    assert [json.loads(line)["entry"] for line in out.splitlines()] == ["zenger/2"]
    assert bucket_keys(store) == after - {entries["zenger/2"], f"{PREFIX}/failed/zenger/2/raw"}


def test_a_script_dropping_several_entries_without_yes_deletes_nothing(store: Publisher,
                                                                        entries: dict[str, str]) -> None:
    before = bucket_keys(store)
    refused = command("failed", "drop", "--partner", "zenger")
    assert refused.returncode == 2
    assert b"3 entries match and standard input is not a terminal" in refused.stderr
    assert b"add --yes" in refused.stderr and refused.stdout == b""
    assert bucket_keys(store) == before


def test_drop_asks_on_a_terminal(store: Publisher, entries: dict[str, str]) -> None:
    before = bucket_keys(store)
    status, shown = on_terminal("failed", "drop", "--code", "fetch_failed", answer="n")
    assert status == 0, shown
    assert "zenger/2" in shown and "benzinga/3" in shown and "Drop 2 failed entries? [y/N]" in shown
    assert "nothing dropped" in shown and bucket_keys(store) == before

    status, shown = on_terminal("failed", "drop", "--code", "fetch_failed", answer="y")
    assert status == 0, shown
    assert "dropped zenger/2" in shown and "dropped benzinga/3" in shown and "dropped 2 failed entries" in shown
    assert bucket_keys(store) == before - {entries["zenger/2"], f"{PREFIX}/failed/zenger/2/raw",
                                           entries["benzinga/3"], f"{PREFIX}/failed/benzinga/3/raw"}


def test_drop_needs_names_or_filters_not_both(capsys: pytest.CaptureFixture[str], store: Publisher,
                                              entries: dict[str, str]) -> None:
    before = bucket_keys(store)
    status, _, err = failed(capsys, "drop")
    assert status == 2 and "name the entries to drop" in err
    status, _, err = failed(capsys, "drop", "zenger/1", "--partner", "zenger", "--yes")
    assert status == 2 and "not both" in err
    status, _, err = failed(capsys, "drop", "--since", "2026-11-05", "--until", "2026-11-01", "--yes")
    assert status == 2 and "--since is after --until" in err
    assert bucket_keys(store) == before


@pytest.mark.parametrize("elsewhere", ["articles/zenger/5/current.json", "failed/zenger/6/raw"])
def test_drop_deletes_no_object_outside_the_entry_folder(capsys: pytest.CaptureFixture[str], store: Publisher,
                                                          elsewhere: str) -> None:
    key = fail(store, 5, "not_an_article", "2026-11-01T10:00:00Z")
    other = f"{PREFIX}/{elsewhere}"
    store.bucket.put(other, b"{}")
    store.bucket.update_json(key, lambda record: {**(record or {}), "raw_key": other})  # a damaged record
    status, _, err = failed(capsys, "drop", "zenger/5")
    assert status == 0, err
    assert bucket_keys(store) == {other}


# ---- usage errors never reach S3


@pytest.fixture
def silent_s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """An "S3 endpoint" that accepts connections and never answers: a command that reaches it shows up in its
    backlog (and fails on its read timeout); one that does not leaves it empty."""
    listener = socket.create_server(("127.0.0.1", 0))
    endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
    for name, value in {"INGEST_S3_BUCKET": "nowhere", "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "x",
                        "AWS_SECRET_ACCESS_KEY": "y", "AWS_DEFAULT_REGION": "us-east-1",
                        "INGEST_S3_MAX_ATTEMPTS": "1", "INGEST_S3_CONNECT_TIMEOUT": "1",
                        "INGEST_S3_READ_TIMEOUT": "1", "AWS_CONFIG_FILE": "/dev/null",
                        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("INGEST_CONFIG", raising=False)
    yield listener
    listener.close()


def connections(listener: socket.socket) -> int:
    listener.setblocking(False)
    count = 0
    while True:
        try:
            accepted, _ = listener.accept()
        except BlockingIOError:
            return count
        accepted.close()
        count += 1


@pytest.mark.parametrize("args, complaint", [
    (["list", "--since", "2026-02-30"], b"argument --since: '2026-02-30' is not a date"),
    (["list", "--until", "2026-13-01"], b"argument --until: '2026-13-01' is not a date"),
    (["drop", "--since", "2026-11-01T25:00", "--yes"], b"argument --since: '2026-11-01T25:00' is not a date"),
    (["list", "--since", "last week"], b"argument --since: 'last week' is not a date"),
    (["list", "--since", "2026-11-02", "--until", "2026-11-01"], b"--since is after --until"),
    (["list", "--code", "oops"], b"argument --code: invalid choice: 'oops'"),
    (["show", "../../etc"], b"names no failed entry"),
])
def test_a_usage_error_exits_2_before_any_s3_request(silent_s3: socket.socket, args: list[str],
                                                      complaint: bytes) -> None:
    result = command("failed", *args)
    assert result.returncode == 2, result.stderr
    assert complaint in result.stderr and b"Traceback" not in result.stderr
    assert connections(silent_s3) == 0


def test_an_unreachable_s3_exits_1(silent_s3: socket.socket) -> None:
    """The control of the test above: the same set-up with a good date does reach "S3", and exits 1."""
    result = command("failed", "list", "--since", "2026-11-01")
    assert result.returncode == 1 and b'"code": "publish_failed"' in result.stderr, result.stderr
    assert b"Traceback" not in result.stderr
    assert connections(silent_s3) >= 1


# ---- the store's API, as other callers use it


def test_entries_since_keeps_its_old_callers_working(store: Publisher, entries: dict[str, str]) -> None:
    assert [e.name for e in store.failed.entries("2026-11-03")] == ["benzinga/3", "zenger/4"]  # reingest --since
    assert [e.name for e in store.failed.entries("2026-11-02T23:30:00Z")][:1] == ["zenger/2"]
    assert len(list(store.failed.entries())) == 5
    with pytest.raises(ValueError, match="not a date"):
        list(store.failed.entries("yesterday"))


def test_record_key_accepts_every_name_of_an_entry(make_publisher: Callable[..., Publisher], seaweedfs: Any) -> None:
    for prefix, root in (("", "failed/"), (PREFIX, f"{PREFIX}/failed/")):
        store = make_publisher(seaweedfs.endpoint_url, prefix=prefix).failed
        for name in ("zenger/1", "zenger/1/", f"{root}zenger/1/error.json", "failed/zenger/1/error.json",
                     f"{root}zenger/1/", " zenger/1 "):
            assert store.record_key(name) == f"{root}zenger/1/error.json", name
        for nonsense in ("", "zenger", "zenger/1/raw", "zenger/../1", "a/b/c/error.json"):
            with pytest.raises(ValueError):
                store.record_key(nonsense)


def test_a_failure_again_restores_a_raw_payload_that_went_missing(store: Publisher) -> None:
    """The record said the payload was kept while its object was gone: no replay could parse it again."""
    key = fail(store, 7, "not_an_article", "2026-11-01T10:00:00Z")
    raw_key = key.replace("error.json", "raw")
    store.bucket.delete(raw_key)
    fail(store, 7, "not_an_article", "2026-11-02T10:00:00Z")
    stored = store.bucket.get(raw_key)
    assert stored is not None and stored.body == b"<html>story 7</html>"
