"""What an Ignition config in the user data (Fedora CoreOS, RHCOS, Flatcar) does to the guest agent's unit.

Ignition has no package list: a unit named for the agent and enabled counts as installing and enabling it,
a masked or disabled one turns it off, and a config without such a unit leaves the image to decide. The JSON
is composed as YAML with lint.text.compose, never into Python objects.
"""

from __future__ import annotations

from lint.guest.evidence import AGENT_UNIT, UNIT, Reading, Reason, Where, items, scalar
from lint.kube.objects import mapping_at
from lint.text.compose import load_documents
from lint.text.nodes import Mapping
from lint.text.source import SourceText


def read_ignition(text: str, where: Where, summary: Reason) -> Reading:
    reading = Reading("ignition", summary)
    documents = [doc for doc in load_documents(SourceText(text)) if doc.root is not None or doc.syntax_error]
    root = documents[0].root if documents and len(documents) == 1 else None
    if not isinstance(root, Mapping) or root.get("ignition") is None:
        reading.unknown = Reason(f"{summary.text} is not JSON vmlint can read", summary.span, summary.source,
                                 "annotate the VM with vmlint.io/guest-agent: \"installed\" if it sets the agent up")
        return reading
    systemd = mapping_at(root, ("systemd",))
    for unit in items(systemd.get("units") if systemd else None):
        name = scalar(unit, "name")
        if name is None or not UNIT.fullmatch(name.value):
            continue
        span = where.span(unit.span.start, unit.span.end)
        mask = scalar(unit, "mask")
        enabled = scalar(unit, "enabled")
        if mask is not None and mask.value == "true":
            reading.actions.add("mask", Reason(f"the Ignition config masks {name.value}", span, "ignition"))
        elif enabled is not None and enabled.value == "true":
            reason = Reason(f"the Ignition config enables {name.value}", span, "ignition")
            reading.actions.add("install", reason)
            reading.actions.add("enable", reason)
        elif enabled is not None and enabled.value == "false":
            reading.actions.add("disable", Reason(f"the Ignition config disables {name.value}", span, "ignition"))
    if not reading.actions.events:
        reading.unknown = Reason(
            f"{summary.text} has no {AGENT_UNIT} unit, and whether the image ships the agent decides",
            summary.span, summary.source,
            f"enable the unit in the config (systemd.units: [{{name: {AGENT_UNIT}, enabled: true}}]), or list the "
            "image in guest-agent-images")
    return reading
