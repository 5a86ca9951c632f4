"""VM102, VM103, VM104: hook commands as Velero's parseStringToCommand reads them."""

from __future__ import annotations

import pytest
from helpers import FREEZE, OVERWRITTEN, UNFREEZE, lint_text, vm_with, where

SELECT = ("VM102", "VM103", "VM104")

PRE = "pre.hook.backup.velero.io/command"
POST_OK = f"post.hook.backup.velero.io/command: {UNFREEZE}"
VALUE_COLUMN = 9 + len(PRE) + 2  # column of the opening quote of the value


def _codes(findings, prefix="VM1"):
    return [(code, line, col) for code, line, col in where(findings) if code.startswith(prefix)]


def test_the_harvester_recipe_missing_bracket_points_at_the_end_of_the_value() -> None:
    value = '\'["/usr/bin/virt-freezer", "--freeze", "--namespace", "prod", "--name", "web"\''
    findings = lint_text(vm_with(f"{PRE}: {value}", POST_OK), select=SELECT)
    [finding] = [f for f in findings if f.code == "VM102"]
    assert (finding.line, finding.column) == (10, VALUE_COLUMN + len(value) - 2)  # the last `"` inside the quotes
    assert finding.message == (
        "pre.hook.backup.velero.io/command starts with `[` but is not a JSON array of strings "
        "(unexpected end of JSON input): Velero runs the whole value as one program name, so the hook fails"
        + OVERWRITTEN
    )
    assert finding.hint == (
        'add the closing ]: ["/usr/bin/virt-freezer", "--freeze", "--namespace", "prod", "--name", "web"]'
    )


@pytest.mark.parametrize(
    ("value", "offset", "error", "hint_start"),
    [
        ("'[\"a\", \"b\",]'", 10, "invalid character ']' looking for beginning of value", "remove the comma"),
        ("\"['/usr/bin/virt-freezer']\"", 1, "invalid character '\\'' looking for beginning of value",
         "JSON strings use double quotes"),
        ("'[“/usr/bin/virt-freezer”]'", 1, "invalid character 'â' looking for beginning of value",
         "replace the typographic quotes"),
        ("'[\"a\"] x'", 6, "invalid character 'x' after top-level value", "write a JSON array"),
        ("'[\"a\"][\"b\"]'", 5, "invalid character '[' after top-level value", "write a JSON array"),
        ("'[\"a\", 30]'", 6, "json: cannot unmarshal number into Go value of type string", "every element"),
        ("'[[\"a\"]]'", 1, "json: cannot unmarshal array into Go value of type string", "every element"),
        ("'[NaN]'", 1, "invalid character 'N' looking for beginning of value", "write a JSON array"),
        ("'[\"a\" \"b\"]'", 5, "invalid character '\"' after array element", "write a JSON array"),
    ],
)
def test_invalid_json_is_reported_at_the_offending_character(value, offset, error, hint_start) -> None:
    findings = lint_text(vm_with(f"{PRE}: {value}", POST_OK), select=SELECT)
    [finding] = [f for f in findings if f.code == "VM102"]
    assert (finding.line, finding.column) == (10, VALUE_COLUMN + 1 + offset)
    assert f"({error})" in finding.message
    assert finding.hint.startswith(hint_start)


def test_positions_account_for_escapes_in_double_quoted_values() -> None:
    value = r'"[\"a\", \u0022b\", 1]"'
    findings = lint_text(vm_with(f"{PRE}: {value}", POST_OK), select=SELECT)
    [finding] = [f for f in findings if f.code == "VM102"]
    # the offending element 1 stands after `[\"a\", \u0022b\", ` in the source
    assert finding.column == VALUE_COLUMN + value.index("1")


def test_valid_json_in_every_yaml_style_is_clean() -> None:
    literal = ["|", '  ["/usr/bin/virt-freezer", "--freeze",', '   "--name", "web", "--namespace", "prod"]']
    folded_key = f"{PRE}: >-"
    cases = [
        vm_with(f"{PRE}: {FREEZE}", POST_OK),
        vm_with(f"{PRE}: " + literal[0], *("  " + line for line in literal[1:]), POST_OK),
        vm_with(folded_key, '  ["/usr/bin/virt-freezer", "--freeze",', '  "--name", "web", "--namespace", "prod"]', POST_OK),
        vm_with(f'{PRE}: "[\\"/usr/bin/virt-freezer\\", \\"--freeze\\", \\"--name\\", \\"web\\", \\"--namespace\\", \\"prod\\"]  "', POST_OK),
    ]
    for text in cases:
        assert _codes(lint_text(text, select=SELECT)) == [], text


def test_leading_whitespace_before_the_bracket() -> None:
    findings = lint_text(vm_with(f"{PRE}: ' {FREEZE[1:]}", POST_OK), select=SELECT)
    [finding] = [f for f in findings if f.code == "VM103"]
    assert (finding.line, finding.column, finding.end_column) == (10, VALUE_COLUMN + 1, VALUE_COLUMN + 2)
    assert "whitespace before `[`" in finding.message
    assert finding.hint == "remove the leading whitespace: " + FREEZE[1:-1]


def test_plain_string_with_spaces_gets_the_argv_it_meant() -> None:
    findings = lint_text(vm_with(f"{PRE}: /usr/bin/virt-freezer --freeze --name web --namespace prod", POST_OK), select=SELECT)
    [finding] = [f for f in findings if f.code == "VM103"]
    assert (finding.line, finding.column) == (10, VALUE_COLUMN)
    assert finding.message == (
        "pre.hook.backup.velero.io/command is a plain string with spaces: Velero does not split it and runs "
        "'/usr/bin/virt-freezer --freeze --name web --namespace prod' as one program name, which does not exist"
        + OVERWRITTEN
    )
    assert finding.hint == 'write it as a JSON array: ["/usr/bin/virt-freezer", "--freeze", "--name", "web", "--namespace", "prod"]'


def test_a_single_program_without_spaces_is_a_valid_command() -> None:
    assert _codes(lint_text(vm_with(f"{PRE}: /scripts/freeze.sh", POST_OK), select=SELECT)) == []


@pytest.mark.parametrize(
    ("value", "offset", "message_part"),
    [
        ("'[]'", 0, "is an empty array: Velero fails the hook with \"command is required\""),
        ("'[null]'", 1, "the program name of pre.hook.backup.velero.io/command is null"),
        ("'[\"/usr/bin/virt-freezer\", null]'", 26, "element 2 of pre.hook.backup.velero.io/command is null"),
        ("'[\"\"]'", 1, "has an empty program name"),
        ("'[\"  \", \"--freeze\"]'", 1, "has an empty program name"),
    ],
)
def test_empty_commands(value, offset, message_part) -> None:
    findings = lint_text(vm_with(f"{PRE}: {value}", POST_OK), select=SELECT)
    assert [f.code for f in findings] == ["VM104"]
    assert (findings[0].line, findings[0].column) == (10, VALUE_COLUMN + 1 + offset)
    assert message_part in findings[0].message


def test_empty_string_command_means_no_hook() -> None:
    findings = lint_text(vm_with(f"{PRE}: ''", POST_OK), select=SELECT)
    assert where(findings) == [("VM104", 10, VALUE_COLUMN)]
    assert "treats an empty command as no annotation hook" in findings[0].message


def test_an_empty_restore_command_falls_back_to_the_restores_hooks() -> None:
    """Issue #15 item 6: an empty post.hook.restore.velero.io/command is no annotation hook, so the Restore's
    spec.hooks apply (GroupRestoreExecHooks), not the Backup's."""
    key = "post.hook.restore.velero.io/command"
    findings = lint_text(vm_with(f"{key}: ''"), select=("VM104",))
    assert where(findings) == [("VM104", 10, 9 + len(key) + 2)]
    assert findings[0].message == (
        f"{key} is empty: Velero treats an empty command as no annotation hook and falls back to the Restore's own hooks"
    )
    backup = lint_text(vm_with(f"{PRE}: ''", POST_OK), select=("VM104",))
    assert backup[0].message.startswith(f"{PRE} is empty: Velero treats an empty command as no annotation hook and "
                                        "falls back to the Backup's own hooks")


def test_every_command_key_is_checked_including_restore_and_legacy_keys() -> None:
    keys = [
        "hook.backup.velero.io/command",
        "post.hook.backup.velero.io/command",
        "post.hook.restore.velero.io/command",
        "init.hook.restore.velero.io/command",
    ]
    text = vm_with(*(f"{key}: '[\"a\",]'" for key in keys))
    assert [f.code for f in lint_text(text, select=SELECT)] == ["VM102"] * 4


def test_vmi_annotations_are_pod_bound() -> None:
    text = (
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: web\n  annotations:\n"
        f"    {PRE}: '[\"a\",]'\n"
    )
    assert where(lint_text(text, select=SELECT)) == [("VM102", 6, 5 + len(PRE) + 2 + 6)]


def test_other_api_groups_with_the_same_kind_are_not_ours() -> None:
    text = vm_with(f"{PRE}: '[\"a\",]'").replace("kubevirt.io/v1", "virtualization.deckhouse.io/v1alpha2")
    assert lint_text(text, select=SELECT) == []


def test_a_command_kubevirt_overwrites_keeps_its_severity_and_says_so() -> None:
    """Dead today, live once someone opts out: the finding stays an error and the message tells both."""
    bad = f"{PRE}: '[\"a\",]'"
    [injected] = lint_text(vm_with(bad, POST_OK), select=SELECT)
    assert injected.message.endswith(OVERWRITTEN) and str(injected.severity) == "error"
    skipped = vm_with(bad, POST_OK).replace("  namespace: prod\n", "  namespace: prod\n  annotations: {kubevirt.io/skip-backup-hooks: 'true'}\n")
    [live] = lint_text(skipped, select=SELECT)
    assert live.message == injected.message[: -len(OVERWRITTEN)]
    restore = vm_with("post.hook.restore.velero.io/command: '[\"a\",]'")
    assert not lint_text(restore, select=SELECT)[0].message.endswith(OVERWRITTEN)
