"""Kubernetes objects found in YAML documents, and the workload view of those that become virt-launcher pods.

Only what reaches the virt-launcher pod matters to Velero (it reads hooks from pods only). KubeVirt copies a
VirtualMachine's `spec.template.metadata` to the VMI, and a VMI's annotations to its pod
(pkg/virt-controller/watch/vm/vm.go SetupVMIFromVM; pkg/virt-controller/services/template.go
generatePodAnnotations); the VM's own `metadata.annotations` are not copied. A `KindSpec` records, per kind,
where the pod-bound metadata lies and which lookalike places never reach the pod.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from lint.text.interest import Interest, kind_pattern
from lint.text.nodes import Document, Mapping, Node, Scalar, Sequence

Path = tuple[str, ...]


@dataclass(frozen=True)
class KindSpec:
    group: str
    kind: str
    pod_metadata: Path  # the metadata whose annotations become the virt-launcher pod's
    misplaced: tuple[Path, ...]  # annotation maps that look pod-bound but never reach the pod
    skip_metadata: Path  # the metadata where `kubevirt.io/skip-backup-hooks` takes effect
    vmi_names: str = "own"  # "own": the VMI has this object's name; "generated"; "instances" (a template)
    # The rule families that judge this kind (None: all). A virt-launcher Pod read from an export carries the
    # hooks Velero will run: VM0-VM2 judge them as they are, VM6 compares them with KubeVirt's.
    families: tuple[str, ...] | None = None
    name_path: Path = ("metadata", "name")  # where the VMI's name stands
    # Kubernetes workloads (Pod, Deployment, ..., CronJob): where their pod template stands (its `metadata` and
    # `spec`); None for the KubeVirt kinds and launcher pods, whose containers KubeVirt makes.
    pod_template: Path | None = None
    excluded: frozenset[str] = frozenset()  # rules of `families` that do not judge this kind

    def judged_by(self, code: str) -> bool:
        return (self.families is None or code.startswith(self.families)) and code not in self.excluded

    @property
    def kubevirt(self) -> bool:
        """A KubeVirt kind or a virt-launcher pod: KubeVirt injects or has injected its hooks."""
        return self.pod_template is None


_VM_SPEC = ("spec", "template", "metadata")

# velero-kubevirt-facts Q9: where each kind's annotations reach the virt-launcher pod, and where the VM-level
# skip annotation belongs.
KINDS: tuple[KindSpec, ...] = (
    KindSpec(
        "kubevirt.io",
        "VirtualMachine",
        pod_metadata=_VM_SPEC,
        misplaced=(("metadata", "annotations"), ("spec", "template", "annotations"), ("spec", "annotations")),
        skip_metadata=("metadata",),
    ),
    KindSpec(
        "kubevirt.io",
        "VirtualMachineInstance",
        pod_metadata=("metadata",),
        misplaced=(("spec", "annotations"),),
        skip_metadata=("metadata",),
    ),
    KindSpec(
        "kubevirt.io",
        "VirtualMachineInstanceReplicaSet",
        pod_metadata=_VM_SPEC,
        misplaced=(("metadata", "annotations"), ("spec", "template", "annotations")),
        skip_metadata=_VM_SPEC,
        vmi_names="generated",
    ),
    KindSpec(
        "pool.kubevirt.io",
        "VirtualMachinePool",
        pod_metadata=("spec", "virtualMachineTemplate") + _VM_SPEC,
        misplaced=(
            ("metadata", "annotations"),
            ("spec", "virtualMachineTemplate", "metadata", "annotations"),
            ("spec", "virtualMachineTemplate", "spec", "template", "annotations"),
        ),
        skip_metadata=("spec", "virtualMachineTemplate", "metadata"),
        vmi_names="generated",
    ),
    KindSpec(
        "harvesterhci.io",
        "VirtualMachineTemplateVersion",
        pod_metadata=("spec", "vm") + _VM_SPEC,
        misplaced=(
            ("metadata", "annotations"),
            ("spec", "vm", "metadata", "annotations"),
            ("spec", "vm", "spec", "template", "annotations"),
        ),
        skip_metadata=("spec", "vm", "metadata"),
        vmi_names="instances",
    ),
)
_BY_KIND = {(spec.group, spec.kind): spec for spec in KINDS}

DOMAIN_ANNOTATION = "kubevirt.io/domain"  # the VMI's name on its virt-launcher pod (template.go generatePodAnnotations)
# cluster-state-facts §5: a virt-launcher Pod is the one Velero reads hooks from. Its annotations are the
# effective hooks (KubeVirt's injected ones included), the VMI's name is its `kubevirt.io/domain` annotation
# (`vm.kubevirt.io/name` is the sanitised host name, not reliably the VMI's), its namespace the VMI's.
LAUNCHER_POD = KindSpec(
    "",
    "Pod",
    pod_metadata=("metadata",),
    misplaced=(),
    skip_metadata=("metadata",),
    families=("VM0", "VM1", "VM2", "VM6"),
    name_path=("metadata", "annotations", DOMAIN_ANNOTATION),
)

# velero-hooks-every-workload §1 "Where the pod template lives in each workload kind": Velero reads hooks from
# pods only, and controllers copy their pod template's annotations onto each pod (GetPodFromTemplate); a
# workload's own `metadata.annotations` (and a CronJob's `spec.jobTemplate.metadata.annotations`, which reach the
# Job only) never reach a pod. The VM1 and VM2 rules judge these kinds where they apply (not the ones about
# virt-freezer, the `compute` container, KubeVirt's injection or launcher pods), and the VM7 family is theirs.
GENERAL_FAMILIES = ("VM0", "VM1", "VM2", "VM7")
GENERAL_EXCLUDED = frozenset({"VM107", "VM110", "VM111", "VM202", "VM203", "VM204", "VM205"})
_TEMPLATE = ("spec", "template")
_CRONJOB_TEMPLATE = ("spec", "jobTemplate", "spec", "template")


def _general(group: str, kind: str, template: Path, misplaced: tuple[Path, ...] = (("metadata", "annotations"),)) -> KindSpec:
    metadata = template + ("metadata",)
    return KindSpec(group, kind, pod_metadata=metadata, misplaced=tuple(p for p in misplaced if p[:-1] != metadata),
                    skip_metadata=metadata, families=GENERAL_FAMILIES, pod_template=template,
                    excluded=GENERAL_EXCLUDED)


GENERAL_KINDS: tuple[KindSpec, ...] = (
    *(_general("apps", kind, _TEMPLATE) for kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")),
    _general("", "ReplicationController", _TEMPLATE),
    _general("batch", "Job", _TEMPLATE),
    _general("batch", "CronJob", _CRONJOB_TEMPLATE,
             (("metadata", "annotations"), ("spec", "jobTemplate", "metadata", "annotations"))),
    _general("", "PodTemplate", ("template",)),
)
# A Pod that is not a virt-launcher pod: its own metadata is the pod's.
PLAIN_POD = _general("", "Pod", (), misplaced=())
_BY_KIND.update({(spec.group, spec.kind): spec for spec in GENERAL_KINDS})

# The Velero hook keys a general workload's document must mention to be built (lint.text.interest): a repository's
# many Deployments without hooks are never built. Every hook-like key (lint.velero.hooks.is_hook_like_key) written
# in lower case contains both.
HOOK_MARKERS = (".velero.io/", "hook")

# A Secret document says `kind: Secret` ("Secret" alone is in every `imagePullSecrets`).
SECRET_INTEREST = Interest(frozenset({("Secret", kind_pattern("Secret"))}))
# A ConfigMap that may hold a Windows answer file (`autounattend.xml`, `unattend.xml`) for a sysprep volume.
ANSWER_FILE_INTEREST = Interest(frozenset({("nattend", kind_pattern("ConfigMap"))}))
# A workload document names its kind ("VirtualMachine" is in all of them); guest-agent evidence also reads
# the DataVolumes, Secrets and answer-file ConfigMaps of the workload's own file.
WORKLOAD_INTEREST = Interest(
    frozenset((kind,) for kind in {spec.kind for spec in KINDS}
              if not any(other != kind and other in kind for other in (spec.kind for spec in KINDS)))
    # a virt-launcher Pod of an export names its VMI as owner ("VirtualMachineInstance", above) or by annotation
    | {("virt-launcher", DOMAIN_ANNOTATION)}
    # Pods, Deployments, ..., CronJobs only when they mention a hook key
    | {HOOK_MARKERS},
    companions=frozenset({("DataVolume",)}) | SECRET_INTEREST.needs | ANSWER_FILE_INTEREST.needs,
)


@dataclass(eq=False)
class KubeObject:
    """A mapping with `apiVersion` and `kind`: a document's root or an item of a `*List`."""

    node: Mapping
    document: Document
    api_version: str
    kind: str

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    @property
    def metadata(self) -> Mapping | None:
        metadata = self.node.get("metadata")
        return metadata if isinstance(metadata, Mapping) else None

    def metadata_scalar(self, key: str) -> Scalar | None:
        metadata = self.metadata
        value = metadata.get(key) if metadata else None
        return value if isinstance(value, Scalar) else None

    @property
    def name(self) -> str | None:
        scalar = self.metadata_scalar("name")
        return scalar.value if scalar else None

    @property
    def namespace(self) -> str | None:
        scalar = self.metadata_scalar("namespace")
        return scalar.value if scalar else None


@dataclass(frozen=True)
class AnnotationMap:
    """An annotations mapping and the dotted path where it stands in its object."""

    path: str
    mapping: Mapping


@dataclass(eq=False)
class Workload:
    """A KubeVirt object whose annotations reach a virt-launcher pod."""

    obj: KubeObject
    spec: KindSpec
    pod_annotations: AnnotationMap | None
    own_annotations: AnnotationMap | None
    misplaced: list[AnnotationMap] = field(default_factory=list)
    skip_annotations: AnnotationMap | None = None  # where the skip annotation takes effect
    # Facts several rules derive from this object (hook state, guest-agent evidence), computed once per run:
    # the object does not change while it is checked.
    derived: dict[object, object] = field(default_factory=dict, repr=False)

    def once(self, key: object, compute):  # type: ignore[no-untyped-def]
        if key not in self.derived:
            self.derived[key] = compute()
        return self.derived[key]

    @property
    def kind(self) -> str:
        return self.obj.kind

    @property
    def name(self) -> Scalar | None:
        """The name of the VMI this object becomes (a launcher pod's `kubevirt.io/domain`)."""
        if self.spec.name_path == ("metadata", "name"):
            return self.obj.metadata_scalar("name")
        node = mapping_at(self.obj.node, self.spec.name_path[:-1])
        value = node.get(self.spec.name_path[-1]) if node is not None else None
        return value if isinstance(value, Scalar) else None

    @property
    def name_source(self) -> str:
        """Where `name` comes from, as a message says it."""
        if self.spec.name_path == ("metadata", "name"):
            return f"the {self.kind}'s metadata.name"
        return f"the {self.kind}'s {self.spec.name_path[-1]} annotation"

    @property
    def is_launcher_pod(self) -> bool:
        return self.spec is LAUNCHER_POD

    @property
    def namespace(self) -> Scalar | None:
        return self.obj.metadata_scalar("namespace")

    @property
    def pod_spec(self) -> Mapping | None:
        """The pod template's `spec` of a Kubernetes workload (None for KubeVirt kinds, or when absent)."""
        if self.spec.pod_template is None:
            return None
        return mapping_at(self.obj.node, self.spec.pod_template + ("spec",))

    def containers(self, field: str = "containers") -> list[Container]:
        """The pod template's containers (or `initContainers`) that are mappings, in order."""
        pod_spec = self.pod_spec
        found = pod_spec.get(field) if pod_spec is not None else None
        if not isinstance(found, Sequence):
            return []
        return [Container(item) for item in found.items if isinstance(item, Mapping)]

    @property
    def pod_labels(self) -> Mapping | None:
        return mapping_at(self.obj.node, self.spec.pod_metadata + ("labels",))

    def annotation_maps(self) -> Iterator[AnnotationMap]:
        """Every annotations mapping of the object, pod-bound first."""
        if self.pod_annotations:
            yield self.pod_annotations
        yield from self.misplaced

    def pod_annotation(self, key: str) -> tuple[Scalar, Node] | None:
        return self.pod_annotations.mapping.entry(key) if self.pod_annotations else None


@dataclass(frozen=True)
class Container:
    """One container of a pod template."""

    node: Mapping

    @property
    def name(self) -> str | None:
        value = self.node.get("name")
        return value.value if isinstance(value, Scalar) and value.tag.endswith(("str", "plain")) else None

    def mount_paths(self) -> list[str]:
        """Its `volumeMounts[].mountPath` strings (others, and mounts that are not mappings, are left out)."""
        mounts = self.node.get("volumeMounts")
        paths = []
        for mount in mounts.items if isinstance(mounts, Sequence) else ():
            path = mount.get("mountPath") if isinstance(mount, Mapping) else None
            if isinstance(path, Scalar) and path.value:
                paths.append(path.value)
        return paths


def mapping_at(node: Node | None, path: Path) -> Mapping | None:
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node if isinstance(node, Mapping) else None


def objects_in(document: Document) -> Iterator[KubeObject]:
    """The Kubernetes objects of a document, looking inside `kind: List` and every `*List` with `items`."""
    stack: list[Node] = [document.root] if document.root is not None else []
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if not isinstance(node, Mapping) or id(node) in seen:
            continue
        seen.add(id(node))
        api_version, kind = node.get("apiVersion"), node.get("kind")
        if not (isinstance(api_version, Scalar) and isinstance(kind, Scalar)):
            continue
        items = node.get("items")
        if kind.value.endswith("List") and isinstance(items, Sequence):
            stack.extend(reversed(items.items))
            continue
        yield KubeObject(node, document, api_version.value, kind.value)


def is_launcher_pod(obj: KubeObject) -> bool:
    """A Pod that a VirtualMachineInstance owns, or that carries the virt-launcher label and the domain annotation
    (the label selector and annotation the KubeVirt Velero plugin finds it by, pkg/util/util.go GetLauncherPod)."""
    if obj.kind != "Pod" or obj.api_version != "v1":
        return False
    metadata = obj.metadata
    if metadata is None:
        return False
    owners = metadata.get("ownerReferences")
    if isinstance(owners, Sequence):
        for owner in owners.items:
            kind = owner.get("kind") if isinstance(owner, Mapping) else None
            api = owner.get("apiVersion") if isinstance(owner, Mapping) else None
            if (isinstance(kind, Scalar) and kind.value == "VirtualMachineInstance" and isinstance(api, Scalar)
                    and api.value.startswith("kubevirt.io/")):
                return True
    labels, annotations = metadata.get("labels"), metadata.get("annotations")
    label = labels.get("kubevirt.io") if isinstance(labels, Mapping) else None
    domain = annotations.get(DOMAIN_ANNOTATION) if isinstance(annotations, Mapping) else None
    return (isinstance(label, Scalar) and label.value == "virt-launcher" and isinstance(domain, Scalar)
            and bool(domain.value))


def workload_of(obj: KubeObject) -> Workload | None:
    """The workload view of a KubeVirt object or a virt-launcher Pod, or None for every other kind (and other
    API groups)."""
    spec = _BY_KIND.get((obj.group, obj.kind))
    if spec is None:
        if is_launcher_pod(obj):
            spec = LAUNCHER_POD
        elif obj.kind == "Pod" and obj.api_version == "v1":
            spec = PLAIN_POD
        else:
            return None

    def annotations(path: Path) -> AnnotationMap | None:
        mapping = mapping_at(obj.node, path + ("annotations",))
        return AnnotationMap(".".join(path + ("annotations",)), mapping) if mapping is not None else None

    pod_path = spec.pod_metadata + ("annotations",)
    misplaced = [
        AnnotationMap(".".join(path), mapping)
        for path in spec.misplaced
        if path != pod_path and (mapping := mapping_at(obj.node, path)) is not None
    ]
    return Workload(
        obj,
        spec,
        annotations(spec.pod_metadata),
        annotations(("metadata",)),
        misplaced,
        annotations(spec.skip_metadata),
    )
