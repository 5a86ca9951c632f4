"""VM003, VM004, VM101: hook annotation values' YAML types, their placement, and their keys."""

from __future__ import annotations

import pytest
from helpers import FREEZE, UNFREEZE, lint_text, vm_with, where

SELECT = ("VM003", "VM004", "VM101")

POST_OK = f"post.hook.backup.velero.io/command: {UNFREEZE}"
PRE_OK = f"pre.hook.backup.velero.io/command: {FREEZE}"


@pytest.mark.parametrize(
    ("value", "word", "hint_value"),
    [
        ("30", "a YAML number", "'30'"),
        ("1.5", "a YAML number", "'1.5'"),
        ("0x1F", "a YAML number", "'0x1F'"),
        ("1_000", "a YAML number", "'1_000'"),
        ("true", "a YAML boolean", "'true'"),
        ("yes", "a YAML boolean", "'yes'"),
        ("On", "a YAML boolean", "'On'"),
        ("n", "a YAML boolean", "'n'"),
        ('["a", "b"]', "a YAML list", "'[\"a\", \"b\"]'"),
        ("{a: b}", "a YAML mapping", "'{a: b}'"),
        ("!!int '30'", "a YAML number", "'30'"),
    ],
)
def test_non_string_values_are_rejected_by_the_api_server(value: str, word: str, hint_value: str) -> None:
    findings = lint_text(vm_with(PRE_OK, POST_OK, f"pre.hook.backup.velero.io/timeout: {value}"), select=SELECT)
    assert where(findings) == [("VM003", 12, 44)]
    assert findings[0].message == (
        f"pre.hook.backup.velero.io/timeout is {word}, not a string: annotation values must be strings, "
        "so the API server rejects the whole object"
    )
    assert findings[0].hint == f"quote it: pre.hook.backup.velero.io/timeout: {hint_value}"


@pytest.mark.parametrize(
    "value", ["'30'", '"true"', "30s", "2021-01-01", "!!str 30", "|\n          30", "1d", "0o", "08x", ".5s"]
)
def test_strings_as_kubernetes_reads_them_are_fine(value: str) -> None:
    findings = lint_text(vm_with(PRE_OK, POST_OK, f"pre.hook.backup.velero.io/timeout: {value}"), select=SELECT)
    assert [f for f in findings if f.code == "VM003"] == []


def test_null_value_becomes_empty() -> None:
    findings = lint_text(vm_with(PRE_OK, POST_OK, "pre.hook.backup.velero.io/container:"), select=SELECT)
    assert where(findings) == [("VM003", 12, 9)]
    assert "is YAML null, not a string" in findings[0].message


def test_skip_hooks_annotation_is_checked_on_the_vm_metadata() -> None:
    text = vm_with(PRE_OK, POST_OK).replace("  namespace: prod\n", "  namespace: prod\n  annotations:\n    kubevirt.io/skip-backup-hooks: true\n")
    assert where(lint_text(text, select=SELECT)) == [("VM003", 7, 36)]


def test_non_hook_annotations_are_not_judged() -> None:
    assert lint_text(vm_with(PRE_OK, POST_OK, "example.com/replicas: 3"), select=SELECT) == []


def test_hooks_on_the_vm_metadata_never_reach_the_pod() -> None:
    text = (
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: web\n  namespace: prod\n"
        "  annotations:\n"
        f"    {PRE_OK}\n"
        "    kubevirt.io/skip-backup-hooks: 'true'\n"
        "spec:\n  template:\n    annotations:\n"
        f"      {POST_OK}\n"
    )
    findings = lint_text(text, select=SELECT)
    assert where(findings) == [("VM004", 7, 5), ("VM004", 12, 7)]
    assert findings[0].message == (
        "pre.hook.backup.velero.io/command on metadata.annotations never reaches the virt-launcher pod: "
        "Velero reads hooks from pods only, and these are the VirtualMachine's own annotations, which KubeVirt "
        "does not copy to the pod"
    )
    assert findings[0].hint == "move it to spec.template.metadata.annotations"
    assert "spec.template has no `annotations` field" in findings[1].message


def test_vmi_annotations_on_spec_are_misplaced() -> None:
    text = (
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: web\n"
        "spec:\n  annotations:\n"
        f"    {PRE_OK}\n"
    )
    findings = lint_text(text, select=SELECT)
    assert where(findings) == [("VM004", 7, 5)]
    assert findings[0].hint == "move it to metadata.annotations"


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("pre.hook.backup.velero.io/onError", "pre.hook.backup.velero.io/on-error"),
        ("pre.hook.backup.velero.io/commands", "pre.hook.backup.velero.io/command"),
        ("post.hook.backup.velero.io/timeout-seconds", "post.hook.backup.velero.io/timeout"),
        ("pre.hooks.backup.velero.io/container", "pre.hook.backup.velero.io/container"),
        ("post.hook.restore.velero.io/timeout", "post.hook.restore.velero.io/exec-timeout"),
        ("post.hook.restore.velero.io/waitForReady", "post.hook.restore.velero.io/wait-for-ready"),
        ("Pre.hook.backup.velero.io/command", "pre.hook.backup.velero.io/command"),
        ("post.hook.restore.velero.io/test1.command", "post.hook.restore.velero.io/command"),
    ],
)
def test_unknown_hook_keys_get_the_nearest_valid_key(key: str, suggestion: str) -> None:
    findings = lint_text(vm_with(PRE_OK, POST_OK, f"{key}: 'x'"), select=SELECT)
    assert where(findings) == [("VM101", 12, 9)]
    assert findings[0].message == f"Velero does not read {key}: the key is silently ignored"
    assert findings[0].hint == f"did you mean {suggestion}?"


def test_init_restore_timeout_is_defined_but_never_read() -> None:
    findings = lint_text(vm_with(PRE_OK, POST_OK, "init.hook.restore.velero.io/timeout: 30s"), select=SELECT)
    assert where(findings) == [("VM101", 12, 9)]
    assert "defined in Velero's source but never read" in findings[0].message


def test_every_valid_key_and_other_velero_annotations_pass() -> None:
    text = vm_with(
        PRE_OK, POST_OK,
        "pre.hook.backup.velero.io/container: compute",
        "pre.hook.backup.velero.io/on-error: Continue",
        "pre.hook.backup.velero.io/timeout: 60s",
        "post.hook.backup.velero.io/container: compute",
        "post.hook.backup.velero.io/on-error: Continue",
        "post.hook.backup.velero.io/timeout: 60s",
        "post.hook.restore.velero.io/exec-timeout: 30s",
        "post.hook.restore.velero.io/wait-timeout: 5m",
        "post.hook.restore.velero.io/wait-for-ready: 'true'",
        "init.hook.restore.velero.io/container-image: busybox",
        "init.hook.restore.velero.io/container-name: restore",
        "backup.velero.io/backup-volumes: rootdisk",
        "velero.io/exclude-from-backup: 'false'",
    )
    assert [f for f in lint_text(text, select=SELECT) if f.code == "VM101"] == []


# --- VM004 anywhere outside the annotation maps (issue #15 item 1) ---------------------------------------------------

CMD = "pre.hook.backup.velero.io/command"
TOP = "Kubernetes has no such field at the top level of an object (it holds apiVersion, kind, metadata and spec)"
LAUNCHER = "never reaches the virt-launcher pod: Velero reads hooks from the pod's annotations only, and"


def _vm(body: str) -> str:
    return "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\n" + body


@pytest.mark.parametrize(
    ("body", "line", "column", "where", "why"),
    [
        # labels instead of annotations, on the VM and on its template
        ("metadata:\n  name: web\n  labels:\n    {cmd}: x\n", 6, 5, "under metadata.labels",
         "metadata.labels are labels, and Velero reads hooks from annotations only"),
        ("metadata:\n  name: web\nspec:\n  template:\n    metadata:\n      labels:\n        {cmd}: x\n", 9, 9,
         "under spec.template.metadata.labels",
         "spec.template.metadata.labels are labels, and Velero reads hooks from annotations only"),
        # the `annotations:` level left out, and a sibling of metadata at the wrong depth
        ("metadata:\n  name: web\nspec:\n  template:\n    metadata:\n      {cmd}: x\n", 8, 7,
         "under spec.template.metadata",
         "spec.template.metadata is not an annotations map: Kubernetes has no such field there"),
        ("metadata:\n  name: web\n  {cmd}: x\n", 5, 3, "under metadata",
         "metadata is not an annotations map: Kubernetes has no such field there"),
        ("metadata:\n  name: web\nspec:\n  template:\n    spec:\n      {cmd}: x\n", 8, 7, "under spec.template.spec",
         "spec.template.spec is not an annotations map: Kubernetes has no such field there"),
        # a DataVolume's annotations go to the DataVolume
        ("metadata:\n  name: web\nspec:\n  dataVolumeTemplates:\n  - metadata:\n      annotations:\n        {cmd}: x\n",
         9, 9, "under spec.dataVolumeTemplates[0].metadata.annotations",
         "spec.dataVolumeTemplates[0].metadata.annotations are the annotations of another object (they never reach "
         "the pod)"),
        ("metadata:\n  name: web\n{cmd}: x\n", 5, 1, "at the top level of the VirtualMachine", TOP),
    ],
)
def test_a_hook_key_anywhere_outside_the_annotation_maps_never_reaches_the_pod(body, line, column, where, why) -> None:
    findings = lint_text(_vm(body.format(cmd=CMD)), select=("VM004",))
    assert where_of(findings) == [("VM004", line, column, column + len(CMD))]
    assert findings[0].message == f"{CMD} {where} {LAUNCHER} {why}"
    assert findings[0].hint == "move it to spec.template.metadata.annotations"


def where_of(findings):
    return [(f.code, f.line, f.column, f.end_column) for f in findings]


def test_keys_vm004_already_judges_are_reported_once() -> None:
    text = _vm("metadata:\n  name: web\n  annotations:\n    {cmd}: x\nspec:\n  template:\n    annotations:\n"
               "      {cmd}: x\n".format(cmd=CMD))
    findings = lint_text(text, select=("VM004",))
    assert where(findings) == [("VM004", 6, 5), ("VM004", 10, 7)]
    assert [f.message.split(" never")[0] for f in findings] == [
        f"{CMD} on metadata.annotations", f"{CMD} on spec.template.annotations"]


def test_a_deployment_label_hook_never_reaches_its_pods() -> None:
    text = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: db\nspec:\n  template:\n    metadata:\n"
            f"      labels:\n        {CMD}: x\n    spec:\n      containers:\n      - name: db\n")
    findings = lint_text(text, select=("VM004",))
    assert where(findings) == [("VM004", 9, 9)]
    assert findings[0].message == (
        f"{CMD} under spec.template.metadata.labels never reaches the Deployment's pods: Velero reads hooks from the "
        "pod's annotations only, and spec.template.metadata.labels are labels, and Velero reads hooks from "
        "annotations only")
    assert findings[0].hint == "move it to spec.template.metadata.annotations"


def test_a_pod_spec_hook_key_and_an_exported_launcher_pods_managed_fields() -> None:
    """A plain Pod's spec is no annotation map; server-side apply's `f:<key>` entries in managedFields of an
    exported launcher pod are bookkeeping, not hooks."""
    pod = f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  {CMD}: x\n  containers:\n  - name: c\n"
    assert where(lint_text(pod, select=("VM004",))) == [("VM004", 6, 3)]
    launcher = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: virt-launcher-web-abcde\n  namespace: prod\n"
        "  labels:\n    kubevirt.io: virt-launcher\n  annotations:\n    kubevirt.io/domain: web\n"
        f"    {CMD}: '[\"/usr/bin/virt-freezer\", \"--freeze\", \"--name\", \"web\", \"--namespace\", \"prod\"]'\n"
        "  managedFields:\n  - manager: virt-controller\n    fieldsV1:\n      f:metadata:\n        f:annotations:\n"
        f"          f:{CMD}: {{}}\n"
    )
    assert lint_text(launcher, select=("VM004",)) == []


# --- a manifest whose indentation was lost (issue #15 items 2 and 7) ------------------------------------------------

FLATTENED_HOOKS = [
    "pre.hook.backup.velero.io/command", "pre.hook.backup.velero.io/container", "pre.hook.backup.velero.io/on-error",
    "pre.hook.backup.velero.io/timeout", "post.hook.backup.velero.io/command", "post.hook.backup.velero.io/container",
    "post.hook.backup.velero.io/timeout",
]


def test_the_articles_manifest_flattened_says_so_once_and_reports_every_hook_key() -> None:
    """examples/harvester-kb-flattened.yaml: the first published recipe with every line at column 1."""
    from pathlib import Path

    text = Path(__file__).parent.parent.joinpath("examples", "harvester-kb-flattened.yaml").read_text()
    assert all(not line[:1].isspace() for line in text.splitlines())
    findings = lint_text(text)
    assert where(findings) == [("VM004", 6, 1), ("VM002", 13, 1), *[("VM004", line, 1) for line in range(15, 22)],
                               ("VM002", 22, 1), ("VM002", 24, 1)]
    assert findings[0].message == (
        "the indentation of this manifest was lost, as when it is copied from a web page that drops leading spaces: "
        "name and namespace stand at the top level instead of under metadata, runStrategy and template instead of "
        "under spec, domain and volumes instead of under spec.template.spec, and 7 Velero hook keys instead of under "
        "spec.template.metadata.annotations. Kubernetes sees an empty metadata and spec, and no hook reaches the "
        "virt-launcher pod"
    )
    assert (findings[0].end_line, findings[0].end_column) == (6, 5)
    hooks = [f for f in findings if f.code == "VM004"][1:]
    assert [f.message for f in hooks] == [f"{key} at the top level of the VirtualMachine {LAUNCHER} {TOP}"
                                          for key in FLATTENED_HOOKS]


def test_no_lost_indentation_without_hook_keys_at_the_top_level() -> None:
    text = _vm("metadata:\nname: web\nspec:\n  template:\n    metadata:\n      annotations:\n"
               f"        {CMD}: '[\"/usr/bin/virt-freezer\"]'\n")
    assert lint_text(text, select=("VM004",)) == []


def test_the_walk_for_stray_keys_enters_only_the_branches_whose_text_may_hold_one() -> None:
    """VM004 walks only the values whose text holds a "velero.io" in any case (lint.checks.keys._hook_key_places):
    a key in capitals deep in a sequence of a long spec is found beside the pod's own hooks, which are not
    reported; and with an alias in the object every branch is walked, since a node may come from elsewhere."""
    shouted = CMD.upper()
    body = ("metadata:\n  name: web\nspec:\n  template:\n    metadata:\n      annotations:\n"
            f"        {CMD}: x\n    spec:\n      domain:\n        devices:\n          disks:\n"
            "          - name: root\n          - name: data\n"
            f"            {shouted}: x\n      volumes:\n      - name: root\n")
    findings = lint_text(_vm(body), select=("VM004",))
    assert where_of(findings) == [("VM004", 16, 13, 13 + len(CMD))]
    assert findings[0].message.startswith(f"{shouted} under spec.template.spec.domain.devices.disks[1] {LAUNCHER}")
    # "İ" lower-cases to two characters, which moves every later offset of the lower-cased text
    city = _vm(body.replace("  name: web\n", "  name: web\n  labels: {city: İİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİİ}\n", 1))
    assert where_of(lint_text(city, select=("VM004",))) == [("VM004", 17, 13, 13 + len(CMD))]
    listed = ("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n"
              f"  data: &hooks\n    {CMD}: x\n- apiVersion: kubevirt.io/v1\n  kind: VirtualMachine\n"
              "  metadata: {name: web}\n  spec:\n    template:\n      metadata:\n        labels: *hooks\n")
    findings = lint_text(listed, select=("VM004",))
    assert where_of(findings) == [("VM004", 8, 5, 5 + len(CMD))]  # the alias's node, written in the ConfigMap
    assert findings[0].message.startswith(f"{CMD} under spec.template.metadata.labels {LAUNCHER}")
