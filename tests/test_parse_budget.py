"""The parse budget (issue #16): each input a runner parses gets a CPU budget that really stops the work. An input
past it is refused as ``too_complex``, kept under failed/ with its raw payload, and replayable with a larger budget;
the rest of the batch goes on; within the budget, parsing gives exactly what it gives in-process.

The runaway input is an ordinary 9.5 MB article page: about two CPU seconds of honest parsing, four times a 0.5 s
budget on any machine, and never forever, so a broken budget shows as a failed assertion, not a hung suite.
"""
from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from ingest_plugin import log
from ingest_plugin.ingest.budget import BudgetedParser, parse_in_process, parser_for
from ingest_plugin.parsing.model import ItemResult
from tests.conftest import logging_as_it_was
from tests.httpserver import LoopbackHTTPServer, Route, partner_config
from tests.pagebuilder import zenger_page
from tests.test_triggers import cli, env, items, keys  # noqa: F401 - env is a fixture

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "pages" / "zenger-kenya-drought.html"
PARAGRAPH = ("<p>The committee met on Tuesday to discuss the budget, and members said the plan would "
             "<a href='https://www.zenger.news/budget/'>cut costs</a> by a third over the next decade.</p>\n")


@cache
def huge_page() -> bytes:
    return zenger_page(PARAGRAPH * (9_500_000 // len(PARAGRAPH)), headline="A Very Long Budget Story").encode()


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "huge-story.html"
    path.write_bytes(huge_page())
    return path


def test_the_parse_command_stops_an_input_past_its_budget_and_goes_on(big_file: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "ingest_plugin", "parse", "--budget", "0.5", str(big_file),
                             str(SMALL)], capture_output=True, timeout=120)
    assert result.returncode == 65
    (document,) = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert document["headlines"][0]["value"].startswith("Kenya")
    errors = [json.loads(line) for line in result.stderr.decode().splitlines() if '"code"' in line]
    (error,) = errors
    assert (error["code"], error["input"], error["stage"]) == ("too_complex", str(big_file), "parse")
    assert "0.5 s CPU budget" in error["message"]


def test_the_budget_is_a_positive_number_of_seconds() -> None:
    for bad in ("0", "-1", "soon", "9999"):
        result = subprocess.run([sys.executable, "-m", "ingest_plugin", "parse", "--budget", bad, str(SMALL)],
                                capture_output=True, timeout=60)
        assert result.returncode == 2 and b"--budget" in result.stderr and not result.stdout


def test_within_the_budget_parsing_gives_exactly_what_it_gives_in_process() -> None:
    parse = parser_for(30)
    inputs = sorted(p for folder in ("pages", "feeds", "api", "bad") for p in (FIXTURES / folder).iterdir()
                    if p.is_file() and p.name != "expected.json")
    assert len(inputs) > 20
    for path in inputs:
        data = path.read_bytes()
        assert outcomes(parse(data, input_name=path.name)) == outcomes(parse_in_process(data, input_name=path.name))


def outcomes(results: list[ItemResult]) -> list[tuple[object, ...]]:
    """Results as comparable values (two errors with the same code, message, input and stage are equal)."""
    return [(r.input_name, r.raw, r.document, r.error and r.error.to_dict(), r.partner, r.article_key, r.source_url)
            for r in results]


def test_the_workers_log_lines_carry_the_callers_run(capsys: pytest.CaptureFixture[str]) -> None:
    page = (FIXTURES / "pages" / "zenger-capetown-no-disclaimer.html").read_bytes()
    with logging_as_it_was():
        log.configure("WARNING", json=True)
        run_id = log.bind_run("cron")
        (result,) = parser_for(30)(page, input_name="capetown.html")
        assert result.document is not None
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    (added,) = [line for line in lines if line["event"] == "disclaimer_added"]
    assert (added["run_id"], added["trigger"], added["partner"], added["input"]) == (run_id, "cron", "zenger",
                                                                                     "capetown.html")


def test_a_worker_that_died_between_inputs_is_replaced() -> None:
    parse = BudgetedParser(30)
    data = SMALL.read_bytes()
    try:
        (first,) = parse(data)
        for worker in parse._idle:  # killed from outside (an OOM killer, an operator) while idle
            worker._process.kill()
            worker._process.wait()
        (second,) = parse(data)
        assert second == first and second.document is not None
    finally:
        parse.close()


def config_file(tmp_path: Path, budget: float) -> Path:
    path = tmp_path / f"budget-{budget}.toml"
    path.write_text(f"[limits]\nparse_budget_seconds = {budget}\n")
    return path


def test_ingest_keeps_a_too_complex_input_for_replay_and_publishes_the_rest(env, tmp_path: Path,  # noqa: F811
                                                                           big_file: Path) -> None:
    result = cli(env, "ingest", "--config", str(config_file(tmp_path, 0.5)), str(big_file), str(SMALL))
    assert result.returncode == 1, result.stderr.decode()[-2000:]
    outcomes = {Path(i["input"]).name: i for i in items(result)}
    assert outcomes[SMALL.name]["status"] == "created"
    assert outcomes[big_file.name]["status"] == "failed"
    assert outcomes[big_file.name]["error"]["code"] == "too_complex"
    _, s3, bucket = env
    (raw_key,) = [k for k in keys(env, "failed/") if k.endswith("/raw")]
    assert s3.get_object(Bucket=bucket, Key=raw_key)["Body"].read() == huge_page()  # the payload, byte for byte

    replay = cli(env, "reingest", "--failed", "--config", str(config_file(tmp_path, 60)))
    assert replay.returncode == 0, replay.stderr.decode()[-2000:]
    (replayed,) = items(replay)
    assert replayed["status"] == "created"
    assert keys(env, "failed/") == []
    current = [k for k in keys(env, "articles/") if k.endswith("current.json")]
    assert len(current) == 2


def test_a_scheduled_run_keeps_a_too_complex_feed_and_publishes_the_others(env, tmp_path: Path) -> None:  # noqa: F811
    routes = {"/feed/": Route((FIXTURES / "feeds" / "zenger-wordpress.rss").read_bytes(),
                              content_type="application/rss+xml"),
              "/huge/": Route(huge_page())}
    with LoopbackHTTPServer(routes) as site:
        config = tmp_path / "cron.toml"
        config.write_text(partner_config(site, feeds=["/huge/", "/feed/"], limits={"parse_budget_seconds": 0.5}))
        result = cli(env, "run", "--config", str(config))
    assert result.returncode == 1, result.stderr.decode()[-2000:]
    outcomes = items(result)
    assert sorted(o["status"] for o in outcomes) == ["created"] * 3 + ["failed"]
    (refused,) = [o for o in outcomes if o["status"] == "failed"]
    assert (refused["input"], refused["error"]["code"]) == (site.url("/huge/"), "too_complex")
    assert len([k for k in keys(env, "failed/") if k.endswith("/raw")]) == 1
