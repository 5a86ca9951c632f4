"""Where a workload's disks come from, and what their images say about the guest agent.

A disk from an image known to ship the agent (the rule's list plus the user's guest-agent-images) is evidence
of an agent without any cloud-init. A disk's content comes from a containerDisk image, or from the source of
a DataVolume, declared in `dataVolumeTemplates` or standing in the same file (a registry, http, s3, gcs or
imageio URL, an image stream, a PVC to clone, a DataSource); a PVC of its own is named, not looked into.
Patterns are globs when they hold wildcards, substrings otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence as Seq
from dataclasses import dataclass

from lint.guest.evidence import Reason, glob, items, pod_spec, scalar, vm_spec
from lint.kube.loading import LoadedFile
from lint.kube.objects import Workload, mapping_at
from lint.text.nodes import Mapping, Span


@dataclass(frozen=True)
class ImageRef:
    """Where a disk's content comes from, as a string patterns can match (`docker://` removed), and where."""

    ref: str
    span: Span
    what: str  # "image", "DataVolume source", "PVC", "DataSource"


def disk_sources(workload: Workload, file: LoadedFile, namespace: str | None) -> list[ImageRef]:
    spec = pod_spec(workload)
    if spec is None:
        return []
    templates: dict[str, Mapping] = {}
    vm = vm_spec(workload)
    for template in items(vm.get("dataVolumeTemplates") if vm else None):
        name = scalar(template, "metadata", "name")
        dv_spec = mapping_at(template, ("spec",))
        if name is not None and dv_spec is not None:
            templates[name.value] = dv_spec
    found: list[ImageRef] = []
    for volume in items(spec.get("volumes")):
        if not isinstance(volume, Mapping):
            continue
        image = scalar(volume, "containerDisk", "image")
        if image is not None:
            found.append(ImageRef(_strip_scheme(image.value), image.span, "image"))
            continue
        dv_name = scalar(volume, "dataVolume", "name")
        claim = scalar(volume, "persistentVolumeClaim", "claimName") or scalar(
            volume, "ephemeral", "persistentVolumeClaim", "claimName")
        name = dv_name or claim
        if name is None:
            continue
        dv_spec = templates.get(name.value) or _same_file_data_volume(file, name.value, namespace)
        source = _data_volume_source(dv_spec, namespace) if dv_spec is not None else None
        if source is not None:
            found.append(ImageRef(source[0], source[1], source[2]))
        else:
            kind = "DataVolume" if dv_name is not None else "PVC"
            label = f"{namespace}/{name.value}" if namespace else name.value
            found.append(ImageRef(f"{kind.lower()}:{label}", name.span, kind))
    return found


def _strip_scheme(ref: str) -> str:
    return ref.removeprefix("docker://")


def _same_file_data_volume(file: LoadedFile, name: str, namespace: str | None) -> Mapping | None:
    for obj in file.objects:
        if (obj.kind == "DataVolume" and obj.group.startswith("cdi.kubevirt.io") and obj.name == name
                and obj.namespace in (None, namespace)):
            return mapping_at(obj.node, ("spec",))
    return None


def _data_volume_source(spec: Mapping, namespace: str | None) -> tuple[str, Span, str] | None:
    source = spec.get("source")
    if isinstance(source, Mapping):
        for kind in ("registry", "http", "s3", "gcs", "imageio"):
            url = scalar(source, kind, "url")
            if url is not None:
                return _strip_scheme(url.value), url.span, "DataVolume source"
        stream = scalar(source, "registry", "imageStream")
        if stream is not None:
            return f"imagestream:{stream.value}", stream.span, "DataVolume source"
        pvc = scalar(source, "pvc", "name")
        if pvc is not None:
            ns = scalar(source, "pvc", "namespace")
            return f"pvc:{ns.value if ns else namespace}/{pvc.value}", pvc.span, "PVC"
    ref = spec.get("sourceRef")
    if isinstance(ref, Mapping) and (name := scalar(ref, "name")) is not None:
        ns = scalar(ref, "namespace")
        return f"datasource:{ns.value if ns else namespace}/{name.value}", name.span, "DataSource"
    return None


def known_image(sources: Seq[ImageRef], patterns: Seq[str]) -> Reason | None:
    for source in sources:
        pattern = glob(source.ref, patterns)
        if pattern is not None:
            return Reason(f"the disk comes from {source.ref}, which ships the agent (it matches {pattern!r})",
                          source.span, "image")
    return None
