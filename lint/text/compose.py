"""YAML text composed into position-carrying node trees (lint.text.nodes).

This is the only module that talks to the YAML parser. It composes nodes (it never constructs Python
objects, so no tag can make it run code), converts them into small node classes whose every key and value
knows its exact span in the file, and records what a linter must report about the YAML itself: syntax errors
(per document, so that one broken document does not hide the others) and repeated mapping keys.

The C-based libyaml parser is used when it is installed (about twenty times faster); the pure-Python parser
is the fallback and is also used to word syntax errors, so messages do not depend on which one is present.
"""


import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ruamel.yaml.composer import ComposerError
from ruamel.yaml.docinfo import DocInfo
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.parser import Parser
from ruamel.yaml.reader import Reader, ReaderError
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scanner import Scanner
from ruamel.yaml.tag import Tag

from lint.text.nodes import (
    MERGE_KEY,
    PLAIN_TAG,
    STR_TAG,
    Document,
    DuplicateKey,
    LimitProblem,
    Mapping,
    Node,
    Scalar,
    Sequence,
    Span,
    SyntaxProblem,
)
from lint.text.source import SourceText

try:  # the C extension is optional: ruamel.yaml[libyaml]
    from ruamel.yaml.cyaml import CParser as _CParser
except ImportError:  # pragma: no cover - depends on the platform
    _CParser = None


class _PositionResolver(VersionedResolver):
    """Leaves plain scalars untyped: YAML 1.2 and Kubernetes (YAML 1.1 via go-yaml) disagree on `yes` or `on`."""

    _plain = Tag(suffix=PLAIN_TAG)

    def resolve(self, kind, value, implicit):  # type: ignore[no-untyped-def]
        if kind is ScalarNode:
            return self._plain if implicit[0] else self.DEFAULT_SCALAR_TAG
        return super().resolve(kind, value, implicit)


class _PureComposer(Reader, Scanner, Parser, _PositionResolver):
    """The pure-Python parser, used for its events only (see _Builder)."""

    def __init__(self, stream: str) -> None:
        self.comment_handling = None
        # ruamel.yaml's scanner writes the version of a %YAML directive into its loader's document information,
        # which only its YAML() front end creates: without it every %YAML directive the scanner meets is an
        # AttributeError instead of YAML.
        self.doc_infos = [DocInfo()]
        Reader.__init__(self, stream, loader=self)
        Scanner.__init__(self, loader=self)
        Parser.__init__(self, loader=self)
        _PositionResolver.__init__(self, None, self)


if _CParser is not None:

    class _CComposer(_CParser, _PositionResolver):  # type: ignore[misc, valid-type]
        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _PositionResolver.__init__(self, None, self)


def c_parser_available() -> bool:
    return _CParser is not None


_MARKER = re.compile(r"(?:---|\.\.\.)(?=[ \t\r\n\x85\u2028\u2029]|$)")
# The same after a line feed: a literal first character lets the search skip ahead, where `(?m)^` made it try
# every position of the text.
_MARKER_AFTER_LF = re.compile(r"\n(?:---|\.\.\.)(?=[ \t\r\n\x85\u2028\u2029]|$)")


def document_markers(text: str) -> Iterator[tuple[int, str]]:
    """Offset and text of each `---` or `...` that starts the text or follows a line feed."""
    first = _MARKER.match(text)
    if first:
        yield 0, first.group()
    for match in _MARKER_AFTER_LF.finditer(text):
        yield match.start() + 1, match.group()[1:]


def split_documents(source: SourceText) -> list[tuple[int, int]]:
    """Cut a stream into chunks of one document each, by the `---` and `...` markers at column 0.

    The markers are reserved at the start of a line in every YAML context (no scalar may contain them there),
    so this text split is exact; it lets one document fail to parse without hiding the others. A chunk holding
    only directives, comments or blank lines is joined to the next, since directives belong to what follows.
    """
    text = source.text
    cuts = [0]
    for start, marker in document_markers(text):
        if not source.is_line_start(start):
            continue  # a marker after a line break YAML counts but the regular expression does not
        if marker == "---":
            cuts.append(start)
        else:
            following = source.position(start).line + 1
            if following <= source.line_count:
                cuts.append(source.line_start(following))
    cuts = sorted(set(cuts)) + [len(text)]
    chunks: list[tuple[int, int]] = []
    pending = None
    for begin, end in zip(cuts, cuts[1:]):
        if pending is not None:
            begin = pending
            pending = None
        if end < len(text) and _only_preamble(text, begin, end):
            if "%" in text[begin:end]:
                pending = begin
                continue
        chunks.append((begin, end))
    return chunks


def _only_preamble(text: str, begin: int, end: int) -> bool:
    """Whether every line of the chunk (as str.splitlines cuts it) is blanks, then nothing, a comment or a directive.

    Answered without splitting the chunk into lines (a multi-megabyte document was split whole to look at its
    first line): a chunk whose first non-blank character starts no comment or directive is content; else the
    chunk is searched for a line that starts, after blanks, with anything else."""
    first = _NOT_SPACE.search(text, begin, end)
    if first is None:
        return True
    if text[first.start()] not in "%#":
        return False
    return _CONTENT_LINE.search(text[begin:end]) is None


_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # where str.splitlines splits
_NOT_SPACE = re.compile(r"\S")
_CONTENT_LINE = re.compile(r"(?:\A|(?<=[" + _LINE_BREAKS + r"]))[^\S" + _LINE_BREAKS + r"]*[^\s%#]")


@dataclass(frozen=True)
class Limits:
    """Hard caps that keep hostile input bounded in time and memory; exceeding one is a VM005 finding.

    Nesting is built iteratively, so depth is a cap on what downstream tools survive, not on vmlint; alias
    expansion is what a naive consumer (kubectl's converter) would materialise, counted without expanding.
    """

    file_bytes: int = 64 * 1024 * 1024
    scalar_chars: int = 1024 * 1024
    depth: int = 1000
    expanded_nodes: int = 1_000_000



class _LimitExceeded(Exception):
    def __init__(self, what: str, limit: int, found: int, index: int) -> None:
        super().__init__(what)
        self.what, self.limit, self.found, self.index = what, limit, found, index


class _MisplacedDirective(YAMLError):
    """A directive (`%YAML`, `%TAG`) where a document is still open: the parsers only say that they expected a
    document start somewhere after it, or name the `<directive>` token they found."""

    def __init__(self, name: str, index: int) -> None:
        self.problem = f"a {name} directive is only allowed before a document starts"
        super().__init__(self.problem)
        self.index = index


_DIRECTIVE_NAME = re.compile(r"%[0-9A-Za-z_-]*")


# An anchor or alias may stand in the text: events alone (raw parsing) do not show an undefined or recursive
# alias, or an alias bomb, so such a document is built even when no rule reads it. Stray `*` in plain text
# (a cron schedule, a glob) costs a build, nothing more. The hint is a `*` or `&` that starts the text or follows
# whitespace, `[`, `{` or `,`, and is followed by a character that may begin an anchor name.
_ALIAS_START = re.compile(r"[*&][^\s,\[\]{}]")
_ALIAS_AFTER = frozenset("[{,")


def alias_hint(text: str) -> bool:
    """Whether an anchor or alias may stand in `text`.

    A regular expression that also matched the character before the `*` or `&` tried every position of the
    text (a tenth of a cold run went to it on multi-megabyte files); finding the `*` and `&` first and then
    looking one character back answers the same.
    """
    if "*" not in text and "&" not in text:
        return False
    for match in _ALIAS_START.finditer(text):
        at = match.start()
        if at == 0:
            return True
        before = text[at - 1]
        if before in _ALIAS_AFTER or before.isspace():
            return True
    return False


# libyaml accepts a directive after a document no `...` ended when a `---` follows it; kubectl, which parses each
# `---` chunk on its own, does not: a file with a directive past its first line is checked chunk by chunk.
_LATER_DIRECTIVE = re.compile("[\r\n\x85\u2028\u2029]%")


def later_directive(text: str) -> bool:
    """Whether a `%` starts any line but the first (a directive there is read differently by libyaml and kubectl)."""
    return "%" in text and _LATER_DIRECTIVE.search(text) is not None

Relevance = Callable[[str, list[tuple[int, int]]], list[bool]]  # (text, chunks) -> build each chunk?
ItemRelevance = Callable[[str, int, int], bool]  # (text, start, end) -> build this item of a `*List`?
_LIST_HINT = re.compile(r"List\b")  # a `*List` names its kind; its items are left to _ListItems


def _is_list(roots: list[Node]) -> bool:
    """Whether the document is a `*List` as lint.kube.objects.objects_in reads one (its items are objects)."""
    if len(roots) != 1 or not isinstance(roots[0], Mapping):
        return False
    root = roots[0]
    api_version, kind, items = root.get("apiVersion"), root.get("kind"), root.get("items")
    return (isinstance(api_version, Scalar) and isinstance(kind, Scalar) and kind.value.endswith("List")
            and isinstance(items, Sequence))


def load_documents(
    source: SourceText, use_c: bool = True, limits: Limits = Limits(), relevant: Relevance | None = None,
    items: ItemRelevance | None = None,
) -> list[Document]:
    """Parse every document of a file, each on its own, with positions relative to the whole file.

    With `relevant`, documents that cannot matter to any rule are only checked for syntax, by libyaml in C
    without building a Python object, and leave no Document behind unless they are broken. With `items`, so
    are the items of a `*List` (a cluster export: `kubectl get ... -o yaml`) that no rule reads (_ListItems).
    """
    use_c = use_c and _CParser is not None
    chunks = split_documents(source)
    wanted = relevant(source.text, chunks) if relevant is not None and use_c else [True] * len(chunks)
    if not any(wanted) and chunks and not alias_hint(source.text) and not later_directive(source.text):
        try:
            _CComposer(source.text).raw_parse()
            return []  # nothing anyone lints, and all of it parses
        except YAMLError:
            pass  # find the broken documents one by one
    documents: list[Document] = []
    for (begin, end), want in zip(chunks, wanted):
        chunk = source.text[begin:end]
        if not want:
            try:
                _CComposer(chunk).raw_parse()
                if not alias_hint(chunk):
                    continue
            except YAMLError:
                pass  # build it below, so that the error is worded and placed like any other
        first = source.position(begin).line
        last = source.position(max(begin, end - 1)).line
        builder = _Builder(source, begin, limits)
        if items is not None and use_c and _LIST_HINT.search(chunk) and not alias_hint(chunk):
            keep = items
            error = builder.run(chunk, use_c, lambda start, stop: keep(source.text, begin + start, begin + stop))
            if error is None and builder.left_out and not _is_list(builder.roots):
                builder = _Builder(source, begin, limits)  # the root is no `*List`: its `items` are its own
                error = builder.run(chunk, use_c)
        else:
            error = builder.run(chunk, use_c)
        if isinstance(error, YAMLError) and use_c:
            # The pure parser words the error; where it accepts what libyaml rejects (YAML 1.2 allows
            # `{image: example.com/disk:1}` in flow context, as go-yaml does), its document is the one kept.
            builder = _Builder(source, begin, limits)
            error = builder.run(chunk, False)
        if isinstance(error, _LimitExceeded):
            at = source.position(begin + error.index)
            problem = LimitProblem(error.what, error.limit, error.found, at.line, at.column)
            documents.append(Document(len(documents), first, last, begin, end, limit=problem))
            continue
        if error is not None:
            documents.append(Document(len(documents), first, last, begin, end, syntax_error=_problem(error, source, begin)))
            continue
        if not want:
            continue  # built only to see that its aliases resolve (and to count their expansion): no rule reads it
        for root in builder.roots:
            documents.append(
                Document(len(documents), first, last, begin, end, root=root, duplicates=builder.duplicates)
            )
    return documents


def _problem(err: YAMLError, source: SourceText, offset: int) -> SyntaxProblem:
    """The parser's words and marks, with positions from the file's own line table (parsers disagree on
    how to count a final line break; their character indexes agree)."""
    if isinstance(err, _MisplacedDirective):
        where = source.position(offset + err.index)
        return SyntaxProblem(err.problem, None, where.line, where.column, None, None)
    if isinstance(err, ReaderError):  # a character YAML does not allow in a stream
        where = source.position(offset + max(err.position, 0))
        return SyntaxProblem(
            f"unacceptable character #x{err.character:04x}: control characters are not allowed in YAML",
            None, where.line, where.column, None, None,
        )
    if not isinstance(err, MarkedYAMLError):
        return SyntaxProblem(str(err).strip(), None, source.position(offset).line, 1, None, None)
    mark = err.problem_mark or err.context_mark
    where = source.position(offset + mark.index) if mark else source.position(offset)
    context = source.position(offset + err.context_mark.index) if err.context_mark else None
    return SyntaxProblem(
        problem=(err.problem or "invalid YAML").strip(),
        context=err.context.strip() if err.context else None,
        line=where.line,
        column=where.column,
        context_line=context.line if context else None,
        context_column=context.column if context else None,
    )


class _Builder:
    """Builds vmlint nodes straight from parser events, without recursion.

    The parsers' own composers recurse (ruamel.yaml's C composer overflows the C stack and crashes the
    process on 100,000 nested brackets); events are a flat stream, so nesting costs a list entry here. An
    alias is the anchored node itself, shared, never copied: alias "bombs" stay as small as their text, and
    their expanded size is counted bottom-up to report them.
    """

    def __init__(self, source: SourceText, offset: int, limits: Limits) -> None:
        self.source = source
        self.offset = offset
        self.limits = limits
        self.roots: list[Node] = []
        self.duplicates: list[DuplicateKey] = []
        self.shared: list[Mapping] = []  # mappings whose empty values may move a node written once, used twice
        self.left_out = 0  # items of a `*List` parsed but not built (_ListItems)
        self.anchors: dict[str, Node] = {}
        self.open = False  # between a document's start and end events
        self.directive_after_open_end: int | None = None  # offset of a directive that ended a document implicitly

    def run(self, chunk: str, use_c: bool,
            keep: Callable[[int, int], bool] | None = None) -> YAMLError | _LimitExceeded | None:
        """Build the chunk's document; with `keep`, only the items of its root's `items` that `keep` takes
        (chunk offsets), the others parsed but left out (_ListItems)."""
        parser = None
        try:
            parser = _CComposer(chunk) if use_c else _PureComposer(chunk)  # the reader checks characters here
            if keep is None:
                self._consume(parser)
            else:
                items = _ListItems(parser, keep, self.limits)
                self._consume(items)
                self.left_out = items.left_out
        except _LimitExceeded as err:
            return err
        except YAMLError as err:
            return self._misplaced_directive(chunk, err) or err
        finally:
            if parser is not None and hasattr(parser, "dispose"):
                parser.dispose()
        for mapping in self.shared:  # in the order they ended, as the loop would have met them
            self._place_empty_values(mapping)
        return None

    def _consume(self, parser: object) -> None:
        """Turn the event stream into nodes. The expanded size (what alias expansion would materialise) is a
        running count: every node adds one and every alias adds its target's whole size, so a collection's
        size is the count at its end minus the count at its start, and only anchored collections keep theirs.

        This loop builds every node of every document a rule reads, so it is written for speed: locals for
        what it looks up per event, and each node attached to its parent inline, where repeated keys are noted
        and an empty value is put after its key's colon (_place_empty_values runs after the loop only for the
        mappings where an anchored or aliased node takes part, whose place depends on every use of it)."""
        source, offset, limits = self.source, self.offset, self.limits
        scalar_chars, depth = limits.scalar_chars, limits.depth
        # per open collection: [node, start offset, anchor, count at start, key waiting for its value,
        #                       {key: first such key}, [repeated keys], holds a shared node]
        stack: list[list] = []  # type: ignore[type-arg]
        roots, anchors, duplicates, shared = self.roots, self.anchors, self.duplicates, self.shared
        count = 0
        sizes: dict[int, int] = {}  # expanded size of each anchored collection
        new_span = Span.__new__
        check_event, get_event = parser.check_event, parser.get_event  # type: ignore[attr-defined]
        while check_event():
            event = get_event()
            kind = type(event)
            if kind is ScalarEvent:
                value = event.value
                if len(value) > scalar_chars:
                    raise _LimitExceeded("scalar size", scalar_chars, len(value), event.start_mark.index)
                tag = event.ctag  # the slot behind ruamel's `tag` property, which is str() of it
                if tag is None:
                    tag = PLAIN_TAG if event.implicit[0] else STR_TAG
                else:
                    tag = str(tag)
                    if tag == "!":
                        tag = STR_TAG  # a lone `!` turns implicit typing off: the value is a string
                span = new_span(Span)
                span.start, span.end, span._lines, span._where = (
                    offset + event.start_mark.index, offset + event.end_mark.index, source, None)
                node: Node = Scalar(value, tag, event.style or "", span)
                count += 1
                if event.anchor is not None:
                    anchors[event.anchor] = node
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if len(stack) >= depth:
                    raise _LimitExceeded("nesting depth", depth, len(stack) + 1, event.start_mark.index)
                tag = "" if event.ctag is None else str(event.ctag)
                if kind is SequenceStartEvent:
                    node = Sequence([], tag or "tag:yaml.org,2002:seq", bool(event.flow_style), None)  # type: ignore[arg-type]
                else:
                    node = Mapping([], tag or "tag:yaml.org,2002:map", bool(event.flow_style), None)  # type: ignore[arg-type]
                stack.append([node, event.start_mark.index, event.anchor, count, None, None, None, False])
                count += 1
                if event.anchor is not None:
                    anchors[event.anchor] = node
                continue  # attached when it ends
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                node, start, anchor, before, _, _, repeated, holds_shared = stack.pop()
                node.span = Span.of(source, offset + start, offset + event.end_mark.index)
                if repeated:
                    duplicates.extend(repeated)
                if holds_shared:
                    shared.append(node)  # type: ignore[arg-type]
                size = count - before
                if size > limits.expanded_nodes:
                    raise _LimitExceeded("alias expansion", limits.expanded_nodes, size, start)
                if anchor is not None:
                    sizes[id(node)] = size
            elif kind is AliasEvent:
                target = anchors.get(event.anchor)
                if target is None:
                    raise ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
                if any(entry[0] is target for entry in stack):
                    raise ComposerError(None, None, f"found recursive alias {event.anchor!r}", event.start_mark)
                count += sizes.get(id(target), 1)
                node = target
            else:
                if kind is int:  # the nodes of an item _ListItems left out: they count as if built
                    count += event
                elif kind is DocumentStartEvent:
                    self.anchors = anchors = {}
                    self.open = True
                    self.directive_after_open_end = None
                elif kind is DocumentEndEvent:
                    self.open = False
                    at = event.start_mark.index  # an implicit end stands at the token that ended the document
                    if not event.explicit and self._directive_at(at):
                        self.directive_after_open_end = at
                continue
            # attach the node: to the roots, to its sequence, or to its mapping as a key or as the waiting key's value
            if not stack:
                roots.append(node)
                continue
            entry = stack[-1]
            parent = entry[0]
            if type(parent) is Sequence:
                parent.items.append(node)
            elif entry[4] is None:
                entry[4] = node
                if type(node) is not Scalar:
                    continue
                if event.anchor is not None:  # anchored or an alias: a key that may move as an empty value elsewhere
                    entry[7] = True
                if node.tag != PLAIN_TAG or node.value != MERGE_KEY:
                    seen = entry[5]
                    if seen is None:
                        entry[5] = {node.value: node}
                    elif node.value in seen:
                        if entry[6] is None:
                            entry[6] = []
                        entry[6].append(DuplicateKey(node, seen[node.value]))  # type: ignore[arg-type]
                    else:
                        seen[node.value] = node
            else:
                key = entry[4]
                parent.pairs.append((key, node))
                entry[4] = None
                if type(node) is Scalar and node.value == "":
                    if event.anchor is not None:
                        entry[7] = True
                    elif not entry[7]:
                        self._place_empty_value(key, node)

    def _directive_at(self, index: int) -> bool:
        """Whether a directive token starts at this chunk offset: a `%` at the start of a line."""
        start = self.offset + index
        return self.source.text.startswith("%", start) and self.source.is_line_start(start)

    def _misplaced_directive(self, chunk: str, err: YAMLError) -> _MisplacedDirective | None:
        """The error as the misplaced directive it is: a directive after a document that no `...` ended (the
        parsers then expect a `---` after it), or a directive token inside an open document."""
        at = self.directive_after_open_end
        if at is None and self.open and isinstance(err, MarkedYAMLError) and err.problem_mark is not None:
            index = err.problem_mark.index
            at = index if self._directive_at(index) else None
        if at is None:
            return None
        return _MisplacedDirective(_DIRECTIVE_NAME.match(chunk, at).group(), at)  # type: ignore[union-attr]

    def _place_empty_values(self, mapping: Mapping) -> None:
        """Put an empty value just after its key's colon, as libyaml does (the pure parser puts it at the next
        token, possibly lines later), so positions do not depend on the parser."""
        for key, value in mapping.pairs:
            if isinstance(value, Scalar) and value.value == "":
                self._place_empty_value(key, value)

    def _place_empty_value(self, key: Node, value: Scalar) -> None:
        """One empty value, after its key's colon: what _place_empty_values does for each pair of a mapping."""
        if value.span.start == value.span.end:
            colon = self.source.text.find(":", key.span.end, value.span.start + 1)
            if colon >= 0:
                value.span = Span.of(self.source, colon + 1, colon + 1)


class _ListItems:
    """A parser's events, less those of the items of the root mapping's `items` sequence that `keep` does not
    take: a cluster export is one `kind: List` document, and a rule reads few of its thousands of items.

    An item left out is parsed in full (libyaml checks its syntax), and stands in the stream as the number of
    its nodes, which the builder counts as if it had built them, so that the expansion limit answers as before.
    An item that could reach the nesting or scalar limits is kept, for the builder to report; a chunk with an
    anchor or alias is never filtered (an alias may name a node of a left-out item). Like a document no rule
    reads, an item left out yields no object and no repeated-key finding. The caller builds the chunk again
    without this filter when its root turns out not to be a `*List`."""

    def __init__(self, parser: object, keep: Callable[[int, int], bool], limits: Limits) -> None:
        self.parser, self.keep, self.limits = parser, keep, limits
        self.left_out = 0
        self._events = self._filtered()
        self._next: object = None

    def check_event(self) -> bool:
        if self._next is None:
            self._next = next(self._events, None)
        return self._next is not None

    def get_event(self) -> object:
        event = self._next if self._next is not None else next(self._events)
        self._next = None
        return event

    def _filtered(self) -> Iterator[object]:
        check_event, get_event = self.parser.check_event, self.parser.get_event  # type: ignore[attr-defined]
        depth = 0  # collections open
        key_next = True  # in the root mapping: the next node at depth 1 is a key
        key: str | None = None  # the root mapping's key whose value comes next
        in_items = False  # in the root mapping's `items` sequence
        in_root = False  # the root is a mapping
        while check_event():
            event = get_event()
            kind = type(event)
            if in_items and depth == 2 and kind is MappingStartEvent:
                yield from self._item(event, get_event)
                continue
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                depth += 1
                if depth == 1:
                    in_root = kind is MappingStartEvent
                elif depth == 2 and in_root and not key_next and key == "items" and kind is SequenceStartEvent:
                    in_items = True
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                depth -= 1
                if depth == 1:
                    in_items = False
                    key_next = not key_next
            elif depth == 1 and (kind is ScalarEvent or kind is AliasEvent):
                if key_next:
                    key = event.value if kind is ScalarEvent else None  # type: ignore[attr-defined]
                key_next = not key_next
            yield event

    def _item(self, start: object, get_event: Callable[[], object]) -> Iterator[object]:
        """One item's events, or the number of its nodes where `keep` does not take it."""
        events = [start]
        open_, deepest, nodes, long_scalar = 1, 1, 1, False
        while open_:
            event = get_event()
            events.append(event)
            kind = type(event)
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                open_ += 1
                nodes += 1
                deepest = max(deepest, open_)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                open_ -= 1
            else:
                nodes += 1
                long_scalar = long_scalar or len(getattr(event, "value", "")) > self.limits.scalar_chars
        near_limit = long_scalar or 2 + deepest >= self.limits.depth
        if near_limit or self.keep(start.start_mark.index, event.end_mark.index):  # type: ignore[attr-defined]
            yield from events
        else:
            self.left_out += 1
            yield nodes
