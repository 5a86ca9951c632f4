"""Checks on hook annotation keys and where they stand (VM003, VM004, VM101)."""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Iterator

from lint.checks import CheckContext
from lint.checks.commands import BACKUP_PRE_PREFIX, command_set
from lint.core.findings import Hit
from lint.core.fixes import Edit, Fix, fix_of
from lint.kube.objects import AnnotationMap, Workload
from lint.kubevirt.injection import SKIP_HOOKS_KEY, hook_state
from lint.text.nodes import Mapping, Node, Scalar, Sequence
from lint.text.scalars import node_type
from lint.velero.hooks import (
    DEFINED_BUT_UNUSED,
    RESTORE_INIT_PREFIX,
    RESTORE_POST_PREFIX,
    VALID_KEYS,
    is_hook_like_key,
    suggest_key,
)

_TYPE_WORDS = {
    "bool": "a YAML boolean",
    "int": "a YAML number",
    "float": "a YAML number",
    "list": "a YAML list",
    "map": "a YAML mapping",
}


def _real_annotation_maps(workload: Workload) -> Iterator[AnnotationMap]:
    """Annotation maps that the API server decodes as map[string]string (not misplaced lookalikes)."""
    seen = set()
    for amap in (workload.pod_annotations, workload.own_annotations):
        if amap is not None and id(amap.mapping) not in seen:
            seen.add(id(amap.mapping))
            yield amap


def annotation_not_string(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """Annotation values are strings; a number, boolean, list or null is not what the author wrote."""
    for amap in _real_annotation_maps(workload):
        for key, value in amap.mapping.entries():
            if not (is_hook_like_key(key.value) or key.value == SKIP_HOOKS_KEY):
                continue
            kind = node_type(value)
            if kind == "str":
                continue
            if kind == "null":
                yield Hit(
                    value.span if value.span.end > value.span.start else key.span,
                    f"{key.value} is YAML null, not a string: annotation values must be strings, and at best "
                    "the value ends up empty, which Velero treats as unset",
                    hint=f'write the value in quotes, for example {key.value}: "…"',
                )
                continue
            fix = None
            if kind in ("int", "float", "bool") and isinstance(value, Scalar) and value.is_plain:
                fix = fix_of(f"quote {value.value}", Edit(value.span.start, value.span.end, f'"{value.value}"'))
            yield Hit(
                value.span,
                f"{key.value} is {_TYPE_WORDS[kind]}, not a string: annotation values must be strings, so the "
                "API server rejects the whole object",
                hint=f"quote it: {key.value}: {_quoted(value, ctx)}",
                fix=fix,
            )


def _quoted(value: object, ctx: CheckContext) -> str:
    """The value as the string the author most likely meant, in YAML single quotes."""
    if isinstance(value, Sequence) and all(isinstance(item, Scalar) for item in value.items):
        text = json.dumps([item.value for item in value.items])  # type: ignore[union-attr]
    elif isinstance(value, Scalar):
        text = value.value
    else:
        source = ctx.file.source
        text = source.text[value.span.start : value.span.end].strip() if source else ""  # type: ignore[attr-defined]
    return "'" + text.replace("'", "''") + "'"


def hook_not_on_pod(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """Velero reads hooks from pods only; KubeVirt copies only the pod-bound metadata to the launcher pod."""
    target = ".".join(workload.spec.pod_metadata + ("annotations",))
    for amap in workload.misplaced:
        for key, _ in amap.mapping.entries():
            if not is_hook_like_key(key.value):
                continue
            if not workload.spec.kubevirt:
                pod = f"the {workload.kind}'s pods"
                if amap.path == "spec.jobTemplate.metadata.annotations":
                    why = "these are the Job's annotations, which the Job controller does not copy to its pods"
                else:
                    why = (f"these are the {workload.kind}'s own annotations; only the pod template's are copied "
                           "to the pods")
            elif amap.path.endswith("metadata.annotations"):
                pod = "the virt-launcher pod"
                why = f"these are the {workload.kind}'s own annotations, which KubeVirt does not copy to the pod"
            else:
                pod = "the virt-launcher pod"
                why = f"{amap.path.rsplit('.', 1)[0]} has no `annotations` field (it belongs under `metadata`)"
            yield Hit(
                key.span,
                f"{key.value} on {amap.path} never reaches {pod}: Velero reads hooks from pods only, and {why}",
                hint=f"move it to {target}",
                fix=_move(ctx, amap, workload.pod_annotations, key),
            )
    # Issue #15 item 1: any other place a hook-like key can be written (the top level, labels, a spec, a
    # dataVolumeTemplate's metadata, ...) never reaches the pod either: one walk, not a list of places.
    if workload.obj.node is workload.obj.document.root:
        lost = _lost_indentation(workload, target)
        if lost is not None:
            yield lost
    for path, mapping, key in _stray_hook_keys(workload, _hook_key_places(workload, ctx)):
        where = f"at the top level of the {workload.kind}" if not path else f"under {path}"
        yield Hit(
            key.span,
            f"{key.value} {where} never reaches {_pod_of(workload)}: Velero reads hooks from the pod's annotations "
            f"only, and {_where_not(path, workload)}",
            hint=f"move it to {target}",
            fix=_move(ctx, AnnotationMap(path, mapping), workload.pod_annotations, key),
        )


# Fields of an object's `metadata`, of a workload's `spec`, and of the pod (or VMI) spec: a flattened manifest
# (a copy from a web page that drops leading spaces) puts them at the top level of the document.
# (`labels` and `annotations` are left out: a VM has them at two levels, so where they belong is not known.)
_METADATA_FIELDS = frozenset({"name", "namespace", "generateName", "ownerReferences", "finalizers"})
_SPEC_FIELDS = frozenset({"runStrategy", "running", "template", "dataVolumeTemplates", "instancetype", "preference",
                          "replicas", "selector", "serviceName", "schedule", "jobTemplate", "virtualMachineTemplate",
                          "vm"})
_POD_SPEC_FIELDS = frozenset({"domain", "volumes", "networks", "evictionStrategy", "terminationGracePeriodSeconds",
                              "accessCredentials", "nodeSelector", "affinity", "tolerations", "containers",
                              "initContainers", "restartPolicy", "serviceAccountName"})
_SKIPPED = frozenset({"managedFields"})  # server-side apply bookkeeping names annotation keys as `f:<key>`


def _hook_key_places(workload: Workload, ctx: CheckContext) -> list[int] | None:
    """Where a hook-like key can stand in the object, from its text before walking its nodes: the offsets of
    every "velero.io" in any case (a hook-like key's prefix ends with it) and of every backslash (an escape in a
    double-quoted key may spell one), or None for anywhere when an alias (a `*`) may bring in a node written
    outside the object. Most objects hold none, and the walk of every node was a twentieth of a run; the others
    hold their hooks in the pod's annotations (and Harvester's JSON annotations their backslashes), and the walk
    goes down only the branches that hold a place."""
    source = ctx.file.source
    if source is None:
        return None
    span = workload.obj.node.span
    text = source.text[span.start : span.end]
    if "*" in text:
        return None
    lowered = text.lower()
    if len(lowered) != len(text):  # a character that lower-cases to several: offsets differ, so the pattern
        return [span.start + found.start() for found in _PLACE.finditer(text)]
    places = [*_offsets(lowered, "velero.io"), *_offsets(text, "\\")]
    return sorted(span.start + place for place in places)


_PLACE = re.compile(r"velero\.io|\\", re.IGNORECASE)  # matches whatever str.lower() makes "velero.io", and more


def _offsets(text: str, word: str) -> Iterator[int]:
    at = text.find(word)
    while at >= 0:
        yield at
        at = text.find(word, at + 1)


def _stray_hook_keys(workload: Workload, places: list[int] | None) -> Iterator[tuple[str, Mapping, Scalar]]:
    """Hook-like keys anywhere in the object outside its annotation maps (the pod-bound one and the misplaced
    lookalikes VM004 already judges), each with the dotted path of the mapping that holds it ("" for the top).
    With `places` (offsets where such a key may start), a value or item whose text holds none is not entered:
    a node's text holds its descendants' (no aliases: _hook_key_places)."""
    if places == []:
        return
    known = {id(amap.mapping) for amap in workload.annotation_maps()}
    seen: set[int] = set()
    stack: list[tuple[str, Node]] = [("", workload.obj.node)]

    def holds_place(node: Node) -> bool:
        if places is None or isinstance(node, Scalar):
            return places is None
        at = bisect_left(places, node.span.start)
        return at < len(places) and places[at] < node.span.end

    while stack:
        path, node = stack.pop()
        if id(node) in seen or id(node) in known:
            continue
        seen.add(id(node))
        if isinstance(node, Mapping):
            children = []
            for key, value in node.entries():
                if is_hook_like_key(key.value):
                    yield path, node, key
                elif key.value not in _SKIPPED and holds_place(value):
                    children.append((f"{path}.{key.value}" if path else key.value, value))
            stack.extend(reversed(children))
        elif isinstance(node, Sequence):
            stack.extend(reversed([(f"{path}[{index}]", item) for index, item in enumerate(node.items)
                                   if holds_place(item)]))


def _where_not(path: str, workload: Workload) -> str:
    """Why a hook-like key under `path` does not reach the pod."""
    if not path:
        return "Kubernetes has no such field at the top level of an object (it holds apiVersion, kind, metadata and spec)"
    last = path.rsplit(".", 1)[-1]
    if last == "labels":
        return f"{path} are labels, and Velero reads hooks from annotations only"
    if last == "annotations":
        return f"{path} are the annotations of another object (they never reach the pod)"
    return f"{path} is not an annotations map: Kubernetes has no such field there"


def _pod_spec_path(workload: Workload) -> str:
    return ".".join(workload.spec.pod_metadata[:-1] + ("spec",))


def _lost_indentation(workload: Workload, target: str) -> Hit | None:
    """A flattened manifest: fields of metadata and spec at the top level together with hook keys there."""
    root = workload.obj.node
    hooks = [key for key, _ in root.entries() if is_hook_like_key(key.value)]
    if not hooks:
        return None
    groups: dict[str, list[Scalar]] = {}
    for key, _ in root.entries():
        if key.value in _METADATA_FIELDS:
            groups.setdefault("metadata", []).append(key)
        elif key.value in _SPEC_FIELDS:
            groups.setdefault("spec", []).append(key)
        elif key.value in _POD_SPEC_FIELDS:
            groups.setdefault(_pod_spec_path(workload), []).append(key)
    if not groups:
        return None
    first = min((key for keys in groups.values() for key in keys), key=lambda key: key.span.start)
    parts = [f"{_and([key.value for key in keys])} instead of under {where}" for where, keys in groups.items()]
    count = f"{len(hooks)} Velero hook key" + ("s" if len(hooks) != 1 else "")
    parts[0] = parts[0].replace(" instead of", " stand at the top level instead of", 1)
    empty = [name for name in ("metadata", "spec") if _is_empty(root.get(name))]
    seen = f"Kubernetes sees an empty {_and(empty)}, and" if empty else "Kubernetes keeps none of them there, and"
    return Hit(
        first.span,
        "the indentation of this manifest was lost, as when it is copied from a web page that drops leading "
        f"spaces: {', '.join(parts)}, and {count} instead of under {target}. {seen} no hook reaches "
        f"{_pod_of(workload)}",
        hint="restore the indentation (copy the manifest from the page's source or a raw file)",
    )


def _is_empty(node: Node | None) -> bool:
    if isinstance(node, Mapping):
        return not node.pairs
    return node is None or node_type(node) == "null"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _pod_of(workload: Workload) -> str:
    return "the virt-launcher pod" if workload.spec.kubevirt else f"the {workload.kind}'s pods"


def unknown_hook_key(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """Velero looks annotation keys up as exact strings; any other key under a hook prefix is ignored."""
    for amap in workload.annotation_maps():
        for key, _ in amap.mapping.entries():
            name = key.value
            if not is_hook_like_key(name) or name in VALID_KEYS:
                continue
            if name in DEFINED_BUT_UNUSED:
                yield Hit(
                    key.span,
                    f"{name} is defined in Velero's source but never read: the setting has no effect",
                    hint="remove it; init restore hooks have no timeout annotation",
                )
                continue
            suggestion = suggest_key(name)
            yield Hit(
                key.span,
                f"Velero does not read {name}: the key is silently ignored",
                hint=f"did you mean {suggestion}?" if suggestion else "see `vmlint explain VM101` for the keys Velero reads",
            )



def restore_hook_on_launcher(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """The KubeVirt Velero plugin never restores launcher pods, and Velero runs restore hooks only on pods it
    creates (kubevirt-velero-plugin pkg/plugin/pod_restore_item_action.go: WithoutRestore)."""
    if workload.pod_annotations is None:
        return
    for key, _ in workload.pod_annotations.mapping.entries():
        if key.value.startswith((RESTORE_POST_PREFIX + "/", RESTORE_INIT_PREFIX + "/")):
            yield Hit(
                key.span,
                f"{key.value} never runs: the KubeVirt Velero plugin skips virt-launcher pods on restore (KubeVirt "
                "creates a new one), and Velero runs restore hooks only on pods it creates",
                hint="run restore-time work in the guest (cloud-init, a systemd unit) or on a pod Velero restores",
            )


def legacy_hook_keys(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """Bare `hook.backup.velero.io/*` keys are a pre hook only when `pre.hook.backup.velero.io/command` is
    missing or empty (an empty value reads like a missing key), and KubeVirt writes one onto every launcher pod
    unless skipped."""
    if workload.pod_annotations is None:
        return
    state = hook_state(workload, ctx.settings)
    own_pre = command_set(workload, BACKUP_PRE_PREFIX)
    for key, _ in workload.pod_annotations.mapping.entries():
        if not key.value.startswith("hook.backup.velero.io/"):
            continue
        if state.injected:
            why = f"{state.kubevirt} writes pre.hook.backup.velero.io/command onto every launcher pod"
        elif own_pre:
            why = "this pod also has pre.hook.backup.velero.io/command"
        else:
            continue  # live: the legacy keys are the pre hook here
        yield Hit(
            key.span,
            f"{key.value} is ignored: Velero reads the bare hook.backup.velero.io/ keys only when "
            f"pre.hook.backup.velero.io/command is missing or empty, and {why}",
            hint=f"use {key.value.replace('hook.backup.velero.io/', 'pre.hook.backup.velero.io/', 1)}",
        )


def _move(ctx: CheckContext, source_map: AnnotationMap, target: AnnotationMap | None, key: Scalar) -> Fix | None:
    """Cut the entry's line and append it to the pod-bound annotations (unsafe: the hook becomes live).

    Only one-line entries of block mappings move, and only into pod-bound annotations that already exist as a
    block mapping; the entry keeps its text and takes the target's indentation and the file's line ending.
    """
    source = ctx.file.source
    if source is None or target is None or source_map.mapping.flow or target.mapping.flow or not target.mapping.pairs:
        return None
    entry = source_map.mapping.entry(key.value)
    if entry is None or entry[1].span.end_line != key.span.line and not (
        entry[1].span.end_line == key.span.line + 1 and entry[1].span.end_column == 1
    ):
        return None
    line = source.line_text(key.span.line)
    if line[: key.span.column - 1].strip():
        return None  # not alone on its line
    start = source.line_start(key.span.line)
    end = source.line_start(key.span.line + 1) if key.span.line < source.line_count else len(source.text)
    newline = source.text[start + len(line) : end] or "\n"
    last_key, last_value = target.mapping.pairs[-1]
    target_line = source.line_text(last_key.span.line)
    indent = target_line[: last_key.span.column - 1]
    if indent.strip() or last_value.span.end_line > last_key.span.line + (1 if last_value.span.end_column == 1 else 0):
        return None
    after = source.line_start(last_key.span.line) + len(target_line)
    after_end = after + len(source.text[after : after + 2]) if source.text[after : after + 1] in ("\r", "\n") else after
    if source.text[after : after + 2] == "\r\n":
        after_end = after + 2
    elif source.text[after : after + 1] in ("\r", "\n"):
        after_end = after + 1
    moved = indent + line[key.span.column - 1 :].rstrip("\r\n")
    insertion = Edit(after_end, after_end, moved + newline) if after_end > after else Edit(after, after, newline + moved)
    return fix_of(f"move {key.value} to {target.path}", Edit(start, end, ""), insertion, safety="unsafe")
