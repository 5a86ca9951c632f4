"""VM201, VM202, VM203: placeholders, and virt-freezer's --name and --namespace against the object."""

from __future__ import annotations

import pytest
from helpers import FREEZE, OVERWRITTEN, UNFREEZE, lint_text, vm_with, where

SELECT = ("VM201", "VM202", "VM203")

PRE = "pre.hook.backup.velero.io/command"
POST = "post.hook.backup.velero.io/command"
POST_OK = f"{POST}: {UNFREEZE}"
COLUMN = 9 + len(PRE) + 2 + 1  # first character inside the quotes of a pre command value


def freeze(*args: str) -> str:
    return f"{PRE}: '" + '["/usr/bin/virt-freezer", "--freeze", ' + ", ".join(f'"{a}"' for a in args) + "]'"


def col_of(line: str, text: str) -> int:
    return 9 + line.index(text)


@pytest.mark.parametrize(
    "placeholder",
    ["<VM Name>", "<vm-name>", "[VM Name]", "${VM_NAME}", "$(VM_NAME)", "{{ vm_name }}", "REPLACE_ME",
     "CHANGEME", "your-vm-name"],
)
def test_placeholders_in_hook_commands(placeholder: str) -> None:
    line = freeze("--name", placeholder, "--namespace", "prod")
    findings = lint_text(vm_with(line, POST_OK), select=SELECT)
    assert where(findings) == [("VM201", 10, col_of(line, placeholder))]
    assert findings[0].message == (
        f"{PRE} still contains the placeholder {placeholder!r}: it is passed literally, so the hook fails"
        + OVERWRITTEN
    )


def test_hint_offers_the_objects_own_values() -> None:
    line = freeze("--namespace", "<VM Namespace>", "--name", "<VM Name>")
    findings = lint_text(vm_with(line, POST_OK), select=SELECT)
    assert [f.hint for f in findings] == [
        "replace <VM Namespace> with the VirtualMachine's namespace: prod",
        "replace <VM Name> with the VirtualMachine's name: web",
    ]


def test_no_hint_when_the_object_has_no_namespace() -> None:
    line = freeze("--namespace", "<VM Namespace>", "--name", "web")
    findings = lint_text(vm_with(line, POST_OK.replace("prod", "x"), namespace=None), select=SELECT)
    assert [(f.code, f.hint) for f in findings] == [("VM201", None)]


def test_shell_expansions_inside_sh_c_scripts_are_the_shells_business() -> None:
    script = '["/bin/sh", "-c", "virt-freezer --freeze --name web --namespace ${POD_NAMESPACE} || true"]'
    line = f"{PRE}: '{script}'"
    assert lint_text(vm_with(line, POST_OK), select=SELECT) == []
    braces = '["/bin/bash", "-ec", "virt-freezer --freeze --name {{ name }} --namespace prod"]'
    findings = lint_text(vm_with(f"{PRE}: '{braces}'", POST_OK), select=SELECT)
    assert [f.code for f in findings] == ["VM201"]


def test_placeholders_in_other_hook_values_and_metadata() -> None:
    text = vm_with(f"{PRE}: {FREEZE}", POST_OK, "pre.hook.backup.velero.io/container: <container>", name="<VM Name>")
    findings = lint_text(text, select=SELECT)
    assert where(findings) == [("VM201", 4, 9), ("VM201", 12, 46)]
    assert findings[0].message == (
        "metadata.name is the placeholder '<VM Name>': replace it with the VirtualMachine's real name "
        "(as written, the object is not valid)"
    )


def test_name_mismatch_points_at_the_value() -> None:
    line = freeze("--name", "web-old", "--namespace", "prod")
    findings = lint_text(vm_with(line, POST_OK), select=SELECT)
    assert where(findings) == [("VM202", 10, col_of(line, "web-old"))]
    assert findings[0].end_column - findings[0].column == len("web-old")
    assert findings[0].message == (
        "virt-freezer --name is 'web-old' but the VMI's name is 'web' (the VirtualMachine's metadata.name): "
        "virt-freezer looks for a domain that does not exist and the freeze fails" + OVERWRITTEN
    )
    assert findings[0].hint == "use --name web"


def test_equals_form_and_the_last_repeat_count() -> None:
    line = freeze("--name=web-old", "--name", "web", "--namespace=dev")
    findings = lint_text(vm_with(line, POST_OK), select=SELECT)
    assert where(findings) == [("VM203", 10, col_of(line, "dev"))]


def test_a_flag_that_swallows_the_next_flag_is_not_a_name() -> None:
    line = freeze("--name", "--namespace", "prod")
    assert [f.code for f in lint_text(vm_with(line, POST_OK), select=SELECT)] == ["VM202"]


def test_placeholders_are_not_reported_twice() -> None:
    line = freeze("--name", "<VM Name>", "--namespace", "<VM Namespace>")
    assert [f.code for f in lint_text(vm_with(line, POST_OK), select=SELECT)] == ["VM201", "VM201"]


def test_shell_wrapped_freezer_is_checked_but_shell_variables_are_not() -> None:
    script = '["/bin/sh", "-c", "/usr/bin/virt-freezer --freeze --name other --namespace $NS; exit 0"]'
    line = f"{PRE}: '{script}'"
    findings = lint_text(vm_with(line, POST_OK), select=SELECT)
    assert where(findings) == [("VM202", 10, col_of(line, "other"))]


def test_namespace_from_the_command_line_when_the_manifest_has_none() -> None:
    line = freeze("--name", "web", "--namespace", "prod")
    text = vm_with(line, POST_OK, namespace=None)
    assert lint_text(text, select=SELECT) == []
    assert lint_text(text, namespace="prod", select=SELECT) == []
    findings = lint_text(text, namespace="staging", select=SELECT)
    assert [f.code for f in findings] == ["VM203", "VM203"]
    assert "(--namespace on the command line)" in findings[0].message


def test_the_manifests_namespace_wins_over_the_command_line() -> None:
    text = vm_with(freeze("--name", "web", "--namespace", "prod"), POST_OK)
    assert lint_text(text, namespace="staging", select=SELECT) == []


def test_vmi_names_come_from_its_own_metadata() -> None:
    text = (
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: cache\n  namespace: edge\n"
        "  annotations:\n"
        f"    {PRE}: '[\"/usr/bin/virt-freezer\", \"--freeze\", \"--name\", \"cache\", \"--namespace\", \"edge\"]'\n"
    )
    assert lint_text(text, select=SELECT) == []
