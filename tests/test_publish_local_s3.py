"""The local SeaweedFS helper: loopback only, telemetry off, data kept across a restart (the demo relies on it)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest_plugin.testing.local_s3 import SeaweedFS

pytestmark = pytest.mark.s3
REPO = Path(__file__).resolve().parent.parent


def _listening_addresses(pid: int) -> set[str]:
    """Local addresses (hex ``ADDR:PORT`` as in /proc/net/tcp*) of every socket the process listens on."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                found.add(fields[1])
    return found


def test_weed_listens_on_loopback_only_with_telemetry_off(seaweedfs):
    assert "-master.telemetry=false" in seaweedfs.command()
    addresses = _listening_addresses(seaweedfs._process.pid)
    assert addresses, "weed should be listening"
    loopback = ("0100007F:", "0000000000000000FFFF00000100007F:", "00000000000000000000000001000000:")
    assert all(address.startswith(loopback) for address in addresses), addresses


def test_data_survives_a_restart(tmp_path):
    with SeaweedFS(tmp_path / "s3") as server:
        server.client().create_bucket(Bucket="kept")
        server.client().put_object(Bucket="kept", Key="a.json", Body=b"{}")
        first_endpoint = server.endpoint_url
    with SeaweedFS(tmp_path / "s3") as server:
        assert server.endpoint_url == first_endpoint  # same ports again: one stable endpoint per data dir
        assert server.client().get_object(Bucket="kept", Key="a.json")["Body"].read() == b"{}"


def test_demo_twice_writes_no_article_the_second_time(tmp_path):
    command = [sys.executable, "-m", "ingest_plugin.testing.demo", "--data-dir", str(tmp_path / "demo-s3"),
               "--samples", str(REPO / "samples")]  # fmt: skip
    first = subprocess.run(command, capture_output=True, text=True, timeout=120)
    second = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "articles/zenger/63809/v1.json" in first.stdout and "Nothing new written" not in first.stdout
    assert "6 unchanged" in second.stdout and "Nothing new written: 0 article objects" in second.stdout
    written = second.stdout.split("Keys written by this run:")[1].split("Nothing new")[0].split()
    assert sorted(key.rsplit("/", 1)[0] for key in written) == ["runs", "runs/history", "runs/latest"]
    assert first.stdout.split("One document")[1] == second.stdout.split("One document")[1]
