"""Kustomize awareness: VM203 against the kustomization's `namespace:`, VM205 once per overlay (tests/data/kustomize).

The fixture: base/ (namespace: base-ns) lists vm.yaml, whose hooks hard-code `--namespace base-ns`;
overlays/team-a and overlays/team-b list ../../base and set team-a and team-b; team-b also lists db.yaml,
whose metadata.namespace (prod) the overlay overrides, so its `--namespace prod` is wrong and `team-b` right.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import REPO, run_cli
from helpers import lint_text, where

from lint.kube.kustomize import KustomizeIndex

DATA = REPO / "tests" / "data" / "kustomize"
BASE_VM = "tests/data/kustomize/base/vm.yaml"
DB = "tests/data/kustomize/overlays/team-b/db.yaml"


def _column(path: str, line: int, text: str) -> int:
    return (REPO / path).read_text().splitlines()[line - 1].index(text) + 1


def _findings(*args: str) -> list[dict]:
    done = run_cli("check", "--format", "json", "--select", "VM2", *args)
    assert done.stderr == "" and done.exit_code in (0, 1), done.stderr
    return json.loads(done.stdout)["findings"]


def test_vm205_once_per_overlay_at_the_hard_coded_namespace() -> None:
    found = [f for f in _findings("tests/data/kustomize") if f["code"] == "VM205"]
    pre, post = _column(BASE_VM, 9, "base-ns"), _column(BASE_VM, 10, "base-ns")
    assert (pre, post) == (116, 119)
    assert sorted((f["path"], f["line"], f["column"], f["end_column"]) for f in found) == [
        (BASE_VM, 9, pre, pre + 7), (BASE_VM, 9, pre, pre + 7),
        (BASE_VM, 10, post, post + 7), (BASE_VM, 10, post, post + 7),
    ]
    for line in (9, 10):
        messages = sorted(f["message"] for f in found if f["line"] == line)
        assert "overlays/team-a/kustomization.yaml sets namespace: team-a" in messages[0]
        assert "overlays/team-b/kustomization.yaml sets namespace: team-b" in messages[1]
        assert all("'base-ns' is hard-coded in this base" in m for m in messages)
    assert {f["severity"] for f in found} == {"error"} and {f["rule"] for f in found} == {"overlay-namespace-mismatch"}


def test_vm203_compares_against_the_kustomization_namespace() -> None:
    found = [f for f in _findings("tests/data/kustomize") if f["code"] == "VM203"]
    # db.yaml says metadata.namespace: prod, but team-b's kustomization sets team-b: only the pre hook is wrong
    assert [(f["path"], f["line"], f["column"]) for f in found] == [(DB, 10, _column(DB, 10, "prod"))]
    assert "'team-b' (the namespace: of tests/data/kustomize/overlays/team-b/kustomization.yaml" in found[0]["message"]
    # a file named alone still finds the kustomization beside it
    alone = _findings(DB)
    assert [(f["code"], f["line"]) for f in alone] == [("VM203", 10)]


def test_the_base_with_a_matching_namespace_is_clean() -> None:
    # linted alone, the base's own kustomization (namespace: base-ns) matches the hooks, and no overlay is in sight
    assert _findings("tests/data/kustomize/base") == []
    done = run_cli("check", "tests/data/kustomize/base")
    assert done.exit_code in (0, 1) and "VM203" not in done.stdout and "VM205" not in done.stdout


def test_base_without_overlays_elsewhere_is_clean(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "kustomization.yaml").write_text((DATA / "base" / "kustomization.yaml").read_text())
    (tmp_path / "base" / "vm.yaml").write_text((DATA / "base" / "vm.yaml").read_text())
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "kustomization.yaml").write_text("namespace: base-ns\nresources:\n  - ../base\n")
    done = run_cli("check", "--select", "VM2", str(tmp_path))
    assert done.exit_code == 0, done.stdout
    # the same overlay with another namespace: VM205, naming it
    (tmp_path / "prod" / "kustomization.yaml").write_text("namespace: prod\nresources:\n  - ../base\n")
    done = run_cli("check", "--select", "VM2", "-q", str(tmp_path))
    assert done.exit_code == 1
    assert done.stdout.count("VM205") == 2 and "prod/kustomization.yaml sets namespace: prod" in done.stdout


RENDERED = """\
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: web
  namespace: team-a
spec:
  template:
    metadata:
      annotations:
        pre.hook.backup.velero.io/command: '["/usr/bin/virt-freezer", "--freeze", "--name", "web", "--namespace", "base-ns"]'
        post.hook.backup.velero.io/command: '["/usr/bin/virt-freezer", "--unfreeze", "--name", "web", "--namespace", "base-ns"]'
"""


def test_check_stdin_over_a_rendered_stream_is_the_exact_answer() -> None:
    """What `kustomize build overlays/team-a` prints for the base VM: the final namespace is on the object."""
    done = run_cli("check", "--select", "VM2", "--format", "json", "-", stdin=RENDERED.encode())
    assert done.exit_code == 1, done.stderr
    found = json.loads(done.stdout)["findings"]
    assert [(f["code"], f["line"], f["column"]) for f in found] == [("VM203", 10, 116), ("VM203", 11, 119)]
    assert "namespace is 'team-a'" in found[0]["message"]
    fixed = RENDERED.replace('"base-ns"', '"team-a"').encode()
    assert run_cli("check", "--select", "VM2", "-", stdin=fixed).exit_code == 0


def test_a_stream_with_kyaml_path_annotations_is_a_tree() -> None:
    """`kpt fn source` streams: each document stands for the file its path annotation names."""
    overlay = ("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata:\n  annotations:\n"
               "    config.kubernetes.io/path: overlays/team-b/kustomization.yaml\nnamespace: team-b\n"
               "resources:\n  - ../../base\n---\n")
    base = ("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata:\n  annotations:\n"
            "    internal.config.kubernetes.io/path: base/kustomization.yaml\nresources:\n  - vm.yaml\n---\n")
    vm = RENDERED.replace("  namespace: team-a\n", "  annotations:\n    config.kubernetes.io/path: base/vm.yaml\n")
    found = lint_text(overlay + base + vm, select=("VM2",))
    assert where(found) == [("VM205", 28, 116), ("VM205", 29, 119)]
    assert "overlays/team-b/kustomization.yaml sets namespace: team-b" in found[0].message
    # the base alone, with its own namespace: VM203 compares against it
    own = base.replace("resources:", "namespace: other\nresources:")
    assert [f.code for f in lint_text(own + vm, select=("VM2",))] == ["VM203", "VM203"]


def test_resources_are_directories_exactly_where_the_file_system_says_so(tmp_path: Path) -> None:
    """Plain names are looked up in one listing of the kustomization's directory, other resources one by one:
    a symbolic link to a directory, a directory named like a file and a nested path are directories; a file, a
    link to a file and a missing name are files."""
    base = tmp_path / "base"
    for directory in ("sub", "dir.yaml", "nested/deeper", "real"):
        (base / directory).mkdir(parents=True)
    (base / "vm.yaml").write_text("a: 1\n")
    (base / "linked").symlink_to(base / "real")
    (base / "file-link.yaml").symlink_to(base / "vm.yaml")
    names = ["sub", "dir.yaml", "nested/deeper", "linked", "vm.yaml", "file-link.yaml", "missing", "../base/sub"]
    text = "namespace: x\nresources:\n" + "".join(f"  - {name}\n" for name in names)
    (base / "kustomization.yaml").write_text(text)
    index = KustomizeIndex()
    path = base / "kustomization.yaml"
    index.add_input("base/kustomization.yaml", path, path.read_bytes(), real=path.as_posix())
    found = index.kustomizations[path.as_posix()]
    key = base.as_posix()
    assert set(found.directories) == {f"{key}/{name}" for name in ("sub", "dir.yaml", "nested/deeper", "linked")}
    assert found.files == {f"{key}/{name}" for name in ("vm.yaml", "file-link.yaml", "missing")}
    assert all(os.path.isdir(target) for target in found.directories)
