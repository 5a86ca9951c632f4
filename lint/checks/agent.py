"""Checks on the QEMU guest agent that virt-freezer needs (VM401-VM405).

virt-freezer asks the guest agent for guest info, then freezes through it. With no agent it logs "No guest
agent, exiting" and exits 0 (since KubeVirt 0.57), so Velero records the freeze hook as succeeded over a
crash-consistent backup (velero-kubevirt-facts Q6 step 3, Q7). The evidence comes from lint.guest.verdict;
VM401-VM403 speak only when the guest is frozen at all: KubeVirt injects its hooks, or a pre hook of the
user's own runs `virt-freezer --freeze`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from lint.checks import CheckContext
from lint.checks.commands import pre_hook
from lint.core.catalogue import builtin_catalogue
from lint.core.findings import Hit
from lint.guest.declared import OPT_IN_ANNOTATION
from lint.guest.evidence import AGENT_UNIT, AgentEvidence, Reason
from lint.guest.verdict import guest_agent_evidence
from lint.guest.windows import windows_guest
from lint.kube.objects import Workload
from lint.kubevirt.injection import hook_state
from lint.kubevirt.live import export_evidence
from lint.target.versions import Version
from lint.velero.command import freezer_calls

NO_AGENT_EXITS_ZERO = Version(0, 57, 0)  # virt-freezer: "No guest agent, exiting", exit 0 (commit 8bfd01e2ca)
IMAGES_RULE = "VM402"  # the rule whose `params: {agent_images, agent_os}` hold the known list
HARVESTER_SNIPPET = "packages: [qemu-guest-agent] and runcmd: [[systemctl, enable, --now, qemu-guest-agent.service]]"
SETTLE = (f"list the image in guest-agent-images (configuration), or annotate the VM with {OPT_IN_ANNOTATION}: "
          '"installed"')


def freeze_source(workload: Workload, ctx: CheckContext) -> str | None:
    """Who freezes this guest before a backup, or None when nothing does."""
    state = hook_state(workload, ctx.settings)
    if state.injected:
        return f"{state.kubevirt} injects its virt-freezer hooks"
    hook = pre_hook(workload, ctx)  # the one Velero runs: a bare legacy command only without a pre. one
    if hook is not None and any(call.args.freeze for call in freezer_calls(hook.value.value, hook.parsed)):
        return f"{hook.key.value} runs virt-freezer --freeze"
    return None


def _params(ctx: CheckContext, key: str) -> tuple[str, ...]:
    """The rule's own parameter, else VM402's (VM401 and VM405 share its list), plus the user's images."""
    values = ctx.params.get(key)
    if values is None:
        rule = builtin_catalogue().get(IMAGES_RULE)
        values = rule.params.get(key, ()) if rule else ()
    extra = ctx.settings.guest_agent_images if key == "agent_images" else ()
    return tuple(str(value) for value in values) + tuple(extra)


def evidence(workload: Workload, ctx: CheckContext) -> AgentEvidence:
    """The evidence for one workload, as every VM4 check sees it (computed once per workload and settings): the
    manifest's, with the verdict of the run's exported VMI where there is one (lint.kubevirt.live)."""
    return workload.once(("evidence", id(ctx.settings)), lambda: _with_export(workload, ctx, guest_agent_evidence(
        workload, ctx.file, ctx.index, ctx.settings.namespace, _params(ctx, "agent_images"), _params(ctx, "agent_os"),
        ctx.settings.guest_os_images)))


def _with_export(workload: Workload, ctx: CheckContext, manifest: AgentEvidence) -> AgentEvidence:
    """Evidence beats inference: an exported VMI's AgentConnected condition settles the verdict."""
    found = export_evidence(workload, ctx.index.live, ctx.settings.namespace) if ctx.index is not None else None
    if found is None or found.connected is None:
        return manifest
    return replace(manifest, verdict="present" if found.connected else "absent",
                   reasons=(Reason(found.text, found.span, "export"),))


def _windows(workload: Workload, ctx: CheckContext) -> Reason | None:
    """Whether the guest is Windows, by the one OS answer (lint.guest.guestos)."""
    return windows_guest(workload, ctx.file, ctx.index, ctx.settings.namespace, ctx.settings.guest_os_images)


def _consequence(ctx: CheckContext, lead: str = "virt-freezer finds no guest agent, ") -> str:
    """What virt-freezer does when no agent answers, at the target KubeVirt."""
    kubevirt = ctx.settings.kubevirt
    if kubevirt.version >= NO_AGENT_EXITS_ZERO:
        return (f"{lead}logs \"No guest agent, exiting\" and exits 0, so Velero reports the hook as succeeded over "
                "a crash-consistent backup")
    return (f"virt-freezer's freeze call fails without a guest agent ({kubevirt}; from 0.57 it exits 0 instead), so "
            "the pre hook fails")


def _subject(workload: Workload) -> str:
    name = workload.name.value if workload.name else None
    return f"{workload.kind} {name}" if name else f"this {workload.kind}"


def guest_agent_missing(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """VM401: the guest is frozen, and its readable cloud-init neither installs nor enables the agent."""
    if _windows(workload, ctx) is not None:
        return  # VM403: Windows gets QEMU-GA from virtio-win or VMDP, not cloud-init
    source = freeze_source(workload, ctx)
    if source is None:
        return
    found = evidence(workload, ctx)
    if found.verdict != "absent" or (found.reasons[0].source == "export" and workload.kind != "VirtualMachine"):
        return  # an exported VMI without its agent is VM602's
    reason = found.reasons[0]
    if found.disabled is not None:
        message = f"{reason.text}, so no guest agent runs ({source}): {_consequence(ctx)}"
        hint = f"remove what turns {AGENT_UNIT} off, and enable it: {HARVESTER_SNIPPET}"
    else:
        message = f"{_subject(workload)} is frozen before each backup ({source}), but {reason.text}: {_consequence(ctx)}"
        hint = f"install and enable the agent as Harvester does: {HARVESTER_SNIPPET}; if the image ships it, {SETTLE}"
    yield Hit(reason.span, message, hint=hint)


def guest_agent_unverifiable(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """VM402: the guest is frozen and vmlint cannot tell whether an agent answers."""
    if _windows(workload, ctx) is not None:
        return
    source = freeze_source(workload, ctx)
    if source is None:
        return
    found = evidence(workload, ctx)
    if found.verdict != "unknown" or any(problem.kind == "syntax" for problem in found.problems):
        return  # a cloud-config that does not load is VM404's
    reason = found.reasons[0]
    if reason.source == "no-disk":
        return  # no volume at all: a fragment (or a malformed object) with no guest to judge
    yield Hit(
        reason.span,
        f"vmlint cannot tell whether {_subject(workload)} runs the QEMU guest agent: {reason.text}. It is frozen "
        f"before each backup ({source}); without an agent, {_consequence(ctx, 'virt-freezer ')}",
        hint=reason.hint or SETTLE,
    )


def windows_vss(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """VM403: a frozen Windows guest needs QEMU-GA and VSS, and VSS holds a freeze for about 10 seconds."""
    windows = _windows(workload, ctx)
    if windows is None:
        return
    source = freeze_source(workload, ctx)
    if source is None:
        return
    yield Hit(
        windows.span,
        f"{_subject(workload)} runs Windows ({windows.text}) and is frozen before each backup ({source}): the "
        "freeze goes through QEMU-GA, which Windows gets from virtio-win or VMDP (not cloud-init), and needs the "
        "Volume Shadow Copy (VSS) service running; without the agent virt-freezer exits 0 without freezing, and "
        "VSS holds a freeze for about 10 seconds, so a snapshot that takes longer makes the thaw fail with "
        "\"fsfreeze is limited\"",
        hint="install the QEMU guest agent from virtio-win (VMDP on Harvester), keep the VSS service running, and "
             "keep the snapshot short; for long snapshots back up the VM while it is stopped",
    )
    yield from _answer_file(workload, ctx, source)


def _answer_file(workload: Workload, ctx: CheckContext, source: str) -> Iterator[Hit]:
    """What the sysprep volume's answer file shows, where the run holds it (lint.guest.sysprep): a vmlint inference
    (guest-freeze-facts §5 found no public example), so info-level hits of VM403 and not a rule of their own."""
    from lint.guest.sysprep import sysprep_signals  # a Windows guest's alone

    for signal in sysprep_signals(workload, ctx.file, ctx.index, ctx.settings.namespace):
        if signal.kind == "vss-disabled":
            yield Hit(signal.span, (
                f"{signal.text}: {_subject(workload)} is frozen before each backup ({source}), and on Windows QEMU-GA "
                "freezes through VSS (qemu qga/vss-win32.c), so with VSS disabled the freeze cannot succeed and "
                "virt-freezer asks to \"make sure guest agent and VSS are running\" (kubevirt cmd/virt-freezer); "
                "vmlint infers this from the command"),
                hint="remove the command that disables the VSS service: the freeze needs it running")
        else:
            yield Hit(signal.span, (
                f"{signal.text}, so unless the image already has it, {_subject(workload)}, which is frozen before each "
                f"backup ({source}), has no guest agent: {_consequence(ctx, 'virt-freezer ')} (Windows gets QEMU-GA "
                "from virtio-win or VMDP, not cloud-init; kubevirt cmd/virt-freezer)"),
                hint="install the guest tools in the answer file (a FirstLogonCommands SynchronousCommand that runs "
                     "virtio-win-guest-tools.exe or the qemu-ga MSI), or ignore this where the image has QEMU-GA")


def cloud_config_invalid(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """VM404: `#cloud-config` user data that cloud-init reads differently from what its author meant."""
    for problem in evidence(workload, ctx).problems:
        yield Hit(problem.span, problem.text, hint=problem.hint)


def agent_install_not_enabled(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """VM405: the user data installs the agent but never enables or starts it, or the reverse."""
    found = evidence(workload, ctx)
    if found.disabled is not None or found.user_data_format not in ("cloud-config", "shell"):
        return
    if found.install is not None and found.enable is None:
        yield Hit(
            found.install.span,
            f"{found.install.text}, but vmlint cannot see it enabled or started: on most distributions the package "
            "starts itself through udev or systemd once the virtio channel exists (KubeVirt always adds it), but "
            f"Harvester's own snippet enables it with `systemctl enable --now {AGENT_UNIT}`",
            hint=f"add to runcmd: - [systemctl, enable, --now, {AGENT_UNIT}]",
        )
    elif found.enable is not None and found.install is None and found.shipped is None:
        yield Hit(
            found.enable.span,
            f"{found.enable.text}, but nothing installs qemu-guest-agent and vmlint does not know the image to ship "
            "it: where the package is missing, systemctl fails (\"Unit file qemu-guest-agent.service does not "
            "exist\") and no agent runs",
            hint=f"add qemu-guest-agent to packages; if the image ships it, {SETTLE}",
        )
