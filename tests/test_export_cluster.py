"""A realistic export of 200 VMs with their VMIs and launcher pods, among unrelated objects: every finding, exactly.

The export comes from benchmarks/export.py, which records where each finding must stand as it writes the text;
its run time is reported by `python benchmarks/export.py` (benchmarks/README.md), not measured here.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from functools import cache

import yaml
from conftest import REPO
from helpers import lint_result

from lint.core.findings import Severity

sys.path.insert(0, str(REPO / "benchmarks"))
from export import Export, export, role  # noqa: E402

NOTE = ("Assuming KubeVirt 1.8.1, from the launcher image of Pod prod/virt-launcher-vm-0000-00000 "
        "(quay.io/kubevirt/virt-launcher:v1.8.1); the export also names 1.8.2 (a cluster mid-upgrade?): vmlint judges "
        "by the oldest.")


@cache
def made() -> Export:
    return export(200)


def names(kind: str) -> list[str]:
    return sorted(vm for vm, found in made().roles.items() if found == kind)


def test_the_export_is_what_kubectl_prints() -> None:
    document = yaml.safe_load(made().text)
    assert document["kind"] == "List"
    assert Counter(item["kind"] for item in document["items"]) == {
        "VirtualMachine": 200, "VirtualMachineInstance": 194, "Pod": 194, "Deployment": 50, "Secret": 50,
        "ConfigMap": 50, "Event": 200, "Backup": 1}
    assert Counter(role(number) for number in range(200)) == {
        "healthy": 147, "windows": 19, "no-agent": 9, "paused": 8, "stopped": 6, "frozen": 4, "unsupported": 5,
        "skip-drift": 2}


def test_every_finding_of_the_export_at_its_exact_position() -> None:
    result = lint_result(made().text, path="cluster.yaml")
    assert not result.errors
    assert result.notes == [NOTE]
    # The export's 50 Deployments freeze /data with fsfreeze in their only container: unprivileged (VM703), with
    # nothing mounted at /data (VM702), and no post hook thaws it (VM108), each on its pre hook's command.
    deployments = [f for f in result.findings if f.kind == "Deployment"]
    assert Counter(f.code for f in deployments) == {"VM702": 50, "VM703": 50, "VM108": 50}
    lines = made().text.splitlines()
    assert all(lines[f.line - 1].strip().startswith("pre.hook.backup.velero.io/command: ") for f in deployments)
    result.findings = [f for f in result.findings if f.kind != "Deployment"]
    assert [(f.code, f.line, f.column) for f in result.findings] == [
        (code, line, column) for code, line, column, _ in made().anchors]
    for finding, (code, _, _, name) in zip(result.findings, made().anchors):
        if finding.kind == "Pod":
            assert finding.name.startswith(f"virt-launcher-{name}-")
        else:
            assert finding.name == name
    codes = Counter(f.code for f in result.findings)
    assert codes == {"VM403": 38, "VM401": 9, "VM602": 9, "VM604": 8, "VM601": 4, "VM603": 5, "VM303": 4, "VM606": 3, "VM605": 1}
    conflict = [f for f in result.findings if f.code == "VM606" and f.severity == Severity.INFO]
    assert [(f.name, f.message.split(":")[0]) for f in conflict] == [
        ("virt-launcher-vm-0001-00001", "this Pod names KubeVirt 1.8.2, but the export also names 1.8.1, which vmlint "
                                        "assumes for the whole run (the oldest it found)")]
    (backup,) = [f for f in result.findings if f.code == "VM605"]
    assert backup.message.startswith(
        f"Backup velero/nightly-20261130020000 reports hooksAttempted: 388 and no failed hook, but 17 VMIs it covers "
        f"were not frozen as this export shows them: 9 running without AgentConnected ({', '.join(names('no-agent'))})"
        f", whose virt-freezer exits 0 without freezing when the agent never answered; 8 paused "
        f"({', '.join(names('paused'))}), whose virt-freezer exits 0 without freezing (KubeVirt 1.8.1).")


def test_the_same_export_as_json_gives_the_same_findings() -> None:
    small = export(60)
    as_json = json.dumps(yaml.safe_load(small.text), indent=4)
    from_yaml = lint_result(small.text, path="cluster.yaml")
    from_json = lint_result(as_json, path="cluster.json")
    assert not from_json.errors
    assert [(f.code, f.name, f.message) for f in from_json.findings] == \
        [(f.code, f.name, f.message) for f in from_yaml.findings]


def test_the_audit_of_the_export_cannot_tell_nothing_where_the_vmi_is_present(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lint.audit.verdicts import build
    from lint.core.catalogue import builtin_catalogue
    from lint.run.discovery import InputFile
    from lint.run.engine import select_rules
    from lint.target.settings import Settings

    report = build([InputFile("cluster.yaml", None, made().text.encode())], select_rules(builtin_catalogue()),
                   Settings())
    assert len(report.vms) == 200  # one row per VM: the VMIs are shown on their VMs' rows
    verdicts = {f"{vm.namespace}/{vm.name}": vm.verdict for vm in report.vms}
    expected = {"healthy": "frozen", "windows": "frozen", "frozen": "frozen", "unsupported": "frozen",
                "no-agent": "not-frozen", "paused": "not-frozen", "skip-drift": "not-frozen", "stopped": "not-running"}
    assert verdicts == {vm: expected[found] for vm, found in made().roles.items()}
    assert report.verdicts() == {"frozen": 175, "not-frozen": 19, "unknown": 0, "not-running": 6}
    assert report.from_export() == 198  # the two skip-drift VMs are judged by their annotation alone
    db = next(vm for vm in report.vms if vm.name == "vm-0003")
    assert db.reason == ("KubeVirt 1.8.1 injects its virt-freezer hooks, but no guest agent runs: the export shows VMI "
                         "ci/vm-0003 Running without the AgentConnected condition, which KubeVirt removes while no "
                         "guest agent is connected")
    assert [f.code for f in db.findings] == ["VM401", "VM602"]
    assert report.target == ("KubeVirt 1.8.1 (from the launcher image of Pod prod/virt-launcher-vm-0000-00000 "
                             "(quay.io/kubevirt/virt-launcher:v1.8.1))")
