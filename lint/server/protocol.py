"""The Language Server Protocol side of `vmlint server` (pygls 2, lsprotocol).

- Diagnostics on open, on change (the unsaved text, debounced) and on save; pushed (publishDiagnostics) to clients
  that do not pull them, and answered to textDocument/diagnostic. Ranges are made from vmlint's character
  offsets in the negotiated position encoding (lint.server.positions); `code` is the rule code with a link to
  the rule's file, `source` is vmlint, a finding's second place is related information.
- Code actions: a quick fix per fixable finding (safe ones preferred, unsafe ones labelled), each verified alone
  as `--fix` verifies; `source.fixAll.vmlint`, every safe fix as `vmlint check --fix` applies them; "disable VMxxx
  for this line", a suppression comment. The server never writes a file: it returns edits.
- Hover on a rule code in a suppression comment or a vmlint.io/ignore annotation: `vmlint explain`.
- The configuration of each file is the one `vmlint check` would use; it is read again when a configuration file
  changes (watched files, or the file saved in the editor), and every open document is linted again.

A defect met on one document is logged and that document gets no diagnostics; the server goes on.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from lint import __version__
from lint.core.findings import Finding, Related, Severity
from lint.core.fixes import Fix
from lint.reporters.explain import explanation
from lint.run.config import CONFIG_NAMES
from lint.server.linting import Document, Linter
from lint.server.positions import UTF16, LineIndex
from lint.text.source import SourceText

DEBOUNCE = 0.3  # seconds of quiet after a change before the unsaved text is linted
FIX_ALL = "source.fixAll.vmlint"
SOURCE = "vmlint"
SEVERITIES = {Severity.ERROR: types.DiagnosticSeverity.Error, Severity.WARNING: types.DiagnosticSeverity.Warning,
              Severity.INFO: types.DiagnosticSeverity.Information}

logger = logging.getLogger("vmlint.server")


class VmlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("vmlint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.linter = Linter()
        self.pull = False  # the client pulls diagnostics: none are pushed
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.shown: set[str] = set()  # configuration problems already shown

    # --- documents and positions -----------------------------------------------------------------------------------

    def document(self, uri: str) -> Document:
        text_document = self.workspace.get_text_document(uri)
        path = to_fs_path(uri) if uri.startswith("file:") else None
        return Document(uri, Path(path) if path else None, text_document.source)

    def encoding(self) -> str:
        return str(self.workspace.position_encoding or UTF16)

    def findings(self, document: Document) -> list[Finding]:
        try:
            findings = self.linter.lint(document)
        except Exception as err:  # noqa: BLE001 - one document's defect must not stop the server
            logger.exception("linting %s", document.uri)
            self.window_log_message(types.LogMessageParams(
                type=types.MessageType.Error, message=f"vmlint: internal error on {document.uri}: {type(err).__name__}"))
            return []
        for config, problem in self.linter.problems.items():
            if problem not in self.shown:
                self.shown.add(problem)
                self.window_show_message(types.ShowMessageParams(
                    type=types.MessageType.Error,
                    message=f"vmlint: {problem} (linting with the default configuration until it is fixed)"))
        return findings

    def diagnostics(self, document: Document) -> list[types.Diagnostic]:
        findings = self.findings(document)
        places = Places(document, self.encoding())
        rules = self.linter.catalogue_for(document.path) if findings else None
        result = []
        for finding in findings:
            rule = rules.get(finding.code) if rules is not None else None
            described = None
            if rule is not None and rule.path and Path(rule.path).is_file():
                described = types.CodeDescription(href=Path(rule.path).resolve().as_uri())
            message = f"{finding.message}\nhint: {finding.hint}" if finding.hint else finding.message
            result.append(types.Diagnostic(
                range=places.finding(finding),
                message=message,
                severity=SEVERITIES[finding.severity],
                code=finding.code,
                code_description=described,
                source=SOURCE,
                related_information=[
                    types.DiagnosticRelatedInformation(types.Location(document.uri, places.related(place)), place.message)
                    for place in finding.related
                ] or None,
            ))
        return result

    def publish(self, uri: str) -> None:
        self.pending.pop(uri, None)
        if self.pull:
            return
        try:
            text_document = self.workspace.get_text_document(uri)
        except Exception:  # noqa: BLE001 - closed meanwhile
            return
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=self.diagnostics(self.document(uri)), version=text_document.version))

    def relint_all(self) -> None:
        self.linter.reload()
        self.shown.clear()
        for uri in list(self.workspace.text_documents):
            self.publish(uri)
        if self.pull:
            self.workspace_diagnostic_refresh(None)


class Places:
    """LSP ranges of one document's findings and edits."""

    def __init__(self, document: Document, encoding: str) -> None:
        self.bom = document.bom
        self.source = SourceText(document.text[self.bom :])  # vmlint's lines and columns are counted here
        self.index = LineIndex(document.text, encoding)

    def offset(self, line: int, column: int) -> int:
        return self.source.offset(line, column) + self.bom

    def range(self, start: int, end: int) -> types.Range:
        (line, character), (end_line, end_character) = self.index.position(start), self.index.position(end)
        return types.Range(types.Position(line, character), types.Position(end_line, end_character))

    def finding(self, finding: Finding) -> types.Range:
        return self.range(self.offset(finding.line, finding.column), self.offset(finding.end_line, finding.end_column))

    def related(self, place: Related) -> types.Range:
        return self.range(self.offset(place.line, place.column), self.offset(place.end_line, place.end_column))

    def edits(self, fix: Fix) -> list[types.TextEdit]:
        return [types.TextEdit(self.range(edit.start + self.bom, edit.end + self.bom), edit.text) for edit in fix.edits]


server = VmlintServer()


@server.feature(types.INITIALIZE)
def initialize(ls: VmlintServer, params: types.InitializeParams) -> None:
    capabilities = params.capabilities
    ls.pull = bool(capabilities.text_document and capabilities.text_document.diagnostic)
    folders = params.workspace_folders or []
    root = folders[0].uri if folders else params.root_uri
    if root and root.startswith("file:"):
        ls.linter.root = Path(to_fs_path(root) or ".")


@server.feature(types.INITIALIZED)
def initialized(ls: VmlintServer, params: types.InitializedParams) -> None:
    """Ask to be told when a configuration file changes, where the client lets a server register watchers."""
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    if watched and watched.dynamic_registration:
        watchers = [types.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_NAMES]
        ls.client_register_capability(types.RegistrationParams(registrations=[types.Registration(
            id="vmlint-configuration", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))]))


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: VmlintServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: VmlintServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    waiting = ls.pending.pop(uri, None)
    if waiting is not None:
        waiting.cancel()
    ls.pending[uri] = asyncio.get_running_loop().call_later(DEBOUNCE, ls.publish, uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: VmlintServer, params: types.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = to_fs_path(uri) if uri.startswith("file:") else None
    if path and Linter.is_config(Path(path)):
        ls.relint_all()
        return
    ls.publish(uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: VmlintServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    waiting = ls.pending.pop(uri, None)
    if waiting is not None:
        waiting.cancel()
    ls.linter.forget(uri)
    if not ls.pull:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: VmlintServer, params: types.DidChangeWatchedFilesParams) -> None:
    if any(change.uri.rsplit("/", 1)[-1] in CONFIG_NAMES for change in params.changes):
        ls.relint_all()


@server.feature(
    types.TEXT_DOCUMENT_DIAGNOSTIC,
    types.DiagnosticOptions(identifier="vmlint", inter_file_dependencies=False, workspace_diagnostics=False),
)
def diagnostic(ls: VmlintServer, params: types.DocumentDiagnosticParams) -> types.RelatedFullDocumentDiagnosticReport:
    return types.RelatedFullDocumentDiagnosticReport(items=ls.diagnostics(ls.document(params.text_document.uri)))


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=False),
)
def code_action(ls: VmlintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    document = ls.document(params.text_document.uri)
    version = ls.workspace.get_text_document(document.uri).version
    only = params.context.only

    def wanted(kind: str) -> bool:
        return not only or any(kind == asked or kind.startswith(f"{asked}.") for asked in only)

    def edit(edits: list[types.TextEdit]) -> types.WorkspaceEdit:
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=document.uri, version=version),
            edits=edits)])

    findings = ls.findings(document)
    places = Places(document, ls.encoding())
    actions: list[types.CodeAction] = []
    try:
        if wanted(types.CodeActionKind.QuickFix):
            diagnostics = {(d.code, d.range.start.line, d.range.start.character): d for d in ls.diagnostics(document)}
            for finding in findings:
                where = places.finding(finding)
                if not _touches(where, params.range):
                    continue
                diagnostic = diagnostics.get((finding.code, where.start.line, where.start.character))
                fix = finding.fix
                if fix is not None and ls.linter.verified(document, fix):
                    label = "" if fix.safety == "safe" else " (unsafe: changes what the hook does)"
                    actions.append(types.CodeAction(
                        title=f"Fix {finding.code}: {fix.description}{label}", kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic] if diagnostic else None, is_preferred=fix.safety == "safe",
                        edit=edit(places.edits(fix))))
                disable = ls.linter.disable_comment(document, finding)
                if disable is not None:
                    start, end, text = disable
                    actions.append(types.CodeAction(
                        title=f"Disable {finding.code} for this line", kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic] if diagnostic else None,
                        edit=edit([types.TextEdit(places.range(start, end), text)])))
        if wanted(FIX_ALL) and any(f.fix is not None and f.fix.safety == "safe" for f in findings):
            fixed = ls.linter.fix_all(document)
            if fixed is not None:
                actions.append(types.CodeAction(title="Fix all safe vmlint findings", kind=FIX_ALL,
                                                edit=edit([_whole_change(document.text, fixed, places)])))
    except Exception:  # noqa: BLE001 - one document's defect must not stop the server
        logger.exception("code actions for %s", document.uri)
    return actions


def _touches(a: types.Range, b: types.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and \
        (b.start.line, b.start.character) <= (a.end.line, a.end.character)


def _whole_change(before: str, after: str, places: Places) -> types.TextEdit:
    """One edit from the first changed character to the last, so that the editor keeps the rest (and the cursor)."""
    start = 0
    while start < min(len(before), len(after)) and before[start] == after[start]:
        start += 1
    end = 0
    while end < min(len(before), len(after)) - start and before[-1 - end] == after[-1 - end]:
        end += 1
    return types.TextEdit(places.range(start, len(before) - end), after[start : len(after) - end])


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: VmlintServer, params: types.HoverParams) -> types.Hover | None:
    document = ls.document(params.text_document.uri)
    index = LineIndex(document.text, ls.encoding())
    offset = index.offset(params.position.line, params.position.character)
    line_start = index.starts[min(params.position.line, len(index.starts) - 1)]
    line_end = index.offset(params.position.line, 1 << 30)
    code = ls.linter.code_at(document, document.text[line_start:line_end], offset - line_start)
    if code is None:
        return None
    rules = ls.linter.rules_for(document, code)
    if not rules:
        return None
    if len(rules) == 1 and rules[0].code == code:
        body = explanation(rules[0])
        fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", body)), default=0))
        text = f"{fence}text\n{body}\n{fence}"
    else:
        text = f"**{code}**: {len(rules)} rules\n\n" + "\n".join(f"- `{r.code}` {r.name}: {r.summary}" for r in rules)
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


def serve() -> None:
    """Speak LSP on standard input and output until the client says exit."""
    server.start_io()

