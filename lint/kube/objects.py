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

    def judged_by(self, code: str) -> bool:
        return self.families is None or code.startswith(self.families)

    @property
    def pod_annotations_path(self) -> str:
        return ".".join(self.pod_metadata + ("annotations",))


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
    | {("virt-launcher", DOMAIN_ANNOTATION)},
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
        return mapping_at(self.node, ("metadata",))

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
    def pod_labels(self) -> Mapping | None:
        return mapping_at(self.obj.node, self.spec.pod_metadata + ("labels",))

    def annotation_maps(self) -> Iterator[AnnotationMap]:
        """Every annotations mapping of the object, pod-bound first."""
        if self.pod_annotations:
            yield self.pod_annotations
        yield from self.misplaced

    def pod_annotation(self, key: str) -> tuple[Scalar, Node] | None:
        return self.pod_annotations.mapping.entry(key) if self.pod_annotations else None


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
        if not is_launcher_pod(obj):
            return None
        spec = LAUNCHER_POD

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
