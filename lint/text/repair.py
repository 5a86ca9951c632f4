"""Say why a document does not parse, where a common cause can be recognised.

The stray-quote pattern of the published freeze-hook recipe:

The recipe's value `'["…", "<VM Name>"']'` closes its single-quoted scalar one quote early, so `]'` follows
the scalar and the whole document is invalid YAML. When a syntax error sits on (or just after) a line of that
shape, the intended value is the quoted text with the stray quote removed. The repair is only offered when
the document then parses, so the hint never proposes something that is still broken.

A shell here-document wrapped around the YAML (`kubectl apply -f - <<EOF` … `EOF`), as copied from docs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lint.text.compose import load_documents
from lint.text.nodes import Document
from lint.text.source import SourceText

_ENTRY = re.compile(
    r"""(?P<lead>[ \t]*(?:-[ \t]+)?)
        (?P<key>'(?:[^']|'')*'|"(?:[^"\\]|\\.)*"|[^\s'"#:][^:#]*?)
        (?P<colon>[ \t]*:[ \t]+)
        (?P<quote>['"])(?P<body>.*?)(?P=quote)
        (?P<rest>[^'"\#]*?[^\s'"\#][^'"\#]*?)
        (?P=quote)
        (?P<trail>[ \t]*(?:\#.*)?)$""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class QuoteRepair:
    """Where the early closing quote stands and the line as it was meant."""

    key: str
    line: int
    column: int  # of the stray (early closing) quote
    original: str
    corrected: str
    value: str  # the corrected scalar as written, quotes included


@dataclass(frozen=True)
class ShellWrapper:
    """The document is a shell command with the YAML in a here-document."""

    line: int
    marker: str
    closing: bool = False  # the line is the here-document's terminator, not its opener


_TERMINATOR = re.compile(r"[A-Z][A-Z0-9_]*")
_HEREDOC = re.compile(r"<<-?[ \t]*(['\"]?)(?P<marker>[A-Za-z_][A-Za-z0-9_]*)\1")


def diagnose_heredoc(source: SourceText, document: Document) -> ShellWrapper | None:
    """A here-document opener on one of the document's first lines, outside any YAML comment."""
    for line in range(document.start_line, min(document.end_line, document.start_line + 3) + 1):
        text = source.line_text(line)
        match = _HEREDOC.search(text)
        if match and not text.lstrip().startswith("#"):
            return ShellWrapper(line, match.group("marker"))
    problem = document.syntax_error
    for line in {problem.line, problem.line - 1, problem.context_line or 0} if problem else ():
        text = source.line_text(line)
        if document.start_line <= line <= document.end_line and _TERMINATOR.fullmatch(text) and not any(
            source.line_text(after).strip() for after in range(line + 1, document.end_line + 1)
        ):
            return ShellWrapper(line, text, closing=True)
    return None


def diagnose_stray_quote(
    source: SourceText, document: Document, wanted_key: Callable[[str], bool]
) -> QuoteRepair | None:
    problem = document.syntax_error
    if problem is None:
        return None
    for line in (problem.line, problem.line - 1, problem.context_line or 0):
        if line < document.start_line or line > document.end_line:
            continue
        repair = _repair_line(source, line, wanted_key)
        if repair and _parses_with(source, document, repair):
            return repair
    return None


def _repair_line(source: SourceText, line: int, wanted_key: Callable[[str], bool]) -> QuoteRepair | None:
    text = source.line_text(line)
    match = _ENTRY.match(text)
    if not match:
        return None
    key = match.group("key").strip("'\"")
    if not wanted_key(key):
        return None
    quote = match.group("quote")
    body = match.group("body")
    if quote == "'" and "'" in body.replace("''", ""):
        return None
    value = f"{quote}{body}{match.group('rest')}{quote}"
    corrected = (
        f"{match.group('lead')}{match.group('key')}{match.group('colon')}{value}{match.group('trail')}"
    )
    stray_column = match.end("body") + 1
    return QuoteRepair(key, line, stray_column, text, corrected, value)


def _parses_with(source: SourceText, document: Document, repair: QuoteRepair) -> bool:
    start = source.line_start(repair.line)
    end = start + len(repair.original)
    text = source.text[document.start : start] + repair.corrected + source.text[end : document.end]
    return all(doc.syntax_error is None for doc in load_documents(SourceText(text)))
