"""Velero's pod-annotation hooks: the keys it reads and how it turns a `command` value into an argv.

Facts (velero-io/velero, internal/hook/item_hook_handler.go): backup hook keys are the constants
`hook.backup.velero.io/{container,command,on-error,timeout}` with the phase prepended by `phasedKey`
(`pre.` / `post.`); the bare keys are a legacy pre hook, read as a whole set only when the `pre.` command reads
"" (missing or empty; HandleHooks, see lint.checks.commands.pre_hook_prefix). Restore keys are exact. Annotation keys are looked
up as exact strings and never validated, so any other key is silently ignored. `parseStringToCommand` runs
`json.Unmarshal` into `[]string` only when the first byte is `[`, and otherwise (or on any error) runs the
whole value as one program name.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from lint.golang.json import GoJSONResult, decode_string_slice

BACKUP_PREFIXES = ("pre.hook.backup.velero.io", "post.hook.backup.velero.io", "hook.backup.velero.io")
RESTORE_POST_PREFIX = "post.hook.restore.velero.io"
RESTORE_INIT_PREFIX = "init.hook.restore.velero.io"

VALID_NAMES: dict[str, tuple[str, ...]] = {
    **{prefix: ("container", "command", "on-error", "timeout") for prefix in BACKUP_PREFIXES},
    RESTORE_POST_PREFIX: ("container", "command", "on-error", "exec-timeout", "wait-timeout", "wait-for-ready"),
    RESTORE_INIT_PREFIX: ("container-image", "container-name", "command"),
}
VALID_KEYS = frozenset(f"{prefix}/{name}" for prefix, names in VALID_NAMES.items() for name in names)
COMMAND_KEYS = frozenset(f"{prefix}/command" for prefix in VALID_NAMES)

# A constant for it exists in Velero, but nothing reads it (git grep finds no use outside the const block).
DEFINED_BUT_UNUSED = frozenset({f"{RESTORE_INIT_PREFIX}/timeout"})


def is_hook_like_key(key: str) -> bool:
    """A key that is meant as a Velero hook: its prefix is under velero.io and mentions a hook."""
    prefix, slash, _ = key.partition("/")
    return bool(slash) and prefix.lower().endswith("velero.io") and "hook" in prefix.lower()


def suggest_key(key: str) -> str | None:
    """The valid key the author most likely meant, or None if nothing is close.

    The prefix and the name are matched separately (a typo in one should not pull the other away), and names
    are compared without case, dashes or underscores, so `onError` finds `on-error`.
    """
    prefix, _, name = key.partition("/")
    prefixes = list(VALID_NAMES)
    best_prefix = prefix if prefix in VALID_NAMES else _closest(prefix.lower(), prefixes)
    if best_prefix is None:
        return None
    names = VALID_NAMES[best_prefix]
    normal = {_normal(n): n for n in names}
    wanted = _normal(name)
    if wanted in normal:
        best_name = normal[wanted]
    else:
        starts = [n for n in names if wanted.startswith(_normal(n)) or _normal(n).startswith(wanted)]
        timeouts = [n for n in names if n.endswith("timeout")]
        if "timeout" in wanted and timeouts:
            starts = timeouts[:1]  # a restore exec hook's plain timeout is `exec-timeout`
        best_name = starts[0] if len(starts) == 1 else _closest(wanted, list(normal), mapping=normal)
    if best_name is None:
        return None
    suggestion = f"{best_prefix}/{best_name}"
    return suggestion if suggestion != key else None


def _normal(text: str) -> str:
    return re.sub(r"[-_.\s]", "", text.lower())


def _closest(word: str, choices: list[str], mapping: dict[str, str] | None = None) -> str | None:
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not found:
        return None
    return mapping[found[0]] if mapping else found[0]


CommandForm = Literal["empty", "json", "invalid-json", "leading-space", "plain"]


@dataclass(frozen=True)
class ParsedCommand:
    """A hook command value as Velero's parseStringToCommand sees it."""

    form: CommandForm
    argv: tuple[str, ...]  # what Velero will exec (for every form but "empty")
    json: GoJSONResult | None = None  # the decode result, for values that start with "["


_LEADING_INVISIBLE = re.compile(r"[\s\ufeff\u200b]+")


@lru_cache(maxsize=4096)
def parse_command(value: str) -> ParsedCommand:
    """Memoised: every rule that reads a command asks for the same parse (a pure function of the text)."""
    if value == "":
        return ParsedCommand("empty", ())
    if value[0] == "[":
        result = decode_string_slice(value)
        if result.error is None:
            return ParsedCommand("json", result.argv or (), result)
        return ParsedCommand("invalid-json", (value,), result)
    stripped = _LEADING_INVISIBLE.match(value)
    if stripped and value[stripped.end() :].startswith("["):
        return ParsedCommand("leading-space", (value,))
    return ParsedCommand("plain", (value,))
