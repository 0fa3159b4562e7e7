"""A local SQS (and SNS) server for the tests and the benchmark: ``moto_server`` in its own process, on 127.0.0.1.

Its own process, not moto's threaded server inside the caller: several ``worker`` processes poll it at once, and
a server sharing the test process's interpreter would slow both. The port is picked at run time; start-up is
bounded and a server that fails to start is stopped before the error is raised.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Self

import boto3

from ingest_plugin.testing.local_s3 import ACCESS_KEY, LOOPBACK, REGION, SECRET_KEY, LocalS3Error

_START_SECONDS = 60.0


class LocalSQS:
    """``moto_server -H 127.0.0.1 -p PORT`` as a context manager; :meth:`queue_pair` makes a queue and its DLQ."""

    def __init__(self) -> None:
        self.endpoint_url = ""
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> Self:
        with socket.socket() as probe:
            probe.bind((LOOPBACK, 0))
            port = probe.getsockname()[1]
        self._process = subprocess.Popen([_moto_server(), "-H", LOOPBACK, "-p", str(port)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "false"})
        self.endpoint_url = f"http://{LOOPBACK}:{port}"
        deadline = time.monotonic() + _START_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/", timeout=2):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise LocalS3Error(f"moto_server did not answer on {self.endpoint_url} within {_START_SECONDS:g} s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def env(self) -> dict[str, str]:
        """What points boto3's SQS and SNS clients (and a subprocess's) at this server, and only those."""
        return {"AWS_ENDPOINT_URL_SQS": self.endpoint_url, "AWS_ENDPOINT_URL_SNS": self.endpoint_url,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": REGION}

    def client(self) -> Any:
        """An SQS client on this server."""
        return boto3.client("sqs", endpoint_url=self.endpoint_url, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    def queue_pair(self, *, max_receives: int = 3, visibility_timeout: int = 30) -> tuple[str, str]:
        """A new jobs queue whose redrive policy moves a message to a new dead-letter queue after
        ``max_receives`` receives: (queue URL, DLQ URL)."""
        client, name = self.client(), f"ingest-{uuid.uuid4().hex[:12]}"
        dead = client.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dead_arn = client.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue = client.create_queue(QueueName=name, Attributes={
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(max_receives)})})
        return queue["QueueUrl"], dead


def _moto_server() -> str:
    """The ``moto_server`` script of this interpreter's environment (a virtualenv need not be on PATH)."""
    beside = Path(sys.executable).with_name("moto_server")
    found = str(beside) if beside.exists() else shutil.which("moto_server")
    if not found:
        raise LocalS3Error("moto_server is not installed: pip install 'moto[server]'")
    return found
