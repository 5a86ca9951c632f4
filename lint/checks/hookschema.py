"""The hooks of Velero objects judged as the API server and Velero judge them (VM501; the entry point of VM504).

The API server judges a Backup's `spec.hooks`, a Schedule's `spec.template.hooks` and a Restore's `spec.hooks`
with the openAPIV3Schema of Velero's CRDs: unknown fields are pruned first (and refused by kubectl, whose field
validation is strict by default), nulls in fields that are not nullable are dropped, then types, required fields,
enums and minItems are validated, and any error refuses the whole object. lint.velero.schema does that with JSON
Schemas written from the CRDs (lint/velero/schemas/, with the Velero release they were written from); this module
turns its answers into hits on the exact YAML nodes, with what the API server does.

Then what the API server accepts but Velero cannot use (velero-hooks-every-workload §1, §3): a duration Go's
time.ParseDuration rejects cannot be decoded into the metav1.Duration of Velero's typed client; an empty program
name or an empty hook resource `name` (ExecutePodCommand fails every hook of the resource with "hookName is
required") make every hook fail. Those are errors. A negative timeout is accepted and decoded, but Velero arms a
timer only for a positive one, so the hook runs without a time limit: a warning, as VM106 reasons.

`tests/oracle/vectors/velero_hooks.jsonl` holds the verdicts of Velero's real CRDs on a few thousand generated
objects; the suite checks these hits against them.
"""

from __future__ import annotations

import difflib
import json
import re
import shlex
from collections.abc import Iterator
from typing import Any, Union

from lint.core.findings import Hit, Severity
from lint.golang.duration import parse_duration
from lint.kube.objects import KubeObject
from lint.text.nodes import Mapping, Node, Scalar, Sequence
from lint.text.scalars import node_type
from lint.velero.hooks import parse_command
from lint.velero.schema import HookSchema, JSONPath, Judgement, Problem, hook_schema

ON_ERROR_VALUES = ("Continue", "Fail")
_TYPE_WORDS = {
    "str": "a string",
    "bool": "a YAML boolean",
    "int": "a YAML number",
    "float": "a YAML number",
    "null": "YAML null",
    "list": "a YAML list",
    "map": "a YAML mapping",
}
_HOOKS_AT = {"Backup": ("spec", "hooks"), "Schedule": ("spec", "template", "hooks"), "Restore": ("spec", "hooks")}
_SCHEMA_OF = {"Backup": "backup", "Schedule": "backup", "Restore": "restore"}
_REQUIRED_HINTS = {
    "name": "name the hook resource, for example name: freeze-vms",
    "exec": 'add exec with the command to run, for example exec: {command: ["/path/to/program", …]}',
    "command": 'add the command as a list of strings, for example command: ["/path/to/program", …]',
    "operator": "add operator: In, NotIn, Exists or DoesNotExist",
    "key": "add the label key the requirement is about",
}
_REQUIRED_WHY = {"operator": " (In, NotIn, Exists or DoesNotExist)"}

Entry = tuple[Union[Scalar, None], Node]  # a node and the key it stands under (None for a list item)


def hooks_hits(obj: KubeObject, version: tuple[int, int, int]) -> Iterator[Hit]:
    """Every hit on the hooks of a Backup, Schedule or Restore at a Velero release (major, minor, patch)."""
    located = _hooks_node(obj)
    if located is None:
        return
    base, key, node = located
    if node_type(node) == "null":
        return  # `hooks` is not nullable: the API server drops the null, and there are no hooks
    schema = hook_schema(_SCHEMA_OF[obj.kind], version)
    index: dict[JSONPath, Entry] = {}
    value = _value(node, (), key, index)
    judgement = schema.judge(value)
    report = _Report(obj.kind, base, schema, judgement, index)
    yield from report.unknown()
    yield from report.errors()
    yield from report.velero()


def restore_hook_invalid(obj: KubeObject, ctx: Any) -> Iterator[Hit]:
    """VM504: a Restore's `spec.hooks` judged like a Backup's (the CRD's schema, then what Velero cannot use), and
    what Velero's restore controller and hook code do with what the API server accepts
    (velero-hooks-every-workload §2(c), §6):

    - from v1.10.0 each `init.initContainers[]` item needs a non-empty `name`, `image` and `command`
      (hook.ValidateContainer in the restore controller), or the Restore ends `FailedValidation`;
    - at exactly v1.10.0 that validation nil-panics on a Restore whose postHooks hold an `exec` without `init`
      (#5674, fixed in v1.10.1);
    - `includedResources`/`excludedResources` are ignored: GetRestoreHooksFromSpec hard-codes pods.
    """
    if obj.kind != "Restore":
        return
    velero = ctx.settings.velero.version
    version = (velero.major, velero.minor, velero.patch)
    hits = list(hooks_hits(obj, version))
    yield from hits
    if any(hit.severity in (None, Severity.ERROR) for hit in hits):
        return  # refused or unreadable: what Velero would do with it next is moot
    yield from _restore_semantics(obj, version)


def _restore_semantics(obj: KubeObject, version: tuple[int, int, int]) -> Iterator[Hit]:
    hooks = obj.node.get("spec")
    hooks = hooks.get("hooks") if isinstance(hooks, Mapping) else None
    resources = hooks.get("resources") if isinstance(hooks, Mapping) else None
    if not isinstance(resources, Sequence):
        return
    where_version = ".".join(map(str, version))
    for index, resource in enumerate(resources.items):
        if not isinstance(resource, Mapping):
            continue
        base = f"spec.hooks.resources[{index}]"
        for field in ("includedResources", "excludedResources"):
            entry = resource.entry(field)
            if entry is None or not isinstance(entry[1], Sequence):
                continue
            others = [item.value for item in entry[1].items if isinstance(item, Scalar)
                      and item.value.lower() not in ("pods", "pod", "po", "*")]
            if others:
                yield Hit(
                    entry[0].span,
                    f"{base}.{field} names {', '.join(others)}, but Velero ignores {field} for restore hooks: it "
                    "matches every hook resource against pods only (GetRestoreHooksFromSpec), whatever this says",
                    hint=f"remove {field}; select the pods with includedNamespaces and labelSelector",
                    severity=Severity.WARNING,
                )
        post_hooks = resource.get("postHooks")
        if not isinstance(post_hooks, Sequence):
            continue
        for hook_index, hook in enumerate(post_hooks.items):
            if not isinstance(hook, Mapping):
                continue
            where = f"{base}.postHooks[{hook_index}]"
            init = hook.get("init")
            if version == (1, 10, 0) and _has_exec(hook) and (init is None or node_type(init) == "null"):
                yield Hit(
                    hook.entry("exec")[0].span,  # type: ignore[index]
                    f"{where} has an exec hook and no init hook: Velero 1.10.0's new init container validation "
                    "dereferences the missing init hook and panics, so the Restore fails (#5674, fixed in 1.10.1)",
                    hint="upgrade Velero to 1.10.1 or later",
                )
            containers = init.get("initContainers") if isinstance(init, Mapping) else None
            if version < (1, 10, 0) or not isinstance(containers, Sequence):
                continue
            for number, container in enumerate(containers.items):
                if not isinstance(container, Mapping):
                    continue
                missing = [field for field in ("name", "image", "command") if _blank(container.get(field))]
                if missing:
                    yield Hit(
                        container.pairs[0][0].span if container.pairs else container.span,
                        f"{where}.init.initContainers[{number}] has no {' and no '.join(missing)}: from 1.10.0 Velero "
                        "requires name, image and command of every init container and the Restore ends "
                        "FailedValidation (\"invalid InitContainer in restore hook, it doesn't have Command, Name or "
                        f"Image field\"; Velero {where_version})",
                        hint=f"add {', '.join(missing)}: spec init containers need a command, unlike annotation ones",
                    )


def _blank(node: Node | None) -> bool:
    """A container field Go decodes as empty: missing, null, "", or an empty command list."""
    if node is None or node_type(node) == "null":
        return True
    if isinstance(node, Sequence):
        return not node.items
    return isinstance(node, Scalar) and node.value == ""


def _hooks_node(obj: KubeObject) -> tuple[str, Scalar, Node] | None:
    path = _HOOKS_AT.get(obj.kind)
    if path is None:
        return None
    node: Node = obj.node
    for part in path[:-1]:
        child = node.get(part) if isinstance(node, Mapping) else None
        if not isinstance(child, Mapping):
            return None  # the spec itself is not the hooks' business
        node = child
    assert isinstance(node, Mapping)
    entry = node.entry(path[-1])
    if entry is None:
        return None
    return ".".join(path), entry[0], entry[1]


def _value(node: Node, path: JSONPath, key: Scalar | None, index: dict[JSONPath, Entry]) -> Any:
    """The JSON value Kubernetes makes of a node (sigs.k8s.io/yaml typing), every node indexed by its path."""
    index[path] = (key, node)
    if isinstance(node, Mapping):
        return {k.value: _value(v, (*path, k.value), k, index) for k, v in node.entries()}
    if isinstance(node, Sequence):
        return [_value(item, (*path, i), None, index) for i, item in enumerate(node.items)]
    kind = node_type(node)
    if kind == "str":
        return node.value
    if kind == "null":
        return None
    if kind == "bool":
        return node.value in ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")
    return 0 if kind == "int" else 0.5  # only the type matters to the schemas; messages quote the text


def _dotted(base: str, path: JSONPath) -> str:
    return base + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


class _Report:
    def __init__(
        self, kind: str, base: str, schema: HookSchema, judgement: Judgement, index: dict[JSONPath, Entry]
    ) -> None:
        self.kind, self.base, self.schema, self.judgement, self.index = kind, base, schema, judgement, index
        self.failed = {problem.path for problem in judgement.errors}

    def where(self, path: JSONPath) -> str:
        return _dotted(self.base, path)

    # --- fields the schema does not know ---------------------------------------------------------------------

    def _misplaced(self, problem: Problem) -> str | None:
        """The missing required field an unknown field belongs under (`container` of a hook that has no `exec`):
        one mistake, said once, by the missing field's hit."""
        assert problem.field is not None
        suggestion = self.schema.suggest(problem.field, problem.schema)
        if suggestion is None or suggestion[0] != "move":
            return None
        missing = Problem(problem.path, "required", suggestion[1])
        if missing not in self.judgement.errors or (*problem.path, suggestion[1]) in self.judgement.dropped:
            return None  # the missing field's hit points at its null, not at the object holding both
        return suggestion[1]

    def unknown(self) -> Iterator[Hit]:
        for problem in self.judgement.unknown:
            assert problem.field is not None
            if self._misplaced(problem) is not None:
                continue
            key, _ = self.index[(*problem.path, problem.field)]
            assert key is not None
            title = problem.schema.get("title", self.where(problem.path) or "this object")
            what = f"{self.where(problem.path)}.{problem.field} is not a field of {title}"
            if problem.keyword == "unknown":
                message = (
                    f"{what}: kubectl refuses the {self.kind} (its field validation is strict by default), and a "
                    "client that does not ask for strict validation, as many GitOps controllers, has the API server "
                    "drop the field without a word, so it never takes effect"
                )
            else:
                message = (
                    f"{what}: the CRD of Velero {'.'.join(map(str, self.schema.version))} keeps unknown fields, but "
                    "Velero never reads it, so it never takes effect"
                )
            yield Hit(key.span, message, hint=self._unknown_hint(problem, key))

    def _unknown_hint(self, problem: Problem, key: Scalar) -> str:
        assert problem.field is not None
        suggestion = self.schema.suggest(problem.field, problem.schema)
        if suggestion is None:
            fields = ", ".join(self.schema.fields(problem.schema))
            return f"remove it: the fields here are {fields}"
        action, target = suggestion
        if action == "rename" and " or " in target:
            return f"did you mean {target}?"
        if action == "rename":
            return f"did you mean {target}? write {target}: instead of {key.value}:"
        return f"{problem.field} belongs under {target}: move it there"

    # --- what validation refuses -----------------------------------------------------------------------------

    def errors(self) -> Iterator[Hit]:
        for problem in self.judgement.errors:
            if problem.keyword == "required":
                yield self._required(problem)
            elif problem.keyword == "type":
                yield self._type(problem)
            elif problem.keyword == "enum":
                yield self._enum(problem)
            elif problem.keyword == "minItems":
                _, node = self.index[problem.path]
                yield Hit(
                    node.span,
                    f"{self.where(problem.path)} is an empty list: the CRD requires at least one item (minItems "
                    f"{problem.expected[0]}), so the API server rejects the {self.kind}",
                    hint='name the program to run: ["/path/to/program", …]',
                )
            else:
                _, node = self.index[problem.path]
                yield Hit(node.span, f"{self.where(problem.path)}: {problem.expected[0]}: the API server rejects "
                          f"the {self.kind}")

    def _required(self, problem: Problem) -> Hit:
        assert problem.field is not None
        name = problem.field
        key, node = self.index[problem.path]
        dropped = self.index.get((*problem.path, name)) if (*problem.path, name) in self.judgement.dropped else None
        if dropped is not None and dropped[0] is not None:
            span = dropped[0].span  # `name: null`: the null is dropped, so the field is missing
        elif key is not None:
            span = key.span  # `exec:` itself, not the whole mapping under it
        else:
            span = node.span
        where = self.where(problem.path)
        hint = _REQUIRED_HINTS.get(name, f"add {name}")
        misplaced = [
            unknown.field for unknown in self.judgement.unknown
            if unknown.path == problem.path and self._misplaced(unknown) == name
        ]
        if misplaced:
            hint = f"write {name}: and move {' and '.join(str(field) for field in misplaced)} below it"
        return Hit(
            span,
            f"{where} has no {name}: {name} is required{_REQUIRED_WHY.get(name, '')}, so the API server rejects "
            f"the {self.kind}",
            hint=hint,
        )

    def _type(self, problem: Problem) -> Hit:
        _, node = self.index[problem.path]
        where = self.where(problem.path)
        found = node_type(node)
        word = _TYPE_WORDS[found]
        field = next((part for part in reversed(problem.path) if isinstance(part, str)), "")
        last = problem.path[-1] if problem.path else ""
        expected = problem.expected[0] if problem.expected else "string"
        kind = self.kind
        if isinstance(last, int) and field == "command":
            what = "the program name" if last == 0 else f"element {last + 1}"
            where = f"{what} of {self.where(problem.path[:-1])}"
            if found == "null":
                return Hit(node.span, f"{where} is null: the CRD wants strings, so the API server rejects the {kind}",
                           hint="replace null with the string you meant, or remove it")
            hint = "flatten the command into one list of strings"
            if isinstance(node, Scalar):
                hint = f"quote it: '{node.value}'"
            return Hit(node.span, f"{where} is {word}, not a string: the CRD wants strings, so the API server rejects "
                       f"the {kind}", hint=hint)
        if last == "command":
            hint = 'write the command as a list of strings, for example ["/path/to/program", …]'
            if isinstance(node, Scalar) and found == "str":
                hint = _list_hint(node)
            return Hit(node.span, f"{where} is {word}, not a list: the CRD wants a list of strings, so the API "
                       f"server rejects the {kind}", hint=hint)
        if last == "onError":
            return Hit(node.span, f"{where} is {word}, not Continue or Fail: the CRD allows only those two strings, "
                       f"so the API server rejects the {kind}", hint="write onError: Continue or onError: Fail")
        if "x-velero-duration" in problem.schema:
            hint = _duration_hint(node.value) if isinstance(node, Scalar) else "write a Go duration such as 30s"
            return Hit(node.span, f'{where} is {word}, not a string: the CRD wants a duration string such as "30s", '
                       f"so the API server rejects the {kind}", hint=hint)
        if isinstance(last, int) and field in ("pre", "post", "postHooks"):
            return Hit(node.span, f"{where} is {word}, not a hook with exec: the API server rejects the {kind}",
                       hint='write the hook as a mapping: exec: {command: ["/path/to/program", …]}')
        if expected == "string":
            if len(problem.path) >= 2 and problem.path[-2] == "matchLabels":
                why = "label values are strings"
                hint = f"quote it: {last}: \"{node.value}\"" if isinstance(node, Scalar) else "write the label value"
            else:
                why = "the CRD wants a string"
                hint = f"quote it: '{node.value}'" if isinstance(node, Scalar) else "write a string"
                if found == "null":
                    hint = "replace null with the string you meant, or remove it"
            return Hit(node.span, f"{where} is {word}, not a string: {why}, so the API server rejects the {kind}",
                       hint=hint)
        if expected == "array":
            items = self.schema.resolve(problem.schema).get("items", {})
            of_strings = " of strings" if self.schema.resolve(items).get("type") == "string" else ""
            hint = "write it as a YAML list"
            if of_strings and isinstance(node, Scalar) and found == "str":
                hint = f"write it as a list: {field}: [{node.value}]"
            return Hit(node.span, f"{where} is {word}, not a list: the CRD wants a list{of_strings}, so the API "
                       f"server rejects the {kind}", hint=hint)
        if expected == "object":
            return Hit(node.span, f"{where} is {word}, not a mapping: the API server rejects the {kind}",
                       hint=_MAPPING_HINTS.get(field, "write it as a mapping"))
        if expected == "boolean":
            return Hit(node.span, f"{where} is {word}, not a boolean: the CRD wants true or false, so the API "
                       f"server rejects the {kind}", hint="write true or false")
        return Hit(node.span, f"{where} is {word}, not {expected}: the API server rejects the {kind}")

    def _enum(self, problem: Problem) -> Hit:
        _, node = self.index[problem.path]
        where = self.where(problem.path)
        text = node.value if isinstance(node, Scalar) else ""
        choices = " or ".join(str(choice) for choice in problem.expected)
        if problem.path and problem.path[-1] == "onError":
            suggestion = _on_error_suggestion(text)
            hint = f"write onError: {suggestion}" if suggestion else "write onError: Continue or onError: Fail"
            return Hit(node.span, f"{where} is {_quoted(text)}, but the CRD allows only Continue or Fail "
                       f"(case-sensitive), so the API server rejects the {self.kind}", hint=hint)
        return Hit(node.span, f"{where} is {_quoted(text)}, but the CRD allows only {choices}, so the API server "
                   f"rejects the {self.kind}", hint=f"write one of {choices}")

    # --- what the API server accepts and Velero cannot use -----------------------------------------------------

    def velero(self) -> Iterator[Hit]:
        for path, schema in self.judgement.schemas.items():
            if path in self.failed or path not in self.index:
                continue
            key, node = self.index[path]
            if not isinstance(node, Scalar) or node_type(node) != "str":
                continue
            if "x-velero-duration" in schema:
                yield from self._duration(path, node, schema["x-velero-duration"])
            elif len(path) >= 2 and path[-2] == "command" and path[-1] == 0 and not node.value.strip():
                yield Hit(
                    node.span,
                    f"the program name of {self.where(path[:-1])} is empty: the API server accepts it, but there is "
                    "no program to run, so the hook fails",
                    hint='name the program first: ["/path/to/program", …]',
                )
            elif len(path) == 3 and path[-1] == "name" and node.value == "" and self._runs_exec_hooks(path[:-1]):
                yield Hit(
                    node.span,
                    f"{self.where(path)} is empty: the API server accepts it, but Velero passes it to every exec hook "
                    'of this resource as the hook\'s name and fails each with "hookName is required"',
                    hint=_REQUIRED_HINTS["name"],
                )

    def _runs_exec_hooks(self, resource: JSONPath) -> bool:
        _, node = self.index[resource]
        if not isinstance(node, Mapping):
            return False
        if self.kind == "Restore":
            hooks = node.get("postHooks")
            return isinstance(hooks, Sequence) and any(_has_exec(hook) for hook in hooks.items)
        return any(isinstance(hooks := node.get(phase), Sequence) and hooks.items for phase in ("pre", "post"))

    def _duration(self, path: JSONPath, node: Scalar, use: str) -> Iterator[Hit]:
        where = self.where(path)
        parsed = parse_duration(node.value)
        if parsed.error is not None:
            yield Hit(
                node.span,
                f"{where} {_quoted(node.value)} is not a Go duration ({parsed.error}): the CRD only asks for a "
                f"string, so the API server accepts the {self.kind}, but Velero's typed client cannot decode it into "
                f"a metav1.Duration, so Velero cannot read the {self.kind}",
                hint=_duration_hint(node.value),
            )
            return
        if parsed.nanoseconds is None or parsed.nanoseconds >= 0 or use == "unused":
            return
        positive = node.value[1:] if node.value.startswith("-") else ""
        if not positive or parse_duration(positive).error is not None:
            positive = "60s"
        if use == "wait":
            message = (f"{where} {node.value} is negative: the API server accepts it, but Velero waits for the "
                       "container without a time limit when the wait timeout is not positive")
        else:
            message = (f"{where} {node.value} is negative: the API server accepts it, but Velero puts its 30s "
                       "default only in place of 0 and arms a timer only for a positive timeout, so the hook runs "
                       "with no time limit")
        yield Hit(node.span, message, hint=f"use a positive duration such as {positive}", severity=Severity.WARNING)


def _has_exec(hook: Node) -> bool:
    """A restore hook with an exec (a null one is dropped by the API server)."""
    exec_node = hook.get("exec") if isinstance(hook, Mapping) else None
    return exec_node is not None and node_type(exec_node) != "null"


_MAPPING_HINTS = {
    "exec": "exec is a mapping with command and, optionally, container, onError and timeout",
    "hooks": "hooks is a mapping with resources: a list of hook resources",
    "labelSelector": "labelSelector is a mapping with matchLabels and/or matchExpressions",
    "matchLabels": "matchLabels maps label keys to string values, for example matchLabels: {app: web}",
}


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _list_hint(command: Scalar) -> str:
    """The list the author most likely meant by a command written as one string."""
    text = command.value
    if text.startswith("["):
        parsed = parse_command(text)
        if parsed.form == "json":
            return f"write it as a YAML list, not a JSON string: command: {json.dumps(list(parsed.argv))}"
    try:
        argv = shlex.split(text)
    except ValueError:
        argv = text.split()
    if not argv:
        return 'write the command as a list of strings, for example ["/path/to/program", …]'
    return f"write it as a list: command: {json.dumps(argv, ensure_ascii=False)}"


def _on_error_suggestion(text: str) -> str | None:
    wanted = text.strip().lower()
    by_lower = {choice.lower(): choice for choice in ON_ERROR_VALUES}
    if wanted in by_lower:
        return by_lower[wanted]
    found = difflib.get_close_matches(wanted, list(by_lower), n=1, cutoff=0.6)
    return by_lower[found[0]] if found else None


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
_DAYS = re.compile(r"(\d+)\s*d(ays?)?", re.IGNORECASE)


def _duration_hint(text: str) -> str:
    stripped = text.strip()
    if _NUMBER.fullmatch(stripped):
        return f"add a unit: {stripped}s (Go durations need one: ns, us, ms, s, m or h)"
    days = _DAYS.fullmatch(stripped)
    if days:
        return f"Go durations have no day unit: {int(days.group(1)) * 24}h"
    compact = stripped.replace(" ", "")
    for candidate in (compact, compact.lower()):
        if candidate != text and parse_duration(candidate).error is None:
            return f"write {candidate}"
    return "write a Go duration such as 30s, 5m or 1h30m"

