"""A real (non-editable) install of vmlint into a fresh virtual environment, run from outside the repository.

The wheel must carry the rule catalogue as `lint/rules/*.yaml`: an installed vmlint has no source tree to fall
back on. The new environment sees the packages of the environment running the tests (a `.pth` file lists its
site-packages directories), so the runtime dependencies already installed are reused and only the build backend
(hatchling) may have to be fetched. `--system-site-packages` alone is not enough: inside a virtual environment it
shows the base interpreter's packages, not the environment's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

from conftest import EXAMPLES, REPO, run_cli, tool_missing


def _env() -> dict[str, str]:
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "GITHUB_ACTIONS", "PIP_REQUIRE_VIRTUALENV", "PIP_USER"}
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(NO_COLOR="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return env


def _run(args: list[object], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


def _see_packages_of_this_environment(purelib: Path) -> None:
    """Append this interpreter's site-packages to the new environment's path, after its own: the wheel installed
    there is found first, the runtime dependencies (ruamel.yaml, typer, ...) here. Plain path lines run no `.pth`
    of these directories, so an editable install of vmlint in them stays invisible."""
    here = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    here |= {entry for entry in sys.path if Path(entry).name in ("site-packages", "dist-packages")}
    lines = sorted(entry for entry in here if Path(entry).is_dir() and Path(entry) != purelib)
    (purelib / "_vmlint_test_outer_environment.pth").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_installed_wheel_ships_and_uses_its_catalogue(tmp_path):
    venv = tmp_path / "venv"
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    try:
        created = _run([sys.executable, "-m", "venv", "--system-site-packages", venv], cwd=tmp_path)
    except (OSError, subprocess.SubprocessError) as err:
        tool_missing(f"python -m venv cannot run: {err}")
    if created.returncode != 0 or not (bindir / "pip").exists():
        output = (created.stderr or created.stdout)[-500:]
        tool_missing(f"python -m venv cannot create an environment with pip: {output}")
    python, pip, vmlint = bindir / "python", bindir / "pip", bindir / "vmlint"
    if _run([pip, "--version"], cwd=tmp_path).returncode != 0:
        tool_missing("pip does not run inside a fresh virtual environment")

    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path).stdout
    purelib = Path(purelib.strip())
    _see_packages_of_this_environment(purelib)

    # From here on every failure is a packaging defect, not a missing tool.
    install = _run([pip, "install", "--no-deps", REPO], cwd=tmp_path, timeout=240)
    assert install.returncode == 0, f"pip install failed:\n{install.stdout[-3000:]}\n{install.stderr[-3000:]}"
    assert vmlint.exists()

    shipped = purelib / "lint" / "rules"
    assert shipped.is_dir(), f"the wheel does not carry lint/rules (looked in {shipped})"
    assert sorted(p.name for p in shipped.glob("*.yaml")) == sorted(p.name for p in (REPO / "rules").glob("*.yaml"))
    probe = "import lint, lint.core.catalogue as c; print(lint.__file__); print(c.rules_directory())"
    where = _run([python, "-c", probe], tmp_path)
    assert where.returncode == 0, where.stderr
    module, rules_dir = (Path(line) for line in where.stdout.splitlines())
    assert module == purelib / "lint" / "__init__.py", "the installed package, not the source tree, must be imported"
    assert rules_dir == shipped, f"the installed vmlint reads its rules from {rules_dir}"

    text = _run([vmlint, "check", EXAMPLES], cwd=tmp_path)
    assert text.returncode == 1, text.stderr
    assert f"{EXAMPLES}/harvester-kb-published.yaml:15:137: VM001 [error] invalid YAML" in text.stdout
    summary = run_cli("check", EXAMPLES, cwd=tmp_path).stdout.rstrip("\n").rsplit("\n", 2)[-2:]
    assert summary[0].startswith("Found ") and text.stdout.rstrip("\n").endswith("\n".join(summary))
    assert summary[1].startswith("Assuming KubeVirt 1.9.0, from the launcher image of Pod")  # the example export

    installed = _run([vmlint, "check", "--format", "json", EXAMPLES], cwd=tmp_path)
    assert installed.returncode == 1 and installed.stderr == ""
    codes = {finding["code"] for finding in json.loads(installed.stdout)["findings"]}
    assert {"VM001", "VM004", "VM101", "VM102", "VM103", "VM108", "VM201", "VM202", "VM203", "VM301"} <= codes
    source_tree = run_cli("check", "--format", "json", EXAMPLES, cwd=tmp_path)
    assert json.loads(installed.stdout) == json.loads(source_tree.stdout)  # same tool, same answers

    listing = _run([vmlint, "rules"], cwd=tmp_path)
    assert listing.returncode == 0 and listing.stderr == ""
    listed = [line.split()[0] for line in listing.stdout.splitlines()[1:]]
    assert "VM001" in listed
    assert listed == sorted(p.stem for p in (REPO / "rules").glob("*.yaml"))
