"""ARCHITECTURE.md stays true: its code map names every package of lint/ and only those, and every import
between packages is one the map allows (lazy imports and imports for type checking count too)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import REPO

LINT = REPO / "lint"
HEADING = re.compile(r"^### `lint/(\w+)(?:/|\.py)`", re.MULTILINE)
ALLOWED = re.compile(r"May import: (.*?)\.\s*$", re.MULTILINE | re.DOTALL)


def code_map() -> dict[str, set[str]]:
    """Each package (or top-level module) of the map, and the packages it may import."""
    text = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    sections = HEADING.split(text)[1:]
    allowed = {}
    for name, body in zip(sections[::2], sections[1::2]):
        match = ALLOWED.search(body)
        assert match, f"the section of lint/{name} says nothing of what it may import"
        allowed[name] = set(re.findall(r"`(\w+)`", match.group(1)))
    return allowed


def units() -> dict[str, list[Path]]:
    """The packages of lint/ and its top-level modules (bar __init__ and __main__), with their files."""
    found: dict[str, list[Path]] = {}
    for path in sorted(LINT.rglob("*.py")):
        parts = path.relative_to(LINT).parts
        if len(parts) == 1:
            if path.stem not in ("__init__", "__main__"):
                found[path.stem] = [path]
        else:
            found.setdefault(parts[0], []).append(path)
    return found


def imported_units(path: Path) -> set[str]:
    """The packages of lint/ that a file imports, at any depth of its code."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[0] == "lint" and len(parts) > 1:
                names.add(parts[1])
    return names


def test_the_code_map_names_every_package_and_only_those() -> None:
    documented, present = set(code_map()), set(units())
    assert documented - present == set(), "ARCHITECTURE.md names packages that do not exist"
    assert present - documented == set(), "packages of lint/ that ARCHITECTURE.md does not name"


def test_every_import_between_packages_is_one_the_map_allows() -> None:
    allowed = code_map()
    crossings = []
    for unit, files in units().items():
        for path in files:
            for target in imported_units(path) - {unit} - allowed[unit]:
                crossings.append(f"{path.relative_to(REPO)} imports lint.{target}")
    assert crossings == []


def test_no_relative_imports_so_that_the_check_above_sees_every_import() -> None:
    relative = [str(path.relative_to(REPO)) for path in LINT.rglob("*.py")
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(node, ast.ImportFrom) and node.level > 0]
    assert relative == []


def test_the_check_catches_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text("def f():\n    from lint.run.engine import run\n    import lint.checks.agent\n", encoding="utf-8")
    assert imported_units(module) == {"run", "checks"}
    assert "run" not in code_map()["checks"]
