"""A Windows guest's sysprep answer file, and what it shows about QEMU-GA and VSS (VM403).

KubeVirt attaches a `sysprep` volume from a ConfigMap or a Secret (`sysprep.configMap.name`,
`sysprep.secret.name`), whose `autounattend.xml` (an installation) or `unattend.xml` (a generalised image)
Windows Setup reads (KubeVirt API V1SysprepSource; user guide "Startup Scripts"; guest-freeze-facts §5). On
Windows the freeze goes through QEMU-GA to the Volume Shadow Copy service (qemu qga/vss-win32.c), and the
agent comes from the virtio-win guest tools or the qemu-ga MSI, not from cloud-init. So the answer file is
the one place a manifest can show (facts §5, marked unverified there: no public example was found, which is
why these are info-level additions to VM403 and never a rule of their own):

- a command that disables VSS: `sc config VSS start= disabled`, `Set-Service VSS -StartupType Disabled`;
- no command that installs the guest tools or qemu-ga (virtio-win-guest-tools.exe, virtio-win-gt-*.msi,
  qemu-ga-*.msi), said only when the whole answer file is in the run, is well-formed, mentions neither
  anywhere and runs no script file whose content vmlint cannot see.

The XML is untrusted text: over MAX_ANSWER characters, with a DOCTYPE or an entity declaration, not
well-formed, or not an `<unattend>` document, it is not read at all (ElementTree checks well-formedness only; with no DOCTYPE there is no
entity to expand). Commands are then found by pattern in the text, so that their positions are known.
Commands of an answer file in a Secret are never quoted: a message describes them.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from dataclasses import dataclass

from lint.guest.evidence import Where, items, pod_spec, scalar
from lint.kube.loading import LoadedFile
from lint.kube.objects import Workload
from lint.kubevirt.index import ANSWER_FILE, RunIndex
from lint.text.nodes import Mapping, Scalar, Span

MAX_ANSWER = 256 * 1024  # characters; a larger answer file is not read
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_COMMAND = re.compile(
    r"<(RunSynchronousCommand|RunAsynchronousCommand|SynchronousCommand|AsynchronousCommand)\b[^>]*>(.*?)</\1\s*>",
    re.S | re.I)
_COMMAND_TEXT = re.compile(r"<(CommandLine|Path)\b[^>]*>(.*?)</\1\s*>", re.S | re.I)
_LIST = re.compile(r"<(FirstLogonCommands|LogonCommands|RunSynchronous|RunAsynchronous)\b", re.I)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_STATEMENT = re.compile(r"[;&|\r\n]+")
_SC_DISABLE = re.compile(r"""\bsc(?:\.exe)?["']?\s+config\s+["']?vss["']?\s+start=\s*["']?disabled\b""", re.I)
_SET_SERVICE = re.compile(r"\bset-service\b", re.I)
_VSS_NAME = re.compile(r"""(?:-name\s+|\bset-service\s+)["']?vss["']?(?=\s|$)""", re.I)
_DISABLED = re.compile(r"""-(?:startuptype|starttype|startmode|st|sm)[\s:]+["']?disabled\b""", re.I)
# What installs the agent: the virtio-win guest tools (which install qemu-ga's MSI as is, facts §5), the MSI
# itself, or Harvester's VMDP. Mentioned anywhere in the answer file, vmlint says nothing about installing.
_TOOLS = re.compile(r"virtio-win|qemu-ga|qemu-guest-agent|guest-agent|guest[- ]tools|vmdp", re.I)
_SCRIPT = re.compile(r"\.(?:ps1|cmd|bat|vbs|js)\b|\b(?:invoke-webrequest|start-bitstransfer|curl|wget)\b", re.I)


@dataclass(frozen=True)
class AnswerFile:
    """One answer file of the sysprep volume's ConfigMap or Secret, and where its text stands in the file."""

    text: str
    origin: str  # "the ConfigMap prod/win-unattend (key autounattend.xml)"
    secret: bool
    where: Where  # exact through the value when the workload's file holds it in plain text, else an anchor


@dataclass(frozen=True)
class Signal:
    """What an answer file shows: `vss-disabled` (a command that disables VSS) or `no-agent` (nothing installs
    QEMU-GA), with a clause for the message and where it stands."""

    kind: str
    text: str
    span: Span


def sysprep_source(workload: Workload) -> tuple[str, Scalar] | None:
    """The first sysprep volume's source: ("ConfigMap" or "Secret", the name scalar)."""
    spec = pod_spec(workload)
    for volume in items(spec.get("volumes") if spec else None):
        sysprep = volume.get("sysprep") if isinstance(volume, Mapping) else None
        if not isinstance(sysprep, Mapping):
            continue
        for key, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
            name = scalar(sysprep, key, "name")
            if name is not None and name.value:
                return kind, name
        return None
    return None


def answer_files(workload: Workload, file: LoadedFile, index: RunIndex | None,
                 default_namespace: str | None) -> list[AnswerFile]:
    """The answer files of the sysprep volume's ConfigMap or Secret, from the workload's own file (exact
    positions) or the run's index (positions at the volume's name); none when the object is not in the run."""
    found = sysprep_source(workload)
    if found is None:
        return []
    kind, name = found
    namespace = workload.namespace.value if workload.namespace else default_namespace
    label = f"{namespace}/{name.value}" if namespace else name.value
    anchor = Where(None, None, name.span)
    for obj in file.objects:
        if obj.kind == kind and obj.group == "" and obj.name == name.value and obj.namespace in (None, namespace):
            return _from_object(obj.node, kind, label, file)
    values: dict[str, str] = {}
    if index is not None:
        for ns in dict.fromkeys((namespace, None) if namespace == default_namespace else (namespace,)):
            held = index.configmap(ns, name.value) if kind == "ConfigMap" else index.secret(ns, name.value)
            if held is not None:
                values = held.values
                break
    return [AnswerFile(text, f"the {kind} {label} (key {key})", kind == "Secret", anchor)
            for key, text in values.items() if ANSWER_FILE.fullmatch(key)]


def _from_object(node: Mapping, kind: str, label: str, file: LoadedFile) -> list[AnswerFile]:
    found: dict[str, AnswerFile] = {}
    plain, encoded = ("data", "binaryData") if kind == "ConfigMap" else ("stringData", "data")
    for field, is_plain in ((encoded, False), (plain, True)):  # a plain key wins (stringData over data)
        values = node.get(field)
        if not isinstance(values, Mapping):
            continue
        for key, value in values.entries():
            if not isinstance(value, Scalar) or not ANSWER_FILE.fullmatch(key.value):
                continue
            origin = f"the {kind} {label} (key {key.value})"
            if is_plain:
                found[key.value] = AnswerFile(value.value, origin, kind == "Secret", Where(file.source, value, value.span))
                continue
            try:
                text = base64.b64decode("".join(value.value.split()), validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                continue
            found[key.value] = AnswerFile(text, origin, kind == "Secret", Where(None, None, value.span))
    return list(found.values())


def read_answer(answer: AnswerFile) -> list[Signal]:
    """The signals of one answer file; none for one vmlint does not read (too large, a DOCTYPE, not XML)."""
    text = answer.text
    if len(text) > MAX_ANSWER or re.search(r"<!DOCTYPE|<!ENTITY", text, re.I):
        return []
    import xml.etree.ElementTree as ElementTree  # only for a VM with an answer file in the run

    try:
        root = ElementTree.fromstring(text.encode("utf-8"))
    except Exception:  # noqa: BLE001 - any defect of untrusted XML means "not read", never a traceback
        return []
    if root.tag.rsplit("}", 1)[-1] != "unattend":
        return []  # not an answer file: Windows Setup reads <unattend> documents only
    blanked = _COMMENT.sub(lambda found: " " * len(found.group()), text)
    signals: list[Signal] = []
    commands = 0
    unseen = False  # a script file or a download whose content vmlint cannot see
    for block in _COMMAND.finditer(blanked):
        inner = _COMMAND_TEXT.search(block.group(2))
        if inner is None:
            continue
        commands += 1
        start = block.start(2) + inner.start(2)
        raw = inner.group(2)
        command = html.unescape(_CDATA.sub(lambda found: found.group(1), raw)).strip()
        lead = len(raw) - len(raw.lstrip())
        span = answer.where.span(start + lead, start + len(raw.rstrip()))
        if _SCRIPT.search(command):
            unseen = True
        if _disables_vss(command):
            where = _list_name(blanked, block.start()) or block.group(1)
            shown = "a command" if answer.secret else f"`{command if len(command) <= 80 else command[:77] + '...'}`"
            signals.append(Signal("vss-disabled", f"{answer.origin} runs {shown} in {where}, which disables the "
                                  "Volume Shadow Copy service (VSS)", span))
    if not unseen and not _TOOLS.search(blanked):
        first = blanked.lstrip()
        offset = len(blanked) - len(first)
        line_end = first.find("\n")
        span = answer.where.span(offset, offset + (line_end if line_end > 0 else max(len(first), 1)))
        ran = {0: "it runs no command", 1: "its one command does not install"}.get(
            commands, f"none of its {commands} commands installs")
        if not commands:
            ran += ", so nothing installs"
        signals.append(Signal("no-agent", f"{answer.origin} installs no QEMU guest agent: {ran} the virtio-win "
                              "guest tools (virtio-win-guest-tools.exe) or a qemu-ga MSI", span))
    return signals


def _disables_vss(command: str) -> bool:
    if _SC_DISABLE.search(command):
        return True
    return any(_SET_SERVICE.search(part) and _VSS_NAME.search(part) and _DISABLED.search(part)
               for part in _STATEMENT.split(command))


def _list_name(text: str, offset: int) -> str | None:
    """The command list (FirstLogonCommands, RunSynchronous, ...) the command at `offset` stands in."""
    last = None
    for found in _LIST.finditer(text, 0, offset):
        last = found.group(1)
    return last


def sysprep_signals(workload: Workload, file: LoadedFile, index: RunIndex | None,
                    default_namespace: str | None) -> list[Signal]:
    """Every signal of the workload's answer files, once per workload: the disabled VSS first, then a missing
    agent (said once, and only when no answer file installs it or hides what it runs)."""
    def compute() -> list[Signal]:
        read = [read_answer(answer) for answer in answer_files(workload, file, index, default_namespace)]
        vss = [signal for signals in read for signal in signals if signal.kind == "vss-disabled"]
        missing = [next((signal for signal in signals if signal.kind == "no-agent"), None) for signals in read]
        if missing and all(missing):  # every answer file read, and none installs the agent
            return vss + missing[:1]  # type: ignore[list-item]
        return vss
    return workload.once(("sysprep", id(index), default_namespace), compute)  # type: ignore[no-any-return]
