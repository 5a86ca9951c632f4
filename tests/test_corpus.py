"""The real corpus: every manifest is linted without an internal error, and the findings are exactly these.

Why each is right (checked by reading the files):
- VM006 on Go/Jinja/Helm templates and on the velero-plugin test manifests whose `{{KVP_STORAGE_CLASS}}` a
  test harness substitutes with sed: unrendered templates, not manifests kubectl can apply.
- VM001 on the two documentation snippets wrapped in a shell here-document (`kubectl create -f - <<EOF`):
  the files are shell, not YAML; the hint says so.
- VM002 on win2k12.yml: a PersistentVolumeClaim and a VirtualMachine pasted together without `---`, so the
  PVC's apiVersion/kind/metadata/spec are silently replaced by the VM's.
Nothing else: the corpus has no VM with its own Velero hooks (the two hook-bearing files are a Kyverno policy
and a CronJob bundle, which are not workloads), so the hook rules must stay silent on all of it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import CORPUS, run_cli

EXPECTED = [
    ("deckhouse__virtualization__test__performance__templates__vms.yaml", "VM006", 1, 1),
    ("kubevirt__common-templates__templates__fedora.tpl.yaml", "VM006", 4, 9),
    ("kubevirt__common-templates__templates__windows2k22.tpl.yaml", "VM006", 4, 21),
    ("kubevirt__kubevirt-velero-plugin__tests__manifests__vm_with_access_credentials.yaml", "VM006", 19, 27),
    ("kubevirt__kubevirt-velero-plugin__tests__manifests__vm_with_different_volume_types.yaml", "VM006", 19, 27),
    ("kubevirt__kubevirt-velero-plugin__tests__manifests__vm_with_instancetype_and_preference.yaml", "VM006", 25, 27),
    ("kubevirt__kubevirt.github.io___posts__2020-10-21-Multiple-Network-Attachments-with-bridge-CNI.markdown__block20.yaml", "VM001", 2, 11),
    ("kubevirt__kubevirt.github.io___posts__2020-10-21-Multiple-Network-Attachments-with-bridge-CNI.markdown__block20.yaml", "VM001", 117, 1),
    ("kubevirt__kubevirt.github.io__assets__2020-02-14-KubeVirt-installing_Microsoft_Windows_from_an_iso__win2k12.yml", "VM002", 13, 1),
    ("kubevirt__kubevirt.github.io__assets__2020-02-14-KubeVirt-installing_Microsoft_Windows_from_an_iso__win2k12.yml", "VM002", 14, 1),
    ("kubevirt__kubevirt.github.io__assets__2020-02-14-KubeVirt-installing_Microsoft_Windows_from_an_iso__win2k12.yml", "VM002", 15, 1),
    ("kubevirt__kubevirt.github.io__assets__2020-02-14-KubeVirt-installing_Microsoft_Windows_from_an_iso__win2k12.yml", "VM002", 17, 1),
    ("kubevirt__kubevirt__tests__operator__resourcefiles__templates__vm-template.yaml", "VM006", 1, 25),
    ("kubevirt__kubevirt__tests__performance__manifests__kube-burner__kubevirt-density__templates__vm-ephemeral.yml", "VM006", 6, 21),
    ("kubevirt__user-guide__docs__user_workloads__accessing_virtual_machines.md__block07.yaml", "VM001", 3, 11),
]


@pytest.fixture(scope="module")
def report() -> dict:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    result = run_cli("check", "--format", "json", str(CORPUS))
    assert result.stderr == ""
    assert result.exit_code == 1
    return json.loads(result.stdout)


def test_corpus_findings_are_exactly_the_expected_ones(report: dict) -> None:
    found = [(Path(f["path"]).name, f["code"], f["line"], f["column"]) for f in report["findings"]]
    assert found == EXPECTED


def test_every_corpus_file_is_linted(report: dict) -> None:
    files = sorted(p for p in CORPUS.iterdir() if p.suffix in (".yaml", ".yml"))
    assert report["summary"]["files"] == len(files) == 41
    assert report["summary"]["workloads"] == 30
