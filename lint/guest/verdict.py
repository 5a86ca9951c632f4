"""The verdict on whether a KubeVirt guest runs the QEMU guest agent (VM401-VM405), from all the evidence.

virt-freezer freezes a guest through the QEMU guest agent; with no agent it logs "No guest agent, exiting" and
exits 0 (KubeVirt 0.57 and later), so Velero records the freeze hook as succeeded over a crash-consistent
backup (velero-kubevirt-facts Q6). KubeVirt always adds the agent's virtio channel; whether an agent answers
depends only on the guest (Q7). guest_agent_evidence weighs what the other modules of lint.guest read:

- the cloud-init user data (userdata) and what it does to the agent (cloudinit, scripts, ignition);
- disk images known to ship the agent (images);
- the opt-in annotation and spec fields that only work with an agent (declared);
- the guest's OS (guestos): a distribution whose images usually ship the agent, and a Windows guest, whose
  agent comes from virtio-win or VMDP rather than cloud-init (windows).

Everything here is a pure function of the object model.
"""

from __future__ import annotations

from collections.abc import Sequence as Seq

from lint.guest.declared import agent_required, opt_in
from lint.guest.evidence import Actions, AgentEvidence, Reason, glob
from lint.guest.guestos import GuestOS, os_answer
from lint.guest.images import ImageRef, disk_sources, known_image
from lint.guest.userdata import user_reading
from lint.guest.windows import windows_guest
from lint.kube.loading import LoadedFile
from lint.kube.objects import Workload
from lint.kubevirt.index import RunIndex


def guest_agent_evidence(
    workload: Workload,
    file: LoadedFile,
    index: RunIndex | None,
    default_namespace: str | None,
    agent_images: Seq[str],
    agent_os: Seq[str] = (),
    configured: Seq[tuple[str, str]] = (),
) -> AgentEvidence:
    """What the manifest says about the guest agent of one workload.

    Order of precedence: user data that masks or disables the agent (absent); the opt-in annotation, user data
    that installs or enables it, a known image, a field that needs the agent (present); user data vmlint
    cannot read (unknown); an OS label of a distribution whose images ship the agent (unknown); readable user
    data that does nothing for the agent (absent); no user data at all (unknown: the image decides).
    `configured` is the user's guest-os-images, for the OS answer (lint.guest.guestos).
    """
    namespace = workload.namespace.value if workload.namespace else default_namespace
    windows = windows_guest(workload, file, index, default_namespace, configured)
    opted = opt_in(workload)
    sources = disk_sources(workload, file, namespace)
    image = known_image(sources, agent_images)
    shipped = opted or image
    data, reading = user_reading(workload, file, index, default_namespace)
    actions = reading.actions if reading else Actions()
    install, enable = actions.first("install"), actions.first("enable", "start")
    disabled = actions.disabled()
    common: dict = {
        "installed": install is not None, "enabled": enable is not None, "install": install, "enable": enable,
        "disabled": disabled, "shipped": shipped, "user_data": reading.summary if reading else None,
        "user_data_format": reading.format if reading else ("unknown" if data is not None else "none"),
        "problems": tuple(reading.problems) if reading else (), "windows": windows,
    }
    if disabled is not None:
        return AgentEvidence("absent", (disabled,), **common)
    if opted is not None:
        return AgentEvidence("present", (opted,), **common)
    if install or enable:
        return AgentEvidence("present", tuple(r for r in (install, enable) if r), **common)
    if image is not None:
        return AgentEvidence("present", (image,), **common)
    required = agent_required(workload)
    if required:
        return AgentEvidence("present", required, **common)
    unknown = data.unknown if data is not None and data.unknown else (reading.unknown if reading else None)
    if unknown is not None:
        return AgentEvidence("unknown", (unknown,), **common)
    image_clause = _image_clause(sources)
    if reading is not None and reading.format in ("cloud-config", "shell", "ignored", "empty"):
        hint = _agent_os(os_answer(workload, file, index, default_namespace, configured), agent_os)
        if hint is not None:
            return AgentEvidence("unknown", (Reason(
                f"{reading.summary.text} does not install the agent, but the guest is declared as {hint.text}, whose "
                f"images usually ship it{image_clause}", hint.span, hint.source,
                "list the image in guest-agent-images, or annotate the VM with vmlint.io/guest-agent: \"installed\""),
            ), **common)
        return AgentEvidence("absent", (Reason(
            f"{reading.summary.text} neither installs nor enables qemu-guest-agent{image_clause}",
            reading.summary.span, reading.summary.source),), **common)
    if not sources:  # no disk at all: a fragment that cannot boot, not a guest vmlint could judge
        where = workload.name.span if workload.name else workload.obj.node.span
        return AgentEvidence("unknown", (Reason("it has neither cloud-init user data nor a disk", where, "no-disk"),),
                             **common)
    return AgentEvidence("unknown", (Reason(
        f"it has no cloud-init user data{image_clause}", sources[0].span,
        "image", "install the agent through cloud-init (packages: [qemu-guest-agent]), list the image in "
        "guest-agent-images, or annotate the VM with vmlint.io/guest-agent: \"installed\""),),
        **common)


def _agent_os(answer: GuestOS, patterns: Seq[str]) -> Reason | None:
    """The clue of the answer's family that names a distribution whose images usually ship the agent."""
    for clue in answer.of_family():
        if clue.os.family != "windows" and glob(clue.os.ident, patterns):
            text = clue.text if clue.source in ("label", "annotation") else f"{clue.os.ident} ({clue.text})"
            return Reason(text, clue.span, clue.source)
    return None


def _image_clause(sources: Seq[ImageRef]) -> str:
    if not sources:
        return ""
    first = sources[0]
    what = {"image": "the image", "DataVolume source": "the image", "PVC": "the PVC", "DataVolume": "the DataVolume",
            "DataSource": "the DataSource"}[first.what]
    ref = first.ref.split(":", 1)[1] if first.what in ("PVC", "DataVolume", "DataSource") else first.ref
    return f", and vmlint does not know whether {what} {ref} ships it"
