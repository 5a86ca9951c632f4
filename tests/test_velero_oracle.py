"""VM501 (and the VM504 entry point) against Velero's real CRDs, as the parsing rules are checked against Go.

tests/oracle/regenerate_velero.py judged every case of tests/oracle/gen_velero_cases.py with the openAPIV3Schema
of Velero v1.18.1's CRDs (committed in tests/oracle/velero/crds, with their git blob ids), pruning unknown fields
and dropping non-nullable nulls first as the API server does, and asked Go's time.ParseDuration about every
duration. Layers:

* the committed verdicts are always checked against vmlint, object by object and node by node;
* the committed CRDs are always re-judged with the oracle's own code (pure Python), and must give the same verdicts;
* with `go` on PATH the whole file is regenerated in memory, Go's durations included, and must be byte-identical;
* with VMLINT_VELERO_GIT pointing at a Velero git directory, the committed CRDs must be its files at the recorded
  commit (the blob ids are checked always).

What differs on purpose: vmlint also reports what the API server accepts but Velero cannot use (a duration Go
rejects: Velero's typed client cannot decode the object; an empty program name; an empty resource name on a resource
with exec hooks: "hookName is required") as errors, and a negative timeout, accepted and never enforced, as a
warning. The vectors record these as `velero` facts, and the agreement counts them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import tool_missing

ORACLE_DIR = Path(__file__).resolve().parent / "oracle"
NOTE = ORACLE_DIR / "velero" / "NOTE.md"


def _load(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ORACLE_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


regenerate = _load("regenerate_velero")
agreement_module = _load("velero_agreement")
VECTORS = regenerate.read_vectors()
META = json.loads(regenerate.META.read_text(encoding="utf-8"))


def test_the_vectors_are_a_few_thousand_objects_of_every_kind() -> None:
    kinds = {kind: sum(1 for v in VECTORS if v["kind"] == kind) for kind in ("Backup", "Schedule", "Restore")}
    assert kinds["Backup"] + kinds["Schedule"] >= 3000 and kinds["Restore"] >= 500, kinds
    assert META["cases"] == len(VECTORS) and META["by_kind"] == kinds
    refused = sum(1 for v in VECTORS if not v["accepted"]["strict"])
    assert 0 < refused < len(VECTORS)


def test_vmlint_agrees_with_the_crds_object_by_object_and_node_by_node() -> None:
    found = agreement_module.agreement(VECTORS)
    assert found.disagreements == [], "\n".join(found.disagreements[:10])
    assert found.uncovered == [], "\n".join(found.uncovered[:10])
    assert found.unexplained == [], "\n".join(found.unexplained[:10])
    print("\n".join(found.lines()))
    note = NOTE.read_text(encoding="utf-8")
    for line in found.lines():
        assert line in note, f"tests/oracle/velero/NOTE.md no longer reports the agreement: {line}"


def test_what_differs_on_purpose_is_only_what_velero_does_with_accepted_objects() -> None:
    """Where vmlint says more than the API server, the vectors name the Velero behaviour that justifies it."""
    accepted_but_unusable = [v for v in VECTORS if v["accepted"]["strict"] and v["velero"]]
    facts = {fact["fact"] for v in accepted_but_unusable for fact in v["velero"]}
    assert facts == {"duration-unparseable", "duration-negative", "empty-program", "empty-hook-name"}
    for vector in accepted_but_unusable:
        for fact in vector["velero"]:
            if fact["fact"].startswith("duration-"):
                assert "go" in fact  # Go's own answer: its error text, or the negative nanoseconds


def test_the_committed_crds_are_veleros_at_the_recorded_commit() -> None:
    for path, crd in META["velero"]["crds"].items():
        data = (ORACLE_DIR / crd["file"]).read_bytes()
        assert regenerate.git_blob_id(data) == crd["blob"], path
    velero_git = os.environ.get("VMLINT_VELERO_GIT")
    if not velero_git:
        pytest.skip("VMLINT_VELERO_GIT is not set: the CRDs' blob ids were checked, not a Velero snapshot")
    for path, crd in META["velero"]["crds"].items():
        blob = subprocess.run(["git", "--git-dir", velero_git, "rev-parse", f"{META['velero']['commit']}:{path}"],
                              capture_output=True, text=True, check=True).stdout.strip()
        assert blob == crd["blob"], path


def test_the_oracle_judges_the_committed_crds_as_committed() -> None:
    cases = _load("gen_velero_cases").cases()
    assert [(c["id"], c["kind"], c["yaml"], c["dims"]) for c in cases] == [
        (v["id"], v["kind"], v["yaml"], v["dims"]) for v in VECTORS
    ], "run python tests/oracle/regenerate_velero.py"
    for case, verdict, vector in zip(cases, regenerate.judgements(cases), VECTORS):
        got = {key: verdict[key] for key in ("accepted", "errors", "unknown", "dropped")}
        assert got == {key: vector[key] for key in got}, case["yaml"]


def test_live_regeneration_with_go_is_byte_identical() -> None:
    if shutil.which("go") is None:
        tool_missing("go is not installed: Go's durations in the Velero vectors cannot be asked again "
                     "(the committed answers are still checked)")
    assert regenerate.main(["--check"]) == 0, "run python tests/oracle/regenerate_velero.py"
