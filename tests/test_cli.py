"""The `vmlint` command line, run as a real process: exact exit codes, stdout, stderr and positions."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, REPO, cli_env, run_cli, tool_missing
from ruamel.yaml import YAML

import lint

PUBLISHED = "examples/harvester-kb-published.yaml"
PUBLISHED_HEADLINE = (
    f"{PUBLISHED}:15:137: VM001 [error] invalid YAML: the single-quoted value of pre.hook.backup.velero.io/command"
    " is closed by this quote, so the `]'` after it is stray and kubectl rejects the whole document"
)

# Every finding on examples/, in report order: (path, line, column, code).
EXAMPLE_FINDINGS = [
    ("examples/cluster-export.yaml", 236, 5, "VM401"),
    ("examples/cluster-export.yaml", 293, 5, "VM602"),
    ("examples/cluster-export.yaml", 477, 13, "VM604"),
    ("examples/cluster-export.yaml", 674, 21, "VM601"),
    ("examples/cluster-export.yaml", 789, 5, "VM403"),
    ("examples/cluster-export.yaml", 846, 5, "VM403"),
    ("examples/cluster-export.yaml", 976, 5, "VM406"),  # the guestOSInfo says SLE Micro 5.5: /.snapshots
    ("examples/cluster-export.yaml", 1033, 5, "VM406"),
    ("examples/cluster-export.yaml", 1052, 13, "VM603"),
    ("examples/cluster-export.yaml", 1124, 38, "VM303"),
    ("examples/cluster-export.yaml", 1183, 38, "VM303"),
    ("examples/cluster-export.yaml", 1262, 7, "VM606"),
    ("examples/cluster-export.yaml", 1353, 24, "VM402"),
    ("examples/cluster-export.yaml", 1396, 23, "VM605"),
    ("examples/harvester-kb-corrected.yaml", 17, 9, "VM301"),
    ("examples/harvester-kb-corrected.yaml", 37, 24, "VM402"),
    ("examples/harvester-kb-flattened.yaml", 6, 1, "VM004"),
    ("examples/harvester-kb-flattened.yaml", 13, 1, "VM002"),
    ("examples/harvester-kb-flattened.yaml", 15, 1, "VM004"),
    ("examples/harvester-kb-flattened.yaml", 16, 1, "VM004"),
    ("examples/harvester-kb-flattened.yaml", 17, 1, "VM004"),
    ("examples/harvester-kb-flattened.yaml", 18, 1, "VM004"),
    ("examples/harvester-kb-flattened.yaml", 19, 1, "VM004"),
    ("examples/harvester-kb-flattened.yaml", 20, 1, "VM004"),
    ("examples/harvester-kb-flattened.yaml", 21, 1, "VM004"),
    ("examples/harvester-kb-flattened.yaml", 22, 1, "VM002"),
    ("examples/harvester-kb-flattened.yaml", 24, 1, "VM002"),
    ("examples/harvester-kb-original.yaml", 15, 9, "VM301"),
    ("examples/harvester-kb-original.yaml", 15, 99, "VM201"),
    ("examples/harvester-kb-original.yaml", 15, 127, "VM201"),
    ("examples/harvester-kb-original.yaml", 15, 136, "VM102"),
    ("examples/harvester-kb-original.yaml", 19, 102, "VM201"),
    ("examples/harvester-kb-original.yaml", 19, 130, "VM201"),
    ("examples/harvester-kb-original.yaml", 38, 24, "VM402"),
    ("examples/harvester-kb-placeholders.yaml", 14, 9, "VM301"),
    ("examples/harvester-kb-placeholders.yaml", 14, 99, "VM201"),
    ("examples/harvester-kb-placeholders.yaml", 14, 127, "VM201"),
    ("examples/harvester-kb-placeholders.yaml", 18, 102, "VM201"),
    ("examples/harvester-kb-placeholders.yaml", 18, 130, "VM201"),
    ("examples/harvester-kb-placeholders.yaml", 37, 24, "VM402"),
    ("examples/harvester-kb-published.yaml", 15, 137, "VM001"),
    ("examples/hooks-on-vm-metadata.yaml", 9, 5, "VM004"),
    ("examples/hooks-on-vm-metadata.yaml", 10, 5, "VM004"),
    ("examples/hooks-on-vm-metadata.yaml", 10, 41, "VM103"),
    ("examples/vmi-copied-hooks.yaml", 10, 5, "VM108"),
    ("examples/vmi-copied-hooks.yaml", 10, 5, "VM301"),
    ("examples/vmi-copied-hooks.yaml", 10, 90, "VM202"),
    ("examples/vmi-copied-hooks.yaml", 10, 116, "VM203"),
    ("examples/vmi-copied-hooks.yaml", 11, 5, "VM101"),
    ("examples/workloads.yaml", 51, 47, "VM703"),
    ("examples/workloads.yaml", 51, 77, "VM702"),
    ("examples/workloads.yaml", 52, 44, "VM106"),
    ("examples/workloads.yaml", 53, 47, "VM701"),
    ("examples/workloads.yaml", 54, 80, "VM108"),
    ("examples/workloads.yaml", 82, 9, "VM704"),
    ("examples/workloads.yaml", 86, 9, "VM705"),
    ("examples/workloads.yaml", 87, 9, "VM101"),
    ("examples/workloads.yaml", 109, 19, "VM504"),
]

# examples/cluster-export.yaml is an export: its launcher images say which KubeVirt the whole run assumes
EXPORT_NOTE = ("Assuming KubeVirt 1.9.0, from the launcher image of Pod prod/virt-launcher-web-x7k2p "
               "(quay.io/kubevirt/virt-launcher:v1.9.0).")

# The input, hook-value and identity rules: what these tests are about, without the freeze-pairing and
# KubeVirt-injection rules that would add findings on the same manifests.
CORE = ("--select", "VM0,VM101,VM102,VM103,VM104,VM2")

FINDING_KEYS = {
    "path", "line", "column", "end_line", "end_column", "code", "rule", "severity", "message", "kind", "name",
    "namespace",
}  # fmt: skip

HEADLINE = re.compile(r"^(.+):(\d+):(\d+): (VM\d{3}) \[(error|warning|info)\] \S")


def text_at(path: Path, line: int, column: int, length: int) -> str:
    """`length` characters of a file at a 1-based line and column, read independently of vmlint."""
    return path.read_text(encoding="utf-8").splitlines()[line - 1][column - 1 : column - 1 + length]


def check_json(*args: object, stdin: bytes | None = None, cwd: Path | None = None) -> tuple[int, dict]:
    done = run_cli("check", "--format", "json", *args, stdin=stdin, cwd=cwd)
    assert done.stderr == "", done.stderr
    return done.exit_code, json.loads(done.stdout)


def where(report: dict) -> list[tuple[str, int, int, str]]:
    return [(f["path"], f["line"], f["column"], f["code"]) for f in report["findings"]]


def headlines(stdout: str) -> list[tuple[str, int, int, str]]:
    found = []
    for line in stdout.splitlines():
        match = HEADLINE.match(line)
        assert match, f"not a headline: {line!r}"
        found.append((match[1], int(match[2]), int(match[3]), match[4]))
    return found


# --- version and the two ends of the Harvester recipe -------------------------------------------------------------


def test_version():
    done = run_cli("--version")
    assert done == (0, f"vmlint {lint.__version__}\n", "")


def test_corrected_recipe_is_clean():
    """No error or warning. At the default KubeVirt one note says which keys KubeVirt overwrites, on the
    Harvester release the recipe was written for the same keys are only redundant, and one note says that
    vmlint cannot see whether the Ubuntu disk runs the guest agent."""
    done = run_cli("check", "-q", "examples/harvester-kb-corrected.yaml")
    assert done.exit_code == 0 and done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0].startswith("examples/harvester-kb-corrected.yaml:17:9: VM301 [info] KubeVirt 1.9.0 writes")
    assert lines[1].startswith("examples/harvester-kb-corrected.yaml:37:24: VM402 [info] vmlint cannot tell whether")
    assert len(lines) == 2
    harvester = run_cli("check", "-q", "--harvester-version", "1.8.2", "--ignore", "VM4",
                        "examples/harvester-kb-corrected.yaml")
    assert harvester == (0, (
        "examples/harvester-kb-corrected.yaml:14:9: VM301 [info] pre.hook.backup.velero.io/command, "
        "pre.hook.backup.velero.io/container, post.hook.backup.velero.io/command, post.hook.backup.velero.io/container "
        "are redundant: KubeVirt 1.7.0 injects the same; of your hook annotations, pre.hook.backup.velero.io/on-error, "
        "pre.hook.backup.velero.io/timeout, post.hook.backup.velero.io/timeout take effect\n"
    ), "")
    clean = run_cli("check", "--ignore", "VM301,VM402", "examples/harvester-kb-corrected.yaml")
    assert clean == (0, "No findings in 1 file.\n", "")


def test_published_recipe_points_at_the_stray_quote():
    source = (EXAMPLES / "harvester-kb-published.yaml").read_text(encoding="utf-8").splitlines()[14]
    # Checked by eye and here: column 137 of line 15 is the quote that closes the value before `]'`.
    assert source[136:139] == "']'" and source.endswith("\"<VM Name>\"']'")
    done = run_cli("check", PUBLISHED)
    assert done.exit_code == 1
    assert done.stderr == ""
    assert done.stdout.splitlines() == [
        PUBLISHED_HEADLINE,
        f"    {source}",
        "    " + " " * 136 + "^",
        (
            "    hint: remove the stray quote: pre.hook.backup.velero.io/command: "
            """'["/usr/bin/virt-freezer", "--freeze", "--namespace", "<VM Namespace>", "--name", "<VM Name>"]'"""
        ),
        "",
        "Found 1 finding (1 error) in 1 file.",
    ]
    assert done.stdout.endswith("file.\n")


# --- output formats ------------------------------------------------------------------------------------------------


def test_json_report_on_examples():
    code, report = check_json("examples")
    assert code == 1
    assert set(report) == {"version", "findings", "summary"}
    assert report["version"] == 1
    findings = report["findings"]
    for f in findings:
        assert FINDING_KEYS <= set(f), FINDING_KEYS - set(f)
        assert all(isinstance(f[k], int) and f[k] >= 1 for k in ("line", "column", "end_line", "end_column")), f
        assert (f["end_line"], f["end_column"]) > (f["line"], f["column"]), f
        assert f["severity"] in ("error", "warning", "info")
        assert f["message"] and f["rule"]
    assert where(report) == sorted(where(report), key=lambda t: t[:3])
    assert where(report) == EXAMPLE_FINDINGS
    assert report["summary"] == {
        "files": 9, "objects": 35, "workloads": 24, "findings": 58, "errors": 37, "warnings": 11, "info": 10, "internal_errors": 0,
        "notes": [EXPORT_NOTE],
    }  # fmt: skip  (objects built: the export's ConfigMap and hook-less Deployment are items no rule reads)
    counts = {s: sum(f["severity"] == s for f in findings) for s in ("error", "warning", "info")}
    assert (counts["error"], counts["warning"], counts["info"]) == (
        report["summary"]["errors"], report["summary"]["warnings"], report["summary"]["info"],
    )  # fmt: skip
    # Columns are 1-based: the placeholder findings start on the placeholder itself.
    for f in findings:
        if f["code"] == "VM201":
            placeholder = re.search(r"'([<\[]VM [A-Za-z]+[>\]])'", f["message"])[1]
            assert text_at(REPO / f["path"], f["line"], f["column"], len(placeholder)) == placeholder
            assert f["end_column"] - f["column"] == len(placeholder)
    by_position = {(f["path"], f["line"], f["column"]): f for f in findings}
    vmi = by_position[("examples/vmi-copied-hooks.yaml", 10, 90)]
    assert (vmi["rule"], vmi["kind"], vmi["name"], vmi["namespace"]) == (
        "freezer-name-mismatch", "VirtualMachineInstance", "cache-2", "edge",
    )  # fmt: skip
    vm = by_position[("examples/hooks-on-vm-metadata.yaml", 9, 5)]
    assert (vm["rule"], vm["kind"], vm["name"], vm["namespace"]) == (
        "hook-not-on-pod", "VirtualMachine", "db-1", "databases",
    )  # fmt: skip


def test_quiet_prints_headlines_only():
    done = run_cli("check", "--quiet", "examples")
    assert done.exit_code == 1 and done.stderr == ""
    assert headlines(done.stdout) == EXAMPLE_FINDINGS
    assert "^" not in done.stdout and "hint:" not in done.stdout and "Found" not in done.stdout
    assert not any(line.startswith(" ") or not line for line in done.stdout.splitlines())
    published = run_cli("check", "-q", PUBLISHED)
    assert published.exit_code == 1
    assert published.stdout == PUBLISHED_HEADLINE + "\n"


# --- rule selection --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "keep"),
    [
        (("--select", "VM2"), lambda code: code.startswith("VM2")),
        (("--ignore", "VM201"), lambda code: code != "VM201"),
        (("--select", "VM2", "--ignore", "VM201"), lambda code: code in ("VM202", "VM203")),
        (("--select", "VM201,VM102"), lambda code: code in ("VM201", "VM102")),
        (("--select", "VM201", "--select", "VM102"), lambda code: code in ("VM201", "VM102")),
        (("--select", "vm004"), lambda code: code == "VM004"),
    ],
)
def test_select_and_ignore(args, keep):
    expected = [f for f in EXAMPLE_FINDINGS if keep(f[3])]
    assert expected  # never vacuous
    code, report = check_json(*args, "examples")
    assert code == 1
    assert where(report) == expected
    assert report["summary"]["findings"] == len(expected)


@pytest.mark.parametrize("args", [("--select", "VM9X"), ("--select", "VM999"), ("--ignore", "VM8"),
                                  ("--select", "VM201,BOGUS")])  # fmt: skip
def test_unknown_rule_code_is_a_usage_error(args):
    done = run_cli("check", *args, "examples")
    bad = args[1].split(",")[-1]
    assert done == (2, "", f"vmlint: error: {bad!r} matches no rule code (see `vmlint rules`)\n")


# --- exit codes ------------------------------------------------------------------------------------------------------


def test_fail_on_threshold(tmp_path):
    (tmp_path / "tpl.yaml").write_text("metadata:\n  name: {{ .Values.name }}-x\n", encoding="utf-8")
    expected = (
        "tpl.yaml:2:9: VM006 [info] unrendered template skipped: document with unquoted or YAML-breaking "
        "`{{ }}`/`{% %}` markers; lint the rendered output instead (for example `… | vmlint check -`)\n"
    )
    for fail_on, exit_code in ((None, 0), ("error", 0), ("warning", 0), ("info", 1)):
        args = ("--fail-on", fail_on) if fail_on else ()
        done = run_cli("check", "-q", *args, "tpl.yaml", cwd=tmp_path)
        assert done == (exit_code, expected, ""), fail_on


@pytest.mark.parametrize("paths", [("no-such-file.yaml",), ("examples", "no-such-file.yaml")])
def test_missing_path_is_a_usage_error(paths):
    done = run_cli("check", *paths)
    assert "Traceback" not in done.stderr
    assert done == (2, "", "vmlint: error: no such file or directory: no-such-file.yaml\n")


# --- standard input --------------------------------------------------------------------------------------------------


def test_standard_input():
    data = (EXAMPLES / "hooks-on-vm-metadata.yaml").read_bytes()
    positions = [(9, 5, "VM004"), (10, 5, "VM004"), (10, 41, "VM103")]
    code, report = check_json("-", stdin=data)
    assert code == 1
    assert where(report) == [("<stdin>", *p) for p in positions]
    done = run_cli("check", "-q", "-", "--stdin-filename", "vm.yaml", stdin=data)
    assert done.exit_code == 1 and done.stderr == ""
    assert headlines(done.stdout) == [("vm.yaml", *p) for p in positions]


# --- discovery -------------------------------------------------------------------------------------------------------


def test_directory_discovery(tmp_path):
    manifest = (EXAMPLES / "hooks-on-vm-metadata.yaml").read_bytes()
    for name in ("a.yaml", "b.yml", "c.txt", ".hidden/d.yaml", "sub/e.yaml"):
        (tmp_path / "tree" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "tree" / name).write_bytes(manifest)
    code, report = check_json("tree", cwd=tmp_path)
    assert code == 1
    assert report["summary"]["files"] == 3
    assert sorted({f["path"] for f in report["findings"]}) == ["tree/a.yaml", "tree/b.yml", "tree/sub/e.yaml"]
    assert len(report["findings"]) == 9


def test_git_ignored_files_are_skipped_unless_named(tmp_path):
    if shutil.which("git") is None:
        tool_missing("git is not installed: .gitignore handling cannot be tested")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, capture_output=True)
    (tmp_path / ".gitignore").write_text("ignored.yaml\n", encoding="utf-8")
    manifest = (EXAMPLES / "vmi-copied-hooks.yaml").read_bytes()
    for name in ("kept.yaml", "ignored.yaml", "sub/ignored.yaml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(manifest)
    positions = [(10, 90, "VM202"), (10, 116, "VM203"), (11, 5, "VM101")]

    code, report = check_json(*CORE, ".", cwd=tmp_path)
    assert (code, report["summary"]["files"]) == (1, 1)
    assert where(report) == [("kept.yaml", *p) for p in positions]

    code, report = check_json(*CORE, "sub", cwd=tmp_path)  # the repository's .gitignore applies below its root
    assert (code, report["summary"]["files"], report["findings"]) == (0, 0, [])

    code, report = check_json(*CORE, ".", "ignored.yaml", cwd=tmp_path)
    assert (code, report["summary"]["files"]) == (1, 2)
    assert where(report) == [("ignored.yaml", *p) for p in positions] + [("kept.yaml", *p) for p in positions]


def test_helm_chart_templates_are_skipped(tmp_path):
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n", encoding="utf-8")
    (chart / "templates" / "vm.yaml").write_text(
        "apiVersion: kubevirt.io/v1\n"
        "kind: VirtualMachine\n"
        "metadata:\n"
        "  name: {{ .Values.name }}\n"
        "  namespace: {{ .Release.Namespace }}\n"
        "spec:\n"
        "  template:\n"
        "    metadata:\n"
        "      annotations:\n"  # a misspelt key (VM101) that must not be reported: the file is skipped
        "        pre.hook.backup.velero.io/commands: '[\"/usr/bin/virt-freezer\", \"--freeze\"]'\n",
        encoding="utf-8",
    )
    code, report = check_json("chart", cwd=tmp_path)
    assert code == 0
    assert where(report) == [("chart/templates/vm.yaml", 4, 9, "VM006")]
    assert report["findings"][0]["severity"] == "info"
    assert report["summary"]["info"] == 1 and report["summary"]["findings"] == 1
    done = run_cli("check", "chart", cwd=tmp_path)
    assert done.exit_code == 0 and done.stderr == ""
    assert done.stdout.splitlines()[0] == (
        "chart/templates/vm.yaml:4:9: VM006 [info] Helm chart template skipped: lint the rendered manifests "
        "(`helm template CHART | vmlint check -`)"
    )
    assert done.stdout.splitlines()[-1] == "Found 1 finding (1 info) in 2 files."


# --- rules and explain -----------------------------------------------------------------------------------------------


def test_rules_lists_every_catalogue_code():
    codes = sorted(
        re.search(r"^code:\s*(\S+)\s*$", path.read_text(encoding="utf-8"), re.MULTILINE)[1]
        for path in (REPO / "rules").glob("*.yaml")
    )
    assert "VM001" in codes and "VM102" in codes
    done = run_cli("rules")
    assert done.exit_code == 0 and done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["code", "name", "severity", "fix", "summary"]
    assert [line.split()[0] for line in lines[1:]] == codes
    vm102 = lines[1 + codes.index("VM102")]
    assert re.match(r"^VM102 +command-invalid-json +error +safe +A hook command starts with `\[`", vm102), vm102


def test_explain_prints_the_rule_documentation():
    rule = YAML(typ="safe").load((REPO / "rules" / "VM102.yaml").read_text(encoding="utf-8"))
    done = run_cli("explain", "VM102")
    assert done.exit_code == 0 and done.stderr == ""
    lines = done.stdout.splitlines()
    title = "VM102 command-invalid-json (error, safe fix available)"
    assert lines[:5] == [title, "", rule["summary"].strip(), "", "Why"]
    assert lines[5] == "  " + rule["rationale"].splitlines()[0]
    assert rule["examples"]["bad"] and rule["examples"]["good"]
    for title in ("bad", "good"):
        for example in rule["examples"][title]:
            block = "\n".join("  " + line if line else "" for line in example.rstrip("\n").splitlines())
            assert f"\n{title.capitalize()}\n{block}\n" in done.stdout
    assert run_cli("explain", "command-invalid-json").stdout == done.stdout


def test_explain_unknown_rule():
    assert run_cli("explain", "VM999") == (2, "", "vmlint: error: unknown rule 'VM999' (see `vmlint rules`)\n")


# --- files that are hard to read -------------------------------------------------------------------------------------

MULTI = """\
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: one
  namespace: ns1
spec:
  template:
    metadata:
      annotations:
        pre.hook.backup.velero.io/commands: '["/usr/bin/virt-freezer", "--freeze", "--name", "one"]'
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: broken: yes
  namespace: ns2
---
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: three
  namespace: ns3
spec:
  template:
    metadata:
      annotations:
        pre.hook.backup.velero.io/command: /usr/bin/virt-freezer --freeze --name three --namespace ns3
"""


def test_broken_document_does_not_hide_the_others(tmp_path):
    (tmp_path / "multi.yaml").write_text(MULTI, encoding="utf-8")
    assert text_at(tmp_path / "multi.yaml", 15, 15, 1) == ":"  # `name: broken: yes`, the second colon
    code, report = check_json(*CORE, "multi.yaml", cwd=tmp_path)
    assert code == 1
    assert where(report) == [
        ("multi.yaml", 10, 9, "VM101"),
        ("multi.yaml", 15, 15, "VM001"),
        ("multi.yaml", 27, 44, "VM103"),
    ]
    assert [(f["kind"], f["name"]) for f in report["findings"]] == [
        ("VirtualMachine", "one"), (None, None), ("VirtualMachine", "three"),
    ]  # fmt: skip
    assert report["findings"][1]["message"] == "invalid YAML: mapping values are not allowed here"


# The first document is a one-line flow mapping, so a BOM that shifted columns on line 1 would show.
ENCODED = (
    "{apiVersion: kubevirt.io/v1, kind: VirtualMachine, metadata: {name: a, namespace: b}, spec: {template: "
    "{metadata: {annotations: {pre.hook.backup.velero.io/commands: x}}}}}\n---\n" + MULTI
)
ENCODED_FINDINGS = [(1, 130, "VM101"), (12, 9, "VM101"), (17, 15, "VM001"), (29, 44, "VM103")]


def test_crlf_and_bom_give_the_same_positions(tmp_path):
    lf = ENCODED.encode("utf-8")
    variants = {
        "lf.yaml": lf,
        "crlf.yaml": lf.replace(b"\n", b"\r\n"),
        "bom.yaml": b"\xef\xbb\xbf" + lf,
        "bom-crlf.yaml": b"\xef\xbb\xbf" + lf.replace(b"\n", b"\r\n"),
    }
    for name, data in variants.items():
        (tmp_path / name).write_bytes(data)
    assert text_at(tmp_path / "lf.yaml", 1, 130, 35) == "pre.hook.backup.velero.io/commands:"

    def positions(report: dict) -> list[tuple]:
        return [(f["line"], f["column"], f["end_line"], f["end_column"], f["code"]) for f in report["findings"]]

    _, reference = check_json(*CORE, "lf.yaml", cwd=tmp_path)
    assert [p[:2] + p[4:] for p in positions(reference)] == ENCODED_FINDINGS
    text_reference = run_cli("check", *CORE, "lf.yaml", cwd=tmp_path).stdout
    for name in variants:
        code, report = check_json(*CORE, name, cwd=tmp_path)
        assert code == 1
        assert positions(report) == positions(reference), name
        text = run_cli("check", *CORE, name, cwd=tmp_path).stdout
        assert text.replace(f"{name}:", "lf.yaml:") == text_reference, name  # same source lines and carets
        assert "\\r" not in text and "\ufeff" not in text


def test_kind_list_items_carry_their_own_identity(tmp_path):
    (tmp_path / "list.yaml").write_text(
        "apiVersion: v1\n"
        "kind: List\n"
        "items:\n"
        "  - apiVersion: kubevirt.io/v1\n"
        "    kind: VirtualMachine\n"
        "    metadata:\n"
        "      name: alpha\n"
        "      namespace: team-a\n"
        "    spec:\n"
        "      template:\n"
        "        metadata:\n"
        "          annotations:\n"
        "            pre.hook.backup.velero.io/command: "
        """'["/usr/bin/virt-freezer", "--freeze", "--name", "beta", "--namespace", "team-a"]'\n"""
        "  - apiVersion: kubevirt.io/v1\n"
        "    kind: VirtualMachineInstance\n"
        "    metadata:\n"
        "      name: gamma\n"
        "      namespace: team-g\n"
        "      annotations:\n"
        "        post.hook.backup.velero.io/command: "
        """'["/usr/bin/virt-freezer", "--unfreeze", "--name", "gamma", "--namespace", "team-g"'\n""",
        encoding="utf-8",
    )
    assert text_at(tmp_path / "list.yaml", 13, 98, 4) == "beta"
    code, report = check_json(*CORE, "list.yaml", cwd=tmp_path)
    assert code == 1
    assert [(f["line"], f["column"], f["code"], f["kind"], f["name"], f["namespace"]) for f in report["findings"]] == [
        (13, 98, "VM202", "VirtualMachine", "alpha", "team-a"),
        (20, 127, "VM102", "VirtualMachineInstance", "gamma", "team-g"),
    ]
    assert report["summary"]["workloads"] == 2


def test_check_help_reads_at_80_columns():
    """`vmlint check --help` groups its options in panels and fits a terminal of 80 columns."""
    done = subprocess.run([sys.executable, "-m", "lint", "check", "--help"], cwd=REPO,
                          env={**cli_env(), "COLUMNS": "80"}, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    titles = [re.match(r"╭─ (.+?) ─", line).group(1) for line in lines if line.startswith("╭─ ")]
    assert titles == ["Arguments", "Options", "Output", "Selection", "Target cluster", "Fixing", "Baseline",
                      "Performance"]
    for option in ("--format", "--select", "--kubevirt-version", "--fix", "--baseline", "--jobs", "--cache-dir"):
        assert option in done.stdout
