"""Configuration discovery and validation, per-file ignores, every suppression form, and the baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

BAD_ON_ERROR = "pre.hook.backup.velero.io/on-error: fail"


def vm(*lines: str, name: str = "web") -> str:
    return (
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n"
        f"  name: {name}\n  namespace: prod\nspec:\n  template:\n    metadata:\n      annotations:\n"
        + "".join(f"        {line}\n" for line in lines)
    )


def report(tmp_path: Path, *args: str, cwd: Path | None = None) -> tuple[int, list[tuple[str, int, int, str]], str]:
    done = run_cli("check", "--format", "json", *args, cwd=cwd or tmp_path)
    findings = json.loads(done.stdout)["findings"] if done.stdout else []
    return done.exit_code, [(f["path"], f["line"], f["column"], f["code"]) for f in findings], done.stderr


# --- configuration --------------------------------------------------------------------------------------------------


def test_closest_configuration_wins_and_the_command_line_wins_over_it(tmp_path: Path) -> None:
    (tmp_path / ".vmlint.yaml").write_text("select: [VM105]\n")
    sub = tmp_path / "team"
    sub.mkdir()
    (sub / "vm.yaml").write_text(vm(BAD_ON_ERROR, "pre.hook.backup.velero.io/commands: x"))
    assert report(tmp_path, "team")[1] == [("team/vm.yaml", 10, 45, "VM105")]
    (sub / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.vmlint]\nselect = ["VM101"]\n')
    assert report(tmp_path, "vm.yaml", cwd=sub)[1] == [("vm.yaml", 11, 9, "VM101")]
    assert report(tmp_path, "--select", "VM105", "vm.yaml", cwd=sub)[1] == [("vm.yaml", 10, 45, "VM105")]


def test_fail_on_severity_overrides_and_versions_from_the_file(tmp_path: Path) -> None:
    (tmp_path / "vm.yaml").write_text(vm(BAD_ON_ERROR))
    (tmp_path / ".vmlint.yaml").write_text("select: [VM105]\nseverity:\n  VM105: info\n")
    done = run_cli("check", "-f", "json", "vm.yaml", cwd=tmp_path)
    assert done.exit_code == 0 and json.loads(done.stdout)["findings"][0]["severity"] == "info"
    (tmp_path / ".vmlint.yaml").write_text("select: [VM105]\nseverity: {VM105: info}\nfail-on: info\nvelero-version: 1.8.2\n")
    done = run_cli("check", "-f", "json", "vm.yaml", cwd=tmp_path)
    assert done.exit_code == 1 and "(Velero 1.8.2)" in json.loads(done.stdout)["findings"][0]["message"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("selekt: [VM1]\n", ".vmlint.yaml:1:1: unknown key selekt (valid keys: select, ignore, fail-on, severity, "
         "exclude, per-file-ignores, kubevirt-version, velero-version, harvester-version, namespace, "
         "guest-agent-images, guest-os-images, rules-dirs, profile, inline-suppressions, limits)"),
        ("fail-on: warnings\n", ".vmlint.yaml:1:10: fail-on: 'warnings' is not one of: error, warning, info"),
        ("select:\n  - VM1\n  - XYZ\n", ".vmlint.yaml:3:5: select.1: 'XYZ' is not a rule code or prefix (for example VM1 or VM102)"),
        ("exclude: charts\n", '.vmlint.yaml:1:10: exclude: expected array, not "charts"'),
        ("select: [VM1\n", ".vmlint.yaml:2:1: invalid YAML: expected ',' or ']', but got '<stream end>'"),
        ("kubevirt-version: latest\n", "'latest' is not a version (expected for example 1.6.4 or v1.6.4)"),
        ("select: [VM8]\n", "'VM8' matches no rule code (see `vmlint rules`)"),
    ],
)
def test_bad_configuration_is_a_usage_error_with_its_position(tmp_path: Path, text: str, error: str) -> None:
    (tmp_path / ".vmlint.yaml").write_text(text)
    (tmp_path / "vm.yaml").write_text(vm())
    done = run_cli("check", "vm.yaml", cwd=tmp_path)
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr.startswith("vmlint: error: ") and done.stderr.count("\n") == 1
    assert done.stderr.rstrip().endswith(error)
    assert "Traceback" not in done.stderr


def test_pyproject_errors_point_at_the_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.vmlint]\nfail-on = "never"\n')
    done = run_cli("check", "--config", "pyproject.toml", ".", cwd=tmp_path)
    assert done.exit_code == 2
    assert done.stderr.endswith("pyproject.toml:5:1: fail-on: 'never' is not one of: error, warning, info\n")


def test_excludes_and_per_file_ignores(tmp_path: Path) -> None:
    (tmp_path / ".vmlint.yaml").write_text(
        "select: [VM105]\nexclude: ['legacy', '**/*.generated.yaml']\nper-file-ignores:\n  'tests/**': [VM1]\n"
    )
    for name in ("legacy/a.yaml", "x/b.generated.yaml", "tests/c.yaml", "keep/d.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(vm(BAD_ON_ERROR))
    code, found, _ = report(tmp_path, ".")
    assert found == [("keep/d.yaml", 10, 45, "VM105")]
    # excludes hold for files named on the command line too (pre-commit names every changed file)
    assert report(tmp_path, "legacy/a.yaml", "keep/d.yaml")[1] == [("keep/d.yaml", 10, 45, "VM105")]


# --- suppressions ---------------------------------------------------------------------------------------------------


def test_every_suppression_form(tmp_path: Path) -> None:
    text = (
        "# vmlint: disable-file=VM101 -- legacy keys are migrated in Q3\n"
        + vm(
            f"{BAD_ON_ERROR}  # vmlint: disable=VM105 -- decided by the platform team",
            "# vmlint: disable-next-line=VM105",
            "",
            "hook.backup.velero.io/on-error: continue",
            "pre.hook.backup.velero.io/commands: x",
            "post.hook.backup.velero.io/on-error: FAIL",
        )
    )
    (tmp_path / "vm.yaml").write_text(text)
    assert report(tmp_path, "--select", "VM105,VM101,VM090", "vm.yaml")[1] == [("vm.yaml", 16, 46, "VM105")]
    everything = report(tmp_path, "--select", "VM105,VM101,VM090", "--no-inline-suppressions", "vm.yaml")[1]
    assert [code for *_, code in everything] == ["VM105", "VM105", "VM101", "VM105"]


def test_ignore_annotation_and_unused_suppressions(tmp_path: Path) -> None:
    annotated = vm(BAD_ON_ERROR).replace("  namespace: prod\n", "  namespace: prod\n  annotations:\n    vmlint.io/ignore: 'VM105, VM999'\n")
    unused = vm("pre.hook.backup.velero.io/on-error: Fail  # vmlint: disable=VM105", name="other")
    inside_a_value = vm("pre.hook.backup.velero.io/on-error: 'fail # vmlint: disable=VM105'", name="third")
    (tmp_path / "vm.yaml").write_text(annotated + "---\n" + unused + "---\n" + inside_a_value)
    code, found, _ = report(tmp_path, "--select", "VM105,VM090", "vm.yaml")
    lines_a, lines_b = annotated.count("\n"), unused.count("\n")
    assert found == [
        ("vm.yaml", 7, 23, "VM090"),  # VM999 is no rule
        ("vm.yaml", lines_a + 1 + 10, 51, "VM090"),  # the comment on a correct line suppresses nothing
        ("vm.yaml", lines_a + lines_b + 2 + 10, 45, "VM105"),  # a `#` inside quotes is text, not a comment
    ]
    done = run_cli("check", "--select", "VM105,VM090", "vm.yaml", cwd=tmp_path)
    assert "the ignore annotation names VM999, but VM999 is not a vmlint rule code" in done.stdout
    assert "this suppression names VM105, but it suppresses no VM105 finding" in done.stdout
    # codes of rules not run are not judged
    assert report(tmp_path, "--select", "VM101,VM090", "vm.yaml")[1] == [("vm.yaml", 7, 23, "VM090")]


# --- baseline -------------------------------------------------------------------------------------------------------


def test_baseline_round_trip_survives_line_moves_and_reports_fixes(tmp_path: Path) -> None:
    first = vm(BAD_ON_ERROR, "post.hook.backup.velero.io/on-error: continue")
    (tmp_path / "vm.yaml").write_text(first)
    done = run_cli("check", "--select", "VM105", "--write-baseline", "base.json", "vm.yaml", cwd=tmp_path)
    assert done.exit_code == 1 and done.stderr == "vmlint: wrote 2 findings to base.json\n"
    stored = json.loads((tmp_path / "base.json").read_text())
    assert stored["version"] == 1 and [e["code"] for e in stored["entries"]] == ["VM105", "VM105"]
    assert all("line" not in entry for entry in stored["entries"])
    # insert lines above: nothing new
    (tmp_path / "vm.yaml").write_text("# a comment\n# and another\n" + first)
    assert run_cli("check", "--select", "VM105", "--baseline", "base.json", "vm.yaml", cwd=tmp_path).exit_code == 0
    # a new mistake is new, a fixed one is reported as fixed
    (tmp_path / "vm.yaml").write_text(vm(BAD_ON_ERROR, 'post.hook.backup.velero.io/timeout: "30"'))
    code, found, _ = report(tmp_path, "--select", "VM105,VM106", "--baseline", "base.json", "vm.yaml")
    assert (code, found) == (1, [("vm.yaml", 11, 45, "VM106")])
    done = run_cli("check", "--select", "VM105,VM106", "--baseline", "base.json", "vm.yaml", cwd=tmp_path)
    assert "1 baseline entry no longer matches (fixed)" in done.stdout


def test_unreadable_baseline_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "vm.yaml").write_text(vm())
    (tmp_path / "base.json").write_text("{not json")
    done = run_cli("check", "--baseline", "base.json", "vm.yaml", cwd=tmp_path)
    assert done.exit_code == 2 and done.stderr.startswith("vmlint: error: base.json: not a vmlint baseline")
    assert run_cli("check", "--baseline", "missing.json", "vm.yaml", cwd=tmp_path).exit_code == 2


def test_a_valid_configuration_never_loads_jsonschema(tmp_path: Path) -> None:
    """Start-up matters in pre-commit: a valid configuration is recognised without jsonschema, which is
    imported only to explain an invalid one."""
    import subprocess
    import sys

    from conftest import cli_env

    (tmp_path / ".vmlint.yaml").write_text("select: [VM1]\n")
    (tmp_path / "vm.yaml").write_text(vm())
    probe = ("import sys, runpy; sys.argv = ['vmlint', 'check', '-q', 'vm.yaml']\n"
             "try:\n    runpy.run_module('lint', run_name='__main__')\n"
             "except SystemExit:\n    print('jsonschema' in sys.modules)\n")
    runs = [subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=cli_env(), capture_output=True, text=True)
            for _ in range(2)]
    assert [run.stdout.strip().splitlines()[-1] for run in runs] == ["False", "False"]
    (tmp_path / ".vmlint.yaml").write_text("select: [VM1]\nfail-on: nope\n")
    assert run_cli("check", "vm.yaml", cwd=tmp_path).exit_code == 2  # an invalid one is still refused
