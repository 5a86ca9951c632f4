"""`vmlint server`, end to end: pytest-lsp's client talks LSP over stdio to the real server process (`python -m
lint server`), as an editor would.

Positions are checked against an oracle written here: the finding's line and column from `vmlint check --format
json` (code points), converted to the negotiated encoding's code units of the line. Edits the server returns are
applied here as a client applies them, and the result is compared with what `vmlint check --fix` and the
corrected example give.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path

import pytest
import pytest_lsp
from conftest import EXAMPLES, cli_env, run_cli
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from lint.core.catalogue import builtin_catalogue
from lint.reporters.explain import explanation

pytestmark = pytest.mark.asyncio

ORIGINAL = (EXAMPLES / "harvester-kb-original.yaml").read_text(encoding="utf-8")
PUBLISHED = (EXAMPLES / "harvester-kb-published.yaml").read_text(encoding="utf-8")
CORRECTED = (EXAMPLES / "harvester-kb-corrected.yaml").read_text(encoding="utf-8")
# VM105 on line 9, after a CJK key and an emoji (two UTF-16 units, four UTF-8 bytes) on the same line.
WIDE = (
    "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: web\n  namespace: prod\nspec:\n"
    "  template:\n    metadata:\n"
    '      annotations: {"example.com/名前": "🚀 x", pre.hook.backup.velero.io/on-error: fail}\n'
)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "lint", "server"],
                                              server_env=cli_env()))
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


# --- helpers -----------------------------------------------------------------------------------------------------


def capabilities(pull: bool = False, encodings: list[str] | None = None) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=encodings) if encodings else None,
        text_document=types.TextDocumentClientCapabilities(
            diagnostic=types.DiagnosticClientCapabilities() if pull else None,
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(related_information=True),
            code_action=types.CodeActionClientCapabilities(),
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
        ),
    )


async def start(client: LanguageClient, root: Path, pull: bool = False,
                encodings: list[str] | None = None) -> types.InitializeResult:
    return await client.initialize_session(types.InitializeParams(
        capabilities=capabilities(pull, encodings), root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="work")]))


async def diagnostics_after(client: LanguageClient, uri: str, send) -> list[types.Diagnostic]:  # type: ignore[no-untyped-def]
    """Send a notification and wait for the diagnostics the server then publishes for `uri`."""
    client.diagnostics.pop(uri, None)
    send()
    while uri not in client.diagnostics:
        await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 60)
    return list(client.diagnostics[uri])


async def open_document(client: LanguageClient, path: Path, text: str, version: int = 1) -> list[types.Diagnostic]:
    path.write_text(text, encoding="utf-8")
    item = types.TextDocumentItem(uri=path.as_uri(), language_id="yaml", version=version, text=text)
    return await diagnostics_after(client, path.as_uri(), lambda: client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=item)))


async def change_document(client: LanguageClient, path: Path, text: str, version: int) -> list[types.Diagnostic]:
    return await diagnostics_after(client, path.as_uri(), lambda: client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)])))


def cli_findings(path: Path) -> list[dict]:
    done = run_cli("check", "--no-cache", "--format", "json", path.name, cwd=path.parent)
    return json.loads(done.stdout)["findings"]


UNITS = {"utf-16": lambda s: len(s.encode("utf-16-le")) // 2, "utf-8": lambda s: len(s.encode("utf-8")),
         "utf-32": len}


def expected_range(text: str, finding: dict, encoding: str = "utf-16") -> types.Range:
    """The oracle: 1-based line and code-point column, as the encoding's 0-based code units (LF-only texts)."""
    lines = text.split("\n")

    def position(line: int, column: int) -> types.Position:
        return types.Position(line - 1, UNITS[encoding](lines[line - 1][: column - 1]))

    return types.Range(position(finding["line"], finding["column"]), position(finding["end_line"], finding["end_column"]))


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """A client applying TextEdits given in UTF-16 positions (LF-only texts), last first."""
    lines = text.split("\n")

    def offset(position: types.Position) -> int:
        line = lines[position.line]
        units, chars = 0, 0
        while chars < len(line) and units < position.character:
            units += 2 if ord(line[chars]) > 0xFFFF else 1
            chars += 1
        return sum(len(before) + 1 for before in lines[: position.line]) + chars

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


def edits_of(action: types.CodeAction) -> list[types.TextEdit]:
    assert action.edit is not None and action.edit.document_changes is not None
    (change,) = action.edit.document_changes
    return list(change.edits)


async def actions(client: LanguageClient, path: Path, text: str, only: list[str] | None = None,
                  at: types.Range | None = None) -> list[types.CodeAction]:
    lines = text.split("\n")
    whole = types.Range(types.Position(0, 0), types.Position(len(lines) - 1, 0))
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri()), range=at or whole,
        context=types.CodeActionContext(diagnostics=[], only=only)))
    return list(result or [])


def body(text: str) -> str:
    """A manifest without its leading comment lines (the examples' headers say which example they are)."""
    return re.sub(r"\A(?:#[^\n]*\n)+", "", text)


# --- diagnostics ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", [None, "utf-8", "utf-32"])
async def test_open_publishes_exact_ranges_in_the_negotiated_encoding(client: LanguageClient, tmp_path: Path,
                                                                       encoding: str | None):
    result = await start(client, tmp_path, encodings=[encoding] if encoding else None)
    assert result.capabilities.position_encoding == (encoding or "utf-16")
    path = tmp_path / "vm.yaml"
    diagnostics = await open_document(client, path, WIDE)
    (finding,) = cli_findings(path)
    (diagnostic,) = diagnostics
    assert diagnostic.range == expected_range(WIDE, finding, encoding or "utf-16")
    code_points = finding["column"] - 1
    # the conversion mattered on this line (UTF-32 counts code points, as vmlint does)
    assert (diagnostic.range.start.character == code_points) == (encoding == "utf-32")
    assert (diagnostic.code, diagnostic.source, diagnostic.severity) == ("VM105", "vmlint", types.DiagnosticSeverity.Error)
    assert diagnostic.message == f"{finding['message']}\nhint: {finding['hint']}"
    rule = builtin_catalogue().get("VM105")
    assert diagnostic.code_description == types.CodeDescription(href=Path(rule.path).resolve().as_uri())


async def test_every_finding_of_the_examples_has_the_cli_s_place(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    for name, text in (("original.yaml", ORIGINAL), ("published.yaml", PUBLISHED)):
        path = tmp_path / name
        diagnostics = await open_document(client, path, text)
        findings = cli_findings(path)
        assert [(d.code, d.range) for d in diagnostics] == [(f["code"], expected_range(text, f)) for f in findings]


async def test_a_repeated_key_points_at_the_first_as_related_information(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    text = WIDE.replace("on-error: fail}", "on-error: Fail, pre.hook.backup.velero.io/on-error: Continue}")
    path = tmp_path / "vm.yaml"
    (diagnostic,) = await open_document(client, path, text)
    assert diagnostic.code == "VM002"
    (related,) = diagnostic.related_information
    first = text.index("pre.hook.backup.velero.io/on-error")
    line = text[:first].count("\n")
    start_char = len(text[text.rindex("\n", 0, first) + 1 : first].encode("utf-16-le")) // 2
    assert related.location == types.Location(path.as_uri(), types.Range(
        types.Position(line, start_char), types.Position(line, start_char + len("pre.hook.backup.velero.io/on-error"))))
    assert related.message == "the first 'pre.hook.backup.velero.io/on-error': its value is lost"


async def test_change_lints_the_unsaved_text_and_save_lints_again(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    path = tmp_path / "vm.yaml"
    assert [d.code for d in await open_document(client, path, CORRECTED)] == ["VM301", "VM402"]
    broken = CORRECTED.replace("on-error: Fail", "on-error: fail")
    changed = await change_document(client, path, broken, 2)
    assert [d.code for d in changed] == ["VM105", "VM301", "VM402"]
    assert path.read_text(encoding="utf-8") == CORRECTED  # unsaved: the server never writes
    saved = await diagnostics_after(client, path.as_uri(), lambda: client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()))))
    assert saved == changed


async def test_pull_diagnostics_and_nothing_pushed_to_a_client_that_pulls(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path, pull=True)
    path = tmp_path / "vm.yaml"
    path.write_text(WIDE, encoding="utf-8")
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=path.as_uri(), language_id="yaml", version=1, text=WIDE)))
    report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri())))
    assert report.kind == "full"
    (finding,) = cli_findings(path)
    assert [(d.code, d.range) for d in report.items] == [("VM105", expected_range(WIDE, finding))]
    assert path.as_uri() not in client.diagnostics


async def test_non_manifests_stay_silent(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    workflow = "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
    assert await open_document(client, tmp_path / "ci.yaml", workflow) == []
    assert await open_document(client, tmp_path / "package.json", '{"name": "x", "version": "1.0.0"}\n') == []
    assert await open_document(client, tmp_path / "notes.txt", "kind: VirtualMachine\non-error: fail\n") == []
    # and a broken document is one finding, not a stopped server
    assert [d.code for d in await open_document(client, tmp_path / "bad.yaml", "a: [\n\x00\n")] == ["VM001"]
    assert [d.code for d in await open_document(client, tmp_path / "vm.yaml", WIDE)] == ["VM105"]


# --- code actions ---------------------------------------------------------------------------------------------------


async def test_quick_fixes_turn_the_recipes_into_the_corrected_one(client: LanguageClient, tmp_path: Path):
    """The first published recipe (a missing `]`, placeholders) and the knowledge base's (a stray quote, then
    placeholders), fixed one quick fix at a time as a user would: both become the corrected recipe."""
    await start(client, tmp_path)
    for name, original, expected in (("original.yaml", ORIGINAL, ["VM102", "VM201", "VM201", "VM201", "VM201"]),
                                     ("published.yaml", PUBLISHED, ["VM001", "VM201", "VM201", "VM201", "VM201"])):
        path = tmp_path / name
        text, version = original, 1
        await open_document(client, path, text)
        applied = []
        while True:
            fixes = [a for a in await actions(client, path, text, only=[types.CodeActionKind.QuickFix])
                     if a.title.startswith("Fix VM")]
            if not fixes:
                break
            chosen = next((a for a in fixes if a.is_preferred), fixes[0])
            applied.append(chosen.title.split(":")[0].removeprefix("Fix "))
            text, version = apply_edits(text, edits_of(chosen)), version + 1
            await change_document(client, path, text, version)
        assert body(text) == body(CORRECTED)
        assert sorted(applied) == expected
        assert path.read_text(encoding="utf-8") == original  # nothing written


async def test_an_unsafe_fix_is_labelled_and_not_preferred(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    path = tmp_path / "vm.yaml"
    text = CORRECTED.replace('"--name", "ubuntu-web"]', '"--name", "other"]')
    diagnostics = await open_document(client, path, text)
    wrong = [d for d in diagnostics if d.code == "VM202"]
    assert len(wrong) == 2
    (fix,) = [a for a in await actions(client, path, text, at=wrong[0].range) if a.title.startswith("Fix VM")]
    assert fix.title == "Fix VM202: set --name to ubuntu-web (unsafe: changes what the hook does)"
    assert not fix.is_preferred and list(fix.diagnostics) == [wrong[0]]
    assert apply_edits(text, edits_of(fix)).count('"--name", "ubuntu-web"]') == 1
    assert await actions(client, path, text, only=[types.CodeActionKind.SourceFixAll]) == []  # no safe fix


async def test_a_quick_fix_after_wide_characters_edits_the_right_text(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    path = tmp_path / "vm.yaml"
    (diagnostic,) = await open_document(client, path, WIDE)
    (fix,) = [a for a in await actions(client, path, WIDE, at=diagnostic.range) if a.title.startswith("Fix VM")]
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred and list(fix.diagnostics) == [diagnostic]
    assert apply_edits(WIDE, edits_of(fix)) == WIDE.replace("on-error: fail", "on-error: Fail")


async def test_fix_all_is_what_vmlint_check_fix_writes(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    for name, text in (("original.yaml", ORIGINAL), ("published.yaml", PUBLISHED)):
        path = tmp_path / name
        await open_document(client, path, text)
        (fix_all,) = await actions(client, path, text, only=[types.CodeActionKind.SourceFixAll])
        assert fix_all.kind == "source.fixAll.vmlint"
        fixed = apply_edits(text, edits_of(fix_all))
        expected = run_cli("check", "--no-cache", "--fix", "-", "--stdin-filename", name,
                           stdin=text.encode("utf-8"), cwd=tmp_path).stdout
        assert fixed == expected != text
        assert path.read_text(encoding="utf-8") == text


async def test_disable_for_this_line_inserts_the_suppression_comment(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    path = tmp_path / "vm.yaml"
    # a valid timeout: KubeVirt overwrites it (VM301); an invalid one would be VM106 as well (issue #15 item 3)
    text = WIDE.replace("on-error: fail}", "on-error: fail, pre.hook.backup.velero.io/timeout: '30s'}")
    diagnostics = await open_document(client, path, text)
    assert [(d.code, d.range.start.line) for d in diagnostics] == [("VM105", 8), ("VM301", 8)]
    (disable,) = [a for a in await actions(client, path, text, at=diagnostics[0].range) if a.title.startswith("Disable")]
    assert disable.title == "Disable VM105 for this line"
    text = apply_edits(text, edits_of(disable))
    assert text.splitlines()[8].endswith("'30s'}  # vmlint: disable=VM105")
    diagnostics = await change_document(client, path, text, 2)
    assert [d.code for d in diagnostics] == ["VM301"]
    (again,) = [a for a in await actions(client, path, text, at=diagnostics[0].range) if a.title.startswith("Disable")]
    text = apply_edits(text, edits_of(again))
    assert text.splitlines()[8].endswith("'30s'}  # vmlint: disable=VM105,VM301")
    assert await change_document(client, path, text, 3) == []


async def test_hover_on_a_code_in_a_suppression_explains_the_rule(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    path = tmp_path / "vm.yaml"
    text = CORRECTED.replace("on-error: Fail", "on-error: Fail  # vmlint: disable=VM105,VM3 -- reason")
    await open_document(client, path, text)
    line = next(n for n, content in enumerate(text.split("\n")) if "disable=" in content)
    column = text.split("\n")[line].index("VM105") + 2

    async def hover(character: int) -> types.Hover | None:
        return await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()), position=types.Position(line, character)))

    shown = await hover(column)
    assert shown.contents.kind == types.MarkupKind.Markdown
    assert shown.contents.value == f"```text\n{explanation(builtin_catalogue().get('VM105'))}\n```"
    prefix = await hover(text.split("\n")[line].index("VM3 ") + 1)
    assert prefix.contents.value.startswith("**VM3**: ") and "- `VM301` " in prefix.contents.value
    assert await hover(2) is None


# --- configuration, shutdown ------------------------------------------------------------------------------------------


async def test_configuration_applies_and_reloads_when_it_changes(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    config = tmp_path / ".vmlint.yaml"
    config.write_text("ignore: [VM3, VM4]\n", encoding="utf-8")
    path = tmp_path / "vms" / "vm.yaml"
    path.parent.mkdir()
    broken = CORRECTED.replace("on-error: Fail", "on-error: fail")
    assert [d.code for d in await open_document(client, path, broken)] == ["VM105"]
    config.write_text("ignore: [VM1, VM4]\n", encoding="utf-8")
    changed = await diagnostics_after(client, path.as_uri(), lambda: client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(config.as_uri(), types.FileChangeType.Changed)])))
    assert [d.code for d in changed] == ["VM301"]
    config.write_text("ignore: [VM4]\nseverity: {VM105: warning}\n", encoding="utf-8")
    saved = await diagnostics_after(client, path.as_uri(), lambda: client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=config.as_uri()))))
    assert [(d.code, d.severity) for d in saved] == [("VM105", types.DiagnosticSeverity.Warning),
                                                     ("VM301", types.DiagnosticSeverity.Information)]
    config.write_text("ignore: [VM4]\nfail-on: nope\n", encoding="utf-8")  # unusable: the defaults, and a message
    client.messages.clear()
    broken_config = await diagnostics_after(client, path.as_uri(), lambda: client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(config.as_uri(), types.FileChangeType.Changed)])))
    assert [d.code for d in broken_config] == ["VM105", "VM301", "VM402"]
    assert any(".vmlint.yaml" in message.message and "fail-on" in message.message for message in client.messages)


async def test_a_clean_shutdown(client: LanguageClient, tmp_path: Path):
    await start(client, tmp_path)
    await open_document(client, tmp_path / "vm.yaml", WIDE)
    await client.shutdown_session()
    assert client._server is not None and client._server.returncode == 0
    client.capabilities = None  # the fixture's own shutdown has nothing left to do
