"""The YAML layer and the object model: documents, positions, encodings, scalar types, lists."""

from __future__ import annotations

import re

import pytest
from conftest import require_corpus
from helpers import lint_text, vm_with, where
from hypothesis import given, settings
from hypothesis import strategies as st

from lint.core.catalogue import builtin_catalogue
from lint.kube.loading import load_file
from lint.kube.objects import objects_in
from lint.run.engine import RunOptions, bind, interest_of, select_rules
from lint.text.compose import alias_hint, c_parser_available, document_markers, later_directive, load_documents
from lint.text.interest import Interest
from lint.text.nodes import Scalar, Sequence, value_span
from lint.text.scalars import scalar_type
from lint.text.source import Position, decode

BAD = vm_with("pre.hook.backup.velero.io/command: '[\"a\",]'")


def _tree(node):
    """A comparable picture of a node tree: types, values and every span."""
    if isinstance(node, Scalar):
        return ("S", node.value, node.tag, node.style, node.span)
    if isinstance(node, Sequence):
        return ("Q", node.flow, node.span, [_tree(item) for item in node.items])
    return ("M", node.flow, node.span, [(_tree(k), _tree(v)) for k, v in node.pairs])


@pytest.mark.skipif(not c_parser_available(), reason="the C parser (ruamel.yaml[libyaml]) is not installed")
def test_c_and_pure_parsers_give_identical_trees_on_the_real_corpus() -> None:
    compared = 0
    for path in sorted(require_corpus().glob("*.y*ml")):
        source = decode(path.read_bytes())
        fast, pure = load_documents(source, use_c=True), load_documents(source, use_c=False)
        assert [d.syntax_error for d in fast] == [d.syntax_error for d in pure], path.name
        for a, b in zip(fast, pure):
            if a.root is not None:
                assert _tree(a.root) == _tree(b.root), path.name
                compared += 1
    assert compared > 40


@pytest.mark.parametrize(
    ("transform", "name"),
    [
        (lambda b: b.replace(b"\n", b"\r\n"), "CRLF"),
        (lambda b: b"\xef\xbb\xbf" + b, "UTF-8 BOM"),
        (lambda b: b"\xef\xbb\xbf" + b.replace(b"\n", b"\r\n"), "BOM and CRLF"),
        (lambda b: "\ufeff".encode("utf-16-le")[0:0] + b"\xff\xfe" + b.decode().encode("utf-16-le"), "UTF-16 BOM"),
    ],
)
def test_encodings_and_line_endings_give_the_same_positions(transform, name) -> None:
    plain = lint_text(BAD, select=("VM102",))
    assert where(plain) == [("VM102", 10, 50)]
    assert where(lint_text(transform(BAD.encode()), select=("VM102",))) == where(plain), name


def test_documents_are_split_at_markers_only_at_column_zero() -> None:
    text = (
        "%YAML 1.2\n---\na: 1\n...\n# between\n---\nb: |\n  --- not a marker\n  text\n---\n"
        "--- # empty\nc: 3\n"
    )
    docs = load_documents(decode(text.encode()))
    roots = [d.root for d in docs]
    assert [type(r).__name__ for r in roots] == ["Mapping", "Mapping", "Scalar", "Mapping"]
    assert roots[1].get("b").value == "--- not a marker\ntext\n"
    assert roots[3].get("c").span.line == 12


def test_merge_keys_and_repeated_keys_resolve_as_kubernetes_does() -> None:
    doc = load_documents(decode(b"base: &b {x: 1, y: 1}\nm:\n  <<: *b\n  y: 2\n  z: 3\n  z: 4\n"))[0]
    m = doc.root.get("m")
    assert {k.value: v.value for k, v in m.entries()} == {"x": "1", "y": "2", "z": "4"}


def test_lists_are_looked_into_and_their_items_keep_their_identity() -> None:
    item = BAD.replace("\n", "\n    ").rstrip()
    text = "apiVersion: v1\nkind: List\nitems:\n  - " + item.replace("    ", "  ", 0) + "\n"
    findings = lint_text(text, select=("VM102",))
    assert [(f.code, f.kind, f.name, f.namespace) for f in findings] == [("VM102", "VirtualMachine", "web", "prod")]


def test_nested_custom_lists_and_non_objects() -> None:
    source = decode(b"apiVersion: v1\nkind: VirtualMachineList\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n  - {apiVersion: kubevirt.io/v1, kind: VirtualMachine}\n- 3\n- {kind: NoApiVersion}\n")
    [doc] = load_documents(source)
    assert [(o.api_version, o.kind) for o in objects_in(doc)] == [("kubevirt.io/v1", "VirtualMachine")]


def test_wrongly_typed_fields_are_not_a_crash() -> None:
    for text in [
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: [a]\nspec: 3\n",
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: [x], annotations: 7}\nspec: {template: {metadata: {annotations: [1]}}}\n",
        "apiVersion: [kubevirt.io/v1]\nkind: VirtualMachine\n",
        "- just\n- a list\n",
        "scalar\n",
        "",
        "# only a comment\n",
        "---\n---\n",
    ]:
        assert lint_text(text) == [], text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30", "int"), ("-1", "int"), ("+7", "int"), ("0x1F", "int"), ("0o17", "int"), ("0b101", "int"),
        ("1_000", "int"), ("010", "int"), ("08", "float"), ("1.5", "float"), ("1e3", "float"), (".5", "float"),
        (".inf", "float"), ("-.Inf", "float"), (".NaN", "float"), ("true", "bool"), ("False", "bool"),
        ("yes", "bool"), ("NO", "bool"), ("on", "bool"), ("Off", "bool"), ("y", "bool"), ("N", "bool"),
        ("~", "null"), ("null", "null"), ("", "null"), ("30s", "str"), ("2021-01-01", "str"), ("1d", "str"),
        ("0x", "str"), ("yes please", "str"), ("tRue", "str"), ("99999999999999999999", "float"),
        ("18446744073709551615", "int"), ("-9223372036854775809", "float"),
    ],
)
def test_plain_scalars_are_typed_with_go_yaml_v2_rules(text: str, expected: str) -> None:
    doc = load_documents(decode(f"k: {text}\n".encode()))[0]
    assert scalar_type(doc.root.get("k")) == expected


def test_quoted_and_tagged_scalars() -> None:
    doc = load_documents(decode(b"a: '30'\nb: !!str 30\nc: !!int '30'\nd: |\n  30\ne: ! 30\n"))[0]
    assert [scalar_type(doc.root.get(k)) for k in "abcde"] == ["str", "str", "int", "str", "str"]


def test_value_spans_inside_quoted_and_literal_scalars() -> None:
    source = decode("a: 'it''s [x]'\nb: \"\\u00e9[y]\"\nc: |\n  one\n  [z]\n".encode())
    root = load_documents(source)[0].root
    for key, needle in (("a", "[x]"), ("b", "[y]"), ("c", "[z]")):
        scalar = root.get(key)
        start = scalar.value.index(needle)
        span = value_span(source, scalar, start, start + 3)
        assert source.text[span.start : span.end] == needle, key


def test_helm_template_files_are_not_parsed() -> None:
    loaded = load_file("chart/templates/vm.yaml", b"a: {{ b }}: c\n", helm_template=True)
    assert loaded.documents == [] and loaded.template is not None and loaded.template.helm_chart


def test_a_document_libyaml_rejects_but_yaml_1_2_accepts_is_kept() -> None:
    """`{image: example.com/disk:1}`: libyaml stops at the colon, the pure parser (and go-yaml) read a plain
    scalar; the document must be linted, not dropped."""
    text = ("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: a}\nspec:\n  x: {image: example.com/disk:1}\n"
            "  template:\n    metadata:\n      annotations:\n        pre.hook.backup.velero.io/on-error: fail\n")
    assert [f.code for f in lint_text(text, select=("VM0", "VM105"))] == ["VM105"]


_BREAK_CHARS = "\r\n\x85\u2028\u2029\x0b\x0c\x1c\x1d\x1e"


@given(st.text(alphabet=st.sampled_from(list("ab ") + list(_BREAK_CHARS)), max_size=40))
@settings(max_examples=500, deadline=None)
def test_line_table_matches_yaml_line_breaks(text: str) -> None:
    """The fast line table (splitlines in C) gives what YAML's breaks give: CR LF, CR, LF, NEL, LS, PS only."""
    source = decode(text.encode("utf-8"))
    expected = [0, *(m.end() for m in re.finditer("\r\n|[\r\n\x85\u2028\u2029]", text))]
    assert source.starts == expected
    assert [i for i in range(len(text) + 2) if source.is_line_start(i)] == [i for i in expected if i <= len(text)]


def test_line_table_is_built_only_when_a_position_is_asked_for() -> None:
    source = decode(b"a: 1\nb: 2\n")
    assert source._starts is None
    assert source.position(6) == Position(2, 2)
    assert source.starts == [0, 5, 10]


def kinds_of(text: str, interest: Interest) -> list[str]:
    return [obj.kind for obj in load_file("f.yaml", text.encode(), interest=interest).objects]


def test_only_documents_a_rule_can_read_are_built() -> None:
    """The default rules read workloads, Velero Backups and Schedules and Secrets; a DataVolume is read only
    next to a workload (guest-agent evidence); a Deployment only when it mentions a Velero hook key; the rest is
    syntax-checked and leaves no document behind."""
    interest = interest_of(bind(select_rules(builtin_catalogue())), RunOptions())
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n"
                  "    backup.velero.io/backup-volumes: data\nspec:\n  template:\n    spec:\n"
                  "      imagePullSecrets: [{name: pull}]\n")
    hooked = deployment.replace("backup.velero.io/backup-volumes: data", "pre.hook.backup.velero.io/command: x")
    assert kinds_of(hooked, interest) == ["Deployment"]
    assert kinds_of(hooked.replace("pre.hook.backup", "pre.hook.restore"), interest) == ["Deployment"]
    volume = "apiVersion: cdi.kubevirt.io/v1beta1\nkind: DataVolume\nmetadata:\n  name: root\n"
    secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: init\n"
    backup = "apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: nightly\n"
    vm = "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: vm\n"

    def kinds(*texts: str) -> list[str]:
        loaded = load_file("f.yaml", "---\n".join(texts).encode(), interest=interest)
        return [obj.kind for obj in loaded.objects]

    assert kinds(deployment, volume) == []
    assert kinds(deployment, volume, vm) == ["DataVolume", "VirtualMachine"]
    assert kinds(deployment, secret, backup) == ["Secret", "Backup"]
    assert kinds(deployment + "  broken: [\n") == []  # syntax-checked: the broken document is built to report it
    broken = load_file("f.yaml", (deployment + "x: [\n").encode(), interest=interest)
    assert [doc.syntax_error is not None for doc in broken.documents] == [True]


def test_aliases_in_a_document_no_rule_reads_are_still_resolved() -> None:
    """Raw parsing (events) does not see an undefined alias, so a document with an alias is built even when no
    rule reads it: its alias errors are reported, and nothing else is."""
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n"
    assert where(lint_text(config + "  a: *nowhere\n")) == [("VM001", 6, 6)]
    assert lint_text(config + "  a: &x 1\n  b: *x\n  a: 2\n") == []  # resolves; VM002 reads no ConfigMap


_ALIAS_HINT_AS_ONE_EXPRESSION = re.compile(r"(?:^|[\s\[{,])[*&][^\s,\[\]{}]", re.MULTILINE)
_HINT_ALPHABET = "*&[]{},%ab:-\n\r\t \x1c\x85\xa0\u2028\u3000"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=_HINT_ALPHABET, max_size=12))
def test_alias_hint_answers_as_the_one_regular_expression_did(text: str) -> None:
    """The two-step search (find `*`/`&`, look one back) must match the single expression it replaced, Unicode
    whitespace and line starts included; that expression tried every position of multi-megabyte files."""
    assert alias_hint(text) is (_ALIAS_HINT_AS_ONE_EXPRESSION.search(text) is not None)


@pytest.mark.parametrize(("text", "expected"), [
    ("a: *x", True), ("*x", True), ("a: [*x]", True), ("{a: &x 1}", True), ("- b,*c", True),
    ("a: b*c", False), ("a: * b", False), ("a: *", False), ("cron: '*/5'", False), ("a: &", False),
    ("a:\u3000*x", True), ("x\n&y 1", True),
])
def test_alias_hint_examples(text: str, expected: bool) -> None:
    assert alias_hint(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("%YAML 1.2\n---\na: 1\n", False), ("a: 1\n%YAML 1.2\n", True), ("a: '50%'\n", False), ("a: 1\r%TAG", True),
    ("a: 1\u2028%x", True), ("", False),
])
def test_later_directive(text: str, expected: bool) -> None:
    assert later_directive(text) is expected


_MARKER_AS_ONE_EXPRESSION = re.compile(r"(?m)^(?:---|\.\.\.)(?=[ \t\r\n\x85\u2028\u2029]|$)")


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="-.\n\r a\x85\u2028", max_size=14))
def test_document_markers_are_found_where_the_line_start_expression_found_them(text: str) -> None:
    expected = [(m.start(), m.group()) for m in _MARKER_AS_ONE_EXPRESSION.finditer(text)]
    assert list(document_markers(text)) == expected


def _spans_and_repeats(text: str, use_c: bool) -> tuple[list[tuple[str, int, int]], list[tuple[int, int, str]]]:
    """Every scalar of the one document with its final span, and the repeated keys (key, first, name)."""
    from lint.text.source import SourceText

    [document] = load_documents(SourceText(text), use_c=use_c)
    scalars: list[tuple[str, int, int]] = []
    stack = [document.root]
    while stack:
        node = stack.pop()
        if isinstance(node, Scalar):
            scalars.append((node.value, node.span.start, node.span.end))
        elif isinstance(node, Sequence):
            stack.extend(reversed(node.items))
        elif node is not None:
            stack.extend(item for pair in reversed(node.pairs) for item in reversed(pair))
    return scalars, [(d.key.span.start, d.first.span.start, d.key.value) for d in document.duplicates]


@pytest.mark.parametrize("use_c", [True, False])
@pytest.mark.parametrize(("text", "scalars", "repeats"), [
    # an empty value stands after its key's colon; repeated keys in the order their mappings end
    ("a: {b: , b: }\nb:\n  c:\n  c:\n",
     [("a", 0, 1), ("b", 4, 5), ("", 6, 6), ("b", 9, 10), ("", 11, 11), ("b", 14, 15), ("c", 19, 20), ("", 21, 21),
      ("c", 24, 25), ("", 26, 26)],
     [(9, 4, "b"), (24, 19, "c")]),
    # an anchored empty value used again inside a mapping that ends first: placed once, where it is written
    ("a: &e\nb: {c: {d: *e}, e: *e}\nf: *e\n",
     [("a", 0, 1), ("", 3, 5), ("b", 6, 7), ("c", 10, 11), ("d", 14, 15), ("", 3, 5), ("e", 22, 23), ("", 3, 5),
      ("f", 29, 30), ("", 3, 5)],
     []),
    # an aliased key: its empty value is looked for after the anchored key's own text
    ("&k k: v\nq:\n  *k :\n  r: *k\n",
     [("k", 0, 4), ("v", 6, 7), ("q", 8, 9), ("k", 0, 4), ("", 5, 5), ("r", 20, 21), ("k", 0, 4)],
     []),
    # merge keys are not repeated keys; explicit complex keys are
    ("<<: {a: 1}\n<<: {b: 2}\n? a\n: \n? a\n:\n",
     [("<<", 0, 2), ("a", 5, 6), ("1", 8, 9), ("<<", 11, 13), ("b", 16, 17), ("2", 19, 20), ("a", 24, 25),
      ("", 27, 27), ("a", 31, 32), ("", 34, 34)],
     [(31, 24, "a")]),
])
def test_empty_values_and_repeated_keys_are_placed_as_the_document_ends(text, scalars, repeats, use_c) -> None:
    """The builder places empty values and notes repeated keys while it attaches nodes, and only afterwards where
    an anchored or aliased node takes part: the answers are those of one pass over every mapping in the order
    the mappings end (the way they were computed before; both parsers agree)."""
    assert _spans_and_repeats(text, use_c) == (scalars, repeats)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["a", "%", "#", " ", "\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1f", "\x85",
                                 "\u2028", "\u2029", "\u00a0", "-", "x: y", "%YAML 1.2", "# c"]), max_size=14),
       st.integers(0, 40), st.integers(0, 40))
def test_a_chunk_of_only_comments_and_directives_is_recognised_without_splitting_it(parts, begin, end) -> None:
    """compose._only_preamble answers what a per-line test over str.splitlines answers."""
    from lint.text.compose import _only_preamble

    text = "".join(parts)
    begin, end = min(begin, len(text)), min(max(begin, end), len(text))
    per_line = all(re.fullmatch(r"\s*(?:[%#].*)?", line) for line in text[begin:end].splitlines())
    assert _only_preamble(text, begin, end) == per_line


# --- items of a `*List` that no rule reads (lint.text.compose._ListItems) -------------------------------------------

_RULES_INTEREST = interest_of(bind(select_rules(builtin_catalogue(), ("ALL",))), RunOptions())
_VM_ITEM = "- apiVersion: kubevirt.io/v1\n  kind: VirtualMachine\n  metadata:\n    name: web\n"
_PLAIN_ITEM = "- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: api\n    name: api2\n"


def _export(*items: str, kind: str = "List") -> bytes:
    return ("apiVersion: v1\nitems:\n" + "".join(items) + f"kind: {kind}\nmetadata:\n  resourceVersion: ''\n").encode()


def test_the_items_of_a_list_that_no_rule_reads_are_parsed_but_not_built() -> None:
    """A cluster export is one `kind: List`: only its items a rule reads are built, the others are checked for
    syntax like a document no rule reads (no object, no repeated-key finding), and what is built stands where it
    would stand if everything were."""
    data = _export(_PLAIN_ITEM, _VM_ITEM, _PLAIN_ITEM)
    loaded = load_file("x.yaml", data, interest=_RULES_INTEREST)
    everything = load_file("x.yaml", data)
    assert [(obj.kind, obj.name, obj.node.span.line) for obj in loaded.objects] == [("VirtualMachine", "web", 8)]
    assert [(obj.kind, obj.node.span.line) for obj in everything.objects] == [
        ("Deployment", 3), ("VirtualMachine", 8), ("Deployment", 12)]
    assert loaded.objects[0].node.span == everything.objects[1].node.span
    assert [d.key.span.line for d in loaded.documents[0].duplicates] == []
    assert [d.key.span.line for d in everything.documents[0].duplicates] == [7, 16]
    hooked = _PLAIN_ITEM.replace("    name: api2\n", "  annotations:\n    pre.hook.backup.velero.io/command: x\n")
    assert [obj.kind for obj in load_file("x.yaml", _export(hooked, _PLAIN_ITEM), interest=_RULES_INTEREST).objects] == [
        "Deployment"]


def test_a_list_is_filtered_only_when_its_items_are_the_lists_items() -> None:
    """A root that is no `*List` (here a custom kind with an `items` field) is built whole, and so is a List whose
    text has an anchor or alias (an alias may name a node of an item no rule reads)."""
    custom = b"# not a List\n" + _export(_PLAIN_ITEM, _VM_ITEM, kind="Inventory")
    assert len(load_file("x.yaml", custom, interest=_RULES_INTEREST).objects) == 1  # the Inventory itself
    root = load_file("x.yaml", custom, interest=_RULES_INTEREST).documents[0].root
    assert len(root.get("items").items) == 2  # type: ignore[union-attr]
    anchored = _export(_PLAIN_ITEM.replace("name: api\n", "name: &n api\n"), _VM_ITEM)
    assert [obj.kind for obj in load_file("x.yaml", anchored, interest=_RULES_INTEREST).objects] == [
        "Deployment", "VirtualMachine"]


def test_limits_answer_the_same_with_items_left_out() -> None:
    """The expansion count includes the nodes of items left out; an item that could reach the nesting or scalar
    limit is built, so that the limit is reported where it is reached."""
    from lint.text.compose import Limits

    data = _export(*[_PLAIN_ITEM] * 20, _VM_ITEM)
    small = Limits(expanded_nodes=100)
    for interest in (_RULES_INTEREST, Interest(everything=True)):
        [document] = load_file("x.yaml", data, limits=small, interest=interest).documents
        assert document.limit is not None and (document.limit.what, document.limit.found) == ("alias expansion", 230)
    deep = _export(_PLAIN_ITEM.replace("    name: api2\n", "    labels: {a: {b: {c: {d: x}}}}\n"), _VM_ITEM)
    long = _export(_PLAIN_ITEM.replace("name: api2", "name: " + "x" * 40), _VM_ITEM)
    for data, limits, what in ((deep, Limits(depth=6), "nesting depth"), (long, Limits(scalar_chars=30), "scalar size")):
        built = load_file("x.yaml", data, limits=limits, interest=_RULES_INTEREST).documents[0].limit
        whole = load_file("x.yaml", data, limits=limits).documents[0].limit
        assert built is not None and whole is not None and built.what == what
        assert (built.line, built.column, built.found) == (whole.line, whole.column, whole.found)
