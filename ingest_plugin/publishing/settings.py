"""Where and how we talk to S3: settings from the environment, the boto3 client, and bucket creation.

Credentials are never settings: boto3's standard chain finds them (``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``, a profile, an instance role). Retries are bounded by an explicit *total* number of
attempts (``total_max_attempts``; plain ``max_attempts`` in a ``Config`` counts retries, one more send than it says),
and both timeouts are explicit, so one S3 call can never block a run for long.

Publishing is bound by botocore's CPU per request (docs/publishing.md, "Speed"), so the client skips the work we
make redundant: parameter validation (our calls are fixed), SDK checksums (we send our own SHA-256 of every body,
and ask for the stored one where we compare it), and the ``Expect: 100-continue`` handshake (an extra round trip,
read byte by byte, to spare sending a few KB).
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.handlers import add_expect_header

from ingest_plugin.parsing import RENDERING_PROFILES

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client  # the stubs (test extra) are needed by mypy only

# Idle connections the client keeps: at least the number of threads sharing it (a full pool drops connections).
POOL_CONNECTIONS = 64


class SettingsError(ValueError):
    """A required setting is missing or an environment variable does not parse."""


@dataclass(frozen=True)
class S3Settings:
    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None  # None: AWS (or whatever boto3 resolves)
    region: str | None = None
    max_attempts: int = 4  # HTTP sends per call, first one included
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    spool_dir: Path = Path(".ingest-spool")  # where items wait while S3 is unreachable
    # renderings written beside each version (docs/renderings.md); ninjs-3.1 is the version itself
    profiles: tuple[str, ...] = ("ninjs-3.1",)

    # environment variable for each field; AWS_* are boto3's own names, so one environment serves both
    ENV = {
        "bucket": "INGEST_S3_BUCKET",
        "prefix": "INGEST_S3_PREFIX",
        "endpoint_url": "AWS_ENDPOINT_URL",
        "region": "AWS_DEFAULT_REGION",
        "max_attempts": "INGEST_S3_MAX_ATTEMPTS",
        "connect_timeout": "INGEST_S3_CONNECT_TIMEOUT",
        "read_timeout": "INGEST_S3_READ_TIMEOUT",
        "spool_dir": "INGEST_SPOOL_DIR",
        "profiles": "INGEST_S3_PROFILES",  # space- or comma-separated
    }

    def __post_init__(self) -> None:
        if not self.bucket:
            raise SettingsError(f"no S3 bucket: set {self.ENV['bucket']}")
        if self.max_attempts < 1:
            raise SettingsError("max_attempts must be at least 1")
        object.__setattr__(self, "prefix", self.prefix.strip("/"))
        object.__setattr__(self, "spool_dir", Path(self.spool_dir))
        if (blocked := _not_a_directory(self.spool_dir)) is not None:  # found now, not when S3 is down and it is needed
            raise SettingsError(f"the spool directory {self.spool_dir} cannot be made: {blocked} is not a directory "
                                f"(set {self.ENV['spool_dir']} or [s3] spool_dir)")
        unknown = [p for p in self.profiles if p not in RENDERING_PROFILES]
        if unknown:
            raise SettingsError(f"unknown rendering profile(s) {unknown}: choose from {', '.join(RENDERING_PROFILES)}")
        object.__setattr__(self, "profiles", tuple(dict.fromkeys(self.profiles)))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> "S3Settings":
        """Settings from environment variables (see :attr:`ENV`); keyword arguments win over the environment."""
        values = cls.environment(os.environ if environ is None else environ)
        values.update({name: value for name, value in overrides.items() if value is not None})
        return cls(bucket=str(values.pop("bucket", "")), **values)  # type: ignore[arg-type]

    @classmethod
    def environment(cls, environ: Mapping[str, str]) -> dict[str, object]:
        """The settings ``environ`` sets, each as the TOML file would hold it, so that one rule checks both."""
        values: dict[str, object] = {}
        for name, variable in cls.ENV.items():
            raw = environ.get(variable, "")
            if raw == "":
                continue
            parse, what = _PARSERS.get(name, (str, "text"))
            try:
                values[name] = parse(raw)
            except ValueError:
                raise SettingsError(f"{variable}={raw!r} is not {what}") from None
        return values


def _finite(raw: str) -> float:
    """A number of seconds; not "nan", which every range check (the schema's too) lets through."""
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def _words(raw: str) -> list[str]:
    """A list written space- or comma-separated, each word once (as the settings keep them)."""
    return list(dict.fromkeys(raw.replace(",", " ").split()))


# how a variable becomes the value the file's key holds, and what it must be to become one
_PARSERS: dict[str, tuple[Callable[[str], object], str]] = {
    "max_attempts": (int, "a whole number"), "connect_timeout": (_finite, "a number"),
    "read_timeout": (_finite, "a number"), "profiles": (_words, "a list"),
}


def _not_a_directory(path: Path) -> Path | None:
    """``path``, or the nearest of its parents that exists, when that is not a directory. None when it cannot be
    looked at (a parent the service user may not enter, a name too long): the commands that use the spool say so,
    and the others need none."""
    try:
        existing = next((p for p in (path, *path.parents) if p.exists()), None)
        return existing if existing is not None and not existing.is_dir() else None
    except OSError:
        return None


def make_client(settings: S3Settings) -> S3Client:
    """A boto3 S3 client with bounded standard-mode retries, explicit timeouts and path-style addressing.

    Each call builds its own session: a session is not thread-safe, a client is, so worker threads share one.
    """
    config = Config(
        retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_pool_connections=POOL_CONNECTIONS,
        s3={"addressing_style": "path"},
        parameter_validation=False,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    client = boto3.session.Session().client(
        "s3", endpoint_url=settings.endpoint_url, region_name=settings.region, config=config
    )
    client.meta.events.unregister("before-call.s3", add_expect_header)
    return client


def ensure_bucket(client: S3Client, settings: S3Settings) -> bool:
    """Create the bucket unless it exists (``--create-bucket``). Returns True when it was created."""
    kwargs: dict[str, Any] = {"Bucket": settings.bucket}
    region = settings.region or client.meta.region_name
    if region and region != "us-east-1":  # us-east-1 rejects an explicit location constraint
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        client.create_bucket(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "BucketAlreadyOwnedByYou":  # BucketAlreadyExists: someone else's
            return False
        raise
    return True
