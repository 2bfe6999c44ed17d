"""No customer-facing code reads the pings table: only the modules that write pings, make
their partitions and purge them name the model or the table. Read from the source (as
tests/test_layers.py reads imports), so a new reader fails here; the map reads the latest
position (tracking.positions)."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
# The worker's insert, the day partitions, the purge; and where the model is defined.
ALLOWED = {
    "tracking/models.py",
    "tracking/pings.py",
    "tracking/partitions.py",
    "tracking/retention.py",
}


def sources() -> list[Path]:
    found = []
    for app in ("portal", "scheduling", "tracking", "surveys"):
        found += [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]
    found += list((ROOT / "templates").rglob("*.html"))
    found += [p for app in ("portal", "scheduling", "tracking", "surveys")
              for p in (ROOT / app).rglob("*.html")]  # fmt: skip
    return found


def names_pings(path: Path) -> bool:
    text = path.read_text()
    if re.search(r"tracking_ping\b", text):
        return True
    if path.suffix != ".py":
        return bool(re.search(r"\bPing\b", text))
    for node in ast.walk(ast.parse(text)):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "tracking.models"
            and any(alias.name == "Ping" for alias in node.names)
        ):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "Ping":
            return True
        if isinstance(node, ast.Constant) and node.value in ("tracking.Ping", "tracking.ping"):
            return True
    return False


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_writers_and_the_purge_name_the_pings(path):
    relative = str(path.relative_to(ROOT))
    if relative in ALLOWED:
        return
    assert not names_pings(path), f"{relative} names the pings table or model"


def test_the_check_finds_a_reader():
    reader = ROOT / "var" / "reader_example.py"
    reader.write_text("from tracking.models import Ping\nPing.objects.filter(resource_id=1)\n")
    try:
        assert names_pings(reader)
    finally:
        reader.unlink()
