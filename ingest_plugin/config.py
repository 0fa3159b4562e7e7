"""Configuration: a TOML file (``--config PATH`` or ``INGEST_CONFIG``) plus environment overrides.

The file is validated against ``schemas/config.schema.json`` before anything runs, so a typo is reported with its
path instead of being ignored. Environment variables win over the file: the S3 ones of
:class:`~ingest_plugin.publishing.settings.S3Settings` (``INGEST_S3_BUCKET``, ``AWS_ENDPOINT_URL``, …) and
``INGEST_WEBHOOK_SECRETS`` (space-separated ``whsec_…`` values, as Standard Webhooks writes them).
"""
from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest_plugin import partners
from ingest_plugin.parsing import DEFAULT_MAX_BYTES
from ingest_plugin.publishing.settings import S3Settings, SettingsError
from ingest_plugin.schemas import compile_validator, load_schema
from ingest_plugin.transport.fetch import FetchPolicy

CONFIG_ENV = "INGEST_CONFIG"
SECRETS_ENV = "INGEST_WEBHOOK_SECRETS"
_VALIDATOR = compile_validator(load_schema("config.schema.json"))


class ConfigError(ValueError):
    """The configuration cannot be used; the message says where and why."""


@dataclass(frozen=True)
class PartnerConfig:
    profile: partners.PartnerProfile
    feeds: tuple[str, ...] = ()
    allowed_hosts: frozenset[str] = frozenset()
    update_policy: str = "update"  # "ignore": a changed article is not republished
    fetch_article_page: bool = False
    enabled: bool = True
    article_url: str | None = None  # template with "{id}": how to fetch an article named only by its id


@dataclass(frozen=True)
class Limits:
    max_input_bytes: int = DEFAULT_MAX_BYTES
    max_items_per_run: int = 200
    fetch_connect_timeout: float = 5.0
    fetch_read_timeout: float = 20.0
    fetch_max_redirects: int = 5
    min_seconds_between_requests: float = 1.0
    parse_budget_seconds: float = 10.0  # CPU time per input in a parse worker process; 0 parses in-process


@dataclass(frozen=True)
class WebhookConfig:
    secrets: tuple[str, ...] = ()
    tolerance_seconds: int = 300
    max_body_bytes: int = 20_000
    queue_size: int = 100
    workers: int = 2
    dedupe: str = "memory"  # "s3": webhook-ids remembered in the bucket, for several hosts behind one endpoint


@dataclass(frozen=True)
class QueueConfig:
    """The SQS jobs queue that spreads work over workers or Lambda; no URL: one host, no queue (the default)."""

    url: str | None = None  # INGEST_QUEUE_URL
    dead_letter_url: str | None = None  # INGEST_DLQ_URL: where jobs go after max_receives (reingest --from-dlq)
    endpoint_url: str | None = None  # an SQS-compatible server; boto3 also reads AWS_ENDPOINT_URL_SQS
    max_receives: int = 5  # INGEST_MAX_RECEIVES: the DLQ redrive policy's maxReceiveCount
    visibility_timeout: int = 300  # seconds a received job stays hidden; extended while it runs
    wait_seconds: int = 20  # long polling
    retry_seconds: int = 10  # a job that could not run is delivered again after this, doubling per receive


@dataclass(frozen=True)
class ChangesConfig:
    """Change events for the CMS: the S3 change log, and an SQS queue or SNS topic to send each event to."""

    log: bool = True
    queue_url: str | None = None  # INGEST_CHANGES_QUEUE_URL
    topic_arn: str | None = None  # INGEST_CHANGES_TOPIC_ARN


_QUEUE_ENV = {"url": "INGEST_QUEUE_URL", "dead_letter_url": "INGEST_DLQ_URL", "max_receives": "INGEST_MAX_RECEIVES"}
_CHANGES_ENV = {"queue_url": "INGEST_CHANGES_QUEUE_URL", "topic_arn": "INGEST_CHANGES_TOPIC_ARN"}


@dataclass(frozen=True)
class Config:
    s3_file: Mapping[str, Any] = field(default_factory=dict)  # [s3] of the file; see :meth:`s3`
    partners: tuple[PartnerConfig, ...] = ()
    limits: Limits = Limits()
    webhook: WebhookConfig = WebhookConfig()
    queue: QueueConfig = QueueConfig()
    changes: ChangesConfig = ChangesConfig()
    quiet_partner_hours: float = 24.0
    allow_private_addresses: bool = False
    allow_file_urls: bool = False
    file_roots: tuple[str, ...] = ()
    source: str = "(defaults)"
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    def s3(self, **overrides: Any) -> S3Settings:
        """S3 settings: environment variables win over the file, keyword arguments over both."""
        from_file = {k: v for k, v in self.s3_file.items() if not self.environ.get(S3Settings.ENV[k])}
        try:
            return S3Settings.from_env(self.environ, **{**from_file, **overrides})
        except SettingsError as exc:
            raise ConfigError(f"{self.source}: {exc}") from None

    def fetch_policy(self, partner: PartnerConfig, **overrides: Any) -> FetchPolicy:
        """The fetch policy this configuration gives one partner; ``overrides`` replace single fields."""
        limits = self.limits
        settings: dict[str, Any] = {
            "allowed_hosts": partner.allowed_hosts,
            "allow_file": self.allow_file_urls,
            "file_roots": tuple(Path(root) for root in self.file_roots),
            "allow_private": self.allow_private_addresses,
            "connect_timeout": limits.fetch_connect_timeout,
            "read_timeout": limits.fetch_read_timeout,
            "max_bytes": limits.max_input_bytes,
            "max_redirects": limits.fetch_max_redirects,
            "min_interval": limits.min_seconds_between_requests,
        }
        return FetchPolicy(**{**settings, **overrides})

    def partner(self, key: str) -> PartnerConfig:
        for partner in self.partners:
            if partner.profile.key == key:
                return partner
        raise ConfigError(f"{self.source}: partner {key!r} is not configured (known: "
                          f"{', '.join(p.profile.key for p in self.partners)})")


def load_config(path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """The configuration from ``path`` (else ``INGEST_CONFIG``, else built-in defaults) and the environment."""
    environ = dict(os.environ if environ is None else environ)
    path = path or environ.get(CONFIG_ENV) or None
    data: dict[str, Any] = {}
    source = "(defaults)"
    if path:
        source = str(path)
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{source}: no such configuration file") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{source}: cannot read the configuration: {exc}") from None
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ConfigError(source + ": " + "; ".join(
            f"{'.'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}" for e in errors))
    webhook = dict(data.get("webhook", {}))
    if environ.get(SECRETS_ENV, "").strip():
        webhook["secrets"] = environ[SECRETS_ENV].split()
    fetch = data.get("fetch", {})
    return Config(
        s3_file=data.get("s3", {}),
        partners=_partners(data.get("partners"), source),
        limits=Limits(**data.get("limits", {})),
        webhook=WebhookConfig(**{**webhook, "secrets": tuple(webhook.get("secrets", ()))}),
        queue=QueueConfig(**_with_environment(data.get("queue", {}), _QUEUE_ENV, environ, source)),
        changes=ChangesConfig(**_with_environment(data.get("changes", {}), _CHANGES_ENV, environ, source)),
        quiet_partner_hours=data.get("alerts", {}).get("quiet_partner_hours", 24.0),
        allow_private_addresses=fetch.get("allow_private_addresses", False),
        allow_file_urls=fetch.get("allow_file_urls", False),
        file_roots=tuple(fetch.get("file_roots", ())),
        source=source,
        environ=environ,
    )


def _with_environment(table: dict[str, Any], names: dict[str, str], environ: Mapping[str, str],
                      source: str) -> dict[str, Any]:
    """A table of the file with the environment variables that override its keys (``names``: key -> variable)."""
    merged = dict(table)
    for key, variable in names.items():
        value = environ.get(variable, "").strip()
        if not value:
            continue
        if key == "max_receives":
            if not value.isdigit() or not 1 <= int(value) <= 1000:
                raise ConfigError(f"{source}: {variable}={value!r} is not a number of receives from 1 to 1000")
            merged[key] = int(value)
        else:
            merged[key] = value
    return merged


def _partners(entries: list[dict[str, Any]] | None, source: str) -> tuple[PartnerConfig, ...]:
    """Configured partners; with no ``[[partners]]`` table, every known profile with no feeds."""
    if entries is None:
        entries = [{"profile": key} for key in partners.PROFILES]
    seen: set[str] = set()
    out = []
    for entry in entries:
        if entry["profile"] in seen:
            raise ConfigError(f"{source}: partners: {entry['profile']!r} is configured twice")
        seen.add(entry["profile"])
        profile = partners.by_key(entry["profile"])
        out.append(PartnerConfig(
            profile=profile,
            feeds=tuple(entry.get("feeds", ())),
            allowed_hosts=frozenset(entry.get("allowed_hosts") or profile.hosts),
            update_policy=entry.get("update_policy", "update"),
            fetch_article_page=entry.get("fetch_article_page", profile.fetch_article_page),
            enabled=entry.get("enabled", True),
            article_url=entry.get("article_url", profile.article_url),
        ))
    return tuple(out)
