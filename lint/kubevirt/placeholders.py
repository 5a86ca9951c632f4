"""Placeholders that recipes tell users to replace, and that are too often left in place.

Shared by the placeholder rule (VM201) and the identity rules (VM202, VM203), which must not call a
placeholder a "wrong name": it is not a name at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Placeholder:
    pattern: re.Pattern[str]
    label: str
    shell_syntax: bool  # also valid shell syntax: left alone inside an `sh -c` script, where the shell expands it


PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder(re.compile(r"<[A-Za-z][A-Za-z0-9 _.\-]*>"), "<VM Name>", False),
    Placeholder(re.compile(r"\[[A-Za-z][A-Za-z0-9_.\-]* [A-Za-z0-9 _.\-]*\]|\[(?:VM|NAME|NAMESPACE)[A-Z_]*\]"),
                "[VM Name]", False),
    Placeholder(re.compile(r"\$\{[^}\s]*\}"), "${VAR}", True),
    Placeholder(re.compile(r"\$\([A-Za-z_][A-Za-z0-9_]*\)"), "$(VAR)", True),
    Placeholder(re.compile(r"\{\{.*?\}\}"), "{{ ... }}", False),
    Placeholder(re.compile(r"(?i)(?<![A-Za-z0-9])(?:replace[_-]?me|change[_-]?me|your[_-](?:vm[_-])?(?:name|namespace)"
                           r"|vm[_-]?name[_-]?here)(?![A-Za-z0-9])"), "REPLACE_ME", False),
)  # fmt: skip


def find_placeholder(text: str, in_shell_script: bool = False) -> re.Match[str] | None:
    """The first placeholder in `text`; inside a shell script, shell expansions are the shell's business."""
    found = [
        match
        for placeholder in PLACEHOLDERS
        if not (in_shell_script and placeholder.shell_syntax)
        for match in [placeholder.pattern.search(text)]
        if match
    ]
    return min(found, key=lambda m: m.start()) if found else None


def meaning(placeholder: str) -> str | None:
    """Whether a placeholder stands for the VM's name or its namespace, where its words say so."""
    lowered = placeholder.lower()
    if "namespace" in lowered or re.search(r"(?<![a-z])ns(?![a-z])", lowered):
        return "namespace"
    if "name" in lowered:
        return "name"
    return None
