"""VM105, VM106, VM113: on-error values, hook durations and booleans as Velero and KubeVirt parse them."""

from __future__ import annotations

import pytest
from helpers import FREEZE, UNFREEZE, lint_text, vm_with, where

from lint.core.catalogue import builtin_catalogue
from lint.core.findings import Finding, Severity
from lint.run.discovery import InputFile
from lint.run.engine import run, select_rules
from lint.target.settings import Settings
from lint.target.versions import KubeVirt, Velero, parse_version

PRE_OK = f"pre.hook.backup.velero.io/command: {FREEZE}"
POST_OK = f"post.hook.backup.velero.io/command: {UNFREEZE}"
MINE = ("VM105", "VM106", "VM113")
LINE = 12  # the line of the third annotation of vm_with(PRE_OK, POST_OK, …)

CONTINUES = 'then goes on as with Continue: a hook error is logged and the backup continues, ending PartiallyFailed'
PRE_FAILS = "then acts as with Fail: if the hook fails, the pod is not backed up"
POST_FAILS = "then acts as with Fail: a hook error becomes an error of the pod's backup"
RESTORE_CONTINUES = "then goes on as with Continue: a hook error is logged and the restore continues"
DEFAULT_30S = "Velero logs a warning and uses its 30s default"
ZERO = 'Velero treats a zero timeout as unset and uses its 30s default, not "no timeout"'
NEGATIVE = "Velero arms no timer for a negative timeout, so it waits for the hook forever"
WAIT_READ_AS_ZERO = "Velero logs a warning and reads it as 0, so it waits for the container indefinitely"
WAIT_NEGATIVE = "Velero waits for the container indefinitely, as with 0"
NOT_READY = "Velero logs a warning and reads it as false, so it waits for the container to be Running, not Ready"
INJECTS_ANYWAY = "KubeVirt ignores the parse error and reads it as false, so it injects its freeze hooks anyway"


def lint_at(
    text: str, kubevirt: str = "1.9.0", velero: str = "1.18.1", select: tuple[str, ...] = MINE
) -> list[Finding]:
    """Lint against a given KubeVirt and Velero, as tests/helpers.py lint_result does for the defaults."""
    settings = Settings(kubevirt=KubeVirt(parse_version(kubevirt)), velero=Velero(parse_version(velero)))
    rules = select_rules(builtin_catalogue(), select)
    result = run([InputFile("test.yaml", None, text.encode("utf-8"))], rules, settings)
    assert not result.errors, result.errors
    return result.findings


def written(key: str, hint: str) -> str:
    """A VM105/VM106 hint says the line to write (issue #15 item 5); general advice stays as it is."""
    if hint == "use Fail or Continue":
        return f"write {key}: Fail or {key}: Continue"
    return hint if hint.startswith("write ") else f"{key}: {hint}"


def one_line(line: str, **versions: str) -> list[Finding]:
    """A VM with both freezer commands and one more annotation at line 12."""
    return lint_at(vm_with(PRE_OK, POST_OK, line), **versions)


def value_column(key: str) -> int:
    return 9 + len(key) + 2


def with_vm_annotations(text: str, *lines: str) -> str:
    """Add the VirtualMachine's own metadata.annotations (two lines more before the template's)."""
    block = "  annotations:\n" + "".join(f"    {line}\n" for line in lines)
    return text.replace("  namespace: prod\n", "  namespace: prod\n" + block, 1)


# --- VM105 invalid-on-error ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "effect"),
    [
        ("pre.hook.backup.velero.io/on-error", CONTINUES),
        ("post.hook.backup.velero.io/on-error", CONTINUES),
        ("hook.backup.velero.io/on-error", CONTINUES),
        ("post.hook.restore.velero.io/on-error", RESTORE_CONTINUES),
    ],
)
def test_every_on_error_key_is_checked(key: str, effect: str) -> None:
    findings = one_line(f"{key}: fail")
    assert where(findings) == [("VM105", LINE, value_column(key))]
    finding = findings[0]
    assert finding.severity == Severity.ERROR
    assert finding.rule == "invalid-on-error"
    assert finding.message == (
        f'{key} is "fail", not Fail or Continue: Velero silently replaces it with "" and {effect} (Velero 1.18.1)'
    )
    assert finding.hint == f"{key}: Fail"  # what to write, key and all (issue #15 item 5)


@pytest.mark.parametrize(
    ("value", "shown", "hint"),
    [
        ("fail", '"fail"', "Fail"),
        ("FAIL", '"FAIL"', "Fail"),
        ("' Fail'", '" Fail"', "Fail"),
        ("'Fail '", '"Fail "', "Fail"),
        ("continue", '"continue"', "Continue"),
        ("CONTINUE", '"CONTINUE"', "Continue"),
        ("' continue'", '" continue"', "Continue"),
        ("Abort", '"Abort"', "use Fail or Continue"),
        ("Failed", '"Failed"', "use Fail or Continue"),
        ("Ignore", '"Ignore"', "use Fail or Continue"),
    ],
)
def test_case_and_spacing_variants_get_the_intended_spelling(value: str, shown: str, hint: str) -> None:
    key = "pre.hook.backup.velero.io/on-error"
    findings = one_line(f"{key}: {value}")
    assert where(findings) == [("VM105", LINE, value_column(key))]  # the value, opening quote included
    assert findings[0].message.startswith(f"{key} is {shown}, not Fail or Continue: ")
    assert findings[0].hint == written(key, hint)


@pytest.mark.parametrize("value", ["Fail", "Continue", "'Fail'", '"Continue"'])
def test_exact_values_pass(value: str) -> None:
    assert one_line(f"pre.hook.backup.velero.io/on-error: {value}") == []
    assert one_line(f"post.hook.restore.velero.io/on-error: {value}") == []


def test_an_empty_on_error_is_unset() -> None:
    key = "post.hook.backup.velero.io/on-error"
    findings = one_line(f"{key}: ''")
    assert where(findings) == [("VM105", LINE, value_column(key))]
    assert findings[0].message == f"{key} is empty: Velero treats it as unset and {CONTINUES} (Velero 1.18.1)"
    assert findings[0].hint == f"write {key}: Fail or {key}: Continue"


@pytest.mark.parametrize(
    ("velero", "pre_effect", "post_effect"),
    [
        ("1.8.0", PRE_FAILS, POST_FAILS),
        ("1.8.2", PRE_FAILS, POST_FAILS),
        ("1.7.0", PRE_FAILS, POST_FAILS),
        ("1.9.0", CONTINUES, CONTINUES),
        ("1.12.3", CONTINUES, CONTINUES),
    ],
)
def test_what_an_invalid_on_error_does_depends_on_the_velero_version(velero, pre_effect, post_effect) -> None:
    text = vm_with(
        PRE_OK,
        POST_OK,
        "pre.hook.backup.velero.io/on-error: continue",
        "post.hook.backup.velero.io/on-error: FAIL",
        "hook.backup.velero.io/on-error: Skip",
        "post.hook.restore.velero.io/on-error: fail",
    )
    findings = lint_at(text, velero=velero)
    assert where(findings) == [("VM105", 12, 45), ("VM105", 13, 46), ("VM105", 14, 41), ("VM105", 15, 47)]
    replaced = 'not Fail or Continue: Velero silently replaces it with "" and'
    assert [f.message for f in findings] == [
        f'pre.hook.backup.velero.io/on-error is "continue", {replaced} {pre_effect} (Velero {velero})',
        f'post.hook.backup.velero.io/on-error is "FAIL", {replaced} {post_effect} (Velero {velero})',
        f'hook.backup.velero.io/on-error is "Skip", {replaced} {pre_effect} (Velero {velero})',
        # restore hooks cancel only on Fail, in every version
        f'post.hook.restore.velero.io/on-error is "fail", {replaced} {RESTORE_CONTINUES} (Velero {velero})',
    ]
    assert [f.hint for f in findings] == [
        "pre.hook.backup.velero.io/on-error: Continue",
        "post.hook.backup.velero.io/on-error: Fail",
        "write hook.backup.velero.io/on-error: Fail or hook.backup.velero.io/on-error: Continue",
        "post.hook.restore.velero.io/on-error: Fail",
    ]


def test_on_error_in_a_misplaced_map_is_still_checked() -> None:
    text = with_vm_annotations(vm_with(PRE_OK, POST_OK), "pre.hook.backup.velero.io/on-error: fail")
    findings = lint_at(text, select=("VM004", "VM105"))
    assert where(findings) == [("VM004", 7, 5), ("VM105", 7, 41)]


# --- VM106 invalid-duration ----------------------------------------------------------------------------------

POST_TIMEOUT = "post.hook.backup.velero.io/timeout"


@pytest.mark.parametrize(
    ("value", "shown", "error", "hint"),
    [
        ("'30'", '"30"', 'time: missing unit in duration "30"', "30s"),
        ("'1.5'", '"1.5"', 'time: missing unit in duration "1.5"', "1.5s"),
        ("1d", '"1d"', 'time: unknown unit "d" in duration "1d"', "24h"),
        ("60 s", '"60 s"', 'time: unknown unit " s" in duration "60 s"', "60s"),
        ("60S", '"60S"', 'time: unknown unit "S" in duration "60S"', "60s"),
        ("' 60s'", '" 60s"', 'time: invalid duration " 60s"', "60s"),
        ("''", '""', 'time: invalid duration ""', "write a Go duration with a unit, for example 30s, 1m30s or 2h"),
        ("soon", '"soon"', 'time: invalid duration "soon"',
         "write a Go duration with a unit, for example 30s, 1m30s or 2h"),
    ],
)
def test_values_go_rejects_fall_back_to_the_30s_default(value, shown, error, hint) -> None:
    findings = one_line(f"{POST_TIMEOUT}: {value}")
    assert where(findings) == [("VM106", LINE, value_column(POST_TIMEOUT))]
    finding = findings[0]
    assert finding.severity == Severity.ERROR
    assert finding.rule == "invalid-duration"
    assert finding.message == f"{POST_TIMEOUT} is {shown}, which is not a Go duration ({error}): {DEFAULT_30S}"
    assert finding.hint == written(POST_TIMEOUT, hint)


def test_a_negative_timeout_waits_forever() -> None:
    findings = one_line(f"{POST_TIMEOUT}: -5s")
    assert where(findings) == [("VM106", LINE, value_column(POST_TIMEOUT))]
    assert findings[0].severity == Severity.ERROR
    assert findings[0].message == f'{POST_TIMEOUT} is negative ("-5s"): {NEGATIVE}'
    assert findings[0].hint == f"{POST_TIMEOUT}: 5s"


@pytest.mark.parametrize(("value", "shown"), [("'0'", '"0"'), ("0s", '"0s"'), ("'-0'", '"-0"'), ("0m0s", '"0m0s"')])
def test_a_zero_timeout_is_the_default_not_no_timeout(value: str, shown: str) -> None:
    findings = one_line(f"{POST_TIMEOUT}: {value}")
    assert where(findings) == [("VM106", LINE, value_column(POST_TIMEOUT))]
    assert findings[0].severity == Severity.WARNING
    assert findings[0].message == f"{POST_TIMEOUT} is {shown}: {ZERO}"
    assert findings[0].hint == f"{POST_TIMEOUT}: 30s"


@pytest.mark.parametrize("value", ["1.5m", "+10s", "300ms", "30s", "1m30s", "1h", "5m0s", ".5s", "2us", "1µs"])
def test_valid_durations_pass(value: str) -> None:
    assert one_line(f"{POST_TIMEOUT}: {value}") == []


def _note(kubevirt: str) -> str:
    return f' (overwritten by KubeVirt {kubevirt} today; live again once kubevirt.io/skip-backup-hooks is "true")'


def _upgrade_note(kubevirt: str) -> str:
    return (
        f" (overwritten by KubeVirt {kubevirt} today, which does not read kubevirt.io/skip-backup-hooks: the value "
        'becomes live only after an upgrade to 1.6.6, 1.7.3, 1.8.0 or later with kubevirt.io/skip-backup-hooks "true")'
    )


@pytest.mark.parametrize(
    ("kubevirt", "note"),
    [
        ("1.6.3", ""),  # no timeout injected yet: the value is live
        ("1.7.1", ""),
        ("1.6.4", _upgrade_note("1.6.4")),  # injects 60s, cannot be told to skip
        ("1.7.2", _upgrade_note("1.7.2")),
        ("1.6.6", _note("1.6.6")),
        ("1.8.0", _note("1.8.0")),
        ("1.9.0", _note("1.9.0")),
    ],
)
def test_the_pre_timeout_is_judged_with_the_same_severity_where_kubevirt_overwrites_it(kubevirt: str, note: str) -> None:
    """Issue #15 item 3: a broken value never hides behind today's injected 60s (VM301 reports the override)."""
    key = "pre.hook.backup.velero.io/timeout"
    findings = one_line(f"{key}: '30'", kubevirt=kubevirt)
    assert where(findings) == [("VM106", LINE, value_column(key))]
    assert findings[0].severity == Severity.ERROR
    assert findings[0].message == (
        f'{key} is "30", which is not a Go duration (time: missing unit in duration "30"): {DEFAULT_30S}{note}'
    )


def test_an_overwritten_zero_or_negative_pre_timeout_keeps_its_severity_and_says_so() -> None:
    key = "pre.hook.backup.velero.io/timeout"
    zero, negative = one_line(f"{key}: 0s"), one_line(f"{key}: -5s")
    assert [(f.line, f.column, f.severity, f.message) for f in zero] == [
        (LINE, value_column(key), Severity.WARNING, f'{key} is "0s": {ZERO}{_note("1.9.0")}')
    ]
    assert [(f.line, f.column, f.severity, f.message) for f in negative] == [
        (LINE, value_column(key), Severity.ERROR, f'{key} is negative ("-5s"): {NEGATIVE}{_note("1.9.0")}')
    ]


def test_the_pre_timeout_is_judged_without_a_note_when_kubevirt_hooks_are_skipped() -> None:
    key = "pre.hook.backup.velero.io/timeout"
    text = with_vm_annotations(vm_with(PRE_OK, POST_OK, f"{key}: '30'"), 'kubevirt.io/skip-backup-hooks: "true"')
    findings = lint_at(text, kubevirt="1.8.0")
    assert where(findings) == [("VM106", LINE + 2, value_column(key))]
    assert findings[0].message.endswith("(time: missing unit in duration \"30\"): " + DEFAULT_30S)


def test_skip_hooks_before_kubevirt_honours_it_leaves_the_pre_timeout_waiting_for_an_upgrade() -> None:
    text = with_vm_annotations(
        vm_with(PRE_OK, POST_OK, "pre.hook.backup.velero.io/timeout: '30'"), 'kubevirt.io/skip-backup-hooks: "true"'
    )
    findings = lint_at(text, kubevirt="1.7.2")  # 1.7.2 injects the 60s timeout but ignores the annotation
    assert where(findings) == [("VM106", LINE + 2, value_column("pre.hook.backup.velero.io/timeout"))]
    assert findings[0].message.endswith(_upgrade_note("1.7.2"))


def test_a_misplaced_pre_timeout_carries_no_overwritten_note() -> None:
    key = "pre.hook.backup.velero.io/timeout"
    findings = lint_at(with_vm_annotations(vm_with(PRE_OK, POST_OK), f"{key}: '30'"))
    assert where(findings) == [("VM106", 7, 5 + len(key) + 2)]  # metadata.annotations, line 7
    assert findings[0].message.endswith(DEFAULT_30S)


def test_the_bare_and_post_timeouts_are_never_overwritten() -> None:
    text = vm_with(PRE_OK, POST_OK, "hook.backup.velero.io/timeout: 1d", f"{POST_TIMEOUT}: 1d")
    findings = lint_at(text, kubevirt="1.8.0")
    assert where(findings) == [("VM106", 12, 40), ("VM106", 13, 45)]


EXEC_TIMEOUT = "post.hook.restore.velero.io/exec-timeout"
WAIT_TIMEOUT = "post.hook.restore.velero.io/wait-timeout"


@pytest.mark.parametrize(
    ("value", "severity", "message", "hint"),
    [
        ("'30'", Severity.ERROR,
         f'{EXEC_TIMEOUT} is "30", which is not a Go duration (time: missing unit in duration "30"): {DEFAULT_30S}',
         "30s"),
        ("2M", Severity.ERROR,
         f'{EXEC_TIMEOUT} is "2M", which is not a Go duration (time: unknown unit "M" in duration "2M"): {DEFAULT_30S}',
         "2m"),
        ("-1m", Severity.ERROR, f'{EXEC_TIMEOUT} is negative ("-1m"): {NEGATIVE}', "1m"),
        ("0s", Severity.WARNING, f'{EXEC_TIMEOUT} is "0s": {ZERO}', "30s"),
    ],
)
def test_exec_timeout(value: str, severity: Severity, message: str, hint: str) -> None:
    findings = one_line(f"{EXEC_TIMEOUT}: {value}")
    assert where(findings) == [("VM106", LINE, value_column(EXEC_TIMEOUT))]
    assert (findings[0].severity, findings[0].message, findings[0].hint) == (severity, message,
                                                                             f"{EXEC_TIMEOUT}: {hint}")


@pytest.mark.parametrize(
    ("value", "severity", "message", "hint"),
    [
        ("'300'", Severity.ERROR,
         f'{WAIT_TIMEOUT} is "300", which is not a Go duration (time: missing unit in duration "300"): '
         + WAIT_READ_AS_ZERO,
         "300s"),
        ("1d", Severity.ERROR,
         f'{WAIT_TIMEOUT} is "1d", which is not a Go duration (time: unknown unit "d" in duration "1d"): '
         + WAIT_READ_AS_ZERO,
         "24h"),
        ("-5m", Severity.WARNING, f'{WAIT_TIMEOUT} is negative ("-5m"): {WAIT_NEGATIVE}',
         "5m, or 0 to wait indefinitely"),
    ],
)
def test_wait_timeout(value: str, severity: Severity, message: str, hint: str) -> None:
    findings = one_line(f"{WAIT_TIMEOUT}: {value}")
    assert where(findings) == [("VM106", LINE, value_column(WAIT_TIMEOUT))]
    assert (findings[0].severity, findings[0].message, findings[0].hint) == (severity, message,
                                                                             f"{WAIT_TIMEOUT}: {hint}")


@pytest.mark.parametrize("value", ["'0'", "0s", "10m", "+1h"])
def test_a_zero_wait_timeout_explicitly_waits_indefinitely(value: str) -> None:
    assert one_line(f"{WAIT_TIMEOUT}: {value}") == []


def test_a_valid_exec_timeout_passes() -> None:
    assert one_line(f"{EXEC_TIMEOUT}: 45s") == []


# --- VM113 invalid-bool --------------------------------------------------------------------------------------

WAIT_FOR_READY = "post.hook.restore.velero.io/wait-for-ready"
SKIP = "kubevirt.io/skip-backup-hooks"


@pytest.mark.parametrize(
    ("value", "shown", "hint"),
    [
        ("'yes'", '"yes"', '"true"'),
        ("'on'", '"on"', '"true"'),
        ("enabled", '"enabled"', '"true"'),
        ("' true'", '" true"', '"true"'),
        ("tRUE", '"tRUE"', '"true"'),
        ("'no'", '"no"', '"false"'),
        ("'off'", '"off"', '"false"'),
        ("disabled", '"disabled"', '"false"'),
        ("'false '", '"false "', '"false"'),
        ("''", '""', "true or false"),
        ("maybe", '"maybe"', "true or false"),
    ],
)
def test_wait_for_ready_values_go_rejects_mean_false(value: str, shown: str, hint: str) -> None:
    findings = one_line(f"{WAIT_FOR_READY}: {value}")
    assert where(findings) == [("VM113", LINE, value_column(WAIT_FOR_READY))]
    finding = findings[0]
    assert finding.severity == Severity.WARNING
    assert finding.rule == "invalid-bool"
    assert finding.message == f"{WAIT_FOR_READY} is {shown}, which Go's strconv.ParseBool rejects: {NOT_READY}"
    assert finding.hint == hint


@pytest.mark.parametrize("value", ["'true'", "'True'", "'TRUE'", "'1'", "'t'", "'T'", "'false'", "'F'", "'0'"])
def test_every_spelling_parse_bool_accepts_passes(value: str) -> None:
    assert one_line(f"{WAIT_FOR_READY}: {value}") == []
    assert lint_at(with_vm_annotations(vm_with(PRE_OK, POST_OK), f"{SKIP}: {value}")) == []


def test_an_unparsable_skip_annotation_leaves_kubevirt_injecting() -> None:
    findings = lint_at(with_vm_annotations(vm_with(PRE_OK, POST_OK), f"{SKIP}: 'yes'"))
    assert where(findings) == [("VM113", 7, 36)]
    assert findings[0].message == f'{SKIP} is "yes", which Go\'s strconv.ParseBool rejects: {INJECTS_ANYWAY}'
    assert findings[0].hint == '"true"'


def test_a_skip_annotation_kubevirt_does_not_read_yet_says_so() -> None:
    findings = lint_at(with_vm_annotations(vm_with(PRE_OK, POST_OK), f"{SKIP}: 'on'"), kubevirt="1.6.3")
    assert where(findings) == [("VM113", 7, 36)]
    assert findings[0].message == (
        f'{SKIP} is "on", which Go\'s strconv.ParseBool rejects: KubeVirt 1.6.3 does not read this annotation at '
        "all, and the versions that do (1.6.6, 1.7.3, 1.8.0 and later) read it as false, so they inject their "
        "freeze hooks anyway"
    )


def test_the_skip_annotation_is_checked_in_every_annotation_map() -> None:
    text = with_vm_annotations(vm_with(PRE_OK, POST_OK, f"{SKIP}: enabled"), f"{SKIP}: 'yes'")
    findings = lint_at(text)
    assert where(findings) == [("VM113", 7, 36), ("VM113", LINE + 2, 40)]


def test_a_vmi_skip_annotation_is_reported_once() -> None:
    text = (
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: web\n  namespace: prod\n"
        "  annotations:\n"
        f"    {SKIP}: enabled\n"
        f"    {PRE_OK}\n"
        f"    {POST_OK}\n"
    )
    findings = lint_at(text)  # metadata.annotations is both the pod-bound map and where the skip takes effect
    assert where(findings) == [("VM113", 7, 36)]


def test_a_skip_annotation_shared_through_an_alias_is_reported_once_per_map_entry() -> None:
    text = (
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: web\n  namespace: prod\n"
        "  annotations: &notes\n"
        f"    {SKIP}: enabled\n"
        "spec:\n"
        "  annotations: *notes\n"
    )
    assert where(lint_at(text)) == [("VM113", 7, 36)]


# --- values that are not strings belong to VM003 -------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "pre.hook.backup.velero.io/timeout: 30",
        f"{POST_TIMEOUT}: 30",
        f"{EXEC_TIMEOUT}: 0",
        f"{WAIT_TIMEOUT}: -5",
        "pre.hook.backup.velero.io/on-error: true",
        "post.hook.backup.velero.io/on-error: 1",
        f"{WAIT_FOR_READY}: yes",
        f"{WAIT_FOR_READY}: on",
        f"{WAIT_FOR_READY}: 2",
        f"{POST_TIMEOUT}: ['30s']",
    ],
)
def test_non_string_values_are_left_to_vm003(line: str) -> None:
    findings = lint_text(vm_with(PRE_OK, POST_OK, line), select=("VM003", *MINE))
    assert where(findings) == [("VM003", LINE, 9 + len(line.partition(":")[0]) + 2)]


def test_a_non_string_skip_annotation_is_left_to_vm003() -> None:
    text = with_vm_annotations(vm_with(PRE_OK, POST_OK), f"{SKIP}: yes")
    assert where(lint_text(text, select=("VM003", *MINE))) == [("VM003", 7, 36)]


def test_the_default_run_uses_the_newest_versions() -> None:
    findings = lint_text(vm_with(PRE_OK, POST_OK, "pre.hook.backup.velero.io/on-error: fail"), select=MINE)
    assert findings[0].message.endswith("(Velero 1.18.1)")
