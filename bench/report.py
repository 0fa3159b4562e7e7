"""What every stand-alone benchmark section does with its figures: keep its table in the results JSON, write it,
print the table and where the figures went."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def publish(result: dict[str, Any], render: Callable[[dict[str, Any]], str], path: Path) -> None:
    report = render(result)
    result["table"] = report
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(report)
    print(f"results: {path}")
