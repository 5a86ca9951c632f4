"""Where each argument of a hook command stands in its annotation value, and the virt-freezer and fsfreeze calls
in it.

Checks need to point at one argument inside a long one-line JSON value, and to find virt-freezer both when
it is the program (`["/usr/bin/virt-freezer", "--freeze", ...]`, what KubeVirt injects) and when a shell
runs it (`["/bin/sh", "-c", "virt-freezer --freeze ... || true"]`, a common safety wrapper).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import lru_cache

from lint.golang.pflag import FreezerArgs, parse_freezer_args
from lint.velero.hooks import ParsedCommand

# The elements of a JSON array of strings: string literals and nulls (Go decodes null as "").
_JSON_ELEMENT = re.compile(r'"(?:[^"\\]|\\.)*"?|\bnull\b')
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox"})
_SHELL_C_OPTION = re.compile(r"-[A-Za-z]*c[A-Za-z]*")
_SHELL_OPERATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", "then", "do", "else", "fi", "done"})


@dataclass(frozen=True)
class Argument:
    """One argv element and the offsets of its text inside the annotation value."""

    index: int
    text: str
    start: int  # offset of the element's first character inside the value (after an opening quote)
    end: int


@lru_cache(maxsize=4096)
def arguments(value: str, parsed: ParsedCommand) -> tuple[Argument, ...]:
    """The argv elements with their offsets: exact for JSON commands, the whole value otherwise.

    For a value that is not valid JSON, the double-quoted literals it contains are returned, so that what
    the author meant as arguments can still be pointed at.
    """
    if parsed.form not in ("json", "invalid-json"):
        return (Argument(0, value, 0, len(value)),)
    found = []
    for i, match in enumerate(_JSON_ELEMENT.finditer(value)):
        literal = match.group()
        if literal == "null":
            found.append(Argument(i, "", match.start(), match.end()))
            continue
        closed = len(literal) > 1 and literal.endswith('"')
        inner = literal[1:-1] if closed else literal[1:]
        text = parsed.argv[i] if parsed.form == "json" and i < len(parsed.argv) else inner
        found.append(Argument(i, text, match.start() + 1, match.start() + 1 + len(inner)))
    return tuple(found)


def locate(argument: Argument, needle: str, after: int = 0) -> tuple[int, int]:
    """Offsets of `needle` inside an argument's text in the value, falling back to the whole argument."""
    position = argument.text.find(needle, after)
    if position < 0 or argument.end - argument.start != len(argument.text):
        return argument.start, argument.end
    return argument.start + position, argument.start + position + len(needle)


def shell_script_index(argv: tuple[str, ...]) -> int | None:
    """The index of the script argument of `sh -c SCRIPT` (any shell, combined options like -ec), if any."""
    if not argv or argv[0].rsplit("/", 1)[-1] not in _SHELLS:
        return None
    for i, arg in enumerate(argv[1:], start=1):
        if _SHELL_C_OPTION.fullmatch(arg):
            return i + 1 if i + 1 < len(argv) else None
        if not arg.startswith("-"):
            return None
    return None


@dataclass(frozen=True)
class FreezerCall:
    """virt-freezer as run by a hook: its parsed flags and where each of its arguments stands in the value."""

    args: FreezerArgs
    positions: tuple[tuple[int, int], ...]  # value offsets of each argument after the program name
    in_shell: bool


@lru_cache(maxsize=4096)
def freezer_calls(value: str, parsed: ParsedCommand) -> tuple[FreezerCall, ...]:
    argv = parsed.argv if parsed.form == "json" else ()
    if not argv:
        return ()
    elements = arguments(value, parsed)
    if _is_freezer(argv[0]):
        positions = tuple((a.start, a.end) for a in elements[1:])
        return (FreezerCall(parse_freezer_args(argv[1:]), positions, in_shell=False),)
    script = shell_script_index(argv)
    if script is None or "virt-freezer" not in argv[script]:
        return ()
    return tuple(_calls_in_script(elements[script]))


def _calls_in_script(script: Argument) -> list[FreezerCall]:
    tokens, offsets = _script_tokens(script)
    calls = []
    for i, token in enumerate(tokens):
        if not _is_freezer(token):
            continue
        end = i + 1
        while end < len(tokens) and tokens[end] not in _SHELL_OPERATORS:
            end += 1
        calls.append(FreezerCall(parse_freezer_args(tokens[i + 1 : end]), tuple(offsets[i + 1 : end]), in_shell=True))
    return calls


def _is_freezer(program: str) -> bool:
    return program.rsplit("/", 1)[-1] == "virt-freezer"


@dataclass(frozen=True)
class FsfreezeCall:
    """fsfreeze(8) as run by a hook: what it does and to which path, and where those stand in the value.

    util-linux's fsfreeze takes `-f`/`--freeze` or `-u`/`--unfreeze` (mutually exclusive) and exactly one path
    (the mount point: it opens the path and freezes the filesystem that contains it, FIFREEZE/FITHAW).
    """

    action: str | None  # "freeze", "unfreeze", "both" (refused), or None (neither given)
    path: str | None  # the first operand; None when there is none or the shell computes it
    path_position: tuple[int, int] | None  # value offsets of the path
    action_position: tuple[int, int] | None  # value offsets of the last action flag
    program_position: tuple[int, int]
    in_shell: bool


_FREEZE_FLAGS = {"-f": "freeze", "--freeze": "freeze", "-u": "unfreeze", "--unfreeze": "unfreeze"}


@lru_cache(maxsize=4096)
def fsfreeze_calls(value: str, parsed: ParsedCommand) -> tuple[FsfreezeCall, ...]:
    """The fsfreeze calls of a hook command: as the program, or inside an `sh -c` script."""
    argv = parsed.argv if parsed.form == "json" else ()
    if not argv:
        return ()
    elements = arguments(value, parsed)
    if _is_fsfreeze(argv[0]):
        positions = [(a.start, a.end) for a in elements]
        return (_fsfreeze(list(argv), positions, in_shell=False),)
    script = shell_script_index(argv)
    if script is None or "fsfreeze" not in argv[script]:
        return ()
    tokens, offsets = _script_tokens(elements[script])
    calls = []
    for i, token in enumerate(tokens):
        if not _is_fsfreeze(token):
            continue
        end = i + 1
        while end < len(tokens) and tokens[end] not in _SHELL_OPERATORS:
            end += 1
        calls.append(_fsfreeze(tokens[i:end], offsets[i:end], in_shell=True))
    return tuple(calls)


def _fsfreeze(argv: list[str], positions: list[tuple[int, int]], in_shell: bool) -> FsfreezeCall:
    actions: set[str] = set()
    action_position = path = path_position = None
    options_done = False
    for arg, position in zip(argv[1:], positions[1:]):
        if not options_done and arg == "--":
            options_done = True
        elif not options_done and arg in _FREEZE_FLAGS:
            actions.add(_FREEZE_FLAGS[arg])
            action_position = position
        elif not options_done and arg.startswith("-") and arg != "-":
            continue  # -h, -V, or what fsfreeze refuses: not this model's business
        elif path is None:
            path, path_position = arg, position
    action = "both" if len(actions) == 2 else next(iter(actions), None)
    if in_shell and path is not None and any(ch in path for ch in "$`*?{}"):
        path, path_position = None, None  # computed by the shell at run time
    return FsfreezeCall(action, path, path_position, action_position, positions[0], in_shell)


def _script_tokens(script: Argument) -> tuple[list[str], list[tuple[int, int]]]:
    try:
        lexer = shlex.shlex(script.text, posix=True, punctuation_chars=";&|()")
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: a shell would fail too, nothing to model
        return [], []
    offsets, cursor = [], 0
    for token in tokens:
        found = script.text.find(token, cursor)
        if found < 0:
            offsets.append((script.start, script.end))
            continue
        offsets.append(locate(script, token, cursor))
        cursor = found + len(token)
    return tokens, offsets


def _is_fsfreeze(program: str) -> bool:
    return program.rsplit("/", 1)[-1] == "fsfreeze"
