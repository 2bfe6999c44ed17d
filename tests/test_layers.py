"""Imports point down: scheduling (the domain) knows no app above it, and no two modules
import each other. Read from the source, so a new upward import fails here."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS_ABOVE_SCHEDULING = ("portal", "tracking", "surveys")


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def modules(package: str) -> list[Path]:
    return [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]


@pytest.mark.parametrize("path", modules("scheduling"), ids=lambda p: str(p.relative_to(ROOT)))
def test_scheduling_imports_no_app_above_it(path):
    upward = {name for name in imports_of(path) if name.split(".")[0] in APPS_ABOVE_SCHEDULING}
    assert not upward, f"{path.relative_to(ROOT)} imports {sorted(upward)}"


def test_scheduling_names_no_url_of_an_app_above_it():
    files = [*modules("scheduling"), *(ROOT / "scheduling").rglob("*.html")]
    upward = [
        str(f.relative_to(ROOT))
        for f in files
        if re.search(r"""['"](portal|tracking|surveys):""", f.read_text())
    ]
    assert upward == []


def test_scheduling_reads_the_customer_site_through_the_setting():
    # The user model is portal's: its field name is a setting (CUSTOMER_ACCOUNT_FIELD).
    uses = [
        str(p.relative_to(ROOT))
        for p in modules("scheduling")
        if re.search(r"user\.service_account\b", p.read_text())
    ]
    assert uses == []


def test_no_two_portal_modules_import_each_other():
    graph = {
        f"portal.{p.stem}": {n for n in imports_of(p) if n.startswith("portal.")}
        for p in (ROOT / "portal").glob("*.py")
    }
    mutual = sorted(
        (a, b) for a, deps in graph.items() for b in deps if a < b and a in graph.get(b, ())
    )
    assert mutual == []
