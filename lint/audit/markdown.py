"""The audit report as a Markdown summary (lint.audit.verdicts): verdicts per namespace and VM, counts by code and family.

Everything taken from the manifests is escaped: `|` and backticks, backslashes, and the characters Markdown
renders as markup or inline HTML; line breaks become spaces so a table row stays one row.
"""

from __future__ import annotations

import re

from lint.audit.verdicts import AuditReport

_SPECIAL = re.compile(r"([\\`|*_\[\]])")


def escape(text: object) -> str:
    value = " ".join(str(text).split())
    value = _SPECIAL.sub(r"\\\1", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(report: AuditReport) -> str:
    counts = report.verdicts()
    lines = [
        "# vmlint audit",
        "",
        f"{len(report.vms)} VM{'s' if len(report.vms) != 1 else ''} in {report.files} "
        f"file{'s' if report.files != 1 else ''}, assuming {escape(report.target)}: "
        + ", ".join(f"{counts[verdict]} {text}" for verdict, text in report.shown_verdicts().items()) + ".",
    ]
    if report.evidence_note():
        lines += ["", escape(report.evidence_note())]
    for namespace, vms in report.namespaces().items():
        lines += ["", f"## Namespace {escape(namespace)}", "",
                  "| VM | kind | verdict | reason | findings |", "|---|---|---|---|---|"]
        for vm in vms:
            found = ", ".join(f"{f.code} ({escape(f.path)}:{f.line})" for f in vm.findings) or "none"
            lines.append(f"| {escape(vm.name)} | {escape(vm.kind)} | **{vm.verdict_text}** | {escape(vm.reason)} "
                         f"| {found} |")
    lines += ["", "## Findings by code", ""]
    if report.by_code():
        lines += ["| code | rule | count |", "|---|---|---:|"]
        lines += [f"| {code} | {escape(name)} | {count} |" for code, name, count in report.by_code()]
    else:
        lines.append("No findings.")
    lines += ["", "## Findings by rule family", "", "| family | covers | count |", "|---|---|---:|"]
    lines += [f"| {family} | {escape(title)} | {count} |" for family, title, count in report.by_family()]
    if report.other:
        lines += ["", "## Findings on no VM", ""]
        lines += [f"- {f.code} {escape(f.path)}:{f.line}:{f.column}: {escape(f.message)}" for f in report.other]
    return "\n".join(lines) + "\n"
