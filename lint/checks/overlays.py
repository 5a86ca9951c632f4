"""Kustomize overlays that move a base's VM to another namespace under a hard-coded hook (VM205).

Each overlay's `namespace:` is set on every object of its bases (kustomize's namespace transformer), but an
annotation value is text: a virt-freezer `--namespace` written in the base stays as written. In every overlay
whose namespace differs, virt-freezer looks for a domain that does not exist and the freeze fails. The facts
come from the run index (lint.kube.kustomize, filled in the engine's pre-pass); this check parses nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from lint.checks import CheckContext
from lint.checks.commands import hook_commands
from lint.checks.identity import _value_span
from lint.core.findings import Hit
from lint.golang.pflag import last_use
from lint.kube.objects import Workload
from lint.kubevirt.placeholders import find_placeholder
from lint.velero.command import freezer_calls


def overlay_namespace_mismatch(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """Once per overlay whose namespace differs from the `--namespace` hard-coded in the base's hook."""
    if ctx.index is None or workload.spec.vmi_names == "instances":
        return
    kustomize = ctx.index.kustomize
    overlays = list(kustomize.overlays(kustomize.key_of(ctx.file.path, workload.obj)))
    if not overlays:
        return
    for hook in hook_commands(workload, ctx):
        if not hook.pod_bound:
            continue
        for call in freezer_calls(hook.value.value, hook.parsed):
            use = last_use(call.args, "namespace")
            if use is None or not use.value or use.value.startswith("-") or find_placeholder(use.value):
                continue
            if call.in_shell and any(ch in use.value for ch in "$`{}<>[]"):
                continue  # computed by the shell at run time
            for overlay, namespace in overlays:
                if namespace == use.value:
                    continue
                yield Hit(
                    _value_span(ctx, hook.value, call, use.value_index, use.value_offset, len(use.value)),
                    f"virt-freezer --namespace {use.value!r} is hard-coded in this base, but the overlay "
                    f"{overlay.display} sets namespace: {namespace}: there the VMI lives in {namespace!r}, so "
                    f"virt-freezer looks for a domain that does not exist and the freeze fails{hook.note}",
                    hint=f"patch the hook in {overlay.display} with --namespace {namespace}, or drop the hooks "
                         "from the base and let KubeVirt inject them with each VMI's own namespace",
                )
