"""Which operating system runs in the guest: one answer, with every clue behind it and how strong each is.

Whether qemu-ga runs confined by SELinux (VM406), whether the guest is Windows (VM401-VM403), and whether
its images usually ship the agent (VM402) all start from this answer (guest-freeze-facts §1, §7). The clues,
strongest first:

- 4, reported: the guest's own `status.guestOSInfo` on an exported VMI. Reading exports is not this module's
  job: `reported_os` is the one place where that evidence plugs in (it finds nothing today), and `guest_os`
  also takes it as a parameter;
- 3, declared or booted: the OS labels and annotations (`kubevirt.io/os`, `vm.kubevirt.io/os`,
  `harvesterhci.io/os`, `os.template.kubevirt.io/<os>: "true"`), instancetype and preference names, the
  user's `guest-os-images`, a containerDisk image, a DataVolume's registry or http URL (its file name, such
  as `SL-Micro.x86_64-6.1-Base-qcow-GM.qcow2`), and Harvester's trail: the VM's
  `harvesterhci.io/volumeClaimTemplates` claims carry `harvesterhci.io/imageId: <namespace>/<image>`, a
  VirtualMachineImage whose `spec.displayName` and `spec.url` name the OS when that object is in the run;
- 2, hints: a DataSource's name, Hyper-V enlightenments, a sysprep volume, a Windows driver disk;
- 1, weak: PVC and DataVolume names, a Harvester image id whose object is not in the run, and what the
  user data uses (dnf or yum, zypper, apt).

The family is the strongest clue's (the first found among equals, in the order above); clues of other
families are kept so that a message can say the evidence disagrees.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence as Seq
from dataclasses import dataclass

from lint.guest.evidence import OS_KEYS, Reading, glob, items, metadata_maps, pod_spec, scalar, vm_spec
from lint.guest.images import ImageRef, disk_sources
from lint.guest.userdata import user_reading
from lint.kube.loading import LoadedFile
from lint.kube.objects import Workload, mapping_at
from lint.kubevirt.index import RunIndex
from lint.kubevirt.live import export_anchor, vmi_for
from lint.text.compose import load_documents
from lint.text.nodes import Mapping, Scalar, Span
from lint.text.source import SourceText

REPORTED, DECLARED, HINT, WEAK = 4, 3, 2, 1
STRENGTH_TEXT = {REPORTED: "reported by the guest", DECLARED: "declared", HINT: "a hint", WEAK: "weak"}

FAMILIES = {
    "rhel": "RHEL family",
    "fedora": "Fedora",
    "rpm": "a dnf/yum distribution (RHEL family or Fedora)",
    "sle-micro": "SLE Micro / SUSE Linux Micro",
    "opensuse": "openSUSE",
    "suse": "SUSE or openSUSE",
    "sles": "SUSE Linux Enterprise Server",
    "debian": "Debian/Ubuntu",
    "windows": "Windows",
    "cirros": "CirrOS",
    "alpine": "Alpine Linux",
}
HARVESTER_CLAIMS = "harvesterhci.io/volumeClaimTemplates"
HARVESTER_IMAGE_ID = "harvesterhci.io/imageId"
WINDOWS_DRIVER_IMAGES = ("*virtio-container-disk*", "*virtio-win*", "*/vmdp/vmdp*")

_SEP = r"[-_. ]?"
# (pattern on a lower-cased name, family, distribution id, distribution name); the first match wins.
_NAMES: tuple[tuple[re.Pattern[str], str, str, str], ...] = tuple(
    (re.compile(pattern), family, ident, name) for pattern, family, ident, name in (
        (rf"sl{_SEP}micro|sle{_SEP}micro|slemicro|suse{_SEP}linux{_SEP}micro", "sle-micro", "sle-micro", "SLE Micro"),
        (r"microos", "opensuse", "opensuse-microos", "openSUSE MicroOS"),
        (r"tumbleweed", "opensuse", "opensuse-tumbleweed", "openSUSE Tumbleweed"),
        (rf"opensuse{_SEP}leap|(?<![a-z])leap(?![a-z])", "opensuse", "opensuse-leap", "openSUSE Leap"),
        (r"opensuse", "opensuse", "opensuse", "openSUSE"),
        (r"(?<![a-z])sles?(?![a-z])|suse", "sles", "sles", "SUSE Linux Enterprise Server"),
        (rf"rhcos|red{_SEP}hat{_SEP}coreos", "rhel", "rhcos", "Red Hat CoreOS"),
        (rf"fedora{_SEP}coreos|(?<![a-z])fcos(?![a-z])", "fedora", "fedora-coreos", "Fedora CoreOS"),
        (rf"centos{_SEP}stream", "rhel", "centos-stream", "CentOS Stream"),
        (r"centos", "rhel", "centos", "CentOS"),
        (r"rocky", "rhel", "rocky", "Rocky Linux"),
        (r"alma", "rhel", "almalinux", "AlmaLinux"),
        (rf"oracle{_SEP}linux|oraclelinux|(?<![a-z])oracle(?![a-z])|(?<![a-z])ol(?=\d)", "rhel", "oraclelinux",
         "Oracle Linux"),
        (rf"rhel|red{_SEP}hat|redhat", "rhel", "rhel", "RHEL"),
        (r"fedora", "fedora", "fedora", "Fedora"),
        (r"ubuntu", "debian", "ubuntu", "Ubuntu"),
        (r"debian", "debian", "debian", "Debian"),
        (r"windows|(?<![a-z])win(?:\d|2k|srv|server)", "windows", "windows", "Windows"),
        (r"cirros", "cirros", "cirros", "CirrOS"),
        (r"alpine", "alpine", "alpine", "Alpine Linux"),
    )
)
_ARCH = re.compile(r"x86[_-]64|aarch64|amd64|arm64|s390x|ppc64le|i[3-6]86")
_VERSION = re.compile(r"(?:^|(?<=[^0-9a-z]))(\d{1,2}(?:\.\d{1,2})?)(?![0-9])")  # "rhel8", "-6.1-", not "qcow2"
_SNAPSHOT = re.compile(r"snapshot[-_.]?(\d{8})")
# What user data does that only some distributions do (recorded by the user-data readers).
_PACKAGE_MANAGERS = {
    "dnf": "rpm", "dnf5": "rpm", "yum": "rpm", "microdnf": "rpm",
    "zypper": "suse", "transactional-update": "suse",
    "apt": "debian", "apt-get": "debian",
}
_CONFIG_KEYS = {"yum_repos": "rpm", "zypper": "suse", "apt": "debian"}


@dataclass(frozen=True)
class NamedOS:
    """An operating system recognised in a name: its family, distribution and version when the name has one."""

    family: str
    ident: str  # "centos-stream", "sle-micro", ... (what `agent_os` patterns match)
    name: str  # "CentOS Stream"
    version: str | None = None

    @property
    def title(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name


@dataclass(frozen=True)
class Clue:
    """One piece of evidence about the guest's OS, where it stands in the workload's file, and how strong it is."""

    os: NamedOS
    text: str  # what it was read from: "the image quay.io/containerdisks/centos-stream:9", "vm.kubevirt.io/os: rhel8"
    span: Span
    source: str  # reported, label, annotation, preference, instancetype, configured, image, harvester-image,
    #              datasource, hyperv, sysprep, driver-disk, pvc, user-data
    strength: int


@dataclass(frozen=True)
class ReportedOS:
    """A VMI's `status.guestOSInfo` as an export shows it (the fields KubeVirt's VirtualMachineInstanceGuestOSInfo
    has), and where it stands; what the export-reading side hands `guest_os`."""

    id: str  # "rhel", "centos", "sles", "opensuse-tumbleweed", "mswindows"
    name: str  # "Red Hat Enterprise Linux"
    version_id: str  # "9.4"
    pretty_name: str
    span: Span


@dataclass(frozen=True)
class GuestOS:
    """The answer: the family of the strongest clue (None when nothing names an OS) and every clue found."""

    family: str | None
    clues: tuple[Clue, ...]  # strongest first; among equals in the order of the module docstring

    @property
    def decisive(self) -> Clue | None:
        return self.clues[0] if self.clues else None

    @property
    def strength(self) -> int:
        return self.clues[0].strength if self.clues else 0

    def of_family(self, *families: str) -> tuple[Clue, ...]:
        return tuple(clue for clue in self.clues if clue.os.family in (families or (self.family,)))

    def disagreeing(self) -> tuple[Clue, ...]:
        """Clues for another family (and not merely a vaguer name of this one)."""
        vaguer = {"rhel": ("rpm",), "fedora": ("rpm",), "sle-micro": ("suse", "sles"), "opensuse": ("suse",),
                  "sles": ("suse",)}.get(self.family or "", ())
        return tuple(c for c in self.clues if c.os.family not in (self.family, *vaguer))

    def describe(self) -> str:
        """"CentOS Stream 9 (the image quay.io/containerdisks/centos-stream:9)"."""
        clue = self.decisive
        return f"{clue.os.title} ({clue.text})" if clue else "an unknown OS"


def name_os(text: str) -> NamedOS | None:
    """The OS a name (an image, a URL's file name, a label value, a preference) is named after, if any."""
    lowered = text.lower()
    for pattern, family, ident, name in _NAMES:
        found = pattern.search(lowered)
        if found is None:
            continue
        rest = _ARCH.sub("", lowered[found.end():])
        snapshot = _SNAPSHOT.search(lowered)
        version = snapshot.group(1) if snapshot and ident == "opensuse-tumbleweed" else None
        if version is None and family != "windows" and ident != "opensuse-tumbleweed":  # not "2k19" as "19"
            number = _VERSION.search(rest)
            version = number.group(1) if number else None
        return NamedOS(family, ident, name, version)
    return None


def reported_os(workload: Workload, index: RunIndex | None, namespace: str | None = None) -> ReportedOS | None:
    """The `status.guestOSInfo` of the exported VMI that belongs to this workload (lint.kubevirt.live), where the
    run holds one; it stands at the workload's status (or name) in its own file."""
    if index is None or not index.live:
        return None
    vmi = vmi_for(workload, index.live, namespace)
    if vmi is None or not vmi.os:
        return None
    return ReportedOS(vmi.os.get("id", ""), vmi.os.get("name", ""), vmi.os.get("versionId", ""),
                      vmi.os.get("prettyName", ""), export_anchor(workload))


def os_answer(workload: Workload, file: LoadedFile, index: RunIndex | None, namespace: str | None,
              configured: Seq[tuple[str, str]] = ()) -> GuestOS:
    """The answer every rule and the audit use, computed once per workload (with the user data as read)."""
    key = ("guest-os", id(index), namespace, tuple(configured))
    return workload.once(key, lambda: guest_os(  # type: ignore[no-any-return]
        workload, file, index, namespace, configured, user_reading(workload, file, index, namespace)[1]))


def guest_os(workload: Workload, file: LoadedFile, index: RunIndex | None, namespace: str | None,
             configured: Seq[tuple[str, str]] = (), reading: Reading | None = None,
             reported: ReportedOS | None = None) -> GuestOS:
    """Every clue to the guest's OS in one workload, and the family they point to.

    `namespace` is the run's default (the workload's own wins); `configured` the user's `guest-os-images`
    ((pattern, family) pairs, matched as guest-agent-images are); `reading` the user data as read (for what its
    commands use); `reported` the guestOSInfo of an exported VMI, else whatever `reported_os` finds.
    """
    clues: list[Clue] = []
    default_namespace = namespace
    namespace = workload.namespace.value if workload.namespace else default_namespace
    reported = reported or reported_os(workload, index, namespace)
    if reported is not None:
        named = name_os(reported.id) or name_os(reported.pretty_name) or name_os(reported.name)
        if named is not None:
            version = reported.version_id or named.version
            clues.append(Clue(NamedOS(named.family, named.ident, named.name, version),
                              f"{reported.pretty_name or reported.id}, per the export's guestOSInfo", reported.span, "reported",
                              REPORTED))
    clues.extend(_declared(workload))
    sources = disk_sources(workload, file, namespace)
    clues.extend(_configured(sources, configured))
    clues.extend(_harvester(workload, file, index, namespace))
    clues.extend(_windows_hints(workload))
    clues.extend(_sources(sources))
    if reading is not None:
        clues.extend(_user_data(reading))
    ordered = tuple(sorted(clues, key=lambda clue: -clue.strength))  # stable: equals keep their order
    return GuestOS(ordered[0].os.family if ordered else None, ordered)


def _declared(workload: Workload) -> list[Clue]:
    found: list[Clue] = []
    for what in ("labels", "annotations"):
        for mapping in metadata_maps(workload, what):
            for key, value in mapping.entries():
                if not isinstance(value, Scalar):
                    continue
                if key.value in OS_KEYS:
                    named = name_os(value.value)
                    if named is None and value.value.lower().startswith("win"):
                        named = NamedOS("windows", "windows", "Windows")
                    if named is not None:
                        found.append(Clue(named, f"{key.value}: {value.value}", value.span, what[:-1], DECLARED))
                elif key.value.startswith("os.template.kubevirt.io/") and value.value.lower() == "true":
                    os_id = key.value.split("/", 1)[1]
                    named = name_os(os_id)
                    if named is None and os_id.lower().startswith("win"):
                        named = NamedOS("windows", "windows", "Windows")
                    if named is not None:
                        found.append(Clue(named, f'{key.value}: "true"', key.span, what[:-1], DECLARED))
    spec = vm_spec(workload)
    for kind in ("preference", "instancetype"):
        name = scalar(spec, kind, "name")
        named = name_os(name.value) if name is not None else None
        if name is not None and named is not None:
            found.append(Clue(named, f"{kind} {name.value}", name.span, kind, DECLARED))
    return found


def _configured(sources: Seq[ImageRef], configured: Seq[tuple[str, str]]) -> list[Clue]:
    found = []
    for source in sources:
        for pattern, family in configured:
            if glob(source.ref, [pattern]):
                named = NamedOS(family, family, FAMILIES.get(family, family))
                found.append(Clue(named, f"the {_what(source)} {source.ref}, listed as {family} in guest-os-images",
                                  source.span, "configured", DECLARED))
                break
    return found


def _what(source: ImageRef) -> str:
    return {"image": "image", "DataVolume source": "image", "PVC": "PVC", "DataVolume": "DataVolume",
            "DataSource": "DataSource"}[source.what]


def _sources(sources: Seq[ImageRef]) -> list[Clue]:
    found = []
    for source in sources:
        ref = source.ref.split(":", 1)[1] if source.what in ("PVC", "DataVolume", "DataSource") else source.ref
        if source.what == "image" and glob(source.ref, WINDOWS_DRIVER_IMAGES):
            found.append(Clue(NamedOS("windows", "windows", "Windows"), f"the Windows driver disk {source.ref}",
                              source.span, "driver-disk", HINT))
            continue
        named = _named_after(ref)
        if named is None:
            continue
        strength = {"image": DECLARED, "DataVolume source": DECLARED, "DataSource": HINT}.get(source.what, WEAK)
        if source.what == "DataVolume source" and ref.startswith("imagestream:"):
            strength = HINT
        found.append(Clue(named, f"the {_what(source)} {ref}", source.span,
                          {"image": "image", "DataVolume source": "image", "DataSource": "datasource"}.get(
                              source.what, "pvc"), strength))
    return found


def _named_after(ref: str) -> NamedOS | None:
    """An image or URL is named after its file name first, then its path (never its registry's host name)."""
    path = ref.split("?", 1)[0].split("#", 1)[0]
    if "://" in path:
        path = path.split("://", 1)[1].split("/", 1)[1] if "/" in path.split("://", 1)[1] else ""
    parts = [part for part in path.split("/") if part]
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]  # the registry's host
    for part in reversed(parts):
        named = name_os(part)
        if named is not None:
            return named
    return None


def _harvester(workload: Workload, file: LoadedFile, index: RunIndex | None, namespace: str | None) -> list[Clue]:
    """Harvester's trail: the VM's volumeClaimTemplates annotation names each claim's image."""
    found: list[Clue] = []
    for mapping in metadata_maps(workload, "annotations"):
        value = mapping.get(HARVESTER_CLAIMS)
        if not isinstance(value, Scalar) or not value.value.strip().startswith("["):
            continue
        for claimed in claimed_image_ids(value.value) or ():
            if not claimed:
                continue
            image_ns, _, image_name = claimed.rpartition("/")
            image_ns = image_ns or namespace
            image = _image_object(file, index, image_ns, image_name)
            if image is not None:
                for field_name in ("displayName", "url"):
                    text = image.get(field_name) or ""
                    named = _named_after(text) if field_name == "url" else name_os(text)
                    if named is not None:
                        found.append(Clue(named, f"the Harvester image {claimed} ({field_name} {text})",
                                          value.span, "harvester-image", DECLARED))
                        break
            else:
                named = name_os(image_name)
                if named is not None:
                    found.append(Clue(named, f"the Harvester image id {claimed}", value.span,
                                      "harvester-image", WEAK))
    return found


def claimed_image_ids(text: str) -> list[str | None] | None:
    """Each claim's `harvesterhci.io/imageId` annotation in a volumeClaimTemplates value (None where a claim has
    none, or it is not a scalar), or None when the value is not one YAML document.

    Harvester writes the value with Go's json.Marshal, and composing it as YAML was a twentieth of a run over a
    repository of Harvester VMs. JSON text that is one line of printable ASCII without a backslash, and opens
    fewer collections than YAML's nesting limit, reads the same as JSON and as YAML 1.2 (escapes, line
    breaks, tabs and deep nesting are where they can differ), so such text is read with the json module; a
    non-string where an id would be (YAML reads `null` or `5` as the id "null" or "5") goes the YAML way too.
    """
    fast = _json_image_ids(text)
    return fast if fast is not None else _yaml_image_ids(text)


def _yaml_image_ids(text: str) -> list[str | None] | None:
    """claimed_image_ids by composing the value as YAML, as Kubernetes' YAML reading of a manifest would."""
    documents = [doc for doc in load_documents(SourceText(text)) if doc.root is not None]
    if len(documents) != 1:
        return None
    found = []
    for claim in items(documents[0].root):
        image_id = scalar(claim, "metadata", "annotations", HARVESTER_IMAGE_ID)
        found.append(image_id.value if image_id is not None else None)
    return found


_PLAIN_JSON_LINE = re.compile(r"[ -\[\]-~]*")  # printable ASCII without the backslash
_MAX_OPENED = 999  # below lint.text.compose.Limits.depth: a deeper value is a limit problem in YAML


def _json_image_ids(text: str) -> list[str | None] | None:
    """claimed_image_ids by the json module, or None where the YAML reading might differ."""
    if not _PLAIN_JSON_LINE.fullmatch(text) or text.count("[") + text.count("{") > _MAX_OPENED:
        return None
    try:
        claims = json.loads(text)
    except ValueError:
        return None
    if not isinstance(claims, list):
        return None
    found: list[str | None] = []
    for claim in claims:
        node = claim
        for key in ("metadata", "annotations", HARVESTER_IMAGE_ID):
            node = node.get(key) if isinstance(node, dict) else None
        if node is None and _is_json_null_at(claim):
            return None  # YAML reads a null id as the text "null"
        if node is not None and not isinstance(node, str):
            if isinstance(node, (dict, list)):
                node = None  # not a scalar: no id, in either reading
            else:
                return None
        found.append(node)
    return found


def _is_json_null_at(claim: object) -> bool:
    """Whether the claim holds the id key with a JSON null (which YAML reads as the scalar "null")."""
    annotations = claim.get("metadata") if isinstance(claim, dict) else None
    annotations = annotations.get("annotations") if isinstance(annotations, dict) else None
    return isinstance(annotations, dict) and HARVESTER_IMAGE_ID in annotations and annotations[HARVESTER_IMAGE_ID] is None


def _image_object(file: LoadedFile, index: RunIndex | None, namespace: str | None, name: str) -> dict[str, str] | None:
    """A Harvester VirtualMachineImage's displayName and url, from the workload's file or the run."""
    for obj in file.objects:
        if (obj.kind == "VirtualMachineImage" and obj.group == "harvesterhci.io" and obj.name == name
                and obj.namespace in (None, namespace)):
            spec = mapping_at(obj.node, ("spec",))
            return {key: value.value for key in ("displayName", "url")
                    if (value := scalar(spec, key)) is not None}
    if index is not None:
        return index.image(namespace, name)
    return None


def _windows_hints(workload: Workload) -> list[Clue]:
    found: list[Clue] = []
    windows = NamedOS("windows", "windows", "Windows")
    spec = pod_spec(workload)
    features = mapping_at(spec, ("domain", "features")) if spec else None
    entry = features.entry("hyperv") if features else None
    if entry is not None and isinstance(entry[1], Mapping):
        found.append(Clue(windows, "Hyper-V enlightenments in domain.features.hyperv", entry[0].span, "hyperv", HINT))
    for volume in items(spec.get("volumes") if spec else None):
        if isinstance(volume, Mapping) and (sysprep := volume.entry("sysprep")) is not None:
            found.append(Clue(windows, "a sysprep volume", sysprep[0].span, "sysprep", HINT))
            break
    return found


def _user_data(reading: Reading) -> list[Clue]:
    found: list[Clue] = []
    seen: set[str] = set()
    for key, span in reading.system.keys:
        family = _CONFIG_KEYS.get(key)
        if family and family not in seen:
            seen.add(family)
            found.append(Clue(NamedOS(family, family, FAMILIES[family]), f"the user data's `{key}:`", span,
                              "user-data", WEAK))
    for command in reading.system.commands:
        family = _PACKAGE_MANAGERS.get(command.program)
        if family and family not in seen:
            seen.add(family)
            found.append(Clue(NamedOS(family, family, FAMILIES[family]),
                              f"{command.module} runs {command.program}", command.span, "user-data", WEAK))
    return found


def windows_clue(answer: GuestOS) -> Clue | None:
    """The clue that makes the guest Windows for VM401-VM403: the family is Windows, on more than a weak clue."""
    if answer.family != "windows" or answer.strength <= WEAK:
        return None
    return answer.decisive
