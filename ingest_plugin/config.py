"""Configuration: a TOML file (``--config PATH`` or ``INGEST_CONFIG``) plus environment overrides.

The file, and every partner file it names, is validated against ``schemas/config.schema.json`` before anything
runs, so a typo is reported with its path instead of being ignored. Partners are data: the built-in ones
(``partners/partners.toml``), replaced or joined by the ``[partners.KEY]`` tables that define one. Environment
variables win over the file: the S3 ones of :class:`~ingest_plugin.publishing.settings.S3Settings`
(``INGEST_S3_BUCKET``, ``AWS_ENDPOINT_URL``, …) and ``INGEST_WEBHOOK_SECRETS`` (space-separated ``whsec_…`` values,
as Standard Webhooks writes them).
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
from ingest_plugin.partners import BUILT_IN as BUILT_IN_PROFILES
from ingest_plugin.partners import PartnerProfile
from ingest_plugin.publishing.settings import S3Settings, SettingsError
from ingest_plugin.schemas import compile_validator, load_schema
from ingest_plugin.transport.fetch import FetchPolicy

CONFIG_ENV = "INGEST_CONFIG"
SECRETS_ENV = "INGEST_WEBHOOK_SECRETS"
_SCHEMA = load_schema("config.schema.json")
_VALIDATOR = compile_validator(_SCHEMA)
# A partner file: the configuration's partner tables, and nothing else.
_PARTNER_FILE_VALIDATOR = compile_validator({**_SCHEMA, "required": ["partners"],
                                             "properties": {"partners": _SCHEMA["properties"]["partners"]}})
_S3_VALIDATOR = compile_validator(_SCHEMA["properties"]["s3"])  # the [s3] table: its environment variables too


class ConfigError(ValueError):
    """The configuration cannot be used; the message says where and why."""


BUILT_IN = "built-in"  # the source of a partner defined by the package itself


@dataclass(frozen=True)
class PartnerConfig:
    profile: PartnerProfile
    feeds: tuple[str, ...] = ()
    allowed_hosts: frozenset[str] = frozenset()
    update_policy: str = "update"  # "ignore": a changed article is not republished
    fetch_article_page: bool = False
    enabled: bool = True
    article_url: str | None = None  # template with "{id}": how to fetch an article named only by its id
    source: str = BUILT_IN  # where its profile is defined: built-in, or the configuration or partner file


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
    partners: tuple[PartnerConfig, ...] = ()  # the configured partners: what the triggers may ingest
    profiles: tuple[PartnerProfile, ...] = BUILT_IN_PROFILES  # every partner parsing knows (install them)
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
        """S3 settings: environment variables win over the file, keyword arguments over both. A variable is held to
        the rule of the file's key it stands for (``INGEST_S3_READ_TIMEOUT=0`` like ``read_timeout = 0``): botocore
        would refuse it only when a command first builds a client, in a traceback."""
        from_file = {k: v for k, v in self.s3_file.items() if not self.environ.get(S3Settings.ENV[k])}
        try:
            errors = _S3_VALIDATOR.iter_errors(S3Settings.environment(self.environ))
            if problems := [f"{(variable := S3Settings.ENV[e.absolute_path[0]])}={self.environ[variable]!r}: "
                            f"{e.message}" for e in errors]:
                raise SettingsError("; ".join(sorted(problems)))
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
        raise ConfigError(f"{self.source}: partner {key!r} is not configured (known: {', '.join(self.partner_keys)})")

    @property
    def partner_keys(self) -> tuple[str, ...]:
        return tuple(partner.profile.key for partner in self.partners)

    def install_partners(self) -> None:
        """Make this configuration's partners the ones the process parses with (and reads document URIs with)."""
        partners.install(self.profiles)


def load_config(path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """The configuration from ``path`` (else ``INGEST_CONFIG``, else built-in defaults) and the environment."""
    environ = dict(os.environ if environ is None else environ)
    path = path or environ.get(CONFIG_ENV) or None
    data: dict[str, Any] = {}
    source = "(defaults)"
    if path:
        source = str(path)
        data = _read_toml(Path(path), source, "configuration file")
    if isinstance(data.get("partners"), list):
        data["partners"] = _partner_list(data["partners"], source)
    _check(data, _VALIDATOR, source)
    configured, profiles = _partners(data, Path(path).parent if path else Path("."), source)
    webhook = dict(data.get("webhook", {}))
    if environ.get(SECRETS_ENV, "").strip():
        webhook["secrets"] = environ[SECRETS_ENV].split()
    fetch = data.get("fetch", {})
    return Config(
        s3_file=data.get("s3", {}),
        partners=configured,
        profiles=profiles,
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


def _check(data: dict[str, Any], validator: Any, source: str) -> None:
    """Every schema error of ``data``, each with its path, in one :class:`ConfigError`."""
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ConfigError(source + ": " + "; ".join(
            f"{'.'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}" for e in errors))


def _partner_list(entries: list[Any], source: str) -> dict[str, Any]:
    """The ``[[partners]]`` list of release 0.2 (each entry with ``profile = KEY``), read as the ``[partners.KEY]``
    tables it stands for, so that configurations written for it still load."""
    tables: dict[str, Any] = {}
    for number, entry in enumerate(entries):
        key = entry.get("profile") if isinstance(entry, dict) else None
        if not isinstance(key, str):
            raise ConfigError(f"{source}: partners.{number}: no profile = KEY (better: one [partners.KEY] table each)")
        if key in tables:
            raise ConfigError(f"{source}: partners: {key!r} is configured twice")
        tables[key] = {name: value for name, value in entry.items() if name != "profile"}
    return tables


def _partners(data: dict[str, Any], directory: Path, source: str
              ) -> tuple[tuple[PartnerConfig, ...], tuple[PartnerProfile, ...]]:
    """The configured partners and every partner parsing knows. A table with ``name`` defines a partner (replacing
    a built-in one of its key); one without configures a partner defined elsewhere. With no partner table and no
    partner file, every built-in partner is configured, with no feeds."""
    defined: dict[str, tuple[PartnerProfile, str]] = {p.key: (p, BUILT_IN) for p in BUILT_IN_PROFILES}
    settings: dict[str, Mapping[str, Any]] = {}  # the configured partners' tables
    for number, name in enumerate(data.get("partner_files", ())):
        path = directory / name
        for key, table in _partner_file(path, f"{source}: partner_files.{number}: {str(path)!r}").items():
            if key in settings:
                raise ConfigError(f"{path}: partners.{key}: already defined in {defined[key][1]}")
            defined[key] = (_profile(key, table, str(path)), str(path))
            settings[key] = table
    for key, table in data.get("partners", {}).items():
        if "name" in table:
            if key in settings:
                raise ConfigError(f"{source}: partners.{key}: already defined in {defined[key][1]}")
            defined[key] = (_profile(key, table, source), source)
        elif key not in defined:
            raise ConfigError(f"{source}: partners.{key}: no such partner (built-in: "
                              f"{', '.join(p.key for p in BUILT_IN_PROFILES)}): define it with name, homepage, "
                              "domain, hosts and disclaimer, or name a partner file that does")
        settings[key] = {**settings.get(key, {}), **table}
    if not settings:
        settings = {p.key: {} for p in BUILT_IN_PROFILES}
    _check_distinct(defined)
    configured = []
    for key, table in settings.items():
        profile, origin = defined[key]
        configured.append(PartnerConfig(
            profile=profile,
            feeds=tuple(table.get("feeds", ())),
            allowed_hosts=frozenset(table.get("allowed_hosts") or profile.hosts),
            update_policy=table.get("update_policy", "update"),
            fetch_article_page=table.get("fetch_article_page", profile.fetch_article_page),
            enabled=table.get("enabled", True),
            article_url=table.get("article_url", profile.article_url),
            source=origin,
        ))
    return tuple(configured), tuple(profile for profile, _origin in defined.values())


def _check_distinct(defined: dict[str, tuple[PartnerProfile, str]]) -> None:
    """No two partners share a domain (document URIs), a name or alias (compared as pages are matched with them), a
    host, or a host and its subdomain (a URL is the first partner's whose hosts hold it or a parent domain of it):
    the first would silently take the other's articles. Each clash is reported at the partner defined later. A
    partner copied from a built-in one must replace it (same key) or change them all."""
    claims: dict[tuple[str, str], str] = {}  # (what, as matched) -> the partner that claimed it first
    hosts: dict[str, str] = {}  # each host of the partners checked so far -> its partner
    parents: dict[str, tuple[str, str]] = {}  # each parent domain of those hosts -> (partner, host)
    for key, (profile, origin) in defined.items():
        named = [("domain", profile.domain, profile.domain)] + [
            ("name or alias", name, partners.name_key(name)) for name in (profile.name, *profile.aliases)]
        clashes = [(f"its {what} {value!r} is partner {other!r}'s too", other) for what, value, matched in named
                   if (other := claims.setdefault((what, matched), key)) != key]
        for host in sorted(profile.hosts):
            clashes += _host_clashes(key, host, hosts, parents)
            hosts.setdefault(host, key)
            for parent in _parent_domains(host):
                parents.setdefault(parent, (key, host))
        if clashes:
            problem, other = clashes[0]
            raise ConfigError(f"{origin}: partners.{key}: {problem}: each partner needs its own (to replace "
                              f"{other!r}, use its key)")


def _host_clashes(key: str, host: str, hosts: dict[str, str], parents: dict[str, tuple[str, str]]
                  ) -> list[tuple[str, str]]:
    """How ``host`` of partner ``key`` clashes with the hosts of the partners before it (``hosts``, with their
    ``parents``): the same host, one of its parent domains, or a subdomain of it; each with the other partner."""
    clashes = [(f"its host {host!r} is partner {other!r}'s too" if parent == host else
                f"its host {host!r} is a subdomain of partner {other!r}'s host {parent!r}", other)
               for parent in (host, *_parent_domains(host)) if (other := hosts.get(parent, key)) != key]
    other, theirs = parents.get(host, (key, host))
    if other != key:
        clashes.append((f"partner {other!r}'s host {theirs!r} is a subdomain of its host {host!r}", other))
    return clashes


def _parent_domains(host: str) -> list[str]:
    """The parent domains of ``host``, nearest first, as partners match URLs (``partners._on_hosts``):
    "a.b.example" -> "b.example", "example"."""
    parents = []
    while host := host.partition(".")[2]:
        parents.append(host)
    return parents


def _read_toml(path: Path, where: str, what: str) -> dict[str, Any]:
    """The TOML file at ``path``; a :class:`ConfigError` starting with ``where`` when it cannot be read. A
    ``ValueError`` is a path no file can have (a NUL in it) or bytes that are not UTF-8 TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{where}: no such {what}") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{where}: cannot read the {what}: {exc}") from None


def _partner_file(path: Path, where: str) -> dict[str, Any]:
    """The partner tables of a partner file, each a whole definition, checked like the configuration's own;
    ``where`` names the configuration's entry for it, for when it cannot be read."""
    data = _read_toml(path, where, "partner file")
    _check(data, _PARTNER_FILE_VALIDATOR, str(path))
    for key, table in data["partners"].items():
        if "name" not in table:
            raise ConfigError(f"{path}: partners.{key}: a partner file defines partners: name, homepage, domain, "
                              "hosts and disclaimer are required")
    tables: dict[str, Any] = data["partners"]
    return tables


def _profile(key: str, table: Mapping[str, Any], source: str) -> PartnerProfile:
    try:
        return partners.profile_from_table(key, table)
    except ValueError as exc:
        raise ConfigError(f"{source}: partners.{key}.{exc}") from None
