"""Checks on hook `command` values as Velero's parseStringToCommand reads them (VM102, VM103, VM104)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from lint.checks import CheckContext
from lint.core.findings import Hit
from lint.core.fixes import Fix, fix_of, replace_in_value
from lint.golang.json import decode_string_slice
from lint.kube.objects import AnnotationMap, Workload
from lint.kubevirt.injection import hook_state
from lint.text.nodes import Scalar, Span, value_span
from lint.text.scalars import node_type
from lint.velero.command import arguments
from lint.velero.hooks import COMMAND_KEYS, ParsedCommand, parse_command

BACKUP_PRE_PREFIX = "pre.hook.backup.velero.io"
BACKUP_LEGACY_PREFIX = "hook.backup.velero.io"

_SMART_QUOTES = "\u201c\u201d\u2018\u2019\u201e\u201f\u00ab\u00bb"
_SMART_DOUBLE = "\u201c\u201d\u201e\u201f"
_STRAIGHTEN = str.maketrans({ch: '"' for ch in _SMART_DOUBLE})


@dataclass(frozen=True)
class HookCommand:
    """A string-valued `command` annotation, how Velero parses it, and whether KubeVirt overwrites it."""

    where: AnnotationMap
    key: Scalar
    value: Scalar
    parsed: ParsedCommand
    note: str  # " (overwritten by KubeVirt … today; …)" where KubeVirt writes its own value over this one, else ""
    pod_bound: bool  # in the annotations that reach the launcher pod (not a misplaced lookalike)

    @property
    def phase(self) -> str:
        """`pre` or `post` for backup hooks (the bare legacy keys are a pre hook), `restore` otherwise."""
        if self.key.value.startswith(("pre.hook.backup.", "hook.backup.")):
            return "pre"
        return "post" if self.key.value.startswith("post.hook.backup.") else "restore"


def hook_commands(workload: Workload, ctx: CheckContext) -> Iterator[HookCommand]:
    """Every string-valued hook command of a workload (non-strings are VM003's); computed once per workload."""
    return iter(workload.once(("hook_commands", id(ctx.settings)), lambda: list(_hook_commands(workload, ctx))))


def _hook_commands(workload: Workload, ctx: CheckContext) -> Iterator[HookCommand]:
    state = hook_state(workload, ctx.settings)
    for amap in workload.annotation_maps():
        pod_bound = amap is workload.pod_annotations
        for key, value in amap.mapping.entries():
            if key.value in COMMAND_KEYS and isinstance(value, Scalar) and value.tag.endswith(("str", "plain")):
                note = state.overwritten_note(key.value) if pod_bound else ""
                yield HookCommand(amap, key, value, parse_command(value.value), note, pod_bound)


def command_set(workload: Workload, prefix: str) -> bool:
    """Whether the pod-bound `<prefix>/command` is what getHookAnnotation finds non-empty: a missing key, an
    empty string and a null (which the API server stores as "") all read as "" (non-strings are VM003's and
    count as set)."""
    entry = workload.pod_annotation(f"{prefix}/command")
    if entry is None:
        return False
    value = entry[1]
    if isinstance(value, Scalar) and node_type(value) in ("str", "null"):
        return value.value != "" and node_type(value) == "str"
    return True


def pre_hook_prefix(workload: Workload, ctx: CheckContext, today: bool = True) -> str:
    """The prefix of the keys Velero reads the pre hook from.

    HandleHooks (velero internal/hook/item_hook_handler.go) calls getPodExecHookFromAnnotations with phase `pre`
    and, only when that returns nil because `pre.hook.backup.velero.io/command` reads "", again with no phase:
    then container, command, on-error and timeout all come from the bare `hook.backup.velero.io/` keys, as a
    set (the two sets never mix). With `today`, KubeVirt's own `pre.` command, where it injects one, counts;
    without, the user's keys are read as they become live once `kubevirt.io/skip-backup-hooks` is true.
    """
    if today and hook_state(workload, ctx.settings).injected:
        return BACKUP_PRE_PREFIX
    if not command_set(workload, BACKUP_PRE_PREFIX) and command_set(workload, BACKUP_LEGACY_PREFIX):
        return BACKUP_LEGACY_PREFIX
    return BACKUP_PRE_PREFIX


def pre_hook(workload: Workload, ctx: CheckContext, today: bool = True) -> HookCommand | None:
    """The user's pod-bound command of the pre hook Velero runs (see pre_hook_prefix), None when it is empty or
    missing; with `today` and KubeVirt injecting, the user's `pre.` command it overwrites (its note says so)."""
    key = f"{pre_hook_prefix(workload, ctx, today)}/command"
    return next((hook for hook in hook_commands(workload, ctx)
                 if hook.pod_bound and hook.key.value == key and hook.parsed.form != "empty"), None)


def span_in_value(ctx: CheckContext, value: Scalar, start: int, end: int | None = None) -> Span:
    source = ctx.file.source
    return value_span(source, value, start, end) if source else value.span


def invalid_json(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """A value starting with `[` that Go cannot decode into []string runs as one program name."""
    for hook in hook_commands(workload, ctx):
        result = hook.parsed.json
        if hook.parsed.form != "invalid-json" or result is None:
            continue
        text = hook.value.value
        index = min(result.char_index if result.char_index is not None else 0, max(len(text) - 1, 0))
        yield Hit(
            span_in_value(ctx, hook.value, index),
            f"{hook.key.value} starts with `[` but is not a JSON array of strings ({result.error}): Velero "
            f"runs the whole value as one program name, so the hook fails{hook.note}",
            hint=_json_hint(text, result.kind, index, workload.spec.kubevirt),
            fix=_json_fix(ctx, hook.value),
        )


def _json_fix(ctx: CheckContext, value: Scalar) -> Fix | None:
    """Safe repairs only: the closing `]` alone is missing, or typographic quotes stand where `"` belong."""
    source, text = ctx.file.source, value.value
    if source is None:
        return None
    end = len(text.rstrip())
    if decode_string_slice(text[:end] + "]" + text[end:]).error is None:
        return fix_of("add the closing ]", replace_in_value(source, value, end, end, "]"))
    straightened = text.translate(_STRAIGHTEN)
    if straightened != text and decode_string_slice(straightened).error is None:
        edits = [replace_in_value(source, value, i, i + 1, '"') for i, ch in enumerate(text) if ch in _SMART_DOUBLE]
        return fix_of("replace typographic quotes with straight ones", *edits)
    return None


def _example(workload: Workload) -> str:
    """A command to show in a hint: virt-freezer's on KubeVirt workloads, a generic one elsewhere."""
    if workload.spec.kubevirt:
        return '["/usr/bin/virt-freezer", "--freeze", …]'
    return '["/path/to/program", …]'


def _json_hint(text: str, kind: str, index: int, kubevirt: bool = True) -> str:
    if kind == "type":
        return 'every element must be a JSON string in double quotes, for example "30" rather than 30'
    if any(quote in text for quote in _SMART_QUOTES):
        return "replace the typographic quotes (“ ” ‘ ’) with straight double quotes"
    if text.rstrip().endswith(",") or ",]" in text.replace(" ", ""):
        return "remove the comma before the closing ]"
    candidate = text.rstrip() + "]"
    if decode_string_slice(candidate).error is None:
        return f"add the closing ]: {candidate}"
    if "'" in text and '"' not in text:
        return "JSON strings use double quotes: write the elements as \"…\""
    example = '["/usr/bin/virt-freezer", "--freeze", …]' if kubevirt else '["/path/to/program", …]'
    return f"write a JSON array of strings, for example {example}"


def not_argv(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """No shell and no splitting: Velero decodes JSON only when the very first character is `[`."""
    for hook in hook_commands(workload, ctx):
        text = hook.value.value
        if hook.parsed.form == "leading-space":
            first = len(text) - len(text.lstrip())
            fix = None
            if ctx.file.source is not None:
                fix = fix_of("remove the whitespace before [", replace_in_value(ctx.file.source, hook.value, 0, first, ""))
            yield Hit(
                span_in_value(ctx, hook.value, 0, max(first, 1)),
                f"{hook.key.value} has whitespace before `[`: Velero decodes JSON only when the first character "
                f"is `[`, so it runs the whole value as one program name{hook.note}",
                hint=f"remove the leading whitespace: {text.lstrip()}",
                fix=fix,
            )
        elif hook.parsed.form == "plain" and any(ch.isspace() for ch in text.strip()):
            yield Hit(
                span_in_value(ctx, hook.value, 0, len(text)),
                f"{hook.key.value} is a plain string with spaces: Velero does not split it and runs "
                f"{text.strip()!r} as one program name, which does not exist{hook.note}",
                hint=f"write it as a JSON array: {_as_json(text)}",
            )


def _as_json(text: str) -> str:
    try:
        return json.dumps(shlex.split(text), ensure_ascii=False)
    except ValueError:
        return json.dumps(text.split(), ensure_ascii=False)


def empty(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """An empty command is no hook at all, and empty arguments are what Go makes of JSON nulls."""
    for hook in hook_commands(workload, ctx):
        parsed, key = hook.parsed, hook.key.value
        if parsed.form == "empty":
            yield Hit(
                hook.value.span,
                f"{key} is empty: Velero treats an empty command as no annotation hook and falls back to the "
                f"{'Restore' if hook.phase == 'restore' else 'Backup'}'s own hooks{hook.note}",
                hint="write the command as a JSON array of strings, or remove the key",
            )
            continue
        if parsed.form != "json":
            continue
        if not parsed.argv:
            yield Hit(
                span_in_value(ctx, hook.value, 0, len(hook.value.value)),
                f"{key} is an empty array: Velero fails the hook with \"command is required\"{hook.note}",
                hint=f'name the program: {_example(workload)}',
            )
            continue
        elements = arguments(hook.value.value, parsed)
        nulls = set(parsed.json.null_indices) if parsed.json else set()
        for argument in elements:
            if argument.index in nulls:
                what = "the program name" if argument.index == 0 else f"element {argument.index + 1}"
                yield Hit(
                    span_in_value(ctx, hook.value, argument.start, argument.end),
                    f"{what} of {key} is null: Go decodes it as an empty string, so the hook runs with an empty "
                    + ("program name and fails" if argument.index == 0 else "argument")
                    + hook.note,
                    hint="replace null with the string you meant, or remove it",
                )
            elif argument.index == 0 and not argument.text.strip():
                yield Hit(
                    span_in_value(ctx, hook.value, max(argument.start - 1, 0), argument.end + 1),
                    f"{key} has an empty program name: the hook cannot run{hook.note}",
                    hint=f'name the program first: {_example(workload)}',
                )
