"""The audit report as a dashboard (lint.audit.verdicts): one self-contained HTML file, no network, printable.

- a headline: how many VMs will be frozen, will not, whose freeze will fail, that vmlint cannot tell, and (for
  exports) that are not running;
- per-namespace stacked bars, inline SVG, drawn here;
- one table of every VM (namespace, VM, short kind, verdict, reason, findings, path relative to the audited
  directory), grouped by namespace as written; each VM's findings folded in a <details> with their source line
  (already redacted by the engine: no other file text is added);
- filters by verdict, namespace and rule, a search box and sortable columns. The table is complete without
  JavaScript: the one inline script only hides rows and reorders them, and reads its state from the URL
  fragment too (`#verdict=unknown&namespace=prod&rule=VM402&q=web&sort=name:desc`), so that a filtered view
  can be linked (and tested with a headless browser's DOM dump).

Every value taken from the manifests goes through html.escape; the script never interpolates data, and a
Content-Security-Policy lets no other script run and nothing load from the network.
Each VM row carries `data-vm` (namespace/name), `data-verdict`, `data-namespace` and `data-rules`.
"""

from __future__ import annotations

import base64
import hashlib
import os
from html import escape as _escape

from lint.audit.verdicts import VERDICT_ORDER, VERDICT_TEXT, AuditReport, VMReport
from lint.core.findings import Finding

# kubectl's short names for KubeVirt's kinds, the usual abbreviations for Kubernetes' (the full kind is the title)
SHORT_KINDS = {
    "VirtualMachine": "VM",
    "VirtualMachineInstance": "VMI",
    "VirtualMachinePool": "VMPool",
    "VirtualMachineInstanceReplicaSet": "VMIRS",
    "Deployment": "Deploy",
    "StatefulSet": "STS",
    "DaemonSet": "DS",
    "ReplicaSet": "RS",
    "ReplicationController": "RC",
}
COLOURS = {  # verdict: (bar and badge background, badge text)
    "frozen": ("#2da44e", "#116329"),
    "not-frozen": ("#cf222e", "#82071e"),
    "freeze-fails": ("#bc4c00", "#762c00"),
    "unknown": ("#d4a72c", "#7d4e00"),
    "not-running": ("#8c959f", "#424a53"),
}
BADGES = {"frozen": "#dafbe1", "not-frozen": "#ffebe9", "freeze-fails": "#fff1e5", "unknown": "#fff8c5",
          "not-running": "#eaeef2"}
RANK = {verdict: rank for rank, verdict in enumerate(VERDICT_ORDER)}  # worst first

_STYLE = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; margin: 1.5rem 2rem;
  background: #f6f8fa; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; } h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; }
.meta { color: #57606a; margin: 0 0 1rem; }
.card { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 1rem 1.2rem; margin: 0 0 1rem; }
.headline { display: flex; flex-wrap: wrap; gap: .8rem; margin: 0 0 1rem; }
.tile { flex: 1 1 9rem; background: #fff; border: 1px solid #d0d7de; border-top-width: 5px; border-radius: 8px;
  padding: .6rem .9rem; }
.tile .n { display: block; font-size: 2rem; font-weight: 700; line-height: 1.1; }
.tile .label { color: #57606a; }
.score { flex: 1.4 1 12rem; } .score .n { color: #0969da; }
svg text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: #1b1f24; }
.legend { display: flex; flex-wrap: wrap; gap: .9rem; margin: .4rem 0 0; color: #57606a; }
.legend i { display: inline-block; width: .8rem; height: .8rem; border-radius: 2px; margin-right: .3rem;
  vertical-align: -1px; }
#controls { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin: 0 0 .6rem; }
#controls label { display: flex; flex-direction: column; font-size: .85em; color: #57606a; }
#controls select, #controls input { font: inherit; padding: .25rem .4rem; border: 1px solid #d0d7de;
  border-radius: 6px; background: #fff; min-width: 9rem; }
#controls input { min-width: 16rem; }
#shown { color: #57606a; margin-left: auto; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border-bottom: 1px solid #d0d7de; padding: .4rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; position: sticky; top: 0; white-space: nowrap; }
th button { font: inherit; font-weight: 600; border: 0; background: none; padding: 0; cursor: pointer; color: inherit; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; font-size: .7em; }
th[aria-sort="descending"] button::after { content: " \\25BC"; font-size: .7em; }
td.reason { max-width: 34rem; } td.name { overflow-wrap: anywhere; min-width: 8rem; }
.verdict { font-weight: 600; white-space: nowrap; }
td.verdict span { padding: .1rem .45rem; border-radius: 999px; }
.kind { white-space: nowrap; }
.where, .path { color: #57606a; font-size: .9em; overflow-wrap: anywhere; }
.code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
details summary { cursor: pointer; white-space: nowrap; }
.findings { margin: .3rem 0 0; padding-left: 1.1rem; min-width: 22rem; } .findings li { margin: .3rem 0; }
.sev { font-size: .8em; text-transform: uppercase; color: #57606a; }
pre.src { margin: .2rem 0 0; padding: .2rem .4rem; background: #f6f8fa; border-radius: 4px; white-space: pre-wrap;
  overflow-wrap: anywhere; font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
.none { color: #57606a; }
.chart { max-width: 40rem; } .bar-row { display: flex; align-items: center; margin: .25rem 0; }
.bar-label { width: 14rem; } .bar-track { flex: 1; background: #eaeef2; height: 1rem; border-radius: 3px; }
.bar { background: #0969da; height: 1rem; border-radius: 3px; } .bar-count { width: 3rem; text-align: right; }
@media print {
  body { margin: 0; font-size: 10px; background: #fff; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  #controls, th button::after { display: none; }
  th { position: static; }
  .card, .tile { border-color: #999; }
  tr, .bar-row, .tile, svg { page-break-inside: avoid; break-inside: avoid; }
  thead { display: table-header-group; }
  h2 { page-break-after: avoid; break-after: avoid; }
  details::details-content { content-visibility: visible; display: block; }
}
"""

# Static: it reads the DOM and the URL fragment, never data written into it. Without it every row is shown.
_SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("vms");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var controls = document.getElementById("controls");
  var fields = { verdict: document.getElementById("f-verdict"), namespace: document.getElementById("f-namespace"),
                 rule: document.getElementById("f-rule"), q: document.getElementById("f-q") };
  var shown = document.getElementById("shown");
  var sort = null;
  function apply() {
    var verdict = fields.verdict.value, namespace = fields.namespace.value, rule = fields.rule.value;
    var words = fields.q.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var count = 0;
    rows.forEach(function (row) {
      var text = row.textContent.toLowerCase();
      var ok = (!verdict || row.getAttribute("data-verdict") === verdict) &&
               (!namespace || row.getAttribute("data-namespace") === namespace) &&
               (!rule || (" " + row.getAttribute("data-rules") + " ").indexOf(" " + rule + " ") >= 0) &&
               words.every(function (word) { return text.indexOf(word) >= 0; });
      row.hidden = !ok;
      if (ok) { count += 1; }
    });
    shown.textContent = count === rows.length ? "all " + rows.length + " VMs" : count + " of " + rows.length + " VMs";
    shown.setAttribute("data-shown", String(count));
    remember();
  }
  function order(column, direction) {
    var headers = table.tHead.rows[0].cells;
    var index = -1;
    for (var i = 0; i < headers.length; i += 1) {
      var on = headers[i].getAttribute("data-column") === column;
      if (on) { index = i; }
      if (headers[i].hasAttribute("data-column")) {
        headers[i].setAttribute("aria-sort", on ? (direction > 0 ? "ascending" : "descending") : "none");
      }
    }
    if (index < 0) { return; }
    sort = { column: column, direction: direction };
    var keyed = rows.map(function (row, at) {
      var cell = row.cells[index];
      return { row: row, at: at, key: cell.getAttribute("data-key") || cell.textContent.trim() };
    });
    keyed.sort(function (a, b) {
      var x = a.key, y = b.key, nx = Number(x), ny = Number(y), c;
      if (x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny)) { c = nx - ny; }
      else { x = x.toLowerCase(); y = y.toLowerCase(); c = x < y ? -1 : x > y ? 1 : 0; }
      return c * direction || a.at - b.at;
    });
    keyed.forEach(function (item) { body.appendChild(item.row); });
    remember();
  }
  function remember() {
    var parts = [];
    ["verdict", "namespace", "rule", "q"].forEach(function (name) {
      if (fields[name].value) { parts.push(name + "=" + encodeURIComponent(fields[name].value)); }
    });
    if (sort) { parts.push("sort=" + sort.column + (sort.direction > 0 ? "" : ":desc")); }
    var hash = parts.length ? "#" + parts.join("&") : "";
    if (hash !== location.hash && window.history && history.replaceState) {
      history.replaceState(null, "", hash || location.pathname + location.search);
    }
  }
  function restore() {
    var wanted = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      var at = part.indexOf("=");
      if (at > 0) {
        try { wanted[part.slice(0, at)] = decodeURIComponent(part.slice(at + 1)); } catch (err) { /* ignore */ }
      }
    });
    ["verdict", "namespace", "rule", "q"].forEach(function (name) {
      var value = wanted[name] || "";
      var field = fields[name];
      if (field.tagName === "SELECT" && !Array.prototype.some.call(field.options, function (o) {
        return o.value === value; })) { value = ""; }
      field.value = value;
    });
    if (wanted.sort) {
      var spec = wanted.sort.split(":");
      order(spec[0], spec[1] === "desc" ? -1 : 1);
    }
    apply();
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    var button = th.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var column = th.getAttribute("data-column");
      order(column, sort && sort.column === column ? -sort.direction : 1);
    });
  });
  Object.keys(fields).forEach(function (name) {
    fields[name].addEventListener("input", apply);
    fields[name].addEventListener("change", apply);
  });
  window.addEventListener("hashchange", restore);
  var folded = [];
  window.addEventListener("beforeprint", function () {
    folded = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) { return !d.open; });
    folded.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () { folded.forEach(function (d) { d.open = false; }); });
  controls.hidden = false;
  restore();
}());
"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
_CSP = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'; img-src data:; "
        "base-uri 'none'; form-action 'none'")


def e(text: object) -> str:
    return _escape(str(text), quote=True)


def short_kind(kind: str) -> str:
    return SHORT_KINDS.get(kind, kind)


def relative(path: str, base: str) -> str:
    """`path` relative to the audited directory `base` where it lies below it; as given otherwise."""
    if not base or path == "-":
        return path
    root = os.path.normpath(base)
    if path == root:
        return os.path.basename(path) or path
    prefix = root if root.endswith(os.sep) else root + os.sep
    return path[len(prefix):] if path.startswith(prefix) else path


def render(report: AuditReport) -> str:
    counts = report.verdicts()
    shown = report.shown_verdicts()
    namespaces = report.namespaces()
    vms = [vm for group in namespaces.values() for vm in group]
    where = f" under {e(report.base)}" if report.base else ""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>vmlint audit</title>",
        f"<style>{_STYLE}{_verdict_style(shown)}</style></head><body>",
        "<h1>vmlint audit</h1>",
        f'<p class="meta">{len(report.vms)} VMs in {report.files} files{where}, assuming {e(report.target)}.</p>',
        _headline(report, counts, shown),
    ]
    if report.evidence_note():
        parts.append(f'<p id="evidence">{e(report.evidence_note())}</p>')
    parts.append(_namespace_chart(namespaces, shown))
    parts.append(_table(report, vms, shown))
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
    parts.append('<h2>Findings by rule family</h2><div class="chart card" id="by-family" role="img" '
                 'aria-label="findings by rule family">')
    for family, title, count in families:
        width = round(100 * count / top, 1)
        parts.append(f'<div class="bar-row" data-family="{e(family)}"><span class="bar-label">{e(family)} {e(title)}'
                     f'</span><span class="bar-track"><span class="bar" style="display:block;width:{width}%"></span>'
                     f'</span><span class="bar-count">{count}</span></div>')
    parts.append("</div>")
    if report.other:
        parts.append('<h2>Findings on no VM</h2><ul class="findings card" id="other">')
        parts.extend(_finding(f, report.base) for f in report.other)
        parts.append("</ul>")
    parts.append(f"<script>{_SCRIPT}</script>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _verdict_style(shown: dict[str, str]) -> str:
    """Colours of the verdicts this report shows (only those: a report without one has no trace of it)."""
    lines = []
    for verdict in shown:
        bar, text = COLOURS[verdict]
        lines.append(f".{verdict} td.verdict span, .{verdict} .verdict-badge {{ color: {text}; "
                     f"background: {BADGES[verdict]}; }} .tile.{verdict} {{ border-top-color: {bar}; }} "
                     f".tile.{verdict} .n {{ color: {text}; }}")
    return "\n".join(lines) + "\n"


def _headline(report: AuditReport, counts: dict[str, int], shown: dict[str, str]) -> str:
    tiles = []
    running = len(report.vms) - counts.get("not-running", 0)
    share = f"{round(100 * counts['frozen'] / running)}%" if running else "n/a"
    tiles.append(f'<div class="tile score" id="score" data-count="{counts["frozen"]}" data-of="{running}">'
                 f'<span class="n">{share}</span><span class="label">of {running} running VMs will be frozen '
                 f"before each backup</span></div>")
    for verdict, text in shown.items():
        tiles.append(f'<div class="tile {verdict}" id="count-{verdict}" data-count="{counts[verdict]}">'
                     f'<span class="n">{counts[verdict]}</span><span class="label verdict">{e(text)}</span></div>')
    return '<div class="headline" id="headline">' + "".join(tiles) + "</div>"


def _namespace_chart(namespaces: dict[str, list[VMReport]], shown: dict[str, str]) -> str:
    """One stacked bar per namespace, its segments the verdicts' counts, on a scale shared by all bars."""
    label_width, bar_width, row, gap = 190, 560, 22, 6
    top = max((len(vms) for vms in namespaces.values()), default=0) or 1
    height = len(namespaces) * (row + gap) + gap
    width = label_width + bar_width + 50
    svg = [f'<svg id="by-namespace" width="100%" viewBox="0 0 {width} {height}" '
           f'role="img" aria-labelledby="by-namespace-title" style="max-width:{width}px">'
           '<title id="by-namespace-title">VMs per namespace by verdict</title>']
    for at, (namespace, vms) in enumerate(namespaces.items()):
        y = gap + at * (row + gap)
        name = namespace if len(namespace) <= 28 else namespace[:27] + "\u2026"
        svg.append(f'<g class="ns-bar" data-namespace="{e(namespace)}" data-total="{len(vms)}">'
                   f'<title>{e(namespace)}: {len(vms)} VMs</title>'
                   f'<text x="{label_width - 8}" y="{y + row / 2 + 4:g}" text-anchor="end">{e(name)}</text>')
        x = float(label_width)
        for verdict, text in shown.items():
            count = sum(1 for vm in vms if vm.verdict == verdict)
            if not count:
                continue
            span = bar_width * count / top
            svg.append(f'<rect class="seg" data-verdict="{verdict}" data-count="{count}" x="{x:.1f}" y="{y}" '
                       f'width="{span:.1f}" height="{row}" fill="{COLOURS[verdict][0]}">'
                       f"<title>{e(namespace)}: {count} {e(text)}</title></rect>")
            if span >= 18:
                svg.append(f'<text x="{x + span / 2:.1f}" y="{y + row / 2 + 4:g}" text-anchor="middle" '
                           f'style="fill:#fff;font-weight:600">{count}</text>')
            x += span
        svg.append(f'<text x="{x + 6:.1f}" y="{y + row / 2 + 4:g}" style="fill:#57606a">{len(vms)}</text></g>')
    svg.append("</svg>")
    legend = "".join(f'<span><i style="background:{COLOURS[verdict][0]}"></i>{e(text)}</span>'
                     for verdict, text in shown.items())
    return ('<h2>By namespace</h2><div class="card">' + "".join(svg) + f'<div class="legend">{legend}</div></div>')


def _table(report: AuditReport, vms: list[VMReport], shown: dict[str, str]) -> str:
    rules = sorted({f.code for vm in vms for f in vm.findings})
    options = {
        "verdict": [(verdict, text) for verdict, text in shown.items()],
        "namespace": [(namespace, namespace) for namespace in report.namespaces()],
        "rule": [(code, code) for code in rules],
    }
    controls = ['<div id="controls" hidden>']
    for name, label in (("verdict", "Verdict"), ("namespace", "Namespace"), ("rule", "Rule")):
        choices = "".join(f'<option value="{e(value)}">{e(text)}</option>' for value, text in options[name])
        controls.append(f'<label>{label}<select id="f-{name}"><option value="">all</option>{choices}</select></label>')
    controls.append('<label>Search<input id="f-q" type="search" placeholder="name, path, reason, finding"></label>'
                    '<span id="shown" aria-live="polite"></span></div>')
    columns = (("namespace", "Namespace"), ("name", "VM"), ("kind", "Kind"), ("verdict", "Verdict"), ("", "Reason"),
               ("findings", "Findings"), ("path", "Path"))
    head = "".join(f'<th data-column="{column}" aria-sort="none"><button type="button">{title}</button></th>'
                   if column else f"<th>{title}</th>" for column, title in columns)
    body = "".join(_row(vm, report.base) for vm in vms)
    return ("<h2>Virtual machines</h2>" + "".join(controls)
            + f'<table id="vms"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')


def _row(vm: VMReport, base: str) -> str:
    path = relative(vm.path, base)
    codes = list(dict.fromkeys(f.code for f in vm.findings))
    if vm.findings:
        summary = f"{', '.join(codes)} ({len(vm.findings)})"
        listed = "".join(_finding(f, base, vm.path) for f in vm.findings)
        findings = f'<details><summary class="code">{e(summary)}</summary><ul class="findings">{listed}</ul></details>'
    else:
        findings = '<span class="none">none</span>'
    return (f'<tr class="vm {vm.verdict}" data-vm="{e(vm.namespace)}/{e(vm.name)}" data-verdict="{vm.verdict}" '
            f'data-namespace="{e(vm.namespace)}" data-rules="{e(" ".join(codes))}">'
            f'<td class="namespace">{e(vm.namespace)}</td>'
            f'<td class="name">{e(vm.name)}</td>'
            f'<td class="kind" title="{e(vm.kind)}">{e(short_kind(vm.kind))}</td>'
            f'<td class="verdict" data-key="{RANK[vm.verdict]}"><span>{e(VERDICT_TEXT[vm.verdict])}</span></td>'
            f'<td class="reason">{e(vm.reason)}</td>'
            f'<td class="findings-cell" data-key="{len(vm.findings)}">{findings}</td>'
            f'<td class="path" data-key="{e(path)}:{vm.line:06d}">{e(path)}:{vm.line}</td></tr>')


def _finding(finding: Finding, base: str, own: str = "") -> str:
    """A finding with its place (only line and column in the VM's own file) and its source line, if any."""
    source = (f'<pre class="src"><code>{finding.line:>5} | {e(finding.source_line)}</code></pre>'
              if finding.source_line else "")
    place = "line " if finding.path == own else f"{e(relative(finding.path, base))}:"
    return (f'<li><span class="code">{e(finding.code)}</span> <span class="sev">{e(finding.severity)}</span> '
            f'<span class="where">{place}{finding.line}:{finding.column}</span> '
            f"{e(finding.message)}{source}</li>")
