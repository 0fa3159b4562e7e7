"""Configuration: the TOML file is validated with its path in every message, and the environment wins."""
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from ingest_plugin.config import ConfigError, load_config

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "config.example.toml"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqr"


def test_the_documented_example_is_valid():
    config = load_config(EXAMPLE, {})
    assert [p.profile.key for p in config.partners] == ["zenger", "benzinga", "acme"]
    assert [p.source for p in config.partners] == ["built-in", "built-in", str(EXAMPLE)]
    assert config.partner("acme").profile.article_id("https://news.acme.example/story/123/") == "123"
    assert config.partner("zenger").article_url == "https://www.zenger.news/?p={id}"
    assert config.s3().bucket == "newsroom-partner-ingest"


def test_environment_wins_over_the_file():
    config = load_config(EXAMPLE, {"INGEST_S3_BUCKET": "from-env", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
                                   "INGEST_WEBHOOK_SECRETS": f"{SECRET} {SECRET[:-4]}abcd"})
    assert config.s3().bucket == "from-env" and config.s3().endpoint_url == "http://127.0.0.1:9"
    assert config.s3().prefix == "partners"  # not overridden: the file's value
    assert len(config.webhook.secrets) == 2


@pytest.mark.parametrize("text, complaint", [
    ("[s3]\nbucket = 'UPPER_case'\n", "s3.bucket"),
    ("[limts]\nmax_items_per_run = 5\n", "'limts' was unexpected"),
    ("[limits]\nmax_items_per_run = 0\n", "limits.max_items_per_run"),
    ("[[partners]]\nprofile = 'reuters'\n", "partners.reuters: no such partner"),
    ("[partners.reuters]\nfeeds = []\n", "partners.reuters: no such partner"),
    ("[partners.zenger]\nfeed = []\n", "'feed' was unexpected"),
    ("[[partners]]\nprofile = 'zenger'\n[[partners]]\nprofile = 'zenger'\n", "configured twice"),
    ("[webhook]\nsecrets = ['whsec_short']\n", "webhook.secrets.0"),
    ("this is not toml", "cannot read the configuration"),
])
def test_mistakes_are_reported_with_their_path(tmp_path, text, complaint):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert complaint in str(caught.value) and str(path) in str(caught.value)


@pytest.mark.parametrize("variable, value", [("AWS_ENDPOINT_URL", "ftp://127.0.0.1:9"),
                                             ("INGEST_S3_BUCKET", "Upper_case")])
def test_an_s3_variable_is_held_to_the_rule_of_its_key(variable, value):
    """An endpoint botocore cannot use made `run` spool everything and exit 0; the file's key was refused."""
    with pytest.raises(ConfigError) as caught:
        load_config(None, {"INGEST_S3_BUCKET": "news", variable: value}).s3()
    assert f"{variable}={value!r}: {value!r} does not match" in str(caught.value)


def test_a_profile_named_twice_in_the_environment_is_taken_once():
    """Review: ``INGEST_S3_PROFILES="ninjs-2.2,ninjs-2.2"`` became a configuration error ("non-unique elements")."""
    environ = {"INGEST_S3_BUCKET": "news", "INGEST_S3_PROFILES": "ninjs-2.2, ninjs-2.2 superdesk"}
    assert load_config(None, environ).s3().profiles == ("ninjs-2.2", "superdesk")


def test_missing_file_and_missing_bucket(tmp_path):
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "nope.toml", {})
    with pytest.raises(ConfigError, match="INGEST_S3_BUCKET"):
        load_config(None, {}).s3()


def test_check_config_reports_an_unreachable_bucket(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "INGEST_S3_BUCKET": "nowhere", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
           "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_DEFAULT_REGION": "us-east-1",
           "INGEST_S3_MAX_ATTEMPTS": "1", "INGEST_S3_CONNECT_TIMEOUT": "1"}
    result = subprocess.run([sys.executable, "-m", "ingest_plugin", "check-config", "--config", str(EXAMPLE)],
                            env=env, capture_output=True, timeout=60)
    assert result.returncode == 1
    assert b"configuration:" in result.stdout and b"partner zenger" in result.stdout
    assert b"NOT reachable" in result.stderr and b"Traceback" not in result.stderr


def _schema_keys(schema: dict, node: dict | None = None, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every key path the schema allows: through objects, arrays of objects, and maps of tables (``partners.*``)."""
    node = _resolved(schema, schema if node is None else node)
    found: set[tuple[str, ...]] = set()
    tables = [(name, child) for name, child in node.get("properties", {}).items()]
    if isinstance(node.get("additionalProperties"), dict):
        tables.append(("*", node["additionalProperties"]))
    for name, child in tables:
        child = _resolved(schema, child)
        if child.get("type") == "array" and child.get("items", {}).get("type") == "object":
            child = child["items"]
        nested = "properties" in child or isinstance(child.get("additionalProperties"), dict)
        found |= _schema_keys(schema, child, (*path, name)) if nested else {(*path, name)}
    return found


def _resolved(schema: dict, node: dict) -> dict:
    """``node``, or the definition its local ``$ref`` ("#/$defs/…") points to."""
    if "$ref" not in node:
        return node
    for part in node["$ref"].removeprefix("#/").split("/"):
        schema = schema[part]
    return schema


def _set_keys(data: object, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every key path set in parsed TOML: tables are walked, arrays of tables too (each element's keys); a partner's
    key is "*", as in the schema."""
    found: set[tuple[str, ...]] = set()
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        for item in data:
            found |= _set_keys(item, path)
    elif isinstance(data, dict):
        for name, value in data.items():
            found |= _set_keys(value, (*path, "*" if path == ("partners",) else name))
    else:
        found.add(path)
    return found


_HEADER = re.compile(r"^\[\[?\s*([A-Za-z0-9_.]+)\s*\]\]?\s*(#.*)?$")
_COMMENTED_KEY = re.compile(r"^#\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$")


def _commented_keys(text: str) -> dict[tuple[str, ...], str]:
    """Optional keys shown as commented-out lines (``# key = value``), by their path under the table header above
    them, each with the line uncommented."""
    table: tuple[str, ...] = ()
    found = {}
    for line in text.splitlines():
        if header := _HEADER.match(line.strip()):
            table = tuple(header.group(1).split("."))
            table = ("partners", "*", *table[2:]) if table[:1] == ("partners",) else table
        elif key := _COMMENTED_KEY.match(line.strip()):
            found[(*table, key.group(1))] = f"{key.group(1)} ={key.group(2)}"
    return found


def test_the_example_documents_every_key_of_the_schema_and_no_other():
    schema = json.loads((Path(__file__).resolve().parents[1] / "ingest_plugin" / "schemas"
                         / "config.schema.json").read_text())
    text = EXAMPLE.read_text(encoding="utf-8")
    known = _schema_keys(schema)
    set_keys = _set_keys(tomllib.loads(text))
    commented = _commented_keys(text)
    for line in commented.values():  # a commented-out line must still be TOML once uncommented
        tomllib.loads(line)
    documented = set_keys | set(commented)
    missing = sorted(".".join(path) for path in known - documented)
    unknown = sorted(".".join(path) for path in documented - known)
    assert missing == [], f"keys of the schema missing from {EXAMPLE.name}: {missing}"
    assert unknown == [], f"keys in {EXAMPLE.name} the schema does not know: {unknown}"
    assert ("partners", "*", "article_url") in known and ("fetch", "file_roots") in known  # the walk reaches them
    assert ("partners", "*", "id_rules") in known and ("partner_files",) in known
