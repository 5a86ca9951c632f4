"""YAML nodes that know where they stand: the tree every later stage reads.

Each key and value keeps its exact span in the file (character offsets into the decoded text, with line and
column worked out only when a finding asks for them). Nothing here talks to the YAML parser (lint.text.compose
builds these trees) or constructs Python objects from tags.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Union

from lint.text.source import SourceText

PLAIN_TAG = "!vmlint/plain"
"""Tag given to an untagged plain scalar: its type is decided later by Kubernetes' own YAML rules."""
STR_TAG = "tag:yaml.org,2002:str"
MERGE_KEY = "<<"


class Span:
    """Where a node stands: 1-based lines and columns, and 0-based character offsets into the file text.

    Spans made while loading hold only offsets and the file's line table: lines and columns are looked up when
    first read, which happens for the few nodes a finding points at. Computing them for every node was a
    third of the time spent loading a file. A span never changes once made.
    """

    __slots__ = ("start", "end", "_lines", "_where")

    def __init__(self, line: int, column: int, end_line: int, end_column: int, start: int, end: int) -> None:
        self.start = start
        self.end = end
        self._lines: SourceText | None = None
        self._where: tuple[int, int, int, int] | None = (line, column, end_line, end_column)

    @classmethod
    def of(cls, source: SourceText, start: int, end: int) -> Span:
        """The span of the offsets `start`..`end` of `source`, its lines and columns computed when asked."""
        span = cls.__new__(cls)
        span.start, span.end, span._lines, span._where = start, end, source, None
        return span

    def _resolved(self) -> tuple[int, int, int, int]:
        if self._where is None:
            first, last = self._lines.position(self.start), self._lines.position(self.end)  # type: ignore[union-attr]
            self._where = (first.line, first.column, last.line, last.column)
            self._lines = None
        return self._where

    @property
    def line(self) -> int:
        return self._resolved()[0]

    @property
    def column(self) -> int:
        return self._resolved()[1]

    @property
    def end_line(self) -> int:
        return self._resolved()[2]

    @property
    def end_column(self) -> int:
        return self._resolved()[3]

    def _key(self) -> tuple[int, int, int, int, int, int]:
        return (*self._resolved(), self.start, self.end)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Span) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        line, column, end_line, end_column = self._resolved()
        return (f"Span(line={line}, column={column}, end_line={end_line}, end_column={end_column}, "
                f"start={self.start}, end={self.end})")

    def __reduce__(self) -> tuple[type[Span], tuple[int, int, int, int, int, int]]:
        return (Span, self._key())  # sent to another process as numbers, without the file

    def __copy__(self) -> Span:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Span:
        return self


@dataclass(eq=False, slots=True)
class Scalar:
    value: str
    tag: str
    style: str  # "" plain, "'" single-quoted, '"' double-quoted, "|" literal, ">" folded
    span: Span

    @property
    def is_plain(self) -> bool:
        return self.tag == PLAIN_TAG


@dataclass(eq=False, slots=True)
class Sequence:
    items: list[Node]
    tag: str
    flow: bool
    span: Span


@dataclass(eq=False, slots=True)
class Mapping:
    pairs: list[tuple[Node, Node]]
    tag: str
    flow: bool
    span: Span
    _effective: dict[str, tuple[Scalar, Node]] | None = field(default=None, repr=False)

    def entries(self) -> Iterator[tuple[Scalar, Node]]:
        """The effective string-keyed entries, as YAML-to-JSON conversion sees them.

        Merge keys (`<<`) are expanded, explicit keys win over merged ones, and of repeated keys the last wins,
        which is what Kubernetes' YAML decoding keeps. Computed once: nodes do not change after loading.
        """
        yield from self._table().values()

    def get(self, key: str) -> Node | None:
        table = self._effective  # the most called method of the tree: no second call once the table is made
        entry = (self._table() if table is None else table).get(key)
        return entry[1] if entry else None

    def entry(self, key: str) -> tuple[Scalar, Node] | None:
        return self._table().get(key)

    def _table(self) -> dict[str, tuple[Scalar, Node]]:
        if self._effective is None:
            pairs = self.pairs
            if any(isinstance(key, Scalar) and key.value == MERGE_KEY and key.is_plain for key, _ in pairs):
                pairs = _merged_pairs(self, set())
            # one comprehension for the usual mapping: string keys, none repeated
            table = {key.value: (key, value) for key, value in pairs if isinstance(key, Scalar)}
            if len(table) != len(pairs):  # a repeated key stands where it was last written, as the last value
                table = {}
                for key, value in pairs:
                    if isinstance(key, Scalar):
                        table.pop(key.value, None)
                        table[key.value] = (key, value)
            self._effective = table
        return self._effective


Node = Union[Scalar, Sequence, Mapping]


_MERGE_DEPTH = 64  # merges of merges deeper than this are hostile input, not a manifest


def _merged_pairs(mapping: Mapping, active: set[int], depth: int = 0) -> list[tuple[Node, Node]]:
    """Pairs of a mapping with `<<` merges applied: merged entries first, so explicit ones override them.

    Each merged mapping counts once however often it is merged, and cycles and absurd chains stop, so a
    merge-key "bomb" costs no more than its text.
    """
    if id(mapping) in active or depth > _MERGE_DEPTH:
        return []
    active = active | {id(mapping)}
    merged: list[tuple[Node, Node]] = []
    own: list[tuple[Node, Node]] = []
    done: set[int] = set()
    for key, value in mapping.pairs:
        if isinstance(key, Scalar) and key.is_plain and key.value == MERGE_KEY:
            sources = value.items if isinstance(value, Sequence) else [value]
            # In a sequence of merged mappings the earlier ones take precedence: add them last.
            for source in reversed(sources):
                if isinstance(source, Mapping) and id(source) not in done:
                    done.add(id(source))
                    merged.extend(_merged_pairs(source, active, depth + 1))
        else:
            own.append((key, value))
    return merged + own


@dataclass(frozen=True)
class DuplicateKey:
    key: Scalar
    first: Scalar


@dataclass(frozen=True)
class SyntaxProblem:
    """A document that does not parse: the parser's words and where it stopped."""

    problem: str
    context: str | None
    line: int
    column: int
    context_line: int | None
    context_column: int | None


@dataclass(eq=False)
class Document:
    """One YAML document of a file: its root node, or the syntax problem that kept it from parsing."""

    index: int  # 0-based position of the document in its file
    start_line: int
    end_line: int
    start: int  # character offsets into the file text
    end: int
    root: Node | None = None
    syntax_error: SyntaxProblem | None = None
    duplicates: list[DuplicateKey] = field(default_factory=list)
    limit: LimitProblem | None = None  # a hard cap was exceeded: the document was not built



@dataclass(frozen=True)
class LimitProblem:
    what: str  # "file size", "scalar size", "nesting depth", "alias expansion"
    limit: int
    found: int
    line: int
    column: int


_SIMPLE_ESCAPES = {"x": 2, "u": 4, "U": 8}


def value_span(source: SourceText, scalar: Scalar, start: int, end: int | None = None) -> Span:
    """The span of the characters `value[start:end]` of a scalar, in the file.

    Exact for scalars on one line in every style (quotes and escapes are accounted for) and for literal
    block scalars; for other multi-line scalars the whole scalar's span is the honest answer.
    """
    end = start + 1 if end is None else max(end, start + 1)
    first = _value_index(source, scalar, start)
    last = _value_index(source, scalar, min(end, len(scalar.value)) - 1) if scalar.value else None
    if first is None or last is None:
        return scalar.span
    return Span.of(source, first, last + 1)


def _value_index(source: SourceText, scalar: Scalar, offset: int) -> int | None:
    """The file offset of character `offset` of the scalar's value, or None where it cannot be exact."""
    raw = source.text[scalar.span.start : scalar.span.end]
    if offset >= len(scalar.value):
        # one past the end: just after the last character (before a closing quote)
        if scalar.value and (inner := _value_index(source, scalar, len(scalar.value) - 1)) is not None:
            return inner + 1
        return None
    if scalar.style in ("|",):
        return _literal_index(source, scalar, offset)
    if "\n" in raw or "\r" in raw:
        return None
    if scalar.style == "":
        return scalar.span.start + offset if raw.startswith(scalar.value) else None
    if scalar.style == "'":
        return _quoted_index(raw, scalar, offset, single=True)
    if scalar.style == '"':
        return _quoted_index(raw, scalar, offset, single=False)
    return None


def _quoted_index(raw: str, scalar: Scalar, offset: int, single: bool) -> int | None:
    position, produced = 1, 0
    while position < len(raw) - 1:
        step = 1
        if single and raw.startswith("''", position):
            step = 2
        elif not single and raw[position] == "\\":
            escape = raw[position + 1 : position + 2]
            step = 2 + _SIMPLE_ESCAPES.get(escape, 0)
        if produced == offset:
            return scalar.span.start + position
        produced += 1
        position += step
    return None


def _literal_index(source: SourceText, scalar: Scalar, offset: int) -> int | None:
    """Literal block scalars keep their lines: value line k is source line (header + 1 + k) less the indent."""
    before = scalar.value[:offset]
    value_line = before.count("\n")
    column_in_line = len(before) - (before.rfind("\n") + 1)
    line_number = scalar.span.line + 1 + value_line
    text = source.line_text(line_number)
    indent = _block_indent(source, scalar)
    if indent is None or column_in_line + indent >= len(text) + 1:
        return None
    return source.line_start(line_number) + indent + column_in_line


def _block_indent(source: SourceText, scalar: Scalar) -> int | None:
    header = source.text[scalar.span.start : source.line_start(scalar.span.line + 1)] if (
        scalar.span.line < source.line_count
    ) else ""
    explicit = re.search(r"[1-9]", header.split("#")[0])
    for line in range(scalar.span.line + 1, scalar.span.end_line + 1):
        text = source.line_text(line)
        if text.strip():
            if explicit:
                # the indicator counts from the parent's indentation, which is that of the key's line
                parent = len(source.line_text(scalar.span.line)) - len(source.line_text(scalar.span.line).lstrip(" "))
                return parent + int(explicit.group())
            return len(text) - len(text.lstrip(" "))
    return None
