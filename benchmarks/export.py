"""A realistic `kubectl get vm,vmi,pods,deploy,secrets,cm,events,backups -A -o yaml` of a KubeVirt cluster.

    python benchmarks/export.py --vms 200 --out /tmp/export-200.yaml     # write it, lint it, print the run time

Every VM has a VMI and a virt-launcher pod (unless it is stopped), written as the API server prints them
(server-set metadata, status blocks, KubeVirt's injected hooks on the pods; cluster-state-facts.md), among
unrelated Deployments, Secrets, ConfigMaps and Events and one Velero Backup. Some guests are chosen, by their
number, to show what the VM6 rules read: no guest agent, paused, left frozen, an unsupported agent, stopped,
annotated to skip hooks while their pod kept them, and a few launchers of an older release (a cluster
mid-upgrade). `export(n)` returns the text and where each of those stands, so that a test can assert every
finding at its exact line and column (tests/test_export_cluster.py); the time is measured here, not there.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

NAMESPACES = ("prod", "staging", "data", "ci", "edge")
NEW, OLD = "1.8.2", "1.8.1"
IMAGE = "quay.io/kubevirt/virt-launcher:v{}"


def role(number: int) -> str:
    """What guest `number` shows (the rest are healthy Linux guests)."""
    for modulus, rest, name in ((33, 11, "stopped"), (20, 3, "no-agent"), (25, 5, "paused"), (50, 7, "frozen"),
                                (40, 9, "unsupported"), (100, 13, "skip-drift"), (10, 1, "windows")):
        if number % modulus == rest:
            return name
    return "healthy"


@dataclass
class Export:
    text: str
    anchors: list[tuple[str, int, int, str]] = field(default_factory=list)  # (code, line, column, VM name)
    vms: int = 0
    vmis: int = 0
    pods: int = 0
    roles: dict[str, str] = field(default_factory=dict)  # VM "ns/name" -> role


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def item(self, text: str) -> int:
        """Append one list item (a YAML block at column 1) and return the line number of its first line."""
        first = len(self.lines) + 1
        block = text.strip("\n").split("\n")
        self.lines.append("- " + block[0])
        self.lines.extend("  " + line if line else line for line in block[1:])
        return first

    def find(self, start: int, needle: str) -> tuple[int, int]:
        """The line and column (1-based) of the first `needle` at or after line `start`."""
        for number in range(start, len(self.lines) + 1):
            column = self.lines[number - 1].find(needle)
            if column >= 0:
                return number, column + 1
        raise ValueError(needle)


def _uid(kind: str, number: int) -> str:
    return f"{kind:0>8.8}-{number:04x}-4b7a-9f3e-{number:012x}".replace(" ", "0")


def _hooks(name: str, namespace: str) -> list[str]:
    pre = json.dumps(["/usr/bin/virt-freezer", "--freeze", "--name", name, "--namespace", namespace])
    post = json.dumps(["/usr/bin/virt-freezer", "--unfreeze", "--name", name, "--namespace", namespace])
    return [f"post.hook.backup.velero.io/command: '{post}'", "post.hook.backup.velero.io/container: compute",
            f"pre.hook.backup.velero.io/command: '{pre}'", "pre.hook.backup.velero.io/container: compute",
            "pre.hook.backup.velero.io/timeout: 60s"]


def export(vms: int = 200) -> Export:
    out = _Writer()
    result = Export("")
    for number in range(vms):
        namespace, name = NAMESPACES[number % len(NAMESPACES)], f"vm-{number:04d}"
        kind = role(number)
        result.roles[f"{namespace}/{name}"] = kind
        version = OLD if number % 97 == 0 else NEW
        node = f"node-{number % 7 + 1}"
        skip = '\n    kubevirt.io/skip-backup-hooks: "true"' if kind == "skip-drift" else ""
        os_label = "\n    harvesterhci.io/os: windows" if kind == "windows" else ""
        user_data = ("#cloud-config\npackages: [qemu-guest-agent]\nruncmd:\n"
                     "  - [systemctl, enable, --now, qemu-guest-agent.service]\n")
        cloud_init = "" if kind == "windows" else (
            "\n      - cloudInitNoCloud:\n          userData: |\n"
            + "".join(f"            {line}\n" for line in user_data.splitlines()) + "        name: cloudinitdisk")
        printable = {"stopped": "Stopped", "paused": "Paused"}.get(kind, "Running")
        first = out.item(f"""apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  annotations:{skip}
    kubevirt.io/latest-observed-api-version: v1
    kubevirt.io/storage-observed-api-version: v1
  creationTimestamp: "2026-09-{number % 28 + 1:02d}T08:00:00Z"
  finalizers:
  - kubevirt.io/virtualMachineControllerFinalize
  generation: 2
  labels:
    app: {name}{os_label}
  managedFields:
  - apiVersion: kubevirt.io/v1
    fieldsType: FieldsV1
    fieldsV1:
      f:metadata:
        f:annotations:
          .: {{}}
          f:kubevirt.io/latest-observed-api-version: {{}}
    manager: virt-controller
    operation: Update
    time: "2026-11-28T07:10:31Z"
  name: {name}
  namespace: {namespace}
  resourceVersion: "{5000000 + number}"
  uid: {_uid("vm", number)}
spec:
  runStrategy: {"Halted" if kind == "stopped" else "Always"}
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: {name}
        kubevirt.io/vm: {name}
    spec:
      domain:
        devices:
          disks:
          - disk:
              bus: virtio
            name: rootdisk
        resources:
          requests:
            memory: 2Gi
      volumes:
      - name: rootdisk
        persistentVolumeClaim:
          claimName: {name}-rootdisk{cloud_init}
status:
  conditions:
  - lastProbeTime: null
    lastTransitionTime: "2026-11-28T07:10:31Z"
    status: "{'False' if kind in ('stopped', 'paused') else 'True'}"
    type: Ready
  printableStatus: {printable}
  volumeSnapshotStatuses:
  - enabled: true
    name: rootdisk""")
        result.vms += 1
        if kind == "no-agent":  # its cloud-init installs the agent, but the exported VMI shows none connected
            line, column = out.find(first, "  conditions:")
            result.anchors.append(("VM401", line, column + 2, name))
        if kind == "windows":  # the exported VMI's guestOSInfo outweighs the label; it stands at the VM's status
            line, column = out.find(first, "  conditions:")
            result.anchors.append(("VM403", line, column + 2, name))
        if kind == "stopped":
            continue
        if kind == "skip-drift":
            line, column = out.find(first, "kubevirt.io/skip-backup-hooks")
            result.anchors.append(("VM303", line, column + len('kubevirt.io/skip-backup-hooks: '), name))
        conditions = ['- lastProbeTime: null\n    lastTransitionTime: "2026-11-28T07:10:31Z"\n    status: "'
                      + ("False" if kind == "paused" else "True") + '"\n    type: Ready']
        if kind == "paused":
            conditions.append('- lastProbeTime: null\n    lastTransitionTime: "2026-11-29T22:04:10Z"\n'
                              "    message: VMI was paused by user\n    reason: PausedByUser\n"
                              '    status: "True"\n    type: Paused')
        if kind != "no-agent":
            conditions.append('- lastProbeTime: "2026-11-30T01:57:40Z"\n    lastTransitionTime: null\n'
                              '    status: "True"\n    type: AgentConnected')
        if kind == "unsupported":
            conditions.append("- lastProbeTime: null\n    lastTransitionTime: null\n"
                              "    reason: This guest agent doesn't support required basic commands\n"
                              '    status: "True"\n    type: AgentVersionNotSupported')
        conditions.append("- lastProbeTime: null\n    lastTransitionTime: null\n    message: null\n    reason: null\n"
                          '    status: "False"\n    type: LiveMigratable')
        os_info = {
            "windows": "\n  guestOSInfo:\n    id: mswindows\n    kernelRelease: \"17763\"\n    kernelVersion: \"10.0\"\n"
                       "    machine: x86_64\n    name: Microsoft Windows\n    prettyName: Windows Server 2019 Datacenter\n"
                       "    version: Microsoft Windows Server 2019\n    versionId: \"2019\"",
            "no-agent": "\n  guestOSInfo: {}",
        }.get(kind, "\n  guestOSInfo:\n    id: sles\n    kernelRelease: 5.14.21-150500.55.83-default\n"
                    "    machine: x86_64\n    name: SLES\n    prettyName: SUSE Linux Enterprise Server 15 SP5\n"
                    "    version: 15-SP5\n    versionId: \"15.5\"")
        frozen = "\n  fsFreezeStatus: frozen" if kind == "frozen" else ""
        vmi_cloud_init = cloud_init.replace("\n    ", "\n")  # the VMI's spec is the VM template's, two levels up
        conds = "\n".join("  " + condition for condition in conditions)
        vmi_first = out.item(f"""apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata:
  annotations:{skip}
    kubevirt.io/latest-observed-api-version: v1
    kubevirt.io/storage-observed-api-version: v1
    kubevirt.io/vm-generation: "2"
  creationTimestamp: "2026-11-28T07:09:58Z"
  finalizers:
  - kubevirt.io/virtualMachineControllerFinalize
  - foregroundDeleteVirtualMachine
  generation: 11
  labels:
    app: {name}
    kubevirt.io/nodeName: {node}
    kubevirt.io/vm: {name}{os_label}
  name: {name}
  namespace: {namespace}
  ownerReferences:
  - apiVersion: kubevirt.io/v1
    blockOwnerDeletion: true
    controller: true
    kind: VirtualMachine
    name: {name}
    uid: {_uid("vm", number)}
  resourceVersion: "{6000000 + number}"
  uid: {_uid("vmi", number)}
spec:
  domain:
    devices:
      disks:
      - disk:
          bus: virtio
        name: rootdisk
    resources:
      requests:
        memory: 2Gi
  volumes:
  - name: rootdisk
    persistentVolumeClaim:
      claimName: {name}-rootdisk{vmi_cloud_init}
status:
  activePods:
    {_uid("pod", number)}: {node}
  conditions:
{conds}{frozen}{os_info}
  launcherContainerImageVersion: {IMAGE.format(version)}
  migrationMethod: BlockMigration
  nodeName: {node}
  phase: Running
  qosClass: Burstable""")
        result.vmis += 1
        if kind == "windows":  # its own guestOSInfo, at its status
            line, column = out.find(vmi_first, "  conditions:")
            result.anchors.append(("VM403", line, column + 2, name))
        if kind == "skip-drift":
            line, column = out.find(vmi_first, "kubevirt.io/skip-backup-hooks")
            result.anchors.append(("VM303", line, column + len('kubevirt.io/skip-backup-hooks: '), name))
        if kind == "frozen":
            line, column = out.find(vmi_first, "fsFreezeStatus: frozen")
            result.anchors.append(("VM601", line, column + len("fsFreezeStatus: "), name))
        if kind == "no-agent":
            line, column = out.find(vmi_first, "  conditions:")
            result.anchors.append(("VM602", line, column + 2, name))
        if kind == "unsupported":
            line, column = out.find(vmi_first, "type: AgentVersionNotSupported")
            result.anchors.append(("VM603", line, column + len("type: "), name))
        if kind == "paused":
            line, column = out.find(vmi_first, "type: Paused")
            result.anchors.append(("VM604", line, column + len("type: "), name))
        annotations = "\n".join("    " + line for line in [
            'descheduler.alpha.kubernetes.io/request-evict-only: ""', "kubectl.kubernetes.io/default-container: compute",
            f"kubevirt.io/domain: {name}", 'kubevirt.io/migrationTransportUnix: "true"',
            'kubevirt.io/vm-generation: "2"', *_hooks(name, namespace)])
        pod_first = out.item(f"""apiVersion: v1
kind: Pod
metadata:
  annotations:
{annotations}
  creationTimestamp: "2026-11-28T07:09:58Z"
  generateName: virt-launcher-{name}-
  labels:
    app: {name}
    kubevirt.io: virt-launcher
    kubevirt.io/created-by: {_uid("vmi", number)}
    kubevirt.io/nodeName: {node}
    kubevirt.io/vm: {name}
    vm.kubevirt.io/name: {name}
    vmi.kubevirt.io/id: {name}
  name: virt-launcher-{name}-{number:05x}
  namespace: {namespace}
  ownerReferences:
  - apiVersion: kubevirt.io/v1
    blockOwnerDeletion: true
    controller: true
    kind: VirtualMachineInstance
    name: {name}
    uid: {_uid("vmi", number)}
  resourceVersion: "{7000000 + number}"
  uid: {_uid("pod", number)}
spec:
  containers:
  - command:
    - /usr/bin/virt-launcher-monitor
    - --qemu-timeout
    - 300s
    - --name
    - {name}
    - --namespace
    - {namespace}
    image: {IMAGE.format(version)}
    imagePullPolicy: IfNotPresent
    name: compute
    resources:
      limits:
        devices.kubevirt.io/kvm: "1"
  nodeName: {node}
  readinessGates:
  - conditionType: kubevirt.io/virtual-machine-unpaused
  volumes: null
status:
  conditions: null
  phase: Running
  qosClass: Burstable""")
        result.pods += 1
        if kind == "skip-drift":
            line, column = out.find(pod_first, "post.hook.backup.velero.io/command")
            result.anchors.append(("VM606", line, column, name))
        if number == 1:  # the first launcher of the newer release, reported once as a version conflict
            line, column = out.find(pod_first, f"image: {IMAGE.format(NEW)}")
            result.anchors.append(("VM606", line, column + len("image: "), name))
    for number in range(max(1, vms // 4)):
        namespace = NAMESPACES[number % len(NAMESPACES)]
        out.item(f"""apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    deployment.kubernetes.io/revision: "3"
  name: web-{number:03d}
  namespace: {namespace}
  resourceVersion: "{8000000 + number}"
  uid: {_uid("deploy", number)}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web-{number:03d}
  template:
    metadata:
      annotations:
        pre.hook.backup.velero.io/command: '["/sbin/fsfreeze", "--freeze", "/data"]'
      labels:
        app: web-{number:03d}
    spec:
      containers:
      - image: nginx:1.27
        name: nginx
status:
  availableReplicas: 2
  conditions: null""")
        out.item(f"""apiVersion: v1
data:
  password: {base64.b64encode(f"s3cr3t-{number}".encode()).decode()}
kind: Secret
metadata:
  creationTimestamp: "2026-10-14T09:20:02Z"
  name: app-{number:03d}-credentials
  namespace: {namespace}
  resourceVersion: "{8100000 + number}"
  uid: {_uid("secret", number)}
type: Opaque""")
        out.item(f"""apiVersion: v1
data:
  vm.yaml: |
    kind: VirtualMachine
    status: {{printableStatus: Paused}}
kind: ConfigMap
metadata:
  name: app-{number:03d}-config
  namespace: {namespace}
  resourceVersion: "{8200000 + number}"
  uid: {_uid("cm", number)}""")
    for number in range(vms):
        out.item(f"""apiVersion: v1
count: 1
firstTimestamp: "2026-11-29T22:04:10Z"
involvedObject:
  apiVersion: kubevirt.io/v1
  kind: VirtualMachineInstance
  name: vm-{number:04d}
  namespace: {NAMESPACES[number % len(NAMESPACES)]}
kind: Event
lastTimestamp: "2026-11-29T22:04:10Z"
message: Guest agent status changed
metadata:
  name: vm-{number:04d}.187c2b1e9d0a{number:04x}
  namespace: {NAMESPACES[number % len(NAMESPACES)]}
reason: GuestAgent
source:
  component: virt-handler
type: Normal""")
    hooked = sum(1 for number in range(vms) if role(number) != "stopped")
    backup = out.item(f"""apiVersion: velero.io/v1
kind: Backup
metadata:
  labels:
    velero.io/schedule-name: nightly
    velero.io/storage-location: default
  name: nightly-20261130020000
  namespace: velero
  resourceVersion: "9000001"
  uid: {_uid("backup", 1)}
spec:
  includedNamespaces:
  - '*'
  storageLocation: default
  ttl: 720h0m0s
status:
  completionTimestamp: "2026-11-30T02:09:41Z"
  formatVersion: 1.1.0
  hookStatus:
    hooksAttempted: {2 * hooked}
  phase: Completed
  progress:
    itemsBackedUp: {12 * vms}
    totalItems: {12 * vms}
  startTimestamp: "2026-11-30T02:00:00Z"
  version: 1""")
    line, column = out.find(backup, "hooksAttempted:")
    result.anchors.append(("VM605", line, column + len("hooksAttempted: "), "nightly-20261130020000"))
    text = "apiVersion: v1\nitems:\n" + "\n".join(out.lines) + "\nkind: List\nmetadata:\n  resourceVersion: \"\"\n"
    result.anchors = [(code, line + 2, column, name) for code, line, column, name in result.anchors]  # 2 header lines
    result.anchors.sort(key=lambda anchor: (anchor[1], anchor[2], anchor[0]))
    result.text = text
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vms", type=int, default=200)
    parser.add_argument("--out", default="/tmp/vmlint-export-200.yaml")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    made = export(args.vms)
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write(made.text)
    size = os.path.getsize(args.out)
    print(f"{args.out}: {made.vms} VMs, {made.vmis} VMIs, {made.pods} launcher pods, {size / 1e6:.1f} MB, "
          f"{made.text.count(chr(10))} lines")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root, "NO_COLOR": "1"}
    for command in (["check", "--no-cache", "--jobs", "1"], ["audit"]):
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "lint", *command, args.out], capture_output=True, env=env,
                                  check=False)
            times.append(time.perf_counter() - started)
        tail = done.stdout.decode().strip().splitlines()[-1] if done.stdout else done.stderr.decode()
        print(f"vmlint {' '.join(command)}: best {min(times):.2f} s of {args.runs} (exit {done.returncode}): {tail}")


if __name__ == "__main__":
    main()
