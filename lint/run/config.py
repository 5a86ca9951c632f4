"""Configuration: `.vmlint.yaml`, or `[tool.vmlint]` in `pyproject.toml`, the closest to the working directory.

The file is validated with a JSON Schema shipped in the package (lint/schemas/config.schema.json); an unknown
key or a bad value is a usage error naming the file, the line and the valid choices. Command-line options
override the file, key by key.

A valid configuration is recognised by `conforms`, a checker of the few JSON Schema keywords the schema uses:
importing jsonschema costs more than the rest of a one-file run's start-up (the pre-commit case), so it is
imported only to explain a configuration that `conforms` does not accept, and it has the last word there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lint.text.compose import load_documents
from lint.text.nodes import Mapping, Node, Scalar, Sequence
from lint.text.scalars import scalar_type
from lint.text.source import DecodeError, SourceText, decode

CONFIG_NAMES = (".vmlint.yaml", ".vmlint.yml", "pyproject.toml")
_SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.json"
_VERSION_KEYS = ("kubevirt-version", "velero-version", "harvester-version")


class ConfigError(ValueError):
    """A configuration file vmlint cannot use: reported as `path:line:col: message`, exit 2."""


@dataclass(frozen=True)
class Config:
    """The configuration file's settings, with `root` the directory its relative globs are relative to."""

    path: Path | None = None
    root: Path = field(default_factory=Path.cwd)
    values: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def relative(self, path: Path) -> str | None:
        """`path` relative to the configuration's directory, in POSIX form; None when it lies outside."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return None


def find_config(start: Path) -> Path | None:
    """The closest `.vmlint.yaml` (or a pyproject.toml with a [tool.vmlint] table) from `start` upwards."""
    for directory in (start.resolve(), *start.resolve().parents):
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_tool_table(candidate)):
                return candidate
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        return re.search(r"^\s*\[tool\.vmlint\]", path.read_text(encoding="utf-8"), re.M) is not None
    except (OSError, UnicodeDecodeError):
        return False


def load_config(path: Path) -> Config:
    """Read and validate a configuration file."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read configuration: {err.strerror or err}") from None
    if path.name == "pyproject.toml":
        values, locate = _from_toml(path, data)
    else:
        values, locate = _from_yaml(path, data)
    _validate(path, values, locate)
    for key in _VERSION_KEYS:
        if key in values:
            values[key] = str(values[key])
    return Config(path, path.parent, values)


Locator = Any  # (path inside the data: tuple of keys/indexes) -> (line, column)


def _from_yaml(path: Path, data: bytes) -> tuple[dict[str, Any], Locator]:
    try:
        source = decode(data)
    except DecodeError as err:
        raise ConfigError(f"{path}:{err.line}:{err.column}: {err.message}") from None
    documents = load_documents(source)
    if not documents or (documents[0].root is None and documents[0].syntax_error is None):
        return {}, lambda where: (1, 1)
    document = documents[0]
    if document.syntax_error is not None:
        problem = document.syntax_error
        raise ConfigError(f"{path}:{problem.line}:{problem.column}: invalid YAML: {problem.problem}")
    root = document.root
    if isinstance(root, Scalar) and root.value == "":
        return {}, lambda where: (1, 1)
    if not isinstance(root, Mapping):
        raise ConfigError(f"{path}:{root.span.line}:{root.span.column}: the configuration must be a mapping")

    def locate(where: tuple[Any, ...], key: bool = False) -> tuple[int, int]:
        """The value at `where`, or with `key` the last key itself (for a key that should not be there)."""
        node: Node = root
        for i, step in enumerate(where):
            if isinstance(node, Mapping) and isinstance(step, str) and (entry := node.entry(step)):
                node = entry[0] if key and i == len(where) - 1 else entry[1]
            elif isinstance(node, Sequence) and isinstance(step, int) and step < len(node.items):
                node = node.items[step]
            else:
                break
        return node.span.line, node.span.column

    return _to_python(root, source), locate


def _to_python(node: Node, source: SourceText) -> Any:
    if isinstance(node, Mapping):
        return {key.value: _keep_text(key.value, value) or _to_python(value, source) for key, value in node.entries()}
    if isinstance(node, Sequence):
        return [_to_python(item, source) for item in node.items]
    kind = scalar_type(node)
    if kind == "null":
        return None
    if kind == "bool":
        return node.value.lower() in ("true", "yes", "on", "y")
    if kind in ("int", "float"):
        try:
            return int(node.value) if kind == "int" else float(node.value)
        except ValueError:
            return node.value
    return node.value


def _keep_text(key: str, value: Node) -> str | None:
    """Versions stay as written: `kubevirt-version: 1.10` is not the number 1.1."""
    return value.value if key in _VERSION_KEYS and isinstance(value, Scalar) else None


def _from_toml(path: Path, data: bytes) -> tuple[dict[str, Any], Locator]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: invalid TOML: {err}") from None
    values = document.get("tool", {}).get("vmlint", {})
    text = SourceText(data.decode("utf-8"))

    def locate(where: tuple[Any, ...], key: bool = False) -> tuple[int, int]:
        """TOML parsers give no positions: find the key's line inside the [tool.vmlint] table."""
        table = re.search(r"^\s*\[tool\.vmlint\]", text.text, re.M)
        start = table.end() if table else 0
        key = next((step for step in reversed(where) if isinstance(step, str)), None)
        if key is not None:
            found = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=", re.M).search(text.text, start)
            if found:
                position = text.position(found.start() + len(found.group()) - len(found.group().lstrip()))
                return position.line, position.column
        position = text.position(start)
        return position.line, 1

    return values, locate


def _validate(path: Path, values: dict[str, Any], locate: Locator) -> None:
    schema = json.loads(_SCHEMA.read_text(encoding="utf-8"))
    if conforms(values, schema, schema):
        return
    import jsonschema  # only to find and explain what is wrong

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(values), key=lambda e: (len(e.path), list(map(str, e.path))))
    if not errors:
        return
    error = errors[0]
    where = tuple(error.path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        line, column = locate(where + (unknown[0],), key=True) if unknown else locate(where)
    else:
        line, column = locate(where)
    raise ConfigError(f"{path}:{line}:{column}: {_explain(error, where, schema)}")


_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}
_ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description"}


def conforms(instance: Any, schema: Any, root: dict[str, Any]) -> bool:
    """True only if `instance` is valid against `schema` (JSON Schema 2020-12; `$ref`s point into `root`).

    It knows the keywords of lint/schemas/config.schema.json and nothing more: an unknown keyword, an unusual
    value (the integer 1.0, a date from TOML) or any doubt is False, and jsonschema then decides, so this can
    only ever spare jsonschema, never disagree with it."""
    if not isinstance(schema, dict) or not set(schema) <= _KEYWORDS.keys() | _ANNOTATIONS:
        return False
    for keyword, value in schema.items():
        if keyword in _KEYWORDS and not _KEYWORDS[keyword](instance, value, schema, root):
            return False
    return True


def _ref(instance: Any, ref: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
        return False
    target = root.get("$defs", {}).get(ref[len("#/$defs/"):])
    return target is not None and conforms(instance, target, root)


def _type(instance: Any, wanted: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    names = [wanted] if isinstance(wanted, str) else wanted
    return isinstance(names, list) and all(name in _TYPES for name in names) and any(_TYPES[name](instance) for name in names)


def _enum(instance: Any, choices: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return isinstance(instance, str) and isinstance(choices, list) and any(
        isinstance(choice, str) and choice == instance for choice in choices)


def _properties(instance: Any, properties: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    if not isinstance(properties, dict):
        return False
    return not isinstance(instance, dict) or all(
        conforms(instance[key], sub, root) for key, sub in properties.items() if key in instance)


def _additional(instance: Any, additional: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    if not isinstance(instance, dict):
        return True
    extra = [key for key in instance if key not in schema.get("properties", {})]
    if additional is False:
        return not extra
    return all(conforms(instance[key], additional, root) for key in extra)


def _property_names(instance: Any, names: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return not isinstance(instance, dict) or all(conforms(key, names, root) for key in instance)


def _items(instance: Any, items: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return not isinstance(instance, list) or all(conforms(item, items, root) for item in instance)


def _required(instance: Any, names: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return isinstance(names, list) and (not isinstance(instance, dict) or all(name in instance for name in names))


def _pattern(instance: Any, pattern: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return isinstance(pattern, str) and (not isinstance(instance, str) or re.search(pattern, instance) is not None)


def _min_length(instance: Any, minimum: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return _TYPES["integer"](minimum) and (not isinstance(instance, str) or len(instance) >= minimum)


def _minimum(instance: Any, minimum: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    return _TYPES["number"](minimum) and (not _TYPES["number"](instance) or instance >= minimum)


_KEYWORDS: dict[str, Any] = {
    "$ref": _ref,
    "type": _type,
    "enum": _enum,
    "properties": _properties,
    "additionalProperties": _additional,
    "propertyNames": _property_names,
    "items": _items,
    "pattern": _pattern,
    "required": _required,
    "minLength": _min_length,
    "minimum": _minimum,
}


def _explain(error: Any, where: tuple[Any, ...], schema: dict[str, Any]) -> str:
    dotted = ".".join(str(step) for step in where) or "the configuration"
    if error.validator == "additionalProperties" and not where:
        unknown = ", ".join(sorted(set(error.instance) - set(schema["properties"])))
        return f"unknown key {unknown} (valid keys: {', '.join(schema['properties'])})"
    if error.validator == "enum":
        return f"{dotted}: {error.instance!r} is not one of: {', '.join(map(str, error.validator_value))}"
    if error.validator == "pattern":
        return f"{dotted}: {error.instance!r} is not a rule code or prefix (for example VM1 or VM102)"
    if error.validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, str) else " or ".join(error.validator_value)
        return f"{dotted}: expected {wanted}, not {json.dumps(error.instance)}"
    return f"{dotted}: {error.message}"


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob as a regular expression over POSIX paths: `**` crosses directories, `*` and `?` do not.

    A pattern also matches everything below a matching directory, so `charts` excludes `charts/a/b.yaml`.
    """
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out).lstrip("/") + "(?:/.*)?")
