"""Custom rules as data (rules-dirs), the parameterised policy checks, `vmlint test-rules`, VM901-VM903 and
`profile: strict`."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, run_cli
from helpers import lint_text, vm_with, where

from lint.checks.parameterised import selector_matches
from lint.core.catalogue import CatalogueError
from lint.core.findings import Finding
from lint.core.rulefiles import catalogue_with, load_rules_dir
from lint.run.discovery import InputFile
from lint.run.engine import run, select_rules
from lint.target.settings import Settings

POLICIES = REPO / "examples" / "policies"

BAD_VM = """\
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: web
  namespace: prod-eu
spec:
  template:
    metadata:
      annotations:
        post.hook.backup.velero.io/on-error: Fail
"""
GOOD_VM = BAD_VM.replace("Fail", "Continue")


def rule_file(code: str, body: str, bad: str = BAD_VM, good: str = GOOD_VM, name: str | None = None) -> str:
    """A custom rule file: the common fields, `body` (check, params, match...), one bad and one good example."""
    return (
        f"code: {code}\nname: {name or 'rule-' + code.lower()}\nseverity: error\nsummary: A test rule.\n"
        "rationale: Because.\n" + textwrap.dedent(body) + "examples:\n  bad:\n    - |\n"
        + textwrap.indent(bad, "      ") + "  good:\n    - |\n" + textwrap.indent(good, "      ")
    )


def write_rules(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def lint_with(tmp_path: Path, body: str, text: str, code: str = "ORG001", namespace: str | None = None) -> list[Finding]:
    """Lint `text` with one custom rule (and nothing else)."""
    directory = write_rules(tmp_path / "rules", {f"{code}.yaml": rule_file(code, body)})
    catalogue = catalogue_with([directory])
    result = run([InputFile("vm.yaml", None, text.encode())], select_rules(catalogue, [code]), Settings(namespace=namespace))
    assert not result.errors, result.errors
    return result.findings


def at(text: str, finding: Finding) -> str:
    """The text a finding points at, read independently of vmlint."""
    return text.splitlines()[finding.line - 1][finding.column - 1 :]


def messages(findings: list[Finding]) -> list[tuple[str, int, int, str]]:
    return [(f.code, f.line, f.column, f.message) for f in findings]


# --- loading a rules directory ----------------------------------------------------------------------------------


def test_a_rules_directory_loads_as_enabled_custom_rules(tmp_path: Path) -> None:
    directory = write_rules(tmp_path, {
        "a.yaml": rule_file("ORG001", "check: required-annotation\nparams: {key: team.example.com/owner}\n"),
        "b.yml": rule_file("SEC12", "path: metadata.labels\nschema: {type: object, required: [team]}\n"),
    })
    rules = load_rules_dir(directory)
    assert [(r.code, r.check, r.default_enabled, r.params["check"]) for r in rules] == [
        ("ORG001", "policy", True, "required-annotation"), ("SEC12", "policy", True, "json-schema"),
    ]
    catalogue = catalogue_with([directory])
    assert catalogue.get("ORG001") is not None and catalogue.get("VM101") is not None
    assert {"ORG001", "SEC12"} <= {r.code for r in select_rules(catalogue)}  # on by default
    assert "VM901" not in {r.code for r in select_rules(catalogue)}  # policies stay off


def test_enabled_false_leaves_a_custom_rule_off_unless_selected(tmp_path: Path) -> None:
    text = rule_file("ORG001", "enabled: false\ncheck: required-annotation\nparams: {key: a/b}\n")
    catalogue = catalogue_with([write_rules(tmp_path, {"r.yaml": text})])
    assert "ORG001" not in {r.code for r in select_rules(catalogue)}
    assert [r.code for r in select_rules(catalogue, ["ORG"])] == ["ORG001"]


@pytest.mark.parametrize(("text", "error"), [
    ("code: ORG001\nname: x\n", "missing severity, examples, summary (or message), rationale (or documentation), "
                                "check (or schema)"),
    ("- not a mapping\n", "a rule file must be a mapping"),
    ("code: [unclosed\n", "cannot read rule"),
    (rule_file("org1", "check: required-annotation\nparams: {key: a}\n"), "code 'org1' is not a rule code: capital "
                                                                          "letters then digits, for example ORG001"),
    (rule_file("ORG001", "check: no-such-check\n"), "unknown check 'no-such-check' (valid checks: "
                                                    "required-annotation, forbidden-annotation"),
    (rule_file("ORG001", "check: required-annotation\n"), "required-annotation needs params.key"),
    (rule_file("ORG001", "check: annotation-matches\nparams: {key: a, pattern: '('}\n"),
     "params.pattern is not a regular expression"),
    (rule_file("ORG001", "check: max-duration\nparams: {max: 2d}\n"), 'params.max: time: unknown unit "d" in duration "2d"'),
    (rule_file("ORG001", "path: metadata\nschema: {type: 12}\n"), "schema.type is not a valid JSON Schema"),
    (rule_file("ORG001", "schema: {type: object}\n"), "a JSON Schema rule needs `path`"),
    (rule_file("ORG001", "check: required-annotation\nparams: {key: a}\nmatch: {labels: {matchExpressions: "
                         "[{key: a, operator: Is}]}}\n"), "operator 'Is' is not one of In, NotIn, Exists, DoesNotExist"),
    (rule_file("ORG001", "chek: required-annotation\n"), "unknown key chek"),
])
def test_a_malformed_rule_is_a_usage_error_naming_the_file(tmp_path: Path, text: str, error: str) -> None:
    directory = write_rules(tmp_path / "rules", {"bad.yaml": text})
    with pytest.raises(CatalogueError) as raised:
        catalogue_with([directory])
    assert str(raised.value).startswith(f"{directory / 'bad.yaml'}: ")
    assert error in str(raised.value)
    (tmp_path / ".vmlint.yaml").write_text("rules-dirs: [rules]\n")
    (tmp_path / "vm.yaml").write_text(GOOD_VM)
    done = run_cli("check", "vm.yaml", cwd=tmp_path)
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr.startswith("vmlint: error: ") and error in done.stderr and done.stderr.count("\n") == 1


@pytest.mark.parametrize(("files", "error"), [
    ({"a.yaml": rule_file("VM101", "check: required-annotation\nparams: {key: a}\n")},
     "rule code VM101 collides with the built-in rule VM101 (unknown-hook-key)"),
    ({"a.yaml": rule_file("VM999", "check: required-annotation\nparams: {key: a}\n")},
     "rule code VM999 starts with VM, which is reserved for vmlint's built-in rules"),
    ({"a.yaml": rule_file("ORG001", "check: required-annotation\nparams: {key: a}\n"),
      "b.yaml": rule_file("ORG001", "check: required-annotation\nparams: {key: b}\n")},
     "rule code ORG001 is already defined in"),
])
def test_a_code_collision_is_exit_2(tmp_path: Path, files: dict[str, str], error: str) -> None:
    write_rules(tmp_path / "rules", files)
    (tmp_path / ".vmlint.yaml").write_text("rules-dirs: [rules]\n")
    (tmp_path / "vm.yaml").write_text(GOOD_VM)
    done = run_cli("check", "vm.yaml", cwd=tmp_path)
    assert done.exit_code == 2, done
    assert error in done.stderr and done.stderr.count("\n") == 1


def test_the_same_code_in_two_rules_dirs_collides(tmp_path: Path) -> None:
    one = write_rules(tmp_path / "one", {"a.yaml": rule_file("ORG001", "check: required-annotation\nparams: {key: a}\n")})
    two = write_rules(tmp_path / "two", {"a.yaml": rule_file("ORG001", "check: required-annotation\nparams: {key: b}\n")})
    with pytest.raises(CatalogueError, match=r"two/a.yaml: rule code ORG001 is already defined in .*one/a.yaml"):
        catalogue_with([one, two])


def test_a_missing_rules_dir_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / ".vmlint.yaml").write_text("rules-dirs: [nowhere]\n")
    (tmp_path / "vm.yaml").write_text(GOOD_VM)
    done = run_cli("check", "vm.yaml", cwd=tmp_path)
    assert done.exit_code == 2 and "nowhere: no such rules directory" in done.stderr


def test_rules_dirs_are_relative_to_the_configuration_and_findings_use_the_custom_code(tmp_path: Path) -> None:
    write_rules(tmp_path / "conf" / "rules", {
        "ORG005.yaml": rule_file("ORG005", "check: annotation-matches\nparams:\n  key: post.hook.backup.velero.io/on-error\n"
                                           "  values: [Continue]\n"),
    })
    (tmp_path / "conf" / "vmlint.yaml").write_text("rules-dirs: [rules]\nseverity: {ORG005: warning}\n")
    (tmp_path / "vm.yaml").write_text(BAD_VM)
    done = run_cli("check", "-q", "--config", "conf/vmlint.yaml", "--select", "ORG", "vm.yaml", cwd=tmp_path)
    assert done.exit_code == 0, done  # warning, below the default --fail-on error
    assert done.stdout == ("vm.yaml:10:46: ORG005 [warning] post.hook.backup.velero.io/on-error is 'Fail': it must be "
                           "one of Continue\n")


def test_a_suppression_naming_a_custom_rule_that_suppresses_nothing_is_unused_not_unknown(tmp_path: Path) -> None:
    body = "check: annotation-matches\nparams:\n  key: post.hook.backup.velero.io/on-error\n  values: [Continue]\n"
    write_rules(tmp_path / "rules", {"ORG004.yaml": rule_file("ORG004", body)})
    (tmp_path / ".vmlint.yaml").write_text("rules-dirs: [rules]\n")
    (tmp_path / "vm.yaml").write_text(GOOD_VM.replace("name: web", "name: web  # vmlint: disable=ORG004,ORG999"))
    done = run_cli("check", "-q", "--select", "ORG,VM090", "vm.yaml", cwd=tmp_path)
    assert (done.exit_code, done.stderr) == (0, "")
    assert done.stdout == (
        "vm.yaml:4:14: VM090 [warning] this suppression names ORG004, but it suppresses no ORG004 finding\n"
        "vm.yaml:4:14: VM090 [warning] this suppression names ORG999, but ORG999 is not a vmlint rule code\n"
    )
    # ORG004 left out of the run: known, so not judged; ORG999 is still no rule
    done = run_cli("check", "-q", "--select", "VM090", "vm.yaml", cwd=tmp_path)
    assert done.stdout == "vm.yaml:4:14: VM090 [warning] this suppression names ORG999, but ORG999 is not a vmlint rule code\n"


def test_rules_lists_custom_rules_with_the_rule_file_they_come_from(tmp_path: Path) -> None:
    body = "check: required-annotation\nparams: {key: a.example.com/b}\n"
    write_rules(tmp_path / "conf" / "rules", {"ORG004.yaml": rule_file("ORG004", body),
                                              "off.yaml": rule_file("ORG007", "enabled: false\n" + body)})
    (tmp_path / "conf" / ".vmlint.yaml").write_text("rules-dirs: [rules]\n")
    done = run_cli("rules", "--config", "conf/.vmlint.yaml", cwd=tmp_path)
    assert (done.exit_code, done.stderr) == (0, "")
    header, org004, org007, vm001 = done.stdout.splitlines()[:4]
    assert header.split() == ["code", "name", "severity", "fix", "summary"]
    assert re.fullmatch(r"ORG004  rule-org004 +error     none    A test rule\. \(from conf/rules/ORG004\.yaml\)", org004)
    assert re.fullmatch(r"ORG007  rule-org007 \(opt-in\) +error     none    A test rule\. \(from conf/rules/off\.yaml\)",
                        org007)
    assert vm001.startswith("VM001 ") and "(from" not in vm001  # a built-in rule names no file
    found = run_cli("rules", cwd=tmp_path / "conf")  # the closest configuration, as `vmlint check` finds it
    assert found.stdout.splitlines()[1].endswith("A test rule. (from rules/ORG004.yaml)")


def test_explain_shows_a_custom_rule_and_its_rule_file(tmp_path: Path) -> None:
    write_rules(tmp_path / "rules", {"ORG004.yaml": rule_file("ORG004", "check: required-annotation\nparams: {key: a/b}\n")})
    (tmp_path / ".vmlint.yaml").write_text("rules-dirs: [rules]\n")
    done = run_cli("explain", "ORG004", cwd=tmp_path)
    assert (done.exit_code, done.stderr) == (0, "")
    assert done.stdout.splitlines()[:9] == [
        "ORG004 rule-org004 (error, no automatic fix)", "", "A test rule.", "", "Custom rule from rules/ORG004.yaml",
        "", "Why", "  Because.", "",
    ]
    assert "\nBad\n  apiVersion: kubevirt.io/v1\n" in done.stdout
    assert run_cli("explain", "rule-org004", cwd=tmp_path).stdout == done.stdout
    assert "Custom rule from" not in run_cli("explain", "VM102", cwd=tmp_path).stdout


def test_rules_and_explain_with_a_bad_configuration_or_rule_file_are_exit_2(tmp_path: Path) -> None:
    assert run_cli("rules", "--config", "nowhere.yaml", cwd=tmp_path) == (
        2, "", "vmlint: error: no such configuration file: nowhere.yaml\n")
    write_rules(tmp_path / "rules", {"x.yaml": "code: ORG1\n"})
    (tmp_path / ".vmlint.yaml").write_text("rules-dirs: [rules]\n")
    done = run_cli("explain", "ORG1", cwd=tmp_path)
    assert (done.exit_code, done.stdout) == (2, "")
    assert done.stderr.startswith("vmlint: error: ") and done.stderr.endswith(
        "x.yaml: missing name, severity, examples, summary (or message), rationale (or documentation), check (or schema)\n")
    assert done.stderr.count("\n") == 1


# --- the parameterised checks -----------------------------------------------------------------------------------


def test_required_annotation_points_at_the_annotations_key(tmp_path: Path) -> None:
    body = "check: required-annotation\nparams:\n  keys: [pre.hook.backup.velero.io/on-error, post.hook.backup.velero.io/on-error]\n"
    findings = lint_with(tmp_path, body, BAD_VM)
    assert messages(findings) == [
        ("ORG001", 9, 7, "VirtualMachine web has no pre.hook.backup.velero.io/on-error in "
                         "spec.template.metadata.annotations"),
    ]
    assert at(BAD_VM, findings[0]).startswith("annotations:")
    assert findings[0].hint == "add pre.hook.backup.velero.io/on-error to spec.template.metadata.annotations"


def test_required_annotation_without_annotations_points_at_the_deepest_key_there_is(tmp_path: Path) -> None:
    text = "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: web\nspec:\n  template:\n    spec: {}\n"
    findings = lint_with(tmp_path, "check: required-annotation\nparams: {key: a.example.com/b}\n", text)
    assert where(findings) == [("ORG001", 6, 3)]
    assert findings[0].message == ("VirtualMachine web has no a.example.com/b in spec.template.metadata.annotations "
                                   "(absent)")


def test_a_message_template_words_the_finding(tmp_path: Path) -> None:
    body = ("check: required-annotation\nparams: {key: a.example.com/b}\n"
            "message: '{kind} {name} in {namespace} lacks {key} ({detail})'\n")
    findings = lint_with(tmp_path, body, BAD_VM)
    assert findings[0].message == ("VirtualMachine web in prod-eu lacks a.example.com/b (VirtualMachine web has no "
                                   "a.example.com/b in spec.template.metadata.annotations)")


SKIPPED = """\
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: db
  annotations:
    kubevirt.io/skip-backup-hooks: "true"
spec:
  template:
    metadata: {}
"""


def test_forbidden_annotation_points_at_the_key_unless_excused(tmp_path: Path) -> None:
    body = ("check: forbidden-annotation\npath: metadata.annotations\nparams:\n  keys: [kubevirt.io/skip-*]\n"
            "  unless: [backup.example.com/no-freeze-reason]\n")
    findings = lint_with(tmp_path, body, SKIPPED)
    assert messages(findings) == [
        ("ORG001", 6, 5, "metadata.annotations must not set kubevirt.io/skip-backup-hooks without "
                         "backup.example.com/no-freeze-reason"),
    ]
    assert at(SKIPPED, findings[0]).startswith("kubevirt.io/skip-backup-hooks:")
    excused = SKIPPED.replace('"true"\n', '"true"\n    backup.example.com/no-freeze-reason: app-consistent dumps\n')
    assert lint_with(tmp_path, body, excused) == []


def test_annotation_matches_points_at_the_value(tmp_path: Path) -> None:
    body = "check: annotation-matches\nparams:\n  key: post.hook.backup.velero.io/on-error\n  pattern: Continue|Fail\n"
    text = vm_with("post.hook.backup.velero.io/on-error: continue", namespace="prod-eu")
    findings = lint_with(tmp_path, body, text)
    assert messages(findings) == [
        ("ORG001", 10, 46, "post.hook.backup.velero.io/on-error is 'continue': it must be a match of /Continue|Fail/"),
    ]
    assert at(text, findings[0]) == "continue"
    assert lint_with(tmp_path, body, vm_with("post.hook.backup.velero.io/on-error: Fail")) == []
    assert lint_with(tmp_path, body, vm_with("pre.hook.backup.velero.io/on-error: Fail")) == []  # absent: fine


def test_annotation_matches_required_reports_an_absent_key(tmp_path: Path) -> None:
    body = "check: annotation-matches\nparams:\n  key: post.hook.backup.velero.io/on-error\n  values: [Continue]\n  required: true\n"
    findings = lint_with(tmp_path, body, vm_with("pre.hook.backup.velero.io/on-error: Fail"))
    assert messages(findings) == [
        ("ORG001", 9, 7, "VirtualMachine web has no post.hook.backup.velero.io/on-error: it must be one of Continue"),
    ]


def test_max_duration(tmp_path: Path) -> None:
    body = "check: max-duration\nparams: {max: 120s}\n"
    text = vm_with("pre.hook.backup.velero.io/timeout: 2m", "post.hook.backup.velero.io/timeout: 2m1s",
                   "post.hook.backup.velero.io/on-error: Continue")
    findings = lint_with(tmp_path, body, text)
    assert messages(findings) == [
        ("ORG001", 11, 45, "post.hook.backup.velero.io/timeout is 2m1s (121s), longer than the allowed 120s"),
    ]
    assert at(text, findings[0]) == "2m1s"
    negative = lint_with(tmp_path, body, vm_with("pre.hook.backup.velero.io/timeout: -1s"))
    assert messages(negative) == [
        ("ORG001", 10, 44, "pre.hook.backup.velero.io/timeout is -1s: a negative timeout means Velero waits for ever "
                           "(at most 120s)"),
    ]
    assert lint_with(tmp_path, body, vm_with("pre.hook.backup.velero.io/timeout: 30")) == []  # VM105's, not ours


def test_require_freeze_as_a_custom_rule_with_a_selector(tmp_path: Path) -> None:
    body = "check: require-freeze\nmatch:\n  labels: {tier: database}\n"
    labelled = SKIPPED.replace("  name: db\n", "  name: db\n  labels: {tier: database}\n")
    findings = lint_with(tmp_path, body, labelled)
    assert messages(findings) == [
        ("ORG001", 7, 36, "kubevirt.io/skip-backup-hooks is true and no pre hook of VirtualMachine db's own replaces "
                          "KubeVirt's: freezing is disabled, so its backups are only crash-consistent"),
    ]
    assert at(labelled, findings[0]) == '"true"'
    assert lint_with(tmp_path, body, SKIPPED) == []  # no tier=database label


# --- JSON Schema rules ------------------------------------------------------------------------------------------

TEAM_SCHEMA = """\
match: {kinds: [VirtualMachine]}
path: metadata.labels
schema:
  type: object
  required: [team]
  properties:
    team: {type: string}
    cost-centre: {type: integer}
  additionalProperties: {type: string}
"""

LABELLED = """\
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: web
  labels:
    app: web
    cost-centre: abc
spec: {}
"""


def test_a_missing_required_label_points_at_the_labels_key(tmp_path: Path) -> None:
    findings = lint_with(tmp_path, TEAM_SCHEMA, LABELLED)
    assert messages(findings) == [
        ("ORG001", 5, 3, "metadata.labels: 'team' is a required property"),
        ("ORG001", 7, 18, "metadata.labels.cost-centre: 'abc' is not of type 'integer'"),
    ]
    assert at(LABELLED, findings[0]).startswith("labels:")
    assert at(LABELLED, findings[1]) == "abc"  # the wrong-typed value itself


def test_without_labels_the_finding_points_at_metadata(tmp_path: Path) -> None:
    text = "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: web\nspec: {}\n"
    findings = lint_with(tmp_path, TEAM_SCHEMA, text)
    assert messages(findings) == [("ORG001", 3, 1, "metadata.labels is missing: 'team' is a required property")]
    assert lint_with(tmp_path, TEAM_SCHEMA + "missing: skip\n", text) == []


def test_scalars_have_their_kubernetes_types_and_extra_keys_are_pointed_at(tmp_path: Path) -> None:
    schema = ("path: metadata.labels\nschema:\n  type: object\n  properties:\n    team: {type: string}\n"
              "  additionalProperties: false\n")
    text = LABELLED.replace("    app: web\n    cost-centre: abc\n", "    team: yes\n    owner: me\n")
    findings = lint_with(tmp_path, schema, text)
    assert len(findings) == 2
    by_message = {f.message: f for f in findings}
    extra = by_message["metadata.labels: Additional properties are not allowed ('owner' was unexpected)"]
    assert (extra.line, extra.column) == (7, 5) and at(text, extra).startswith("owner:")
    typed = by_message["metadata.labels.team: True is not of type 'string'"]
    assert (typed.line, typed.column) == (6, 11) and at(text, typed) == "yes"


def test_a_schema_on_a_sequence_item_points_at_the_item(tmp_path: Path) -> None:
    schema = "path: spec.template.spec.volumes\nschema:\n  type: array\n  items: {required: [name]}\n"
    text = ("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
            "      volumes:\n        - name: root\n          containerDisk: {image: x}\n        - containerDisk: {image: y}\n")
    findings = lint_with(tmp_path, schema, text)
    assert messages(findings) == [("ORG001", 11, 11, "spec.template.spec.volumes.1: 'name' is a required property")]


# --- selecting objects ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("namespace", "default", "found"), [
    ("prod-eu", None, True), ("prod", None, False), ("staging-prod-eu", None, False), (None, None, False),
    (None, "prod-us", True),
])
def test_namespace_globs(tmp_path: Path, namespace: str | None, default: str | None, found: bool) -> None:
    body = "match: {namespaces: ['prod-*']}\ncheck: required-annotation\nparams: {key: a.example.com/b}\n"
    text = vm_with("post.hook.backup.velero.io/on-error: Fail", namespace=namespace)
    assert bool(lint_with(tmp_path, body, text, namespace=default)) is found


@pytest.mark.parametrize(("selector", "labels", "found"), [
    ({"tier": "db"}, {"tier": "db", "app": "pg"}, True),
    ({"tier": "db"}, {"tier": "web"}, False),
    ({"matchLabels": {"tier": "db"}}, {"tier": "db"}, True),
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["db", "cache"]}]}, {"tier": "cache"}, True),
    ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]}, {"tier": "db"}, False),
    ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]}, {}, True),
    ({"matchExpressions": [{"key": "backup", "operator": "Exists"}]}, {"backup": ""}, True),
    ({"matchExpressions": [{"key": "backup", "operator": "DoesNotExist"}]}, {"backup": "x"}, False),
])
def test_label_selectors(selector: dict, labels: dict, found: bool) -> None:
    assert selector_matches(selector, labels) is found


def test_a_label_selector_in_a_rule_reads_the_objects_own_labels(tmp_path: Path) -> None:
    body = ("match:\n  labels:\n    matchExpressions: [{key: tier, operator: In, values: [db]}]\n"
            "check: required-annotation\nparams: {key: a.example.com/b}\n")
    text = BAD_VM.replace("  namespace: prod-eu\n", "  namespace: prod-eu\n  labels:\n    tier: db\n")
    assert where(lint_with(tmp_path, body, text)) == [("ORG001", 11, 7)]
    assert lint_with(tmp_path, body, BAD_VM) == []


def test_kinds_select_other_objects_for_a_schema(tmp_path: Path) -> None:
    body = "match: {kinds: [DataVolume]}\npath: spec.storage\nschema: {required: [storageClassName]}\n"
    text = ("apiVersion: cdi.kubevirt.io/v1beta1\nkind: DataVolume\nmetadata:\n  name: root\nspec:\n  storage:\n"
            "    resources: {requests: {storage: 10Gi}}\n---\n" + BAD_VM)
    assert messages(lint_with(tmp_path, body, text)) == [
        ("ORG001", 6, 3, "spec.storage: 'storageClassName' is a required property"),
    ]


def test_a_rule_on_a_kind_vmlint_does_not_read_still_sees_it(tmp_path: Path) -> None:
    """Documents are built only when a selected rule can read them: a Deployment without any KubeVirt or Velero
    text is built for a rule whose match names Deployment, and for a path on every kind."""
    text = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n---\n"
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n")
    by_kind = "match: {kinds: [Deployment]}\npath: metadata\nschema: {required: [namespace]}\n"
    assert messages(lint_with(tmp_path / "kind", by_kind, text)) == [
        ("ORG001", 3, 1, "metadata: 'namespace' is a required property"),
    ]
    every_kind = "path: metadata\nschema: {required: [namespace]}\n"
    assert messages(lint_with(tmp_path / "all", every_kind, text)) == [
        ("ORG001", 3, 1, "metadata: 'namespace' is a required property"),
        ("ORG001", 10, 1, "metadata: 'namespace' is a required property"),
    ]


# --- vmlint test-rules ------------------------------------------------------------------------------------------


def test_the_example_policy_pack_passes_its_own_examples() -> None:
    done = run_cli("test-rules", "examples/policies")
    assert done.exit_code == 0, done
    assert done.stdout.splitlines()[-1] == "6 rules: 6 passed, 0 failed"
    assert len(load_rules_dir(POLICIES)) >= 5


def test_the_builtin_catalogue_passes_test_rules() -> None:
    done = run_cli("test-rules", "rules")
    assert done.exit_code == 0, done.stdout


def test_test_rules_reports_examples_that_misbehave(tmp_path: Path) -> None:
    body = "check: annotation-matches\nparams:\n  key: post.hook.backup.velero.io/on-error\n  values: [Continue]\n"
    write_rules(tmp_path, {
        "ok.yaml": rule_file("ORG001", body),
        "swapped.yaml": rule_file("ORG002", body, bad=GOOD_VM, good=BAD_VM),
    })
    done = run_cli("test-rules", tmp_path)
    assert done.exit_code == 1
    assert done.stdout.splitlines() == [
        "ok    ORG001 rule-org001 (1 bad, 1 good)",
        "FAIL  ORG002 rule-org002 (1 bad, 1 good)",
        "      bad example 1 gives no ORG002 finding",
        "      good example 1 gives ORG002 at 10:46: post.hook.backup.velero.io/on-error is 'Fail': it must be one of "
        "Continue",
        "2 rules: 1 passed, 1 failed",
    ]


def test_test_rules_on_a_malformed_or_empty_directory_is_exit_2(tmp_path: Path) -> None:
    assert run_cli("test-rules", tmp_path).exit_code == 2
    write_rules(tmp_path, {"x.yaml": "code: ORG1\n"})
    done = run_cli("test-rules", tmp_path)
    assert done.exit_code == 2 and "x.yaml: missing" in done.stderr


FROZEN_VM = """\
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      volumes:
        - name: cloudinit
          cloudInitNoCloud:
            userData: |
              #cloud-config
              packages: [qemu-guest-agent]
              runcmd:
                - [systemctl, enable, --now, qemu-guest-agent.service]
"""


def versioned_rule(versions: str) -> str:
    """ORG010, require-freeze, whose bad example names `versions` (YAML lines): a VM with a guest agent is frozen at
    vmlint's default KubeVirt, which injects the freeze hooks, and not by KubeVirt 0.44, which injects none."""
    return ("code: ORG010\nname: vms-are-frozen\nseverity: error\nsummary: Every VM is frozen.\nrationale: Because.\n"
            "check: require-freeze\nexamples:\n  bad:\n    - " + versions.replace("\n", "\n      ")
            + "manifest: |\n" + textwrap.indent(FROZEN_VM, "        ")
            + "  good:\n    - |\n" + textwrap.indent(FROZEN_VM, "      "))


def test_test_rules_lints_a_custom_example_at_the_versions_it_names(tmp_path: Path) -> None:
    write_rules(tmp_path, {"ORG010.yaml": versioned_rule('kubevirt-version: "0.44.0"\n')})
    assert run_cli("test-rules", tmp_path) == (
        0, "ok    ORG010 vms-are-frozen (1 bad, 1 good)\n1 rule: 1 passed, 0 failed\n", "")
    write_rules(tmp_path, {"ORG010.yaml": versioned_rule('velero-version: "1.8.0"\n')})  # the default KubeVirt
    assert run_cli("test-rules", tmp_path) == (1, (
        "FAIL  ORG010 vms-are-frozen (1 bad, 1 good)\n"
        "      bad example 1 (at velero-version 1.8.0) gives no ORG010 finding\n"
        "1 rule: 0 passed, 1 failed\n"), "")
    write_rules(tmp_path, {"ORG010.yaml": versioned_rule('harvester-version: "1.2.0"\nvelero-version: "1.8.0"\n')})
    assert load_rules_dir(tmp_path)[0].example_at("bad", 1) == " (at velero-version 1.8.0, harvester-version 1.2.0)"


def test_explain_shows_the_versions_an_example_is_linted_at(tmp_path: Path) -> None:
    write_rules(tmp_path / "rules", {"ORG010.yaml": versioned_rule('kubevirt-version: "0.44.0"\n')})
    (tmp_path / ".vmlint.yaml").write_text("rules-dirs: [rules]\n")
    done = run_cli("explain", "ORG010", cwd=tmp_path)
    assert done.exit_code == 0
    assert "\nBad (at kubevirt-version 0.44.0)\n  apiVersion: kubevirt.io/v1\n" in done.stdout
    assert "\nGood\n  apiVersion: kubevirt.io/v1\n" in done.stdout


@pytest.mark.parametrize(("versions", "error"), [
    ("kubevirt-version: 0.44\n", "bad example 1: kubevirt-version must be a quoted string such as \"1.6.4\", not 0.44"),
    ("kubevirt: \"0.44.0\"\n", "bad example 1: unknown key kubevirt (valid keys: manifest, kubevirt-version, "
                              "velero-version, harvester-version)"),
    ('kubevirt-version: "zero"\n', "bad example 1: 'zero' is not a version (expected for example 1.6.4 or v1.6.4)"),
])
def test_example_versions_vmlint_cannot_use_are_exit_2(tmp_path: Path, versions: str, error: str) -> None:
    write_rules(tmp_path, {"ORG010.yaml": versioned_rule(versions)})
    assert run_cli("test-rules", tmp_path) == (2, "", f"vmlint: error: {tmp_path / 'ORG010.yaml'}: {error}\n")


def test_the_policy_pack_runs_on_the_examples_and_the_corpus() -> None:
    corpus = REPO.parent / "shared" / "corpus" / "real"
    paths = ["examples"] + ([str(corpus)] if corpus.is_dir() else [])
    done = run_cli("check", "-q", "--config", "examples/policies/.vmlint.yaml", *paths)
    assert done.exit_code in (0, 1), done.stderr
    assert "internal error" not in done.stderr and done.stderr == ""


# --- VM901-VM903 and profile: strict -----------------------------------------------------------------------------


def test_vm901_a_frozen_vm_without_explicit_on_error() -> None:
    findings = lint_text(vm_with("pre.hook.backup.velero.io/on-error: Continue"), select=("VM901",))
    assert messages(findings) == [
        ("VM901", 9, 7, "VirtualMachine web gets freeze hooks (KubeVirt 1.9.0 injects its virt-freezer hooks) but sets "
                        "no post.hook.backup.velero.io/on-error in spec.template.metadata.annotations: Velero's "
                        "default, Fail, applies without anyone having chosen it"),
    ]
    both = vm_with("pre.hook.backup.velero.io/on-error: Continue", "post.hook.backup.velero.io/on-error: Fail")
    assert lint_text(both, select=("VM901",)) == []
    # KubeVirt 0.44 injects nothing and the VM runs no freeze of its own: nothing to decide
    assert lint_text(vm_with("pre.hook.backup.velero.io/on-error: Continue"), select=("VM901",), kubevirt="0.44.0") == []


def test_vm902_freezing_disabled_and_no_agent_evidence() -> None:
    skipped = SKIPPED.replace("  name: db\n", "  name: db\n  namespace: prod\n")
    assert messages(lint_text(skipped, select=("VM902",))) == [
        ("VM902", 7, 36, "kubevirt.io/skip-backup-hooks is true and no pre hook of VirtualMachine db's own replaces "
                         "KubeVirt's: freezing is disabled, so its backups are only crash-consistent"),
    ]
    old = vm_with("post.hook.backup.velero.io/on-error: Continue")
    assert messages(lint_text(old, select=("VM902",), kubevirt="0.44.0")) == [
        ("VM902", 9, 7, "KubeVirt 0.44.0 injects no freeze hooks (from 0.45 it does) and VirtualMachine web has no "
                        "hooks of its own: nothing freezes the guest"),
    ]
    findings = lint_text(old, select=("VM902",))
    assert where(findings) == [("VM902", 4, 9)]
    assert findings[0].message.startswith("VirtualMachine web may have no guest agent: it has neither cloud-init")
    installed = old.replace("  namespace: prod\n", "  namespace: prod\n  annotations:\n    vmlint.io/guest-agent: installed\n")
    assert lint_text(installed, select=("VM902",)) == []


def test_vm903_a_hard_coded_namespace_without_metadata_namespace() -> None:
    command = '\'["/usr/bin/virt-freezer", "--freeze", "--name", "web", "--namespace", "prod"]\''
    text = vm_with(f"pre.hook.backup.velero.io/command: {command}", namespace=None)
    findings = lint_text(text, select=("VM903",))
    assert where(findings) == [("VM903", 10, 101)]
    assert at(text, findings[0]).startswith("--namespace")
    assert findings[0].message.startswith("pre.hook.backup.velero.io/command hard-codes --namespace prod but "
                                          "VirtualMachine web sets no metadata.namespace")
    assert findings[0].hint == "set metadata.namespace: prod on the VirtualMachine"
    shell = vm_with("pre.hook.backup.velero.io/command: "
                    "'[\"/bin/sh\", \"-c\", \"virt-freezer --freeze --name web --namespace=prod || true\"]'", namespace=None)
    found = lint_text(shell, select=("VM903",))
    assert where(found) == [("VM903", 10, 97)] and at(shell, found[0]).startswith("--namespace=prod")
    assert lint_text(vm_with(f"pre.hook.backup.velero.io/command: {command}"), select=("VM903",)) == []


def test_profile_strict_adds_the_policies_to_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "vm.yaml").write_text(vm_with("pre.hook.backup.velero.io/on-error: Continue"))
    plain = run_cli("check", "-q", "--fail-on", "info", "vm.yaml", cwd=tmp_path)
    assert "VM9" not in plain.stdout
    (tmp_path / ".vmlint.yaml").write_text("profile: strict\nignore: [VM903]\n")
    strict = run_cli("check", "-q", "vm.yaml", cwd=tmp_path)
    codes = [line.split()[1] for line in strict.stdout.splitlines()]
    assert sorted(code for code in codes if code.startswith("VM9")) == ["VM901", "VM902"], strict
    assert strict.exit_code == 0  # policies are warnings
    (tmp_path / ".vmlint.yaml").write_text("profile: lenient\n")
    assert run_cli("check", "vm.yaml", cwd=tmp_path).exit_code == 2
    (tmp_path / "empty.yaml").write_text("")
    cli = run_cli("check", "-q", "--profile", "strict", "--config", "empty.yaml", "vm.yaml", cwd=tmp_path)
    assert {line.split()[1] for line in cli.stdout.splitlines()} >= {"VM901", "VM902"}, cli
