"""Checks on the freeze itself: container, pairing, phases and virt-freezer's arguments (VM107-VM110).

virt-freezer (kubevirt cmd/virt-freezer/virt-freezer.go) lives at /usr/bin/virt-freezer in the `compute`
container of the launcher pod, freezes with `--freeze` and thaws with `--unfreeze` (freeze wins if both are
given), needs `--name` and `--namespace`, and schedules a safety thaw after `--unfreezeTimeoutSeconds`
(default 300; 0 disables it; a negative value fires at once).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from lint.checks import CheckContext
from lint.checks.commands import HookCommand, hook_commands, pre_hook_prefix, span_in_value
from lint.core.findings import Hit, Severity
from lint.core.fixes import Edit, Fix, fix_of, replace_in_value
from lint.golang.pflag import last_use
from lint.kube.objects import Workload
from lint.kubevirt.injection import hook_state
from lint.text.nodes import Scalar, Span
from lint.text.scalars import node_type
from lint.velero.command import FreezerCall, FsfreezeCall, arguments, freezer_calls, fsfreeze_calls

FREEZER_PATH = "/usr/bin/virt-freezer"
COMPUTE = "compute"


def hook_container(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """virt-freezer and the launcher's command socket are in `compute`; other containers fail the hook.

    The pre hook's container is read from the keys Velero reads the pre hook from: the bare legacy
    `hook.backup.velero.io/container` where the bare command is the pre hook (pre_hook_prefix), and then a
    `pre.hook.backup.velero.io/container` beside it is not read at all."""
    if workload.pod_annotations is None:
        return
    state = hook_state(workload, ctx.settings)
    hooks = [hook for hook in hook_commands(workload, ctx) if hook.pod_bound and hook.phase != "restore"]
    for prefix in (pre_hook_prefix(workload, ctx), "post.hook.backup.velero.io"):
        phase = "post" if prefix.startswith("post.") else "pre"
        key = f"{prefix}/container"
        entry = workload.pod_annotation(key)
        # non-strings are VM003's (the API server rejects them, or a null becomes "")
        text = entry[1].value if entry is not None and isinstance(entry[1], Scalar) else None
        if entry is not None and (text is None or node_type(entry[1]) != "str"):
            continue
        if entry is None or text == "":
            # Velero reads an empty container like a missing one: setDefaultHookContainer picks the first
            # container (velero-kubevirt-facts Q3.1)
            if state.overwritten(key):
                continue  # KubeVirt writes `compute` here today; VM301 says so
            hook = next((h for h in hooks if h.key.value == f"{prefix}/command"), None)
            if entry is not None:
                yield Hit(
                    entry[1].span if entry[1].span.end > entry[1].span.start else entry[0].span,
                    f"{key} is empty: Velero reads it like a missing key and runs the {phase} hook in the pod's "
                    "first container, which is `compute` today, but a webhook that prepends a sidecar would "
                    "change that",
                    hint=f"set {key}: {COMPUTE}",
                    severity=Severity.INFO,
                )
            elif hook is not None:
                yield Hit(
                    hook.key.span,
                    f"{phase} hook has no {key}: Velero runs it in the pod's first container, which is `compute` "
                    "today, but a webhook that prepends a sidecar would change that",
                    hint=f"set {key}: {COMPUTE}",
                    severity=Severity.INFO,
                )
            continue
        if isinstance(text, str) and text != COMPUTE:
            yield Hit(
                entry[1].span,
                f"{key} is {text!r}: virt-freezer and the launcher's socket are in the `compute` container, so "
                f"Velero fails the hook with \"no such container\" (or runs it where it cannot work)"
                + state.overwritten_note(key),
                hint=f"{key}: {COMPUTE}",
            )


def _freeze_calls(hook: HookCommand) -> list[FreezerCall]:
    return freezer_calls(hook.value.value, hook.parsed)


def unpaired_freeze(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """A freeze needs its thaw: without one the guest stays frozen until the safety thaw (300s by default)."""
    if not workload.spec.kubevirt:
        yield from _unpaired_fsfreeze(workload, ctx)
    hooks = [hook for hook in hook_commands(workload, ctx) if hook.pod_bound and hook.phase != "restore"]
    # the user's pre hook as Velero reads it once nothing overwrites it: the bare legacy command only without a
    # non-empty pre. one
    pre_key = f"{pre_hook_prefix(workload, ctx, today=False)}/command"
    pre = next((h for h in hooks if h.key.value == pre_key), None)
    post = next((h for h in hooks if h.phase == "post"), None)
    freezes = pre is not None and any(call.args.freeze for call in _freeze_calls(pre))
    thaws = post is not None and any(call.args.unfreeze and not call.args.freeze for call in _freeze_calls(post))
    if freezes and post is None:
        yield Hit(
            pre.key.span,
            f"{pre.key.value} freezes the guest but no post hook thaws it: the guest stays frozen until "
            f"virt-freezer's safety thaw (after --unfreezeTimeoutSeconds, 300s by default){pre.note}",
            hint="add post.hook.backup.velero.io/command with the same virt-freezer call and --unfreeze",
            fix=_partner(ctx, workload, pre, "post", "--freeze", "--unfreeze"),
        )
    if thaws and pre is None:
        yield Hit(
            post.key.span,
            f"{post.key.value} thaws the guest but no pre hook freezes it: the backup is only "
            f"crash-consistent{post.note}",
            hint="add pre.hook.backup.velero.io/command with the same virt-freezer call and --freeze",
            fix=_partner(ctx, workload, post, "pre", "--unfreeze", "--freeze"),
        )


def _partner(ctx: CheckContext, workload: Workload, hook: HookCommand, phase: str, flag: str, other: str) -> Fix | None:
    """The missing hook, mirroring its partner: the same virt-freezer call with the other flag, the same
    container, its own timeout (unsafe: it adds a hook). Only in block mappings, written after the partner's
    own lines with the same indentation and line ending."""
    source = ctx.file.source
    value = hook.value
    if source is None or value.span.line != value.span.end_line or value.style not in ("'", '"'):
        return None
    line = source.line_text(hook.key.span.line)
    if hook.where.mapping.flow or not line[: hook.key.span.column - 1].isspace() and hook.key.span.column != 1:
        return None
    token = f'"{flag}"'
    raw = source.text[value.span.start : value.span.end]
    if raw.count(token) != 1:
        return None
    indent = line[: hook.key.span.column - 1]
    start = source.line_start(hook.key.span.line)
    ending = source.text[start + len(line) : start + len(line) + 2]
    newline = "\r\n" if ending.startswith("\r\n") else "\n"
    lines = [f"{indent}{phase}.hook.backup.velero.io/command: {raw.replace(token, f'{chr(34)}{other}{chr(34)}')}"]
    container = workload.pod_annotation(f"{hook.key.value.rpartition('/')[0]}/container")  # the legacy keys' own
    if container is not None and isinstance(container[1], Scalar):
        lines.append(f"{indent}{phase}.hook.backup.velero.io/container: {container[1].value}")
    at = start + len(line)
    if ending[:1] in ("\r", "\n"):
        at += len(newline)
        return fix_of(f"add the {phase} hook", Edit(at, at, newline.join(lines) + newline), safety="unsafe")
    return fix_of(f"add the {phase} hook", Edit(at, at, newline + newline.join(lines)), safety="unsafe")


def freeze_phase_swapped(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """The pre hook must freeze and the post hook thaw; with both flags virt-freezer freezes."""
    if not workload.spec.kubevirt:
        yield from _fsfreeze_phase_swapped(workload, ctx)
    for hook in hook_commands(workload, ctx):
        if hook.phase == "restore":
            continue
        for call in _freeze_calls(hook):
            args = call.args
            flags = [use for use in args.uses if use.name in ("freeze", "unfreeze")]
            if args.freeze and args.unfreeze:
                use = flags[-1]
                yield Hit(
                    _use_span(ctx, hook, call, use.flag_index),
                    f"{hook.key.value} gives both --freeze and --unfreeze: virt-freezer freezes (freeze wins)"
                    + (", so this post hook freezes the guest again and nothing thaws it" if hook.phase == "post" else "")
                    + hook.note,
                    hint=f"keep only {'--freeze' if hook.phase == 'pre' else '--unfreeze'}",
                )
            elif hook.phase == "pre" and args.unfreeze:
                yield Hit(
                    _use_span(ctx, hook, call, flags[-1].flag_index),
                    f"{hook.key.value} runs --unfreeze before the backup: the guest is not frozen during the "
                    f"snapshot{hook.note}",
                    hint="the pre hook freezes (--freeze), the post hook thaws (--unfreeze)",
                    fix=_swap(ctx, hook, call, flags, "--freeze"),
                )
            elif hook.phase == "post" and args.freeze:
                yield Hit(
                    _use_span(ctx, hook, call, flags[-1].flag_index),
                    f"{hook.key.value} runs --freeze after the backup: the guest stays frozen until the safety "
                    f"thaw{hook.note}",
                    hint="the pre hook freezes (--freeze), the post hook thaws (--unfreeze)",
                    fix=_swap(ctx, hook, call, flags, "--unfreeze"),
                )


def _swap(ctx: CheckContext, hook: HookCommand, call: FreezerCall, flags: list, wanted: str) -> Fix | None:  # type: ignore[type-arg]
    """Rewrite the phase flag (unsafe: it changes what the hook does)."""
    source = ctx.file.source
    if source is None or call.in_shell or len(flags) != 1 or flags[0].value_index != flags[0].flag_index:
        return None
    start, end = call.positions[flags[0].flag_index]
    return fix_of(f"use {wanted}", replace_in_value(source, hook.value, start, end, wanted), safety="unsafe")


def _use_span(ctx: CheckContext, hook: HookCommand, call: FreezerCall, index: int, offset: int = 0,
              length: int | None = None) -> Span:
    if index >= len(call.positions):
        return hook.value.span
    start, end = call.positions[index]
    if length is not None and end - start >= offset + length:
        return span_in_value(ctx, hook.value, start + offset, start + offset + length)
    return span_in_value(ctx, hook.value, start, end)


def freezer_args(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """virt-freezer's argv as its flag parser (spf13/pflag) sees it."""
    kubevirt = ctx.settings.kubevirt
    for hook in hook_commands(workload, ctx):
        for call in _freeze_calls(hook):
            yield from _program(ctx, hook, call)
            args = call.args
            if args.parse_error is not None:
                index = args.error_index if args.error_index is not None else 0
                yield Hit(
                    _use_span(ctx, hook, call, index),
                    f"virt-freezer exits 2 before doing anything: {args.parse_error}{hook.note}",
                    hint="virt-freezer's flags are --freeze, --unfreeze, --name, --namespace, --unfreezeTimeoutSeconds",
                )
                continue
            for flag in ("name", "namespace"):
                use = last_use(args, flag)
                if use is not None and use.value.startswith("-") and use.value_index != use.flag_index:
                    yield Hit(
                        _use_span(ctx, hook, call, use.value_index),
                        f"--{flag} takes the next argument {use.value!r} as its value{hook.note}",
                        hint=f"give --{flag} a value: --{flag} <the VM's {flag}>",
                    )
            if args.validation_error is not None:
                yield Hit(
                    hook.value.span,
                    f"virt-freezer exits 1: {args.validation_error}{hook.note}",
                    hint="pass --freeze or --unfreeze, and --name and --namespace with the VM's values",
                )
            timeout = last_use(args, "unfreezeTimeoutSeconds")
            if timeout is None:
                continue
            span = _use_span(ctx, hook, call, timeout.value_index, timeout.value_offset, len(timeout.value))
            if not kubevirt.has_unfreeze_timeout_flag:
                yield Hit(span, f"--unfreezeTimeoutSeconds does not exist before KubeVirt 0.47 ({kubevirt}): "
                          f"virt-freezer exits 2{hook.note}")
            elif args.unfreeze_timeout_seconds is not None and args.unfreeze_timeout_seconds < 0:
                yield Hit(
                    span,
                    f"--unfreezeTimeoutSeconds {args.unfreeze_timeout_seconds} is negative: the safety thaw fires "
                    f"at once, so the guest is thawed right after the freeze{hook.note}",
                    hint="leave it at the default 300, or give more seconds than the snapshot takes",
                )
            elif args.unfreeze_timeout_seconds == 0:
                yield Hit(
                    span,
                    "--unfreezeTimeoutSeconds 0 turns the safety thaw off: if the thaw hook does not run (a failed "
                    f"pre hook with on-error Fail skips it), the guest stays frozen{hook.note}",
                    hint="leave it at the default 300",
                    severity=Severity.WARNING,
                )


def _program(ctx: CheckContext, hook: HookCommand, call: FreezerCall) -> Iterator[Hit]:
    if call.in_shell:
        return
    program = arguments(hook.value.value, hook.parsed)[0]
    if program.text == FREEZER_PATH:
        return
    span = span_in_value(ctx, hook.value, program.start, program.end)
    if program.text == "virt-freezer":
        yield Hit(
            span,
            f"{hook.key.value} runs `virt-freezer` through a PATH lookup in the compute container{hook.note}",
            hint=f"use the full path {FREEZER_PATH}",
            severity=Severity.WARNING,
        )
    else:
        yield Hit(
            span,
            f"{hook.key.value} runs {program.text!r}, but virt-freezer is at {FREEZER_PATH} in the virt-launcher "
            f"image: the hook fails with \"no such file\"{hook.note}",
            hint=f"use {FREEZER_PATH}",
        )


# --- fsfreeze on Kubernetes workloads (velero-hooks-every-workload §5) --------------------------------------------


def _fsfreeze_of(workload: Workload, ctx: CheckContext) -> dict[str, tuple[HookCommand, list[FsfreezeCall]]]:
    """The fsfreeze calls of the pre and post backup hooks Velero runs (lint.checks.workloads.exec_hooks)."""
    from lint.checks.workloads import exec_hooks

    return {hook.phase: (hook.command, list(fsfreeze_calls(hook.command.value.value, hook.command.parsed)))
            for hook in exec_hooks(workload, ctx) if hook.phase in ("pre", "post")}


def _unpaired_fsfreeze(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """fsfreeze has no safety thaw: a frozen filesystem blocks every write until someone runs --unfreeze on it."""
    hooks = _fsfreeze_of(workload, ctx)
    pre, post = hooks.get("pre"), hooks.get("post")
    frozen = [call for call in pre[1] if call.action == "freeze"] if pre else []
    thawed = [call for call in post[1] if call.action == "unfreeze"] if post else []
    thawed_paths = {posixpath.normpath(call.path) for call in thawed if call.path}
    for call in frozen:
        assert pre is not None
        if not thawed:
            yield Hit(
                span_in_value(ctx, pre[0].value, *(call.action_position or call.program_position)),
                f"{pre[0].key.value} freezes {call.path or 'a filesystem'} with fsfreeze but no post hook thaws it: "
                "fsfreeze has no safety thaw, so every write to that filesystem blocks until someone runs "
                "fsfreeze --unfreeze by hand",
                hint=f"add post.hook.backup.velero.io/command with fsfreeze --unfreeze {call.path or ''}".rstrip(),
            )
        elif call.path and thawed_paths and None not in {c.path for c in thawed} \
                and posixpath.normpath(call.path) not in thawed_paths:
            assert post is not None
            other = next(c for c in thawed if c.path)
            yield Hit(
                span_in_value(ctx, post[0].value, *(other.path_position or other.program_position)),
                f"{post[0].key.value} thaws {other.path} but {pre[0].key.value} freezes {call.path}: {call.path} "
                "stays frozen after the backup, and every write to it blocks",
                hint=f"thaw the path the pre hook freezes: fsfreeze --unfreeze {call.path}",
            )
    if thawed and not frozen:
        assert post is not None
        call = thawed[0]
        yield Hit(
            span_in_value(ctx, post[0].value, *(call.action_position or call.program_position)),
            f"{post[0].key.value} thaws {call.path or 'a filesystem'} with fsfreeze but no pre hook freezes it: "
            "the backup is only crash-consistent",
            hint=f"add pre.hook.backup.velero.io/command with fsfreeze --freeze {call.path or ''}".rstrip(),
        )


def _fsfreeze_phase_swapped(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    for phase, (hook, calls) in _fsfreeze_of(workload, ctx).items():
        for call in calls:
            span = span_in_value(ctx, hook.value, *(call.action_position or call.program_position))
            if call.action == "both":
                yield Hit(span, f"{hook.key.value} gives fsfreeze both --freeze and --unfreeze: fsfreeze refuses "
                          "mutually exclusive options and exits 1, so the hook fails",
                          hint=f"keep only {'--freeze' if phase == 'pre' else '--unfreeze'}")
            elif phase == "pre" and call.action == "unfreeze":
                yield Hit(span, f"{hook.key.value} runs fsfreeze --unfreeze before the backup: nothing is frozen "
                          "during the snapshot", hint="the pre hook freezes (--freeze), the post hook thaws (--unfreeze)")
            elif phase == "post" and call.action == "freeze":
                yield Hit(span, f"{hook.key.value} runs fsfreeze --freeze after the backup: the filesystem stays "
                          "frozen, and every write to it blocks", hint="the pre hook freezes (--freeze), the post "
                          "hook thaws (--unfreeze)")
