"""Whether the guest is Windows, read from the VM's labels, annotations, preference, features and volumes.

A Windows guest gets its agent from virtio-win (VMDP on Harvester) rather than from cloud-init, and freezes
through VSS, so what the cloud-init evidence says does not apply to it: VM401 and VM402 leave a Windows guest
to VM403, which has its own advice. Several rules ask, so the answer is looked for once per workload.
"""

from __future__ import annotations

from lint.guest.evidence import OS_KEYS, Reason, glob, items, metadata_maps, pod_spec, scalar, vm_spec
from lint.kube.objects import Workload, mapping_at
from lint.text.nodes import Mapping, Scalar

WINDOWS_DRIVER_IMAGES = ("*virtio-container-disk*", "*virtio-win*", "*/vmdp/vmdp*")


def windows_guest(workload: Workload) -> Reason | None:
    """The first sign that the guest is Windows: an OS label or annotation, a Windows preference, Hyper-V
    enlightenments, a sysprep volume, or a Windows driver disk (virtio-win, VMDP). Four rules ask; it is
    looked for once per workload."""
    return workload.once("windows", lambda: _windows_guest(workload))  # type: ignore[no-any-return]


def _windows_guest(workload: Workload) -> Reason | None:
    for what in ("labels", "annotations"):
        for mapping in metadata_maps(workload, what):
            for key, value in mapping.entries():
                if not isinstance(value, Scalar):
                    continue
                if key.value in OS_KEYS and value.value.lower().startswith("win"):
                    return Reason(f"{key.value}: {value.value}", value.span, what[:-1])
                if key.value.startswith("os.template.kubevirt.io/win") and value.value.lower() == "true":
                    return Reason(f"{key.value}: \"true\"", key.span, what[:-1])
    preference = scalar(vm_spec(workload), "preference", "name")
    if preference is not None and preference.value.lower().startswith("windows"):
        return Reason(f"preference {preference.value}", preference.span, "preference")
    spec = pod_spec(workload)
    hyperv = mapping_at(spec, ("domain", "features")) if spec else None
    entry = hyperv.entry("hyperv") if hyperv else None
    if entry is not None and isinstance(entry[1], Mapping):
        return Reason("Hyper-V enlightenments in domain.features.hyperv", entry[0].span, "hyperv")
    for volume in items(spec.get("volumes") if spec else None):
        if isinstance(volume, Mapping) and (sysprep := volume.entry("sysprep")) is not None:
            return Reason("a sysprep volume", sysprep[0].span, "sysprep")
    for volume in items(spec.get("volumes") if spec else None):
        image = scalar(volume, "containerDisk", "image")
        if image is not None and glob(image.value, WINDOWS_DRIVER_IMAGES):
            return Reason(f"the Windows driver disk {image.value}", image.span, "image")
    return None
