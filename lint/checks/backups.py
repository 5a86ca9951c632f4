"""Checks on the exec hooks of Velero Backup and Schedule objects (VM501, VM502, VM503).

Facts (velero-kubevirt-facts Q4.1, Q5; velero-io/velero): a Backup's hooks are `spec.hooks.resources[]`
(`BackupResourceHookSpec`, pkg/apis/velero/v1/backup_types.go) and a Schedule's are the same type under
`spec.template.hooks.resources[]`. The CRD (config/crd/v1/bases/velero.io_backups.yaml) requires a resource's
`name`, a hook's `exec` and its `command` (an array of strings, minItems 1), allows only `Continue` and `Fail`
for `onError`, and says only `type: string` for `timeout`, which Velero's typed client decodes as a
metav1.Duration with time.ParseDuration; lint.checks.hookschema judges the hooks with that schema (VM501).
Velero runs hooks for pods only (`HandleHooks` returns early for any other resource), selects them with
`ResourceHookSelector.applicableTo` (namespaces and resources as include/exclude lists, then the label selector
against the pod's labels), and skips a phase's spec hooks for a pod whose annotations define that phase's hook
("If the pod has the hook specified via annotations, that takes priority"). KubeVirt writes such annotation
hooks onto every virt-launcher pod unless skipped (Q4.3).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lint.checks import CheckContext
from lint.checks.hookschema import hooks_hits
from lint.core.findings import Hit
from lint.kube.objects import KubeObject, mapping_at
from lint.kubevirt.index import Launcher
from lint.text.nodes import Mapping, Node, Scalar, Sequence
from lint.text.scalars import node_type

SKIP_HOOKS_KEY = "kubevirt.io/skip-backup-hooks"
PHASES = ("pre", "post")
BACKUP_KINDS = ("Backup", "Schedule")
# What Kubernetes discovery resolves to the core `pods` resource (lower-cased first), and the include-all
# wildcard. Velero's generateIncludesExcludes ignores `*` in an exclude list, so it only counts when included.
POD_NAMES = frozenset({"pods", "pod", "po"})
_GLOB_CHARS = re.compile(r"[*?\[{]")


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
    """A Backup's or Schedule's hook resources (none for a Restore, whose hooks are another type: VM504)."""
    if obj.kind not in BACKUP_KINDS:
        return
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
    """What the API server rejects in a Backup's or Schedule's hooks (judged with Velero's CRD schema, unknown
    fields included), and what it accepts but Velero cannot use or never bounds (lint.checks.hookschema)."""
    if obj.kind not in BACKUP_KINDS:
        return  # a Restore's hooks are VM504's
    velero = ctx.settings.velero.version
    yield from hooks_hits(obj, (velero.major, velero.minor, velero.patch))


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


def _requires_launchers(selector: Node | None) -> bool:
    """A labelSelector that only virt-launcher pods satisfy: `kubevirt.io: virt-launcher` in matchLabels, or
    `kubevirt.io In [virt-launcher]` in matchExpressions."""
    if not isinstance(selector, Mapping):
        return False
    match_labels = selector.get("matchLabels")
    if isinstance(match_labels, Mapping):
        value = match_labels.get(LAUNCHER_LABEL[0])
        if isinstance(value, Scalar) and value.value == LAUNCHER_LABEL[1]:
            return True
    expressions = selector.get("matchExpressions")
    for expression in expressions.items if isinstance(expressions, Sequence) else ():
        if not isinstance(expression, Mapping):
            continue
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values")
        if (isinstance(key, Scalar) and key.value == LAUNCHER_LABEL[0] and isinstance(operator, Scalar)
                and operator.value == "In" and isinstance(values, Sequence) and values.items
                and all(isinstance(item, Scalar) and item.value == LAUNCHER_LABEL[1] for item in values.items)):
            return True
    return False


def _selected_launchers(resource: HookResource, launchers: list[Launcher]) -> list[Launcher]:
    if not _covers_pods(resource):
        return []
    selector = resource.node.get("labelSelector")
    return [
        launcher
        for launcher in launchers
        if _admits_namespace(resource, launcher.namespace) and _selects_labels(selector, launcher.labels)
    ]


LAUNCHER_LABEL = ("kubevirt.io", "virt-launcher")  # the label of every launcher pod (template.go)


def _describe(launcher: Launcher) -> str:
    name = launcher.name or "(unnamed)"
    return f"{launcher.kind} {launcher.namespace}/{name}" if launcher.namespace else f"{launcher.kind} {name}"


def backup_hook_shadowed(obj: KubeObject, ctx: CheckContext) -> Iterator[Hit]:
    """Spec hooks that select pods with annotation hooks never run there: the annotations take priority, on
    virt-launcher pods (KubeVirt's hooks or the VM's) and on the pods of any Kubernetes workload alike."""
    if ctx.index is None:
        return
    everyone = list(ctx.index.launchers)
    launchers = [launcher for launcher in everyone if launcher.hook_phases]
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
        selector = resource.node.entry("labelSelector")
        name = resource.node.entry("name")
        span = selector[0].span if selector else name[0].span if name else resource.node.span
        if kubevirt.injects_hooks and _requires_launchers(selector[1] if selector else None) and _covers_pods(
                resource) and not any(launcher.launcher and _admits_namespace(resource, launcher.namespace)
                                      for launcher in everyone):
            # Issue #15 item 4: the selector names launcher pods by definition, and the run holds none of the
            # VMs whose pods it selects: KubeVirt's injected hooks shadow these unless those VMs opt out
            for phase in (phase for phase in phases if phase in ("pre", "post")):
                yield Hit(
                    span,
                    f"{resource.path} selects virt-launcher pods (its labelSelector requires kubevirt.io: "
                    f"virt-launcher), whose {phase} annotation hook takes priority: Velero skips a pod's spec "
                    f"{phase} hooks when its annotations define one, so these {phase} hooks never run on the "
                    f"launcher pod of any VM that does not opt out ({source}; none of these VMs is among the "
                    "checked files)",
                    hint=hint,
                )
            continue
        selected = _selected_launchers(resource, launchers)
        if not selected:
            continue
        for phase in phases:
            shadowing = [launcher for launcher in selected if phase in launcher.hook_phases]
            vms = [launcher for launcher in shadowing if launcher.launcher]
            pods = [launcher for launcher in shadowing if not launcher.launcher]
            if vms:  # Velero decides per phase: pods without an annotation hook in it run the spec's
                if len(vms) == 1:
                    what = f"the virt-launcher pod of {_describe(vms[0])}"
                else:
                    what = f"the virt-launcher pods of {len(vms)} workloads (for example {_describe(vms[0])})"
                yield Hit(
                    span,
                    f"{resource.path} selects {what}, whose {phase} annotation hook takes priority: Velero skips a "
                    f"pod's spec {phase} hooks when its annotations define one, so these {phase} hooks never run "
                    f"there ({source})",
                    hint=hint,
                )
            if pods:
                what = (f"the pods of {_describe(pods[0])}" if len(pods) == 1 else
                        f"the pods of {len(pods)} workloads (for example {_describe(pods[0])})")
                yield Hit(
                    span,
                    f"{resource.path} selects {what}, whose pod template has a {phase} annotation hook, which takes "
                    f"priority: Velero skips a pod's spec {phase} hooks when its annotations define one, so these "
                    f"{phase} hooks never run there",
                    hint=f"move the command into the pod template's {phase} annotation hook, or remove that hook to "
                         "run these",
                )
