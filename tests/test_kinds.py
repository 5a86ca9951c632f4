"""Every launcher-bound kind: the hook rules find the same problems at each kind's own pod-bound path, honour
the skip annotation at each kind's own skip path, and report hooks on each kind's lookalike places."""

from __future__ import annotations

import pytest
from helpers import lint_text

HOOKS = [
    "pre.hook.backup.velero.io/command: '[\"/usr/bin/virt-freezer\", \"--freeze\", \"-name\", \"x\", \"--namespace\", \"prod\"]'",
    "pre.hook.backup.velero.io/on-error: fail",
    "post.hook.backup.velero.io/timeout: \"30\"",
    "post.hook.backup.velero.io/command: '[\"/usr/bin/virt-freezer\", \"--unfreeze\"'",
    "hook.backup.velero.io/command: ' [\"/scripts/legacy.sh\"]'",
    "post.hook.restore.velero.io/command: '[\"/bin/true\"]'",
    "kubevirt.io/skip-backup-hooks: \"yes\"",
]
EXPECTED = {"VM102", "VM103", "VM105", "VM106", "VM110", "VM111", "VM112", "VM113", "VM302"}


def _nest(path: list[str], lines: list[str], indent: int = 0) -> str:
    if not path:
        return "".join(" " * indent + line + "\n" for line in lines)
    return " " * indent + path[0] + ":\n" + _nest(path[1:], lines, indent + 2)


KINDS = [
    ("kubevirt.io/v1", "VirtualMachine", ["spec", "template", "metadata", "annotations"], ["metadata", "annotations"]),
    ("kubevirt.io/v1", "VirtualMachineInstance", ["metadata", "annotations"], None),
    ("kubevirt.io/v1", "VirtualMachineInstanceReplicaSet", ["spec", "template", "metadata", "annotations"], None),
    ("pool.kubevirt.io/v1beta1", "VirtualMachinePool",
     ["spec", "virtualMachineTemplate", "spec", "template", "metadata", "annotations"],
     ["spec", "virtualMachineTemplate", "metadata", "annotations"]),
    ("harvesterhci.io/v1beta1", "VirtualMachineTemplateVersion",
     ["spec", "vm", "spec", "template", "metadata", "annotations"], ["spec", "vm", "metadata", "annotations"]),
]


def manifest(api: str, kind: str, pod: list[str], extra: str = "") -> str:
    head = f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: web\n  namespace: prod\n"
    if pod[0] == "metadata":  # a VMI: its own metadata is the pod-bound place
        return head + "  annotations:\n" + "".join(f"    {line}\n" for line in HOOKS) + extra
    return head + extra + _nest(pod, HOOKS)


@pytest.mark.parametrize(("api", "kind", "pod", "skip"), KINDS, ids=[k[1] for k in KINDS])
def test_the_hook_rules_at_every_kind(api: str, kind: str, pod: list[str], skip: list[str] | None) -> None:
    codes = {f.code for f in lint_text(manifest(api, kind, pod))}
    expected = set(EXPECTED)
    if skip is None:  # the VMI and the replica set read the skip annotation where the hooks are: not misplaced
        expected.discard("VM302")
    assert expected <= codes, (kind, sorted(codes))  # VM110: `-name` is an unknown shorthand, virt-freezer exits 2


@pytest.mark.parametrize(("api", "kind", "pod", "skip"), [k for k in KINDS if k[3]], ids=[k[1] for k in KINDS if k[3]])
def test_hooks_on_each_kinds_lookalike_place_never_reach_the_pod(api: str, kind: str, pod: list[str], skip: list[str]) -> None:
    text = f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: web\n" + (
        _nest(skip, ["pre.hook.backup.velero.io/on-error: Continue"]) if skip[0] != "metadata"
        else "  annotations:\n    pre.hook.backup.velero.io/on-error: Continue\n"
    )
    assert [f.code for f in lint_text(text, select=("VM004",))] == ["VM004"]


@pytest.mark.parametrize(("api", "kind", "pod", "skip"), KINDS, ids=[k[1] for k in KINDS])
def test_generated_names_only_where_vmis_are_generated(api: str, kind: str, pod: list[str], skip: list[str] | None) -> None:
    line = "pre.hook.backup.velero.io/command: '[\"/usr/bin/virt-freezer\", \"--freeze\", \"--name\", \"other\", \"--namespace\", \"prod\"]'"
    HOOKS_SAVED = list(HOOKS)
    HOOKS[:] = [line]
    try:
        codes = {f.code for f in lint_text(manifest(api, kind, pod), select=("VM202", "VM204"))}
    finally:
        HOOKS[:] = HOOKS_SAVED
    generated = kind in ("VirtualMachineInstanceReplicaSet", "VirtualMachinePool", "VirtualMachineTemplateVersion")
    assert codes == ({"VM204"} if generated else {"VM202"})
