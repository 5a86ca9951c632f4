"""VM107-VM112 and VM204: the freeze itself, virt-freezer's arguments, restore and legacy keys, generated names."""

from __future__ import annotations

import pytest
from helpers import OVERWRITTEN, lint_text, where

SKIP = '  annotations: {kubevirt.io/skip-backup-hooks: "true"}\n'
PRE = "pre.hook.backup.velero.io/command"
POST = "post.hook.backup.velero.io/command"


def vm(*lines: str, skip: bool = True) -> str:
    """A VM named web in prod whose pod annotations start at line 11; hooks skipped (live) unless skip=False."""
    return (
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: web\n  namespace: prod\n"
        + (SKIP if skip else "  labels: {}\n")
        + "spec:\n  template:\n    metadata:\n      annotations:\n"
        + "".join(f"        {line}\n" for line in lines)
    )


def cmd(key: str, *args: str, program: str = "/usr/bin/virt-freezer") -> str:
    return f"{key}: '" + '["' + program + '"' + "".join(f', "{a}"' for a in args) + "]'"


FREEZE = cmd(PRE, "--freeze", "--name", "web", "--namespace", "prod")
THAW = cmd(POST, "--unfreeze", "--name", "web", "--namespace", "prod")
CONTAINERS = ("pre.hook.backup.velero.io/container: compute", "post.hook.backup.velero.io/container: compute")


def col(line: str, text: str) -> int:
    return 9 + line.index(text)


def only(findings, code):
    return [f for f in findings if f.code == code]


# --- VM107 hook-container -------------------------------------------------------------------------------------------


def test_a_container_other_than_compute_fails_the_hook() -> None:
    findings = lint_text(vm(FREEZE, THAW, "pre.hook.backup.velero.io/container: launcher", CONTAINERS[1]))
    assert where(only(findings, "VM107")) == [("VM107", 13, 46)]
    assert only(findings, "VM107")[0].message == (
        "pre.hook.backup.velero.io/container is 'launcher': virt-freezer and the launcher's socket are in the "
        "`compute` container, so Velero fails the hook with \"no such container\" (or runs it where it cannot work)"
    )


def test_a_missing_container_is_information() -> None:
    findings = only(lint_text(vm(FREEZE, THAW)), "VM107")
    assert [(f.line, f.column, str(f.severity)) for f in findings] == [(11, 9, "info"), (12, 9, "info")]


WRONG_CONTAINER = (
    "pre.hook.backup.velero.io/container is 'launcher': virt-freezer and the launcher's socket are in the "
    "`compute` container, so Velero fails the hook with \"no such container\" (or runs it where it cannot work)"
)


def test_container_is_judged_where_kubevirt_overwrites_it_with_the_same_severity() -> None:
    """Issue #15 item 3: the value is dead today but live the day someone sets the skip annotation."""
    text = vm(FREEZE, THAW, "pre.hook.backup.velero.io/container: launcher", CONTAINERS[1], skip=False)
    findings = only(lint_text(text), "VM107")
    assert where(findings) == [("VM107", 13, 46)]
    assert str(findings[0].severity) == "error"
    assert findings[0].message == WRONG_CONTAINER + OVERWRITTEN
    before = only(lint_text(text, kubevirt="0.44.0"), "VM107")  # no injection yet: live, no note
    assert [(f.line, f.column, f.message) for f in before] == [(13, 46, WRONG_CONTAINER)]


@pytest.mark.parametrize("kubevirt", ["1.6.5", "1.7.2", "0.45.0"])
def test_an_overwritten_container_on_a_kubevirt_without_the_skip_annotation_waits_for_an_upgrade(kubevirt) -> None:
    text = vm(FREEZE, THAW, "pre.hook.backup.velero.io/container: launcher", CONTAINERS[1], skip=True)
    findings = only(lint_text(text, kubevirt=kubevirt), "VM107")
    assert where(findings) == [("VM107", 13, 46)]
    assert findings[0].message == WRONG_CONTAINER + (
        f" (overwritten by KubeVirt {kubevirt} today, which does not read kubevirt.io/skip-backup-hooks: the value "
        'becomes live only after an upgrade to 1.6.6, 1.7.3, 1.8.0 or later with kubevirt.io/skip-backup-hooks "true")'
    )


def test_an_empty_container_is_read_like_a_missing_one() -> None:
    """Issue #15 item 6: Velero's setDefaultHookContainer fills an empty container with the first container's
    name (pkg/podexec/pod_command_executor.go; velero-kubevirt-facts Q3.1), so it is information, not an error."""
    text = vm(FREEZE, THAW, "pre.hook.backup.velero.io/container: ''", CONTAINERS[1])
    findings = only(lint_text(text), "VM107")
    assert [(f.line, f.column, f.end_column, str(f.severity)) for f in findings] == [(13, 46, 48, "info")]
    assert findings[0].message == (
        "pre.hook.backup.velero.io/container is empty: Velero reads it like a missing key and runs the pre hook in "
        "the pod's first container, which is `compute` today, but a webhook that prepends a sidecar would change that"
    )
    assert only(lint_text(vm(FREEZE, THAW, "pre.hook.backup.velero.io/container: ''", skip=False)), "VM107") == []


# --- VM108 unpaired-freeze ------------------------------------------------------------------------------------------


def test_a_freeze_without_a_thaw() -> None:
    [finding] = only(lint_text(vm(FREEZE, CONTAINERS[0])), "VM108")
    assert (finding.line, finding.column) == (11, 9)
    assert finding.message == (
        "pre.hook.backup.velero.io/command freezes the guest but no post hook thaws it: the guest stays frozen "
        "until virt-freezer's safety thaw (after --unfreezeTimeoutSeconds, 300s by default)"
    )


def test_a_thaw_without_a_freeze_and_the_legacy_pre_key() -> None:
    assert where(only(lint_text(vm(THAW, *CONTAINERS)), "VM108")) == [("VM108", 11, 9)]
    legacy = FREEZE.replace(PRE, "hook.backup.velero.io/command")
    assert where(only(lint_text(vm(legacy)), "VM108")) == [("VM108", 11, 9)]


def test_a_custom_post_script_is_not_judged_and_overwritten_hooks_keep_their_severity() -> None:
    custom = f"{POST}: '[\"/scripts/thaw.sh\"]'"
    assert only(lint_text(vm(FREEZE, custom)), "VM108") == []
    [dead] = only(lint_text(vm(FREEZE, skip=False)), "VM108")
    assert str(dead.severity) == "error" and dead.message.endswith(OVERWRITTEN)


# --- VM109 freeze-phase-swapped -------------------------------------------------------------------------------------


def test_swapped_phases() -> None:
    pre = cmd(PRE, "--unfreeze", "--name", "web", "--namespace", "prod")
    post = cmd(POST, "--freeze", "--name", "web", "--namespace", "prod")
    findings = only(lint_text(vm(pre, post, *CONTAINERS)), "VM109")
    assert where(findings) == [("VM109", 11, col(pre, "--unfreeze")), ("VM109", 12, col(post, "--freeze"))]
    assert findings[0].message == (
        "pre.hook.backup.velero.io/command runs --unfreeze before the backup: the guest is not frozen during the snapshot"
    )


def test_both_flags_freeze() -> None:
    post = cmd(POST, "--unfreeze", "--freeze", "--name", "web", "--namespace", "prod")
    [finding] = only(lint_text(vm(FREEZE, post, *CONTAINERS)), "VM109")
    assert (finding.line, finding.column) == (12, col(post, "--freeze"))
    assert "virt-freezer freezes (freeze wins), so this post hook freezes the guest again" in finding.message


# --- VM110 freezer-args ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle", "message"),
    [
        (("--freeze", "-name", "web", "--namespace", "prod"), "-name",
         "virt-freezer exits 2 before doing anything: unknown shorthand flag: 'n' in -name"),
        (("--freeze", "--vm", "web", "--namespace", "prod"), "--vm",
         "virt-freezer exits 2 before doing anything: unknown flag: --vm"),
        (("--freeze", "--name", "web", "--namespace", "prod", "--unfreeze-timeout-seconds", "60"),
         "--unfreeze-timeout-seconds", "virt-freezer exits 2 before doing anything: unknown flag: --unfreeze-timeout-seconds"),
        (("--freeze", "--name", "web", "--namespace", "prod", "--unfreezeTimeoutSeconds", "ten"), "ten",
         'virt-freezer exits 2 before doing anything: invalid argument "ten" for "--unfreezeTimeoutSeconds" flag: '
         'strconv.ParseInt: parsing "ten": invalid syntax'),
    ],
)
def test_arguments_pflag_rejects(args, needle, message) -> None:
    line = cmd(PRE, *args)
    [finding] = only(lint_text(vm(line, THAW, *CONTAINERS)), "VM110")
    assert (finding.line, finding.column, finding.message) == (11, col(line, needle), message)


def test_missing_values_and_validation() -> None:
    line = cmd(PRE, "--freeze", "--name", "--namespace", "prod")
    findings = only(lint_text(vm(line, THAW, *CONTAINERS)), "VM110")
    assert [(f.line, f.column, f.message) for f in findings] == [
        (11, col(line, "'["), "virt-freezer exits 1: both --name and --namespace must be provided"),
        (11, col(line, '--namespace"'), "--name takes the next argument '--namespace' as its value"),
    ]
    neither = cmd(PRE, "--name", "web", "--namespace", "prod")
    assert [f.message for f in only(lint_text(vm(neither, THAW, *CONTAINERS)), "VM110")] == [
        "virt-freezer exits 1: either --freeze or --unfreeze must be set"
    ]


@pytest.mark.parametrize(("value", "severity", "start"), [("0", "warning", "--unfreezeTimeoutSeconds 0 turns"),
                                                           ("-5", "error", "--unfreezeTimeoutSeconds -5 is negative")])
def test_unfreeze_timeout(value, severity, start) -> None:
    line = cmd(PRE, "--freeze", "--name", "web", "--namespace", "prod", f"--unfreezeTimeoutSeconds={value}")
    [finding] = only(lint_text(vm(line, THAW, *CONTAINERS)), "VM110")
    assert (finding.column, str(finding.severity)) == (col(line, f"={value}") + 1, severity)
    assert finding.message.startswith(start)
    old = only(lint_text(vm(line, THAW, *CONTAINERS), kubevirt="0.46.0"), "VM110")
    assert [f.message.split(":")[0] for f in old] == ["--unfreezeTimeoutSeconds does not exist before KubeVirt 0.47 (KubeVirt 0.46.0)"]


def test_program_path() -> None:
    bare = cmd(PRE, "--freeze", "--name", "web", "--namespace", "prod", program="virt-freezer")
    [finding] = only(lint_text(vm(bare, THAW, *CONTAINERS)), "VM110")
    assert (finding.column, str(finding.severity)) == (col(bare, "virt-freezer"), "warning")
    other = cmd(PRE, "--freeze", "--name", "web", "--namespace", "prod", program="/usr/local/bin/virt-freezer")
    [finding] = only(lint_text(vm(other, THAW, *CONTAINERS)), "VM110")
    assert str(finding.severity) == "error" and "virt-freezer is at /usr/bin/virt-freezer" in finding.message


def test_correct_commands_are_clean_of_freeze_rules() -> None:
    findings = lint_text(vm(FREEZE, THAW, *CONTAINERS))
    assert [f.code for f in findings if f.code.startswith("VM1")] == []


# --- VM111, VM112 ---------------------------------------------------------------------------------------------------


def test_restore_hooks_on_a_launcher_never_run() -> None:
    text = vm(FREEZE, THAW, *CONTAINERS, "post.hook.restore.velero.io/command: '[\"/bin/true\"]'",
              "init.hook.restore.velero.io/container-image: busybox")
    findings = only(lint_text(text), "VM111")
    assert where(findings) == [("VM111", 15, 9), ("VM111", 16, 9)]
    assert str(findings[0].severity) == "warning"


def test_legacy_keys_are_shadowed() -> None:
    legacy = "hook.backup.velero.io/container: compute"
    injected = only(lint_text(vm(legacy, skip=False)), "VM112")
    assert where(injected) == [("VM112", 11, 9)]
    assert "KubeVirt 1.9.0 writes pre.hook.backup.velero.io/command onto every launcher pod" in injected[0].message
    assert only(lint_text(vm(legacy)), "VM112") == []  # skipped and no pre command: the legacy keys are the hook
    assert where(only(lint_text(vm(legacy, FREEZE)), "VM112")) == [("VM112", 11, 9)]


# --- VM204 generated-vmi-name ---------------------------------------------------------------------------------------


def _replica_set(kind: str, api: str, path: str, line: str) -> str:
    return f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: workers\n  namespace: prod\n{path}        {line}\n"


RS_PATH = "spec:\n  template:\n    metadata:\n      annotations:\n"
POOL_PATH = "spec:\n  virtualMachineTemplate:\n    spec:\n      template:\n        metadata:\n          annotations:\n"


@pytest.mark.parametrize(
    ("kind", "api", "path", "indent_extra", "line_no"),
    [
        ("VirtualMachineInstanceReplicaSet", "kubevirt.io/v1", RS_PATH, "", 10),
        ("VirtualMachinePool", "pool.kubevirt.io/v1alpha1", POOL_PATH, "    ", 12),
    ],
)
def test_static_names_where_vmi_names_are_generated(kind, api, path, indent_extra, line_no) -> None:
    line = cmd(PRE, "--freeze", "--name", "workers", "--namespace", "prod")
    text = _replica_set(kind, api, path, indent_extra + line)
    findings = lint_text(text)
    # a pre freeze without a thaw is VM108's; the static name is VM204's
    assert [f.code for f in findings if f.severity.name == "ERROR"] == ["VM108", "VM204"]
    [finding] = only(findings, "VM204")
    assert (finding.line, finding.column) == (line_no, 9 + len(indent_extra) + line.index("workers"))
    assert "is static, but" in finding.message


def test_templates_and_placeholders() -> None:
    template = (
        "apiVersion: harvesterhci.io/v1beta1\nkind: VirtualMachineTemplateVersion\nmetadata:\n  name: v1\n"
        "  namespace: default\nspec:\n  vm:\n    spec:\n      template:\n        metadata:\n          annotations:\n"
        f"            {cmd(PRE, '--freeze', '--name', 'golden', '--namespace', 'default')}\n"
    )
    assert [f.code for f in lint_text(template) if f.code.startswith("VM2")] == ["VM204"]
    placeholder = _replica_set("VirtualMachineInstanceReplicaSet", "kubevirt.io/v1", RS_PATH,
                               cmd(PRE, "--freeze", "--name", "<VM Name>", "--namespace", "prod"))
    assert [f.code for f in lint_text(placeholder) if f.code.startswith("VM2")] == ["VM201"]


def test_an_overwritten_command_on_a_kubevirt_without_the_skip_annotation_waits_for_an_upgrade() -> None:
    """The command rules share the note (lint.kubevirt.injection.HookState.overwritten_note)."""
    text = vm(f"{PRE}: 'virt-freezer --freeze'", THAW, *CONTAINERS)
    findings = only(lint_text(text, kubevirt="1.6.5"), "VM103")
    assert where(findings) == [("VM103", 11, 45)]
    assert findings[0].message.endswith(
        " (overwritten by KubeVirt 1.6.5 today, which does not read kubevirt.io/skip-backup-hooks: the value becomes "
        'live only after an upgrade to 1.6.6, 1.7.3, 1.8.0 or later with kubevirt.io/skip-backup-hooks "true")'
    )
