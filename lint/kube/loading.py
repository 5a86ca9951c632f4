"""From a file's bytes to its documents, Kubernetes objects and workload views.

Unrendered templates are recognised here, before anyone reports their syntax: a Helm chart's `templates/`
files are skipped whole, and a document that does not parse because of `{{ }}` or `{% %}` markers is skipped
with one note instead of a syntax error nobody can fix in the template's own text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lint.kube.objects import KubeObject, Workload, objects_in, workload_of
from lint.text.compose import Limits, load_documents
from lint.text.interest import EVERYTHING, Interest
from lint.text.nodes import Document, LimitProblem, Mapping, Node, Scalar, Span
from lint.text.source import DecodeError, SourceText, decode
from lint.velero.hooks import is_hook_like_key

if TYPE_CHECKING:  # the diagnoses are read only for a document that does not parse (lint.text.repair, lazily)
    from lint.text.repair import QuoteRepair, ShellWrapper

_TEMPLATE_MARKER = re.compile(r"\{\{|\{%")


@dataclass(frozen=True)
class TemplateSkip:
    """Why (part of) a file was not linted as YAML, and where the first template marker stands."""

    helm_chart: bool
    span: Span
    documents: tuple[int, ...]  # indexes of the skipped documents (all of them for a Helm template)


@dataclass(eq=False)
class LoadedFile:
    path: str
    source: SourceText | None
    decode_error: DecodeError | None = None
    documents: list[Document] = field(default_factory=list)
    template: TemplateSkip | None = None
    objects: list[KubeObject] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)  # KubeVirt objects whose annotations reach a pod
    launcher_pods: list[Workload] = field(default_factory=list)  # virt-launcher Pods of an export
    pod_workloads: list[Workload] = field(default_factory=list)  # Pods, Deployments, ..., CronJobs (not KubeVirt's)
    diagnoses: dict[int, QuoteRepair | ShellWrapper] = field(default_factory=dict)  # by document index
    limit: LimitProblem | None = None  # the whole file is over a limit and was not parsed

    def object_at(self, start: int) -> KubeObject | None:
        """The innermost object whose node contains the file offset `start`."""
        best = None
        for obj in self.objects:
            span = obj.node.span
            if span.start <= start < span.end and (best is None or span.start >= best.node.span.start):
                best = obj
        return best


def in_helm_chart_templates(path: Path) -> bool:
    """A file below a `templates/` directory whose parent holds a Chart.yaml is an unrendered Helm template."""
    return chart_templates_directory(path.resolve().parent if path.exists() else path.parent)


def chart_templates_directory(directory: Path) -> bool:
    """Whether files directly in `directory` (a resolved path) are below a Helm chart's `templates/`."""
    parts = directory.parts
    for i in range(len(parts), 0, -1):
        if parts[i - 1] == "templates" and (Path(*parts[: i - 1]) / "Chart.yaml").is_file():
            return True
    return False


def load_file(
    display: str,
    data: bytes,
    helm_template: bool = False,
    use_c: bool = True,
    limits: Limits = Limits(),
    interest: Interest = EVERYTHING,
) -> LoadedFile:
    """Decode, split and parse a file; only the documents `interest` selects are built (the rest are checked
    for syntax), so what the rules read is the whole of what costs time."""
    if len(data) > limits.file_bytes:
        return LoadedFile(display, None, limit=LimitProblem("file size", limits.file_bytes, len(data), 1, 1))
    try:
        source = decode(data)
    except DecodeError as err:
        return LoadedFile(display, None, decode_error=err)
    loaded = LoadedFile(display, source)
    if helm_template:
        loaded.template = TemplateSkip(True, _first_marker(source, 0, len(source.text)), ())
        return loaded
    loaded.documents = load_documents(source, use_c=use_c, limits=limits, relevant=interest.select,
                                      items=None if interest.everything else interest.wants_item)
    skipped = tuple(doc.index for doc in loaded.documents if _is_unrendered_template(source, doc))
    if skipped:
        first = loaded.documents[skipped[0]]
        loaded.template = TemplateSkip(False, _first_marker(source, first.start, first.end), skipped)
    for document in loaded.documents:
        if document.syntax_error is not None and document.index not in skipped:
            from lint.text.repair import diagnose_heredoc, diagnose_stray_quote

            diagnosis = diagnose_stray_quote(source, document, is_hook_like_key) or diagnose_heredoc(source, document)
            if diagnosis is not None:
                loaded.diagnoses[document.index] = diagnosis
        if document.index in skipped:
            continue
        for obj in objects_in(document):
            loaded.objects.append(obj)
            workload = workload_of(obj)
            if workload is not None:
                if workload.is_launcher_pod:
                    loaded.launcher_pods.append(workload)
                elif workload.spec.kubevirt:
                    loaded.workloads.append(workload)
                else:
                    loaded.pod_workloads.append(workload)
    return loaded


def _is_unrendered_template(source: SourceText, document: Document) -> bool:
    """A document with template markers that either break the YAML or stand unquoted in it.

    Unquoted `{{ x }}` parses as a nested flow mapping and `vm-{{ .Version }}` as a plain scalar: a file like
    that is meant for a template engine, not for kubectl. A marker inside a quoted string is data, which the
    placeholder rule (VM201) judges instead.
    """
    if not _TEMPLATE_MARKER.search(source.text, document.start, document.end):
        return False
    if document.syntax_error is not None:
        return True
    stack: list[Node] = [document.root] if document.root is not None else []
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Scalar):
            if node.style == "" and _TEMPLATE_MARKER.search(node.value):
                return True
        elif isinstance(node, Mapping):
            if node.flow and _TEMPLATE_MARKER.match(source.text, node.span.start):
                return True
            stack.extend(part for pair in node.pairs for part in pair)
        else:
            stack.extend(node.items)
    return False


def _first_marker(source: SourceText, start: int, end: int) -> Span:
    match = _TEMPLATE_MARKER.search(source.text, start, end)
    begin = match.start() if match else start
    stop = match.end() if match else start
    return Span.of(source, begin, stop)
