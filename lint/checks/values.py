"""Checks on hook annotation values Velero and KubeVirt parse: on-error, durations and booleans (VM105, VM106,
VM113).

Facts (velero-kubevirt-facts Q3, Q4.3): `getPodExecHookFromAnnotations` and
`getPodExecRestoreHookFromAnnotations` (internal/hook/item_hook_handler.go) keep `on-error` only when it is
exactly `Fail` or `Continue` and silently replace anything else with "". They parse `timeout`, `exec-timeout`
and `wait-timeout` with Go's `time.ParseDuration`, logging a warning and keeping 0 on an error;
`ExecutePodCommand` (pkg/podexec/pod_command_executor.go) turns a 0 timeout into its 30s `defaultTimeout` and
arms a timer only for a positive one. `wait-for-ready` is read with `strconv.ParseBool` (an error means
false), and so is KubeVirt's `kubevirt.io/skip-backup-hooks` (pkg/storage/pod/annotations/generator.go
Generate, the error ignored).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

from lint.checks import CheckContext
from lint.core.findings import Hit, Severity
from lint.core.fixes import fix_of, replace_in_value, replace_value
from lint.golang.duration import parse_duration
from lint.golang.strconv import parse_bool
from lint.kube.objects import AnnotationMap, Workload
from lint.kubevirt.injection import SKIP_HOOKS_KEY, hook_state
from lint.target.versions import Velero
from lint.text.nodes import Scalar
from lint.text.scalars import node_type

PRE_TIMEOUT_KEY = "pre.hook.backup.velero.io/timeout"
WAIT_TIMEOUT_KEY = "post.hook.restore.velero.io/wait-timeout"
WAIT_FOR_READY_KEY = "post.hook.restore.velero.io/wait-for-ready"
RESTORE_ON_ERROR_KEY = "post.hook.restore.velero.io/on-error"

BACKUP_ON_ERROR_KEYS = (
    "pre.hook.backup.velero.io/on-error",
    "post.hook.backup.velero.io/on-error",
    "hook.backup.velero.io/on-error",  # the legacy bare keys are a pre hook
)
ON_ERROR_KEYS = frozenset(BACKUP_ON_ERROR_KEYS + (RESTORE_ON_ERROR_KEY,))
TIMEOUT_KEYS = frozenset(
    {
        PRE_TIMEOUT_KEY,
        "post.hook.backup.velero.io/timeout",
        "hook.backup.velero.io/timeout",
        "post.hook.restore.velero.io/exec-timeout",
        WAIT_TIMEOUT_KEY,
    }
)
_ON_ERROR_VALUES = ("Fail", "Continue")
_UNITLESS_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)")
_DAYS = re.compile(r"\+?(\d+)[dD]")
_TRUE_WORDS = frozenset({"yes", "y", "on", "enable", "enabled"})
_FALSE_WORDS = frozenset({"no", "n", "off", "disable", "disabled"})


def _string_values(maps: Iterable[AnnotationMap | None], keys: frozenset[str]) -> Iterator[tuple[str, Scalar]]:
    """The string values of the given keys, each node once (maps and YAML aliases may share nodes).

    Values that are not YAML strings are VM003's: the API server rejects the object before anyone parses them.
    """
    seen: set[tuple[str, int]] = set()
    for amap in maps:
        if amap is None:
            continue
        for key, value in amap.mapping.entries():
            if key.value not in keys or not isinstance(value, Scalar) or node_type(value) != "str":
                continue
            if (key.value, id(value)) in seen:
                continue
            seen.add((key.value, id(value)))
            yield key.value, value


def _overwritten_note(workload: Workload, ctx: CheckContext, key: str, value: Scalar) -> str:
    """The note of a pod-bound value KubeVirt writes its own over (lint.kubevirt.injection, as the command rules
    say it), else ""; a misplaced lookalike is never overwritten."""
    entry = workload.pod_annotation(key)
    if entry is None or entry[1] is not value:
        return ""
    return hook_state(workload, ctx.settings).overwritten_note(key)


def _shown(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


# --- VM105 ---------------------------------------------------------------------------------------------------


def invalid_on_error(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """`on-error` is kept only when it is exactly `Fail` or `Continue`; anything else becomes "" without a log."""
    velero = ctx.settings.velero
    for key, value in _string_values(workload.annotation_maps(), ON_ERROR_KEYS):
        text = value.value
        if text in _ON_ERROR_VALUES:
            continue
        if text == "":
            opening = f"{key} is empty: Velero treats it as unset and"
        else:
            opening = f"{key} is {_shown(text)}, not Fail or Continue: Velero silently replaces it with \"\" and"
        hint = _on_error_hint(text)
        fix = fix_of(f"write {hint}", replace_value(value, hint)) if hint in _ON_ERROR_VALUES else None
        # the hint says what to write, key and all (issue #15 item 5)
        shown = f"{key}: {hint}" if hint in _ON_ERROR_VALUES else f"write {key}: Fail or {key}: Continue"
        yield Hit(value.span, f"{opening} {_empty_on_error(key, velero)}", hint=shown, fix=fix)


def _empty_on_error(key: str, velero: Velero) -> str:
    """What "" does for this key at the target Velero (velero-kubevirt-facts Q3.2)."""
    if key == RESTORE_ON_ERROR_KEY:
        # wait_exec_hook_handler.go cancels only on Fail, and hands the executor a copy of the hook
        return f"then goes on as with Continue: a hook error is logged and the restore continues ({velero})"
    if velero.unset_on_error_continues:
        return (
            "then goes on as with Continue: a hook error is logged and the backup continues, ending "
            f"PartiallyFailed ({velero})"
        )
    if key.startswith("post."):
        return f"then acts as with Fail: a hook error becomes an error of the pod's backup ({velero})"
    return f"then acts as with Fail: if the hook fails, the pod is not backed up ({velero})"


def _on_error_hint(text: str) -> str:
    """The intended spelling of a case or spacing variant (`fail`, ` Fail`, `CONTINUE`)."""
    squeezed = "".join(text.split()).lower()
    for value in _ON_ERROR_VALUES:
        if squeezed == value.lower():
            return value
    return "use Fail or Continue"


# --- VM106 ---------------------------------------------------------------------------------------------------


def invalid_duration(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """Timeouts are Go durations; an invalid one falls back silently, and 0 or a negative one is not what it
    looks like."""
    for key, value in _string_values(workload.annotation_maps(), TIMEOUT_KEYS):
        # KubeVirt may write its own 60s over the pre timeout (VM301 says so): the value is judged all the same,
        # with the note that says when it becomes live
        note = _overwritten_note(workload, ctx, key, value)
        text = value.value
        parsed = parse_duration(text)
        wait = key == WAIT_TIMEOUT_KEY
        if parsed.error is not None:
            effect = (
                "Velero logs a warning and reads it as 0, so it waits for the container indefinitely"
                if wait
                else "Velero logs a warning and uses its 30s default"
            )
            fix = None
            if _UNITLESS_NUMBER.fullmatch(text) and ctx.file.source is not None:  # `30` means 30s: Velero's unit
                fix = fix_of(f"write {text}s", replace_in_value(ctx.file.source, value, len(text), len(text), "s"))
            yield Hit(
                value.span,
                f"{key} is {_shown(text)}, which is not a Go duration ({parsed.error}): {effect}{note}",
                hint=_written(key, _duration_hint(text)),
                fix=fix,
            )
        elif parsed.nanoseconds is not None and parsed.nanoseconds < 0:
            if wait:
                yield Hit(
                    value.span,
                    f"{key} is negative ({_shown(text)}): Velero waits for the container indefinitely, as with 0"
                    f"{note}",
                    hint=f"{key}: {_unsigned(text)}, or 0 to wait indefinitely",
                    severity=Severity.WARNING,
                )
            else:
                yield Hit(
                    value.span,
                    f"{key} is negative ({_shown(text)}): Velero arms no timer for a negative timeout, so it "
                    f"waits for the hook forever{note}",
                    hint=f"{key}: {_unsigned(text)}",
                )
        elif parsed.nanoseconds == 0 and not wait:
            yield Hit(
                value.span,
                f"{key} is {_shown(text)}: Velero treats a zero timeout as unset and uses its 30s default, "
                f"not \"no timeout\"{note}",
                hint=f"{key}: 30s",
                severity=Severity.WARNING,
            )


def _written(key: str, hint: str) -> str:
    """A duration hint as the line to write (`key: 30s`); advice that is not a value stays as it is."""
    return hint if hint.startswith("write ") else f"{key}: {hint}"


def _unsigned(text: str) -> str:
    return text.strip().lstrip("-")


def _duration_hint(text: str) -> str:
    """The duration the author most likely meant: `30` -> 30s, `60 s` or `60S` -> 60s, `1d` -> 24h."""
    squeezed = "".join(text.split())
    if _UNITLESS_NUMBER.fullmatch(squeezed):
        return f"{squeezed}s"
    if squeezed and parse_duration(squeezed.lower()).error is None:
        return squeezed.lower()
    days = _DAYS.fullmatch(squeezed)
    if days:
        return f"{int(days.group(1)) * 24}h"
    return "write a Go duration with a unit, for example 30s, 1m30s or 2h"


# --- VM113 ---------------------------------------------------------------------------------------------------


def invalid_bool(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """strconv.ParseBool accepts twelve spellings; on anything else the reader falls back to false."""
    kubevirt = ctx.settings.kubevirt
    maps = [*workload.annotation_maps(), workload.skip_annotations]
    keys = frozenset({WAIT_FOR_READY_KEY, SKIP_HOOKS_KEY} if workload.spec.kubevirt else {WAIT_FOR_READY_KEY})
    for key, value in _string_values(maps, keys):
        text = value.value
        if parse_bool(text) is not None:
            continue
        if key == WAIT_FOR_READY_KEY:
            effect = (
                "Velero logs a warning and reads it as false, so it waits for the container to be Running, "
                "not Ready"
            )
        elif kubevirt.honours_skip_annotation:
            effect = "KubeVirt ignores the parse error and reads it as false, so it injects its freeze hooks anyway"
        else:
            effect = (
                f"{kubevirt} does not read this annotation at all, and the versions that do (1.6.6, 1.7.3, 1.8.0 "
                "and later) read it as false, so they inject their freeze hooks anyway"
            )
        yield Hit(
            value.span,
            f"{key} is {_shown(text)}, which Go's strconv.ParseBool rejects: {effect}",
            hint=_bool_hint(text),
        )


def _bool_hint(text: str) -> str:
    word = "".join(text.split())
    meant = parse_bool(word)
    if meant is None:
        meant = parse_bool(word.lower())
    if meant is None and word.lower() in _TRUE_WORDS:
        meant = True
    if meant is None and word.lower() in _FALSE_WORDS:
        meant = False
    if meant is None:
        return "true or false"
    return '"true"' if meant else '"false"'
