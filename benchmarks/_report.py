"""Reporting: medians, Markdown tables and JSON files of the benchmark results."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def median(values) -> float | None:
    """The median of the values that are not None; None when there are none."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def markdown_table(headers: list[str], rows: list[list]) -> str:
    """A Markdown pipe table with columns padded to equal width."""
    cells = [[str(h) for h in headers]] + [["-" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def fmt(value, spec: str) -> str | None:
    """``format(value, spec)``, or None for a missing value (a "-" in the tables)."""
    return None if value is None else format(value, spec)


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as indented JSON (other types as ``str``), creating the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"wrote {path}", file=sys.stderr)
