"""What the user told vmlint about the cluster the manifests go to."""

from __future__ import annotations

from dataclasses import dataclass, field

from lint.target.versions import KUBEVIRT_LATEST, VELERO_LATEST, KubeVirt, Velero


@dataclass(frozen=True)
class Settings:
    namespace: str | None = None
    kubevirt: KubeVirt = field(default_factory=lambda: KubeVirt(KUBEVIRT_LATEST))
    velero: Velero = field(default_factory=lambda: Velero(VELERO_LATEST))
    guest_agent_images: tuple[str, ...] = ()  # images known to ship the QEMU guest agent, beyond the rule's list
    # (image glob, OS family) pairs: what the user says runs in the guest of a disk from that image
    guest_os_images: tuple[tuple[str, str], ...] = ()
    # Where the KubeVirt version came from: "" when nobody gave one (an export's launcher images may then say),
    # "given" from the command line or the configuration, "export: ..." from an export.
    kubevirt_source: str = ""
