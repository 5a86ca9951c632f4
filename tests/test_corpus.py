"""The real corpus: every manifest is linted without an internal error, and the findings are exactly these.

Why each is right (checked by reading the files):
- VM006 on Go/Jinja/Helm templates and on the velero-plugin test manifests whose `{{KVP_STORAGE_CLASS}}` a
  test harness substitutes with sed: unrendered templates, not manifests kubectl can apply.
- VM001 on the two documentation snippets wrapped in a shell here-document (`kubectl create -f - <<EOF`):
  the files are shell, not YAML; the hint says so.
- VM002 on win2k12.yml: a PersistentVolumeClaim and a VirtualMachine pasted together without `---`, so the
  PVC's apiVersion/kind/metadata/spec are silently replaced by the VM's.
- VM401 on the cirros examples and the labs/demo VMs: their user data is a shell script or plain text that
  neither installs nor enables qemu-guest-agent, and cirros ships none; VM402 where the evidence cannot be
  read (no user data, an unknown image, a Fedora- or RHEL-family guest whose image usually ships the agent);
  VM403 on the Windows guests; VM404 on a `packages:` string and on fedora-todolist's repeated cloud-config
  keys (user, password, chpasswd: cloud-init keeps the last of each silently).
Nothing else: the corpus has no VM with its own Velero hooks (the two hook-bearing files are a Kyverno policy
and a CronJob bundle, which are not workloads), so the hook rules must stay silent on all of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CORPUS, require_corpus, run_cli

EXPECTED = [
    ("deckhouse__virtualization__test__performance__templates__vms.yaml", "VM006", 1, 1),
    ("kubevirt__common-templates__templates__fedora.tpl.yaml", "VM006", 4, 9),
    ("kubevirt__common-templates__templates__windows2k22.tpl.yaml", "VM006", 4, 21),
    ("kubevirt__containerized-data-importer__manifests__example__vm-dv.yaml", "VM402", 23, 16),
    ("kubevirt__demo__manifests__vm.yaml", "VM401", 37, 29),
    ("kubevirt__kubevirt-velero-plugin__tests__manifests__vm_with_access_credentials.yaml", "VM006", 19, 27),
    ("kubevirt__kubevirt-velero-plugin__tests__manifests__vm_with_different_volume_types.yaml", "VM006", 19, 27),
    ("kubevirt__kubevirt-velero-plugin__tests__manifests__vm_with_instancetype_and_preference.yaml", "VM006", 25, 27),
    ("kubevirt__kubevirt-velero-plugin__tests__manifests__vmi_with_dv.yaml", "VM402", 30, 13),
    ("kubevirt__kubevirt.github.io___posts__2020-10-21-Multiple-Network-Attachments-with-bridge-CNI.markdown__block20.yaml", "VM001", 2, 11),
    ("kubevirt__kubevirt.github.io___posts__2020-10-21-Multiple-Network-Attachments-with-bridge-CNI.markdown__block20.yaml", "VM001", 117, 1),
    ("kubevirt__kubevirt.github.io__assets__2020-02-14-KubeVirt-installing_Microsoft_Windows_from_an_iso__win2k12.yml", "VM002", 13, 1),
    ("kubevirt__kubevirt.github.io__assets__2020-02-14-KubeVirt-installing_Microsoft_Windows_from_an_iso__win2k12.yml", "VM002", 14, 1),
    ("kubevirt__kubevirt.github.io__assets__2020-02-14-KubeVirt-installing_Microsoft_Windows_from_an_iso__win2k12.yml", "VM002", 15, 1),
    ("kubevirt__kubevirt.github.io__assets__2020-02-14-KubeVirt-installing_Microsoft_Windows_from_an_iso__win2k12.yml", "VM002", 17, 1),
    ("kubevirt__kubevirt.github.io__assets__2020-02-14-KubeVirt-installing_Microsoft_Windows_from_an_iso__win2k12.yml", "VM403", 52, 18),
    ("kubevirt__kubevirt.github.io__assets__2020-06-22-win_workload_in_k8s__vm_testvm.yaml", "VM403", 7, 21),
    ("kubevirt__kubevirt.github.io__labs__manifests__vm.yaml", "VM401", 37, 29),
    ("kubevirt__kubevirt__examples__vm-alpine-datavolume.yaml", "VM402", 22, 16),
    ("kubevirt__kubevirt__examples__vm-alpine-multipvc.yaml", "VM402", 31, 22),
    ("kubevirt__kubevirt__examples__vm-cirros-clarge.yaml", "VM401", 36, 13),
    ("kubevirt__kubevirt__examples__vm-cirros-with-sidecar-hook-configmap.yaml", "VM401", 37, 13),
    ("kubevirt__kubevirt__examples__vm-cirros.yaml", "VM401", 34, 13),
    ("kubevirt__kubevirt__examples__vm-pool-cirros.yaml", "VM402", 34, 22),
    ("kubevirt__kubevirt__examples__vm-priorityclass.yaml", "VM401", 35, 13),
    ("kubevirt__kubevirt__examples__vm-windows-clarge-windows.yaml", "VM403", 14, 11),
    ("kubevirt__kubevirt__examples__vmi-migratable.yaml", "VM402", 27, 14),
    ("kubevirt__kubevirt__examples__vmi-nocloud.yaml", "VM401", 31, 9),
    ("kubevirt__kubevirt__examples__vmi-replicaset-cirros.yaml", "VM402", 28, 18),
    ("kubevirt__kubevirt__examples__vmi-windows.yaml", "VM403", 31, 7),
    ("kubevirt__kubevirt__staging__src__kubevirt.io__api__apitesting__testdata__HEAD__kubevirt.io.v1.VirtualMachine.yaml", "VM403", 555, 11),
    ("kubevirt__kubevirt__tests__operator__resourcefiles__templates__vm-template.yaml", "VM006", 1, 25),
    ("kubevirt__kubevirt__tests__performance__manifests__kube-burner__kubevirt-density__templates__vm-ephemeral.yml", "VM006", 6, 21),
    ("kubevirt__user-guide__docs__network__dns.md__block00.yaml", "VM402", 26, 14),
    ("kubevirt__user-guide__docs__storage__volume_migration.md__block07.yaml", "VM402", 39, 16),
    ("kubevirt__user-guide__docs__user_workloads__accessing_virtual_machines.md__block07.yaml", "VM001", 3, 11),
    ("kubevirt__user-guide__docs__user_workloads__liveness_and_readiness_probes.md__block05.yaml", "VM404", 43, 17),
    ("kubevirt__user-guide__docs__user_workloads__templates.md__block06.yaml", "VM402", 8, 26),
    ("openshift__oadp-operator__tests__e2e__sample-applications__virtual-machines__cirros-test__cirros-test.yaml", "VM402", 18, 21),
    ("openshift__oadp-operator__tests__e2e__sample-applications__virtual-machines__fedora-todolist__fedora-todolist.yaml", "VM404", 285, 19),
    ("openshift__oadp-operator__tests__e2e__sample-applications__virtual-machines__fedora-todolist__fedora-todolist.yaml", "VM404", 286, 19),
    ("openshift__oadp-operator__tests__e2e__sample-applications__virtual-machines__fedora-todolist__fedora-todolist.yaml", "VM404", 287, 19),
]


@pytest.fixture(scope="module")
def report() -> dict:
    require_corpus()
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
    # 30 KubeVirt objects and 1 CronJob; the 2 Deployments are items of `kind: List` files that mention no hook,
    # left out like documents no rule reads (lint.text.compose._ListItems)
    assert report["summary"]["workloads"] == 31
