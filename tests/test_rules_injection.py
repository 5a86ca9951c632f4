"""VM301-VM304 at every version boundary that matters, and the kinds whose annotations reach a launcher pod."""

from __future__ import annotations

import pytest
from helpers import lint_text, where
from test_rules_freeze import CONTAINERS, FREEZE, THAW, cmd, only, vm

PRE_TIMEOUT = "pre.hook.backup.velero.io/timeout"
SKIP_LINE = "kubevirt.io/skip-backup-hooks"


# --- VM301 hook-overridden ------------------------------------------------------------------------------------------


def test_overwritten_keys_and_the_ones_that_take_effect() -> None:
    text = vm(FREEZE, THAW, *CONTAINERS, f"{PRE_TIMEOUT}: 90s", "pre.hook.backup.velero.io/on-error: Continue",
              skip=False)
    [finding] = only(lint_text(text), "VM301")
    assert (finding.line, finding.column, str(finding.severity)) == (15, 9, "info")
    assert finding.message == (
        "KubeVirt 1.9.0 writes its own virt-freezer hooks over pre.hook.backup.velero.io/timeout (it injects 60s) "
        "on the launcher pod: your value does not take effect; pre.hook.backup.velero.io/command, "
        "post.hook.backup.velero.io/command, pre.hook.backup.velero.io/container, "
        "post.hook.backup.velero.io/container are redundant (the same as injected); of your hook annotations, "
        "pre.hook.backup.velero.io/on-error takes effect"
    )
    assert finding.hint == 'to run your own hooks instead, set kubevirt.io/skip-backup-hooks: "true" on metadata.annotations'


def test_before_1_6_4_the_pre_timeout_is_yours() -> None:
    text = vm(FREEZE, THAW, *CONTAINERS, f"{PRE_TIMEOUT}: 90s", skip=False)
    [finding] = only(lint_text(text, kubevirt="1.6.3"), "VM301")
    assert finding.message.startswith("pre.hook.backup.velero.io/command, post.hook.backup.velero.io/command, ")
    assert finding.message.endswith("are redundant: KubeVirt 1.6.3 injects the same; of your hook annotations, "
                                    "pre.hook.backup.velero.io/timeout takes effect")


def test_a_different_command_is_dead_not_redundant() -> None:
    other = cmd("pre.hook.backup.velero.io/command", "--freeze", "--name", "web", "--namespace", "prod",
                "--unfreezeTimeoutSeconds", "60")
    [finding] = only(lint_text(vm(other, skip=False)), "VM301")
    assert finding.message == (
        "KubeVirt 1.9.0 writes its own virt-freezer hooks over pre.hook.backup.velero.io/command on the launcher "
        "pod: your value does not take effect"
    )


@pytest.mark.parametrize(("kubevirt", "skip"), [("0.44.0", False), ("1.9.0", True)])
def test_nothing_is_overwritten_without_injection(kubevirt, skip) -> None:
    assert only(lint_text(vm(FREEZE, THAW, *CONTAINERS, skip=skip), kubevirt=kubevirt), "VM301") == []


# --- VM302 skip-hooks-misplaced -------------------------------------------------------------------------------------


def test_skip_on_the_vm_template_is_removed_by_the_controller() -> None:
    findings = only(lint_text(vm(FREEZE, THAW, *CONTAINERS, f'{SKIP_LINE}: "true"', skip=False)), "VM302")
    assert where(findings) == [("VM302", 15, 9)]
    assert findings[0].message == (
        "kubevirt.io/skip-backup-hooks on spec.template.metadata.annotations does not take effect: the VM "
        "controller copies it from the VM's own metadata and removes it from the VMI when the VM's metadata lacks "
        "it, so KubeVirt keeps injecting its hooks"
    )
    assert findings[0].hint == "move it to metadata.annotations"
    assert only(lint_text(vm(FREEZE, THAW, *CONTAINERS)), "VM302") == []


@pytest.mark.parametrize(("kubevirt", "ignored"), [("1.6.5", True), ("1.6.6", False), ("1.7.2", True),
                                                   ("1.7.3", False), ("1.8.0", False)])
def test_skip_before_the_release_that_added_it(kubevirt, ignored) -> None:
    findings = only(lint_text(vm(FREEZE, THAW, *CONTAINERS), kubevirt=kubevirt), "VM302")
    assert [(f.line, f.column) for f in findings] == ([(6, 17)] if ignored else [])
    if ignored:
        assert findings[0].message.startswith(f"KubeVirt {kubevirt} ignores kubevirt.io/skip-backup-hooks")


def test_pool_skip_belongs_on_the_vm_template_metadata() -> None:
    pool = (
        "apiVersion: pool.kubevirt.io/v1beta1\nkind: VirtualMachinePool\nmetadata:\n  name: pool\n"
        "  annotations:\n    kubevirt.io/skip-backup-hooks: 'true'\nspec:\n  virtualMachineTemplate:\n"
        "    spec:\n      template:\n        metadata:\n          annotations:\n"
        "            kubevirt.io/skip-backup-hooks: 'true'\n"
    )
    findings = only(lint_text(pool), "VM302")
    assert where(findings) == [("VM302", 6, 5), ("VM302", 13, 13)]
    assert findings[0].hint == "move it to spec.virtualMachineTemplate.metadata.annotations"
    fixed = pool.replace("  annotations:\n    kubevirt.io/skip-backup-hooks: 'true'\nspec:\n  virtualMachineTemplate:\n",
                         "spec:\n  virtualMachineTemplate:\n    metadata:\n      annotations:\n        kubevirt.io/skip-backup-hooks: 'true'\n")
    fixed = fixed.replace("          annotations:\n            kubevirt.io/skip-backup-hooks: 'true'\n", "          labels: {}\n")
    assert only(lint_text(fixed), "VM302") == []


# --- VM303 freeze-disabled ------------------------------------------------------------------------------------------


def test_skipping_with_nothing_in_place() -> None:
    findings = only(lint_text(vm("example.com/x: y")), "VM303")
    assert where(findings) == [("VM303", 6, 48)]
    assert findings[0].message == (
        "kubevirt.io/skip-backup-hooks is true and no pre hook replaces KubeVirt's: nothing freezes the guest, so "
        "backups of this VirtualMachine are only crash-consistent (KubeVirt 1.9.0)"
    )
    assert only(lint_text(vm(FREEZE, THAW, *CONTAINERS)), "VM303") == []
    assert only(lint_text(vm("example.com/x: y"), kubevirt="1.7.2"), "VM303") == []  # not honoured there
    custom = "pre.hook.backup.velero.io/command: '[\"/scripts/quiesce-db.sh\"]'"
    assert only(lint_text(vm(custom)), "VM303") == []


# --- VM304 pre-timeout-too-short ------------------------------------------------------------------------------------


def test_own_timeout_shorter_than_the_freeze_deadline() -> None:
    findings = only(lint_text(vm(FREEZE, THAW, *CONTAINERS, f"{PRE_TIMEOUT}: 10s")), "VM304")
    assert where(findings) == [("VM304", 15, 44)]
    assert findings[0].message == (
        "pre.hook.backup.velero.io/timeout 10s is shorter than the freeze can take at KubeVirt 1.9.0: up to 60s for "
        "the freeze call plus up to 5s to reach the guest agent, so Velero may give up while the guest is freezing "
        "(with on-error Fail the thaw hook is then skipped)"
    )
    assert findings[0].hint == "set pre.hook.backup.velero.io/timeout to at least 65s"


def test_velero_default_is_too_short_once_the_deadline_is_60s() -> None:
    findings = only(lint_text(vm(FREEZE, THAW, *CONTAINERS)), "VM304")
    assert where(findings) == [("VM304", 11, 9)]
    assert findings[0].message.startswith("Velero's default timeout of 30s is shorter")
    assert only(lint_text(vm(FREEZE, THAW, *CONTAINERS, f"{PRE_TIMEOUT}: 65s")), "VM304") == []


@pytest.mark.parametrize(("kubevirt", "timeout", "reported"),
                         [("1.5.0", "10s", True), ("1.5.0", "25s", False), ("1.6.3", "24s", True),
                          ("1.6.4", "10s", False), ("0.44.0", "10s", False)])
def test_with_injected_hooks_only_a_timeout_kubevirt_leaves_alone_is_judged(kubevirt, timeout, reported) -> None:
    text = vm(f"{PRE_TIMEOUT}: {timeout}", skip=False)
    findings = only(lint_text(text, kubevirt=kubevirt), "VM304")
    assert bool(findings) is reported
    if reported:
        assert "up to 20s for the freeze call" in findings[0].message and findings[0].hint.endswith("at least 25s")


# --- kinds ----------------------------------------------------------------------------------------------------------


BAD = "pre.hook.backup.velero.io/command: '[\"a\",]'"


@pytest.mark.parametrize(
    ("document", "line", "column"),
    [
        ("apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstanceReplicaSet\nmetadata: {name: rs}\n"
         f"spec:\n  template:\n    metadata:\n      annotations:\n        {BAD}\n", 8, 50),
        ("apiVersion: pool.kubevirt.io/v1alpha1\nkind: VirtualMachinePool\nmetadata: {name: p}\n"
         "spec:\n  virtualMachineTemplate:\n    spec:\n      template:\n        metadata:\n          annotations:\n"
         f"            {BAD}\n", 10, 54),
        ("apiVersion: harvesterhci.io/v1beta1\nkind: VirtualMachineTemplateVersion\nmetadata: {name: t}\n"
         "spec:\n  vm:\n    spec:\n      template:\n        metadata:\n          annotations:\n"
         f"            {BAD}\n", 10, 54),
    ],
)
def test_pod_bound_paths_of_every_kind(document, line, column) -> None:
    assert where(lint_text(document, select=("VM102",))) == [("VM102", line, column)]


def test_pool_hooks_on_the_vm_template_metadata_never_reach_the_pod() -> None:
    pool = (
        "apiVersion: pool.kubevirt.io/v1beta1\nkind: VirtualMachinePool\nmetadata: {name: p}\n"
        "spec:\n  virtualMachineTemplate:\n    metadata:\n      annotations:\n"
        f"        {FREEZE}\n"
    )
    findings = lint_text(pool, select=("VM004",))
    assert where(findings) == [("VM004", 8, 9)]
    assert findings[0].hint == "move it to spec.virtualMachineTemplate.spec.template.metadata.annotations"


def test_other_groups_reusing_kubevirt_kind_names_are_ignored() -> None:
    text = "apiVersion: example.com/v1\nkind: VirtualMachinePool\nmetadata:\n  annotations:\n    " + BAD + "\n"
    assert lint_text(text) == []


def test_a_negative_timeout_is_not_too_short_it_is_endless() -> None:
    text = vm(FREEZE, THAW, *CONTAINERS, f'{PRE_TIMEOUT}: "-5s"')
    codes = [f.code for f in lint_text(text) if f.code in ("VM106", "VM304")]
    assert codes == ["VM106"]
