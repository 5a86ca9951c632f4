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
