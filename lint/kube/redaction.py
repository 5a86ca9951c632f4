"""Secret values never leave vmlint: what a report would quote is shown as `<Secret data, N bytes>`.

A Secret's `data` and `stringData` values (and the copy of them in `kubectl.kubernetes.io/last-applied-configuration`)
must not reach a report, a CI log or a baseline, whether the Secret comes from an export (`kubectl get -o yaml`)
or from a manifest of the repository: reports are uploaded, annotated on pull requests and kept in CI logs that
more people read than the repository's Secrets. Findings carry two pieces of file text, the source line and the
excerpt: any part of them that lies in such a value is replaced (the position still points into it). A message or
hint that contains a whole Secret value of the run (a check quoting decoded cloud-init user data, say) has it
replaced too.
"""

from __future__ import annotations

import base64
import binascii
import bisect
from collections import deque
from collections.abc import Iterable

from lint.kube.objects import KubeObject
from lint.text.interest import kind_pattern
from lint.text.nodes import Document, Mapping, Scalar
from lint.text.source import SourceText

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SECRET_KIND = kind_pattern("Secret")
MIN_QUOTED = 6  # shorter values ("true", "prod") are too common to hunt for in messages


def placeholder(size: int) -> str:
    return f"<Secret data, {size} bytes>"


def _size(value: Scalar, encoded: bool) -> int:
    if encoded:
        try:
            return len(base64.b64decode("".join(value.value.split()), validate=True))
        except (binascii.Error, ValueError):
            pass
    return len(value.value.encode("utf-8"))


def is_secret(obj: KubeObject) -> bool:
    return obj.kind == "Secret" and obj.group == ""


def secret_ranges(objects: Iterable[KubeObject]) -> list[tuple[int, int, int]]:
    """(start, end, decoded size) of every value of a Secret in these objects, by file offset: an export's or a
    manifest's alike, since a report may land in a CI log (no Secret value in any output)."""
    ranges = []
    for obj in objects:
        if not is_secret(obj):
            continue
        for field, encoded in (("data", True), ("stringData", False)):
            values = obj.node.get(field)
            if isinstance(values, Mapping):
                for _, value in values.entries():
                    ranges.append((value.span.start, value.span.end,
                                   _size(value, encoded) if isinstance(value, Scalar) else value.span.end - value.span.start))
        metadata = obj.metadata
        annotations = metadata.get("annotations") if metadata is not None else None
        applied = annotations.get(LAST_APPLIED) if isinstance(annotations, Mapping) else None
        if applied is not None:
            ranges.append((applied.span.start, applied.span.end,
                           _size(applied, False) if isinstance(applied, Scalar) else 0))
    return ranges


def redact_text(source: SourceText, line: int, text: str, ranges: list[tuple[int, int, int]]) -> str:
    """The text of `line` with every part that lies in a Secret value replaced."""
    if not ranges:
        return text
    line_start = source.line_start(line)
    line_end = line_start + len(text)
    pieces, at = [], line_start
    for start, end, size in sorted(ranges):
        if end <= line_start or start >= line_end or start < at and end <= at:
            continue
        begin = max(start, at)
        pieces.append(source.text[at:begin])
        pieces.append(placeholder(size))
        at = min(end, line_end)
    if not pieces:
        return text
    pieces.append(source.text[at:line_end])
    return "".join(pieces)


def unbuilt_secret(source: SourceText, documents: Iterable[Document], start: int) -> bool:
    """Whether the offset lies in a document that names a Secret but was not built (a syntax error, say)."""
    for document in documents:
        if document.start <= start < max(document.end, document.start + 1):
            return document.root is None and SECRET_KIND.search(source.text, document.start, document.end) is not None
    return False


def overlaps(start: int, end: int, ranges: list[tuple[int, int, int]]) -> tuple[int, int, int] | None:
    for found in ranges:
        if found[0] < max(end, start + 1) and start < found[1]:
            return found
    return None


class Scrubber:
    """Replaces one run's Secret values in messages and hints; made once per run.

    Every whole value found in the text is replaced, value by value in their order; a replacement changes the
    text, so the values after it are looked for in the new text. Looking for each of a run's thousands of values
    in each message cost a tenth of a cold run, and values sharing a beginning (every `#cloud-config`) made a
    message that quotes one look at all of them, which grew with the square of the run. So the text is read once:
    where a value's first MIN_QUOTED characters stand, the text's slices of each length some value with that
    beginning has (and that fits) are looked up among the values, which finds exactly the values that occur.
    """

    def __init__(self, values: Iterable[str]) -> None:
        self._values = [value for value in values if len(value) >= MIN_QUOTED]
        self._numbers: dict[str, list[int]] = {}  # value -> its numbers (a value may be given twice)
        lengths: dict[str, set[int]] = {}
        for number, value in enumerate(self._values):
            self._numbers.setdefault(value, []).append(number)
            lengths.setdefault(value[:MIN_QUOTED], set()).add(len(value))
        self._lengths = {prefix: sorted(found) for prefix, found in lengths.items()}  # by beginning, ascending
        self._first_characters = sorted({value[0] for value in self._values})

    def __call__(self, text: str | None) -> str | None:
        if not text or not self._values:
            return text
        waiting = deque(self._occurring(text, -1))
        while waiting:
            number = waiting.popleft()
            value = self._values[number]
            if value in text:
                text = text.replace(value, placeholder(len(value.encode("utf-8"))))
                waiting = deque(self._occurring(text, number))
        return text

    def _occurring(self, text: str, after: int) -> list[int]:
        """The numbers above `after` of the values that occur in `text`, in order. Only the positions holding a
        value's first character are looked at, found with str.find."""
        found: set[int] = set()
        lengths_of, numbers_of = self._lengths, self._numbers
        size = len(text)
        for first in self._first_characters:
            start = text.find(first)
            while 0 <= start <= size - MIN_QUOTED:
                lengths = lengths_of.get(text[start : start + MIN_QUOTED])
                if lengths:
                    for length in lengths[: bisect.bisect_right(lengths, size - start)]:
                        numbers = numbers_of.get(text[start : start + length])
                        if numbers:
                            found.update(numbers)
                start = text.find(first, start + 1)
        return sorted(number for number in found if number > after)
