"""Regression tests for every crash class the mutation fuzzer (tests/mutation.py) has found: each reproducer is
the smallest input of its class, with the exact finding vmlint must give instead of an internal error."""

from __future__ import annotations

import mutation
import pytest
from helpers import lint_result

from lint.text.compose import load_documents
from lint.text.source import decode

MISPLACED_YAML = "invalid YAML: a %YAML directive is only allowed before a document starts"


def _findings(text: str | bytes) -> list[tuple[str, int, int, str]]:
    result = lint_result(text, select=("ALL",))
    assert not result.errors, result.errors
    return [(f.code, f.line, f.column, f.message) for f in result.findings]


# Crash class 1: a %YAML directive read by the pure-Python parser (which words every syntax error) raised
# AttributeError: '_PureComposer' object has no attribute 'doc_infos', and the whole run stopped with exit 2.


def test_a_yaml_directive_inside_an_open_document_is_a_syntax_error_at_the_directive() -> None:
    assert _findings("a: 1\n%YAML 1.1\nb: 2\n") == [("VM001", 2, 1, MISPLACED_YAML)]


def test_a_tag_directive_inside_an_open_document_is_worded_the_same_way() -> None:
    assert _findings("a: 1\n%TAG ! tag:x,2000:\nb: 2\n") == [
        ("VM001", 2, 1, "invalid YAML: a %TAG directive is only allowed before a document starts"),
    ]


def test_a_yaml_directive_inside_a_flow_collection_is_a_misplaced_directive() -> None:
    assert _findings("a: [\n%YAML 1.1\n]\n") == [("VM001", 2, 1, MISPLACED_YAML)]


def test_a_yaml_directive_at_the_end_of_an_open_document_is_reported() -> None:
    assert _findings("a:\n- 1\n%YAML 1.1\n") == [("VM001", 3, 1, MISPLACED_YAML)]


def test_a_directive_between_documents_needs_the_document_end_marker_before_it() -> None:
    """libyaml accepts this stream whole, kubectl parses `---` chunks one by one and rejects the first: so does
    vmlint, whether or not any document in the file is one its rules read."""
    assert _findings("a: 1\n%YAML 1.1\n---\nb: 2\n") == [("VM001", 2, 1, MISPLACED_YAML)]
    assert _findings("a: 1\n...\n%YAML 1.1\n---\nb: 2\n") == []


def test_a_yaml_directive_before_a_broken_document_reports_the_break() -> None:
    assert _findings("%YAML 1.1\n---\na: [\n") == [
        ("VM001", 4, 1, "invalid YAML: expected the node content, but found '<stream end>' "
                        "(while parsing a flow node that starts at line 4, column 1)"),
    ]


def test_a_repeated_yaml_directive_keeps_the_parser_words() -> None:
    assert _findings("%YAML 1.1\n%YAML 1.1\n---\na: 1\n") == [
        ("VM001", 2, 1, "invalid YAML: found duplicate YAML directive"),
    ]


@pytest.mark.parametrize("use_c", [True, False])
def test_both_parsers_read_a_yaml_directive(use_c: bool) -> None:
    documents = load_documents(decode(b"%YAML 1.2\n---\na: 1\n"), use_c=use_c)
    assert [(d.syntax_error, d.root.get("a").value) for d in documents] == [(None, "1")]


# Position class 2 (found by the long mutation run, seed 1, mutant 109887; reproducer `#vmlint:disable=V --\r\n`):
# a suppression comment's `-- reason` ran to the next LF, so under CRLF its VM090 span took in the CR (an end
# column past the line), and under CR, NEL, LINE or PARAGRAPH SEPARATOR breaks it took in the following lines
# (and a code list continued on them): lint/run/suppressions.py matched `.` and `\s` across YAML line breaks and
# bounded lines by LF only.

UNUSED_VM105 = "this suppression names VM105, but it suppresses no VM105 finding"


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\x85", "\u2028"], ids=["CRLF", "CR", "NEL", "LS"])
def test_an_unused_suppression_is_marked_on_its_own_line(newline: str) -> None:
    text = f"a: 1 # vmlint: disable=VM105 -- why{newline}b: 2{newline}"
    result = lint_result(text.encode(), select=("ALL",))
    assert [(f.code, f.line, f.column, f.end_line, f.end_column, f.message) for f in result.findings] == [
        ("VM090", 1, 6, 1, 36, UNUSED_VM105),
    ]


def test_a_suppression_code_list_ends_at_its_line() -> None:
    result = lint_result(b"a: 1 # vmlint: disable=VM105,\rVM106: x\r", select=("ALL",))
    assert [(f.code, f.line, f.column, f.message) for f in result.findings] == [("VM090", 1, 6, UNUSED_VM105)]


def test_an_unused_suppression_under_lf_is_marked_on_its_own_line() -> None:
    """The LF case, which is right today: the expectation above is the same span."""
    result = lint_result(b"a: 1 # vmlint: disable=VM105 -- why\nb: 2\n", select=("ALL",))
    assert [(f.code, f.line, f.column, f.end_line, f.end_column, f.message) for f in result.findings] == [
        ("VM090", 1, 6, 1, 36, UNUSED_VM105),
    ]


# Fix class 3 (the mutation run on main after the merges, seed 3): a hook key at a place it never reaches the
# pod (the top level, a sibling of metadata), that VM004's unsafe fix moves into the pod-bound annotations,
# where the hook becomes live with errors of its own (a freeze without its thaw, a --name that is not the VMI's).
# A hook that never ran made no VM worse; a live broken one does: such a move is refused (lint.run.fixer).
MOVED_HOOKS_THAT_WOULD_ADD_ERRORS = [
    b'apiVersion: apps/\nkind: Deployment\nspec:\n template:\n  metadata:\n   annotations:\n    pre.hook.backup.velero.io/'
    b'command: \'["fsfreeze","--freeze",""]\'\n---\napiVersion: apps/\nkind: StatefulSet\nspec:\n template:\n  '
    b'metadata:\n   annotations:\n    : ""\nhook.backup.velero.io/command: \'["virt-freezer","--freeze","","<V>"]\'',
    b'apiVersion: kubevirt.io/\nkind: VirtualMachineInstance\nmetadata:\n  annotations:\n   kubevirt.io/skip-backup-'
    b'hooks: "true"\n  name: \n  namespace: prod\n  \n  pre.hook.backup.velero.io/command: \'["/usr/bin/virt-freezer",'
    b'"--freeze","--name","b","--namespace","prod"]\'',
    b'apiVersion: kubevirt.io/\nkind: VirtualMachine\nmetadata:\n  name:\n  namespace:\nspec:\n template:\n  metadata:\n'
    b'   annotations:\n    : \npost.hook.backup.velero.io/command: \'["/usr/bin/virt-freezer","--unfreeze","--name","w",'
    b'"--namespace","d"]\'',
    b"apiVersion: kubevirt.io/\nkind: VirtualMachine\nspec:\n template:\n  metadata:\n   annotations:\n        : ''\n"
    b"        post.hook.backup.velero.io/command: ']'\npre.hook.backup.velero.io/command:",
    b'apiVersion: apps/\nkind: Deployment\nspec:\n template:\n    metadata:\n     annotations:\n        pre.hook.backup.'
    b'velero.io/container: \n        pre.hook.backup.velero.io/command: p\n    :\n    s:\n     pre.hook.backup.velero.io/'
    b'command: \'["virt-freezer","--freeze","",""]\'',
    b'apiVersion:\nkind: List\nitems:\n  - apiVersion: kubevirt.io/\n    kind: VirtualMachine\n    metadata:\n      name: '
    b'\n      namespace: \n    spec:\n     template:\n      metadata:\n       annotations:\n        :\n    hookvelero.io/: '
    b'\'\'\n    post.hook.backup.velero.io/command: \'["/usr/bin/virt-freezer","--unfreeze","--name","w","--namespace",'
    b'"d"]\'',
]


@pytest.mark.parametrize("data", MOVED_HOOKS_THAT_WOULD_ADD_ERRORS, ids=lambda d: str(len(d)))
def test_an_unsafe_fix_never_adds_an_error_by_making_a_broken_hook_live(data: bytes) -> None:
    failures = mutation.lint_batch(mutation.Linter(), [("moved.yaml", data)])
    assert [(f.kind, f.signature) for f in failures] == []
