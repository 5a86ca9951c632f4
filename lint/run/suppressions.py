"""Inline suppressions: `# vmlint: disable=VM301 -- reason` comments and the `vmlint.io/ignore` annotation.

- `# vmlint: disable=CODES` at the end of a line: findings that start on that line;
- `# vmlint: disable-next-line=CODES` on a line of its own: findings on the next line with content;
- `# vmlint: disable-file=CODES` anywhere: findings anywhere in the file;
- `vmlint.io/ignore: "CODES"` in an object's metadata.annotations: findings inside that object.

CODES is a comma-separated list of rule codes or prefixes; `-- reason` may follow. A suppression that
suppresses nothing is itself reported (VM090), so stale ones do not pile up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from lint.kube.loading import LoadedFile
from lint.text.interest import any_of
from lint.text.nodes import Mapping, Node, Scalar, Sequence, Span

IGNORE_ANNOTATION = "vmlint.io/ignore"
# A document with a directive (`# vmlint: ...` or the ignore annotation) is built, so that a directive is told
# apart from the same text inside a string, and an annotation knows which object it covers.
SUPPRESSION_INTEREST = any_of("vmlint")
# Within one line: YAML breaks lines at CR, LF, NEL, LS and PS, so `\s` and `.` would run on into the next one.
_COMMENT = re.compile(
    r"(?:^|(?<=\s))#[ \t]*vmlint:[ \t]*(?P<kind>disable|disable-next-line|disable-file)[ \t]*=[ \t]*"
    r"(?P<codes>[A-Za-z0-9]+(?:[ \t]*,[ \t]*[A-Za-z0-9]+)*)(?:[ \t]+--[ \t]*(?P<reason>[^\r\n\x85\u2028\u2029]*))?"
)
DIRECTIVE_COMMENT = _COMMENT  # what the language server hovers over
_BREAK = re.compile("[\r\n\x85\u2028\u2029]")
_CONTENT = re.compile(r"\s*(?:#.*)?")
_KINDS = {"disable": "line", "disable-next-line": "next-line", "disable-file": "file"}


@dataclass
class Directive:
    kind: str  # "line", "next-line", "file", "annotation"
    codes: tuple[str, ...]
    span: Span  # where the directive is written (for VM090)
    lines: tuple[int, int]  # first and last line it covers
    reason: str | None = None
    source_line: str = ""
    used: set[str] = field(default_factory=set)

    def covers(self, code: str, line: int) -> str | None:
        """The directive's code or prefix that matches, if it covers a finding of `code` on `line`."""
        if not self.lines[0] <= line <= self.lines[1]:
            return None
        return next((entry for entry in self.codes if code.startswith(entry)), None)


def directives(loaded: LoadedFile) -> list[Directive]:
    """Every suppression written in a file: comments (outside any scalar) and ignore annotations."""
    source = loaded.source
    if source is None:
        return []
    found: list[Directive] = []
    for match in _comments(source.text):
        if _inside_scalar(loaded, match.start()):
            continue
        span = Span.of(source, match.start(), match.end())
        codes = tuple(code.strip().upper() for code in match.group("codes").split(","))
        kind = match.group("kind")
        if kind == "disable-file":
            lines = (1, source.line_count)
        elif kind == "disable-next-line":
            target = next(
                (n for n in range(span.line + 1, source.line_count + 1) if not _CONTENT.fullmatch(source.line_text(n))),
                span.line + 1,
            )
            lines = (target, target)
        else:
            lines = (span.line, span.line)
        reason = (match.group("reason") or "").strip() or None
        found.append(Directive(_KINDS[kind], codes, span, lines, reason, source.line_text(span.line)))
    for obj in loaded.objects:
        metadata = obj.metadata
        annotations = metadata.get("annotations") if metadata else None
        entry = annotations.entry(IGNORE_ANNOTATION) if isinstance(annotations, Mapping) else None
        if entry is None or not isinstance(entry[1], Scalar):
            continue
        codes = tuple(code.strip().upper() for code in entry[1].value.split(",") if code.strip())
        node_span = obj.node.span
        found.append(Directive("annotation", codes, entry[1].span, (node_span.line, node_span.end_line),
                               source_line=source.line_text(entry[1].span.line)))
    return found


def _comments(text: str) -> Iterator[re.Match[str]]:
    """Directive comments, found by a substring search first: a regular expression tried at every offset
    of a large file costs seconds."""
    at = text.find("vmlint:")
    while at >= 0:
        line_start = max(text.rfind(mark, 0, at) for mark in "\r\n\x85\u2028\u2029") + 1
        following = _BREAK.search(text, at)
        match = _COMMENT.search(text, line_start, following.start() if following else len(text))
        if match and match.start() <= at:
            yield match
        at = text.find("vmlint:", at + 7)


def _inside_scalar(loaded: LoadedFile, offset: int) -> bool:
    """A `#` inside a quoted or block scalar is text, not a comment."""
    for document in loaded.documents:
        if not document.start <= offset < document.end or document.root is None:
            continue
        stack: list[Node] = [document.root]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in seen or not node.span.start <= offset < max(node.span.end, node.span.start + 1):
                continue
            seen.add(id(node))
            if isinstance(node, Scalar):
                return True
            if isinstance(node, Mapping):
                stack.extend(part for pair in node.pairs for part in pair)
            elif isinstance(node, Sequence):
                stack.extend(node.items)
    return False


def suppressed(directives_: Iterable[Directive], code: str, line: int) -> bool:
    """Mark and answer whether a finding of `code` starting on `line` is suppressed."""
    hit = False
    for directive in directives_:
        matched = directive.covers(code, line)
        if matched is not None:
            directive.used.add(matched)
            hit = True
    return hit


def unused(directives_: Iterable[Directive], known_codes: set[str], enabled: set[str]) -> Iterator[tuple[Directive, str, str]]:
    """(directive, code, why) for every code of a directive that suppressed nothing.

    A code whose rules are all disabled in this run cannot be judged and is left alone; an unknown one is
    reported as such.
    """
    for directive in directives_:
        for code in directive.codes:
            if code in directive.used:
                continue
            if not any(known.startswith(code) for known in known_codes):
                yield directive, code, f"{code} is not a vmlint rule code"
            elif any(rule.startswith(code) for rule in enabled):
                yield directive, code, f"it suppresses no {code} finding"
