"""--fix, --unsafe-fixes and --diff: exact bytes before and after, nothing else touched, never a lost byte."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

import pytest
from conftest import CORPUS, EXAMPLES, require_corpus, run_cli
from helpers import lint_text
from hypothesis import given, settings
from hypothesis import strategies as st

from lint.core.catalogue import builtin_catalogue
from lint.run.discovery import InputFile
from lint.run.engine import run, select_rules
from lint.run.fixer import Plan, WriteRefused, plan, write
from lint.target.settings import Settings

HEAD = (
    "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: web\n  namespace: prod\n"
    "spec:\n  template:\n    metadata:\n      annotations:\n"
)
OK_POST = "        post.hook.backup.velero.io/command: '[\"/usr/bin/virt-freezer\", \"--unfreeze\", \"--name\", \"web\", \"--namespace\", \"prod\"]'\n"


def fixed(tmp_path: Path, text: str | bytes, *args: str) -> bytes:
    path = tmp_path / "vm.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    run_cli("check", "--fix", *args, "vm.yaml", cwd=tmp_path)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # VM102: only the closing ] is missing; the comment on the same line stays
        ("        pre.hook.backup.velero.io/command: '[\"/usr/bin/virt-freezer\", \"--freeze\", \"--name\", \"web\", \"--namespace\", \"prod\"'  # freeze\n",
         "        pre.hook.backup.velero.io/command: '[\"/usr/bin/virt-freezer\", \"--freeze\", \"--name\", \"web\", \"--namespace\", \"prod\"]'  # freeze\n"),
        # VM102: typographic quotes, in a double-quoted scalar (so the straight quotes are escaped)
        ('        pre.hook.backup.velero.io/command: "[\u201c/usr/bin/virt-freezer\u201d, \u201c--freeze\u201d, \u201c--name\u201d, \u201cweb\u201d, \u201c--namespace\u201d, \u201cprod\u201d]"\n',
         '        pre.hook.backup.velero.io/command: "[\\"/usr/bin/virt-freezer\\", \\"--freeze\\", \\"--name\\", \\"web\\", \\"--namespace\\", \\"prod\\"]"\n'),
        # VM103: whitespace before [
        ("        pre.hook.backup.velero.io/command: '  [\"/usr/bin/virt-freezer\", \"--freeze\", \"--name\", \"web\", \"--namespace\", \"prod\"]'\n",
         "        pre.hook.backup.velero.io/command: '[\"/usr/bin/virt-freezer\", \"--freeze\", \"--name\", \"web\", \"--namespace\", \"prod\"]'\n"),
        # VM105 plain and quoted; VM106 in double quotes; VM003 a number becomes a string, then a duration
        ("        pre.hook.backup.velero.io/on-error: fail\n        post.hook.backup.velero.io/on-error: ' Continue'\n",
         "        pre.hook.backup.velero.io/on-error: Fail\n        post.hook.backup.velero.io/on-error: 'Continue'\n"),
        ('        post.hook.backup.velero.io/timeout: "45"\n', '        post.hook.backup.velero.io/timeout: "45s"\n'),
        ("        post.hook.backup.velero.io/timeout: 45\n", '        post.hook.backup.velero.io/timeout: "45s"\n'),
        # VM201 in a block literal
        ("        pre.hook.backup.velero.io/command: |\n          [\"/usr/bin/virt-freezer\", \"--freeze\", \"--name\", \"<VM Name>\", \"--namespace\", \"<VM Namespace>\"]\n",
         "        pre.hook.backup.velero.io/command: |\n          [\"/usr/bin/virt-freezer\", \"--freeze\", \"--name\", \"web\", \"--namespace\", \"prod\"]\n"),
    ],
)
def test_safe_fixes_exact_bytes(tmp_path: Path, before: str, after: str) -> None:
    assert fixed(tmp_path, HEAD + before + OK_POST) == (HEAD + after + OK_POST).encode()


def test_crlf_bom_and_multi_document(tmp_path: Path) -> None:
    bad = HEAD + "        pre.hook.backup.velero.io/on-error: fail\n"
    other = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: untouched}  # keep: fail\ndata: {a: 'fail'}\n"
    text = ("\ufeff" + other + "---\n" + bad + "---\n" + other).replace("\n", "\r\n").encode("utf-8")
    expected = text.replace(b"on-error: fail", b"on-error: Fail")
    assert fixed(tmp_path, text) == expected
    assert expected.count(b"\r\n") == text.count(b"\r\n") and expected.startswith(b"\xef\xbb\xbf")


def test_unsafe_fixes_only_when_asked(tmp_path: Path) -> None:
    wrong = HEAD + "        pre.hook.backup.velero.io/command: '[\"/usr/bin/virt-freezer\", \"--unfreeze\", \"--name\", \"old\", \"--namespace=dev\"]'\n" + OK_POST
    assert fixed(tmp_path, wrong) == wrong.encode()
    right = wrong.replace('"--unfreeze", "--name", "old", "--namespace=dev"', '"--freeze", "--name", "web", "--namespace=prod"')
    assert fixed(tmp_path, wrong, "--unsafe-fixes") == right.encode()


def test_the_published_recipe(tmp_path: Path) -> None:
    published = (EXAMPLES / "harvester-kb-published.yaml").read_bytes()
    result = fixed(tmp_path, published)
    corrected = (EXAMPLES / "harvester-kb-corrected.yaml").read_bytes()
    assert result.split(b"\n", 2)[2] == corrected.split(b"\n", 1)[1]  # all but the header comment
    assert [f.code for f in lint_text(result) if f.severity.name == "ERROR"] == []


def test_diff_writes_nothing_and_exit_codes(tmp_path: Path) -> None:
    path = tmp_path / "vm.yaml"
    text = HEAD + "        pre.hook.backup.velero.io/on-error: fail\n"
    path.write_text(text)
    done = run_cli("check", "--diff", "vm.yaml", cwd=tmp_path)
    assert done.exit_code == 1 and path.read_text() == text
    assert done.stdout.splitlines()[:2] == ["--- a/vm.yaml", "+++ b/vm.yaml"]
    assert "-        pre.hook.backup.velero.io/on-error: fail" in done.stdout
    assert "+        pre.hook.backup.velero.io/on-error: Fail" in done.stdout
    path.write_text(HEAD + "        pre.hook.backup.velero.io/on-error: Fail\n")
    assert run_cli("check", "--diff", "vm.yaml", cwd=tmp_path) == (0, "", "")


def test_standard_input_gets_the_fixed_document(tmp_path: Path) -> None:
    done = run_cli("check", "--fix", "-", stdin=(HEAD + "        pre.hook.backup.velero.io/on-error: fail\n").encode(), cwd=tmp_path)
    assert done.stdout == HEAD + "        pre.hook.backup.velero.io/on-error: Fail\n"
    assert "Fixed 1 finding." in done.stderr


def test_fixing_the_corpus_changes_nothing_it_does_not_report(tmp_path: Path) -> None:
    require_corpus()
    copy = tmp_path / "corpus"
    shutil.copytree(CORPUS, copy)
    run_cli("check", "--fix", "--unsafe-fixes", "corpus", cwd=tmp_path)
    changed = [p.name for p in sorted(copy.iterdir()) if p.read_bytes() != (CORPUS / p.name).read_bytes()]
    assert changed == []  # the corpus has nothing fixable: its findings are templates, shell wrappers, a paste


# --- never a lost byte ------------------------------------------------------------------------------------------------


def _plan(path: Path, new: bytes) -> Plan:
    return Plan(InputFile(path.name, path), path.read_bytes(), new, 1)


def test_a_file_changed_since_it_was_read_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "vm.yaml"
    path.write_bytes(b"original\n")
    planned = _plan(path, b"fixed\n")
    path.write_bytes(b"edited by someone else\n")
    with pytest.raises(WriteRefused, match="changed while vmlint was fixing it"):
        write(planned, tmp_path)
    assert path.read_bytes() == b"edited by someone else\n"
    assert [p.name for p in tmp_path.iterdir()] == ["vm.yaml"]


def test_mode_is_kept_and_a_read_only_directory_refuses(tmp_path: Path) -> None:
    path = tmp_path / "vm.yaml"
    path.write_bytes(b"original\n")
    os.chmod(path, 0o640)
    write(_plan(path, b"fixed\n"), tmp_path)
    assert path.read_bytes() == b"fixed\n" and stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize("fault", ["fsync", "replace"])
def test_full_disk_or_crash_before_rename_keeps_the_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
    path = tmp_path / "vm.yaml"
    path.write_bytes(b"original\n")

    def boom(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, fault, boom)
    with pytest.raises(OSError):
        write(_plan(path, b"fixed\n"), tmp_path)
    assert path.read_bytes() == b"original\n"
    assert [p.name for p in tmp_path.iterdir()] == ["vm.yaml"]  # no temporary file left behind


def test_a_link_out_of_the_tree_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_bytes(b"original\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "vm.yaml").symlink_to(outside)
    with pytest.raises(WriteRefused, match="outside the linted tree"):
        write(_plan(tree / "vm.yaml", b"fixed\n"), tree)
    assert outside.read_bytes() == b"original\n"


# --- properties -------------------------------------------------------------------------------------------------------

def fix_in_process(data: bytes) -> bytes:
    """The fixer without a subprocess, for properties over many generated files."""
    item = InputFile("vm.yaml", None, data)
    rules = select_rules(builtin_catalogue(), ())

    def lint_one(one: InputFile) -> list:  # type: ignore[type-arg]
        return run([one], rules, Settings()).findings

    planned = plan(item, data, lint_one, unsafe=False)
    return planned.fixed if planned.fixed is not None else data


@settings(max_examples=40, deadline=None)
@given(
    spelling=st.sampled_from(["fail", "FAIL", "continue", " Fail", "Continue "]),
    seconds=st.integers(min_value=1, max_value=999),
    comment=st.booleans(),
    crlf=st.booleans(),
)
def test_fixing_is_idempotent_and_touches_only_its_spans(spelling, seconds, comment, crlf) -> None:
    lines = [
        f"        pre.hook.backup.velero.io/on-error: '{spelling}'" + ("  # note" if comment else ""),
        f'        post.hook.backup.velero.io/timeout: "{seconds}"',
    ]
    text = HEAD + "\n".join(lines) + "\n" + OK_POST
    if crlf:
        text = text.replace("\n", "\r\n")
    once = fix_in_process(text.encode())
    twice = fix_in_process(once)
    assert once == twice
    expected = text.replace(f"'{spelling}'", f"'{spelling.strip().capitalize()}'").replace(f'"{seconds}"', f'"{seconds}s"')
    assert once == expected.encode()
    assert {f.code for f in lint_text(once)} & {"VM105", "VM106"} == set()


def test_unsafe_fix_adds_the_missing_thaw_mirroring_the_freeze(tmp_path: Path) -> None:
    head = HEAD.replace("  namespace: prod\n", "  namespace: prod\n  annotations: {kubevirt.io/skip-backup-hooks: \"true\"}\n")
    freeze = "        pre.hook.backup.velero.io/command: '[\"/usr/bin/virt-freezer\", \"--freeze\", \"--name\", \"web\", \"--namespace\", \"prod\"]'  # freeze\r\n"
    text = (head.replace("\n", "\r\n") + "        pre.hook.backup.velero.io/container: compute\r\n" + freeze
            + "        pre.hook.backup.velero.io/timeout: 90s\r\n")
    assert fixed(tmp_path, text) == text.encode()  # safe fixes only: nothing
    thaw = ("        post.hook.backup.velero.io/command: '[\"/usr/bin/virt-freezer\", \"--unfreeze\", \"--name\", \"web\", \"--namespace\", \"prod\"]'\r\n"
            "        post.hook.backup.velero.io/container: compute\r\n")
    assert fixed(tmp_path, text, "--unsafe-fixes") == text.replace(freeze, freeze + thaw).encode()


def test_unsafe_fix_moves_hooks_to_the_pod_template(tmp_path: Path) -> None:
    text = (
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: web\n  namespace: prod\n  annotations:\n"
        "    example.com/owner: team-a\n"
        "    pre.hook.backup.velero.io/on-error: Continue  # keep going\n"
        "spec:\n  template:\n    metadata:\n      annotations:\n        example.com/tier: gold\n    spec: {}\n"
    )
    expected = text.replace("    pre.hook.backup.velero.io/on-error: Continue  # keep going\n", "").replace(
        "        example.com/tier: gold\n", "        example.com/tier: gold\n        pre.hook.backup.velero.io/on-error: Continue  # keep going\n")
    assert fixed(tmp_path, text, "--unsafe-fixes") == expected.encode()


def test_flow_style_annotations(tmp_path: Path) -> None:
    text = HEAD.replace("      annotations:\n", "      annotations: {pre.hook.backup.velero.io/on-error: fail, x: 'y'}\n")
    assert fixed(tmp_path, text) == text.replace("on-error: fail", "on-error: Fail").encode()
