"""LSP positions: a line (split at LF, CRLF and CR only, as LSP says) and a character offset counted in the
negotiated position encoding's code units: UTF-16 by default, UTF-8 or UTF-32 where client and server agree.

vmlint's own positions are character offsets into the decoded text (YAML breaks lines at NEL, LS and PS too), so
every position the server sends is made from an offset here, never from a finding's line and column directly.
"""

from __future__ import annotations

import bisect
import re

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
_BREAK = re.compile(r"\r\n|\r|\n")


def units(text: str, encoding: str) -> int:
    """How many code units `text` takes in `encoding`."""
    if encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


class LineIndex:
    """Offsets to LSP positions and back, for one text."""

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self.encoding = encoding
        self.starts = [0, *(match.end() for match in _BREAK.finditer(text))]

    def position(self, offset: int) -> tuple[int, int]:
        """(line, character), 0-based, of the character offset `offset`."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        if offset > self._line_end(line):  # between CR and LF: the end of the line's content
            offset = self._line_end(line)
        return line, units(self.text[self.starts[line] : offset], self.encoding)

    def offset(self, line: int, character: int) -> int:
        """The character offset of an LSP position; past a line's end is its end, past the last line the text's."""
        if line >= len(self.starts):
            return len(self.text)
        start, end = self.starts[max(line, 0)], self._line_end(max(line, 0))
        count = 0
        for index in range(start, end):
            count += units(self.text[index], self.encoding)
            if count > character:
                return index
        return end

    def end(self) -> tuple[int, int]:
        return self.position(len(self.text))

    def _line_end(self, line: int) -> int:
        """The offset just past a line's content, before its break."""
        if line + 1 < len(self.starts):
            following = self.starts[line + 1]
            return following - (2 if self.text[following - 2 : following] == "\r\n" else 1)
        return len(self.text)
