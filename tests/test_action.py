"""The GitHub Action (action.yml), run as the runner runs a composite action.

The composite's steps are read from the parsed action.yml and executed in order in a temporary workspace: each
`run:` step with `bash --noprofile --norc -eo pipefail` (the runner's `shell: bash`), with its `env:` whose
`${{ }}` expressions are evaluated here as the runner would (inputs with their defaults, earlier steps' outputs
read back from the GITHUB_OUTPUT file each step writes), and with the GITHUB_* variables a job has
(GITHUB_ACTION_PATH is this repository, so the install step really installs it into a fresh virtual environment
from the package index). A `uses:` step is not run here (its action lives elsewhere): the test records whether
its `if:` let it run and with which inputs. No `${{ }}` may appear inside a script: inputs go through `env:`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import EXAMPLES, REPO, run_cli
from ruamel.yaml import YAML

ACTION = YAML(typ="safe", pure=True).load((REPO / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
PUBLISHED = (EXAMPLES / "harvester-kb-published.yaml").read_bytes()
CORRECTED = (EXAMPLES / "harvester-kb-corrected.yaml").read_bytes()


@dataclass
class Step:
    name: str
    ran: bool
    code: int | None = None
    stdout: str = ""
    stderr: str = ""
    uses: str | None = None
    with_: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    steps: list[Step]
    outputs: dict[str, str]  # the action's own outputs
    failed: bool

    def step(self, name: str) -> Step:
        return next(step for step in self.steps if step.name == name)


# (RUNNER_TEMP, python) -> the install step and its outputs: installing vmlint from this checkout takes seconds, and
# every test of the module would make the same environment again
_INSTALLED: dict[tuple[str, str], tuple[Step, dict[str, str]]] = {}


class CompositeRunner:
    """The runner's part for one composite action: expressions, conditions, outputs, the step environment."""

    def __init__(self, workspace: Path, temp: Path, inputs: dict[str, str]) -> None:
        unknown = set(inputs) - set(ACTION["inputs"])
        assert not unknown, f"action.yml declares no input {unknown}"
        self.inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()} | inputs
        self.workspace, self.temp = workspace, temp
        self.step_outputs: dict[str, dict[str, str]] = {}
        self.failed = False
        self.summary = temp / "step-summary.md"
        self.summary.touch()

    def value(self, path: str) -> str:
        parts = path.split(".")
        if parts[0] == "inputs" and len(parts) == 2:
            return self.inputs[parts[1]]
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.step_outputs.get(parts[1], {}).get(parts[3], "")
        raise AssertionError(f"an expression this test does not evaluate: {path}")

    def evaluate(self, expression: str) -> str | bool:
        """The expressions action.yml uses: `a && b`, `x == 'lit'`, `x != 'lit'`, `always()`, `success()`, paths."""
        if "&&" in expression:
            return all(self.evaluate(part.strip()) for part in expression.split("&&"))
        if expression in ("always()", "success()", "failure()"):
            return {"always()": True, "success()": not self.failed, "failure()": self.failed}[expression]
        match = re.fullmatch(r"(\S+)\s*(==|!=)\s*'([^']*)'", expression)
        if match:
            equal = self.value(match.group(1)) == match.group(3)
            return equal if match.group(2) == "==" else not equal
        return self.value(expression)

    def substitute(self, text: str) -> str:
        return EXPRESSION.sub(lambda m: str(self.evaluate(m.group(1))), str(text))

    def should_run(self, step: dict) -> bool:
        condition = step.get("if")
        if condition is None:
            return not self.failed  # success() is the default
        condition = EXPRESSION.sub(lambda m: m.group(1), str(condition))
        uses_status = any(word in condition for word in ("always()", "failure()", "success()"))
        return bool(self.evaluate(condition)) and (uses_status or not self.failed)

    def environment(self, step: dict, output: Path) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("GITHUB_", "INPUT_", "RUNNER_")) and key not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env.update({
            "CI": "true", "GITHUB_ACTIONS": "true", "NO_COLOR": "1",
            "GITHUB_WORKSPACE": str(self.workspace), "GITHUB_ACTION_PATH": str(REPO),
            "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_ENV": str(self.temp / "env"), "GITHUB_PATH": str(self.temp / "path"),
            "RUNNER_TEMP": str(self.temp), "RUNNER_OS": "Linux",
        })
        env.update({name: self.substitute(value) for name, value in (step.get("env") or {}).items()})
        return env

    def run(self) -> Outcome:
        steps = []
        for number, step in enumerate(ACTION["runs"]["steps"]):
            name = step.get("id") or step.get("name")
            if not self.should_run(step):
                steps.append(Step(name, ran=False, uses=step.get("uses")))
                continue
            if "uses" in step:
                with_ = {key: self.substitute(value) for key, value in (step.get("with") or {}).items()}
                steps.append(Step(name, ran=True, uses=step["uses"], with_=with_))
                continue
            assert step["shell"] == "bash"
            installed = _INSTALLED.get((str(self.temp), self.inputs["python"])) if step.get("id") == "install" else None
            if installed is not None:  # the module's tests share one RUNNER_TEMP: the first install serves them all
                steps.append(installed[0])
                self.step_outputs["install"] = dict(installed[1])
                continue
            script = self.temp / f"step-{number}.sh"
            script.write_text(step["run"], encoding="utf-8")
            output = self.temp / f"output-{number}"
            output.write_text("", encoding="utf-8")
            done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                                  cwd=self.workspace, env=self.environment(step, output), capture_output=True,
                                  text=True, timeout=600, check=False, stdin=subprocess.DEVNULL)
            steps.append(Step(name, ran=True, code=done.returncode, stdout=done.stdout, stderr=done.stderr))
            if "id" in step:
                self.step_outputs[step["id"]] = read_outputs(output)
            if step.get("id") == "install" and done.returncode == 0:
                _INSTALLED[(str(self.temp), self.inputs["python"])] = (steps[-1], self.step_outputs["install"])
            self.failed = self.failed or done.returncode != 0
        outputs = {name: self.substitute(spec["value"]) for name, spec in ACTION["outputs"].items()}
        return Outcome(steps, outputs, self.failed)


def read_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT's two forms: `name=value` and `name<<DELIMITER` … `DELIMITER`."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            outputs[name] = "\n".join(iter(lambda: next(lines), delimiter))
        elif line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One RUNNER_TEMP for the module, as for the steps of one job: vmlint's environment is made once."""
    return tmp_path_factory.mktemp("runner-temp")


def run_action(workspace: Path, temp: Path, **inputs: str) -> Outcome:
    inputs.setdefault("python", sys.executable)
    return CompositeRunner(workspace, temp, {key.replace("_", "-"): value for key, value in inputs.items()}).run()


def workspace_with(tmp_path: Path, **files: bytes) -> Path:
    workspace = tmp_path / "workspace"
    for name, data in files.items():
        path = workspace / "vms" / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return workspace


# --- the file itself ----------------------------------------------------------------------------------------------


def test_the_action_is_a_composite_whose_scripts_read_inputs_only_from_the_environment() -> None:
    assert ACTION["runs"]["using"] == "composite"
    scripts = [step for step in ACTION["runs"]["steps"] if "run" in step]
    assert scripts and all(step["shell"] == "bash" for step in scripts)
    for step in scripts:
        assert "${{" not in step["run"], f"an expression pasted into the script of {step.get('id')}"
    used = {match.group(1) for step in ACTION["runs"]["steps"]
            for value in [*(step.get("env") or {}).values(), *(step.get("with") or {}).values(), step.get("if", "")]
            for match in re.finditer(r"inputs\.([A-Za-z0-9_-]+)", str(value))}
    assert used == set(ACTION["inputs"])  # every input is used, and only declared ones
    install = ACTION["runs"]["steps"][0]["run"]
    assert 'pip install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH"' in install
    (upload,) = [step for step in ACTION["runs"]["steps"] if "uses" in step]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")


# --- running it -----------------------------------------------------------------------------------------------------


def test_findings_annotate_the_pull_request_and_fail_the_step(tmp_path: Path, runner_temp: Path) -> None:
    workspace = workspace_with(tmp_path, published=PUBLISHED, corrected=CORRECTED)
    outcome = run_action(workspace, runner_temp)
    assert [(step.name, step.ran, step.code) for step in outcome.steps] == [
        ("install", True, 0), ("lint", True, 0), ("Upload SARIF to code scanning", False, None), ("result", True, 1)]
    assert outcome.failed and outcome.outputs == {"exit-code": "1", "sarif-file": ""}
    expected = run_cli("check", "--no-cache", "--format", "github", ".", cwd=workspace)
    assert outcome.step("lint").stdout == expected.stdout
    assert "\n::error file=vms/published.yaml,line=15,endLine=15,col=137,endColumn=138,title=VM001 " in (
        outcome.step("lint").stdout)
    assert not (workspace / "vmlint.sarif").exists()


def test_a_clean_repository_passes_and_fail_on_is_honoured(tmp_path: Path, runner_temp: Path) -> None:
    workspace = workspace_with(tmp_path, corrected=CORRECTED)
    passed = run_action(workspace, runner_temp)
    assert not passed.failed and passed.outputs["exit-code"] == "0"
    assert "::notice file=vms/corrected.yaml,line=17" in passed.step("lint").stdout  # infos are still shown
    strict = run_action(workspace, runner_temp, fail_on="info")
    assert strict.failed and strict.outputs["exit-code"] == "1" and strict.step("result").code == 1


def test_sarif_is_written_and_handed_to_the_upload_before_the_step_fails(tmp_path: Path, runner_temp: Path) -> None:
    workspace = workspace_with(tmp_path, published=PUBLISHED)
    outcome = run_action(workspace, runner_temp, upload_sarif="true")
    upload = outcome.step("Upload SARIF to code scanning")
    assert upload.ran and upload.with_ == {"sarif_file": "vmlint.sarif", "category": "vmlint"}
    assert [step.name for step in outcome.steps if step.ran][-2:] == ["Upload SARIF to code scanning", "result"]
    assert outcome.failed and outcome.outputs == {"exit-code": "1", "sarif-file": "vmlint.sarif"}
    sarif = json.loads((workspace / "vmlint.sarif").read_text(encoding="utf-8"))
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "VM001"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "vms/published.yaml",
                                                                              "uriBaseId": "%SRCROOT%"}
    own = run_action(workspace, runner_temp, sarif_file="reports/out.sarif")  # for an upload step of the user's
    assert own.outputs["sarif-file"] == "" and "No such file" in own.step("lint").stderr  # its directory is missing
    (workspace / "reports").mkdir()
    own = run_action(workspace, runner_temp, sarif_file="reports/out.sarif")
    assert own.outputs == {"exit-code": "1", "sarif-file": "reports/out.sarif"}
    assert not own.step("Upload SARIF to code scanning").ran


def test_version_targets_and_extra_arguments_reach_vmlint(tmp_path: Path, runner_temp: Path) -> None:
    workspace = workspace_with(tmp_path, corrected=CORRECTED, published=PUBLISHED)
    outcome = run_action(workspace, runner_temp, paths="vms/corrected.yaml", kubevirt_version="1.6.4",
                         args="--select VM3 --ignore 'VM30 4'")  # a quoted word with a space stays one argument
    assert outcome.step("lint").stderr == "vmlint: error: 'VM30 4' matches no rule code (see `vmlint rules`)\n"
    assert outcome.outputs["exit-code"] == "2" and outcome.failed
    outcome = run_action(workspace, runner_temp, paths="vms/corrected.yaml", kubevirt_version="1.6.4",
                         args="--select VM3")
    lines = outcome.step("lint").stdout.splitlines()
    assert lines and all(line.startswith("::notice file=vms/corrected.yaml,") and "title=VM3" in line for line in lines)
    assert "KubeVirt 1.6.4" in lines[0]
    conflict = run_action(workspace, runner_temp, paths="vms/corrected.yaml", kubevirt_version="1.6.4",
                          harvester_version="1.7.2", velero_version="1.15.0")
    assert "Harvester 1.7.2 ships KubeVirt" in conflict.step("lint").stderr and conflict.outputs["exit-code"] == "2"
    assert "::error title=vmlint::vmlint could not run (exit code 2)" in conflict.step("lint").stdout


def test_inputs_are_data_never_code(tmp_path: Path, runner_temp: Path) -> None:
    workspace = workspace_with(tmp_path, published=PUBLISHED)
    outcome = run_action(workspace, runner_temp, paths="vms/* $(touch pwned1) `touch pwned2`",
                         args="--namespace '$(touch pwned3)' --namespace \"; touch pwned4\"",
                         fail_on="error; touch pwned5", kubevirt_version="$(touch pwned6)")
    assert sorted(path.name for path in workspace.iterdir()) == ["vms"]  # nothing ran, nothing was globbed
    assert outcome.outputs["exit-code"] == "2" and outcome.failed
    unbalanced = run_action(workspace, runner_temp, args="--select 'VM1")
    assert unbalanced.step("lint").code != 0 and "No closing quotation" in unbalanced.step("lint").stderr
    assert unbalanced.outputs["exit-code"] == "" and not unbalanced.step("result").ran


# --- README's snippets -----------------------------------------------------------------------------------------------


def _readme_block(heading: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split(f"\n### {heading}\n", 1)[1]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


def test_readme_workflow_uses_declared_inputs() -> None:
    steps = YAML(typ="safe", pure=True).load(_readme_block("GitHub Actions"))
    (ours,) = [step for step in steps if step["uses"].startswith("vmlint/vmlint@")]
    assert set(ours["with"]) <= set(ACTION["inputs"])


def test_readme_gitlab_job_writes_a_code_quality_report(tmp_path: Path) -> None:
    job = YAML(typ="safe", pure=True).load(_readme_block("GitLab CI"))["vmlint"]
    (command,) = [line for line in job["script"] if line.startswith("vmlint check")]
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "vm.yaml").write_bytes(PUBLISHED)
    done = run_cli(*command.split()[1:], "--no-cache", cwd=tmp_path)
    assert done.exit_code == 1 and "manifests/vm.yaml:15:137: VM001 [error]" in done.stdout
    report = json.loads((tmp_path / job["artifacts"]["reports"]["codequality"]).read_text(encoding="utf-8"))
    assert [(entry["check_name"], entry["location"]) for entry in report] == [
        ("VM001", {"path": "manifests/vm.yaml", "lines": {"begin": 15}})]
