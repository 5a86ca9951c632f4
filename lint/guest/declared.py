"""What the VM's author declares about the guest agent outside the user data.

The opt-in annotation (`vmlint.io/guest-agent: "installed"`) settles the question for an image vmlint cannot
look into; spec fields that only work through the agent (accessCredentials propagated by qemuGuestAgent,
probes that run through the agent) show that the author expects one (facts Q7). Both are read from the
workload's own metadata and pod spec; what the OS labels say is lint.guest.guestos's.
"""

from __future__ import annotations

from lint.guest.evidence import Reason, items, metadata_maps, pod_spec
from lint.kube.objects import Workload, mapping_at
from lint.text.nodes import Mapping, Scalar

OPT_IN_ANNOTATION = "vmlint.io/guest-agent"
OPT_IN_VALUE = "installed"


def opt_in(workload: Workload) -> Reason | None:
    for mapping in metadata_maps(workload, "annotations"):
        value = mapping.get(OPT_IN_ANNOTATION)
        if isinstance(value, Scalar) and value.value.strip().lower() == OPT_IN_VALUE:
            return Reason(f'{OPT_IN_ANNOTATION}: "{OPT_IN_VALUE}"', value.span, "annotation")
    return None


def agent_required(workload: Workload) -> tuple[Reason, ...]:
    """Spec fields that work only with a guest agent: their author expects one (facts Q7)."""
    spec = pod_spec(workload)
    if spec is None:
        return ()
    found: list[Reason] = []
    for credential in items(spec.get("accessCredentials")):
        for kind in ("sshPublicKey", "userPassword"):
            method = mapping_at(credential, (kind, "propagationMethod"))
            entry = method.entry("qemuGuestAgent") if method else None
            if entry is not None:
                found.append(Reason(f"accessCredentials {kind} propagated through qemuGuestAgent", entry[0].span,
                                    "accessCredentials"))
    for probe in ("readinessProbe", "livenessProbe"):
        handler = spec.get(probe)
        if not isinstance(handler, Mapping):
            continue
        for kind in ("guestAgentPing", "exec"):
            entry = handler.entry(kind)
            if entry is not None:
                found.append(Reason(f"a {probe} with {kind} (it runs through the guest agent)", entry[0].span, probe))
    return tuple(found)
