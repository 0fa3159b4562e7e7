"""What every stand-alone benchmark section does with its figures: keep its table in the results JSON, write it,
print the table and where the figures went."""
from __future__ import annotations

import json
import sys
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


def publish_guarded(name: str, compute: Callable[[], dict[str, Any]], render: Callable[[dict[str, Any]], str],
                    path: Path) -> int:
    """Compute a section's figures with every non-loopback connection refused, publish them; exit status 1 when a
    tool tried the network."""
    from .run import NetworkGuard

    guard = NetworkGuard().install()
    result = compute()
    result["network_refused"] = guard.refused
    publish(result, render, path)
    if guard.refused:
        print(f"{name}: a tool tried the network: {guard.refused[:3]}", file=sys.stderr)
        return 1
    return 0
