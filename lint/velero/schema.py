"""Velero's hook schemas, applied in the API server's order.

`schemas/backup-hooks.schema.json` (a Backup's `spec.hooks`, a Schedule's `spec.template.hooks`) and
`schemas/restore-hooks.schema.json` (a Restore's `spec.hooks`) are JSON Schemas written by hand from the
openAPIV3Schema of Velero's CRDs; each records the Velero release it was written from and what changed before it.
The API server does not validate what it receives (apiextensions-apiserver, customresource_handler.go
`unstructuredSchemaCoercer.apply`, then the strategy's validation):

1. fields the schema does not know are pruned (pruning.PruneWithOptions): `kubectl`, whose field validation is
   strict by default, is refused the object; a client that does not ask for strict validation (the server's
   default is Warn) has the fields dropped, at most with a warning header;
2. nulls in fields that are not nullable are dropped (defaulting.PruneNonNullableNullsWithoutDefaults), so a
   required field set to null is missing; a null list item is kept, and is then not of the item's type;
3. what is left is validated: types, required fields, enums, minItems.

This module does that to plain JSON values (`judge`), with jsonschema for step 3, and answers with paths: a check
maps them back to YAML nodes. jsonschema and the schemas are loaded only when a Velero object is judged.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import lru_cache
from pathlib import Path as FilePath
from typing import Any, Union

SCHEMA_DIR = FilePath(__file__).resolve().parent / "schemas"
SCHEMA_FILES = {"backup": "backup-hooks.schema.json", "restore": "restore-hooks.schema.json"}

JSONPath = tuple[Union[str, int], ...]
Version = tuple[int, int, int]


@dataclass(frozen=True)
class Problem:
    """Something the API server does with or says about one node.

    `keyword` is "unknown" (a field the schema does not know: pruned, or refused under strict validation),
    "ignored" (unknown, but kept as written by a CRD that preserves unknown fields), or the JSON Schema keyword
    that failed: "type", "required", "enum", "minItems". `path` is the node at fault; for "required" it is the
    object that lacks `field`, for "unknown"/"ignored" the object that holds `field`.
    """

    path: JSONPath
    keyword: str
    field: str | None = None
    expected: tuple[Any, ...] = ()
    schema: dict[str, Any] = dataclass_field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass
class Judgement:
    value: Any  # what the API server keeps: unknown fields pruned, non-nullable nulls dropped
    unknown: list[Problem] = dataclass_field(default_factory=list)
    dropped: list[JSONPath] = dataclass_field(default_factory=list)  # non-nullable nulls dropped before validation
    errors: list[Problem] = dataclass_field(default_factory=list)  # what validation rejects: the object is refused
    schemas: dict[JSONPath, dict[str, Any]] = dataclass_field(default_factory=dict)  # each kept node's schema


@dataclass(frozen=True)
class HookSchema:
    """One schema document as it applies at a Velero release."""

    name: str
    document: dict[str, Any]
    version: Version

    @property
    def since(self) -> dict[str, Any]:
        return dict(self.document.get("x-velero", {}))

    @property
    def validates(self) -> bool:
        """Whether the CRD of this release has a schema at all (Velero 1.0 and 1.1 install theirs without)."""
        return self.version >= _version(self.since["validated-since"])

    @property
    def prunes(self) -> bool:
        """Whether unknown fields are pruned (and non-nullable nulls dropped): from 1.3, whose v1beta1 CRDs say
        preserveUnknownFields: false; before that the v1beta1 default, true, keeps them."""
        return self.version >= _version(self.since["pruned-since"])

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            reference = schema["$ref"]
            if not reference.startswith("#/$defs/"):
                raise ValueError(f"{self.name}: only local $defs references are supported, not {reference}")
            schema = self.document["$defs"][reference[len("#/$defs/") :]]
        return schema

    def judge(self, value: Any) -> Judgement:
        """What the API server keeps of `value` (the hooks object) and what it says about it."""
        judgement = Judgement(value)
        if not self.validates:
            return judgement
        judgement.value = self._prune(value, self.document, (), judgement)
        seen: set[Problem] = set()
        for error in _validator(self.name, self.version).iter_errors(judgement.value):
            for problem in self._problems(error):
                if problem not in seen:
                    seen.add(problem)
                    judgement.errors.append(problem)
        judgement.errors.sort(key=lambda problem: _sort_key(problem.path))
        return judgement

    def _prune(self, value: Any, schema: dict[str, Any], path: JSONPath, out: Judgement) -> Any:
        schema = self.resolve(schema)
        out.schemas[path] = schema
        if isinstance(value, dict):
            if not allows(schema, "object"):
                return value  # the wrong type: validation says so, and nothing under it is worth a word
            properties = schema.get("properties", {})
            extra = schema.get("additionalProperties", True)
            kept: dict[str, Any] = {}
            for key, item in value.items():
                if key in properties:
                    child: dict[str, Any] | None = properties[key]
                elif isinstance(extra, dict):
                    child = extra
                elif extra is False:
                    out.unknown.append(Problem(path, "unknown" if self.prunes else "ignored", key, (), schema))
                    if self.prunes:
                        continue
                    child = None
                else:
                    child = None  # a free-form object (x-kubernetes-preserve-unknown-fields): kept as written
                if child is None:
                    kept[key] = item
                    continue
                if item is None and self.prunes and not allows(self.resolve(child), "null"):
                    out.dropped.append((*path, key))
                    continue
                kept[key] = self._prune(item, child, (*path, key), out)
            return kept
        if isinstance(value, list) and allows(schema, "array") and "items" in schema:
            return [self._prune(item, schema["items"], (*path, index), out) for index, item in enumerate(value)]
        return value

    def _problems(self, error: Any) -> Iterator[Problem]:
        path = tuple(error.absolute_path)
        keyword = error.validator
        schema = error.schema
        if keyword == "required":
            for name in error.validator_value:
                if isinstance(error.instance, dict) and name not in error.instance:
                    yield Problem(path, "required", name, (), schema)
        elif keyword == "type":
            types = error.validator_value
            yield Problem(path, "type", None, tuple(types) if isinstance(types, list) else (types,), schema)
        elif keyword == "enum":
            yield Problem(path, "enum", None, tuple(error.validator_value), schema)
        elif keyword == "minItems":
            yield Problem(path, "minItems", None, (error.validator_value,), schema)
        else:  # no other keyword is in the schemas; say what jsonschema said rather than nothing
            yield Problem(path, str(keyword), None, (error.message,), schema)

    def fields(self, schema: dict[str, Any]) -> list[str]:
        return list(self.resolve(schema).get("properties", {}))

    def suggest(self, name: str, schema: dict[str, Any]) -> tuple[str, str] | None:
        """The field an unknown `name` most likely meant: ("rename", field) for a near miss of a field of this
        object, ("move", parent) for a field of one of its object fields (a hook's `command` outside `exec`)."""
        known = self.fields(schema)
        found = closest(name, known)
        if found is not None:
            return "rename", found
        for parent, child in self.resolve(schema).get("properties", {}).items():
            child = self.resolve(child)
            if allows(child, "object") and closest(name, self.fields(child)) == name:
                return "move", parent
        return None


def allows(schema: dict[str, Any], json_type: str) -> bool:
    """Whether the schema's `type` admits a JSON type (no `type` admits everything)."""
    types = schema.get("type")
    if types is None:
        return True
    return json_type in (types if isinstance(types, list) else [types])


_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_SUFFIX = re.compile(r"(hooks?|s)$")


def closest(name: str, known: list[str]) -> str | None:
    """A known field that `name` misspells: the same but for case or punctuation (`onerror`, `on_error`, `timeOut`),
    the same stem (`preHooks` for `pre`, `post` for `postHooks`), or a close spelling (`includeNamespaces`)."""
    squashed = _NOT_ALNUM.sub("", name.lower())
    by_squashed = {_NOT_ALNUM.sub("", field.lower()): field for field in known}
    if squashed in by_squashed:
        return by_squashed[squashed]
    ending = [field for squashed_field, field in by_squashed.items() if squashed_field.endswith(squashed)]
    if len(ending) > 1 and len(squashed) >= 4:
        return " or ".join(ending)  # a restore hook's `timeout`: execTimeout or waitTimeout
    stem = _SUFFIX.sub("", squashed)
    if stem:
        for squashed_field, field_name in by_squashed.items():
            if _SUFFIX.sub("", squashed_field) == stem:
                return field_name
    found = difflib.get_close_matches(squashed, list(by_squashed), n=1, cutoff=0.75)
    return by_squashed[found[0]] if found else None


def _sort_key(path: JSONPath) -> tuple[tuple[int, str], ...]:
    return tuple((0, f"{part:012d}") if isinstance(part, int) else (1, part) for part in path)


def _version(text: str) -> Version:
    major, minor, patch = (int(part) for part in text.split("."))
    return major, minor, patch


@lru_cache(maxsize=None)
def _document(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / SCHEMA_FILES[name]).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _at_version(node: Any, version: Version, validating: bool) -> Any:
    """The schema as it was at `version`: without the properties introduced later (x-velero-since), and, for
    validation, without `additionalProperties: false` (pruning is a step of its own, and a CRD that keeps unknown
    fields does not refuse them)."""
    if isinstance(node, list):
        return [_at_version(item, version, validating) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        if key == "properties":
            value = {
                name: child
                for name, child in value.items()
                if not (isinstance(child, dict) and version < _version(child.get("x-velero-since", "0.0.0")))
            }
        elif validating and key == "additionalProperties" and value is False:
            continue
        result[key] = _at_version(value, version, validating)
    return result


@lru_cache(maxsize=None)
def hook_schema(name: str, version: Version) -> HookSchema:
    """The hook schema `name` ("backup" or "restore") at a Velero release."""
    return HookSchema(name, _at_version(copy.deepcopy(_document(name)), version, False), version)


@lru_cache(maxsize=None)
def _validator(name: str, version: Version) -> Any:
    import jsonschema  # only when a Velero object is judged: a plain run never imports it (tests/test_startup.py)

    return jsonschema.Draft202012Validator(_at_version(_document(name), version, True))
