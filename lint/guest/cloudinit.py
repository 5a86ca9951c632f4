"""What a `#cloud-config` does to the guest agent, and the defects cloud-init passes over (VM404).

The modules are read in the order cloud-init runs them (bootcmd in the init stage, write_files, packages in
the final stage, then the runcmd script), so that a later mask or stop wins over an earlier enable. The
embedded YAML is composed with lint.text.compose, never into Python objects. A syntax error, a second
document, a repeated key or a module of the wrong type is a Problem (VM404): cloud-init then applies none
of the config, drops a value, or fails the module.
"""

from __future__ import annotations

from lint.guest.evidence import (
    PACKAGE,
    UNIT,
    ConfigEntry,
    Problem,
    Reading,
    Reason,
    Where,
    WrittenFile,
    items,
    scalar,
)
from lint.guest.parsed import composed
from lint.guest.scripts import read_argv, read_shell
from lint.text.nodes import Mapping, Node, Scalar, Sequence
from lint.text.scalars import node_type
from lint.text.source import SourceText


def read_cloud_config(text: str, where: Where, reading: Reading) -> None:
    embedded, parsed = composed(text)
    documents = [doc for doc in parsed if doc.root is not None or doc.syntax_error or doc.limit]
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
        _read_write_files(entries["write_files"][1], where, reading, embedded)
    if "packages" in entries:
        _read_packages(entries["packages"], where, reading)
    if "runcmd" in entries:
        _read_commands(entries["runcmd"], "runcmd", where, reading)
    _read_storage(entries, where, reading)


# Modules that only some distributions' cloud-init runs or that name their package manager.
_DISTRIBUTION_KEYS = ("yum_repos", "zypper", "apt", "snap")


def _read_storage(entries: dict[str, tuple[Scalar, Node]], where: Where, reading: Reading) -> None:
    """`disk_setup`, `fs_setup` and `mounts` as the strings cloud-init reads (cc_disk_setup, cc_mounts), and the
    modules that name a distribution's package manager."""
    for key in _DISTRIBUTION_KEYS:
        if key in entries:
            name = entries[key][0]
            reading.system.keys.append((key, where.span(name.span.start, name.span.end)))
    if "disk_setup" in entries and isinstance(entries["disk_setup"][1], Mapping):
        for device, _ in entries["disk_setup"][1].entries():
            reading.system.entries.append(ConfigEntry(
                "disk_setup", (device.value,), where.span(device.span.start, device.span.end)))
    for item in items(entries["fs_setup"][1] if "fs_setup" in entries else None):
        if isinstance(item, Mapping):
            values = tuple(_text(scalar(item, key)) for key in ("device", "filesystem", "label", "partition"))
            reading.system.entries.append(ConfigEntry("fs_setup", values, where.span(item.span.start, item.span.end)))
    for item in items(entries["mounts"][1] if "mounts" in entries else None):
        if isinstance(item, Sequence):
            values = tuple(_text(part) if isinstance(part, Scalar) else None for part in item.items)
            reading.system.entries.append(ConfigEntry("mounts", values, where.span(item.span.start, item.span.end)))


def _text(node: Scalar | None) -> str | None:
    """A scalar as cloud-init's YAML loader gives it to the module: None for null, else its text."""
    if node is None or node_type(node) == "null":
        return None
    return node.value


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


def _read_write_files(value: Node, where: Where, reading: Reading, embedded: SourceText) -> None:
    for item in items(value):
        path = scalar(item, "path")
        if path is None:
            continue
        content = scalar(item, "content")
        encoding = scalar(item, "encoding")
        body = content.value if content is not None else ""
        span = where.span(item.span.start, item.span.end)
        append = scalar(item, "append")
        encoded = encoding is not None and encoding.value.lower() not in ("", "text/plain")
        reading.system.files.append(WrittenFile(
            path.value, None if encoded else body, append is not None and append.value.lower() == "true", span,
            where, embedded, content))
        if encoded:
            continue  # b64 or gzip content: not read
        directory, _, filename = path.value.rstrip("/").rpartition("/")
        unit_dirs = ("/etc/systemd/system", "/run/systemd/system")
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
