"""What the language server asks of vmlint, without LSP: lint a document's unsaved text with the configuration
that applies to its file, verify fixes and suppressions, explain rule codes.

Nothing here writes a file: fixes are planned in memory (lint.run.fixer.plan, the same verification as `vmlint
check --fix`: kept only if the text then lints better) and returned as text. A configuration file is read once
and kept until `reload`, which the server calls when one changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from lint.core.catalogue import Catalogue, CatalogueError, Rule
from lint.core.findings import Finding
from lint.core.fixes import Fix
from lint.kube.loading import in_helm_chart_templates
from lint.run.config import CONFIG_NAMES, Config, ConfigError, find_config, glob_regex, load_config
from lint.run.discovery import JSON_SUFFIX, YAML_SUFFIXES, InputFile, excluded, holds_kubernetes_json
from lint.run.engine import SelectionError, run
from lint.run.fixer import SYNTAX, plan
from lint.run.runner import Request, Setup, setup
from lint.run.suppressions import DIRECTIVE_COMMENT
from lint.text.source import SourceText

IGNORE_ANNOTATION = re.compile(r"vmlint\.io/ignore[\"']?\s*:\s*[\"']?(?P<codes>[A-Za-z0-9][A-Za-z0-9 ,]*)")
_CODE = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class Document:
    uri: str
    path: Path | None  # None for a document that is not a file (an unsaved buffer)
    text: str

    @property
    def bom(self) -> int:
        """1 when the text starts with a byte-order mark, which vmlint's offsets do not count."""
        return 1 if self.text.startswith("\ufeff") else 0


class Linter:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self._setups: dict[Path | None, Setup] = {}
        self._excludes: dict[Path | None, tuple[Config, tuple[re.Pattern[str], ...]]] = {}
        self._last: dict[str, tuple[str, list[Finding]]] = {}
        self.problems: dict[Path | None, str] = {}  # configuration files that could not be used, and why

    # --- configuration --------------------------------------------------------------------------------------------

    def reload(self) -> None:
        """Forget every configuration read and every result: a configuration file changed."""
        self._setups.clear()
        self._excludes.clear()
        self._last.clear()
        self.problems.clear()

    @staticmethod
    def is_config(path: Path | None) -> bool:
        return path is not None and path.name in CONFIG_NAMES

    def config_path(self, path: Path | None) -> Path | None:
        start = path.parent if path is not None else self.root
        return find_config(start) if start is not None else None

    def setup_for(self, path: Path | None) -> Setup:
        """The rules and settings for a file: its configuration's, or the defaults where it has none or the
        one it has cannot be used (the reason is kept in `problems`)."""
        found = self.config_path(path)
        if found not in self._setups:
            try:
                config = load_config(found) if found is not None else Config(root=self.root or Path.cwd())
                self._setups[found] = setup(Request(), config)
                patterns = tuple(glob_regex(pattern) for pattern in config.get("exclude", ()))
                self._excludes[found] = (config, patterns)
            except (ConfigError, SelectionError, CatalogueError, ValueError, OSError) as err:
                self.problems[found] = str(err)
                self._setups[found] = setup(Request(), Config(root=found.parent if found else Path.cwd()))
                self._excludes[found] = (Config(), ())
        return self._setups[found]

    def catalogue_for(self, path: Path | None) -> Catalogue:
        return self.setup_for(path).catalogue

    # --- linting ---------------------------------------------------------------------------------------------------

    def wanted(self, document: Document) -> bool:
        """A manifest vmlint would lint from a directory: YAML, or JSON holding a Kubernetes object, not excluded
        by its configuration. Anything else stays silent."""
        name = document.path.name if document.path is not None else document.uri
        if name.endswith(JSON_SUFFIX):
            if not holds_kubernetes_json(document.text.encode("utf-8", "surrogatepass")):
                return False
        elif not name.endswith(YAML_SUFFIXES) or self.is_config(document.path):
            return False
        if document.path is None:
            return True
        self.setup_for(document.path)
        config, patterns = self._excludes[self.config_path(document.path)]
        base = config.root.resolve() if patterns else None
        return not excluded(document.path.resolve().as_posix(), patterns, base)

    def lint(self, document: Document) -> list[Finding]:
        """The findings of a document's current text (none for what vmlint does not lint)."""
        last = self._last.get(document.uri)
        if last is not None and last[0] == document.text:
            return last[1]
        findings = self._lint_text(document, document.text) if self.wanted(document) else []
        self._last[document.uri] = (document.text, findings)
        return findings

    def forget(self, uri: str) -> None:
        self._last.pop(uri, None)

    def _item(self, document: Document, text: str) -> InputFile:
        display = str(document.path) if document.path is not None else document.uri
        helm = document.path is not None and in_helm_chart_templates(document.path)
        return InputFile(display, document.path, text.encode("utf-8", "surrogatepass"), helm)

    def _lint_text(self, document: Document, text: str) -> list[Finding]:
        chosen = self.setup_for(document.path)
        return run([self._item(document, text)], chosen.rules, chosen.settings, chosen.options).findings

    # --- fixes and suppressions -------------------------------------------------------------------------------------

    def fix_all(self, document: Document) -> str | None:
        """The text with every safe fix applied, pass after pass, as `vmlint check --fix` would; None: no change."""
        return self._planned(document, None)

    def verified(self, document: Document, fix: Fix) -> bool:
        """Whether one finding's fix, alone, leaves the document linting better (as --fix requires)."""
        return self._planned(document, fix) is not None

    def _planned(self, document: Document, only: Fix | None) -> str | None:
        if not self.wanted(document):
            return None
        chosen = self.setup_for(document.path)
        first = True

        def lint_one(item: InputFile) -> list[Finding]:
            nonlocal first
            findings = run([item], chosen.rules, chosen.settings, chosen.options).findings
            if only is not None:  # one fix, one pass: every other finding's fix is left out
                findings = [f if first and f.fix == only else replace(f, fix=None) for f in findings]
            first = False
            return findings

        item = self._item(document, document.text)
        planned = plan(item, item.read(), lint_one, unsafe=only is not None)
        if planned.fixed is None:
            return None
        return planned.fixed.decode("utf-8", "surrogatepass")

    def disable_comment(self, document: Document, finding: Finding) -> tuple[int, int, str] | None:
        """The edit (start, end, text: offsets into the document's text) that suppresses `finding` on its line:
        `# vmlint: disable=CODE` at the end of the line, or the code added to such a comment already there.
        Offered only if the result, linted, has no such finding on that line and no new syntax error."""
        source = SourceText(document.text[document.bom :])
        line = source.line_text(finding.line)
        at = source.line_start(finding.line) + document.bom
        existing = next((m for m in DIRECTIVE_COMMENT.finditer(line) if m.group("kind") == "disable"), None)
        if existing is not None:
            start = at + existing.end("codes")
            edit = (start, start, f",{finding.code}")
        else:
            end = at + len(line)
            edit = (end, end, f"  # vmlint: disable={finding.code}")
        after = document.text[: edit[0]] + edit[2] + document.text[edit[1] :]
        findings = self._lint_text(document, after)
        syntax_before = sum(1 for f in self.lint(document) if f.code == SYNTAX)
        if any(f.code == finding.code and f.line == finding.line for f in findings):
            return None
        if sum(1 for f in findings if f.code == SYNTAX) > syntax_before:
            return None
        return edit

    # --- hover -------------------------------------------------------------------------------------------------------

    def code_at(self, document: Document, line_text: str, column: int) -> str | None:
        """The rule code or prefix under `column` (characters) of a line, inside a suppression comment or a
        vmlint.io/ignore annotation."""
        for pattern in (DIRECTIVE_COMMENT, IGNORE_ANNOTATION):
            for match in pattern.finditer(line_text):
                start = match.start("codes")
                for code in _CODE.finditer(match.group("codes")):
                    if start + code.start() <= column <= start + code.end():
                        return code.group().upper()
        return None

    def rules_for(self, document: Document, code: str) -> list[Rule]:
        """The rules a code names: itself, or every rule a prefix covers."""
        catalogue = self.catalogue_for(document.path)
        rule = catalogue.get(code)
        return [rule] if rule is not None else [r for r in catalogue if r.code.startswith(code)]
