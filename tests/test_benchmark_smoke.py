"""The benchmark harness runs end to end at a small size: generator, runner, report and JSON (no timing asserts)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"


def test_generator_is_deterministic_and_exact(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        subprocess.run([sys.executable, str(BENCH / "generate.py"), str(out), "--files", "200", "--seed", "7"],
                       check=True, capture_output=True)
    files_a = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file() and p.name != ".bench-manifest.json")
    files_b = sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file() and p.name != ".bench-manifest.json")
    assert files_a == files_b
    assert len(files_a) == 200
    assert all((first / p).read_bytes() == (second / p).read_bytes() for p in files_a)
    manifest = json.loads((first / ".bench-manifest.json").read_text())
    assert manifest["kinds"]["VirtualMachine"] > 0 and manifest["kinds"]["Deployment"] > 0
    assert 0.2 <= manifest["vm_file_share_of_non_chart"] <= 0.3


def test_vm_dense_profile_puts_a_vm_in_a_quarter_of_all_files(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(BENCH / "generate.py"), str(tmp_path), "--files", "400", "--seed", "2",
                    "--profile", "vm-dense"], check=True, capture_output=True)
    manifest = json.loads((tmp_path / ".bench-manifest.json").read_text())
    assert manifest["profile"] == "vm-dense" and manifest["files"] == 400
    assert len(manifest["vm_files"]) == manifest["files_with_vm"] == 100 and manifest["vm_file_share"] == 0.25
    assert manifest["vm_documents"] == manifest["kinds"]["VirtualMachine"] >= 100
    assert manifest["plan"]["secret"] == round(100 * 0.3) and manifest["kinds"]["Kustomization"] > 0
    assert sum(1 for p in tmp_path.rglob("*") if p.is_file() and p.name != ".bench-manifest.json") == 400


def test_runner_writes_report_and_json(tmp_path: Path) -> None:
    repo, results = tmp_path / "repo", tmp_path / "results"
    subprocess.run([sys.executable, str(BENCH / "generate.py"), str(repo), "--files", "500", "--seed", "1",
                    "--profile", "vm-dense"], check=True, capture_output=True)
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--files", "500", "--seed", "1", "--runs", "1",
         "--tools", "vmlint,vmlint-j1,vmlint-j1-before,vmlint-warm,grep",
         "--repo", str(repo), "--work-dir", str(tmp_path / "work"), "--results-dir", str(results), "--name", "smoke",
         "--no-findings", "--small-runs", "0"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    table = (results / "smoke.md").read_text()
    data = json.loads((results / "smoke.json").read_text())
    assert "| vmlint |" in table and "| grep |" in table and "## Targets" in table
    vmlint = data["tools"]["vmlint"]
    assert vmlint["status"] == "ok"
    assert [run["exit"] for run in vmlint["runs"]] and all(run["exit"] in (0, 1) for run in vmlint["runs"])
    assert data["repository"]["files"] == 500 and not data["repository"]["generated_now"]
    assert {t["status"] for t in data["targets"]} <= {"PASS", "FAIL", "SKIP"}
    warm = data["tools"]["vmlint-warm"]  # timed after an untimed run filled its cache: the same findings, exit 1
    assert warm["status"] == "ok" and [run["exit"] for run in warm["runs"]] == [vmlint["runs"][0]["exit"]]
    assert any("a warm cache" in t["target"] and t["status"] in ("PASS", "FAIL") for t in data["targets"])
    assert data["profile"] == data["repository"]["profile"] == "vm-dense" and "vm-dense profile" in table
    assert data["repository"]["vm_documents"] == data["repository"]["kinds"]["VirtualMachine"]
    assert "125 files with a VM (25.0% of all files" in table
    # the vmlint of --baseline-rev (default: issue #19's "today") runs beside, unless this clone lacks that commit
    per_vm = [t for t in data["targets"] if "CPU per VM document" in t["target"]]
    assert len(per_vm) == 1
    before = data["tools"].get("vmlint-j1-before")
    if before is None:
        assert "vmlint-j1-before" in data["skipped"] and per_vm[0]["status"] == "SKIP"
    else:
        assert before["status"] == "ok" and per_vm[0]["status"] in ("PASS", "FAIL") and "ms CPU per VM document" in per_vm[0]["target"]
