"""Our JSON Schemas, shipped inside the package so that a wheel carries them: the strict ninjs profile
(``ninjs-profile.schema.json``), the configuration file and the webhook payload."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).resolve().parent


def load_schema(name: str) -> dict[str, Any]:
    """One of the schemas beside this module, by file name."""
    loaded: dict[str, Any] = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return loaded


def compile_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A Draft 2020-12 validator with format checking on; jsonschema is imported here, by the commands that need it."""
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
