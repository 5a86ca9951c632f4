"""Checks on the exec hooks of Velero Backup and Schedule objects (VM501, VM502, VM503).

Facts (velero-kubevirt-facts Q4.1, Q5; velero-io/velero): a Backup's hooks are `spec.hooks.resources[]`
(`BackupResourceHookSpec`, pkg/apis/velero/v1/backup_types.go) and a Schedule's are the same type under
`spec.template.hooks.resources[]`. The CRD (config/crd/v1/bases/velero.io_backups.yaml) requires a resource's
`name`, a hook's `exec` and its `command` (an array of strings, minItems 1), allows only `Continue` and `Fail`
for `onError`, and says only `type: string` for `timeout`, which Velero's typed client decodes as a
metav1.Duration with time.ParseDuration. Velero runs hooks for pods only (`HandleHooks` returns early for any
other resource), selects them with `ResourceHookSelector.applicableTo` (namespaces and resources as
include/exclude lists, then the label selector against the pod's labels), and skips a phase's spec hooks for a
pod whose annotations define that phase's hook ("If the pod has the hook specified via annotations, that takes
priority"). KubeVirt writes such annotation hooks onto every virt-launcher pod unless skipped (Q4.3).
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from lint.checks import CheckContext
from lint.core.findings import Hit
from lint.golang.duration import parse_duration
from lint.kube.objects import KubeObject, mapping_at
from lint.kubevirt.index import Launcher
from lint.text.nodes import Mapping, Node, Scalar, Sequence
from lint.text.scalars import node_type
from lint.velero.hooks import parse_command

SKIP_HOOKS_KEY = "kubevirt.io/skip-backup-hooks"
ON_ERROR_VALUES = ("Continue", "Fail")
PHASES = ("pre", "post")
# What Kubernetes discovery resolves to the core `pods` resource (lower-cased first), and the include-all
# wildcard. Velero's generateIncludesExcludes ignores `*` in an exclude list, so it only counts when included.
POD_NAMES = frozenset({"pods", "pod", "po"})
_GLOB_CHARS = re.compile(r"[*?\[{]")

_TYPE_WORDS = {
    "str": "a string",
    "bool": "a YAML boolean",
    "int": "a YAML number",
    "float": "a YAML number",
    "null": "YAML null",
    "list": "a YAML list",
    "map": "a YAML mapping",
}


@dataclass(frozen=True)
class HookResource:
    """One `hooks.resources[]` entry of a Backup or Schedule, and its dotted path for messages."""

    path: str
    node: Mapping

    def phase(self, phase: str) -> Sequence | None:
        hooks = self.node.get(phase)
        return hooks if isinstance(hooks, Sequence) else None

    def phases_with_hooks(self) -> list[str]:
        return [phase for phase in PHASES if (hooks := self.phase(phase)) is not None and hooks.items]

    def strings(self, field: str) -> tuple[Sequence | None, list[str]]:
        """A string-list field: its node (None when absent or not a list) and its string items' values."""
        value = self.node.get(field)
        if not isinstance(value, Sequence):
            return None, []
        return value, [item.value for item in value.items if isinstance(item, Scalar) and node_type(item) == "str"]


def hook_resources(obj: KubeObject) -> Iterator[HookResource]:
    base = ("spec", "template", "hooks") if obj.kind == "Schedule" else ("spec", "hooks")
    hooks = mapping_at(obj.node, base)
    resources = hooks.get("resources") if hooks is not None else None
    if not isinstance(resources, Sequence):
        return
    for index, item in enumerate(resources.items):
        if isinstance(item, Mapping):
            yield HookResource(f"{'.'.join(base)}.resources[{index}]", item)


def _is_null(node: Node) -> bool:
    return isinstance(node, Scalar) and node_type(node) == "null"


# --- VM501 ------------------------------------------------------------------------------------------------


def backup_hook_invalid(obj: KubeObject, ctx: CheckContext) -> Iterator[Hit]:
    """What the API server rejects in a hook resource, and timeouts Velero cannot decode or never enforces."""
    kind = obj.kind
    for resource in hook_resources(obj):
        name = resource.node.entry("name")
        if name is None or _is_null(name[1]):
            yield Hit(
                name[0].span if name else resource.node.span,
                f"{resource.path} has no name: name is required, so the API server rejects the {kind}",
                hint="name the hook resource, for example name: freeze-vms",
            )
        for phase in PHASES:
            hooks = resource.phase(phase)
            if hooks is None:
                continue
            for index, hook in enumerate(hooks.items):
                yield from _check_hook(f"{resource.path}.{phase}[{index}]", hook, kind)


def _check_hook(path: str, hook: Node, kind: str) -> Iterator[Hit]:
    if not isinstance(hook, Mapping):
        yield Hit(
            hook.span,
            f"{path} is {_TYPE_WORDS[node_type(hook)]}, not a hook with exec: the API server rejects the {kind}",
            hint='write the hook as a mapping: exec: {command: ["/path/to/program", …]}',
        )
        return
    entry = hook.entry("exec")
    if entry is None or _is_null(entry[1]):
        yield Hit(
            entry[0].span if entry else hook.span,
            f"{path} has no exec: exec is required, so the API server rejects the {kind}",
            hint='add exec with the command to run, for example exec: {command: ["/path/to/program", …]}',
        )
        return
    exec_key, exec_node = entry
    if not isinstance(exec_node, Mapping):
        yield Hit(
            exec_node.span,
            f"{path}.exec is {_TYPE_WORDS[node_type(exec_node)]}, not a mapping: the API server rejects the {kind}",
            hint="exec is a mapping with command and, optionally, container, onError and timeout",
        )
        return
    yield from _check_command(f"{path}.exec", exec_key, exec_node, kind)
    yield from _check_on_error(f"{path}.exec.onError", exec_node.get("onError"), kind)
    yield from _check_timeout(f"{path}.exec.timeout", exec_node.get("timeout"), kind)


def _check_command(path: str, exec_key: Scalar, exec_node: Mapping, kind: str) -> Iterator[Hit]:
    entry = exec_node.entry("command")
    if entry is None or _is_null(entry[1]):
        yield Hit(
            entry[0].span if entry else exec_key.span,
            f"{path} has no command: command is required, so the API server rejects the {kind}",
            hint='add the command as a list of strings, for example command: ["/path/to/program", …]',
        )
        return
    command = entry[1]
    where = f"{path}.command"
    if not isinstance(command, Sequence):
        kind_word = node_type(command)
        hint = 'write the command as a list of strings, for example ["/path/to/program", …]'
        if isinstance(command, Scalar) and kind_word == "str":
            hint = _list_hint(command)
        yield Hit(
            command.span,
            f"{where} is {_TYPE_WORDS[kind_word]}, not a list: the CRD wants a list of strings, so the API "
            f"server rejects the {kind}",
            hint=hint,
        )
        return
    if not command.items:
        yield Hit(
            command.span,
            f"{where} is an empty list: the CRD requires at least one item (minItems 1), so the API server "
            f"rejects the {kind}",
            hint='name the program to run: ["/path/to/program", …]',
        )
        return
    for index, item in enumerate(command.items):
        item_type = node_type(item)
        what = "the program name" if index == 0 else f"element {index + 1}"
        if item_type == "str":
            if index == 0 and isinstance(item, Scalar) and not item.value.strip():
                yield Hit(
                    item.span,
                    f"{what} of {where} is empty: the API server accepts it, but there is no program to run, so "
                    "the hook fails",
                    hint='name the program first: ["/path/to/program", …]',
                )
            continue
        if item_type == "null":
            yield Hit(
                item.span,
                f"{what} of {where} is null: the CRD wants strings, so the API server rejects the {kind}",
                hint="replace null with the string you meant, or remove it",
            )
        elif isinstance(item, Scalar):
            yield Hit(
                item.span,
                f"{what} of {where} is {_TYPE_WORDS[item_type]}, not a string: the CRD wants strings, so the "
                f"API server rejects the {kind}",
                hint=f"quote it: '{item.value}'",
            )
        else:
            yield Hit(
                item.span,
                f"{what} of {where} is {_TYPE_WORDS[item_type]}, not a string: the CRD wants strings, so the "
                f"API server rejects the {kind}",
                hint="flatten the command into one list of strings",
            )


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


def _check_on_error(path: str, value: Node | None, kind: str) -> Iterator[Hit]:
    if value is None or _is_null(value):
        return  # absent (a null is pruned): Velero's default applies
    value_type = node_type(value)
    if value_type != "str" or not isinstance(value, Scalar):
        yield Hit(
            value.span,
            f"{path} is {_TYPE_WORDS[value_type]}, not Continue or Fail: the CRD allows only those two strings, "
            f"so the API server rejects the {kind}",
            hint="write onError: Continue or onError: Fail",
        )
        return
    if value.value in ON_ERROR_VALUES:
        return
    suggestion = _on_error_suggestion(value.value)
    yield Hit(
        value.span,
        f"{path} is {_quoted(value.value)}, but the CRD allows only Continue or Fail (case-sensitive), so the "
        f"API server rejects the {kind}",
        hint=f"write onError: {suggestion}" if suggestion else "write onError: Continue or onError: Fail",
    )


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _on_error_suggestion(text: str) -> str | None:
    wanted = text.strip().lower()
    by_lower = {choice.lower(): choice for choice in ON_ERROR_VALUES}
    if wanted in by_lower:
        return by_lower[wanted]
    found = difflib.get_close_matches(wanted, list(by_lower), n=1, cutoff=0.6)
    return by_lower[found[0]] if found else None


def _check_timeout(path: str, value: Node | None, kind: str) -> Iterator[Hit]:
    if value is None or _is_null(value):
        return
    value_type = node_type(value)
    if value_type != "str" or not isinstance(value, Scalar):
        yield Hit(
            value.span,
            f"{path} is {_TYPE_WORDS[value_type]}, not a string: the CRD wants a duration string such as "
            f'"30s", so the API server rejects the {kind}',
            hint=_duration_hint(value.value) if isinstance(value, Scalar) else "write a Go duration such as 30s",
        )
        return
    parsed = parse_duration(value.value)
    if parsed.error is not None:
        yield Hit(
            value.span,
            f"{path} {_quoted(value.value)} is not a Go duration ({parsed.error}): the CRD only asks for a "
            f"string, so the API server accepts the {kind}, but Velero's typed client cannot decode it into a "
            f"metav1.Duration, so Velero cannot read the {kind}",
            hint=_duration_hint(value.value),
        )
    elif parsed.nanoseconds is not None and parsed.nanoseconds < 0:
        positive = value.value[1:] if value.value.startswith("-") else ""
        if not positive or parse_duration(positive).error is not None:
            positive = "60s"
        yield Hit(
            value.span,
            f"{path} {value.value} is negative: Velero puts its 30s default only in place of 0 and arms a timer "
            "only for a positive timeout, so it waits for the hook forever",
            hint=f"use a positive duration such as {positive}",
        )


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


# --- VM502 ------------------------------------------------------------------------------------------------


def _names_pods(item: str) -> bool:
    """Discovery resolves `pods`, `pod` and `po` (lower-cased) to the core pods resource."""
    return item.lower() in POD_NAMES


def _may_cover_pods(item: str) -> bool:
    """An include item that covers pods: a name of pods, `*`, or a glob Velero keeps as-is and matches."""
    return item == "*" or _names_pods(item) or bool(_GLOB_CHARS.search(item))


def _included_pods(resource: HookResource) -> tuple[Sequence | None, bool]:
    node, items = resource.strings("includedResources")
    return node, not items or any(_may_cover_pods(item) for item in items)


def _excluded_pods(resource: HookResource) -> tuple[Sequence | None, bool]:
    node, items = resource.strings("excludedResources")
    return node, any(_names_pods(item) for item in items)


def _covers_pods(resource: HookResource) -> bool:
    return _included_pods(resource)[1] and not _excluded_pods(resource)[1]


def backup_hook_never_runs(obj: KubeObject, ctx: CheckContext) -> Iterator[Hit]:
    """Velero runs hooks for pods only: a hook resource whose resource filter leaves pods out never fires."""
    for resource in hook_resources(obj):
        node, covered = _included_pods(resource)
        if node is not None and not covered:
            _, items = resource.strings("includedResources")
            yield Hit(
                node.span,
                f"{resource.path}.includedResources does not include pods ({', '.join(items)}): Velero runs "
                "hooks for pods only, so these hooks never run",
                hint="add pods to includedResources, or remove it (empty means every resource)",
            )
        node, excluded = _excluded_pods(resource)
        if node is not None and excluded:
            yield Hit(
                node.span,
                f"{resource.path}.excludedResources excludes pods: Velero runs hooks for pods only, so these "
                "hooks never run",
                hint="remove pods from excludedResources",
            )


# --- VM503 ------------------------------------------------------------------------------------------------


def _glob_match(pattern: str, text: str) -> bool:
    """gobwas/glob as Velero's IncludesExcludes uses it: `*`, `?`, `[…]`, and `{a,b}` alternatives."""
    braces = re.search(r"\{([^{}]*)\}", pattern)
    if braces:
        return any(
            _glob_match(pattern[: braces.start()] + choice + pattern[braces.end() :], text)
            for choice in braces.group(1).split(",")
        )
    return fnmatch.fnmatchcase(text, pattern)


def _admits_namespace(resource: HookResource, namespace: str | None) -> bool:
    if namespace is None:
        return True  # the manifest does not say where it goes: the filters cannot rule it out
    _, excluded = resource.strings("excludedNamespaces")
    if any(_glob_match(pattern, namespace) for pattern in excluded):
        return False
    _, included = resource.strings("includedNamespaces")
    return not included or "*" in included or any(_glob_match(pattern, namespace) for pattern in included)


def _selects_labels(selector: Node | None, labels: dict[str, str]) -> bool:
    """metav1.LabelSelector against a pod's labels; what cannot be judged offline is taken to match."""
    if selector is None or _is_null(selector):
        return True
    if not isinstance(selector, Mapping):
        return True
    match_labels = selector.get("matchLabels")
    if isinstance(match_labels, Mapping):
        for key, value in match_labels.entries():
            if isinstance(value, Scalar) and labels.get(key.value) != value.value:
                return False
    expressions = selector.get("matchExpressions")
    if isinstance(expressions, Sequence):
        for expression in expressions.items:
            if _requirement(expression, labels) is False:
                return False
    return True


def _requirement(expression: Node, labels: dict[str, str]) -> bool | None:
    """One matchExpressions entry: True or False where it can be judged, None where it cannot."""
    if not isinstance(expression, Mapping):
        return None
    key, operator = expression.get("key"), expression.get("operator")
    if not isinstance(key, Scalar) or not isinstance(operator, Scalar):
        return None
    values_node = expression.get("values")
    values = []
    if isinstance(values_node, Sequence):
        values = [item.value for item in values_node.items if isinstance(item, Scalar)]
    present = key.value in labels
    if operator.value == "In":
        return present and labels[key.value] in values
    if operator.value == "NotIn":
        return not present or labels[key.value] not in values
    if operator.value == "Exists":
        return present
    if operator.value == "DoesNotExist":
        return not present
    return None  # Velero cannot build this selector at all; assume it may match


def _selected_launchers(resource: HookResource, launchers: list[Launcher]) -> list[Launcher]:
    if not _covers_pods(resource):
        return []
    selector = resource.node.get("labelSelector")
    return [
        launcher
        for launcher in launchers
        if _admits_namespace(resource, launcher.namespace) and _selects_labels(selector, launcher.labels)
    ]


def _describe(launcher: Launcher) -> str:
    name = launcher.name or "(unnamed)"
    return f"{launcher.kind} {launcher.namespace}/{name}" if launcher.namespace else f"{launcher.kind} {name}"


def backup_hook_shadowed(obj: KubeObject, ctx: CheckContext) -> Iterator[Hit]:
    """Spec hooks that select virt-launcher pods never run there: the pods' annotation hooks take priority."""
    if ctx.index is None:
        return
    launchers = [launcher for launcher in ctx.index.launchers if launcher.hook_phases]
    if not launchers:
        return
    kubevirt = ctx.settings.kubevirt
    if not kubevirt.injects_hooks:
        source = f"{kubevirt} injects no hooks: these come from the workload's own pod annotations"
        hint = "remove the hook annotations from the workload's pod template to run these hooks instead"
    elif kubevirt.honours_skip_annotation:
        source = f'KubeVirt injects its virt-freezer hooks into launcher pods unless {SKIP_HOOKS_KEY}: "true"'
        hint = (
            f'to run these hooks instead, set {SKIP_HOOKS_KEY}: "true" in the VirtualMachine\'s '
            "metadata.annotations (and leave its template without hook annotations); otherwise remove them"
        )
    else:
        source = (
            f"{kubevirt} injects its virt-freezer hooks into every launcher pod and does not read {SKIP_HOOKS_KEY} "
            "(1.6.6, 1.7.3 and 1.8.0 do)"
        )
        hint = f"remove these hooks, or upgrade KubeVirt and set {SKIP_HOOKS_KEY}: \"true\" on the VirtualMachine"
    for resource in hook_resources(obj):
        phases = resource.phases_with_hooks()
        if not phases:
            continue
        selected = _selected_launchers(resource, launchers)
        if not selected:
            continue
        selector = resource.node.entry("labelSelector")
        name = resource.node.entry("name")
        span = selector[0].span if selector else name[0].span if name else resource.node.span
        for phase in phases:
            shadowing = [launcher for launcher in selected if phase in launcher.hook_phases]
            if not shadowing:
                continue  # Velero decides per phase: pods without an annotation hook in it run the spec's
            if len(shadowing) == 1:
                what = f"the virt-launcher pod of {_describe(shadowing[0])}"
            else:
                what = f"the virt-launcher pods of {len(shadowing)} workloads (for example {_describe(shadowing[0])})"
            yield Hit(
                span,
                f"{resource.path} selects {what}, whose {phase} annotation hook takes priority: Velero skips a "
                f"pod's spec {phase} hooks when its annotations define one, so these {phase} hooks never run "
                f"there ({source})",
                hint=hint,
            )
