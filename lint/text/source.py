"""Source files as text, with the line table every position in vmlint is computed against.

Positions are 1-based lines and 1-based columns counted in Unicode code points, after a UTF-8 byte-order
mark is removed: the same convention as the YAML parsers' marks, so a parser position can be shown under
the right character of the source line.
"""

from __future__ import annotations

import bisect
import codecs
import re
from dataclasses import dataclass, field
from itertools import accumulate

# YAML line breaks (YAML 1.1, which both libyaml and ruamel.yaml's reader follow for counting lines):
# CR LF, CR, LF, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR.
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_BREAKS = "\r\n\x85\u2028\u2029"
# Characters other than LF where YAML or str.splitlines would break a line.
_NOT_LF_ONLY = re.compile("[\r\x85\u2028\u2029\x0b\x0c\x1c\x1d\x1e]")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class DecodeError(ValueError):
    """The bytes of a file are not text in an encoding YAML allows."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Position:
    """A 1-based line and column (in code points)."""

    line: int
    column: int


@dataclass
class SourceText:
    """The decoded text of one input, with its line starts.

    `bom` and `newline` record what the file used so that a later rewrite can keep them.
    """

    text: str
    bom: bool = False
    encoding: str = "utf-8"
    _starts: list[int] | None = field(default=None, repr=False)

    @property
    def starts(self) -> list[int]:
        """The offset of each line's first character, computed when a position is first asked for (a file
        without findings and without documents to build never needs it)."""
        if self._starts is None:
            self._starts = _line_starts(self.text)
        return self._starts

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def position(self, index: int) -> Position:
        """The line and column of the character at `index` (0-based offset into `text`)."""
        starts = self.starts
        index = max(0, min(index, len(self.text)))
        line = bisect.bisect_right(starts, index) - 1
        return Position(line + 1, index - starts[line] + 1)

    def offset(self, line: int, column: int) -> int:
        """The 0-based offset of a 1-based line and column."""
        starts = self.starts
        line = max(1, min(line, len(starts)))
        return min(starts[line - 1] + column - 1, len(self.text))

    def is_line_start(self, index: int) -> bool:
        if index <= 0 or index > len(self.text):
            return index == 0
        before = self.text[index - 1]
        if before == "\r":
            return self.text[index : index + 1] != "\n"  # between CR and LF is inside one line break
        return before in _BREAKS

    def line_start(self, line: int) -> int:
        return self.starts[line - 1]

    def line_text(self, line: int) -> str:
        """The text of a 1-based line without its line break ('' past the end)."""
        starts = self.starts
        if line < 1 or line > len(starts):
            return ""
        start = starts[line - 1]
        end = starts[line] if line < len(starts) else len(self.text)
        return _BREAK.sub("", self.text[start:end], count=1) if end > start else ""


def _line_starts(text: str) -> list[int]:
    """Line starts by YAML's line breaks; with only LF breaks (almost every file), str.splitlines and
    itertools.accumulate find them in C, ten times faster than a regular expression's match objects."""
    if _NOT_LF_ONLY.search(text) is None:
        starts = [0, *accumulate(map(len, text.splitlines(True)))]
        if text and not text.endswith("\n"):
            starts.pop()  # the end of a last line without a break is not a line start
        return starts
    return [0, *(match.end() for match in _BREAK.finditer(text))]


def decode(data: bytes) -> SourceText:
    """Decode file bytes the way a YAML reader does: UTF-8 unless a byte-order mark says UTF-16 or UTF-32.

    Invalid UTF-8 raises DecodeError with the position of the first bad byte, so that the caller can report
    it as a finding at an exact place rather than crash or silently replace characters.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data[len(bom):], encoding, bom=True)
    nul = data.find(b"\0")
    if nul >= 0:  # UTF-16/32 without a byte-order mark is legal YAML but never a manifest: this is binary
        good = data[:nul].decode("utf-8", errors="replace")
        where = SourceText(good).position(len(good))
        raise DecodeError(f"the file is binary, not YAML (a NUL byte at offset {nul})", where.line, where.column)
    return _decode(data, "utf-8", bom=False)


def _decode(data: bytes, encoding: str, bom: bool) -> SourceText:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        good = data[: err.start].decode(encoding, errors="replace")
        where = SourceText(good).position(len(good))
        raise DecodeError(
            f"the file is not valid {encoding.upper()}: byte 0x{data[err.start]:02x} at offset {err.start}"
            " cannot be decoded",
            where.line,
            where.column,
        ) from None
    return SourceText(text, bom=bom, encoding=encoding)
