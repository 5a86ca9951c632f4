"""What an Ignition config in the user data (Fedora CoreOS, RHCOS, Flatcar) does to the guest agent's unit,
and to the guest's file systems (VM406).

Ignition has no package list: a unit named for the agent and enabled counts as installing and enabling it,
a masked or disabled one turns it off, and a config without such a unit leaves the image to decide. The JSON
is composed as YAML with lint.text.compose, never into Python objects.

For VM406 (lint.guest.mounts): `storage.filesystems` entries with a `format` are file systems Ignition makes
(it runs mkfs unless a matching one exists, so on a fresh data disk always); their `path` is where Ignition
mounts them while it runs, not in the booted system. What the booted system mounts comes from enabled
`.mount` units (`[Mount]` What=, Where=, Type=, Options=; Butane's `with_mount_unit` writes them). The
ExecStart lines of enabled units are read as commands that run at every boot (a `mount`, `setsebool` or
`restorecon` there counts as in cloud-init's bootcmd). Files Ignition writes to /etc/fstab or
/etc/selinux/config, and kernel arguments, are not read: they mark the set-up as unread, and VM406 stays
silent rather than miss a fix (Ignition spec v3: storage.filesystems, systemd.units, kernelArguments).
"""

from __future__ import annotations

import re
from dataclasses import replace

from lint.guest.evidence import AGENT_UNIT, UNIT, ConfigEntry, Reading, Reason, Where, items, scalar
from lint.guest.parsed import composed
from lint.guest.scripts import read_shell
from lint.kube.objects import mapping_at
from lint.text.nodes import Mapping, Node, Scalar, Span, value_span
from lint.text.source import SourceText

UNREAD_FILES = ("/etc/fstab", "/etc/selinux/config")
_EXEC = re.compile(r"^[ \t]*(ExecStart(?:Pre|Post)?)[ \t]*=[ \t]*(.*?)[ \t]*$", re.M)
_MOUNT_KEY = re.compile(r"^[ \t]*(What|Where|Type|Options)[ \t]*=[ \t]*(.*?)[ \t]*$", re.M)
_SECTION = re.compile(r"^[ \t]*\[([^\]]*)\][ \t]*$", re.M)


def read_ignition(text: str, where: Where, summary: Reason) -> Reading:
    reading = Reading("ignition", summary)
    source, parsed = composed(text)
    documents = [doc for doc in parsed if doc.root is not None or doc.syntax_error]
    root = documents[0].root if documents and len(documents) == 1 else None
    if not isinstance(root, Mapping) or root.get("ignition") is None:
        reading.unknown = Reason(f"{summary.text} is not JSON vmlint can read", summary.span, summary.source,
                                 "annotate the VM with vmlint.io/guest-agent: \"installed\" if it sets the agent up")
        reading.system.unread = "an Ignition config vmlint cannot read"
        return reading
    _read_system(root, source, where, reading)
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


def _read_system(root: Mapping, source: SourceText, where: Where, reading: Reading) -> None:
    """The file systems Ignition makes, the mounts of enabled .mount units, and the ExecStart commands of enabled
    units, into `reading.system` (what lint.guest.mounts and lint.guest.selinux read)."""
    system = reading.system
    storage = mapping_at(root, ("storage",))
    for fs in items(storage.get("filesystems") if storage else None):
        device, fstype, label = (_text(scalar(fs, key)) for key in ("device", "format", "label"))
        if device and fstype:
            system.entries.append(ConfigEntry("ignition-filesystem", (device, fstype, label),
                                              where.span(fs.span.start, fs.span.end)))
    for written in items(storage.get("files") if storage else None):
        path = _text(scalar(written, "path"))
        if path in UNREAD_FILES:
            system.unread = f"the Ignition config writes {path}"
    arguments = mapping_at(root, ("kernelArguments",))
    if arguments is not None and any(
            "selinux" in (_text(item) or "") or "enforcing" in (_text(item) or "")
            for key in ("shouldExist", "shouldNotExist") for item in items(arguments.get(key))):
        system.unread = "the Ignition config changes SELinux kernel arguments"
    systemd = mapping_at(root, ("systemd",))
    for unit in items(systemd.get("units") if systemd else None):
        name, contents = _text(scalar(unit, "name")), scalar(unit, "contents")
        enabled, mask = scalar(unit, "enabled"), scalar(unit, "mask")
        if not name or contents is None or not _text(contents) or enabled is None or enabled.value != "true" \
                or (mask is not None and mask.value == "true"):
            continue
        if name.endswith(".mount"):
            _mount_unit(name, contents, source, where, reading)
            continue
        scratch = Reading("ignition", reading.summary)  # the agent's actions are read from the unit itself
        for found in _EXEC.finditer(contents.value):
            line = found.group(2).lstrip("-@+!:")
            read_shell(line, _at(source, where, contents, found.start(1), found.end(2)),
                       f"the Ignition unit {name}", scratch, 0)
        system.commands.extend(replace(command, every_boot=True) for command in scratch.system.commands)


def _mount_unit(name: str, contents: Scalar, source: SourceText, where: Where, reading: Reading) -> None:
    """A `.mount` unit's [Mount] section as a `mounts:`-like entry: (What, Where, Type, Options, unit name)."""
    fields: dict[str, tuple[str, int, int]] = {}
    sections = {found.start(): found.group(1).strip() for found in _SECTION.finditer(contents.value)}
    for found in _MOUNT_KEY.finditer(contents.value):
        section = next((title for start, title in reversed(sorted(sections.items())) if start < found.start()), None)
        if section == "Mount":
            fields[found.group(1)] = (found.group(2), found.start(1), found.end(2))
    if "What" not in fields or "Where" not in fields:
        return
    _, start, end = fields["Where"]
    values = tuple(fields[key][0] if key in fields else None for key in ("What", "Where", "Type", "Options"))
    reading.system.entries.append(ConfigEntry("mount-unit", (*values, name), _at(source, where, contents, start, end)))


def _at(source: SourceText, where: Where, node: Scalar, start: int, end: int) -> Span:
    """The file span of `node.value[start:end]`, through the Ignition text to the workload's file."""
    inner = value_span(source, node, start, end)
    return where.span(inner.start, inner.end)


def _text(node: Node | None) -> str | None:
    return node.value if isinstance(node, Scalar) else None
