"""What an export of a running cluster (`kubectl get vm,vmi,pods -A -o yaml`) says, gathered across the run.

A VirtualMachineInstance's `status` and its virt-launcher Pod are evidence a manifest cannot give
(cluster-state-facts.md):

- `AgentConnected` is present with status "True" while the guest agent's channel is connected, and removed
  (never "False") when it is not (§1, pkg/virt-handler/vm.go updateGuestAgentConditions);
- `AgentVersionNotSupported` is "True" with a reason when the agent lacks commands KubeVirt requires (§1);
- `Paused` is "True" while the VMI is paused (§1); `fsFreezeStatus` is absent or "frozen" (§2);
- `guestOSInfo` holds qemu-ga's guest-get-osinfo answer: `id: mswindows` on Windows, the os-release ID on
  Linux (§3);
- the launcher Pod carries the hooks Velero runs, and names its VMI by the `kubevirt.io/domain` annotation or
  its ownerReference (§5); its compute image, like the VMI's `status.launcherContainerImageVersion`, is the
  KubeVirt release that built it.

Only small facts are kept (never trees), so the index goes to worker processes and into the cache's memo as
JSON. Every reader tolerates what a foreign or older export holds: nulls where lists are expected, conditions
without a type, unknown fields; what it cannot read it ignores.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from lint.kube.objects import DOMAIN_ANNOTATION, KubeObject, Workload, is_launcher_pod, mapping_at
from lint.target.settings import Settings
from lint.target.versions import KubeVirt, Version
from lint.text.interest import Interest
from lint.text.nodes import Mapping, Node, Scalar, Sequence, Span

AGENT_CONNECTED = "AgentConnected"
AGENT_UNSUPPORTED = "AgentVersionNotSupported"
PAUSED = "Paused"
SKIP_HOOKS_KEY = "kubevirt.io/skip-backup-hooks"
HOOK_PREFIXES = ("pre.hook.backup.velero.io/", "post.hook.backup.velero.io/", "hook.backup.velero.io/")
# template.go filterVMIAnnotationsForPod: VMI annotations with these prefixes are not copied to the pod
NOT_COPIED = ("kubectl.kubernetes.io", "kubevirt.io/storage-observed-api-version",
              "kubevirt.io/latest-observed-api-version")
PAUSED_EXITS_ZERO = Version(1, 6, 0)  # virt-freezer: "VM domain not running, no need to freeze/unfreeze", exit 0

_PHASE_WORD = re.compile(rb"\bphase\b")


def may_hold_live_state(data: bytes) -> bool:
    """Whether a file may hold exported state: it names a VMI (or a launcher) and a phase. A raw-bytes test, so
    that the pre-pass parses no manifest of a repository that holds no export; substring tests first, since the
    one regular expression it replaced tried every position of every file."""
    return ((b"VirtualMachineInstance" in data or b"virt-launcher" in data) and b"phase" in data
            and _PHASE_WORD.search(data) is not None)
LIVE_INTEREST = Interest(frozenset({("VirtualMachineInstance",), ("virt-launcher", DOMAIN_ANNOTATION)}))

# virt-launcher:v1.7.2, SUSE builds virt-launcher:1.3.1-150600.5.9.1, with an optional registry and digest
_LAUNCHER_TAG = re.compile(r"virt-launcher[^/:@]*:v?(\d+)\.(\d+)\.(\d+)")


def launcher_version(image: str) -> Version | None:
    match = _LAUNCHER_TAG.search(image)
    return Version(int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None


# --- reading status, whatever shape it has ------------------------------------------------------------------------


def _text(node: Node | None) -> str | None:
    return node.value if isinstance(node, Scalar) else None


def _strings(node: Node | None) -> dict[str, str]:
    if not isinstance(node, Mapping):
        return {}
    return {key.value: value.value for key, value in node.entries() if isinstance(value, Scalar)}


@dataclass(frozen=True)
class Condition:
    type: str
    status: str | None
    reason: str | None
    message: str | None
    probe: str | None  # lastProbeTime
    node: Mapping
    type_node: Scalar

    @property
    def true(self) -> bool:
        return self.status == "True"


def conditions(obj: KubeObject) -> Iterator[Condition]:
    """The status conditions that have a string type; anything else (null, a mapping, a typeless entry) is skipped."""
    found = mapping_at(obj.node, ("status",))
    items = found.get("conditions") if found is not None else None
    if not isinstance(items, Sequence):
        return
    for item in items.items:
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type")
        if isinstance(kind, Scalar) and kind.value:
            probe = _text(item.get("lastProbeTime"))
            yield Condition(kind.value, _text(item.get("status")), _text(item.get("reason")),
                            _text(item.get("message")), probe if probe not in ("", "null", "~") else None, item, kind)


def conditions_readable(obj: KubeObject) -> bool:
    """Whether `status.conditions` is a list or absent (KubeVirt omits an empty one); null, a string or a mapping
    say nothing either way, so no rule reads an absent condition into them."""
    found = mapping_at(obj.node, ("status",))
    entry = found.entry("conditions") if found is not None else None
    return entry is None or isinstance(entry[1], Sequence)


def condition(obj: KubeObject, kind: str) -> Condition | None:
    """The last condition of that type (the API keeps one per type)."""
    found = None
    for item in conditions(obj):
        if item.type == kind:
            found = item
    return found


def status_scalar(obj: KubeObject, *path: str) -> Scalar | None:
    found = mapping_at(obj.node, ("status",) + path[:-1])
    value = found.get(path[-1]) if found is not None else None
    return value if isinstance(value, Scalar) and value.tag.endswith(("str", "plain")) else None


def is_vmi(obj: KubeObject) -> bool:
    return obj.kind == "VirtualMachineInstance" and obj.group == "kubevirt.io"


def has_status(obj: KubeObject) -> bool:
    return mapping_at(obj.node, ("status",)) is not None


def launcher_image(obj: KubeObject) -> Scalar | None:
    """The compute container's image of a launcher pod (the first container, named compute)."""
    containers = mapping_at(obj.node, ("spec",))
    items = containers.get("containers") if containers is not None else None
    if not isinstance(items, Sequence):
        return None
    for item in items.items:
        if isinstance(item, Mapping) and _text(item.get("name")) == "compute":
            image = item.get("image")
            return image if isinstance(image, Scalar) else None
    return None


def vmi_of_pod(obj: KubeObject) -> str | None:
    """The VMI a launcher pod runs: its `kubevirt.io/domain` annotation, else its VMI ownerReference."""
    metadata = obj.metadata
    if metadata is None:
        return None
    domain = _strings(metadata.get("annotations")).get(DOMAIN_ANNOTATION)
    if domain:
        return domain
    owners = metadata.get("ownerReferences")
    for owner in owners.items if isinstance(owners, Sequence) else ():
        if isinstance(owner, Mapping) and _text(owner.get("kind")) == "VirtualMachineInstance":
            return _text(owner.get("name"))
    return None


# --- the facts ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VMIState:
    """One exported VMI, as much as the rules of other objects need."""

    namespace: str | None
    name: str
    path: str
    phase: str | None = None
    agent: bool = False  # AgentConnected is present with status "True"
    readable: bool = True  # status.conditions is a list or absent: a missing condition means it is not set
    probe: str | None = None  # its lastProbeTime
    unsupported: str | None = None  # AgentVersionNotSupported's reason ("" without one)
    paused: str | None = None  # the Paused condition's reason ("" without one)
    frozen: bool = False  # status.fsFreezeStatus: frozen
    os: dict[str, str] = field(default_factory=dict)  # guestOSInfo's id, name, prettyName, versionId
    image: str | None = None  # status.launcherContainerImageVersion
    hooks: dict[str, str] = field(default_factory=dict)  # the Velero hook annotations the VMI copies to its pod
    skip: str | None = None  # kubevirt.io/skip-backup-hooks on the VMI
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.phase == "Running"


@dataclass(frozen=True)
class PodState:
    """One exported virt-launcher pod."""

    namespace: str | None
    name: str | None
    path: str
    vmi: str
    hooks: dict[str, str] = field(default_factory=dict)
    image: str | None = None
    phase: str | None = None


def _hooks(annotations: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in annotations.items() if key.startswith(HOOK_PREFIXES)}


def vmi_state(obj: KubeObject, path: str) -> VMIState | None:
    """The facts of an exported VMI (one with a status); None for anything else."""
    name = obj.name
    if not is_vmi(obj) or not name or not has_status(obj):
        return None
    connected, unsupported, paused = condition(obj, AGENT_CONNECTED), condition(obj, AGENT_UNSUPPORTED), \
        condition(obj, PAUSED)
    metadata = obj.metadata
    annotations = _strings(metadata.get("annotations")) if metadata is not None else {}
    os_info = _strings(mapping_at(obj.node, ("status", "guestOSInfo")))
    frozen = status_scalar(obj, "fsFreezeStatus")
    phase, image = status_scalar(obj, "phase"), status_scalar(obj, "launcherContainerImageVersion")
    return VMIState(
        namespace=obj.namespace,
        name=name,
        path=path,
        phase=phase.value if phase else None,
        agent=connected is not None and connected.true,
        readable=conditions_readable(obj),
        probe=connected.probe if connected is not None and connected.true else None,
        unsupported=(unsupported.reason or "") if unsupported is not None and unsupported.true else None,
        paused=(paused.reason or "") if paused is not None and paused.true else None,
        frozen=frozen is not None and frozen.value == "frozen",
        os={key: os_info[key] for key in ("id", "name", "prettyName", "versionId") if os_info.get(key)},
        image=image.value if image else None,
        hooks=_hooks(annotations),
        skip=annotations.get(SKIP_HOOKS_KEY),
        labels=_strings(metadata.get("labels")) if metadata is not None else {},
    )


def pod_state(obj: KubeObject, path: str) -> PodState | None:
    if not is_launcher_pod(obj):
        return None
    vmi = vmi_of_pod(obj)
    if not vmi:
        return None
    metadata = obj.metadata
    annotations = _strings(metadata.get("annotations")) if metadata is not None else {}
    image, phase = launcher_image(obj), status_scalar(obj, "phase")
    return PodState(obj.namespace, obj.name, path, vmi, _hooks(annotations), image.value if image else None,
                    phase.value if phase else None)


@dataclass(frozen=True)
class VersionSeen:
    version: Version
    where: str  # "the launcher image of Pod prod/virt-launcher-web-x7k2p (quay.io/kubevirt/virt-launcher:v1.7.2)"
    path: str
    kind: str
    namespace: str | None
    name: str | None


@dataclass
class LiveIndex:
    vmis: dict[tuple[str | None, str], VMIState] = field(default_factory=dict)
    pods: dict[tuple[str | None, str], list[PodState]] = field(default_factory=dict)  # by the VMI they run

    _versions: list[VersionSeen] | None = field(default=None, repr=False, compare=False)

    def add(self, item: VMIState | PodState) -> None:
        self._versions = None
        if isinstance(item, VMIState):
            self.vmis.setdefault((item.namespace, item.name), item)
        else:
            self.pods.setdefault((item.namespace, item.vmi), []).append(item)

    def vmi(self, namespace: str | None, name: str | None) -> VMIState | None:
        return self.vmis.get((namespace, name)) if name else None

    def pods_of(self, namespace: str | None, name: str | None) -> list[PodState]:
        return self.pods.get((namespace, name), []) if name else []

    def __bool__(self) -> bool:
        return bool(self.vmis or self.pods)

    def versions(self) -> list[VersionSeen]:
        """Every KubeVirt release the export names, first where each was seen, oldest first."""
        if self._versions is None:
            self._versions = self._find_versions()
        return self._versions

    def _find_versions(self) -> list[VersionSeen]:
        seen: dict[Version, VersionSeen] = {}
        for pods in self.pods.values():
            for pod in pods:
                version = launcher_version(pod.image or "")
                if version is not None and version not in seen:
                    seen[version] = VersionSeen(version, f"the launcher image of Pod {pod.namespace}/{pod.name} "
                                                f"({pod.image})", pod.path, "Pod", pod.namespace, pod.name)
        for vmi in self.vmis.values():
            version = launcher_version(vmi.image or "")
            if version is not None and version not in seen:
                seen[version] = VersionSeen(version, f"status.launcherContainerImageVersion of VMI "
                                            f"{vmi.namespace}/{vmi.name} ({vmi.image})", vmi.path,
                                            "VirtualMachineInstance", vmi.namespace, vmi.name)
        return [seen[version] for version in sorted(seen)]

    def fingerprint(self) -> str:
        """What the cache's run key must change with: files' findings depend on the other files' state."""
        material = [sorted((json.dumps(asdict(v), sort_keys=True) for v in self.vmis.values())),
                    sorted(json.dumps(asdict(p), sort_keys=True) for ps in self.pods.values() for p in ps)]
        return hashlib.sha256(json.dumps(material).encode()).hexdigest() if self else ""


def facts_of(objects: list[KubeObject], path: str) -> list[list[Any]]:
    """The live facts of a file's objects, as JSON (the pre-pass's memo remembers them by content)."""
    found: list[list[Any]] = []
    for obj in objects:
        vmi = vmi_state(obj, path)
        if vmi is not None:
            found.append(["vmi", asdict(vmi)])
            continue
        pod = pod_state(obj, path)
        if pod is not None:
            found.append(["pod", asdict(pod)])
    return found


_FIELD_TYPES = {"str": str, "bool": bool}


def _field_ok(annotation: str, value: Any) -> bool:
    if annotation.endswith(" | None") and value is None:
        return True
    annotation = annotation.removesuffix(" | None")
    if annotation == "dict[str, str]":
        return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    return isinstance(value, _FIELD_TYPES[annotation])


def valid_facts(value: Any) -> bool:
    """Whether remembered facts have the shape facts_of gives (lint.run.cache.Facts): a damaged or foreign cache
    is computed again, not trusted."""
    if not isinstance(value, list):
        return False
    for entry in value:
        if not (isinstance(entry, list) and len(entry) == 2 and entry[0] in ("vmi", "pod")
                and isinstance(entry[1], dict)):
            return False
        kinds = {item.name: str(item.type) for item in fields(VMIState if entry[0] == "vmi" else PodState)}
        data = {**entry[1], "path": ""}
        if set(data) != set(kinds) or not all(_field_ok(kinds[key], data[key]) for key in kinds):
            return False
    return True


def add_facts(index: LiveIndex, facts: list[list[Any]], path: str) -> None:
    for kind, data in facts:
        data = {**data, "path": path}  # the memo is by content: the same bytes may stand in another file
        index.add(VMIState(**data) if kind == "vmi" else PodState(**data))


# --- the version of the cluster -----------------------------------------------------------------------------------


def settings_from_export(settings: Settings, live: LiveIndex) -> tuple[Settings, str | None]:
    """The target KubeVirt from the export's launcher images, where no version was given; and the note that
    says which and where from (None when nothing changed)."""
    if settings.kubevirt_source or not live:
        return settings, None
    seen = live.versions()
    if not seen:
        return settings, None
    oldest = seen[0]
    note = f"Assuming KubeVirt {oldest.version}, from {oldest.where}"
    if len(seen) > 1:
        others = ", ".join(str(item.version) for item in seen[1:])
        note += f"; the export also names {others} (a cluster mid-upgrade?): vmlint judges by the oldest"
    return replace(settings, kubevirt=KubeVirt(oldest.version), kubevirt_source=f"export: {oldest.where}"), note + "."


# --- what KubeVirt writes onto the pod ----------------------------------------------------------------------------


def predicted_pod_hooks(hooks: dict[str, str], skip: str | None, kubevirt: KubeVirt, name: str,
                        namespace: str | None) -> dict[str, str]:
    """The Velero hook annotations KubeVirt gives the launcher pod of a VMI with these annotations
    (template.go: the VMI's annotations are copied, then generator.go Generate writes the managed keys unless
    the skip annotation parses true, where honoured)."""
    from lint.golang.strconv import parse_bool
    from lint.kubevirt.injection import injected_value

    predicted = {key: value for key, value in hooks.items() if not key.startswith(NOT_COPIED)}
    skips = kubevirt.honours_skip_annotation and skip is not None and parse_bool(skip) is True
    if kubevirt.injects_hooks and not skips:
        for key in kubevirt.managed_keys():
            value = injected_value(key, name, namespace)
            if value is not None:
                predicted[key] = value
    return predicted


def same_hook_value(key: str, left: str, right: str) -> bool:
    """Commands compare as the argv Velero decodes (KubeVirt's `, ` spacing is not a difference)."""
    if left == right:
        return True
    if key.endswith("/command") and left.startswith("[") and right.startswith("["):
        try:
            return bool(json.loads(left) == json.loads(right))
        except ValueError:
            return False
    return False


# --- evidence for one workload ------------------------------------------------------------------------------------


def vmi_for(workload: Workload, live: LiveIndex, default_namespace: str | None = None) -> VMIState | None:
    """The exported VMI of a VirtualMachine or VMI (same namespace and name), if the run holds one."""
    if workload.kind not in ("VirtualMachine", "VirtualMachineInstance") or workload.spec.vmi_names != "own":
        return None
    name = workload.name.value if workload.name else None
    namespace = workload.namespace.value if workload.namespace else default_namespace
    return live.vmi(namespace, name)


@dataclass(frozen=True)
class ExportEvidence:
    """What an exported VMI says about the guest agent of a VM or VMI (cluster-state-facts §1, §3)."""

    vmi: VMIState
    connected: bool | None  # None where the export cannot say (not running, unreadable conditions)
    text: str  # the clause a message or an audit reason uses
    span: Span  # in the workload's own file
    guest: str | None = None  # "Ubuntu 22.04, per the export's guestOSInfo" (which family: lint.guest.guestos)


def guest_os(vmi: VMIState) -> str | None:
    """The guest's OS as guestOSInfo names it: prettyName, else name and versionId."""
    os_info = vmi.os
    if not os_info:
        return None
    name = os_info.get("prettyName") or " ".join(filter(None, (os_info.get("name") or os_info.get("id"),
                                                                 os_info.get("versionId"))))
    return f"{name}, per the export's guestOSInfo" if name else None


def export_anchor(workload: Workload) -> Span:
    """Where export evidence stands in the workload's own file: its status, else its name."""
    status = mapping_at(workload.obj.node, ("status",))
    for key in ("conditions", "printableStatus"):
        entry = status.entry(key) if status is not None else None
        if entry is not None:
            return entry[0].span
    entry = workload.obj.node.entry("status")
    if entry is not None:
        return entry[0].span
    return workload.name.span if workload.name is not None else workload.obj.node.span


def export_evidence(workload: Workload, live: LiveIndex, default_namespace: str | None = None) -> ExportEvidence | None:
    """The guest-agent evidence the run's export gives for this VM or VMI, or None where it has none."""
    vmi = vmi_for(workload, live, default_namespace)
    if vmi is None:
        return None
    guest = guest_os(vmi)
    where = f"VMI {vmi.namespace}/{vmi.name}" if vmi.namespace else f"VMI {vmi.name}"
    if not vmi.running or not vmi.readable:
        return ExportEvidence(vmi, None, f"the export shows {where} in phase {vmi.phase or 'unknown'}",
                              export_anchor(workload), guest)
    on = f", on {guest}" if guest else ""
    if vmi.agent:
        probed = f", last probed {vmi.probe}" if vmi.probe else ""
        return ExportEvidence(vmi, True, f"the export shows {where} with the AgentConnected condition{probed}{on}",
                              export_anchor(workload), guest)
    return ExportEvidence(vmi, False, f"the export shows {where} Running without the AgentConnected condition, which "
                          "KubeVirt removes while no guest agent is connected", export_anchor(workload), guest)


def stopped_without_vmi(workload: Workload, live: LiveIndex, default_namespace: str | None = None) -> Scalar | None:
    """A VirtualMachine whose export says Stopped and whose run holds no VMI: its printableStatus."""
    if workload.kind != "VirtualMachine":
        return None
    found = mapping_at(workload.obj.node, ("status",))
    printable = found.get("printableStatus") if found is not None else None
    if not isinstance(printable, Scalar) or printable.value != "Stopped":
        return None
    name = workload.name.value if workload.name else None
    namespace = workload.namespace.value if workload.namespace else default_namespace
    return None if live.vmi(namespace, name) is not None else printable
