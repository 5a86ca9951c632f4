"""Shell commands that install, enable, start, stop or mask the guest agent: `#!` scripts and argv lists.

A `#!` user-data script, every runcmd and bootcmd item, and the argument of each `sh -c` end up here. A
command line is split as a POSIX shell splits it (at `;`, `&`, `|` and parentheses), prefixes such as sudo,
env and VAR=value are skipped, and the program decides what it does: systemctl, service, rc-service,
rc-update and chkconfig to the unit, the distributions' package managers to the package. Only commands that
name the agent are tokenised, and nested shells are followed to a fixed depth.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lint.guest.evidence import AGENT_PACKAGE, PACKAGE, UNIT, Command, Reading, Reason, Where
from lint.guest.parsed import shell_words
from lint.text.nodes import Span

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
# Words that make a command worth tokenising: the agent, and what VM406/VM407 read (mounts, file systems,
# SELinux, qemu-ga's configuration, the package managers that name the distribution).
_KEYWORDS = (AGENT_PACKAGE, "qemu-ga", "mount", "mkfs", "mke2fs", "fstab", "setsebool", "semodule", "semanage",
             "restorecon", "setenforce", "selinux", "dnf", "yum", "zypper", "apt", "transactional-update")
# Programs whose commands are recorded (lint.guest.evidence.System); those in _WRITERS only when they touch a
# file that matters.
_RECORDED = frozenset({"mount", "mke2fs", "setsebool", "semodule", "semanage", "restorecon", "setenforce",
                       "dnf", "dnf5", "yum", "microdnf", "zypper", "apt", "apt-get", "transactional-update"})
_WRITERS = frozenset({"sed", "echo", "printf", "tee", "cat", "cp", "install"})
_WRITTEN = ("fstab", "selinux/config", "qemu-ga", "qemu/qemu-ga")
_HEREDOC = re.compile(r"<<(-?)[ \t]*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")


def read_script(text: str, where: Where, reading: Reading, depth: int) -> None:
    """A `#!` script, line by line (continuations joined); each line's commands point at the line."""
    for command, first, end, body in _lines(text):
        read_shell(command, where.span(first, max(end, first + 1)), "the script", reading, depth, body)


def _lines(text: str) -> Iterator[tuple[str, int, int, str | None]]:
    """Each command line of a script (continuations joined, comments skipped) with its first and last offsets,
    and the text of the here-document it opens, if any (its lines are still read as lines, as before)."""
    position = 0
    pending = ""
    pending_start = 0
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines):
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
            yield command, first, end, _here_document(command, lines[number + 1:])
    if pending.strip():
        yield pending, pending_start, len(text), None


def _here_document(command: str, following: list[str]) -> str | None:
    opened = _HEREDOC.search(command)
    if opened is None:
        return None
    body = []
    for line in following:
        text = line.rstrip("\r\n")
        if (text.lstrip("\t") if opened.group(1) else text) == opened.group(3):
            return "".join(item + "\n" for item in body)
        body.append(text)
    return None  # never closed: the shell fails the command


def read_shell(command: str, span: Span, module: str, reading: Reading, depth: int, stdin: str | None = None) -> None:
    if not any(keyword in command for keyword in _KEYWORDS):
        return  # nothing vmlint reads in it: skip tokenising
    if "\n" in command and depth < _MAX_SHELL_DEPTH:
        for line, _, _, body in _lines(command):
            read_shell(line, span, module, reading, depth + 1, body)
        return
    tokens = list(shell_words(command))
    words: list[str] = []
    previous: list[str] = []
    separator = ""
    for token in tokens + [";"]:
        if token and all(ch in ";&|()" for ch in token):
            opens = any(word.startswith("<<") for word in words) or (
                separator == "|" and any(word.startswith("<<") for word in previous))  # `cat <<EOF | tee ...`
            here = stdin if opens else None
            read_argv(words, span, module, reading, depth, previous if separator == "|" else [], here)
            previous, separator, words = words, token, []
        else:
            words.append(token)


def read_argv(words: list[str], span: Span, module: str, reading: Reading, depth: int,
              piped: list[str] | None = None, stdin: str | None = None) -> None:
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
    if program in _RECORDED or program.startswith("mkfs") or (
        program in _WRITERS and any(name in word for word in words + (piped or []) for name in _WRITTEN)
    ):
        reading.system.commands.append(Command(tuple(words), span, module, tuple(piped or ()), stdin))
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
