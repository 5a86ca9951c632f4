"""Shared helpers for tests that lint text in-process."""

from __future__ import annotations

from dataclasses import replace

from lint.core.catalogue import builtin_catalogue
from lint.core.findings import Finding, RunResult
from lint.run.discovery import InputFile
from lint.run.engine import run, select_rules
from lint.target.settings import Settings
from lint.target.versions import KubeVirt, parse_version

ANNOTATION_LINE = 10  # first annotation line of vm_with()
ANNOTATION_COLUMN = 9


def lint_result(text: str | bytes, select: tuple[str, ...] = (), namespace: str | None = None,
                path: str = "test.yaml", kubevirt: str | None = None) -> RunResult:
    data = text.encode("utf-8") if isinstance(text, str) else text
    rules = select_rules(builtin_catalogue(), select)
    settings = Settings(namespace=namespace)
    if kubevirt is not None:
        settings = replace(settings, kubevirt=KubeVirt(parse_version(kubevirt)), kubevirt_source="given")
    return run([InputFile(path, None, data)], rules, settings)


def lint_text(text: str | bytes, select: tuple[str, ...] = (), namespace: str | None = None,
              kubevirt: str | None = None) -> list[Finding]:
    result = lint_result(text, select, namespace, kubevirt=kubevirt)
    assert not result.errors, result.errors
    return result.findings


def where(findings: list[Finding]) -> list[tuple[str, int, int]]:
    return [(f.code, f.line, f.column) for f in findings]


def vm_with(*annotation_lines: str, name: str = "web", namespace: str | None = "prod") -> str:
    """A VirtualMachine whose pod-bound annotations are the given lines, starting at line 10, column 9."""
    ns = f"  namespace: {namespace}\n" if namespace is not None else "  labels: {}\n"
    return (
        "apiVersion: kubevirt.io/v1\n"
        "kind: VirtualMachine\n"
        "metadata:\n"
        f"  name: {name}\n"
        f"{ns}"
        "spec:\n"
        "  template:\n"
        "    metadata:\n"
        "      annotations:\n"
        + "".join(f"        {line}\n" for line in annotation_lines)
    )



OVERWRITTEN = ' (overwritten by KubeVirt 1.9.0 today; live again once kubevirt.io/skip-backup-hooks is "true")'
"""What messages on a user's pre/post command add at the default KubeVirt version, which injects its own."""

FREEZE = '\'["/usr/bin/virt-freezer", "--freeze", "--name", "web", "--namespace", "prod"]\''
UNFREEZE = '\'["/usr/bin/virt-freezer", "--unfreeze", "--name", "web", "--namespace", "prod"]\''
