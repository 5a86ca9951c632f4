"""Evidence, read from a manifest, that a KubeVirt guest runs the QEMU guest agent (VM401-VM405).

virt-freezer freezes a guest through the QEMU guest agent; with no agent it logs "No guest agent, exiting" and
exits 0 (KubeVirt 0.57 and later), so Velero records the freeze hook as succeeded over a crash-consistent
backup (velero-kubevirt-facts Q6). KubeVirt always adds the agent's virtio channel; whether an agent answers
depends only on the guest (Q7). This module gathers what the manifest says about that:

- cloud-init user data of the first `cloudInitNoCloud` / `cloudInitConfigDrive` volume, the one KubeVirt uses
  (pkg/cloud-init ReadCloudInitVolumeDataSource): `userData`, else `userDataBase64`, replaced by the `userdata`
  (or `userData`) key of the Secret that `secretRef` names when that Secret is in the lint run;
- what that user data does: a `#cloud-config` (packages, bootcmd, write_files, runcmd), a `#!` script, an
  Ignition config; MIME multi-part, `#include` and compressed data are beyond reading, hence "unknown";
- disk images known to ship the agent (the rule's list plus the user's), an explicit opt-in annotation, and
  spec fields that only work with an agent (accessCredentials through the agent, guest-agent probes);
- a Windows guest, whose agent comes from virtio-win or VMDP rather than cloud-init.

Everything here is a pure function of the object model. Embedded YAML and JSON are parsed with
lint.yamldoc (never into Python objects); decoded user data is capped at MAX_USER_DATA bytes.
"""

from __future__ import annotations

import base64
import binascii
import shlex
from collections.abc import Sequence as Seq
from dataclasses import dataclass

from lint.guest.declared import agent_required, opt_in, os_hint
from lint.guest.evidence import (
    AGENT_PACKAGE,
    AGENT_UNIT,
    PACKAGE,
    UNIT,
    Actions,
    AgentEvidence,
    Problem,
    Reading,
    Reason,
    Where,
    items,
    pod_spec,
    scalar,
)
from lint.guest.images import ImageRef, disk_sources, image_os_hint, known_image
from lint.guest.windows import windows_guest
from lint.kube.loading import LoadedFile
from lint.kube.objects import Workload, mapping_at
from lint.kubevirt.index import RunIndex
from lint.text.compose import load_documents
from lint.text.nodes import Mapping, Node, Scalar, Sequence, Span
from lint.text.scalars import node_type
from lint.text.source import SourceText

MAX_USER_DATA = 1024 * 1024  # decoded bytes; more is "unknown"


# --------------------------------------------------------------------------------------------------------------
# User data: where it comes from


@dataclass(frozen=True)
class UserData:
    text: str | None  # None when it cannot be read (then `unknown` says why)
    origin: str  # "userData", "userDataBase64", "the Secret prod/web (key userdata)"
    where: Where
    unknown: Reason | None = None


def cloud_init_volume(workload: Workload) -> tuple[str, Mapping, Scalar] | None:
    """The first cloud-init volume source: KubeVirt reads only that one."""
    spec = pod_spec(workload)
    for volume in items(spec.get("volumes") if spec else None):
        if not isinstance(volume, Mapping):
            continue
        for kind in ("cloudInitNoCloud", "cloudInitConfigDrive"):
            entry = volume.entry(kind)
            if entry is not None and isinstance(entry[1], Mapping):
                return kind, entry[1], entry[0]
    return None


def user_data(workload: Workload, file: LoadedFile, index: RunIndex | None,
              default_namespace: str | None) -> UserData | None:
    """The user data KubeVirt gives the guest, or None when there is none (no volume, network data only)."""
    found = cloud_init_volume(workload)
    if found is None:
        return None
    _, volume, _ = found
    source = file.source
    ref = volume.get("secretRef") or volume.get("userDataSecretRef")
    ref_name = scalar(ref, "name")
    inline = _string(scalar(volume, "userData"))
    if ref_name is not None and ref_name.value:
        namespace = workload.namespace.value if workload.namespace else default_namespace
        secret = None
        if index is not None:
            secret = index.secret(namespace, ref_name.value)
            if secret is None and namespace == default_namespace:
                secret = index.secret(None, ref_name.value)  # applied to the same default namespace
        label = f"{namespace}/{ref_name.value}" if namespace else ref_name.value
        if secret is None:
            why = f"the user data is in the Secret {label}, which is not in this lint run"
            hint = "lint the Secret's manifest together with the VM (for example the whole repository)"
            other = [s for (ns, name), s in (index.secrets.items() if index else ()) if name == ref_name.value]
            if other:
                why += f" (a Secret {ref_name.value} in namespace {other[0].namespace or '(none)'} is, but KubeVirt " \
                       "reads the Secret from the VM's own namespace)"
            return UserData(None, f"the Secret {label}", Where(None, None, ref_name.span),
                            Reason(why, ref_name.span, "secret", hint))
        for data_key in ("userdata", "userData"):
            if data_key in secret.undecodable:
                return UserData(None, f"the Secret {label}", Where(None, None, ref_name.span),
                                Reason(f"the Secret {label}'s {data_key} is not valid base64 or not UTF-8 text",
                                       ref_name.span, "secret", "fix the Secret's data"))
            if secret.values.get(data_key):
                text = secret.values[data_key]
                where = _secret_where(file, secret.name, namespace, data_key, text) or Where(None, None, ref_name.span)
                return _capped(UserData(text, f"the Secret {label} (key {data_key})", where), ref_name.span)
        if inline is None or not inline.value:
            return None  # KubeVirt finds no user data in the Secret: the guest gets none
    if inline is not None and inline.value:
        return _capped(UserData(inline.value, "userData", Where(source, inline, inline.span)), inline.span)
    encoded = _string(scalar(volume, "userDataBase64"))
    if encoded is not None and encoded.value:
        return _decoded(encoded)
    return None


def _string(scalar: Scalar | None) -> Scalar | None:
    """The scalar when Kubernetes reads it as a string (the API rejects `userData: 5`)."""
    return scalar if scalar is not None and node_type(scalar) == "str" else None


def _capped(data: UserData, span: Span) -> UserData:
    if data.text is not None and len(data.text) > MAX_USER_DATA:
        return UserData(None, data.origin, data.where, _too_large(data.origin, span))
    return data


def _too_large(origin: str, span: Span) -> Reason:
    return Reason(f"the user data in {origin} is larger than {MAX_USER_DATA // 1024} KiB, more than vmlint reads",
                  span, "size", "annotate the VM with vmlint.io/guest-agent: \"installed\" if the image or the "
                  "user data sets the agent up")


def _decoded(scalar: Scalar) -> UserData:
    where = Where(None, None, scalar.span)
    compact = scalar.value.replace("\r", "").replace("\n", "")  # Go's StdEncoding skips line breaks only
    if len(compact) // 4 * 3 > MAX_USER_DATA:
        return UserData(None, "userDataBase64", where, _too_large("userDataBase64", scalar.span))
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return UserData(None, "userDataBase64", where, Reason(
            "userDataBase64 is not valid base64: KubeVirt cannot decode it", scalar.span, "base64",
            "encode the user data with `base64 -w0`"))
    if raw.startswith(b"\x1f\x8b"):
        return UserData(None, "userDataBase64", where, Reason(
            "userDataBase64 is gzip-compressed, which vmlint does not unpack", scalar.span, "base64",
            "annotate the VM with vmlint.io/guest-agent: \"installed\" if the user data sets the agent up"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return UserData(None, "userDataBase64", where, Reason(
            "userDataBase64 decodes to binary data, not text", scalar.span, "base64", None))
    return _capped(UserData(text, "userDataBase64", where), scalar.span)


def _secret_where(file: LoadedFile, name: str, namespace: str | None, key: str, text: str) -> Where | None:
    """Exact positions when the Secret stands in the workload's own file with the user data in `stringData`."""
    for obj in file.objects:
        if obj.kind != "Secret" or obj.group != "" or obj.name != name or obj.namespace not in (None, namespace):
            continue
        plain = scalar(obj.node, "stringData", key)
        if plain is not None and plain.value == text:
            return Where(file.source, plain, plain.span)
        encoded = scalar(obj.node, "data", key)
        if encoded is not None:
            return Where(None, None, encoded.span)
    return None


# --------------------------------------------------------------------------------------------------------------
# User data: what it does


_HEADERS = (  # cloud-init's type_from_starts_with, on the lower-cased, left-stripped text; longest first
    ("#cloud-config-archive", "unknown"),
    ("#cloud-config-jsonp", "unknown"),
    ("#cloud-config", "cloud-config"),
    ("#cloud-boothook", "shell"),
    ("#include-once", "unknown"),
    ("#include", "unknown"),
    ("#part-handler", "unknown"),
    ("#upstart-job", "unknown"),
    ("## template: jinja", "unknown"),
    ("#!", "shell"),
    ("content-type:", "multipart"),
    ("mime-version:", "multipart"),
)
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})
_PREFIXES = frozenset({"sudo", "doas", "env", "nohup", "exec", "command", "time", "nice", "ionice", "stdbuf"})
_SUDO_VALUE_OPTIONS = frozenset({"-u", "-g", "-U", "-C", "-D", "-h", "-p", "-r", "-t", "-T"})
_INSTALLERS = {
    "apt-get": ("install",), "apt": ("install",), "aptitude": ("install",),
    "dnf": ("install", "in"), "yum": ("install",), "microdnf": ("install",), "tdnf": ("install",),
    "dnf5": ("install", "in"), "zypper": ("install", "in"), "apk": ("add",), "rpm-ostree": ("install",),
    "transactional-update": ("pkg",), "pacman": (),
}
_SYSTEMCTL = {
    "enable": "enable", "reenable": "enable", "start": "start", "restart": "start", "try-restart": "start",
    "reload-or-restart": "start", "disable": "disable", "stop": "stop", "mask": "mask", "unmask": "unmask",
}
_MAX_SHELL_DEPTH = 3


def read_user_data(data: UserData) -> Reading:
    """Classify the user data the way cloud-init does and collect what it does to the agent."""
    assert data.text is not None
    text = data.text
    head = text.lstrip().lower()
    where = data.where
    first_line = text[len(text) - len(text.lstrip()):].split("\n", 1)[0]
    start = len(text) - len(text.lstrip())
    header_span = where.span(start, start + max(len(first_line), 1)) if text.strip() else where.anchor
    if not text.strip():
        return Reading("empty", Reason(f"the user data in {data.origin} is empty", where.anchor, data.origin))
    kind = next((k for prefix, k in _HEADERS if head.startswith(prefix)), None)
    if kind is None and head.startswith("{") and '"ignition"' in text:
        kind = "ignition"
    described = {
        "cloud-config": "the #cloud-config", "shell": "the shell script", "multipart": "the multi-part MIME user data",
        "unknown": f"the {first_line.strip()[:40]} user data", "ignition": "the Ignition config",
    }.get(kind or "", "the user data")
    summary = Reason(f"{described} in {data.origin}", header_span, data.origin)
    if kind == "cloud-config":
        reading = Reading("cloud-config", summary)
        read_cloud_config(text, where, reading)
        return reading
    if kind == "shell":
        reading = Reading("shell", summary)
        read_script(text, where, reading, 0)
        return reading
    if kind == "ignition":
        return read_ignition(text, where, summary)
    if kind in ("multipart", "unknown"):
        why = {"multipart": "multi-part MIME user data, whose parts vmlint does not read"}.get(
            kind, f"{first_line.strip()[:40]!r} user data, which vmlint does not read")
        reading = Reading(kind, summary)
        reading.unknown = Reason(f"{data.origin} holds {why}", header_span, data.origin,
                                 "annotate the VM with vmlint.io/guest-agent: \"installed\" if it sets the agent up")
        return reading
    # No header cloud-init knows: it ignores the data (text/x-not-multipart).
    summary = Reason(f"the user data in {data.origin} (no #cloud-config or #! header, so cloud-init ignores it)",
                     header_span, data.origin)
    return Reading("ignored", summary)


def read_cloud_config(text: str, where: Where, reading: Reading) -> None:
    embedded = SourceText(text)
    documents = [doc for doc in load_documents(embedded) if doc.root is not None or doc.syntax_error or doc.limit]
    if not documents:
        return
    document = documents[0]
    if document.limit is not None:
        reading.unknown = Reason(f"the #cloud-config is over vmlint's {document.limit.what} limit",
                                 where.span(0, 1), "cloud-config")
        return
    if document.syntax_error is not None:
        problem = document.syntax_error
        at = embedded.offset(problem.line, problem.column)
        if at >= len(text.rstrip()) and problem.context_line is not None and problem.context_column is not None:
            at = embedded.offset(problem.context_line, problem.context_column)  # "end of stream": where it began
        reading.problems.append(Problem(
            "syntax",
            f"the #cloud-config is not valid YAML ({problem.problem}"
            + (f", {problem.context}" if problem.context else "")
            + "): cloud-init cannot load it and applies none of it",
            where.span(at, at + 1),
            "fix the YAML; `cloud-init schema --config-file FILE` checks it",
        ))
        reading.unknown = Reason("the #cloud-config is not valid YAML (see VM404)", where.span(at, at + 1),
                                 "cloud-config")
        return
    if len(documents) > 1:
        second = documents[1]
        at = second.start
        reading.problems.append(Problem(
            "syntax",
            f"the #cloud-config holds {len(documents)} YAML documents: cloud-init loads exactly one and applies "
            "none of it (\"expected a single document in the stream\")",
            where.span(at, at + 3),
            "remove the `---` separators, or send several parts as multi-part MIME",
        ))
        reading.unknown = Reason("the #cloud-config holds several YAML documents (see VM404)",
                                 where.span(at, at + 3), "cloud-config")
        return
    for duplicate in document.duplicates:
        first = where.span(duplicate.first.span.start, duplicate.first.span.end)
        exact = where.scalar is not None and first != where.anchor
        where_first = f"line {first.line}" if exact else f"line {duplicate.first.span.line} of the user data"
        reading.problems.append(Problem(
            "duplicate",
            f"`{duplicate.key.value}` is repeated in the #cloud-config (first at {where_first}): cloud-init's YAML "
            f"loader keeps the last value and silently drops the first",
            where.span(duplicate.key.span.start, duplicate.key.span.end),
            f"keep one `{duplicate.key.value}`",
        ))
    root = document.root
    if root is None or (isinstance(root, Scalar) and node_type(root) == "null"):
        return
    if not isinstance(root, Mapping):
        reading.problems.append(Problem(
            "type", f"the #cloud-config is a {_type_name(root)}, not a mapping: cloud-init ignores it",
            where.span(root.span.start, root.span.end), None))
        return
    entries = {key.value: (key, value) for key, value in root.entries()}
    # cloud-init's order: bootcmd (init stage), write_files, packages (final stage), then the runcmd script.
    if "bootcmd" in entries:
        _read_commands(entries["bootcmd"], "bootcmd", where, reading)
    if "write_files" in entries:
        _read_write_files(entries["write_files"][1], where, reading)
    if "packages" in entries:
        _read_packages(entries["packages"], where, reading)
    if "runcmd" in entries:
        _read_commands(entries["runcmd"], "runcmd", where, reading)


def _type_name(node: Node) -> str:
    kind = node_type(node)
    return {"str": "string", "list": "list", "map": "mapping", "bool": "boolean", "int": "number",
            "float": "number", "null": "null"}[kind]


def _read_packages(entry: tuple[Scalar, Node], where: Where, reading: Reading) -> None:
    key, value = entry
    if isinstance(value, Scalar) and node_type(value) == "null":
        return
    if isinstance(value, Scalar):
        # util.get_cfg_option_list turns a lone string into a one-item list; the schema says list.
        reading.problems.append(Problem(
            "type",
            f"`packages` is a {_type_name(value)}, not a list: cloud-init's schema rejects it (\"is not of type "
            "'array'\") and only its lenient reader installs the one package",
            where.span(value.span.start, value.span.end),
            f"write it as a list: packages: [{value.value.strip()}]",
        ))
        if PACKAGE.match(value.value.strip()):
            reading.actions.add("install", Reason("`packages` names qemu-guest-agent",
                                                  where.span(value.span.start, value.span.end), "packages"))
        return
    if not isinstance(value, Sequence):
        reading.problems.append(Problem(
            "type", f"`packages` is a {_type_name(value)}, not a list: cloud-init installs nothing from it",
            where.span(key.span.start, key.span.end), "write it as a list of package names"))
        return
    for item in value.items:
        names: list[Scalar] = []
        if isinstance(item, Scalar):
            names = [item]
        elif isinstance(item, Sequence) and item.items and isinstance(item.items[0], Scalar):
            names = [item.items[0]]  # [name, version]
        elif isinstance(item, Mapping):  # {apt: [...], snap: [...]} (cloud-init 23.1+)
            for _, listed in item.entries():
                for sub in items(listed):
                    if isinstance(sub, Scalar):
                        names.append(sub)
                    elif isinstance(sub, Sequence) and sub.items and isinstance(sub.items[0], Scalar):
                        names.append(sub.items[0])
        for name in names:
            if PACKAGE.match(name.value.strip()):
                reading.actions.add("install", Reason("`packages` installs qemu-guest-agent",
                                                      where.span(item.span.start, item.span.end), "packages"))
                return


def _read_commands(entry: tuple[Scalar, Node], module: str, where: Where, reading: Reading) -> None:
    key, value = entry
    if isinstance(value, Scalar) and node_type(value) == "null":
        return
    if not isinstance(value, Sequence):
        reading.problems.append(Problem(
            "type",
            f"`{module}` is a {_type_name(value)}, not a list: cloud-init's {module} module fails (\"Input to "
            f"shellify was type '{'str' if isinstance(value, Scalar) else 'dict'}'\") and runs none of it",
            where.span(value.span.start, value.span.end) if isinstance(value, Scalar) else where.span(
                key.span.start, key.span.end),
            f"write {module} as a list: one command per item",
        ))
        return
    broken = False
    for item in value.items:
        kind = node_type(item)
        if kind in ("map", "bool", "int", "float"):
            hint = ("quote the item: YAML reads `key: value` as a mapping" if kind == "map"
                    else "quote the item so that YAML reads it as a string")
            reading.problems.append(Problem(
                "type",
                f"this {module} item is a {_type_name(item)} to cloud-init's YAML loader, not a command: "
                f"cloud-init fails the {module} module (\"Unable to shellify type\") and runs none of its commands",
                where.span(item.span.start, item.span.end), hint))
            broken = True
    if broken:
        return
    for item in value.items:
        span = where.span(item.span.start, item.span.end)
        if isinstance(item, Scalar):
            if node_type(item) != "null":
                read_shell(item.value, span, module, reading, 0)
        elif isinstance(item, Sequence):
            words = [part.value for part in item.items if isinstance(part, Scalar)]
            read_argv(words, span, module, reading, 0)


def _read_write_files(value: Node, where: Where, reading: Reading) -> None:
    for item in items(value):
        path = scalar(item, "path")
        if path is None:
            continue
        content = scalar(item, "content")
        encoding = scalar(item, "encoding")
        body = content.value if content is not None else ""
        if encoding is not None and encoding.value.lower() not in ("", "text/plain"):
            continue  # b64 or gzip content: not read
        directory, _, filename = path.value.rstrip("/").rpartition("/")
        unit_dirs = ("/etc/systemd/system", "/run/systemd/system")
        span = where.span(item.span.start, item.span.end)
        if directory in unit_dirs and UNIT.fullmatch(filename) and filename.endswith(".service") and not body.strip():
            reading.actions.add("mask", Reason(f"write_files writes an empty {path.value} over the packaged unit "
                                               "(systemd treats an empty unit file as masked)", span, "write_files"))
        elif any(directory.startswith(d + "/") for d in unit_dirs) and filename.endswith(".conf"):
            unit = directory.rsplit("/", 1)[-1]
            if unit.endswith(".d") and UNIT.fullmatch(unit[:-2]) and _resets_exec_start(body):
                reading.actions.add("mask", Reason(f"write_files writes {path.value}, which empties ExecStart",
                                                   span, "write_files"))


def _resets_exec_start(body: str) -> bool:
    values = [line.split("=", 1)[1].strip() for line in body.splitlines() if line.strip().startswith("ExecStart=")]
    return bool(values) and values[-1] == ""


def read_script(text: str, where: Where, reading: Reading, depth: int) -> None:
    """A `#!` script, line by line (continuations joined); each line's commands point at the line."""
    position = 0
    pending = ""
    pending_start = 0
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        if not pending:
            pending_start = position
        position += len(line)
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        command = pending + stripped
        pending = ""
        if command.strip() and not command.lstrip().startswith("#"):
            end = pending_start + len(command.rstrip())
            first = pending_start + len(command) - len(command.lstrip())
            read_shell(command, where.span(first, max(end, first + 1)), "the script", reading, depth)
    if pending.strip():
        read_shell(pending, where.span(pending_start, len(text)), "the script", reading, depth)


def read_shell(command: str, span: Span, module: str, reading: Reading, depth: int) -> None:
    if AGENT_PACKAGE not in command and "qemu-ga" not in command:
        return  # nothing about the agent in it: skip tokenising
    if "\n" in command and depth < _MAX_SHELL_DEPTH:
        for line in command.splitlines():
            read_shell(line, span, module, reading, depth + 1)
        return
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|()")
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        tokens = command.split()
    words: list[str] = []
    for token in tokens + [";"]:
        if token and all(ch in ";&|()" for ch in token):
            read_argv(words, span, module, reading, depth)
            words = []
        else:
            words.append(token)


def read_argv(words: list[str], span: Span, module: str, reading: Reading, depth: int) -> None:
    words = list(words)
    while words:
        program = words[0].rsplit("/", 1)[-1]
        if "=" in words[0] and not words[0].startswith("-") and program == words[0]:
            words.pop(0)  # VAR=value
        elif program in _PREFIXES:
            words.pop(0)
            while words and (words[0].startswith("-") or ("=" in words[0] and program == "env")):
                option = words.pop(0)
                if program in ("sudo", "doas") and option in _SUDO_VALUE_OPTIONS and words:
                    words.pop(0)
        else:
            break
    if not words:
        return
    program, args = words[0].rsplit("/", 1)[-1], words[1:]
    if program in _SHELLS and depth < _MAX_SHELL_DEPTH:
        for i, arg in enumerate(args):
            if arg.startswith("-") and "c" in arg[1:] and i + 1 < len(args):
                read_shell(args[i + 1], span, module, reading, depth + 1)
                return
        return
    shown = " ".join(words)
    if len(shown) > 80:
        shown = shown[:77] + "..."

    def add(kind: str) -> None:
        reading.actions.add(kind, Reason(f"{module} runs `{shown}`", span, module))

    if program == "systemctl":
        plain = [arg for arg in args if not arg.startswith("-")]
        if plain and plain[0] in _SYSTEMCTL and any(UNIT.fullmatch(unit) for unit in plain[1:]):
            action = _SYSTEMCTL[plain[0]]
            add(action)
            if action == "enable" and "--now" in args:
                add("start")
            if action == "disable" and "--now" in args:
                add("stop")
    elif program in ("service", "rc-service") and len(args) >= 2 and UNIT.fullmatch(args[0]):
        verb = {"start": "start", "restart": "start", "stop": "stop"}.get(args[1])
        if verb:
            add(verb)
    elif program == "rc-update" and len(args) >= 2 and UNIT.fullmatch(args[1]):
        verb = {"add": "enable", "del": "disable", "delete": "disable"}.get(args[0])
        if verb:
            add(verb)
    elif program == "chkconfig" and len(args) >= 2 and UNIT.fullmatch(args[0]):
        verb = {"on": "enable", "off": "disable"}.get(args[1])
        if verb:
            add(verb)
    elif UNIT.fullmatch(program) and words[0].startswith("/etc/init.d/") and args[:1] in (["start"], ["restart"]):
        add("start")
    elif program in _INSTALLERS:
        plain = [arg for arg in args if not arg.startswith("-")]
        if program == "pacman":
            installs = any(arg.startswith("-S") for arg in args)
            names = plain
        else:
            installs = bool(plain) and plain[0] in _INSTALLERS[program]
            names = plain[1:]
        if installs and any(PACKAGE.match(name) for name in names):
            add("install")


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


# --------------------------------------------------------------------------------------------------------------
# The verdict


def guest_agent_evidence(
    workload: Workload,
    file: LoadedFile,
    index: RunIndex | None,
    default_namespace: str | None,
    agent_images: Seq[str],
    agent_os: Seq[str] = (),
) -> AgentEvidence:
    """What the manifest says about the guest agent of one workload.

    Order of precedence: user data that masks or disables the agent (absent); the opt-in annotation, user data
    that installs or enables it, a known image, a field that needs the agent (present); user data vmlint
    cannot read (unknown); an OS label of a distribution whose images ship the agent (unknown); readable user
    data that does nothing for the agent (absent); no user data at all (unknown: the image decides).
    """
    namespace = workload.namespace.value if workload.namespace else default_namespace
    windows = windows_guest(workload)
    opted = opt_in(workload)
    sources = disk_sources(workload, file, namespace)
    image = known_image(sources, agent_images)
    shipped = opted or image
    data = user_data(workload, file, index, default_namespace)
    reading = read_user_data(data) if data is not None and data.text is not None else None
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
        hint = os_hint(workload, agent_os) or image_os_hint(sources, agent_os)
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


def _image_clause(sources: Seq[ImageRef]) -> str:
    if not sources:
        return ""
    first = sources[0]
    what = {"image": "the image", "DataVolume source": "the image", "PVC": "the PVC", "DataVolume": "the DataVolume",
            "DataSource": "the DataSource"}[first.what]
    ref = first.ref.split(":", 1)[1] if first.what in ("PVC", "DataVolume", "DataSource") else first.ref
    return f", and vmlint does not know whether {what} {ref} ships it"
