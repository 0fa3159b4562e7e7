"""IPTC's official ninjs 3.1 schema, read from ../shared when it is there (CI has it); tests skip otherwise."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "ninjs"
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "benzinga-api-v2" / "stories.json"


def official_validator() -> Draft202012Validator:
    schema_path = REFERENCE / "ninjs-schema_3.1.json"
    if not schema_path.exists():
        pytest.skip(f"the official ninjs 3.1 schema is not at {schema_path}")
    geojson = json.loads((REFERENCE / "GeoJSON-schema.json").read_text())
    registry = Registry().with_resource("https://geojson.org/schema/GeoJSON.json",
                                        Resource.from_contents(geojson, default_specification=DRAFT202012))
    return Draft202012Validator(json.loads(schema_path.read_text()), registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def official_errors(doc: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in official_validator().iter_errors(doc)]
