"""VM501, VM502, VM503: exec hooks of Velero Backups and Schedules, and whether they can run at all."""

from __future__ import annotations

import pytest
from helpers import lint_text, where

from lint.core.catalogue import builtin_catalogue
from lint.core.findings import Finding, Severity
from lint.run.discovery import InputFile
from lint.run.engine import run, select_rules
from lint.target.settings import Settings
from lint.target.versions import KubeVirt, Velero, parse_version

BACKUP_PATH = "spec.hooks.resources[0]"
SCHEDULE_PATH = "spec.template.hooks.resources[0]"
FIRST_LINE = 10  # the first line backup() adds to the resource entry, at column 9


def backup(*lines: str, first: str = "name: freeze", kind: str = "Backup") -> str:
    """A Backup (or Schedule) with one hook resource: `first` on line 9, then `lines` from line 10, column 9."""
    if kind == "Backup":
        head = "spec:\n  hooks:\n    resources:\n"
    else:  # no metadata.namespace, one more level (`template:`): the resource entry stays on line 9
        head = "spec:\n  template:\n    hooks:\n      resources:\n"
    text = (
        "apiVersion: velero.io/v1\n"
        f"kind: {kind}\n"
        "metadata:\n"
        "  name: nightly\n"
        + ("  namespace: velero\n" if kind == "Backup" else "")
        + head
        + f"      - {first}\n"
        + "".join(f"        {line}\n" for line in lines)
    )
    assert text.splitlines()[8] == f"      - {first}", text
    return text


def exec_hook(*exec_lines: str, phase: str = "pre") -> tuple[str, ...]:
    """Hook lines: `phase:` on line 10, `- exec:` on line 11, the exec fields from line 12 at column 15."""
    return (f"{phase}:", "  - exec:", *(f"      {line}" for line in exec_lines))


def col(text: str, line: int, needle: str) -> int:
    return text.splitlines()[line - 1].index(needle) + 1


VALUE = 24  # column of a value after `command: ` or `timeout: ` on line 12 and later
COMMAND_OK = 'command: ["/usr/bin/virt-freezer", "--freeze", "--name", "web", "--namespace", "prod"]'


# --- VM501 ------------------------------------------------------------------------------------------------


def test_command_as_a_string_is_rejected_by_the_api_server() -> None:
    findings = lint_text(backup(*exec_hook("command: /usr/bin/virt-freezer --freeze --name web")), select=("VM501",))
    assert where(findings) == [("VM501", 12, VALUE)]
    assert findings[0].message == (
        f"{BACKUP_PATH}.pre[0].exec.command is a string, not a list: the CRD wants a list of strings, so the "
        "API server rejects the Backup"
    )
    assert findings[0].hint == 'write it as a list: command: ["/usr/bin/virt-freezer", "--freeze", "--name", "web"]'
    assert findings[0].severity == Severity.ERROR
    assert (findings[0].kind, findings[0].name, findings[0].namespace) == ("Backup", "nightly", "velero")


def test_schedule_hooks_live_under_spec_template() -> None:
    text = backup(*exec_hook("command: /usr/bin/virt-freezer"), kind="Schedule")
    findings = lint_text(text, select=("VM501",))
    assert where(findings) == [("VM501", 12, VALUE)]
    assert findings[0].message == (
        f"{SCHEDULE_PATH}.pre[0].exec.command is a string, not a list: the CRD wants a list of strings, so the "
        "API server rejects the Schedule"
    )


def test_a_json_string_command_gets_a_yaml_list_hint() -> None:
    findings = lint_text(backup(*exec_hook("command: '[\"/bin/sh\", \"-c\", \"sync\"]'")), select=("VM501",))
    assert findings[0].hint == 'write it as a YAML list, not a JSON string: command: ["/bin/sh", "-c", "sync"]'


def test_hooks_in_other_places_are_not_backup_hooks() -> None:
    text = backup(*exec_hook("command: /bin/true")).replace("  hooks:\n", "  notHooks:\n")
    assert lint_text(text, select=("VM501",)) == []


def test_missing_exec_points_at_the_hook_entry() -> None:
    findings = lint_text(backup("pre:", "  - container: compute"), select=("VM501",))
    assert where(findings) == [("VM501", 11, 13)]
    assert findings[0].message == (
        f"{BACKUP_PATH}.pre[0] has no exec: exec is required, so the API server rejects the Backup"
    )


def test_null_exec_counts_as_missing_and_points_at_the_key() -> None:
    findings = lint_text(backup("post:", "  - exec:"), select=("VM501",))
    assert where(findings) == [("VM501", 11, 13)]
    assert findings[0].message.startswith(f"{BACKUP_PATH}.post[0] has no exec: exec is required")


def test_missing_command_points_at_exec() -> None:
    findings = lint_text(backup(*exec_hook("container: compute")), select=("VM501",))
    assert where(findings) == [("VM501", 11, 13)]
    assert findings[0].message == (
        f"{BACKUP_PATH}.pre[0].exec has no command: command is required, so the API server rejects the Backup"
    )


def test_empty_command_list_violates_min_items() -> None:
    findings = lint_text(backup(*exec_hook("command: []")), select=("VM501",))
    assert where(findings) == [("VM501", 12, VALUE)]
    assert findings[0].message == (
        f"{BACKUP_PATH}.pre[0].exec.command is an empty list: the CRD requires at least one item (minItems 1), "
        "so the API server rejects the Backup"
    )


def test_non_string_command_element() -> None:
    text = backup(*exec_hook('command: ["/bin/sleep", 30]'))
    findings = lint_text(text, select=("VM501",))
    assert where(findings) == [("VM501", 12, col(text, 12, "30"))]
    assert findings[0].message == (
        f"element 2 of {BACKUP_PATH}.pre[0].exec.command is a YAML number, not a string: the CRD wants strings, "
        "so the API server rejects the Backup"
    )
    assert findings[0].hint == "quote it: '30'"


def test_null_command_element() -> None:
    text = backup(*exec_hook('command: ["/usr/bin/virt-freezer", null, "--freeze"]'))
    findings = lint_text(text, select=("VM501",))
    assert where(findings) == [("VM501", 12, col(text, 12, "null"))]
    assert findings[0].message == (
        f"element 2 of {BACKUP_PATH}.pre[0].exec.command is null: the CRD wants strings, so the API server "
        "rejects the Backup"
    )
    assert findings[0].hint == "replace null with the string you meant, or remove it"


def test_empty_program_name() -> None:
    text = backup(*exec_hook('command: ["", "--freeze"]'))
    findings = lint_text(text, select=("VM501",))
    assert where(findings) == [("VM501", 12, 25)]
    assert findings[0].message == (
        f"the program name of {BACKUP_PATH}.pre[0].exec.command is empty: the API server accepts it, but there is "
        "no program to run, so the hook fails"
    )


def test_block_list_command_elements_point_at_the_element() -> None:
    text = backup(*exec_hook("command:", "  - true", "  - --freeze"))
    findings = lint_text(text, select=("VM501",))
    assert where(findings) == [("VM501", 13, 19)]
    assert findings[0].message.startswith(f"the program name of {BACKUP_PATH}.pre[0].exec.command is a YAML boolean")


@pytest.mark.parametrize(
    ("value", "shown", "suggestion"),
    [
        ("fail", '"fail"', "Fail"),
        ("FAIL", '"FAIL"', "Fail"),
        ("'Continue '", '"Continue "', "Continue"),
        ("continue", '"continue"', "Continue"),
        ("Contine", '"Contine"', "Continue"),
    ],
)
def test_on_error_is_a_case_sensitive_enum(value: str, shown: str, suggestion: str) -> None:
    findings = lint_text(backup(*exec_hook(COMMAND_OK, f"onError: {value}")), select=("VM501",))
    assert where(findings) == [("VM501", 13, 24)]
    assert findings[0].message == (
        f"{BACKUP_PATH}.pre[0].exec.onError is {shown}, but the CRD allows only Continue or Fail "
        "(case-sensitive), so the API server rejects the Backup"
    )
    assert findings[0].hint == f"write onError: {suggestion}"


def test_on_error_without_a_close_match() -> None:
    findings = lint_text(backup(*exec_hook(COMMAND_OK, "onError: Ignore")), select=("VM501",))
    assert findings[0].hint == "write onError: Continue or onError: Fail"


@pytest.mark.parametrize("value", ["Continue", "Fail", '"Fail"', ""])
def test_valid_or_absent_on_error(value: str) -> None:
    assert lint_text(backup(*exec_hook(COMMAND_OK, f"onError: {value}")), select=("VM501",)) == []


def test_unit_less_timeout_passes_the_crd_but_velero_cannot_decode_it() -> None:
    findings = lint_text(backup(*exec_hook(COMMAND_OK, 'timeout: "30"')), select=("VM501",))
    assert where(findings) == [("VM501", 13, 24)]
    assert findings[0].message == (
        f'{BACKUP_PATH}.pre[0].exec.timeout "30" is not a Go duration (time: missing unit in duration "30"): the '
        "CRD only asks for a string, so the API server accepts the Backup, but Velero's typed client cannot "
        "decode it into a metav1.Duration, so Velero cannot read the Backup"
    )
    assert findings[0].hint == "add a unit: 30s (Go durations need one: ns, us, ms, s, m or h)"


def test_unquoted_number_timeout_is_not_even_a_string() -> None:
    assert where(lint_text(backup(*exec_hook(COMMAND_OK, "timeout: 0")), select=("VM501",))) == [("VM501", 13, 24)]
    findings = lint_text(backup(*exec_hook(COMMAND_OK, "timeout: 30")), select=("VM501",))
    assert where(findings) == [("VM501", 13, 24)]
    assert findings[0].message == (
        f'{BACKUP_PATH}.pre[0].exec.timeout is a YAML number, not a string: the CRD wants a duration string such '
        'as "30s", so the API server rejects the Backup'
    )
    assert findings[0].hint == "add a unit: 30s (Go durations need one: ns, us, ms, s, m or h)"


def test_days_are_not_a_go_duration_unit() -> None:
    findings = lint_text(backup(*exec_hook(COMMAND_OK, "timeout: 1d")), select=("VM501",))
    assert where(findings) == [("VM501", 13, 24)]
    assert findings[0].message.startswith(
        f'{BACKUP_PATH}.pre[0].exec.timeout "1d" is not a Go duration (time: unknown unit "d" in duration "1d")'
    )
    assert findings[0].hint == "Go durations have no day unit: 24h"


def test_upper_case_unit_hint() -> None:
    findings = lint_text(backup(*exec_hook(COMMAND_OK, "timeout: 60S")), select=("VM501",))
    assert findings[0].hint == "write 60s"


def test_negative_timeout_runs_unbounded_a_warning() -> None:
    """The API server accepts it and Velero decodes it: not a rejection, but a hook that is never timed out."""
    findings = lint_text(backup(*exec_hook(COMMAND_OK, "timeout: -5s")), select=("VM501",))
    assert where(findings) == [("VM501", 13, 24)]
    assert findings[0].message == (
        f"{BACKUP_PATH}.pre[0].exec.timeout -5s is negative: the API server accepts it, but Velero puts its 30s "
        "default only in place of 0 and arms a timer only for a positive timeout, so the hook runs with no time limit"
    )
    assert findings[0].hint == "use a positive duration such as 5s"
    assert findings[0].severity == Severity.WARNING


@pytest.mark.parametrize("value", ["0s", "'0'", "30s", "1m30s", "1.5m", "+10s", "300ms"])
def test_valid_timeouts(value: str) -> None:
    assert lint_text(backup(*exec_hook(COMMAND_OK, f"timeout: {value}")), select=("VM501",)) == []


def test_missing_name_points_at_the_resource_entry() -> None:
    text = backup(*exec_hook(COMMAND_OK), first="includedNamespaces: [prod]")
    findings = lint_text(text, select=("VM501",))
    assert where(findings) == [("VM501", 9, 9)]
    assert findings[0].message == (
        f"{BACKUP_PATH} has no name: name is required, so the API server rejects the Backup"
    )


def test_every_hook_of_every_phase_is_checked() -> None:
    text = backup(
        "pre:",
        "  - exec:",
        f"      {COMMAND_OK}",
        "  - exec:",
        "      command: []",
        "post:",
        "  - exec:",
        "      command: /bin/true",
        "      onError: continue",
    )
    findings = lint_text(text, select=("VM501",))
    assert where(findings) == [("VM501", 14, 24), ("VM501", 17, 24), ("VM501", 18, 24)]
    assert findings[0].message.startswith(f"{BACKUP_PATH}.pre[1].exec.command is an empty list")
    assert findings[1].message.startswith(f"{BACKUP_PATH}.post[0].exec.command is a string")
    assert findings[2].message.startswith(f"{BACKUP_PATH}.post[0].exec.onError is")


def test_a_valid_hook_is_clean_with_every_rule() -> None:
    text = backup(*exec_hook("container: compute", COMMAND_OK, "onError: Continue", "timeout: 60s"))
    assert lint_text(text, select=("ALL",)) == []


# --- VM502 ------------------------------------------------------------------------------------------------


def test_included_resources_without_pods_never_run() -> None:
    findings = lint_text(backup("includedResources: [virtualmachines]", *exec_hook(COMMAND_OK)), select=("VM502",))
    assert where(findings) == [("VM502", 10, 28)]
    assert findings[0].message == (
        f"{BACKUP_PATH}.includedResources does not include pods (virtualmachines): Velero runs hooks for pods "
        "only, so these hooks never run"
    )
    assert findings[0].hint == "add pods to includedResources, or remove it (empty means every resource)"
    assert findings[0].severity == Severity.WARNING


def test_block_list_is_reported_at_the_list() -> None:
    text = backup("includedResources:", "  - virtualmachines.kubevirt.io", "  - pods.apps", *exec_hook(COMMAND_OK))
    findings = lint_text(text, select=("VM502",))
    assert where(findings) == [("VM502", 11, 11)]
    assert "(virtualmachines.kubevirt.io, pods.apps)" in findings[0].message


@pytest.mark.parametrize(
    "resources", ["[pods]", '["*"]', "[Pods]", "[po]", "[pod, virtualmachines]", "[]", "", '["po*"]', "[null]"]
)
def test_included_resources_that_cover_pods(resources: str) -> None:
    text = backup(f"includedResources: {resources}", *exec_hook(COMMAND_OK))
    assert lint_text(text, select=("VM502",)) == []


def test_excluded_pods_never_run() -> None:
    findings = lint_text(backup("excludedResources: [pods]", *exec_hook(COMMAND_OK)), select=("VM502",))
    assert where(findings) == [("VM502", 10, 28)]
    assert findings[0].message == (
        f"{BACKUP_PATH}.excludedResources excludes pods: Velero runs hooks for pods only, so these hooks never run"
    )


def test_velero_ignores_a_wildcard_in_the_exclude_list() -> None:
    text = backup('excludedResources: ["*"]', *exec_hook(COMMAND_OK))
    assert lint_text(text, select=("VM502",)) == []


def test_schedule_resource_filters() -> None:
    text = backup("excludedResources: [PO]", *exec_hook(COMMAND_OK), kind="Schedule")
    findings = lint_text(text, select=("VM502",))
    assert where(findings) == [("VM502", 10, 28)]
    assert findings[0].message.startswith(f"{SCHEDULE_PATH}.excludedResources excludes pods")


# --- VM503 ------------------------------------------------------------------------------------------------


def vm(name: str = "web", namespace: str | None = "prod", labels: str = "app: web", skip: str | None = None) -> str:
    meta = f"  namespace: {namespace}\n" if namespace else ""
    if skip is not None:
        meta += f"  annotations:\n    kubevirt.io/skip-backup-hooks: {skip}\n"
    return (
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n"
        f"  name: {name}\n{meta}"
        "spec:\n  template:\n    metadata:\n      labels:\n"
        f"        {labels}\n"
    )


def run_files(*files: tuple[str, str], settings: Settings | None = None) -> list[Finding]:
    rules = select_rules(builtin_catalogue(), ("VM503",))
    inputs = [InputFile(display, None, text.encode("utf-8")) for display, text in files]
    result = run(inputs, rules, settings or Settings())
    assert not result.errors, result.errors
    return result.findings


FREEZE_HOOKS = (*exec_hook(COMMAND_OK), *exec_hook(COMMAND_OK.replace("--freeze", "--unfreeze"), phase="post"))
SELECT_LAUNCHERS = ("labelSelector:", "  matchLabels:", "    kubevirt.io: virt-launcher")
SHADOW_NOTE = 'KubeVirt injects its virt-freezer hooks into launcher pods unless kubevirt.io/skip-backup-hooks: "true"'


def shadowed(phase: str, what: str = "the virt-launcher pod of VirtualMachine prod/web", path: str = BACKUP_PATH
             ) -> str:
    return (
        f"{path} selects {what}, whose {phase} annotation hook takes priority: Velero skips a pod's spec {phase} "
        f"hooks when its annotations define one, so these {phase} hooks never run there ({SHADOW_NOTE})"
    )


def test_selector_for_launchers_with_the_vm_in_another_file() -> None:
    findings = run_files(("vm.yaml", vm()), ("backup.yaml", backup(*SELECT_LAUNCHERS, *FREEZE_HOOKS)))
    assert [(f.path, *w) for f, w in zip(findings, where(findings))] == [
        ("backup.yaml", "VM503", 10, 9),
        ("backup.yaml", "VM503", 10, 9),
    ]
    assert [f.message for f in findings] == [shadowed("pre"), shadowed("post")]
    assert findings[0].hint == (
        'to run these hooks instead, set kubevirt.io/skip-backup-hooks: "true" in the VirtualMachine\'s '
        "metadata.annotations (and leave its template without hook annotations); otherwise remove them"
    )
    assert findings[0].severity == Severity.WARNING


def test_the_backup_may_come_before_the_vm() -> None:
    findings = run_files(("backup.yaml", backup(*SELECT_LAUNCHERS, *exec_hook(COMMAND_OK))), ("vm.yaml", vm()))
    assert [f.message for f in findings] == [shadowed("pre")]


def test_selector_on_the_vms_template_labels() -> None:
    text = backup("labelSelector:", "  matchLabels:", "    app: web", *exec_hook(COMMAND_OK))
    findings = run_files(("vm.yaml", vm()), ("backup.yaml", text))
    assert where(findings) == [("VM503", 10, 9)]
    assert findings[0].message == shadowed("pre")


def test_schedule_selecting_launchers() -> None:
    text = backup(*SELECT_LAUNCHERS, *exec_hook(COMMAND_OK, phase="post"), kind="Schedule")
    findings = run_files(("vm.yaml", vm()), ("schedule.yaml", text))
    assert [f.message for f in findings] == [shadowed("post", path=SCHEDULE_PATH)]


def test_non_matching_label_selects_no_launcher() -> None:
    text = backup("labelSelector:", "  matchLabels:", "    app: postgres", *FREEZE_HOOKS)
    assert run_files(("vm.yaml", vm()), ("backup.yaml", text)) == []


@pytest.mark.parametrize(
    "namespace_filter",
    ["includedNamespaces: [staging]", "excludedNamespaces: [prod]", 'excludedNamespaces: ["pr*"]',
     "includedNamespaces: ['{dev,staging}']"],
)
def test_namespace_filter_excluding_the_vms_namespace(namespace_filter: str) -> None:
    """The VM of the run is ruled out; the selector still names launcher pods, of VMs not among the files
    (issue #15 item 4): the finding says so rather than naming prod/web."""
    text = backup(namespace_filter, *SELECT_LAUNCHERS, *FREEZE_HOOKS)
    findings = run_files(("vm.yaml", vm()), ("backup.yaml", text))
    assert [f.message for f in findings] == [unknown_launchers("pre"), unknown_launchers("post")]


def unknown_launchers(phase: str, path: str = BACKUP_PATH) -> str:
    return (
        f"{path} selects virt-launcher pods (its labelSelector requires kubevirt.io: virt-launcher), whose {phase} "
        f"annotation hook takes priority: Velero skips a pod's spec {phase} hooks when its annotations define one, "
        f"so these {phase} hooks never run on the launcher pod of any VM that does not opt out ({SHADOW_NOTE}; none "
        "of these VMs is among the checked files)"
    )


@pytest.mark.parametrize(
    "selector",
    [SELECT_LAUNCHERS,
     ("labelSelector:", "  matchExpressions:", "  - {key: kubevirt.io, operator: In, values: [virt-launcher]}")],
)
def test_a_selector_that_requires_launcher_pods_is_shadowed_without_the_vms(selector) -> None:
    """Issue #15 item 4: `kubevirt.io: virt-launcher` selects launcher pods by definition (KubeVirt labels every
    one so), and KubeVirt writes its pre and post hooks onto each unless its VM opts out."""
    findings = run_files(("backup.yaml", backup(*selector, *FREEZE_HOOKS)))
    assert where(findings) == [("VM503", 10, 9), ("VM503", 10, 9)]
    assert [f.message for f in findings] == [unknown_launchers("pre"), unknown_launchers("post")]
    assert findings[0].severity == Severity.WARNING
    schedule = run_files(("s.yaml", backup(*selector, *exec_hook(COMMAND_OK, phase="post"), kind="Schedule")))
    assert [f.message for f in schedule] == [unknown_launchers("post", path=SCHEDULE_PATH)]


@pytest.mark.parametrize(
    "selector",
    [("labelSelector:", "  matchLabels:", "    app: web"),
     ("labelSelector:", "  matchExpressions:", "  - {key: kubevirt.io, operator: In, values: [virt-launcher, x]}"),
     ("labelSelector:", "  matchExpressions:", "  - {key: kubevirt.io, operator: Exists}")],
)
def test_a_selector_that_other_pods_may_satisfy_is_not_judged_without_the_vms(selector) -> None:
    assert run_files(("backup.yaml", backup(*selector, *FREEZE_HOOKS))) == []


def test_no_launcher_finding_before_kubevirt_injects_hooks() -> None:
    settings = Settings(kubevirt=KubeVirt(parse_version("0.44.0")))
    assert run_files(("backup.yaml", backup(*SELECT_LAUNCHERS, *FREEZE_HOOKS)), settings=settings) == []


@pytest.mark.parametrize(
    "namespace_filter", ["includedNamespaces: [prod]", 'includedNamespaces: ["*"]', 'includedNamespaces: ["p*"]',
                         "includedNamespaces: []", "excludedNamespaces: [staging]"],
)
def test_namespace_filter_admitting_the_vms_namespace(namespace_filter: str) -> None:
    text = backup(namespace_filter, *SELECT_LAUNCHERS, *exec_hook(COMMAND_OK))
    assert where(run_files(("vm.yaml", vm()), ("backup.yaml", text))) == [("VM503", 11, 9)]


def test_namespace_filters_cannot_exclude_a_vm_without_namespace() -> None:
    text = backup("includedNamespaces: [staging]", *SELECT_LAUNCHERS, *exec_hook(COMMAND_OK))
    findings = run_files(("vm.yaml", vm(namespace=None)), ("backup.yaml", text))
    assert [f.message for f in findings] == [shadowed("pre", "the virt-launcher pod of VirtualMachine web")]


def test_vm_skipping_kubevirts_hooks_is_not_shadowed() -> None:
    text = backup(*SELECT_LAUNCHERS, *FREEZE_HOOKS)
    assert run_files(("vm.yaml", vm(skip='"true"')), ("backup.yaml", text)) == []


def test_skip_value_kubevirt_does_not_parse_as_true_still_shadows() -> None:
    text = backup(*SELECT_LAUNCHERS, *exec_hook(COMMAND_OK))
    assert where(run_files(("vm.yaml", vm(skip='"yes"')), ("backup.yaml", text))) == [("VM503", 10, 9)]


def test_kubevirt_before_0_45_injects_no_hooks() -> None:
    settings = Settings(kubevirt=KubeVirt(parse_version("0.44.0")))
    text = backup(*SELECT_LAUNCHERS, *FREEZE_HOOKS)
    assert run_files(("vm.yaml", vm()), ("backup.yaml", text), settings=settings) == []
    assert run_files(("vm.yaml", vm(skip='"true"')), ("backup.yaml", text), settings=settings) == []


def test_own_hook_annotations_shadow_before_kubevirt_injects_any() -> None:
    settings = Settings(kubevirt=KubeVirt(parse_version("0.44.0")))
    hooks = "      annotations:\n        pre.hook.backup.velero.io/command: '[\"/bin/true\"]'\n"
    own = vm().replace("      labels:\n", hooks + "      labels:\n")
    text = backup(*SELECT_LAUNCHERS, *exec_hook(COMMAND_OK))
    findings = run_files(("vm.yaml", own), ("backup.yaml", text), settings=settings)
    assert where(findings) == [("VM503", 10, 9)]
    assert findings[0].message.endswith(
        "(KubeVirt 0.44.0 injects no hooks: these come from the workload's own pod annotations)"
    )


def test_kubevirt_without_the_skip_annotation_says_so() -> None:
    settings = Settings(kubevirt=KubeVirt(parse_version("1.6.0")))
    text = backup(*SELECT_LAUNCHERS, *exec_hook(COMMAND_OK))
    findings = run_files(("vm.yaml", vm(skip='"true"')), ("backup.yaml", text), settings=settings)
    assert where(findings) == [("VM503", 10, 9)]
    assert findings[0].message.endswith(
        "(KubeVirt 1.6.0 injects its virt-freezer hooks into every launcher pod and does not read "
        "kubevirt.io/skip-backup-hooks (1.6.6, 1.7.3 and 1.8.0 do))"
    )


def test_count_and_example_of_several_launchers() -> None:
    text = backup(*SELECT_LAUNCHERS, *exec_hook(COMMAND_OK))
    findings = run_files(
        ("a.yaml", vm("web") + "---\n" + vm("db", labels="app: db")),
        ("b.yaml", vm("cache", namespace="staging", skip='"true"')),
        ("backup.yaml", text),
    )
    assert [f.message for f in findings] == [
        shadowed("pre", "the virt-launcher pods of 2 workloads (for example VirtualMachine prod/web)")
    ]


def test_no_selector_and_no_namespace_filter_selects_every_pod() -> None:
    text = backup(*exec_hook(COMMAND_OK))
    findings = run_files(("vm.yaml", vm()), ("backup.yaml", text))
    assert where(findings) == [("VM503", 9, 9)]  # at the resource's name
    assert run_files(("backup.yaml", text)) == []  # no launcher in the run
    assert run_files(("vm.yaml", vm(skip='"true"')), ("backup.yaml", text)) == []


def test_resources_without_pods_select_no_launcher() -> None:
    text = backup("includedResources: [virtualmachines]", *SELECT_LAUNCHERS, *exec_hook(COMMAND_OK))
    assert run_files(("vm.yaml", vm()), ("backup.yaml", text)) == []


def test_a_resource_without_hooks_is_not_reported() -> None:
    text = backup(*SELECT_LAUNCHERS, "pre: []")
    assert run_files(("vm.yaml", vm()), ("backup.yaml", text)) == []


@pytest.mark.parametrize(
    ("expression", "selects"),
    [
        ("{key: app, operator: In, values: [web, db]}", True),
        ("{key: app, operator: In, values: [db]}", False),
        ("{key: app, operator: NotIn, values: [db]}", True),
        ("{key: app, operator: NotIn, values: [web]}", False),
        ("{key: kubevirt.io, operator: Exists}", True),
        ("{key: tier, operator: Exists}", False),
        ("{key: tier, operator: DoesNotExist}", True),
        ("{key: app, operator: DoesNotExist}", False),
        ("{key: app, operator: Gt, values: ['1']}", True),  # Velero cannot build it: assume it may match
    ],
)
def test_match_expressions(expression: str, selects: bool) -> None:
    text = backup("labelSelector:", "  matchExpressions:", f"    - {expression}", *exec_hook(COMMAND_OK))
    findings = run_files(("vm.yaml", vm()), ("backup.yaml", text))
    assert where(findings) == ([("VM503", 10, 9)] if selects else [])


def test_match_labels_and_expressions_are_anded() -> None:
    text = backup(
        "labelSelector:",
        "  matchLabels: {app: web}",
        "  matchExpressions: [{key: app, operator: NotIn, values: [web]}]",
        *exec_hook(COMMAND_OK),
    )
    assert run_files(("vm.yaml", vm()), ("backup.yaml", text)) == []


def test_shadowed_backup_in_one_file_with_the_vm() -> None:
    text = vm() + "---\n" + backup(*SELECT_LAUNCHERS, *exec_hook(COMMAND_OK))
    findings = lint_text(text, select=("VM503",))
    assert where(findings) == [("VM503", 21, 9)]
    assert (findings[0].kind, findings[0].name) == ("Backup", "nightly")


def test_precedence_is_per_phase() -> None:
    """A pod whose annotations define only a pre hook still runs the Backup's post hooks."""
    own_pre = vm().replace(
        "    metadata:\n      labels:\n",
        "    metadata:\n      annotations:\n        pre.hook.backup.velero.io/command: '[\"/scripts/quiesce.sh\"]'\n"
        "      labels:\n",
    )
    old = Settings(kubevirt=KubeVirt(parse_version("0.44.0")))
    findings = run_files(("vm.yaml", own_pre), ("backup.yaml", backup(*SELECT_LAUNCHERS, *FREEZE_HOOKS)), settings=old)
    assert [f.message.split(",")[1].strip() for f in findings] == [
        "whose pre annotation hook takes priority: Velero skips a pod's spec pre hooks when its annotations define one"
    ]


def test_a_launcher_without_namespace_takes_the_command_line_namespace() -> None:
    text = backup("includedNamespaces: [prod]", *SELECT_LAUNCHERS, *FREEZE_HOOKS)
    elsewhere = run_files(("vm.yaml", vm(namespace=None)), ("backup.yaml", text), settings=Settings(namespace="dev"))
    assert [f.message for f in elsewhere] == [unknown_launchers("pre"), unknown_launchers("post")]  # not dev/web
    findings = run_files(("vm.yaml", vm(namespace=None)), ("backup.yaml", text), settings=Settings(namespace="prod"))
    assert len(findings) == 2


# --- VM501: the schema check (lint.checks.hookschema) ---------------------------------------------------------


def _one(text: str) -> Finding:
    findings = lint_text(text, select=("VM501",))
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


@pytest.mark.parametrize(
    ("line", "needle", "message", "hint"),
    [
        ("name: 123", "123", f"{BACKUP_PATH}.name is a YAML number, not a string: the CRD wants a string, so the API "
         "server rejects the Backup", "quote it: '123'"),
        ("labelSelector: {matchLabels: {replica: 1}}", "1}", f"{BACKUP_PATH}.labelSelector.matchLabels.replica is a "
         "YAML number, not a string: label values are strings, so the API server rejects the Backup",
         'quote it: replica: "1"'),
        ("labelSelector: {matchLabels: {backup: true}}", "true", f"{BACKUP_PATH}.labelSelector.matchLabels.backup is "
         "a YAML boolean, not a string: label values are strings, so the API server rejects the Backup",
         'quote it: backup: "true"'),
        ("labelSelector: {matchExpressions: [{key: app}]}", "{key", f"{BACKUP_PATH}.labelSelector.matchExpressions[0] "
         "has no operator: operator is required (In, NotIn, Exists or DoesNotExist), so the API server rejects the "
         "Backup", "add operator: In, NotIn, Exists or DoesNotExist"),
    ],
    ids=["name-number", "label-number", "label-bool", "no-operator"],
)
def test_what_the_api_server_enforces_beyond_the_old_checks(line: str, needle: str, message: str, hint: str) -> None:
    first = "name: freeze" if not line.startswith("name:") else line
    lines = (line,) if not line.startswith("name:") else ()
    text = backup(*lines, *exec_hook(COMMAND_OK), first=first)
    finding = _one(text)
    row = 9 if line.startswith("name:") else FIRST_LINE
    assert (finding.line, finding.column) == (row, col(text, row, needle))
    assert (finding.message, finding.hint, finding.severity) == (message, hint, Severity.ERROR)


def test_a_container_that_is_not_a_string() -> None:
    text = backup(*exec_hook(COMMAND_OK, "container: 5"))
    finding = _one(text)
    assert (finding.line, finding.column) == (13, 26)
    assert finding.message == (f"{BACKUP_PATH}.pre[0].exec.container is a YAML number, not a string: the CRD wants a "
                               "string, so the API server rejects the Backup")


@pytest.mark.parametrize(
    ("lines", "line", "needle", "field", "meant", "title"),
    [
        (("preHooks:", "  - exec:", f"      {COMMAND_OK}"), 10, "preHooks", "preHooks", "pre", "a hook resource"),
        (("includeNamespaces: [prod]", *exec_hook(COMMAND_OK)), 10, "includeNamespaces", "includeNamespaces",
         "includedNamespaces", "a hook resource"),
        (exec_hook(COMMAND_OK, "onerror: Fail"), 13, "onerror", "pre[0].exec.onerror", "onError", "an exec hook"),
        (exec_hook(COMMAND_OK, "timeOut: 30s"), 13, "timeOut", "pre[0].exec.timeOut", "timeout", "an exec hook"),
    ],
    ids=["preHooks", "includeNamespaces", "onerror", "timeOut"],
)
def test_unknown_fields_say_what_clients_do_and_what_was_meant(
    lines: tuple[str, ...], line: int, needle: str, field: str, meant: str, title: str
) -> None:
    text = backup(*lines)
    finding = _one(text)
    assert (finding.line, finding.column, finding.severity) == (line, col(text, line, needle), Severity.ERROR)
    assert finding.message == (
        f"{BACKUP_PATH}.{field} is not a field of {title}: kubectl refuses the Backup (its field validation is strict "
        "by default), and a client that does not ask for strict validation, as many GitOps controllers, has the API "
        "server drop the field without a word, so it never takes effect"
    )
    assert finding.hint == f"did you mean {meant}? write {meant}: instead of {needle}:"


def test_a_hook_command_outside_exec_is_one_finding_on_the_hook() -> None:
    text = backup("pre:", "  - command: [/bin/sync]")
    finding = _one(text)
    assert (finding.line, finding.column) == (11, 13)
    assert finding.message == (
        f"{BACKUP_PATH}.pre[0] has no exec: exec is required, so the API server rejects the Backup")
    assert finding.hint == "write exec: and move command below it"


def test_an_empty_resource_name_fails_every_hook() -> None:
    text = backup(*exec_hook(COMMAND_OK), first='name: ""')
    finding = _one(text)
    assert (finding.line, finding.column, finding.severity) == (9, 15, Severity.ERROR)
    assert finding.message == (
        f'{BACKUP_PATH}.name is empty: the API server accepts it, but Velero passes it to every exec hook of this '
        'resource as the hook\'s name and fails each with "hookName is required"'
    )
    assert lint_text(backup("pre: []", first='name: ""'), select=("VM501",)) == []  # no hook, nothing fails


def test_findings_point_inside_flow_style_mappings() -> None:
    text = backup(first='{name: 7, pre: [{exec: {command: [/bin/sync], onerror: Fail, timeout: "30"}}]}')
    findings = lint_text(text, select=("VM501",))
    assert [(f.line, f.column, f.end_column, f.excerpt) for f in findings] == [
        (9, col(text, 9, "7"), col(text, 9, "7") + 1, "7"),
        (9, col(text, 9, "onerror"), col(text, 9, "onerror") + 7, "onerror"),
        (9, col(text, 9, '"30"'), col(text, 9, '"30"') + 4, '"30"'),
    ]


def test_null_matchlabel_values_and_nullable_lists_are_dropped_or_accepted() -> None:
    """The API server drops a non-nullable null and keeps a nullable one: neither is refused."""
    text = backup("includedResources: null", "labelSelector: {matchLabels: {tier: null}}", *exec_hook(COMMAND_OK))
    assert lint_text(text, select=("VM501",)) == []


def test_hooks_that_are_not_a_mapping() -> None:
    text = "apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: b\nspec:\n  hooks: [freeze]\n"
    finding = _one(text)
    assert (finding.line, finding.column) == (6, 10)
    assert finding.message == "spec.hooks is a YAML list, not a mapping: the API server rejects the Backup"


def test_velero_1_2_keeps_unknown_fields_and_before_it_nothing_is_validated() -> None:
    from lint.checks.hookschema import hooks_hits
    from lint.kube.loading import load_file

    (obj,) = load_file("b.yaml", backup(*exec_hook(COMMAND_OK, "timeOut: 30s", "onError: fail")).encode()).objects
    latest = [hit.message for hit in hooks_hits(obj, (1, 18, 1))]
    assert len(latest) == 2 and "kubectl refuses the Backup" in latest[0]
    old = [hit.message for hit in hooks_hits(obj, (1, 2, 0))]
    assert old[0].endswith("the CRD of Velero 1.2.0 keeps unknown fields, but Velero never reads it, so it never "
                           "takes effect")
    assert "CRD allows only Continue or Fail" in old[1]
    assert list(hooks_hits(obj, (1, 1, 0))) == []


def test_the_restore_entry_point_for_vm504() -> None:
    from lint.checks.hookschema import restore_hook_invalid
    from lint.kube.loading import load_file

    text = (
        "apiVersion: velero.io/v1\nkind: Restore\nmetadata:\n  name: r\n  namespace: velero\nspec:\n"
        "  backupName: nightly\n  hooks:\n    resources:\n      - name: db\n        postHooks:\n"
        "          - exec: {command: [/bin/true], waitForReady: yes, waitTimeout: -1s, timeout: 5s}\n"
    )
    (obj,) = load_file("r.yaml", text.encode()).objects

    class Context:
        settings = Settings()

    hits = list(restore_hook_invalid(obj, Context()))
    assert [(hit.span.line, hit.span.column, hit.severity) for hit in hits] == [
        (12, col(text, 12, "timeout: 5s"), None), (12, col(text, 12, "-1s"), Severity.WARNING)]
    assert hits[0].hint == "did you mean execTimeout or waitTimeout?"
    assert hits[1].message == (
        "spec.hooks.resources[0].postHooks[0].exec.waitTimeout -1s is negative: the API server accepts it, but Velero "
        "waits for the container without a time limit when the wait timeout is not positive")
    older = Settings(velero=Velero(parse_version("1.12.0")))

    class OldContext:
        settings = older

    assert any("waitForReady is not a field" in hit.message for hit in restore_hook_invalid(obj, OldContext()))
