"""The machine-readable reports: SARIF, GitHub workflow commands, JUnit XML, JSON and GitLab Code Quality.

Each report is read back by an independent consumer: SARIF is validated against the official OASIS schema
(tests/data/sarif-schema-2.1.0.json, see tests/data/README.md) and loaded with Microsoft's sarif-tools;
JUnit is parsed with junitparser and with the standard library's (strict) XML parser; workflow commands with a parser written
here from GitHub's grammar; JSON is validated against the published lint/schemas/report.schema.json; GitLab's
against the fields GitLab documents (tests/data/gitlab-code-quality.schema.json, see tests/data/README.md). Crafted
file names and messages try to break out of each format.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from itertools import groupby
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import REPO, run_cli
from helpers import lint_result
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator, Draft202012Validator
from junitparser import Error, Failure, JUnitXml
from sarif import loader as sarif_loader
from sarif import sarif_file_utils

from lint.core.catalogue import Catalogue, builtin_catalogue
from lint.core.findings import Finding, RunResult, Severity
from lint.reporters import FORMATS, reporter
from lint.reporters.gitlab import code_quality, relative_path
from lint.reporters.json import finding_dict
from lint.reporters.sarif import FINGERPRINT, sarif_log
from lint.reporters.text import printable, render_text
from lint.run.discovery import discover
from lint.run.engine import run, select_rules
from lint.target.settings import Settings

DATA = Path(__file__).resolve().parent / "data"
SARIF_SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
GITLAB_SCHEMA = json.loads((DATA / "gitlab-code-quality.schema.json").read_text(encoding="utf-8"))
REPORT_SCHEMA = json.loads((REPO / "lint" / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
CATALOGUE = builtin_catalogue()
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")  # what no terminal or log may receive


def finding(**changes: object) -> Finding:
    """A VM002 finding on line 11, columns 9-45, changed as given."""
    base = Finding(
        path="vm.yaml", line=11, column=9, end_line=11, end_column=45, code="VM002", rule="duplicate-key",
        severity=Severity.ERROR, message="key 'pre.hook.backup.velero.io/on-error' repeats the key at line 10, column 9",
        hint="keep one of the two keys", kind="VirtualMachine", name="web", namespace="prod",
        source_line="        pre.hook.backup.velero.io/on-error: Fail",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def result_of(*findings: Finding, errors: tuple[str, ...] = ()) -> RunResult:
    return RunResult(findings=list(findings), files=1, objects=1, workloads=1, errors=list(errors))


@pytest.fixture
def examples(monkeypatch: pytest.MonkeyPatch) -> RunResult:
    """The examples directory linted from the repository root, so that paths are relative (examples/…)."""
    monkeypatch.chdir(REPO)
    result = run(list(discover(["examples"])), select_rules(CATALOGUE), Settings())
    assert not result.errors, result.errors
    assert result.findings
    return result


def rule_example_results() -> list[tuple[str, RunResult]]:
    cases = []
    for rule in CATALOGUE:
        for number, example in enumerate(rule.examples_bad):
            cases.append((f"{rule.code}-bad{number}", lint_result(example, select=(rule.code,), path=f"{rule.code}.yaml")))
    return cases


RULE_EXAMPLES = rule_example_results()


def test_factory_names_and_outputs(examples):
    assert FORMATS == ("text", "json", "sarif", "github", "junit", "gitlab")
    for name in FORMATS:
        text = reporter(name)(examples)
        assert isinstance(text, str) and text.endswith("\n")
    assert reporter("text", quiet=True)(examples) == render_text(examples, quiet=True)
    with pytest.raises(ValueError, match="unknown output format 'xml'"):
        reporter("xml")


# SARIF ----------------------------------------------------------------------------------------------------------


def sarif_of(result: RunResult, catalogue: Catalogue | None = None) -> dict:
    """The SARIF log of a run, after checking it against the OASIS schema."""
    text = reporter("sarif", catalogue=catalogue)(result)
    document = json.loads(text)
    errors = sorted(Draft4Validator(SARIF_SCHEMA).iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    return document


def test_sarif_schema_copy_is_the_oasis_draft4_schema():
    Draft4Validator.check_schema(SARIF_SCHEMA)
    assert SARIF_SCHEMA["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert SARIF_SCHEMA["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    # The validator is not toothless: a region with a 0 column or a log without runs is rejected.
    assert not Draft4Validator(SARIF_SCHEMA).is_valid({"version": "2.1.0"})
    bad = sarif_log(result_of(finding()))
    bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"] = 0
    assert not Draft4Validator(SARIF_SCHEMA).is_valid(bad)


def test_sarif_on_examples_is_valid_and_read_back_by_sarif_tools(examples, tmp_path):
    document = sarif_of(examples)
    path = tmp_path / "vmlint.sarif"
    path.write_text(reporter("sarif")(examples), encoding="utf-8")
    loaded = sarif_loader.load_sarif_file(str(path))
    assert loaded.get_distinct_tool_names() == ["vmlint"]
    assert loaded.get_result_count() == len(examples.findings)
    records = loaded.get_records()
    assert [(r["Location"], r["Line"], r["Code"]) for r in records] == [
        (f.path, f.line, f.code) for f in examples.findings
    ]
    levels = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    assert [r["Severity"] for r in records] == [levels[f.severity] for f in examples.findings]
    run_data = document["runs"][0]
    for result, f in zip(loaded.get_results(), examples.findings):
        rule, index = sarif_file_utils.read_result_rule(result, run_data)
        assert rule is not None and rule["id"] == f.code and index == result["ruleIndex"]
        assert loaded.get_rules_by_id(f.code) == [rule]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"], region["endLine"], region["endColumn"]) == (
            f.line, f.column, f.end_line, f.end_column
        )


def test_sarif_run_driver_and_invocation(examples):
    document = sarif_of(examples)
    assert list(document) == ["$schema", "version", "runs"]
    assert document["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert document["version"] == "2.1.0"
    (run_data,) = document["runs"]
    assert run_data["columnKind"] == "unicodeCodePoints"
    # the examples hold a cluster export, whose launcher images say which KubeVirt the run assumes: a note
    assert run_data["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": [
        {"level": "note", "message": {"text": examples.notes[0]}}]}]
    assert examples.notes[0].startswith("Assuming KubeVirt 1.9.0, from the launcher image of Pod ")
    driver = run_data["tool"]["driver"]
    from lint import __version__

    assert (driver["name"], driver["version"]) == ("vmlint", __version__)
    assert driver["informationUri"].startswith("https://")


def test_sarif_rules_describe_the_whole_catalogue():
    document = sarif_of(result_of())
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [rule.code for rule in CATALOGUE]
    levels = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    for descriptor, rule in zip(rules, CATALOGUE):
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"] == {"text": rule.summary}
        assert descriptor["fullDescription"] == {"text": rule.rationale}
        assert descriptor["helpUri"] == f"https://vmlint.dev/rules/{rule.code}"
        assert descriptor["defaultConfiguration"] == {"enabled": rule.default_enabled, "level": levels[rule.severity]}
        for example in (*rule.examples_bad, *rule.examples_good):
            assert example.rstrip() in descriptor["help"]["text"]
            assert f"yaml\n{example.rstrip()}\n```" in descriptor["help"]["markdown"]
        assert rule.rationale in descriptor["help"]["text"] and rule.rationale in descriptor["help"]["markdown"]
    assert any(not r["defaultConfiguration"]["enabled"] for r in rules) == any(not r.default_enabled for r in CATALOGUE)


def test_sarif_uses_the_given_catalogue_and_describes_unknown_rules():
    catalogue = Catalogue(tuple(rule for rule in CATALOGUE if rule.code in ("VM001", "VM002")))
    stranger = finding(code="VM999", rule="from-a-rule-pack", severity=Severity.WARNING)
    document = sarif_of(result_of(finding(), stranger), catalogue)
    run_data = document["runs"][0]
    rules = run_data["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["VM001", "VM002", "VM999"]
    assert rules[2]["name"] == "from-a-rule-pack"
    assert [(r["ruleId"], r["ruleIndex"], r["level"]) for r in run_data["results"]] == [
        ("VM002", 1, "error"), ("VM999", 2, "warning")
    ]


EXAMPLE_REGIONS = {
    "examples/hooks-on-vm-metadata.yaml": [
        ("VM004", 9, 5, 9, 38, "pre.hook.backup.velero.io/command"),
        ("VM004", 10, 5, 10, 39, "post.hook.backup.velero.io/command"),
        ("VM103", 10, 41, 10, 107, "/usr/bin/virt-freezer --unfreeze --name db-1 --namespace databases"),
    ],
    "examples/vmi-copied-hooks.yaml": [
        ("VM108", 10, 5, 10, 38, "pre.hook.backup.velero.io/command"),
        ("VM301", 10, 5, 10, 38, "pre.hook.backup.velero.io/command"),
        ("VM202", 10, 90, 10, 97, "cache-1"),
        ("VM203", 10, 116, 10, 123, "default"),
        ("VM101", 11, 5, 11, 40, "post.hook.backup.velero.io/commands"),
    ],
    "examples/harvester-kb-original.yaml": [
        ("VM301", 15, 9, 15, 42, "pre.hook.backup.velero.io/command"),
        ("VM201", 15, 99, 15, 113, "[VM Namespace]"),
        ("VM201", 15, 127, 15, 136, "[VM Name]"),
        ("VM102", 15, 136, 15, 137, '"'),
        ("VM201", 19, 102, 19, 116, "[VM Namespace]"),
        ("VM201", 19, 130, 19, 139, "[VM Name]"),
        ("VM402", 38, 24, 38, 43, "ubuntu-web-rootdisk"),
    ],
}


def _region_text(path: Path, region: dict) -> str:
    lines = path.read_text(encoding="utf-8").split("\n")
    assert region["startLine"] == region["endLine"]
    return lines[region["startLine"] - 1][region["startColumn"] - 1 : region["endColumn"] - 1]


@pytest.mark.parametrize("name", sorted(EXAMPLE_REGIONS))
def test_sarif_regions_of_the_examples_are_exact(examples, name):
    run_data = sarif_of(examples)["runs"][0]
    got = []
    for result in run_data["results"]:
        location = result["locations"][0]["physicalLocation"]
        if location["artifactLocation"] == {"uri": name, "uriBaseId": "%SRCROOT%"}:
            region = location["region"]
            text = _region_text(REPO / name, region)
            got.append((result["ruleId"], region["startLine"], region["startColumn"], region["endLine"],
                        region["endColumn"], text))
    assert got == EXAMPLE_REGIONS[name]


def test_sarif_columns_count_code_points_not_utf16_units():
    text = (
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: web\n  namespace: prod\nspec:\n"
        "  template:\n    metadata:\n      annotations:\n"
        "        pre.hook.backup.velero.io/command: '[\"/bin/echo\", \"\U0001f600\u00e9\", \"--name\", \"[VM Name]\"]'\n"
    )
    result = lint_result(text, select=("VM201",), path="emoji.yaml")
    document = sarif_of(result)
    (sarif_result,) = document["runs"][0]["results"]
    region = sarif_result["locations"][0]["physicalLocation"]["region"]
    line = text.split("\n")[region["startLine"] - 1]
    assert line[region["startColumn"] - 1 : region["endColumn"] - 1] == "[VM Name]"
    assert region["startColumn"] == line.index("[VM Name]") + 1  # a code point index: the emoji counts once


@pytest.mark.parametrize("case", RULE_EXAMPLES, ids=[case_id for case_id, _ in RULE_EXAMPLES])
def test_sarif_of_every_rule_example_is_valid(case):
    _, result = case
    document = sarif_of(result)
    results = document["runs"][0]["results"]
    assert len(results) == len(result.findings)
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    for sarif_result, f in zip(results, result.findings):
        assert rules[sarif_result["ruleIndex"]]["id"] == sarif_result["ruleId"] == f.code
        expected = f.message + (f"\nhint: {f.hint}" if f.hint else "")
        assert sarif_result["message"] == {"text": expected}
        assert sarif_result["properties"] == {
            key: value for key, value in (("kind", f.kind), ("name", f.name), ("namespace", f.namespace)) if value is not None
        }
        assert ("fixes" in sarif_result) == (f.fix is not None)  # a fix where one exists, and only there


def _fingerprints(result: RunResult) -> list[str]:
    return [r["partialFingerprints"][FINGERPRINT] for r in sarif_of(result)["runs"][0]["results"]]


def test_sarif_fingerprints_survive_lines_inserted_above():
    (example,) = CATALOGUE.get("VM002").examples_bad
    before = lint_result(example, select=("VM002",))
    after = lint_result("# a comment\n# and another\n\n" + example, select=("VM002",))
    assert [f.line + 3 for f in before.findings] == [f.line for f in after.findings]
    assert [f.message for f in before.findings] != [f.message for f in after.findings]  # "repeats the key at line N"
    assert _fingerprints(before) == _fingerprints(after)
    indented = lint_result(example.replace("kind: VirtualMachine\n", "kind: VirtualMachine\n# moved down\n"), select=("VM002",))
    assert _fingerprints(indented) == _fingerprints(before)


def test_sarif_fingerprints_tell_findings_apart(examples):
    fingerprints = _fingerprints(examples)
    assert len(set(fingerprints)) == len(fingerprints)
    assert all(re.fullmatch(r"[0-9a-f]{32}:[0-9]+", value) for value in fingerprints)
    # Two findings that differ only in where they are (the same key repeated twice more) stay apart by occurrence.
    twice = result_of(finding(line=11), finding(line=12, message=finding().message.replace("line 10", "line 11")))
    first, second = _fingerprints(twice)
    assert first != second and first.split(":")[0] == second.split(":")[0]
    # Another object, file, rule or message is another fingerprint.
    base = _fingerprints(result_of(finding()))[0]
    for other in (finding(name="db"), finding(path="other.yaml"), finding(code="VM001"), finding(message="key 'b' repeats")):
        assert _fingerprints(result_of(other))[0] != base


@pytest.mark.parametrize(
    "path, uri",
    [
        ("vm.yaml", "vm.yaml"),
        ("dir with space/100%/vm#1?.yaml", "dir%20with%20space/100%25/vm%231%3F.yaml"),
        ("a:b/ünï.yaml", "a%3Ab/%C3%BCn%C3%AF.yaml"),
        ("../up/vm.yaml", "../up/vm.yaml"),
        ("<stdin>", "%3Cstdin%3E"),
        ("evil\n\x1b[31m.yaml", "evil%0A%1B%5B31m.yaml"),
    ],
)
def test_sarif_relative_paths_are_percent_encoded_uris_on_srcroot(path, uri):
    document = sarif_of(result_of(finding(path=path)))
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": uri, "uriBaseId": "%SRCROOT%"}
    assert unquote(location["uri"]) == path


def test_sarif_absolute_paths_are_file_uris(tmp_path):
    path = str(tmp_path / "my vm.yaml")
    document = sarif_of(result_of(finding(path=path)))
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": Path(path).as_uri()}


def test_sarif_of_a_clean_run_has_an_empty_results_array():
    document = sarif_of(result_of())
    assert document["runs"][0]["results"] == []


def test_sarif_reports_run_errors_as_notifications():
    document = sarif_of(result_of(finding(), errors=("cannot read gone.yaml: No such file or directory",)))
    assert document["runs"][0]["invocations"] == [{
        "executionSuccessful": False,
        "toolExecutionNotifications": [
            {"level": "error", "message": {"text": "cannot read gone.yaml: No such file or directory"}}
        ],
    }]


def test_sarif_keeps_crafted_text_intact_and_output_is_stable():
    crafted = finding(message='a "quoted" \\ message\n\x1b[2J\u2028 with </script> and \U0001f600', hint=None,
                      kind=None, name=None, namespace=None)
    text = reporter("sarif")(result_of(crafted))
    assert text == reporter("sarif")(result_of(crafted))
    assert text.splitlines()[:3] == ["{", '  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",', '  "version": "2.1.0",']
    assert "\x1b" not in text and "\\u001b[2J" in text  # JSON escapes control characters
    (sarif_result,) = sarif_of(result_of(crafted))["runs"][0]["results"]
    assert sarif_result["message"] == {"text": crafted.message}
    assert sarif_result["properties"] == {}


# GitHub workflow commands ----------------------------------------------------------------------------------------

COMMAND = re.compile(r"::(?P<name>[A-Za-z0-9_-]+)(?: (?P<properties>.*?))?::(?P<data>.*)", re.DOTALL)
PROPERTY_NAMES = ("file", "line", "endLine", "col", "endColumn", "title")


def unescape_data(text: str) -> str:
    """actions/runner's UnescapeData: the inverse of the toolkit's escapeData (`%25` last)."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """One workflow command line `::name key=value,key=value::message`, unescaped (GitHub's documented
    grammar: the properties end at the first `::`, are separated by `,` and split at the first `=`)."""
    assert "\r" not in line and "\n" not in line, repr(line)
    match = COMMAND.fullmatch(line)
    assert match, f"not a workflow command: {line!r}"
    properties: dict[str, str] = {}
    for item in (match["properties"] or "").split(","):
        key, equals, value = item.partition("=")
        assert equals and key in PROPERTY_NAMES and key not in properties, f"bad property {item!r} in {line!r}"
        assert not set(value) & set(",:\r\n"), f"unescaped property value {value!r}"
        properties[key] = unescape_property(value)
    return match["name"], properties, unescape_data(match["data"])


def parse_commands(text: str) -> list[tuple[str, dict[str, str], str]]:
    assert text.endswith("\n") or not text
    return [parse_command(line) for line in text.splitlines()]  # splitlines: every line break any reader knows


def shown(text: str) -> str:
    """What a workflow command can carry: CR and LF escaped and recovered, every other control character shown."""
    return "\n".join("\r".join(printable(part) for part in piece.split("\r")) for piece in text.split("\n"))


def test_github_commands_round_trip_on_examples(examples):
    text = reporter("github")(examples)
    commands = parse_commands(text)
    assert len(commands) == len(examples.findings)
    names = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    for (name, properties, message), f in zip(commands, examples.findings):
        assert name == names[f.severity]
        assert properties == {
            "file": f.path, "line": str(f.line), "endLine": str(f.end_line), "col": str(f.column),
            "endColumn": str(f.end_column), "title": f"{f.code} {f.rule}",
        }
        assert message == f.message + (f"\nhint: {f.hint}" if f.hint else "")
    first = text.splitlines()[0]
    assert first.startswith("::warning file=examples/cluster-export.yaml,line=236,endLine=236,col=5,endColumn=15,"
                            "title=VM401 guest-agent-missing::")


def test_github_severities_and_multi_line_spans():
    findings = [
        finding(severity=Severity.WARNING, hint=None),
        finding(severity=Severity.INFO, line=3, end_line=5, end_column=2, hint=None),
    ]
    lines = reporter("github")(result_of(*findings)).splitlines()
    assert lines[0] == (
        "::warning file=vm.yaml,line=11,endLine=11,col=9,endColumn=45,title=VM002 duplicate-key::"
        "key 'pre.hook.backup.velero.io/on-error' repeats the key at line 10, column 9"
    )
    assert lines[1].startswith("::notice file=vm.yaml,line=3,endLine=5,title=VM002 duplicate-key::")  # no col across lines
    assert parse_command(lines[1])[1] == {"file": "vm.yaml", "line": "3", "endLine": "5", "title": "VM002 duplicate-key"}


INJECTIONS = [
    finding(path="a%0A::error::x.yaml"),
    finding(path="dir,with:colons/evil\r\n::warning file=x::pwn.yaml", message="plain"),
    finding(message="bad value\n::set-output name=x::y", hint="100%\r\n::error::z %25 %0A"),
    finding(path="x.yaml", rule="rule,with:title", message="ends with %", hint="::endgroup::"),
    finding(path="esc\x1b]0;title\x07\x85\u2028.yaml", message="colour \x1b[31mred\x1b[0m\x0b\x0c\x00", hint="tab\tok"),
]


def test_github_injection_yields_one_command_per_finding():
    text = reporter("github")(result_of(*INJECTIONS))
    assert not RAW_CONTROL.search(text.replace("\n", "")), "a raw control character reaches the log"
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) - 1 == len(INJECTIONS) == len(text.splitlines())
    for line, (name, properties, message), f in zip(lines, parse_commands(text), INJECTIONS):
        assert line.startswith("::error file=") and line.count("::") >= 2
        assert name == "error"
        assert properties["file"] == shown(f.path)
        assert properties["title"] == shown(f"{f.code} {f.rule}")
        assert message == shown(f.message + (f"\nhint: {f.hint}" if f.hint else ""))
    # Without other control characters the original text comes back exactly.
    assert parse_commands(text)[0][1]["file"] == "a%0A::error::x.yaml"
    assert parse_commands(text)[1][1]["file"] == "dir,with:colons/evil\r\n::warning file=x::pwn.yaml"
    assert parse_commands(text)[2][2] == "bad value\n::set-output name=x::y\nhint: 100%\r\n::error::z %25 %0A"
    assert parse_commands(text)[4][1]["file"] == "esc\\x1b]0;title\\x07\\x85\\u2028.yaml"


@settings(max_examples=300, deadline=None)
@given(path=st.text(min_size=1), message=st.text(min_size=1), hint=st.none() | st.text())
def test_github_escaping_round_trips_any_text(path, message, hint):
    f = finding(path=path, message=message, hint=hint)
    text = reporter("github")(result_of(f))
    assert not RAW_CONTROL.search(text[:-1])
    (command,) = parse_commands(text)
    assert command[1]["file"] == shown(path)
    assert command[2] == shown(message + (f"\nhint: {hint}" if hint else ""))


# JUnit XML -------------------------------------------------------------------------------------------------------


def junit_of(result: RunResult) -> tuple[str, JUnitXml]:
    text = reporter("junit")(result)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    data = text.encode("utf-8")  # no lone surrogate may survive
    ET.fromstring(data)
    return text, JUnitXml.fromstring(data)


def test_junit_on_examples(examples):
    _, xml = junit_of(examples)
    assert xml.name == "vmlint"
    (suite,) = list(xml)
    assert suite.name == "vmlint"
    groups = {key: list(group) for key, group in groupby(sorted(examples.findings, key=lambda f: (f.path, f.code)),
                                                          key=lambda f: (f.path, f.code))}
    cases = list(suite)
    assert [(case.classname, case.name) for case in cases] == [
        (path, f"{code} {findings[0].rule}") for (path, code), findings in groups.items()
    ]
    assert suite.tests == xml.tests == len(cases) == len(groups)
    assert suite.failures == xml.failures == len(groups)
    assert suite.errors == xml.errors == 0 and suite.skipped == 0
    for case, findings in zip(cases, groups.values()):
        (failure,) = case.result
        assert isinstance(failure, Failure)
        ordered = sorted(findings, key=lambda f: (f.line, f.column))
        assert failure.message == ordered[0].message
        assert failure.type == str(max(f.severity for f in findings))
        assert failure.text.split("\n") == [
            f"{f.path}:{f.line}:{f.column}: {f.code} [{f.severity}] {f.message}" for f in ordered
        ]
    vm201 = groups[("examples/harvester-kb-original.yaml", "VM201")]
    assert len(vm201) == 4  # four findings, one test case


def test_junit_clean_run_and_run_errors():
    _, clean = junit_of(result_of())
    (suite,) = list(clean)
    (case,) = list(suite)
    assert (case.classname, case.name, case.is_passed) == ("vmlint", "vmlint", True)
    assert (suite.tests, suite.failures, suite.errors) == (1, 0, 0)

    _, broken = junit_of(result_of(finding(), errors=("cannot read a.yaml: Permission denied",)))
    (suite,) = list(broken)
    cases = list(suite)
    assert (suite.tests, suite.failures, suite.errors) == (2, 1, 1)
    assert (broken.tests, broken.failures, broken.errors) == (2, 1, 1)
    (error,) = cases[1].result
    assert isinstance(error, Error) and error.message == "cannot read a.yaml: Permission denied"


def test_junit_escapes_markup_and_control_characters():
    crafted = finding(
        path='a<b>&"c"]]>.yaml',
        rule="rule-<x>",
        message="<![CDATA[ ]]> & <script>alert(1)</script> \x1b[31mred\x00\x0b \ufffe \udc80 \U0001f600 'q' \"d\"",
    )
    second = finding(path=crafted.path, line=20, message="line one\nline two\r end")
    text, xml = junit_of(result_of(crafted, second))
    assert "]]>" not in text and "]]&gt;" in text  # the writer escapes `>`
    assert not RAW_CONTROL.search(text.replace("\n", "")), "a raw control character reaches the XML"
    (suite,) = list(xml)
    (case,) = list(suite)
    assert case.classname == crafted.path
    assert case.name == "VM002 rule-<x>"
    (failure,) = case.result
    visible = "<![CDATA[ ]]> & <script>alert(1)</script> \\x1b[31mred\\x00\\x0b \\ufffe \\udc80 \U0001f600 'q' \"d\""
    assert failure.message == visible
    assert failure.text.split("\n") == [
        f"{crafted.path}:11:9: VM002 [error] {visible}",
        f"{crafted.path}:20:9: VM002 [error] line one\\nline two\\r end",  # one line per finding
    ]


# JSON ------------------------------------------------------------------------------------------------------------


def report_errors(document: object) -> list[str]:
    validator = Draft202012Validator(REPORT_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_report_schema_is_a_valid_2020_12_schema_of_every_key():
    Draft202012Validator.check_schema(REPORT_SCHEMA)
    assert REPORT_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    finding_schema = REPORT_SCHEMA["$defs"]["finding"]
    assert list(finding_schema["properties"]) == list(finding_dict(finding())) == finding_schema["required"]
    document = json.loads(reporter("json")(result_of(finding())))
    assert sorted(REPORT_SCHEMA["$defs"]["summary"]["required"]) == sorted(document["summary"])
    assert sorted(REPORT_SCHEMA["required"]) == sorted(document)


def test_json_of_the_examples_directory_matches_the_schema():
    done = run_cli("check", "--format", "json", "examples")
    assert done.exit_code == 1, done.stderr
    document = json.loads(done.stdout)
    assert document["findings"]
    assert report_errors(document) == []


@pytest.mark.parametrize("case", RULE_EXAMPLES, ids=[case_id for case_id, _ in RULE_EXAMPLES])
def test_json_of_every_rule_example_matches_the_schema(case):
    _, result = case
    assert report_errors(json.loads(reporter("json")(result))) == []


def test_json_of_crafted_findings_matches_the_schema():
    crafted = [
        finding(),
        finding(path="<stdin>", severity=Severity.INFO, hint=None, kind=None, name=None, namespace=None),
        finding(path="évil\n\x1b.yaml", severity=Severity.WARNING, message="\x00\u2028 <&> \U0001f600", end_line=40),
    ]
    document = json.loads(reporter("json")(result_of(*crafted)))
    assert report_errors(document) == []
    assert report_errors(json.loads(reporter("json")(result_of()))) == []


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(extra=1),
        lambda d: d.update(version=2),
        lambda d: d["findings"][0].update(line=0),
        lambda d: d["findings"][0].update(end_column=1.5),
        lambda d: d["findings"][0].update(severity="fatal"),
        lambda d: d["findings"][0].update(colour="red"),
        lambda d: d["findings"][0].pop("hint"),
        lambda d: d["findings"][0].update(kind=3),
        lambda d: d["summary"].update(files=-1),
        lambda d: d["summary"].pop("info"),
    ],
)
def test_report_schema_rejects_what_the_report_never_holds(change):
    document = json.loads(reporter("json")(result_of(finding())))
    change(document)
    assert report_errors(document)


# Text ------------------------------------------------------------------------------------------------------------


def test_text_report_shows_control_characters_escaped():
    crafted = finding(path="x\x1b[2J.yaml", message="m\x1b]0;pwn\x07", hint="h\x9b", source_line="  a: \x1b[31m\u2028b")
    text = render_text(result_of(crafted))
    assert not RAW_CONTROL.search(text)
    assert "x\\x1b[2J.yaml:11:9: VM002 [error] m\\x1b]0;pwn\\x07" in text


def test_sarif_carries_fixes_that_reproduce_the_fixed_file(tmp_path: Path) -> None:
    """Applying the SARIF replacements to the file gives what --fix writes (for a one-pass fix)."""
    import jsonschema
    from helpers import lint_result

    text = ("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: web, namespace: prod}\nspec:\n"
            "  template:\n    metadata:\n      annotations:\n        pre.hook.backup.velero.io/on-error: fail\n")
    result = lint_result(text, select=("VM105",), path="vm.yaml")
    sarif = json.loads(reporter("sarif")(result))
    jsonschema.Draft4Validator(json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())).validate(sarif)
    [fix] = sarif["runs"][0]["results"][0]["fixes"]
    [change] = fix["artifactChanges"]
    fixed = text
    for replacement in sorted(change["replacements"], key=lambda r: -r["deletedRegion"]["charOffset"]):
        start, length = replacement["deletedRegion"]["charOffset"], replacement["deletedRegion"]["charLength"]
        fixed = fixed[:start] + replacement["insertedContent"]["text"] + fixed[start + length:]
    assert fixed == text.replace("on-error: fail", "on-error: Fail")
    assert fix["description"]["text"] == "write Fail (safe fix)"


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@given(st.lists(st.builds(finding, path=_TEXT, message=_TEXT, hint=st.none() | _TEXT, name=st.none() | _TEXT,
                          namespace=st.none() | _TEXT, line=st.integers(1, 10**9)), max_size=4))
@settings(max_examples=300, deadline=None)
def test_the_json_report_is_exactly_what_json_dumps_with_an_indent_gives(findings: list[Finding]) -> None:
    """The JSON reporter writes findings with the C string encoder, one at a time; the bytes must stay those of
    json.dumps(indent=2, ensure_ascii=False): quotes, backslashes, control characters, non-ASCII, no findings."""
    result = result_of(*findings)
    document = {"version": 1, "findings": [finding_dict(f) for f in findings], "summary": {
        "files": 1, "objects": 1, "workloads": 1, "findings": len(findings), "errors": len(findings),
        "warnings": 0, "info": 0, "internal_errors": 0}}
    assert reporter("json")(result) == json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# GitLab Code Quality ---------------------------------------------------------------------------------------------


def gitlab_of(result: RunResult) -> list[dict]:
    """The GitLab report of a run, after checking it against the fields GitLab documents."""
    text = reporter("gitlab")(result)
    assert not text.startswith("\ufeff")  # GitLab's parser refuses a byte-order mark
    document = json.loads(text)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in Draft202012Validator(GITLAB_SCHEMA).iter_errors(document)]
    assert errors == []
    return document


def test_gitlab_schema_is_valid_and_rejects_what_gitlab_would_not_read():
    Draft202012Validator.check_schema(GITLAB_SCHEMA)
    good = {"description": "d", "check_name": "VM1", "fingerprint": "f", "severity": "minor",
            "location": {"path": "a.yaml", "lines": {"begin": 1}}}
    validator = Draft202012Validator(GITLAB_SCHEMA)
    assert validator.is_valid([good])
    assert validator.is_valid([{**good, "location": {"path": "a.yaml", "positions": {"begin": {"line": 3}}}}])
    for bad in ({**good, "severity": "error"}, {**good, "location": {"path": "/abs/a.yaml", "lines": {"begin": 1}}},
                {**good, "location": {"path": "./a.yaml", "lines": {"begin": 1}}},
                {**good, "location": {"path": "a.yaml"}}, {**good, "location": {"path": "a.yaml", "lines": {"begin": 0}}},
                {key: value for key, value in good.items() if key != "fingerprint"}):
        assert not validator.is_valid([bad]), bad
    assert not validator.is_valid(good)  # an array, not an object


def test_gitlab_of_the_examples_is_one_to_one_with_the_json_report(examples):
    entries = gitlab_of(examples)
    findings = json.loads(reporter("json")(examples))["findings"]
    assert len(entries) == len(findings) == len(examples.findings)
    severities = {"error": "major", "warning": "minor", "info": "info"}
    for entry, found in zip(entries, findings):
        assert entry == {
            "description": found["message"],
            "check_name": found["code"],
            "fingerprint": entry["fingerprint"],
            "severity": severities[found["severity"]],
            "location": {"path": found["path"], "lines": {"begin": found["line"]}},
        }
        assert found["path"].startswith("examples/")
    sarif_results = sarif_of(examples)["runs"][0]["results"]
    assert [e["fingerprint"] for e in entries] == [r["partialFingerprints"][FINGERPRINT] for r in sarif_results]
    assert len({e["fingerprint"] for e in entries}) == len(entries)  # GitLab shows equal fingerprints as one entry


@pytest.mark.parametrize("case", RULE_EXAMPLES, ids=[case_id for case_id, _ in RULE_EXAMPLES])
def test_gitlab_of_every_rule_example_conforms(case):
    _, result = case
    assert len(gitlab_of(result)) == len(result.findings)


def test_gitlab_fingerprints_survive_lines_inserted_above():
    (example,) = CATALOGUE.get("VM002").examples_bad
    before = gitlab_of(lint_result(example, select=("VM002",)))
    after = gitlab_of(lint_result("# a comment\n# and another\n\n" + example, select=("VM002",)))
    assert [e["location"]["lines"]["begin"] + 3 for e in before] == [e["location"]["lines"]["begin"] for e in after]
    assert [e["fingerprint"] for e in before] == [e["fingerprint"] for e in after]
    assert before[0]["description"] != after[0]["description"]  # the message quotes the moved line; the hash not


def test_gitlab_severities():
    entries = gitlab_of(result_of(finding(), finding(severity=Severity.WARNING), finding(severity=Severity.INFO)))
    assert [e["severity"] for e in entries] == ["major", "minor", "info"]


@pytest.mark.parametrize(
    "path, expected",
    [
        ("vm.yaml", "vm.yaml"),
        ("./vms/vm.yaml", "vms/vm.yaml"),
        ("vms//a/../vm.yaml", "vms/vm.yaml"),
        ("../up/vm.yaml", "../up/vm.yaml"),
        ("<stdin>", "<stdin>"),
        ("dir with space/ünï.yaml", "dir with space/ünï.yaml"),
    ],
)
def test_gitlab_relative_paths_are_normalised(path, expected):
    (entry,) = gitlab_of(result_of(finding(path=path)))
    assert entry["location"]["path"] == expected


def test_gitlab_absolute_paths_are_made_relative_to_the_working_directory(tmp_path, monkeypatch):
    work = tmp_path / "work"
    (work / "vms").mkdir(parents=True)
    monkeypatch.chdir(work)
    inside, outside = str(work / "vms" / "vm.yaml"), str(tmp_path / "elsewhere" / "vm.yaml")
    entries = gitlab_of(result_of(finding(path=inside), finding(path=outside)))
    assert [e["location"]["path"] for e in entries] == ["vms/vm.yaml", "../elsewhere/vm.yaml"]
    assert relative_path(outside, work / "vms") == "../../elsewhere/vm.yaml"
    assert [e["location"]["path"] for e in code_quality(result_of(finding(path=inside)), cwd=tmp_path)] == [
        "work/vms/vm.yaml"]


def test_gitlab_from_the_command_line_outside_the_working_directory(tmp_path):
    """A file named by an absolute path outside the directory vmlint runs in: `..` paths, and the fingerprints
    are those SARIF gives for the same run."""
    vms, work = tmp_path / "vms", tmp_path / "work"
    vms.mkdir()
    work.mkdir()
    (vms / "vm.yaml").write_bytes((REPO / "examples" / "harvester-kb-original.yaml").read_bytes())
    done = run_cli("check", "--no-cache", "--format", "sarif", "--output", "out.sarif", "--format", "gitlab",
                   str(vms / "vm.yaml"), cwd=work)
    assert done.exit_code == 1, done.stderr
    entries = json.loads(done.stdout)
    assert entries and Draft202012Validator(GITLAB_SCHEMA).is_valid(entries)
    assert {e["location"]["path"] for e in entries} == {"../vms/vm.yaml"}
    results = json.loads((work / "out.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    assert [e["fingerprint"] for e in entries] == [r["partialFingerprints"][FINGERPRINT] for r in results]


def test_gitlab_of_a_clean_run_and_crafted_text():
    assert gitlab_of(result_of()) == []
    crafted = finding(path="évil\n\x1b.yaml", message="\x00\u2028 <&> \U0001f600 \"quoted\"")
    (entry,) = gitlab_of(result_of(crafted))
    assert entry["description"] == crafted.message and entry["location"]["path"] == crafted.path
