"""Facts gathered across all files of a run, for rules that relate objects in different files.

Only small, derived facts are kept (never whole files), so a run over a large repository stays small.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from lint.kube.kustomize import KustomizeIndex
from lint.kube.objects import KubeObject, Workload
from lint.kube.redaction import Scrubber
from lint.kubevirt.injection import hook_state
from lint.kubevirt.live import LiveIndex
from lint.target.settings import Settings
from lint.text.interest import Interest, kind_pattern
from lint.text.nodes import Mapping, Scalar

VELERO_GROUP = "velero.io"
VELERO_KINDS = ("Backup", "Schedule", "Restore")  # Restores: VM504 only
VELERO_INTEREST = Interest(frozenset({(VELERO_GROUP, kind_pattern(*VELERO_KINDS))}))
_PHASE_OF_COMMAND = {
    "pre.hook.backup.velero.io/command": "pre",
    "hook.backup.velero.io/command": "pre",  # the legacy keys are a pre hook
    "post.hook.backup.velero.io/command": "post",
}

# Files that may hold a Secret: a cheap test on the raw bytes, so the pre-pass parses almost nothing else.
SECRET_HINT = re.compile(kind_pattern("Secret").pattern.encode())
# ConfigMaps that may hold a Windows answer file for a sysprep volume: both strings in the raw bytes.
CONFIGMAP_HINT = re.compile(kind_pattern("ConfigMap").pattern.encode())
ANSWER_HINT = b"nattend"
# The keys Windows Setup reads from KubeVirt's sysprep volume (KubeVirt user guide "Startup Scripts"), in the
# spellings the pre-pass's "nattend" test finds (autounattend.xml, Autounattend.xml, unattend.xml, Unattend.xml).
ANSWER_FILE = re.compile(r"(?:[Aa]uto)?[Uu]nattend\.(?:xml|XML)")
# Harvester's VirtualMachineImage: its displayName and url name the OS of the disks made from it.
IMAGE_GROUP = "harvesterhci.io"
IMAGE_KIND = "VirtualMachineImage"
IMAGE_INTEREST = Interest(frozenset({(IMAGE_KIND, kind_pattern(IMAGE_KIND))}))


@dataclass(frozen=True)
class Launcher:
    """What a virt-launcher pod of a workload will look like to a Velero Backup's hook selector."""

    kind: str
    name: str | None
    namespace: str | None
    labels: dict[str, str]
    hook_phases: frozenset[str]  # "pre"/"post": phases with an annotation hook (KubeVirt's or the user's)
    launcher: bool = True  # a KubeVirt workload's virt-launcher pod; False: a Kubernetes workload's pods


@dataclass(frozen=True)
class SecretData:
    """A Secret's string data (`data` base64-decoded, `stringData` as written), for cloud-init look-ups."""

    namespace: str | None
    name: str
    values: dict[str, str]
    undecodable: tuple[str, ...] = ()  # keys whose `data` is not valid base64 or not UTF-8


@dataclass(frozen=True)
class ConfigMapData:
    """A ConfigMap's answer files (`data`, and `binaryData` that is UTF-8 text), for sysprep look-ups: only the keys
    Windows Setup reads are kept."""

    namespace: str | None
    name: str
    values: dict[str, str]


@dataclass
class RunIndex:
    launchers: list[Launcher] = field(default_factory=list)
    secrets: dict[tuple[str | None, str], SecretData] = field(default_factory=dict)
    kustomize: KustomizeIndex = field(default_factory=KustomizeIndex)  # namespaces kustomizations set
    images: dict[tuple[str | None, str], dict[str, str]] = field(default_factory=dict)  # Harvester images
    live: LiveIndex = field(default_factory=LiveIndex)  # exported VMIs and launcher pods (lint.kubevirt.live)
    configmaps: dict[tuple[str | None, str], ConfigMapData] = field(default_factory=dict)  # answer files
    _scrubber: Scrubber | None = field(default=None, repr=False, compare=False)

    def add_workload(self, workload: Workload, settings: Settings) -> None:
        labels = {}
        pod_labels = workload.pod_labels
        if pod_labels is not None:
            labels = {k.value: v.value for k, v in pod_labels.entries() if isinstance(v, Scalar)}
        name = workload.name.value if workload.name else None
        if workload.spec.kubevirt:  # a Deployment's pods have its template's labels only
            labels["kubevirt.io"] = "virt-launcher"
        if name and workload.spec.kubevirt and workload.spec.vmi_names == "own":
            labels.setdefault("vm.kubevirt.io/name", name)
        phases = {"pre", "post"} if hook_state(workload, settings).injected else set()
        for key, value in workload.pod_annotations.mapping.entries() if workload.pod_annotations else ():
            if isinstance(value, Scalar) and value.value and key.value in _PHASE_OF_COMMAND:
                phases.add(_PHASE_OF_COMMAND[key.value])  # an empty command is no hook at all
        namespace = workload.namespace.value if workload.namespace else settings.namespace
        self.launchers.append(Launcher(workload.kind, name, namespace, labels, frozenset(phases),
                                       workload.spec.kubevirt))

    def add_secret(self, obj: KubeObject) -> None:
        secret = secret_data(obj)
        if secret is not None:
            self.add_secret_data(secret)

    def add_secret_data(self, secret: SecretData) -> None:
        self.secrets[(secret.namespace, secret.name)] = secret
        self._scrubber = None

    def scrubber(self) -> Scrubber:
        """What replaces the run's Secret values in a message (lint.kube.redaction.Scrubber), made once."""
        if self._scrubber is None:
            self._scrubber = Scrubber(value for secret in self.secrets.values() for value in secret.values.values())
        return self._scrubber

    def secret(self, namespace: str | None, name: str) -> SecretData | None:
        return self.secrets.get((namespace, name))

    def add_configmap(self, configmap: ConfigMapData) -> None:
        self.configmaps[(configmap.namespace, configmap.name)] = configmap

    def configmap(self, namespace: str | None, name: str) -> ConfigMapData | None:
        return self.configmaps.get((namespace, name))

    def add_image(self, namespace: str | None, name: str, fields: dict[str, str]) -> None:
        self.images[(namespace, name)] = fields

    def image(self, namespace: str | None, name: str) -> dict[str, str] | None:
        """A Harvester VirtualMachineImage's `spec.displayName` and `spec.url` (those it has), if it is in the run."""
        return self.images.get((namespace, name))


def secret_data(obj: KubeObject) -> SecretData | None:
    """A Secret object's string data as the API server will hold it; None for any other object."""
    name = obj.name
    if obj.kind != "Secret" or obj.group != "" or not name:
        return None
    values: dict[str, str] = {}
    undecodable: list[str] = []
    data = obj.node.get("data")
    if isinstance(data, Mapping):
        for key, value in data.entries():
            if isinstance(value, Scalar):
                try:
                    values[key.value] = base64.b64decode("".join(value.value.split()), validate=True).decode("utf-8")
                except (binascii.Error, ValueError):
                    undecodable.append(key.value)
    string_data = obj.node.get("stringData")
    if isinstance(string_data, Mapping):  # the API server merges stringData over data
        for key, value in string_data.entries():
            if isinstance(value, Scalar):
                values[key.value] = value.value
    return SecretData(obj.namespace, name, values, tuple(undecodable))


def configmap_data(obj: KubeObject) -> ConfigMapData | None:
    """A ConfigMap's answer files (keys `autounattend.xml`, `unattend.xml`, capitalised or not); None for any other
    object and for a ConfigMap without one."""
    name = obj.name
    if obj.kind != "ConfigMap" or obj.group != "" or not name:
        return None
    values: dict[str, str] = {}
    binary = obj.node.get("binaryData")
    if isinstance(binary, Mapping):
        for key, value in binary.entries():
            if isinstance(value, Scalar) and ANSWER_FILE.fullmatch(key.value):
                try:
                    values[key.value] = base64.b64decode("".join(value.value.split()), validate=True).decode("utf-8")
                except (binascii.Error, ValueError):
                    continue
    data = obj.node.get("data")
    if isinstance(data, Mapping):
        for key, value in data.entries():
            if isinstance(value, Scalar) and ANSWER_FILE.fullmatch(key.value):
                values[key.value] = value.value
    return ConfigMapData(obj.namespace, name, values) if values else None


def image_data(obj: KubeObject) -> dict[str, str] | None:
    """A Harvester VirtualMachineImage's displayName and url (those it has); None for any other object."""
    if obj.kind != IMAGE_KIND or obj.group != IMAGE_GROUP or not obj.name:
        return None
    spec = obj.node.get("spec")
    fields: dict[str, str] = {}
    if isinstance(spec, Mapping):
        for key in ("displayName", "url"):
            value = spec.get(key)
            if isinstance(value, Scalar) and value.value:
                fields[key] = value.value
    return fields


def is_velero_object(obj: KubeObject) -> bool:
    return obj.group == VELERO_GROUP and obj.kind in VELERO_KINDS
