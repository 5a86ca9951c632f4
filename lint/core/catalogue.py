"""The rule catalogue: one YAML file per rule under `rules/`, read into Rule objects.

The catalogue is data a person reads (`vmlint explain` prints it). Each rule names the check that implements
it (a function registered in lint.checks) and its parameters, so the documentation, the examples and the
behaviour live side by side and the test-suite runs every example.

`rules/*.yaml` is the only source. Every run needs the whole catalogue, and parsing forty YAML files costs more
than the rest of a one-file run's start-up, so `lint/core/catalogue.json` holds the same data compiled to JSON with
a checksum of each rule file. It is used only while every checksum matches the rules directory in use, so an
edited rule file is never shadowed by stale data: the YAML is read instead until the JSON is regenerated with

    python -m lint.core.catalogue

(tests/test_startup.py fails while it is out of date).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from lint.core.findings import Severity

FixAvailability = Literal["none", "safe", "unsafe"]
EXAMPLE_VERSION_KEYS = ("kubevirt-version", "velero-version", "harvester-version")  # an example's target cluster
_REQUIRED = ("code", "name", "severity", "summary", "rationale", "check", "fix", "examples")
COMPILED = Path(__file__).resolve().parent / "catalogue.json"


class CatalogueError(Exception):
    """A rule file is malformed: a defect of vmlint or of a user's rule pack, reported as a usage error."""


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    rationale: str
    check: str
    fix: FixAvailability
    examples_bad: tuple[str, ...]
    examples_good: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    hint: str | None = None
    default_enabled: bool = True
    references: tuple[str, ...] = ()
    path: str = ""
    # The target versions an example names, by "bad-1", "good-2"...: it is linted at those, not at the defaults
    example_versions: dict[str, dict[str, str]] = field(default_factory=dict, hash=False, compare=False)

    def versions_of(self, label: str, number: int) -> dict[str, str]:
        """The versions the `number`th (from 1) `label` ("bad" or "good") example names; {} for the defaults."""
        return self.example_versions.get(f"{label}-{number}", {})

    def example_at(self, label: str, number: int) -> str:
        """" (at kubevirt-version 1.6.3)" for an example that names versions, "" for one linted at the defaults:
        how `vmlint explain` and `vmlint test-rules` say where an example holds."""
        versions = self.versions_of(label, number)
        return f" (at {', '.join(f'{key} {value}' for key, value in versions.items())})" if versions else ""


@dataclass(frozen=True)
class Catalogue:
    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {rule.code: rule for rule in self.rules})

    def get(self, code: str) -> Rule | None:
        return self._by_code.get(code.upper())  # type: ignore[attr-defined]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.rules)


def rules_directory() -> Path:
    """The catalogue shipped in the package (an installed wheel), or the repository's (a source checkout)."""
    package = Path(__file__).resolve().parents[1]  # lint/
    shipped, checkout = package / "rules", package.parent / "rules"
    for candidate in (shipped, checkout):
        if candidate.is_dir():
            return candidate
    raise CatalogueError(f"the rule catalogue is missing (looked in {shipped} and {checkout})")


@cache
def builtin_catalogue() -> Catalogue:
    """vmlint's own rules: from the compiled catalogue when it matches the rule files, else from the YAML."""
    directory = rules_directory()
    compiled = _compiled(directory)
    return _catalogue(directory, compiled) if compiled is not None else load_catalogue(directory)


def _checksums(directory: Path) -> dict[str, int]:
    """Each rule file's name and the CRC-32 of its bytes: what decides whether the compiled catalogue is current."""
    return {path.name: zlib.crc32(path.read_bytes()) for path in sorted(directory.glob("*.yaml"))}


def _compiled(directory: Path) -> list[tuple[Path, Any]] | None:
    """The compiled rule data, or None when it is missing, unreadable or not of exactly these rule files."""
    try:
        compiled = json.loads(COMPILED.read_bytes())
        if compiled["checksums"] != _checksums(directory):
            return None
        return [(directory / name, data) for name, data in compiled["rules"].items()]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def compile_catalogue(directory: Path) -> str:
    """The text of lint/core/catalogue.json for the rule files of `directory`: each file's data as JSON, and its
    checksum. A rule file whose data JSON cannot carry unchanged (a date, a non-string key) is a CatalogueError."""
    rules = {}
    for path in sorted(directory.glob("*.yaml")):
        data = _read_rule(path)
        try:
            carried = json.loads(json.dumps(data))
        except (TypeError, ValueError) as err:
            raise CatalogueError(f"{path}: cannot be compiled to JSON: {err}") from None
        if carried != data:
            raise CatalogueError(f"{path}: cannot be compiled to JSON: its data does not survive the round trip")
        rules[path.name] = data
    compiled = {
        "generated": "from rules/*.yaml by `python -m lint.core.catalogue`: edit the rule files, never this file",
        "checksums": _checksums(directory),
        "rules": rules,
    }
    return json.dumps(compiled, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def _load_yaml(text: str) -> Any:
    """Rule files are vmlint's own trusted data: a plain safe load, with libyaml where it is installed."""
    try:
        from ruamel.yaml.cyaml import CSafeLoader
    except ImportError:  # pragma: no cover - without the C extension
        from ruamel.yaml import YAML

        return YAML(typ="safe", pure=True).load(text)
    loader = CSafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_catalogue(directory: Path) -> Catalogue:
    """The rules of every `*.yaml` file of `directory`, read from the YAML."""
    return _catalogue(directory, ((path, _read_rule(path)) for path in sorted(directory.glob("*.yaml"))))


def _read_rule(path: Path) -> Any:
    try:
        return _load_yaml(path.read_text(encoding="utf-8"))
    except Exception as err:  # any YAML or I/O error in a rule file is a catalogue error
        raise CatalogueError(f"{path}: cannot read rule: {err}") from None


def _catalogue(directory: Path, files: Iterable[tuple[Path, Any]]) -> Catalogue:
    rules = [_rule(data, path) for path, data in files]
    codes = [rule.code for rule in rules]
    duplicated = sorted({code for code in codes if codes.count(code) > 1})
    if duplicated:
        raise CatalogueError(f"{directory}: rule codes defined twice: {', '.join(duplicated)}")
    return Catalogue(tuple(sorted(rules, key=lambda rule: rule.code)))


def read_examples(examples: Any, path: Path | str) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, dict[str, str]]]:
    """A rule's bad and good manifests, and the versions an example names.

    An example is a YAML document as a string, or a mapping of `manifest` (that string) and any of
    EXAMPLE_VERSION_KEYS, each a quoted string (YAML reads an unquoted 1.10 as the number 1.1): an example that
    is bad or good only at some KubeVirt or Velero version says so, and `vmlint test-rules` lints it there."""
    examples = examples if isinstance(examples, dict) else {}
    found: dict[str, list[str]] = {"bad": [], "good": []}
    versions: dict[str, dict[str, str]] = {}
    for label in found:
        for number, example in enumerate(examples.get(label) or (), start=1):
            if isinstance(example, dict):
                versions[f"{label}-{number}"] = _example_versions(example, f"{path}: {label} example {number}")
                example = example.get("manifest")
            if not isinstance(example, str):
                raise CatalogueError(f"{path}: {label} example {number} must be a YAML document as a string, or a "
                                     f"mapping of manifest (that string) and {', '.join(EXAMPLE_VERSION_KEYS)}")
            found[label].append(example)
    return tuple(found["bad"]), tuple(found["good"]), versions


def _example_versions(example: dict[Any, Any], where: str) -> dict[str, str]:
    unknown = sorted(map(str, set(example) - {"manifest", *EXAMPLE_VERSION_KEYS}))
    if unknown:
        raise CatalogueError(f"{where}: unknown key {', '.join(unknown)} (valid keys: manifest, "
                             f"{', '.join(EXAMPLE_VERSION_KEYS)})")
    for key in EXAMPLE_VERSION_KEYS:
        if key in example and not isinstance(example[key], str):
            raise CatalogueError(f"{where}: {key} must be a quoted string such as \"1.6.4\", not {example[key]!r}")
    return {key: example[key] for key in EXAMPLE_VERSION_KEYS if key in example}


def _rule(data: Any, path: Path) -> Rule:
    if not isinstance(data, dict):
        raise CatalogueError(f"{path}: a rule file must be a mapping")
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise CatalogueError(f"{path}: missing {', '.join(missing)}")
    if data["fix"] not in ("none", "safe", "unsafe"):
        raise CatalogueError(f"{path}: fix must be none, safe or unsafe, not {data['fix']!r}")
    try:
        severity = Severity.parse(str(data["severity"]))
    except KeyError:
        raise CatalogueError(f"{path}: unknown severity {data['severity']!r}") from None
    bad, good, versions = read_examples(data["examples"], path)
    if not bad or not good:
        raise CatalogueError(f"{path}: a rule needs at least one bad and one good example")
    return Rule(
        code=str(data["code"]),
        name=str(data["name"]),
        severity=severity,
        summary=str(data["summary"]).strip(),
        rationale=str(data["rationale"]).strip(),
        check=str(data["check"]),
        fix=data["fix"],
        examples_bad=bad,
        examples_good=good,
        params=dict(data.get("params") or {}),
        hint=str(data["hint"]).strip() if data.get("hint") else None,
        default_enabled=bool(data.get("enabled", True)),
        references=tuple(str(ref) for ref in data.get("references") or ()),
        path=str(path),
        example_versions=versions,
    )


if __name__ == "__main__":  # python -m lint.core.catalogue: regenerate lint/core/catalogue.json from rules/*.yaml
    try:
        COMPILED.write_text(compile_catalogue(rules_directory()), encoding="utf-8")
    except CatalogueError as err:
        raise SystemExit(f"lint.core.catalogue: {err}") from None
