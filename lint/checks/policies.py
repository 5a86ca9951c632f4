"""Policy rules, off unless selected (`--select VM9`, or `profile: strict`): VM901-VM903.

They are not defects: each is a choice an organisation may want every VM to make explicitly. VM902 is the
parameterised `require-freeze` check of lint.checks.parameterised, which custom rules use too (through `policy`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lint.checks import CheckContext
from lint.checks.agent import freeze_source
from lint.checks.commands import hook_commands, span_in_value
from lint.checks.parameterised import ON_ERROR_KEYS, select
from lint.core.findings import Hit
from lint.kube.objects import Workload
from lint.velero.command import arguments

_NAMESPACE_FLAG = re.compile(r"--namespace(?:=|\s+)?(?P<value>[^\s\"';&|)]*)")


def _subject(workload: Workload) -> str:
    return f"{workload.kind} {workload.name.value}" if workload.name else f"this {workload.kind}"


def require_explicit_on_error(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """A frozen guest whose hooks fail by Velero's default rather than by a decision (VM901)."""
    source = freeze_source(workload, ctx)
    if source is None:
        return
    missing = [key for key in ON_ERROR_KEYS if workload.pod_annotation(key) is None]
    if not missing:
        return
    where = select(workload.obj.node, workload.spec.pod_metadata + ("annotations",))
    yield Hit(
        where.span,
        f"{_subject(workload)} gets freeze hooks ({source}) but sets no {' or '.join(missing)} in "
        f"{where.dotted}: Velero's default, Fail, applies without anyone having chosen it",
        hint=f"set {', '.join(missing)} to Continue or Fail",
    )


def require_namespace(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """A VM without metadata.namespace whose hooks name a namespace: applied elsewhere, they act on the wrong VM
    (VM903)."""
    if workload.namespace is not None or workload.spec.vmi_names == "instances":
        return
    for hook in hook_commands(workload, ctx):
        if not hook.pod_bound:
            continue
        for argument in arguments(hook.value.value, hook.parsed):
            found = _NAMESPACE_FLAG.search(argument.text)
            if found is None:
                continue
            exact = argument.end - argument.start == len(argument.text)
            start = argument.start + found.start() if exact else argument.start
            end = start + len("--namespace") if exact else argument.end
            value = found.group("value")
            if not value:  # `--namespace` then the next argv element
                argv = hook.parsed.argv
                value = argv[argument.index + 1] if argument.index + 1 < len(argv) else ""
            named = f" {value}" if value else ""
            yield Hit(
                span_in_value(ctx, hook.value, start, end),
                f"{hook.key.value} hard-codes --namespace{named} but {_subject(workload)} sets no "
                f"metadata.namespace: applied to another namespace, the hook acts on a VM that is not this one"
                f"{hook.note}",
                hint=f"set metadata.namespace{': ' + value if value else ''} on the {workload.kind}",
            )
            break
