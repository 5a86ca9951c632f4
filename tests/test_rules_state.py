"""VM601-VM606: the live state of an exported cluster (VMI status, launcher pods, Velero Backup status)."""

from __future__ import annotations

import pytest
from helpers import lint_result, lint_text, where

from lint.core.findings import Severity

FREEZE = '\'["/usr/bin/virt-freezer", "--freeze", "--name", "web", "--namespace", "prod"]\''
UNFREEZE = '\'["/usr/bin/virt-freezer", "--unfreeze", "--name", "web", "--namespace", "prod"]\''
VM6 = ("VM6",)


def vmi(*status: str, annotations: tuple[str, ...] = (), name: str = "web", image: str | None = None) -> str:
    """An exported VMI; `status` lines are indented under `status:` (line 8 + len(annotations) + 1 on)."""
    meta = "".join(f"    {line}\n" for line in annotations)
    return (
        "apiVersion: kubevirt.io/v1\n"
        "kind: VirtualMachineInstance\n"
        "metadata:\n"
        + ("  annotations:\n" + meta if annotations else "")
        + f"  name: {name}\n"
        "  namespace: prod\n"
        "spec: {}\n"
        "status:\n"
        + "".join(f"  {line}\n" for line in status)
        + (f"  launcherContainerImageVersion: {image}\n" if image else "")
    )


def conditions(*kinds: str) -> list[str]:
    lines = ["conditions:"]
    for kind in kinds:
        kind, _, reason = kind.partition(":")
        lines += ["- lastProbeTime: \"2026-11-30T01:57:40Z\"" if kind == "AgentConnected" else "- lastProbeTime: null",
                  "  lastTransitionTime: null"]
        if reason:
            lines.append(f"  reason: {reason}")
        lines += ['  status: "True"', f"  type: {kind}"]
    return lines


def pod(*annotations: str, name: str = "web", image: str = "quay.io/kubevirt/virt-launcher:v1.6.5") -> str:
    return (
        "---\n"
        "apiVersion: v1\n"
        "kind: Pod\n"
        "metadata:\n"
        "  annotations:\n"
        f"    kubevirt.io/domain: {name}\n"
        + "".join(f"    {line}\n" for line in annotations)
        + "  labels:\n"
        "    kubevirt.io: virt-launcher\n"
        f"  name: virt-launcher-{name}-abcde\n"
        "  namespace: prod\n"
        "spec:\n"
        "  containers:\n"
        "  - name: compute\n"
        f"    image: {image}\n"
        "status:\n"
        "  phase: Running\n"
    )


INJECTED = (f"pre.hook.backup.velero.io/command: {FREEZE}", "pre.hook.backup.velero.io/container: compute",
            "pre.hook.backup.velero.io/timeout: 60s", f"post.hook.backup.velero.io/command: {UNFREEZE}",
            "post.hook.backup.velero.io/container: compute")


# --- VM601 ---------------------------------------------------------------------------------------------------------


def test_frozen_vmi_is_an_error_with_the_thaw_command_of_its_launcher_pod() -> None:
    text = vmi(*conditions("AgentConnected"), "fsFreezeStatus: frozen", "phase: Running") + pod(*INJECTED)
    findings = lint_text(text, select=VM6, kubevirt="1.6.5")
    assert where(findings) == [("VM601", 13, 19)]
    (found,) = findings
    assert found.severity == Severity.ERROR
    assert found.message == (
        "VMI prod/web reports fsFreezeStatus: frozen: a freeze was requested and not undone, so the guest's writes "
        "are blocked until the post hook runs virt-freezer --unfreeze, someone calls unfreeze, or virt-freezer's "
        "safety thaw fires 300 s after the freeze (--unfreezeTimeoutSeconds, which KubeVirt's hook does not pass); "
        "a pre hook with on-error: Fail that fails makes Velero 1.15 and later skip that pod's post hook. The field "
        "says a freeze was requested, not what the filesystem does"
    )
    assert found.hint == ("if no backup is running, thaw it: kubectl exec -n prod virt-launcher-web-abcde -c compute "
                          "-- /usr/bin/virt-freezer --unfreeze --name web --namespace prod")


@pytest.mark.parametrize(("status", "stale"), [
    (conditions("Paused:PausedByUser", "AgentConnected"), "This VMI is also paused, and KubeVirt stops polling the "
     "agent of a paused VM, so the value may be stale"),
    (conditions("Ready"), "The guest agent is not connected (no AgentConnected condition), and nothing refreshes the value "
     "without it, so it may be stale"),
])
def test_frozen_says_when_the_value_may_be_stale(status: list[str], stale: str) -> None:
    findings = lint_text(vmi(*status, "fsFreezeStatus: frozen", "phase: Running"), select=("VM601",))
    assert [f.message.rsplit(". ", 1)[-1] for f in findings] == [stale]


@pytest.mark.parametrize("value", ["thawed", '""', "null", "[frozen]", "{state: frozen}"])
def test_anything_but_frozen_is_not_vm601(value: str) -> None:
    assert lint_text(vmi(*conditions("AgentConnected"), f"fsFreezeStatus: {value}", "phase: Running"),
                     select=("VM601",)) == []


def test_a_manifest_without_status_is_not_judged() -> None:
    text = "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: web\nspec: {}\n"
    assert lint_text(text, select=VM6) == []


# --- VM602 ---------------------------------------------------------------------------------------------------------


def test_running_vmi_without_agent_that_kubevirt_freezes() -> None:
    findings = lint_text(vmi("conditions:", "- status: \"True\"", "  type: Ready", "phase: Running"), select=VM6,
                         kubevirt="1.6.5")
    assert where(findings) == [("VM602", 8, 3)]
    assert findings[0].message == (
        "VMI prod/web is Running without the AgentConnected condition, which KubeVirt removes while the guest "
        "agent's channel is not connected, and it is frozen before each backup (KubeVirt 1.6.5 injects its "
        "virt-freezer hooks): if the agent never answered since the launcher started, virt-freezer logs \"No guest "
        "agent, exiting\" and exits 0, so Velero counts the hook as succeeded over a crash-consistent backup; if it "
        "answered once and then went away, the freeze fails (\"Guest agent is not responding\") and so does the pre "
        "hook"
    )


def test_without_conditions_the_status_key_is_the_anchor_and_the_pod_says_who_freezes() -> None:
    findings = lint_text(vmi("phase: Running") + pod(*INJECTED), select=("VM602",))
    assert where(findings) == [("VM602", 7, 1)]
    assert "(its launcher pod virt-launcher-web-abcde has a pre hook that runs virt-freezer --freeze)" in \
        findings[0].message


def test_no_vm602_when_nothing_freezes_the_guest() -> None:
    # the launcher pod in the export has no hooks (skipped): Velero runs no freeze, so no agent is needed
    assert lint_text(vmi("phase: Running") + pod(), select=("VM602",)) == []
    skipped = vmi("phase: Running", annotations=('kubevirt.io/skip-backup-hooks: "true"',))
    assert lint_text(skipped, select=("VM602",), kubevirt="1.6.6") == []
    assert where(lint_text(skipped, select=("VM602",), kubevirt="1.6.5")) == [("VM602", 9, 1)]


@pytest.mark.parametrize("phase", ["Scheduling", "Succeeded", "Failed", "Pending"])
def test_no_vm602_unless_running(phase: str) -> None:
    assert lint_text(vmi(f"phase: {phase}"), select=("VM602",)) == []


def test_before_057_a_missing_agent_fails_the_freeze() -> None:
    (found,) = lint_text(vmi("phase: Running"), select=("VM602",), kubevirt="0.56.0")
    assert found.message.endswith("(KubeVirt 0.56.0 injects its virt-freezer hooks): virt-freezer's freeze fails "
                                  "without an agent (KubeVirt 0.56.0; from 0.57 it exits 0 instead)")


# --- VM603 ---------------------------------------------------------------------------------------------------------


def test_unsupported_agent_with_its_reason() -> None:
    text = vmi(*conditions("AgentConnected", "AgentVersionNotSupported:Guest agent version '2.5' is not supported"),
               "phase: Running")
    text = text.replace("reason: Guest agent version '2.5' is not supported",
                        "reason: \"Guest agent version '2.5' is not supported\"")
    findings = lint_text(text, select=VM6)
    assert where(findings) == [("VM603", 17, 11)]
    assert findings[0].message.startswith(
        "VMI prod/web has AgentVersionNotSupported: \"Guest agent version '2.5' is not supported\": the guest agent "
        "answers but lacks commands KubeVirt requires")
    assert findings[0].message.endswith("so the freeze may still work, but nothing here shows that it does.")


def test_unsupported_without_agent_connected_is_a_leftover() -> None:
    (found,) = lint_text(vmi(*conditions("AgentVersionNotSupported"), "phase: Running"), select=("VM603",))
    assert found.message.endswith("AgentConnected is absent, so the condition is left over from an earlier connection "
                                  "(KubeVirt removes it only while the agent is connected).")


# --- VM604 ---------------------------------------------------------------------------------------------------------

PAUSED = (*conditions("Paused:PausedByUser", "AgentConnected"), "phase: Running")


@pytest.mark.parametrize(("version", "effect"), [
    ("1.5.2", 'virt-freezer logs "Paused VM, unable to freeze/unfreeze" and exits 1 (KubeVirt 1.5.2; before 1.6.0): '
     "the hooks fail, Velero logs the errors and the backup ends PartiallyFailed"),
    ("1.6.0", 'virt-freezer logs "VM domain not running, no need to freeze/unfreeze" and exits 0 without freezing '
     "(KubeVirt 1.6.0; from 1.6.0), so Velero counts both hooks as succeeded and the backup holds only what the "
     "guest had written to disk when it was paused"),
])
def test_paused_vmi_by_version(version: str, effect: str) -> None:
    findings = lint_text(vmi(*PAUSED), select=VM6, kubevirt=version)
    assert where(findings) == [("VM604", 13, 11)]
    assert findings[0].message == (
        f"VMI prod/web is paused (PausedByUser) and frozen before each backup (KubeVirt {version} injects its "
        f"virt-freezer hooks): {effect}")


def test_paused_vm_without_its_vmi_and_with_it() -> None:
    vm = ("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: web\n  namespace: prod\n"
          "spec:\n  template:\n    spec: {}\nstatus:\n  printableStatus: Paused\n")
    findings = lint_text(vm, select=VM6, kubevirt="1.6.0")
    assert where(findings) == [("VM604", 10, 20)]
    assert findings[0].message.startswith("VirtualMachine prod/web is Paused and frozen before each backup (KubeVirt "
                                          "1.6.0 injects its virt-freezer hooks): virt-freezer logs")
    both = lint_text(vm + "---\n" + vmi(*PAUSED), select=VM6, kubevirt="1.6.0")
    assert where(both) == [("VM604", 24, 11)]  # the VMI's condition speaks, once


def test_running_or_stopped_vm_is_not_paused() -> None:
    for printable in ("Running", "Stopped", "null", "[Paused]"):
        vm = ("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: web\n  namespace: prod\n"
              f"spec:\n  template:\n    spec: {{}}\nstatus:\n  printableStatus: {printable}\n")
        assert lint_text(vm, select=VM6) == []


# --- VM605 ---------------------------------------------------------------------------------------------------------


def backup(*status: str, namespaces: str = "[prod]") -> str:
    return (
        "---\n"
        "apiVersion: velero.io/v1\n"
        "kind: Backup\n"
        "metadata:\n"
        "  name: nightly\n"
        "  namespace: velero\n"
        "spec:\n"
        f"  includedNamespaces: {namespaces}\n"
        "status:\n"
        + "".join(f"  {line}\n" for line in status)
    )


def test_hooks_succeeded_over_guests_without_agent_or_paused() -> None:
    text = (vmi("phase: Running", name="db") + "---\n" + vmi(*PAUSED, name="batch") + "---\n"
            + vmi(*conditions("AgentConnected"), "phase: Running")
            + backup("hookStatus:", "  hooksAttempted: 6", "phase: Completed"))
    findings = lint_text(text, select=("VM605",), kubevirt="1.6.0")
    assert where(findings) == [("VM605", 52, 21)]
    assert findings[0].message == (
        "Backup velero/nightly reports hooksAttempted: 6 and no failed hook, but 2 VMIs it covers were not frozen as "
        "this export shows them: 1 running without AgentConnected (prod/db), whose virt-freezer exits 0 without "
        "freezing when the agent never answered; 1 paused (prod/batch), whose virt-freezer exits 0 without freezing "
        "(KubeVirt 1.6.0). \"HooksFailed: 0\" proves nothing for them: their volumes are only crash-consistent"
    )
    # before 1.6.0 a paused guest fails its hook, so hooksFailed: 0 says it was not paused then: only db is named
    (before,) = lint_text(text, select=("VM605",), kubevirt="1.5.0")
    assert "but 1 VMI it covers was not frozen as this export shows them: 1 running without AgentConnected (prod/db)," \
        in before.message


@pytest.mark.parametrize(("namespaces", "status"), [
    ("[other]", ("hookStatus:", "  hooksAttempted: 2", "phase: Completed")),  # not covered
    ("['*']", ("hookStatus:", "  hooksAttempted: 2", "  hooksFailed: 1", "phase: PartiallyFailed")),  # a failure
    ("[prod]", ("hookStatus: {}", "phase: Completed")),  # no hook attempted
    ("[prod]", ("phase: Completed",)),  # Velero before 1.13: no hookStatus
    ("[prod]", ("hookStatus:", "  hooksAttempted: lots", "phase: Completed")),  # not a number
    ("[prod]", ("hookStatus: null",)),
])
def test_no_vm605(namespaces: str, status: tuple[str, ...]) -> None:
    text = vmi("phase: Running", name="db") + backup(*status, namespaces=namespaces)
    assert lint_text(text, select=("VM605",)) == []


def test_failed_hooks_with_phase_completed_is_an_inconsistent_export() -> None:
    text = backup("hookStatus:", "  hooksAttempted: 2", "  hooksFailed: 1", "phase: Completed")
    findings = lint_text(text, select=VM6)
    assert where(findings) == [("VM605", 13, 10)]
    assert findings[0].severity == Severity.INFO
    assert findings[0].message.startswith("Backup velero/nightly says phase: Completed with hooksFailed: 1, which "
                                          "Velero does not write")


# --- VM606 ---------------------------------------------------------------------------------------------------------


def test_skip_annotation_honoured_from_166_makes_the_injected_hooks_drift() -> None:
    text = vmi("phase: Running", annotations=('kubevirt.io/skip-backup-hooks: "true"',)) + pod(*INJECTED)
    assert lint_text(text, select=("VM606",), kubevirt="1.6.5") == []
    findings = lint_text(text, select=("VM606",), kubevirt="1.6.6")
    assert where(findings) == [("VM606", 20, 5)]
    assert findings[0].message == (
        "launcher pod virt-launcher-web-abcde's hook annotations differ from what KubeVirt 1.6.6 writes for VMI "
        "prod/web: on the pod but not written by KubeVirt 1.6.6: post.hook.backup.velero.io/command, "
        "post.hook.backup.velero.io/container, pre.hook.backup.velero.io/command, "
        "pre.hook.backup.velero.io/container, pre.hook.backup.velero.io/timeout; the VMI's "
        "kubevirt.io/skip-backup-hooks is 'true'. Velero runs the pod's. Either the cluster does not run KubeVirt "
        "1.6.6 (its launcher image is 1.6.5), or the pod was created before a change: KubeVirt syncs its hook "
        "annotations onto running launcher pods only from 1.6.6, 1.7.3 and 1.8.0"
    )


def test_missing_and_changed_keys() -> None:
    text = vmi("phase: Running") + pod(f"pre.hook.backup.velero.io/command: {FREEZE.replace('web', 'webx', 1)}",
                                       "pre.hook.backup.velero.io/container: compute",
                                       f"post.hook.backup.velero.io/command: {UNFREEZE}",
                                       "post.hook.backup.velero.io/container: compute")
    (found,) = lint_text(text, select=("VM606",), kubevirt="1.6.4")
    assert (found.line, found.column) == (15, 5)
    assert ("written by KubeVirt 1.6.4 but missing: pre.hook.backup.velero.io/timeout: '60s'; "
            "pre.hook.backup.velero.io/command is '[\"/usr/bin/virt-freezer\", \"--freeze\", \"--name\", \"webx\", "
            "\"--namespace\", \"prod\"]', not '[\"/usr/bin/virt-freezer\", \"--freeze\", \"--name\", \"web\", "
            "\"--namespace\", \"prod\"]'") in found.message
    # before 1.6.4 no timeout is injected: only the command differs
    (older,) = lint_text(text, select=("VM606",), kubevirt="1.6.3")
    assert "timeout" not in older.message


def test_commands_compare_as_argv_and_the_vmi_hooks_pass_through_where_not_managed() -> None:
    compact = FREEZE.replace(", ", ",")
    text = (vmi("phase: Running", annotations=("post.hook.backup.velero.io/timeout: 2m",))
            + pod(*(line.replace(FREEZE, compact) for line in INJECTED), "post.hook.backup.velero.io/timeout: 2m"))
    assert lint_text(text, select=("VM606",), kubevirt="1.6.5") == []


def test_no_prediction_without_the_vmi() -> None:
    assert lint_text(pod(), select=("VM606",)) == []


def test_version_taken_from_the_export_and_conflicts_reported_once() -> None:
    text = (vmi("phase: Running") + pod(*INJECTED, image="registry.suse.com/suse/sles/15.6/virt-launcher:1.6.5-150600.5.9.1")
            + "---\n" + vmi("phase: Running", name="db", image="quay.io/kubevirt/virt-launcher:v1.7.2"))
    result = lint_result(text, select=VM6)
    assert result.notes == [
        "Assuming KubeVirt 1.6.5, from the launcher image of Pod prod/virt-launcher-web-abcde "
        "(registry.suse.com/suse/sles/15.6/virt-launcher:1.6.5-150600.5.9.1); the export also names 1.7.2 (a "
        "cluster mid-upgrade?): vmlint judges by the oldest."
    ]
    assert where(result.findings) == [("VM602", 7, 1), ("VM602", 37, 1), ("VM606", 39, 34)]
    assert result.findings[1].message.endswith("(KubeVirt 1.6.5 injects its virt-freezer hooks): if the agent never "
                                               "answered since the launcher started, virt-freezer logs \"No guest "
                                               "agent, exiting\" and exits 0, so Velero counts the hook as succeeded "
                                               "over a crash-consistent backup; if it answered once and then went "
                                               "away, the freeze fails (\"Guest agent is not responding\") and so does "
                                               "the pre hook")
    conflict = result.findings[2]
    assert conflict.severity == Severity.INFO
    assert conflict.message.startswith("this VirtualMachineInstance names KubeVirt 1.7.2, but the export also names "
                                       "1.6.5, which vmlint assumes for the whole run")
    # a version given by the user wins over the export, and no conflict is reported
    given = lint_result(text, select=VM6, kubevirt="1.6.5")
    assert given.notes == [] and where(given.findings) == [("VM602", 7, 1), ("VM602", 37, 1)]


# --- launcher pods under VM1 and VM2 --------------------------------------------------------------------------------


def test_launcher_pod_hooks_are_judged_as_they_are() -> None:
    wrong = FREEZE.replace('"web"', '"web-old"')
    text = pod(f"pre.hook.backup.velero.io/command: {wrong}", "pre.hook.backup.velero.io/on-error: fail",
               name="web")
    findings = lint_text(text, select=("VM1", "VM2", "VM3", "VM4"))
    assert where(findings) == [("VM107", 7, 5), ("VM108", 7, 5), ("VM202", 7, 90), ("VM105", 8, 41)]
    by_code = {f.code: f for f in findings}
    assert by_code["VM202"].message == (
        "virt-freezer --name is 'web-old' but the VMI's name is 'web' (the Pod's kubevirt.io/domain annotation): "
        "virt-freezer looks for a domain that does not exist and the freeze fails")
    assert "overwritten" not in by_code["VM202"].message  # a pod's annotations are what Velero runs
    assert (by_code["VM202"].kind, by_code["VM202"].name) == ("Pod", "virt-launcher-web-abcde")


def test_pods_that_are_not_launchers_are_left_alone() -> None:
    text = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: prod\n  annotations:\n"
            "    pre.hook.backup.velero.io/command: not json\n  labels:\n    kubevirt.io: virt-launcher\n")
    # not a launcher (no kubevirt.io/domain, no VMI owner): a plain Pod, whose hooks the VM1 rules judge as any
    # workload's (issue #17), with none of the launcher rules (VM6, VM111, KubeVirt's injection)
    assert [f.code for f in lint_text(text, select=("ALL",))] == ["VM103"]


# --- bad input --------------------------------------------------------------------------------------------------


MALFORMED = [
    "status: null",
    "status: []",
    "status: running",
    "status:\n  conditions: null\n  phase: Running",
    "status:\n  conditions: AgentConnected\n  phase: Running",
    "status:\n  conditions:\n  - null\n  - status: 'True'\n  - type: null\n    status: 'True'\n  - type: [Paused]\n"
    "    status: 'True'\n  - {}\n  phase: [Running]",
    "status:\n  fsFreezeStatus: {frozen: true}\n  guestOSInfo: [windows]\n  launcherContainerImageVersion: 42",
    "status:\n  phase: null\n  guestOSInfo: null\n  launcherContainerImageVersion: virt-launcher@sha256:abc",
]


@pytest.mark.parametrize("status", MALFORMED)
def test_malformed_vmi_status_is_ignored_without_a_traceback(status: str) -> None:
    text = ("apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: web\n  namespace: prod\n"
            f"spec: {{}}\n{status}\n")
    result = lint_result(text, select=("ALL",))
    assert not result.errors and result.notes == []
    assert [f for f in result.findings if f.code.startswith("VM6")] == []


@pytest.mark.parametrize("document", [
    "apiVersion: v1\nkind: Pod\nmetadata: null\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  ownerReferences: null\n  annotations: null\n  labels: null\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  ownerReferences: [null, {kind: VirtualMachineInstance}]\n  name: p\n"
    "spec:\n  containers: null\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations: {kubevirt.io/domain: web}\n  labels: {kubevirt.io: virt-launcher}\n"
    "spec:\n  containers: [null, {name: compute, image: [x]}]\nstatus: {phase: {}}\n",
    "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b}\nstatus:\n  hookStatus: [1]\n  phase: Completed\n",
    "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b}\nspec: null\nstatus:\n  hookStatus:\n"
    "    hooksAttempted: '2'\n    hooksFailed: null\n  phase: null\n",
    "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b}\nspec: {includedNamespaces: null, labelSelector: 7}\n"
    "status: {hookStatus: {hooksAttempted: 2}}\n",
    "apiVersion: v1\nkind: List\nitems: null\n",
    "apiVersion: v1\nkind: List\nitems: [null, 3, {kind: Event}, {apiVersion: v1, kind: Weird, status: {x: [1]}}]\n",
])
def test_foreign_and_broken_objects_of_an_export_are_skipped(document: str) -> None:
    text = document + "---\n" + vmi("phase: Running", name="db")
    result = lint_result(text, select=VM6, kubevirt="1.6.5")
    assert not result.errors
    assert {f.code for f in result.findings} <= {"VM602", "VM605"}  # only the db VMI's own finding (and a Backup's)


# --- evidence beats inference: VM401-VM403 from the exported VMI ---------------------------------------------------

VM_UNKNOWN = ("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: web\n  namespace: prod\nspec:\n"
              "  template:\n    spec:\n      volumes:\n      - name: rootdisk\n        persistentVolumeClaim:\n"
              "          claimName: web-rootdisk\n---\n")


def test_a_connected_agent_answers_what_the_manifest_cannot() -> None:
    assert [f.code for f in lint_text(VM_UNKNOWN, select=("VM4",))] == ["VM402"]
    connected = VM_UNKNOWN + vmi(*conditions("AgentConnected"), "phase: Running")
    assert lint_text(connected, select=("VM4",)) == []


def test_a_missing_agent_is_vm401_on_the_vm_with_the_exports_words() -> None:
    findings = lint_text(VM_UNKNOWN + vmi(*conditions("Ready"), "phase: Running"), select=("VM4",))
    assert where(findings) == [("VM401", 4, 9)]  # the VM's name: it has no status of its own here
    assert findings[0].message.startswith(
        "VirtualMachine web is frozen before each backup (KubeVirt 1.9.0 injects its virt-freezer hooks), but the "
        "export shows VMI prod/web Running without the AgentConnected condition, which KubeVirt removes while no "
        "guest agent is connected: virt-freezer finds no guest agent")


def test_windows_by_guest_os_info() -> None:
    text = VM_UNKNOWN + vmi(*conditions("AgentConnected"), "guestOSInfo:", "  id: mswindows",
                            "  name: Microsoft Windows", "  prettyName: Windows Server 2022 Datacenter", "phase: Running")
    findings = lint_text(text, select=("VM4",))
    assert where(findings) == [("VM403", 4, 9), ("VM403", 21, 3)]
    assert findings[0].message.startswith("VirtualMachine web runs Windows (Windows Server 2022 Datacenter, per the "
                                          "export's guestOSInfo) and is frozen before each backup")


def test_a_vmi_that_is_not_running_says_nothing_about_the_agent() -> None:
    assert [f.code for f in lint_text(VM_UNKNOWN + vmi("phase: Scheduling"), select=("VM4",))] == ["VM402"]  # the VM; the VMI has no disk
