"""What the guest-agent evidence is made of: the result types, the agent's names, and where things stand.

virt-freezer freezes a guest through the QEMU guest agent, and KubeVirt always adds the agent's virtio
channel, so whether an agent answers depends only on the guest (velero-kubevirt-facts Q6, Q7). The other
modules of lint.guest each read one source of evidence about that guest: its disk images, its own metadata
and spec, its cloud-init user data. This one holds what they share: the Reason every finding quotes, the
VM404 Problem, the AgentEvidence verdict; the record of what user data does to the agent (Actions, Reading)
and how offsets in the user data map back to the file (Where); the agent's package and unit names; and
where the pod spec, the VM spec and the metadata stand in a workload of each kind.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from lint.kube.objects import Path, Workload, mapping_at
from lint.text.nodes import Mapping, Node, Scalar, Sequence, Span, value_span
from lint.text.source import SourceText

AGENT_PACKAGE = "qemu-guest-agent"
AGENT_UNIT = "qemu-guest-agent.service"
OS_KEYS = ("harvesterhci.io/os", "kubevirt.io/os", "vm.kubevirt.io/os")
PACKAGE = re.compile(r"qemu-guest-agent(?:$|[=:.]|-\d)")
UNIT = re.compile(r"(?:qemu-guest-agent|qemu-ga)(?:@[^/]*?)?(?:\.service)?")

Verdict = Literal["present", "absent", "unknown"]


@dataclass(frozen=True)
class Reason:
    """Why the evidence says what it says: a clause for a message, where it stands, what it was read from.

    `span` is in the workload's own file: the exact line inside a literal-block cloud-config, the value of a
    base64 field, or the `secretRef` name when the user data lives in a Secret of another file. `hint` says
    what would settle an unknown.
    """

    text: str
    span: Span
    source: str
    hint: str | None = None


@dataclass(frozen=True)
class Problem:
    """A defect of `#cloud-config` user data that cloud-init handles silently or not at all (VM404)."""

    kind: Literal["syntax", "duplicate", "type"]
    text: str
    span: Span
    hint: str | None = None


@dataclass(frozen=True)
class AgentEvidence:
    verdict: Verdict
    reasons: tuple[Reason, ...]  # the first is the main one
    installed: bool = False  # the user data installs the package (or an Ignition unit sets it up)
    enabled: bool = False  # the user data enables or starts the service
    install: Reason | None = None
    enable: Reason | None = None
    disabled: Reason | None = None  # the user data masks, disables or stops it (and nothing re-enables it)
    shipped: Reason | None = None  # a known image or the opt-in annotation: the agent is there without cloud-init
    user_data: Reason | None = None  # what the user data is, where it starts (None without user data)
    user_data_format: str = "none"  # cloud-config, shell, ignition, ignored, empty, unknown, none
    problems: tuple[Problem, ...] = ()  # VM404
    windows: Reason | None = None


@dataclass
class Actions:
    """What user data does to the agent, in the order cloud-init does it."""

    events: list[tuple[str, Reason]] = field(default_factory=list)  # install, enable, start, disable, stop, mask, unmask

    def add(self, kind: str, reason: Reason) -> None:
        self.events.append((kind, reason))

    def first(self, *kinds: str) -> Reason | None:
        return next((reason for kind, reason in self.events if kind in kinds), None)

    def disabled(self) -> Reason | None:
        """The last mask (until an unmask) or disable/stop (until an enable/start), in order."""
        masked: Reason | None = None
        off: Reason | None = None
        for kind, reason in self.events:
            if kind == "mask":
                masked = reason
            elif kind == "unmask":
                masked = None
            elif kind in ("disable", "stop"):
                off = reason
            elif kind in ("enable", "start"):
                off = None
        return masked or off


@dataclass(frozen=True)
class Command:
    """A command of the user data that matters beyond the agent's package and unit (mounts, file systems,
    SELinux, package managers, files written by the shell), as its words after sudo, env and VAR=value."""

    words: tuple[str, ...]
    span: Span  # the runcmd/bootcmd item or the script's line
    module: str  # "bootcmd", "runcmd", "the script"
    piped: tuple[str, ...] = ()  # the command whose output this one reads (`echo ... | tee -a /etc/fstab`)
    stdin: str | None = None  # a here-document's text
    every_boot: bool = False  # it runs at every boot (an enabled systemd unit's ExecStart), not once per instance

    @property
    def program(self) -> str:
        return self.words[0].rsplit("/", 1)[-1] if self.words else ""


@dataclass(frozen=True)
class WrittenFile:
    """A `write_files` entry: its path, its text (None when encoded), and where each line of it stands."""

    path: str
    content: str | None
    append: bool
    span: Span  # the write_files item
    where: Where | None = None
    text: SourceText | None = None  # the embedded cloud-config, whose offsets `where` maps to the file
    node: Scalar | None = None  # the content scalar

    def at(self, start: int, end: int) -> Span:
        """The span of `content[start:end]` in the file: exact through literal blocks, else the item."""
        if self.where is None or self.text is None or self.node is None:
            return self.span
        inner = value_span(self.text, self.node, start, end)
        return self.where.span(inner.start, inner.end)


@dataclass(frozen=True)
class ConfigEntry:
    """An item of a cloud-config list module that has no reader of its own (`mounts`, `fs_setup`,
    `disk_setup`), as the strings cloud-init reads from it."""

    module: str
    values: tuple[str | None, ...]  # a `mounts` entry's fields; (device, filesystem, label, partition) for fs_setup
    span: Span


@dataclass
class System:
    """What the user data does to the guest beyond the agent: what VM406 and VM407 read."""

    commands: list[Command] = field(default_factory=list)
    files: list[WrittenFile] = field(default_factory=list)
    entries: list[ConfigEntry] = field(default_factory=list)
    keys: list[tuple[str, Span]] = field(default_factory=list)  # cloud-config modules only some distributions run
    unread: str | None = None  # what of the guest's set-up vmlint does not read (a fix may hide there), if anything


@dataclass
class Reading:
    format: str
    summary: Reason
    actions: Actions = field(default_factory=Actions)
    problems: list[Problem] = field(default_factory=list)
    unknown: Reason | None = None
    system: System = field(default_factory=System)


@dataclass(frozen=True)
class Where:
    """Maps offsets in the user data text to spans in the file: exact through the scalar that holds the text
    as its value (a literal block maps line by line), else the anchor."""

    source: SourceText | None
    scalar: Scalar | None
    anchor: Span

    def span(self, start: int, end: int | None = None) -> Span:
        if self.source is None or self.scalar is None:
            return self.anchor
        return value_span(self.source, self.scalar, start, end)


# --------------------------------------------------------------------------------------------------------------
# Where things stand in a workload


@dataclass(frozen=True)
class _Paths:
    pod_spec: Path
    vm_root: Path | None  # the VirtualMachine-shaped part (metadata + spec), None for a VMI or a replica set


def _paths(workload: Workload) -> _Paths:
    pod = workload.spec.pod_metadata
    vm_root = pod[:-3] if len(pod) >= 3 and pod[-3:] == ("spec", "template", "metadata") else None
    if workload.kind == "VirtualMachineInstanceReplicaSet":
        vm_root = None
    return _Paths(pod[:-1] + ("spec",), vm_root)


def pod_spec(workload: Workload) -> Mapping | None:
    return mapping_at(workload.obj.node, _paths(workload).pod_spec)


def vm_spec(workload: Workload) -> Mapping | None:
    root = _paths(workload).vm_root
    return mapping_at(workload.obj.node, root + ("spec",)) if root is not None else None


def metadata_maps(workload: Workload, what: str) -> Iterator[Mapping]:
    """`labels` or `annotations` of the object, of its VM template and of its pod template, each once."""
    paths: list[Path] = [("metadata",)]
    root = _paths(workload).vm_root
    if root is not None:
        paths.append(root + ("metadata",))
    paths.append(workload.spec.pod_metadata)
    seen: set[int] = set()
    for path in paths:
        mapping = mapping_at(workload.obj.node, path + (what,))
        if mapping is not None and id(mapping) not in seen:
            seen.add(id(mapping))
            yield mapping


def scalar(node: Node | None, *path: str) -> Scalar | None:
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node if isinstance(node, Scalar) else None


def items(node: Node | None) -> list[Node]:
    return node.items if isinstance(node, Sequence) else []


def glob(text: str, patterns: Iterable[str]) -> str | None:
    """The first pattern that matches: a glob when it has wildcards, a substring otherwise."""
    for pattern in patterns:
        if any(ch in pattern for ch in "*?["):
            if fnmatch.fnmatchcase(text, pattern):
                return pattern
        elif pattern and pattern in text:
            return pattern
    return None


def content_lines(text: str, comments: tuple[str, ...] = ("#",)) -> Iterator[tuple[str, int, int]]:
    """Each line of a configuration file that is neither blank nor a comment, stripped, with the offsets of its
    first and last character in `text` (for a finding's span inside a written file)."""
    position = 0
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        stripped = line.strip()
        if stripped and not stripped.startswith(comments):
            first = position + len(line) - len(line.lstrip())
            yield stripped, first, first + len(stripped)
        position += len(raw)
