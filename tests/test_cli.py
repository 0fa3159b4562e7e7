"""``ingest-plugin parse`` as a user runs it: JSON Lines on stdout, one coded JSON error per bad input on stderr,
exit status 65 when anything failed, and the other inputs still processed."""
import json
import subprocess
import sys

from tests.pagebuilder import zenger_page


def run(*args, stdin: bytes | None = None):
    return subprocess.run([sys.executable, "-m", "ingest_plugin", *args], input=stdin, capture_output=True,
                          timeout=60)


def _errors(stderr: bytes) -> list[dict]:
    lines = [json.loads(line) for line in stderr.decode().splitlines() if line.strip()]
    return [line for line in lines if "code" in line]


def test_good_and_bad_inputs_together(tmp_path):
    good = tmp_path / "story.html"
    good.write_text(zenger_page())
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    binary = tmp_path / "photo.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    result = run("parse", str(empty), str(good), str(binary))
    assert result.returncode == 65
    docs = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [d["headlines"][0]["value"] for d in docs] == ["Congress Passes Spending Bill"]
    errors = _errors(result.stderr)
    assert [(e["code"], e["input"]) for e in errors] == [("empty_input", str(empty)), ("undecodable", str(binary))]
    assert all(e["message"] for e in errors)
    assert b"Traceback" not in result.stderr


def test_stdin_and_clean_exit():
    result = run("parse", "-", stdin=zenger_page().encode())
    assert result.returncode == 0, result.stderr
    [doc] = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert doc["uri"] == "urn:newsml:zenger.news:4242"


def test_too_large_and_not_an_article(tmp_path):
    listing = tmp_path / "home.html"
    listing.write_text("<html><head><title>Zenger News</title></head><body>" + "".join(
        f"<article><h2><a href='/2024/01/0{i}/x/'>Story {i}</a></h2><p>Teaser {i}</p></article>" for i in range(9))
        + "</body></html>")
    big = tmp_path / "big.html"
    big.write_text(zenger_page())
    result = run("parse", str(listing), str(big), "--max-bytes", "2000")
    assert result.returncode == 65 and result.stdout == b""
    assert {e["code"] for e in _errors(result.stderr)} == {"not_an_article", "too_large"}


def test_missing_file_is_reported_by_name(tmp_path):
    result = run("parse", str(tmp_path / "nope.html"))
    assert result.returncode == 66
    [error] = _errors(result.stderr)
    assert error["input"].endswith("nope.html") and error["code"] == "fetch_failed"


def test_help_explains_codes_and_exit_status():
    result = run("parse", "--help")
    assert result.returncode == 0
    for word in (b"empty_input", b"not_an_article", b"invalid_document", b"65", b"JSON Lines"):
        assert word in result.stdout


def test_forced_input_format_and_pretty_output():
    result = run("parse", "-", "--input-format", "html", "--pretty", stdin=zenger_page().encode())
    assert result.returncode == 0
    assert json.loads(result.stdout)["by"] == "Zenger News"
    assert result.stdout.count(b"\n") > 20


def test_every_command_help_states_its_exit_status():
    """The README sends operators to `COMMAND --help`; each one says what its exit statuses mean (check-config did
    not, though it exits 1 or 2 for different causes)."""
    import argparse

    from ingest_plugin.entrypoints.cli import build_parser

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    missing = [name for name, parser in commands.choices.items() if "Exit status:" not in parser.format_help()]
    assert missing == []
