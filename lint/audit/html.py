"""The audit report as one self-contained HTML page (lint.audit.verdicts): no scripts, no external assets, printable.

Every value taken from the manifests goes through html.escape. The chart of findings by rule family is CSS
bars whose widths are computed here; a print stylesheet keeps the colours and avoids splitting rows.
Each VM row carries `data-vm` (namespace/name) and `data-verdict`, for tools (and tests) that read the DOM.
"""

from __future__ import annotations

from html import escape as _escape

from lint.audit.verdicts import AuditReport, VMReport

_FAILS_STYLE = ".freeze-fails .verdict { color: #82071e; background: #fff1e5; }\n"  # only when a VM has it
_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; margin: 2rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; } h2 { font-size: 1.2rem; margin: 1.8rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { border: 1px solid #d0d7de; padding: .35rem .5rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f6f8fa; }
.verdict { font-weight: 600; white-space: nowrap; }
.frozen .verdict { color: #116329; background: #dafbe1; }
.not-frozen .verdict { color: #82071e; background: #ffebe9; }
.unknown .verdict { color: #7d4e00; background: #fff8c5; }
.summary span { display: inline-block; margin-right: 1rem; padding: .2rem .5rem; border-radius: 4px; }
.findings { margin: 0; padding-left: 1.1rem; } .findings li { margin: .15rem 0; }
.code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.where { color: #57606a; font-size: .9em; }
.chart { max-width: 40rem; } .bar-row { display: flex; align-items: center; margin: .25rem 0; }
.bar-label { width: 14rem; } .bar-track { flex: 1; background: #eaeef2; height: 1rem; border-radius: 3px; }
.bar { background: #0969da; height: 1rem; border-radius: 3px; } .bar-count { width: 3rem; text-align: right; }
@media print {
  body { margin: 0; font-size: 11px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  tr, .bar-row { page-break-inside: avoid; break-inside: avoid; }
  thead { display: table-header-group; }
  h2 { page-break-after: avoid; break-after: avoid; }
}
"""


def e(text: object) -> str:
    return _escape(str(text), quote=True)


def render(report: AuditReport) -> str:
    counts = report.verdicts()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>vmlint audit</title>",
        f"<style>{_STYLE}{_FAILS_STYLE if 'freeze-fails' in counts else ''}</style></head><body>",
        "<h1>vmlint audit</h1>",
        f"<p>{len(report.vms)} VMs in {report.files} files, assuming {e(report.target)}.</p>",
        '<p class="summary">' + "".join(
            f'<span class="{verdict}" id="count-{verdict}"><span class="verdict">{text}: {counts[verdict]}</span></span>'
            for verdict, text in report.shown_verdicts().items()) + "</p>",
    ]
    if report.evidence_note():
        parts.append(f'<p id="evidence">{e(report.evidence_note())}</p>')
    if "not-running" in counts:  # only exports show stopped VMs: the style of their verdict comes with them
        parts[4] = parts[4].replace("</style>", ".not-running .verdict { color: #57606a; background: #eaeef2; }\n</style>")
    for namespace, vms in report.namespaces().items():
        parts.append(f'<section class="namespace" data-namespace="{e(namespace)}"><h2>Namespace {e(namespace)}</h2>')
        parts.append("<table><thead><tr><th>VM</th><th>kind</th><th>verdict</th><th>reason</th><th>findings</th>"
                     "</tr></thead><tbody>")
        parts.extend(_row(vm) for vm in vms)
        parts.append("</tbody></table></section>")
    parts.append("<h2>Findings by code</h2>")
    if report.by_code():
        parts.append('<table id="by-code"><thead><tr><th>code</th><th>rule</th><th>count</th></tr></thead><tbody>')
        parts.extend(f'<tr><td class="code">{e(code)}</td><td>{e(name)}</td><td>{count}</td></tr>'
                     for code, name, count in report.by_code())
        parts.append("</tbody></table>")
    else:
        parts.append("<p>No findings.</p>")
    families = report.by_family()
    top = max((count for _, _, count in families), default=0) or 1
    parts.append('<h2>Findings by rule family</h2><div class="chart" id="by-family" role="img" '
                 'aria-label="findings by rule family">')
    for family, title, count in families:
        width = round(100 * count / top, 1)
        parts.append(f'<div class="bar-row" data-family="{e(family)}"><span class="bar-label">{e(family)} {e(title)}'
                     f'</span><span class="bar-track"><span class="bar" style="display:block;width:{width}%"></span>'
                     f'</span><span class="bar-count">{count}</span></div>')
    parts.append("</div>")
    if report.other:
        parts.append('<h2>Findings on no VM</h2><ul class="findings" id="other">')
        parts.extend(f'<li><span class="code">{e(f.code)}</span> <span class="where">{e(f.path)}:{f.line}:{f.column}'
                     f"</span> {e(f.message)}</li>" for f in report.other)
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _row(vm: VMReport) -> str:
    findings = "".join(
        f'<li><span class="code">{e(f.code)}</span> <span class="sev">{e(f.severity)}</span> '
        f'<span class="where">{e(f.path)}:{f.line}:{f.column}</span> {e(f.message)}</li>'
        for f in vm.findings
    )
    listed = f'<ul class="findings">{findings}</ul>' if findings else "none"
    return (f'<tr class="vm {vm.verdict}" data-vm="{e(vm.namespace)}/{e(vm.name)}" data-verdict="{vm.verdict}">'
            f'<td class="name">{e(vm.name)}<div class="where">{e(vm.path)}:{vm.line}</div></td>'
            f"<td>{e(vm.kind)}</td><td class=\"verdict\">{e(vm.verdict_text)}</td>"
            f'<td class="reason">{e(vm.reason)}</td><td>{listed}</td></tr>')
