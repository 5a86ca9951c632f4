"""Checks on the VM identity that hooks name: placeholders and virt-freezer's --name/--namespace (VM2xx).

virt-freezer talks to the launcher of the VMI named by `--namespace`/`--name` (the domain is
`<namespace>_<name>`, pkg/virt-launcher/virtwrap/storage/fsfreeze.go FreezeVMI); any other value makes the
freeze fail. A VM's VMI carries the VM's `metadata.name` and `metadata.namespace`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lint.checks import CheckContext
from lint.checks.commands import hook_commands, span_in_value
from lint.core.findings import Hit
from lint.core.fixes import fix_of, replace_in_value
from lint.golang.pflag import last_use
from lint.kube.objects import Workload
from lint.kubevirt.injection import hook_state
from lint.kubevirt.placeholders import find_placeholder, meaning
from lint.text.nodes import Mapping, Scalar, Sequence
from lint.velero.command import FreezerCall, arguments, freezer_calls, shell_script_index
from lint.velero.hooks import is_hook_like_key, parse_command

# The placeholders whose meaning is certain enough to fill in: `<VM Name>`, `[VM Namespace]` and the like.
_NAME_PLACEHOLDER = re.compile(r"[<\[](?:vm|VM)?[ _-]?(?:name|Name|NAME|namespace|Namespace|NAMESPACE)[>\]]")


def unreplaced_placeholder(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """A placeholder reaches virt-freezer (or the API server) literally."""
    # a Kubernetes workload's pods are not named after it: only its namespace is theirs
    identity = {"name": workload.name if workload.spec.kubevirt else None, "namespace": workload.namespace}
    for field_name, node in (("name", workload.obj.metadata and workload.obj.metadata.get("name")),
                             ("namespace", workload.obj.metadata and workload.obj.metadata.get("namespace"))):
        if isinstance(node, (Scalar, Mapping, Sequence)):
            source = ctx.file.source
            text = node.value if isinstance(node, Scalar) else (
                source.text[node.span.start : node.span.end] if source else ""
            )
            match = find_placeholder(text)
            if match:
                span = span_in_value(ctx, node, match.start(), match.end()) if isinstance(node, Scalar) else node.span
                yield Hit(
                    span,
                    f"metadata.{field_name} is the placeholder {match.group()!r}: replace it with the "
                    f"{workload.kind}'s real {field_name} (as written, the object is not valid)",
                )
    for amap in workload.annotation_maps():
        for key, value in amap.mapping.entries():
            if not is_hook_like_key(key.value) or not isinstance(value, Scalar):
                continue
            yield from _placeholders_in_value(
                workload, ctx, key.value, value, identity, amap is workload.pod_annotations
            )


def _placeholders_in_value(
    workload: Workload,
    ctx: CheckContext,
    key: str,
    value: Scalar,
    identity: dict[str, Scalar | None],
    amap_is_pod_bound: bool,
) -> Iterator[Hit]:
    parsed = parse_command(value.value)
    note = hook_state(workload, ctx.settings).overwritten_note(key) if amap_is_pod_bound else ""
    script = shell_script_index(parsed.argv) if parsed.form == "json" else None
    for argument in arguments(value.value, parsed):
        searched = 0
        while True:
            match = find_placeholder(argument.text[searched:], in_shell_script=argument.index == script)
            if not match:
                break
            text = match.group()
            start, end = searched + match.start(), searched + match.end()
            searched = end
            offset = argument.start + start if argument.end - argument.start == len(argument.text) else argument.start
            what = meaning(text)
            real = identity.get(what) if what else None
            hint, fix = None, None
            if real is not None and find_placeholder(real.value) is None:
                hint = f"replace {text} with the {workload.kind}'s {what}: {real.value}"
                if ctx.file.source is not None and _NAME_PLACEHOLDER.fullmatch(text):
                    edit = replace_in_value(ctx.file.source, value, offset, offset + (end - start), real.value)
                    fix = fix_of(f"replace {text} with {real.value}", edit)
            yield Hit(
                span_in_value(ctx, value, offset, offset + (end - start)),
                f"{key} still contains the placeholder {text!r}: it is passed literally, so the hook fails{note}",
                hint=hint,
                fix=fix,
            )


def _freezer_flag_hits(
    workload: Workload, ctx: CheckContext, flag: str, expected: str, source_of_expected: str
) -> Iterator[Hit]:
    for hook in hook_commands(workload, ctx):
        for call in freezer_calls(hook.value.value, hook.parsed):
            use = last_use(call.args, flag)
            if use is None:
                continue
            given = use.value
            if given == expected or not given or find_placeholder(given):
                continue
            if call.in_shell and any(ch in given for ch in "$`{}<>[]"):
                continue  # computed by the shell at run time, or a placeholder the shell split into words
            fix = None
            start, end = call.positions[use.value_index]
            if ctx.file.source is not None and not call.in_shell and end - start == len(use.value) + use.value_offset:
                edit = replace_in_value(ctx.file.source, hook.value, start + use.value_offset, end, expected)
                fix = fix_of(f"set --{flag} to {expected}", edit, safety="unsafe")
            yield Hit(
                _value_span(ctx, hook.value, call, use.value_index, use.value_offset, len(given)),
                f"virt-freezer --{flag} is {given!r} but the VMI's {flag} is {expected!r} ({source_of_expected}): "
                f"virt-freezer looks for a domain that does not exist and the freeze fails{hook.note}",
                hint=f"use --{flag} {expected}",
                fix=fix,
            )


def _value_span(ctx: CheckContext, value: Scalar, call: FreezerCall, index: int, offset: int, length: int):  # type: ignore[no-untyped-def]
    start, end = call.positions[index]
    if end - start >= offset + length:
        return span_in_value(ctx, value, start + offset, start + offset + length)
    return span_in_value(ctx, value, start, end)


def freezer_name_mismatch(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    name = workload.name
    if workload.spec.vmi_names != "own" or name is None or find_placeholder(name.value):
        return  # generated names are VM204's
    yield from _freezer_flag_hits(workload, ctx, "name", name.value, workload.name_source)


def freezer_namespace_mismatch(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    if workload.spec.vmi_names == "instances":
        return  # a template's VMs are created in whatever namespace their creator picks
    namespace = workload.namespace
    applied = kustomization_namespace(workload, ctx)
    if applied is not None:  # kustomize's namespace transformer overrides metadata.namespace
        expected, origin = applied
    elif namespace is not None:
        if find_placeholder(namespace.value):
            return
        expected, origin = namespace.value, f"the {workload.kind}'s metadata.namespace"
    elif ctx.settings.namespace:
        expected, origin = ctx.settings.namespace, "--namespace on the command line"
    else:
        return
    yield from _freezer_flag_hits(workload, ctx, "namespace", expected, origin)


def kustomization_namespace(workload: Workload, ctx: CheckContext) -> tuple[str, str] | None:
    """The `namespace:` of the kustomization that lists this object's file, and how a message names it."""
    if ctx.index is None:
        return None
    kustomize = ctx.index.kustomize
    found = kustomize.direct_namespace(kustomize.key_of(ctx.file.path, workload.obj))
    if found is None:
        return None
    namespace, kustomization = found
    return namespace, f"the namespace: of {kustomization.display}, which lists this file"


_GENERATED = {
    "VirtualMachineInstanceReplicaSet": "its VMIs are named by the controller (<replica set>-<random suffix>)",
    "VirtualMachinePool": "its VMs and their VMIs are named <pool>-<index> by the pool controller",
    "VirtualMachineTemplateVersion": "every VM created from the template gets its own name",
}


def generated_vmi_name(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """A static --name matches at most one of many VMIs whose names are generated."""
    if workload.spec.vmi_names == "own":
        return
    for hook in hook_commands(workload, ctx):
        for call in freezer_calls(hook.value.value, hook.parsed):
            use = last_use(call.args, "name")
            if use is None or not use.value or use.value.startswith("-") or find_placeholder(use.value):
                continue
            if call.in_shell and any(ch in use.value for ch in "$`{}<>[]"):
                continue
            yield Hit(
                _value_span(ctx, hook.value, call, use.value_index, use.value_offset, len(use.value)),
                f"virt-freezer --name {use.value!r} is static, but {_GENERATED[workload.kind]}: the freeze "
                f"cannot find the VMI{hook.note}",
                hint="leave the hooks to KubeVirt, which injects them with each VMI's own name",
            )
