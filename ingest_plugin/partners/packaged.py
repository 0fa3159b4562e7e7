"""The partners that ship with the package: ``partners.toml`` beside this module (package data, in the wheel), in
the form of a partner file, so that a configuration can replace any of them with a table of its own."""
from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any


def partner_tables() -> dict[str, dict[str, Any]]:
    """The built-in partner tables, by key, in the file's order."""
    text = resources.files(__package__).joinpath("partners.toml").read_text(encoding="utf-8")
    tables: dict[str, dict[str, Any]] = tomllib.loads(text)["partners"]
    return tables
