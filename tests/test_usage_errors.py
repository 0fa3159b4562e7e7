"""Usage and configuration errors exit 2 with a message naming the fix, and those found offline never reach S3:
each command here points at an S3 endpoint nothing listens on, so reaching it would show as another status."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SHORT_SECRET = "whsec_c2hvcnQ="  # base64 of "short": 5 bytes, where Standard Webhooks asks for 24


@pytest.fixture
def offline_env(tmp_path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}"
    return {**os.environ, "INGEST_S3_BUCKET": "bkt", "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "k",
            "AWS_SECRET_ACCESS_KEY": "s", "AWS_DEFAULT_REGION": "us-east-1", "INGEST_S3_MAX_ATTEMPTS": "1",
            "INGEST_SPOOL_DIR": str(tmp_path / "spool"), "INGEST_CONFIG": ""}


def run(env, *args):
    return subprocess.run([sys.executable, "-m", "ingest_plugin", *args], env=env, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("command", ["serve", "check-config"])
def test_a_malformed_webhook_secret_is_a_usage_error_not_a_traceback(offline_env, command):
    result = run({**offline_env, "INGEST_WEBHOOK_SECRETS": SHORT_SECRET}, command)
    assert result.returncode == 2, result.stderr
    assert "webhook secret 1 of 1 is not usable" in result.stderr and "os.urandom(32)" in result.stderr
    assert "Traceback" not in result.stderr and "c2hvcnQ" not in result.stderr + result.stdout


@pytest.mark.parametrize("setting, why", [
    ("INGEST_S3_READ_TIMEOUT=0", "0.0 is less than or equal to the minimum of 0"),
    ("INGEST_S3_CONNECT_TIMEOUT=-1", "-1.0 is less than or equal to the minimum of 0"),
    ("INGEST_S3_READ_TIMEOUT=nan", "is not a number"), ("INGEST_S3_MAX_ATTEMPTS=99", "greater than the maximum of 20")])
@pytest.mark.parametrize("command", [("run",), ("check-config",), ("failed", "list")])
def test_an_s3_setting_out_of_range_in_the_environment_is_refused_like_the_files(offline_env, tmp_path, setting,
                                                                                  why, command):
    """A zero timeout ended `run` in botocore's traceback and check-config in "NOT reachable"; "nan" reached S3;
    99 attempts retried for ever. The file's `[s3] read_timeout = 0` was already a configuration error."""
    variable, value = setting.split("=")
    result = run({**offline_env, variable: value}, *command)
    assert result.returncode == 2, result.stderr
    assert f"{variable}='{value}'" in result.stderr and why in result.stderr and "Traceback" not in result.stderr
    assert "reachable" not in result.stdout + result.stderr and not (tmp_path / "spool").exists()


def test_an_impossible_date_is_refused_before_anything_runs(offline_env, tmp_path):
    result = run(offline_env, "reingest", "--failed", "--since", "2026-13-45")
    assert result.returncode == 2 and "2026-13-45" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "spool").exists()


def test_a_publish_line_that_is_no_document_is_refused_before_s3(offline_env, tmp_path):
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"uri": "urn:newsml:zenger.news:1"}\n{"uri": "urn:newsml:example.com:2"}\n')
    result = run(offline_env, "publish", str(docs))
    assert result.returncode == 2 and f"{docs}:2" in result.stderr and "names no partner" in result.stderr
    assert not (tmp_path / "spool").exists(), "a usage error must spool nothing"


@pytest.mark.parametrize("spool", ["{file}", "{file}/spool"], ids=["a-file", "under-a-file"])
def test_a_spool_directory_that_cannot_be_one_is_a_usage_error(offline_env, tmp_path, spool):
    """With S3 unreachable, `ingest` went to spool its first article there: a traceback, the other inputs never
    reported."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    pages = sorted((Path(__file__).parent / "fixtures" / "pages").glob("zenger-*.html"))[:2]
    result = run({**offline_env, "INGEST_SPOOL_DIR": spool.format(file=blocker)}, "ingest", *map(str, pages))
    assert result.returncode == 2, result.stderr
    assert f"{blocker} is not a directory" in result.stderr and "Traceback" not in result.stderr


def test_a_spool_directory_that_cannot_be_looked_at_stops_no_command_that_needs_none(offline_env, tmp_path):
    """The check of the spool directory met a name it could not look at (here too long; a parent the service user
    may not enter does the same) and ended every command in a traceback, spool or not."""
    result = run({**offline_env, "INGEST_SPOOL_DIR": str(tmp_path / ("x" * 300) / "spool")}, "failed", "show", "x")
    assert "Traceback" not in result.stderr and "spool directory" not in result.stderr
    assert result.returncode == 2 and "failed entry" in result.stderr  # the command's own answer to a bad name


@pytest.mark.parametrize("url, why", [
    ("htp:/typo", "scheme htp: is not allowed"), ("ftp://127.0.0.1:28765/x/", "scheme ftp: is not allowed"),
    ("https://www.zenger.news:99999/x", "Port out of range"), ("https:///story/", "the URL has no host")])
def test_a_malformed_reingest_url_is_a_usage_error_that_writes_nothing(offline_env, tmp_path, url, why):
    """It was fetched as a job: exit 1, and a failed/unknown/ record in S3 (spooled while S3 was down)."""
    result = run(offline_env, "reingest", "--url", url)
    assert result.returncode == 2 and f"--url: {url!r}: " in result.stderr and why in result.stderr, result.stderr
    assert result.stdout == "" and not (tmp_path / "spool").exists(), "a usage error must write nothing"


def test_an_unknown_partner_for_an_id_is_a_usage_error(offline_env):
    result = run(offline_env, "reingest", "--partner", "reuters", "--id", "1")
    assert result.returncode == 2 and "'reuters' is not configured" in result.stderr


@pytest.mark.parametrize("args, why", [
    (("ingest", "{missing}"), "no such file"), (("reingest", "--file", "{missing}"), "no such file"),
    (("ingest", "{folder}"), "a folder"), (("ingest", "/dev/zero"), "not a file or a pipe"),
    (("reingest", "--partner", "zenger", "--id", "1", "--since", "2026-01-01"), "needs --failed")])
def test_a_mistyped_input_or_a_selector_out_of_place_is_refused_before_s3(offline_env, tmp_path, args, why):
    """A missing file was kept in S3 as a failure no replay could read (exit 1), and --since without --failed
    was ignored: both are usage errors now; so is a device, which would be read without end."""
    missing, folder = tmp_path / "no-such-story.html", tmp_path
    result = run(offline_env, *(arg.format(missing=missing, folder=folder) for arg in args))
    assert result.returncode == 2 and why in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "spool").exists(), "a usage error must spool nothing"


@pytest.mark.parametrize("port", ["99999", "-1", "in use"])
def test_serve_on_a_port_it_cannot_have_is_a_usage_error(offline_env, port):
    """Port 99999 listened on 34463 (wrapped), and a port in use ended in a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        number = str(taken.getsockname()[1]) if port == "in use" else port
        result = run({**offline_env, "INGEST_WEBHOOK_SECRETS": "whsec_" + "a" * 44}, "serve", "--port", number)
    assert result.returncode == 2, result.stderr
    assert number in result.stderr and "Traceback" not in result.stderr


def test_a_pipe_or_dev_stdin_is_an_input_like_a_file(offline_env, tmp_path):
    """`cat page | ingest /dev/stdin` and `ingest <(…)` read a pipe: no usage error (the offline S3 spools it)."""
    page = Path(__file__).parent / "fixtures" / "pages" / "zenger-kenya-drought.html"
    result = subprocess.run([sys.executable, "-m", "ingest_plugin", "ingest", "/dev/stdin"], env=offline_env,
                            input=page.read_bytes(), capture_output=True, timeout=60)  # stdin is a pipe
    assert b"cannot read" not in result.stderr and result.returncode != 2, result.stderr[-2000:]


def test_a_negative_size_limit_for_parse_is_a_usage_error(offline_env):
    """It was taken, and every input then refused as "over the limit of -5 bytes" (exit 65)."""
    result = run(offline_env, "parse", "--max-bytes", "-5", "-")
    assert result.returncode == 2 and "--max-bytes" in result.stderr and "'-5'" in result.stderr


def test_parse_asked_for_an_explanation_and_a_rendering_at_once_is_a_usage_error(offline_env):
    """Each replaces the document: the rendering asked for was silently not printed."""
    sample = str(Path(__file__).resolve().parents[1] / "samples" / "zenger-article.html")
    result = run(offline_env, "parse", sample, "--profile", "newsml-g2", "--explain")
    assert result.returncode == 2 and "not allowed with argument" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("made", [False, True], ids=["missing", "a-file"])
def test_export_into_a_folder_that_is_not_there_says_which_and_never_reaches_s3(offline_env, tmp_path, made):
    """`export` never makes its folder (a mistyped path would be one no CMS watches); a missing one was reported as
    "is not a folder", which sent the reader looking for a file."""
    target = tmp_path / "watched"
    if made:
        target.write_text("")
    result = run(offline_env, "export", "--profile", "superdesk", str(target))
    assert result.returncode == 2, result.stderr
    assert ("is not a folder" if made else "does not exist") in result.stderr and "Traceback" not in result.stderr
    assert made == target.exists()
