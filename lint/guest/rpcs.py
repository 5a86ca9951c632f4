"""qemu-ga's RPC allow and block lists as the user data writes them, and what they refuse (VM407).

qemu-ga takes `-a/--allow-rpcs=LIST` (everything else is blocked) and `-b/--block-rpcs=LIST` (`--blacklist` in
older releases; everything else is allowed); with both, the allow list applies first, then the block list.
The config file /etc/qemu/qemu-ga.conf has the same lists as `allow-rpcs=` and `block-rpcs=` in `[general]`.
RHEL's unit passes /etc/sysconfig/qemu-ga's FILTER_RPC_ARGS (9.4 and later), `--block-rpcs=${BLOCK_RPCS}`
(9.2, 9.3) or `--blacklist=${BLACKLIST_RPC}` (8) to the agent (guest-freeze-facts §4). A refused command
answers "Command guest-fsfreeze-freeze has been disabled: the command is not allowed".

What is read: write_files of those two files and of a unit or drop-in for qemu-guest-agent.service whose
ExecStart passes the options, and the lines a command appends to them (echo, printf, tee, a here-document).
A value the shell computes (`$VAR`) is not guessed.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from lint.guest.evidence import UNIT, System, content_lines
from lint.text.nodes import Span

SYSCONFIG = "/etc/sysconfig/qemu-ga"
CONFIG = "/etc/qemu/qemu-ga.conf"
FREEZE = ("guest-fsfreeze-freeze", "guest-fsfreeze-thaw")
HANDSHAKE = ("guest-sync-delimited", "guest-sync", "guest-ping", "guest-info")
_UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")


@dataclass(frozen=True)
class RpcFilter:
    """One place that sets an allow or block list."""

    kind: str  # "allow" or "block"
    commands: tuple[str, ...]
    setting: str  # `FILTER_RPC_ARGS="--allow-rpcs=..."`, as written (shortened)
    where: str  # "the /etc/sysconfig/qemu-ga that write_files writes"
    span: Span

    def refused(self, command: str) -> bool:
        return (command not in self.commands) if self.kind == "allow" else (command in self.commands)


def rpc_filters(system: System) -> list[RpcFilter]:
    found: list[RpcFilter] = []
    for written in system.files:
        if written.content is None:
            continue
        kind = _kind(written.path)
        if kind is None:
            continue
        what = f"the {written.path} that write_files writes"
        for line, start, end in content_lines(written.content, ("#", ";")):
            found.extend(_read_line(kind, line, what, written.at(start, end)))
    for command in system.commands:
        target, lines = _appended(command.words, command.piped, command.stdin)
        kind = _kind(target) if target else None
        if kind is not None:
            for line in lines:
                found.extend(_read_line(kind, line, f"the {target} line that {command.module} appends", command.span))
    return found


def _kind(path: str) -> str | None:
    if path == SYSCONFIG:
        return "sysconfig"
    if path == CONFIG:
        return "config"
    directory, _, name = path.rstrip("/").rpartition("/")
    if directory in _UNIT_DIRS and name.endswith(".service") and UNIT.fullmatch(name):
        return "unit"
    parent, _, dropin = directory.rpartition("/")
    if parent in _UNIT_DIRS and dropin.endswith(".service.d") and UNIT.fullmatch(dropin[:-2]) and name.endswith(
            ".conf"):
        return "unit"
    return None


def _shown(line: str) -> str:
    return line if len(line) <= 100 else line[:97] + "..."


def _read_line(kind: str, line: str, what: str, span: Span) -> list[RpcFilter]:
    key, equals, value = line.partition("=")
    key = key.strip()
    if not equals:
        return []
    value = value.strip()
    if kind == "config":
        if key in ("allow-rpcs", "block-rpcs", "blacklist"):
            return [RpcFilter("allow" if key == "allow-rpcs" else "block", _names(value), _shown(line), what, span)]
        return []
    if kind == "sysconfig":
        try:
            words = shlex.split(value)
        except ValueError:
            return []
        if key in ("BLOCK_RPCS", "BLACKLIST_RPC"):
            text = " ".join(words)
            return [] if "$" in text else [RpcFilter("block", _names(text), _shown(line), what, span)]
        if key == "FILTER_RPC_ARGS":
            return [RpcFilter(k, names, _shown(line), what, span) for k, names in _options(
                [w for word in words for w in word.split()])]
        return []
    if key.startswith("ExecStart") and value:  # a unit or drop-in
        try:
            words = shlex.split(value.lstrip("-@:+!"))
        except ValueError:
            return []
        return [RpcFilter(k, names, _shown(line), what, span) for k, names in _options(words[1:])]
    return []


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.replace(";", ",").split(",") if name.strip())


def _options(words: list[str]) -> Iterator[tuple[str, tuple[str, ...]]]:
    """qemu-ga's -a/--allow-rpcs and -b/--block-rpcs/--blacklist options (getopt_long)."""
    i = 0
    while i < len(words):
        word = words[i]
        for kind, short, longs in (("allow", "-a", ("--allow-rpcs",)), ("block", "-b", ("--block-rpcs", "--blacklist"))):
            value: str | None = None
            if word in longs + (short,) and i + 1 < len(words):
                value = words[i + 1]
                i += 1
            elif any(word.startswith(name + "=") for name in longs):
                value = word.split("=", 1)[1]
            elif word.startswith(short) and len(word) > 2 and not word.startswith("--"):
                value = word[2:]
            if value is not None:
                if "$" not in value:
                    yield kind, _names(value)
                break
        i += 1


def _appended(words: tuple[str, ...], piped: tuple[str, ...], stdin: str | None) -> tuple[str | None, list[str]]:
    """The file a command appends or writes lines to, and the lines (echo/printf LINE >> FILE, tee, here-docs)."""
    program = words[0].rsplit("/", 1)[-1] if words else ""
    for i, word in enumerate(words):
        if word in (">", ">>") and i + 1 < len(words):
            target = words[i + 1]
            if program in ("echo", "printf"):
                return target, _echoed(list(words[1:i]))
            if program == "cat" and stdin is not None:
                return target, stdin.splitlines()
            return target, []
    if program == "tee":
        targets = [w for w in words[1:] if not w.startswith("-")]
        if targets:
            if piped and piped[0].rsplit("/", 1)[-1] in ("echo", "printf"):
                return targets[0], _echoed(list(piped[1:]))
            if stdin is not None:
                return targets[0], stdin.splitlines()
    return None, []


def _echoed(args: list[str]) -> list[str]:
    text = " ".join(a for a in args if not (a.startswith("-") and len(a) <= 3))
    return [line.strip() for line in text.replace("\\n", "\n").splitlines() if line.strip()]
