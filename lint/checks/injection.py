"""Checks on KubeVirt's own freeze hooks and the skip annotation at the target version (VM301-VM304)."""

from __future__ import annotations

from collections.abc import Iterator

from lint.checks import CheckContext
from lint.checks.commands import pre_hook, pre_hook_prefix
from lint.core.findings import Hit
from lint.golang.duration import parse_duration
from lint.kube.objects import Workload
from lint.kubevirt.injection import SKIP_HOOKS_KEY, hook_state, injected_value
from lint.text.nodes import Scalar
from lint.velero.command import freezer_calls
from lint.velero.hooks import VALID_KEYS, parse_command

GUEST_INFO_SECONDS = 5  # virt-freezer's GetGuestInfo call before the freeze (shortTimeout)
VELERO_DEFAULT_TIMEOUT_SECONDS = 30


def hook_overridden(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """KubeVirt writes its own virt-freezer hooks over the managed keys; say which of the user's keys are dead."""
    state = hook_state(workload, ctx.settings)
    if workload.pod_annotations is None or not state.injected:
        return
    entries = [(k, v) for k, v in workload.pod_annotations.mapping.entries() if k.value in VALID_KEYS]
    dead = [(k, v) for k, v in entries if state.overwritten(k.value)]
    if not dead:
        return
    live = [k.value for k, _ in entries if not state.overwritten(k.value) and ".restore." not in k.value]
    name = workload.name.value if workload.name else None
    namespace = workload.namespace.value if workload.namespace else ctx.settings.namespace
    alike = [_same(k.value, v, name, namespace) for k, v in dead]
    differing = [(k, v) for (k, v), equal in zip(dead, alike) if not equal]
    same = [k.value for (k, _), equal in zip(dead, alike) if equal]
    if differing:
        keys = ", ".join(k.value + _injected_note(k.value, name, namespace) for k, _ in differing)
        message = f"{state.kubevirt} writes its own virt-freezer hooks over {keys} on the launcher pod"
        message += ": your value does not take effect" if len(differing) == 1 else ": your values do not take effect"
        if same:
            message += f"; {', '.join(same)} {'is' if len(same) == 1 else 'are'} redundant (the same as injected)"
    else:
        message = f"{', '.join(same)} {'is' if len(same) == 1 else 'are'} redundant: {state.kubevirt} injects the same"
    if live:
        message += f"; of your hook annotations, {', '.join(live)} {'takes' if len(live) == 1 else 'take'} effect"
    where = workload.skip_annotations.path if workload.skip_annotations else ".".join(
        workload.spec.skip_metadata + ("annotations",)
    )
    yield Hit(
        (differing or dead)[0][0].span,
        message,
        hint=f"to run your own hooks instead, set {SKIP_HOOKS_KEY}: \"true\" on {where}",
    )


def _injected_note(key: str, name: str | None, namespace: str | None) -> str:
    injected = injected_value(key, name, namespace)
    return f" (it injects {injected})" if injected and not key.endswith("/command") else ""


def _same(key: str, value: object, name: str | None, namespace: str | None) -> bool:
    if not isinstance(value, Scalar):
        return False
    injected = injected_value(key, name, namespace)
    if injected is None:
        return False
    if key.endswith("/command"):
        return _freezer_intent(value.value) == _freezer_intent(injected)
    if key.endswith("/timeout"):
        return parse_duration(value.value).nanoseconds == parse_duration(injected).nanoseconds
    return value.value == injected


def _freezer_intent(value: str) -> tuple[object, ...] | None:
    """What a virt-freezer command does, whatever the order or form of its flags."""
    parsed = parse_command(value)
    calls = freezer_calls(value, parsed)
    if len(calls) != 1 or calls[0].in_shell or parsed.argv[0] != "/usr/bin/virt-freezer":
        return None
    args = calls[0].args
    return (args.freeze, args.unfreeze, args.name, args.namespace, args.unfreeze_timeout_seconds, args.exit_code)


def skip_hooks_misplaced(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """The skip annotation works only where KubeVirt reads it, and only from the release that added it."""
    where = workload.skip_annotations
    proper = where.mapping.entry(SKIP_HOOKS_KEY) if where else None
    target = ".".join(workload.spec.skip_metadata + ("annotations",))
    maps = [workload.pod_annotations, workload.own_annotations, *workload.misplaced]
    seen = {id(where.mapping)} if where else set()
    for amap in maps:
        if amap is None or id(amap.mapping) in seen:
            continue
        seen.add(id(amap.mapping))
        entry = amap.mapping.entry(SKIP_HOOKS_KEY)
        if entry is None or proper is not None:
            continue
        why = (
            "the VM controller copies it from the VM's own metadata and removes it from the VMI when the VM's "
            "metadata lacks it"
            if workload.kind == "VirtualMachine"
            else f"KubeVirt reads it from {target}"
        )
        yield Hit(
            entry[0].span,
            f"{SKIP_HOOKS_KEY} on {amap.path} does not take effect: {why}, so KubeVirt keeps injecting its hooks",
            hint=f"move it to {target}",
        )
    kubevirt = ctx.settings.kubevirt
    if proper is not None and not kubevirt.honours_skip_annotation:
        yield Hit(
            proper[0].span,
            f"{kubevirt} ignores {SKIP_HOOKS_KEY} (KubeVirt honours it from 1.6.6, 1.7.3 and 1.8.0): it injects "
            "its freeze hooks anyway",
            hint="upgrade KubeVirt, or drop the annotation",
        )


def freeze_disabled(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """Skipping KubeVirt's hooks with nothing in their place leaves only crash-consistent backups."""
    state = hook_state(workload, ctx.settings)
    if not state.skip.skips or state.skip.key is None:
        return
    if pre_hook(workload, ctx) is not None:
        return  # the user runs their own pre hook (a freeze, or a script of their own)
    yield Hit(
        state.skip.value.span if state.skip.value else state.skip.key.span,
        f"{SKIP_HOOKS_KEY} is true and no pre hook replaces KubeVirt's: nothing freezes the guest, so backups of "
        f"this {workload.kind} are only crash-consistent ({state.kubevirt})",
        hint="remove the annotation, or add your own pre and post hooks",
    )


def pre_timeout_too_short(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """Velero's pre-hook timeout must outlast the freeze call, or Velero gives up while the guest freezes."""
    state = hook_state(workload, ctx.settings)
    # the timeout of the pre hook Velero runs: the bare legacy one where the bare command is that hook
    prefix = pre_hook_prefix(workload, ctx)
    key = f"{prefix}/timeout"
    if state.overwritten(key):
        return  # KubeVirt's own 60s
    own = pre_hook(workload, ctx)
    own_freeze = own is not None and not state.overwritten(own.key.value) and any(
        call.args.freeze for call in freezer_calls(own.value.value, own.parsed))
    if not (state.injected or own_freeze):
        return
    deadline = state.kubevirt.freeze_deadline_seconds
    needed = deadline + GUEST_INFO_SECONDS
    entry = workload.pod_annotation(key)
    seconds, where, what = VELERO_DEFAULT_TIMEOUT_SECONDS, None, "Velero's default timeout of 30s"
    if entry is not None and isinstance(entry[1], Scalar):
        parsed = parse_duration(entry[1].value).nanoseconds
        if parsed is not None and parsed < 0:
            return  # no timer at all: Velero waits for ever (VM106 says so)
        if parsed is not None and parsed > 0:
            seconds, where, what = parsed / 1e9, entry[1].span, f"{key} {entry[1].value}"
    if seconds >= needed:
        return
    if where is None:
        pre = workload.pod_annotation(f"{prefix}/command")
        where = pre[0].span if pre else (workload.pod_annotations.mapping.span if workload.pod_annotations else workload.obj.node.span)
    yield Hit(
        where,
        f"{what} is shorter than the freeze can take at {state.kubevirt}: up to {deadline}s for the freeze call "
        f"plus up to {GUEST_INFO_SECONDS}s to reach the guest agent, so Velero may give up while the guest is "
        "freezing (with on-error Fail the thaw hook is then skipped)",
        hint=f"set {key} to at least {needed}s",
    )
