"""The parameterised checks of custom rules (lint.core.rulefiles) and of VM902: each selects objects with the
rule's `match` and a node with its dotted `path`, and judges annotations, durations, a JSON Schema, or whether
the VM is frozen before its backups. One registered check, `policy`, dispatches on `params["check"]`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from lint.core.findings import Hit
from lint.core.rulefiles import PARAMETERISED_CHECKS
from lint.golang.duration import parse_duration
from lint.kube.objects import WORKLOAD_INTEREST, KubeObject, Workload
from lint.text.interest import EVERYTHING, Interest, any_of
from lint.text.nodes import Mapping, Node, Scalar, Span
from lint.text.nodes import Sequence as SeqNode
from lint.text.scalars import scalar_type

TIMEOUT_KEYS = ("pre.hook.backup.velero.io/timeout", "post.hook.backup.velero.io/timeout")
ON_ERROR_KEYS = ("pre.hook.backup.velero.io/on-error", "post.hook.backup.velero.io/on-error")

# --------------------------------------------------------------------------------------------------------------
# Selecting objects and nodes


def _labels(obj: KubeObject) -> dict[str, str]:
    metadata = obj.metadata
    labels = metadata.get("labels") if metadata else None
    if not isinstance(labels, Mapping):
        return {}
    return {key.value: value.value for key, value in labels.entries() if isinstance(value, Scalar)}


def selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (or a plain map, read as matchLabels) against an object's labels."""
    if not set(selector) & {"matchLabels", "matchExpressions"}:
        selector = {"matchLabels": selector}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(str(key)) != str(value):
            return False
    for expression in selector.get("matchExpressions") or ():
        key, operator = str(expression["key"]), expression["operator"]
        values = [str(value) for value in expression.get("values") or ()]
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def matches(obj: KubeObject, match: dict[str, Any], default_namespace: str | None) -> bool:
    if "kinds" in match and obj.kind not in match["kinds"]:
        return False
    if "namespaces" in match:
        namespace = obj.namespace or default_namespace
        if namespace is None or not any(fnmatchcase(namespace, glob) for glob in match["namespaces"]):
            return False
    return "labels" not in match or selector_matches(match["labels"], _labels(obj))


@dataclass(frozen=True)
class Selected:
    """The node at a dotted path of an object, its key, and where to point when it is missing."""

    path: tuple[str, ...]
    node: Node | None
    key: Scalar | None  # the node's key in its parent mapping
    anchor: Span  # the key of the deepest part of the path that exists

    @property
    def span(self) -> Span:
        return self.key.span if self.key is not None else self.anchor

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


def select(root: Mapping, path: Sequence[str]) -> Selected:
    node: Node = root
    key: Scalar | None = None
    kind = root.entry("kind")
    anchor = kind[0].span if kind else root.span
    for i, step in enumerate(path):
        entry = node.entry(step) if isinstance(node, Mapping) else None
        if entry is None:
            return Selected(tuple(path), None, None, key.span if key is not None else anchor)
        key, node = entry
    return Selected(tuple(path), node, key, key.span if key is not None else anchor)


def _path(text: str) -> tuple[str, ...]:
    return tuple(step for step in text.split(".") if step)


def _keys(params: dict[str, Any], default: Sequence[str] = ()) -> tuple[str, ...]:
    keys = params.get("keys", params.get("key", default))
    return (keys,) if isinstance(keys, str) else tuple(keys)


# --------------------------------------------------------------------------------------------------------------
# The checks


@dataclass(frozen=True)
class Target:
    obj: KubeObject
    workload: Workload | None
    params: dict[str, Any]
    settings: Any
    ctx: Any

    def message(self, detail: str, **fields: str) -> str:
        template = self.params.get("message")
        if not template:
            return detail
        values = {"detail": detail, "kind": self.obj.kind, "name": self.obj.name or "",
                  "namespace": self.obj.namespace or "", "key": "", "value": "", "path": "", **fields}
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)

    def subject(self) -> str:
        return f"{self.obj.kind} {self.obj.name}" if self.obj.name else f"this {self.obj.kind}"


def _annotations(target: Target) -> Selected | None:
    """The annotations a check reads: `path`, else the pod-bound annotations of a KubeVirt workload."""
    if "path" in target.params:
        return select(target.obj.node, _path(target.params["path"]))
    if target.workload is None:
        return None
    return select(target.obj.node, target.workload.spec.pod_metadata + ("annotations",))


def _entries(selected: Selected) -> dict[str, tuple[Scalar, Node]]:
    if not isinstance(selected.node, Mapping):
        return {}
    return {key.value: (key, value) for key, value in selected.node.entries()}


def required_annotation(target: Target) -> Iterator[Hit]:
    selected = _annotations(target)
    if selected is None:
        return
    present = _entries(selected)
    for key in _keys(target.params):
        if key not in present:
            where = f"{selected.dotted}" if selected.node is not None else f"{selected.dotted} (absent)"
            yield Hit(selected.span, target.message(f"{target.subject()} has no {key} in {where}", key=key,
                                                    path=selected.dotted),
                      hint=f"add {key} to {selected.dotted}")


def forbidden_annotation(target: Target) -> Iterator[Hit]:
    selected = _annotations(target)
    if selected is None:
        return
    present = _entries(selected)
    excused = [key for key in target.params.get("unless") or () if key in present]
    if excused:
        return
    unless = target.params.get("unless") or ()
    for name, (key, value) in present.items():
        if any(fnmatchcase(name, pattern) for pattern in _keys(target.params)):
            text = value.value if isinstance(value, Scalar) else ""
            detail = f"{selected.dotted} must not set {name}"
            if unless:
                detail += f" without {' or '.join(unless)}"
            yield Hit(key.span, target.message(detail, key=name, value=text, path=selected.dotted),
                      hint=f"remove {name}" + (f", or add {unless[0]}" if unless else ""))


def annotation_matches(target: Target) -> Iterator[Hit]:
    selected = _annotations(target)
    if selected is None:
        return
    present = _entries(selected)
    pattern = target.params.get("pattern")
    allowed = target.params.get("values")
    wanted = " or ".join(filter(None, (
        f"one of {', '.join(allowed)}" if allowed else None,
        f"a match of /{pattern}/" if pattern is not None else None,
    )))
    for key in _keys(target.params):
        entry = present.get(key)
        if entry is None:
            if target.params.get("required"):
                yield Hit(selected.span, target.message(f"{target.subject()} has no {key}: it must be {wanted}",
                                                        key=key, path=selected.dotted))
            continue
        value = entry[1]
        if not isinstance(value, Scalar):
            yield Hit(value.span, target.message(f"{key} is not a string: it must be {wanted}", key=key,
                                                 path=selected.dotted))
            continue
        ok = (allowed is None or value.value in allowed) and (
            pattern is None or re.fullmatch(str(pattern), value.value) is not None)
        if not ok:
            yield Hit(value.span, target.message(f"{key} is {value.value!r}: it must be {wanted}", key=key,
                                                 value=value.value, path=selected.dotted))


def _format_seconds(nanoseconds: int) -> str:
    seconds = nanoseconds / 1e9
    return f"{seconds:g}s"


def max_duration(target: Target) -> Iterator[Hit]:
    selected = _annotations(target)
    if selected is None:
        return
    present = _entries(selected)
    limit_text = str(target.params["max"])
    limit = parse_duration(limit_text).nanoseconds or 0
    for key in _keys(target.params, TIMEOUT_KEYS):
        entry = present.get(key)
        if entry is None or not isinstance(entry[1], Scalar):
            continue
        value = entry[1]
        parsed = parse_duration(value.value).nanoseconds
        if parsed is None:
            continue  # not a duration at all: VM105 says so
        if parsed < 0:
            detail = f"{key} is {value.value}: a negative timeout means Velero waits for ever (at most {limit_text})"
        elif parsed > limit:
            detail = f"{key} is {value.value} ({_format_seconds(parsed)}), longer than the allowed {limit_text}"
        else:
            continue
        yield Hit(value.span, target.message(detail, key=key, value=value.value, path=selected.dotted),
                  hint=f"set {key} to at most {limit_text}")


def require_freeze(target: Target) -> Iterator[Hit]:
    """Freezing is not disabled, and the guest agent that virt-freezer needs is there (VM902)."""
    workload = target.workload
    if workload is None:
        return
    from lint.checks.agent import evidence, freeze_source
    from lint.checks.commands import hook_commands, pre_hook
    from lint.kubevirt.injection import SKIP_HOOKS_KEY, hook_state

    ctx = target.ctx
    state = hook_state(workload, ctx.settings)
    own = [hook for hook in hook_commands(workload, ctx) if hook.pod_bound]
    subject = target.subject()
    if state.skip.skips and pre_hook(workload, ctx) is None:  # an empty command is no hook
        span = state.skip.value.span if state.skip.value else state.skip.key.span  # type: ignore[union-attr]
        yield Hit(span, target.message(
            f"{SKIP_HOOKS_KEY} is true and no pre hook of {subject}'s own replaces KubeVirt's: freezing is "
            "disabled, so its backups are only crash-consistent", key=SKIP_HOOKS_KEY),
            hint=f"remove {SKIP_HOOKS_KEY}, or add pre and post hooks that run virt-freezer")
        return
    if not state.kubevirt.injects_hooks and not own:
        where = select(workload.obj.node, workload.spec.pod_metadata + ("annotations",))
        yield Hit(where.span, target.message(
            f"{state.kubevirt} injects no freeze hooks (from 0.45 it does) and {subject} has no hooks of its own: "
            "nothing freezes the guest"),
            hint="add pre and post hooks running virt-freezer --freeze / --unfreeze, or upgrade KubeVirt")
        return
    if not target.params.get("agent", True) or freeze_source(workload, ctx) is None:
        return
    found = evidence(workload, ctx)
    if found.verdict == "present":
        return
    reason = found.reasons[0] if found.reasons else None
    span = reason.span if reason else (workload.name.span if workload.name else workload.obj.node.span)
    because = f": {reason.text}" if reason else ""
    what = "has no guest agent" if found.verdict == "absent" else "may have no guest agent"
    yield Hit(span, target.message(
        f"{subject} {what}{because}; the policy requires evidence of qemu-guest-agent, without which the freeze "
        "does nothing"),
        hint=reason.hint if reason and reason.hint else "install qemu-guest-agent through cloud-init, or annotate "
        "the VM with vmlint.io/guest-agent: \"installed\"")


# JSON Schema ---------------------------------------------------------------------------------------------------


def to_data(node: Node, where: tuple[Any, ...] = (), nodes: dict | None = None) -> tuple[Any, dict]:
    """A node as plain data (with Kubernetes' scalar types) and a map from JSON paths to (key, node)."""
    nodes = {} if nodes is None else nodes
    if isinstance(node, Mapping):
        out = {}
        for key, value in node.entries():
            nodes[where + (key.value,)] = (key, value)
            out[key.value], _ = to_data(value, where + (key.value,), nodes)
        return out, nodes
    if isinstance(node, SeqNode):
        items = []
        for i, item in enumerate(node.items):
            nodes[where + (i,)] = (None, item)
            items.append(to_data(item, where + (i,), nodes)[0])
        return items, nodes
    kind = scalar_type(node)
    if kind == "null":
        return None, nodes
    if kind == "bool":
        return node.value.lower() in ("true", "yes", "on", "y"), nodes
    if kind in ("int", "float"):
        try:
            return (int(node.value.replace("_", ""), 0) if kind == "int" else float(node.value)), nodes
        except ValueError:
            return node.value, nodes
    return node.value, nodes


def _object_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "object" or "required" in schema or "properties" in schema)


def json_schema(target: Target) -> Iterator[Hit]:
    import jsonschema

    params = target.params
    selected = select(target.obj.node, _path(params["path"]))
    schema = params["schema"]
    if selected.node is None:
        if params.get("missing", "report") == "skip":
            return
        instance, nodes = ({} if _object_schema(schema) else None), {}
    else:
        instance, nodes = to_data(selected.node)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    for error in errors:
        steps = tuple(error.absolute_path)
        dotted = ".".join(str(step) for step in (*selected.path, *steps))
        span = _error_span(error, steps, nodes, selected)
        detail = f"{dotted}: {error.message}" if selected.node is not None else f"{dotted} is missing: {error.message}"
        yield Hit(span, target.message(detail, path=dotted))


def _error_span(error: Any, steps: tuple[Any, ...], nodes: dict, selected: Selected) -> Span:
    if selected.node is None:
        return selected.anchor
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        declared = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        patterns = error.schema.get("patternProperties", {}) if isinstance(error.schema, dict) else {}
        for name in error.instance:
            if name not in declared and not any(re.search(p, name) for p in patterns) and steps + (name,) in nodes:
                return nodes[steps + (name,)][0].span
    if not steps:
        return selected.span if error.validator in ("required", "minProperties", "dependentRequired") \
            else (selected.node.span if isinstance(selected.node, Scalar) else selected.span)
    key, node = nodes.get(steps, (None, None))
    if node is None:
        return selected.span
    if error.validator in ("required", "minProperties", "dependentRequired", "minItems") and key is not None:
        return key.span  # a missing member: the mapping's key
    if isinstance(node, Scalar) or key is None:
        return node.span
    return key.span


PARAMETERISED: dict[str, Callable[[Target], Iterator[Hit]]] = {
    "required-annotation": required_annotation,
    "forbidden-annotation": forbidden_annotation,
    "annotation-matches": annotation_matches,
    "max-duration": max_duration,
    "require-freeze": require_freeze,
    "json-schema": json_schema,
}
_WORKLOADS_ONLY = {"require-freeze"}
_ANNOTATION_CHECKS = {"required-annotation", "forbidden-annotation", "annotation-matches", "max-duration"}


def policy_interest(params: dict[str, Any]) -> Interest:
    """The documents a policy can select (lint.text.interest): workloads for the checks that only look at them,
    the named kinds (each document of a kind names it), or, for a path on any kind, every document."""
    match = params.get("match") or {}
    if params["check"] in _WORKLOADS_ONLY or (
            params["check"] in _ANNOTATION_CHECKS and "path" not in params and "kinds" not in match):
        return WORKLOAD_INTEREST
    if match.get("kinds"):
        return any_of(*match["kinds"])
    return EVERYTHING


def policy_check(loaded: Any, ctx: Any) -> Iterator[Hit]:
    """The file-scope check every custom rule (and VM902) runs: each object the rule's `match` selects."""
    params = ctx.params
    function = PARAMETERISED[params["check"]]
    match = params.get("match") or {}
    workloads = {id(workload.obj): workload for workload in loaded.workloads}
    for obj in loaded.objects:
        workload = workloads.get(id(obj))
        if workload is None and (params["check"] in _WORKLOADS_ONLY or (
                params["check"] in _ANNOTATION_CHECKS and "path" not in params and "kinds" not in match)):
            continue
        if not matches(obj, match, ctx.settings.namespace):
            continue
        yield from function(Target(obj, workload, params, ctx.settings, ctx))


assert tuple(PARAMETERISED) == PARAMETERISED_CHECKS, "lint.core.rulefiles names every parameterised check"
