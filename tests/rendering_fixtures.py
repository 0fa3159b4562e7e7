"""The documents every rendering test runs on: every fixture the parser reads (tests/fixtures pages, feeds and API
payloads, the bundled samples, the real Benzinga samples in ../shared when present, a built page), each as its first
version, as an update (version 2, the partner's time in US Eastern time: a -04:00 offset) and as a kill.

Also the official schemas and XSD, read from ../shared/reference (CI has it there; the tests skip without it).
"""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from ingest_plugin import parse_items
from ingest_plugin.publishing.content import version_document
from tests.official import SAMPLES
from tests.pagebuilder import zenger_page

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
REFERENCE = REPO.parent / "shared" / "reference"
EXTENSION_KEYS = ("guid", "authors", "source", "keywords", "extra")  # what Superdesk reads beyond ninjs 1.6


def _inputs() -> list[tuple[str, bytes]]:
    paths = sorted([*(FIXTURES / "pages").glob("*.html"), *(FIXTURES / "feeds").glob("*"),
                    *(FIXTURES / "api").glob("*.json"),
                    *(p for p in (REPO / "samples").iterdir() if p.suffix in (".html", ".rss", ".json"))])
    inputs = [(str(p.relative_to(REPO)), p.read_bytes()) for p in paths]
    if SAMPLES.exists():
        inputs.append(("shared/samples/benzinga-api-v2/stories.json", SAMPLES.read_bytes()))
    inputs.append(("pagebuilder/zenger_page", zenger_page().encode("utf-8")))
    return inputs


@lru_cache(maxsize=1)
def fixture_documents() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(name, stored version) for every fixture document: v1, a v2 update with a -04:00 time, and a kill."""
    out = []
    for name, data in _inputs():
        for n, result in enumerate(parse_items(data, input_name=name)):
            assert result.document is not None, result.error
            first = version_document(result.document, 1, None)
            label = f"{name}#{n}"
            out.append((f"{label}@v1", first))
            update = {**result.document, "versionCreated": "2030-06-01T09:15:30-04:00"}
            out.append((f"{label}@v2", version_document(update, 2, first)))
            out.append((f"{label}@kill", version_document({**result.document, "pubStatus": "canceled"}, 2, first)))
    return tuple(out)


def fixture_ids() -> list[str]:
    return [name for name, _ in fixture_documents()]


def document(name: str) -> dict[str, Any]:
    return copy.deepcopy(dict(fixture_documents())[name])


def _reference(path: str) -> Path:
    full = REFERENCE / path
    if not full.exists():
        pytest.skip(f"the official reference file is not at {full}")
    return full


@lru_cache(maxsize=None)
def official_json_validator(profile: str) -> Any:
    """IPTC's official ninjs 2.2 or 1.6 schema (Superdesk: 1.6 plus :data:`EXTENSION_KEYS`), formats checked."""
    from jsonschema import Draft7Validator, Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    if profile == "ninjs-2.2":
        geojson = json.loads(_reference("ninjs/GeoJSON-schema.json").read_text())
        registry = Registry().with_resource("https://geojson.org/schema/GeoJSON.json",
                                            Resource.from_contents(geojson, default_specification=DRAFT202012))
        return Draft202012Validator(json.loads(_reference("ninjs/ninjs-schema_2.2.json").read_text()),
                                    registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
    schema = json.loads(_reference("ninjs/ninjs-schema_1.6.json").read_text())
    if profile == "superdesk":
        for key in EXTENSION_KEYS:  # at the root, and in associations (1.6 associations are the root schema again)
            schema["properties"][key] = {}
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


@lru_cache(maxsize=1)
def official_xsd() -> Any:
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(_reference("newsml-g2/schema/NewsML-G2_2.35-spec-All-Power.xsd"))))
