"""The systemd units under deploy/systemd/ start real commands: each ExecStart names ``ingest-plugin`` with options
its parser accepts, the timer starts the run service, and the sandbox leaves the spool writable. When
``systemd-analyze`` is installed, it verifies the files too (unknown keys, bad values)."""
from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from ingest_plugin.entrypoints.cli import build_parser

SYSTEMD = Path(__file__).resolve().parents[1] / "deploy" / "systemd"
SERVICES = sorted(SYSTEMD.glob("*.service"))
COMMAND_OF = {"ingest-plugin-run.service": "run", "ingest-plugin-serve.service": "serve",
              "ingest-plugin-worker.service": "worker"}


def unit(path: Path) -> configparser.ConfigParser:
    """A unit file read as systemd does, near enough: keys case-sensitive, repeated keys allowed (the last one is
    kept, which is all these checks need), no interpolation, comments on their own lines only."""
    parser = configparser.ConfigParser(strict=False, interpolation=None, comment_prefixes=("#", ";"),
                                       inline_comment_prefixes=None, empty_lines_in_values=False)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    return parser


def exec_start(path: Path) -> list[str]:
    line = unit(path)["Service"]["ExecStart"]
    return shlex.split(line.lstrip("-@:+!"))  # systemd's prefixes: ignore failure, argv[0], privileges


def test_the_units_are_there() -> None:
    assert sorted(p.name for p in SERVICES) == sorted(COMMAND_OF)
    assert (SYSTEMD / "ingest-plugin-run.timer").is_file() and (SYSTEMD / "README.md").is_file()


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_exec_start_names_a_real_command_with_options_that_parse(path: Path) -> None:
    program, *arguments = exec_start(path)
    assert program.startswith("/") and Path(program).name == "ingest-plugin", program
    try:
        args = build_parser().parse_args(arguments)
    except SystemExit as exc:  # argparse's way of refusing
        raise AssertionError(f"{path.name}: ExecStart options do not parse: {arguments}") from exc
    assert args.command == COMMAND_OF[path.name]
    assert args.config == "/etc/ingest-plugin/ingest.toml"
    if args.command == "serve":
        assert (args.host, args.port) == ("127.0.0.1", 8080)  # behind the reverse proxy, never on every address


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_services_run_sandboxed_and_can_write_their_spool(path: Path) -> None:
    service = unit(path)["Service"]
    assert service["User"] not in ("", "root") and service["EnvironmentFile"] == "/etc/ingest-plugin/env"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "yes"
    spool = dict(line.split("=", 1) for line in shlex.split(service["Environment"]))["INGEST_SPOOL_DIR"]
    writable = [f"/var/lib/{service['StateDirectory']}", *service.get("ReadWritePaths", "").split()]
    assert any(spool == place or spool.startswith(place.rstrip("/") + "/") for place in writable), (spool, writable)


def test_run_is_a_oneshot_started_by_the_timer() -> None:
    assert unit(SYSTEMD / "ingest-plugin-run.service")["Service"]["Type"] == "oneshot"
    timer = unit(SYSTEMD / "ingest-plugin-run.timer")
    assert timer["Timer"]["Unit"] == "ingest-plugin-run.service"
    assert timer["Timer"]["OnCalendar"] == "*:0/5" and timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"


@pytest.mark.parametrize("name", ["ingest-plugin-serve.service", "ingest-plugin-worker.service"])
def test_long_running_services_restart_on_failure_and_drain_on_sigterm(name: str) -> None:
    service = unit(SYSTEMD / name)["Service"]
    assert service["Type"] == "simple" and service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"]) >= 150  # a running job may fetch for 120 s, then write to S3
    assert service["RestartPreventExitStatus"] == "2"  # a configuration error: restarting will not fix it


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    """systemd's own reading of the files. The program is not installed on this machine, so the one complaint
    allowed is that ``/srv/ingest/.venv/bin/ingest-plugin`` is not executable here."""
    for path in SYSTEMD.glob("ingest-plugin-*"):
        shutil.copy(path, tmp_path / path.name)
    result = subprocess.run(["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
                            capture_output=True, text=True, timeout=60)
    complaints = [line for line in (result.stdout + result.stderr).splitlines()
                  if line.strip() and "Command /srv/ingest/.venv/bin/ingest-plugin is not executable" not in line]
    assert complaints == [], "\n".join(complaints)
