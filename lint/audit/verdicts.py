"""The audit report: per namespace and per VM, will the guest be frozen before each Velero backup?

The verdict comes from the engine's own facts, never from re-reading YAML:

- will be frozen: something freezes the guest (KubeVirt injects its hooks, or a pre hook of the VM's own
  runs `virt-freezer --freeze`, lint.checks.agent.freeze_source), the guest agent evidence is present
  (lint.guest.verdict), and no error finding breaks a hook that takes effect;
- will not be frozen: nothing freezes it (skip-backup-hooks true, or a KubeVirt that injects nothing, with no
  freeze hook of its own), or an error finding breaks an effective hook, or the evidence says no agent runs;
- cannot tell: the evidence is unknown (vmlint cannot see whether an agent runs);
- freeze will fail: it will be frozen, but VM406 (an SELinux-denied mount point) or VM407 (an agent that
  refuses guest-fsfreeze-*) says the freeze itself fails. Reports show that count only when some VM has it.

An error on a key KubeVirt overwrites today, or on a lookalike annotation map that never reaches the pod, does
not break the freeze: it is listed, not counted against it. Guest agent findings (VM4) are the evidence's.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from lint.checks import CheckContext
from lint.checks.agent import evidence, freeze_source
from lint.checks.identity import kustomization_namespace
from lint.core.catalogue import Rule
from lint.core.findings import Finding, RunResult, Severity
from lint.kube.loading import load_file
from lint.kube.objects import Workload
from lint.kubevirt.injection import SKIP_HOOKS_KEY, hook_state
from lint.kubevirt.live import PAUSED_EXITS_ZERO, is_vmi, settings_from_export, stopped_without_vmi, vmi_for
from lint.run.discovery import InputFile
from lint.run.engine import RunOptions, bind, interest_of, run
from lint.run.prepass import secrets_index
from lint.target.settings import Settings

Verdict = Literal["frozen", "not-frozen", "unknown", "freeze-fails", "not-running"]
VERDICT_TEXT: dict[str, str] = {
    "frozen": "will be frozen",
    "not-frozen": "will not be frozen",
    "unknown": "cannot tell",
    "freeze-fails": "freeze will fail",
    "not-running": "not running",  # an exported VM that is stopped: reports show it only where there is one
}
# Worst first: nothing freezes the guest (silently); a freeze is attempted and fails (Velero reports the hook's
# error); vmlint cannot see whether it freezes; it will be frozen; it is stopped, so its volumes are consistent
# without a freeze. The dashboard sorts by it and `vmlint audit --fail-on-verdict` cuts it.
VERDICT_ORDER: tuple[Verdict, ...] = ("not-frozen", "freeze-fails", "unknown", "frozen", "not-running")
OCCASIONAL = ("freeze-fails", "not-running")  # verdicts reports show only where some VM has them
FREEZE_FAILS = ("VM406", "VM407")  # the guest is frozen, and the freeze itself fails
FAMILIES: dict[str, str] = {
    "VM0": "input",
    "VM1": "hook annotations",
    "VM2": "identity",
    "VM3": "KubeVirt's own hooks",
    "VM4": "guest agent",
    "VM5": "Velero objects",
    "VM6": "live state",
    "VM9": "policies",
}
NO_NAMESPACE = "(no namespace)"


class VerdictError(ValueError):
    """A verdict name that is none of VERDICT_ORDER's: a usage error (exit 2)."""


def parse_verdict(name: str) -> Verdict:
    """A verdict by its id (`not-frozen`) or its text (`will not be frozen`), in any case: what
    `--fail-on-verdict` takes, since the reports show the text and the dashboard's URL the id."""
    wanted = " ".join(name.lower().split())
    for verdict in VERDICT_ORDER:
        if wanted in (verdict, VERDICT_TEXT[verdict]):
            return verdict
    names = ", ".join(f"{verdict} ({VERDICT_TEXT[verdict]})" for verdict in VERDICT_ORDER)
    raise VerdictError(f"--fail-on-verdict {name!r} is not one of, worst to best: {names}")


@dataclass(frozen=True)
class VMReport:
    path: str
    line: int
    kind: str
    name: str
    namespace: str
    verdict: Verdict
    reason: str
    findings: tuple[Finding, ...] = ()
    breaking: tuple[Finding, ...] = ()  # the error findings that decided "will not be frozen"
    evidence: str = "manifest"  # "export" where an exported VMI (or a stopped VM's status) decided the verdict
    exported_vmi: bool = False  # an exported VMI, shown on its VirtualMachine's row when the run has the VM

    @property
    def verdict_text(self) -> str:
        return VERDICT_TEXT[self.verdict]


@dataclass
class AuditReport:
    vms: list[VMReport] = field(default_factory=list)
    other: list[Finding] = field(default_factory=list)  # findings on no workload (syntax, Velero objects)
    files: int = 0
    target: str = ""  # the KubeVirt version the verdicts assume
    errors: list[str] = field(default_factory=list)
    base: str = ""  # the audited directory (the HTML shows paths relative to it); "" where there is none

    @property
    def findings(self) -> list[Finding]:
        return sorted([f for vm in self.vms for f in vm.findings] + self.other, key=Finding.sort_key)

    def namespaces(self) -> dict[str, list[VMReport]]:
        grouped: dict[str, list[VMReport]] = {}
        for vm in sorted(self.vms, key=lambda v: (v.namespace == NO_NAMESPACE, v.namespace, v.name, v.path, v.line)):
            grouped.setdefault(vm.namespace, []).append(vm)
        return grouped

    def from_export(self) -> int:
        """How many verdicts an export decided (0 for manifests alone, whose reports then read as before)."""
        return sum(1 for vm in self.vms if vm.evidence == "export")

    def verdicts(self) -> dict[str, int]:
        """Each verdict's count; "freeze will fail" and "not running" only where some VM has them."""
        counted = Counter(vm.verdict for vm in self.vms)
        return {verdict: counted.get(verdict, 0) for verdict in VERDICT_TEXT
                if verdict not in OCCASIONAL or counted.get(verdict)}

    def at_or_below(self, verdict: Verdict) -> list[VMReport]:
        """The VMs whose verdict is `verdict` or worse in VERDICT_ORDER."""
        cut = VERDICT_ORDER.index(verdict)
        return [vm for vm in self.vms if VERDICT_ORDER.index(vm.verdict) <= cut]

    def evidence_note(self) -> str | None:
        """Where the verdicts' evidence came from, when an export decided any (None for manifests alone)."""
        exported = self.from_export()
        if not exported:
            return None
        return (f"Evidence: {exported} of {len(self.vms)} VMs judged by what the export shows (their VMI's "
                "AgentConnected condition, guestOSInfo and Paused condition, or a stopped VM's status); the rest by "
                "their manifests.")

    def shown_verdicts(self) -> dict[str, str]:
        """The verdicts a report counts, with their text."""
        counts = self.verdicts()
        return {verdict: text for verdict, text in VERDICT_TEXT.items() if verdict in counts}

    def by_code(self) -> list[tuple[str, str, int]]:
        """(code, rule name, count), by code."""
        names = {f.code: f.rule for f in self.findings}
        counted = Counter(f.code for f in self.findings)
        return [(code, names[code], counted[code]) for code in sorted(counted)]

    def by_family(self) -> list[tuple[str, str, int]]:
        """(family, what it covers, count) for every family, empty ones included."""
        counted = Counter(f.code[:3] for f in self.findings)
        return [(family, title, counted.get(family, 0)) for family, title in FAMILIES.items()
                if family not in ("VM6", "VM9") or counted.get(family)]  # exports and policies: where they speak


def build(inputs: Sequence[InputFile], rules: Sequence[Rule], settings: Settings,
          options: RunOptions | None = None) -> AuditReport:
    options = options or RunOptions()
    inputs = list(inputs)
    index = secrets_index(inputs, options.limits)
    settings, note = settings_from_export(settings, index.live)  # as run() does: the export names the KubeVirt
    result: RunResult = run(inputs, rules, settings, options, secrets=index)
    by_path: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_path.setdefault(finding.path, []).append(finding)
    interest = interest_of(bind(rules), options)
    target = str(settings.kubevirt) + (f" (from {settings.kubevirt_source[len('export: '):]})"
                                       if settings.kubevirt_source.startswith("export: ") else "")
    report = AuditReport(files=result.files, target=target, errors=list(result.errors))
    launched: dict[tuple[str, str], list[Finding]] = {}  # launcher pods' findings by their VMI
    for item in inputs:
        try:
            data = item.read()
        except OSError:
            continue
        loaded = load_file(item.display, data, helm_template=item.helm_template, limits=options.limits,
                           interest=interest)
        findings = by_path.pop(loaded.path, [])
        owner: dict[int, Workload] = {}
        for finding in findings:
            workload = _owner(loaded.workloads, finding)
            if workload is not None:
                owner[id(finding)] = workload
        for workload in loaded.workloads:
            mine = tuple(f for f in findings if owner.get(id(f)) is workload)
            ctx = CheckContext(loaded, settings, {}, index)
            report.vms.append(_vm(workload, ctx, mine))
        for pod in loaded.launcher_pods:  # a launcher pod's findings belong to its VMI's row
            span = pod.obj.node.span
            mine = tuple(f for f in findings if id(f) not in owner and (span.line, 0) <= (f.line, f.column)
                         < (span.end_line, span.end_column))
            if mine and pod.name is not None:
                launched.setdefault((pod.obj.namespace or NO_NAMESPACE, pod.name.value), []).extend(mine)
                owner.update((id(f), pod) for f in mine)
        report.other.extend(f for f in findings if id(f) not in owner)
    for rest in by_path.values():
        report.other.extend(rest)
    report.vms = _fold_exported(report.vms, launched, report.other)
    if index.secrets:  # a reason quoting a whole Secret value (decoded cloud-init) must not print it
        scrub = index.scrubber()
        report.vms = [replace(vm, reason=scrub(vm.reason) or "") for vm in report.vms]
    return report


def _fold_exported(vms: list[VMReport], launched: dict[tuple[str, str], list[Finding]],
                   other: list[Finding]) -> list[VMReport]:
    """One row per VM: an exported VMI whose VirtualMachine is in the run gives its findings (and its launcher
    pod's) to the VM's row; a VMI alone keeps its own row."""
    machines = {(vm.namespace, vm.name) for vm in vms if vm.kind == "VirtualMachine"}
    extra: dict[tuple[str, str], list[Finding]] = {key: list(found) for key, found in launched.items()}
    kept = []
    for vm in vms:
        if vm.exported_vmi and (vm.namespace, vm.name) in machines:
            extra.setdefault((vm.namespace, vm.name), []).extend(vm.findings)
        else:
            kept.append(vm)
    rows = []
    for vm in kept:
        more = extra.pop((vm.namespace, vm.name), []) if vm.kind in ("VirtualMachine", "VirtualMachineInstance") else []
        rows.append(replace(vm, findings=tuple(sorted((*vm.findings, *more), key=Finding.sort_key))) if more else vm)
    other.extend(f for found in extra.values() for f in found)  # launcher pods whose VMI and VM are not in the run
    other.sort(key=Finding.sort_key)
    return rows


def _owner(workloads: Sequence[Workload], finding: Finding) -> Workload | None:
    """The innermost workload whose object contains the finding's position."""
    best = None
    at = (finding.line, finding.column)
    for workload in workloads:
        span = workload.obj.node.span
        if (span.line, 0) <= at < (span.end_line, span.end_column):
            if best is None or workload.obj.node.span.start >= best.obj.node.span.start:
                best = workload
    return best


def _breaks(workload: Workload, ctx: CheckContext, finding: Finding) -> bool:
    """An error that breaks a hook that takes effect (not on a key KubeVirt overwrites, nor off the pod)."""
    if finding.severity < Severity.ERROR or finding.code.startswith("VM4"):
        return False
    state = hook_state(workload, ctx.settings)
    at = (finding.line, finding.column)
    for amap in workload.annotation_maps():
        for key, value in amap.mapping.entries():
            first, last = (key.span.line, key.span.column), (value.span.end_line, value.span.end_column)
            if first <= at <= last:
                return amap is workload.pod_annotations and not state.overwritten(key.value)
    return finding.code.startswith(("VM1", "VM2"))  # e.g. a placeholder in metadata.name; not a repeated key


def _vm(workload: Workload, ctx: CheckContext, findings: tuple[Finding, ...]) -> VMReport:
    name = workload.name.value if workload.name else "(no name)"
    applied = kustomization_namespace(workload, ctx)
    namespace = (applied[0] if applied else workload.namespace.value if workload.namespace
                 else ctx.settings.namespace or NO_NAMESPACE)
    span = workload.obj.node.span
    live = ctx.index.live if ctx.index is not None else None
    exported = live.vmi(workload.obj.namespace, name) if live is not None and is_vmi(workload.obj) else None
    base = {"path": ctx.file.path, "line": span.line, "kind": workload.kind, "name": name, "namespace": namespace,
            "findings": findings, "exported_vmi": exported is not None}
    if live is not None and stopped_without_vmi(workload, live, ctx.settings.namespace) is not None:
        return VMReport(verdict="not-running", reason="not running: the export shows it Stopped, with no VMI and no "
                        "launcher pod, so Velero runs no hook for it and backs up its volumes without a freeze, "
                        "consistent", evidence="export", **base)
    vmi = vmi_for(workload, live, ctx.settings.namespace) if live is not None else None
    source = freeze_source(workload, ctx)
    if source is not None and vmi is not None and vmi.paused is not None:
        kubevirt = ctx.settings.kubevirt
        effect = ("virt-freezer exits 0 without freezing" if kubevirt.version >= PAUSED_EXITS_ZERO
                  else "virt-freezer exits 1, so the hooks fail and the backup ends PartiallyFailed")
        return VMReport(verdict="not-frozen", reason=f"{source}, but the export shows VMI {vmi.namespace}/{vmi.name} "
                        f"paused: {effect} ({kubevirt})", evidence="export", **base)
    if source is None:
        state = hook_state(workload, ctx.settings)
        if state.skip.skips:
            why = f"{SKIP_HOOKS_KEY} is \"true\" and no pre hook of its own runs virt-freezer --freeze"
        elif not ctx.settings.kubevirt.injects_hooks:
            why = f"{ctx.settings.kubevirt} injects no hooks and no pre hook of its own runs virt-freezer --freeze"
        else:
            why = "no hook runs virt-freezer --freeze"
        return VMReport(verdict="not-frozen", reason=f"nothing freezes it: {why}", **base)
    breaking = tuple(f for f in findings if _breaks(workload, ctx, f))
    if breaking:
        codes = ", ".join(dict.fromkeys(f.code for f in breaking))
        return VMReport(verdict="not-frozen", reason=f"{codes} breaks the hook: {breaking[0].message}",
                        breaking=breaking, **base)
    found = evidence(workload, ctx)
    clause = found.reasons[0].text if found.reasons else "no evidence"
    fails = next((f for f in findings if f.code in FREEZE_FAILS), None)
    if found.reasons and found.reasons[0].source == "export":
        base["evidence"] = "export"
    if found.verdict == "absent":
        return VMReport(verdict="not-frozen", reason=f"{source}, but no guest agent runs: {clause}", **base)
    if found.verdict == "unknown":
        also = f"; if one runs, the freeze will fail: {fails.code} {fails.message}" if fails else ""
        return VMReport(verdict="unknown", reason=f"{source}; whether a guest agent runs is unknown: {clause}{also}",
                        **base)
    if fails is not None:
        return VMReport(verdict="freeze-fails", reason=f"{source}: it will be frozen, but the freeze will fail: "
                        f"{fails.code} {fails.message}", **base)
    return VMReport(verdict="frozen", reason=f"{source}, and the guest agent runs: {clause}", **base)


def audit_paths(paths: Sequence[str], namespace: str | None = None, kubevirt: str | None = None,
                velero: str | None = None, harvester: str | None = None, config_file: str | None = None,
                select: Sequence[str] | None = None, ignore: Sequence[str] | None = None) -> AuditReport:
    """`vmlint audit PATH`: the configuration, the built-in rules chosen as `vmlint check` chooses them (`select`
    and `ignore`, None where not given, over the configuration's), discovery, then build(): the verdicts are
    judged on the findings of the rules that remain."""
    from pathlib import Path

    from lint.core.catalogue import builtin_catalogue
    from lint.run.config import find_config, glob_regex, load_config
    from lint.run.discovery import discover
    from lint.run.engine import select_rules
    from lint.run.runner import UsageError, limits_from, os_images, target_settings

    if config_file and not Path(config_file).is_file():
        raise UsageError(f"no such configuration file: {config_file}")
    found = Path(config_file) if config_file else find_config(Path.cwd())
    config = load_config(found) if found else None
    get = config.get if config is not None else (lambda key, default=None: default)
    rules = select_rules(builtin_catalogue(), select if select is not None else get("select") or [],
                         ignore if ignore is not None else get("ignore") or [])
    settings = target_settings(namespace or get("namespace"), kubevirt or get("kubevirt-version"),
                               velero or get("velero-version"), harvester or get("harvester-version"),
                               tuple(get("guest-agent-images", ()) or ()), os_images(get("guest-os-images", ())))
    options = RunOptions(root=config.root if config is not None else None, limits=limits_from(get("limits", {}) or {}))
    excludes = tuple(glob_regex(pattern) for pattern in get("exclude", ()) or ())
    inputs = list(discover(list(paths), excludes=excludes, root=config.root if config is not None else None))
    report = build(inputs, rules, settings, options)
    report.base = audited_directory(paths)
    return report


def audited_directory(paths: Sequence[str]) -> str:
    """The directory the paths share: the one directory audited, a file's directory, or their common ancestor."""
    dirs = [os.path.normpath(path) if os.path.isdir(path) else os.path.dirname(os.path.normpath(path))
            for path in paths if path != "-"]
    if not dirs:
        return ""
    try:
        common = os.path.commonpath(dirs)
    except ValueError:  # absolute and relative paths mixed: no common directory to show them under
        return ""
    return "" if common in ("", ".") else common
