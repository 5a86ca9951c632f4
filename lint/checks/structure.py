"""Checks on the YAML itself: syntax, repeated keys, unrendered templates (VM001, VM002, VM006)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from lint.checks import CheckContext
from lint.core.findings import Hit
from lint.core.fixes import Edit, Fix, fix_of
from lint.golang.json import decode_string_slice
from lint.kube.loading import LoadedFile
from lint.text.nodes import Span
from lint.velero.hooks import COMMAND_KEYS

if TYPE_CHECKING:
    from lint.text.repair import QuoteRepair


def _point(line: int, column: int, file: LoadedFile) -> Span:
    source = file.source
    start = source.offset(line, column) if source else 0
    return Span(line, column, line, column + 1, start, start + 1)


def yaml_syntax(file: LoadedFile, ctx: CheckContext) -> Iterator[Hit]:
    """A document the parser rejects is rejected by kubectl too, and with it every hook it holds."""
    if file.decode_error is not None:
        err = file.decode_error
        yield Hit(_point(err.line, err.column, file), f"invalid YAML: {err.message}")
        return
    skipped = set(file.template.documents) if file.template else set()
    for document in file.documents:
        problem = document.syntax_error
        if problem is None or document.index in skipped:
            continue
        from lint.text.repair import QuoteRepair, ShellWrapper  # only for a document that does not parse

        diagnosis = file.diagnoses.get(document.index)
        if isinstance(diagnosis, QuoteRepair):
            repair = diagnosis
            quote = "single" if repair.value.startswith("'") else "double"
            stray = file.source.line_text(repair.line)[repair.column :].rstrip() if file.source else ""
            yield Hit(
                _point(repair.line, repair.column, file),
                f"invalid YAML: the {quote}-quoted value of {repair.key} is closed by this quote, so the "
                f"`{stray}` after it is stray and kubectl rejects the whole document",
                hint=f"remove the stray quote: {repair.key}: {repair.value}",
                fix=_quote_fix(file, repair),
            )
            continue
        where = ""
        if problem.context and problem.context_line:
            where = f" ({problem.context} that starts at line {problem.context_line}, column {problem.context_column})"
        elif problem.context:
            where = f" ({problem.context})"
        hint = None
        if isinstance(diagnosis, ShellWrapper) and diagnosis.closing:
            hint = f"line {diagnosis.line} ({diagnosis.marker}) ends a shell here-document: lint only the YAML inside it"
        elif isinstance(diagnosis, ShellWrapper):
            hint = (
                f"line {diagnosis.line} is a shell command with the YAML in a here-document (<<{diagnosis.marker}): "
                f"lint only the YAML between it and {diagnosis.marker}"
            )
        yield Hit(_point(problem.line, problem.column, file), f"invalid YAML: {problem.problem}{where}", hint=hint)


def _quote_fix(file: LoadedFile, repair: QuoteRepair) -> Fix | None:
    """Move the quote only where the repaired document parses (checked when diagnosed) and, for a command,
    the value is then the JSON array of strings the author wrote."""
    if file.source is None:
        return None
    if repair.key in COMMAND_KEYS:
        inner = repair.value[1:-1]
        value = inner.replace("''", "'") if repair.value.startswith("'") else inner
        if not value.startswith("[") or decode_string_slice(value).error is not None:
            return None
    start = file.source.line_start(repair.line)
    return fix_of("remove the stray quote", Edit(start, start + len(repair.original), repair.corrected))


def duplicate_key(file: LoadedFile, ctx: CheckContext) -> Iterator[Hit]:
    """YAML-to-JSON conversion keeps one value of a repeated key and drops the other without a word."""
    skipped = set(file.template.documents) if file.template else set()
    for document in file.documents:
        if document.index in skipped:
            continue
        for duplicate in document.duplicates:
            first = duplicate.first.span
            yield Hit(
                duplicate.key.span,
                f"key {duplicate.key.value!r} repeats the key at line {first.line}, column {first.column}: "
                "Kubernetes keeps only this last value and the earlier one is lost",
                related=((first, f"the first {duplicate.key.value!r}: its value is lost"),),
            )


def template_skipped(file: LoadedFile, ctx: CheckContext) -> Iterator[Hit]:
    template = file.template
    if template is None:
        return
    if template.helm_chart:
        message = "Helm chart template skipped: lint the rendered manifests (`helm template CHART | vmlint check -`)"
    else:
        count = len(template.documents)
        what = "document" if count == 1 else f"{count} documents"
        message = (
            f"unrendered template skipped: {what} with unquoted or YAML-breaking `{{{{ }}}}`/`{{% %}}` markers; "
            "lint the rendered output instead (for example `… | vmlint check -`)"
        )
    yield Hit(template.span, message)


def input_limit(file: LoadedFile, ctx: CheckContext) -> Iterator[Hit]:
    """What vmlint refused to build: hostile or absurd input must cost bounded time and memory."""
    problems = [file.limit] if file.limit else [doc.limit for doc in file.documents if doc.limit]
    for problem in problems:
        scope = "the file was not parsed" if problem is file.limit else "this document was not linted"
        yield Hit(
            _point(problem.line, problem.column, file),
            f"{problem.what} {problem.found:,} is over the limit of {problem.limit:,}: {scope}"
            + (" (kubectl would have to expand every alias)" if problem.what == "alias expansion" else ""),
            hint="raise the limit under `limits:` in .vmlint.yaml if this input is legitimate",
        )
