"""Checks on the live state an export of a running cluster shows (VM601-VM606).

cluster-state-facts.md: a VMI's `status.fsFreezeStatus` is absent or "frozen" and says a freeze was requested
and not undone (§2); `AgentConnected` is present while the guest agent's channel is connected and removed
otherwise (§1); virt-freezer exits 0 without freezing when the agent never answered ("No guest agent, exiting",
since 0.57) and, from 1.6.0, when the domain is paused ("VM domain not running"), where before 1.6.0 it exits 1
(§4, §7); a Velero Backup counts one attempted hook per launcher pod and phase, and a failed hook is logged at
error level, so a terminal phase of Completed with failed hooks cannot happen (§6). A virt-launcher pod's
annotations are the hooks Velero runs (§5).

The facts of other files (the launcher pod of a VMI, the VMIs a Backup covers) come from the run's LiveIndex
(lint.kubevirt.live), gathered before any check runs.
"""

from __future__ import annotations

from collections.abc import Iterator

from lint.checks import CheckContext
from lint.core.findings import Hit, Severity
from lint.kube.objects import KubeObject, Workload, mapping_at
from lint.kubevirt.injection import hook_state
from lint.kubevirt.live import (
    AGENT_CONNECTED,
    AGENT_UNSUPPORTED,
    PAUSED,
    PAUSED_EXITS_ZERO,
    LiveIndex,
    VMIState,
    condition,
    is_vmi,
    launcher_image,
    launcher_version,
    predicted_pod_hooks,
    same_hook_value,
    status_scalar,
)
from lint.target.versions import KubeVirt, Version
from lint.text.nodes import Mapping, Scalar, Sequence, Span
from lint.text.scalars import node_type
from lint.velero.command import freezer_calls
from lint.velero.hooks import parse_command

NO_AGENT_EXITS_ZERO = Version(0, 57, 0)
UNFREEZE_TIMEOUT_SECONDS = 300  # virt-freezer --unfreezeTimeoutSeconds default; KubeVirt's hook does not pass it
SYNCED_FROM = "1.6.6, 1.7.3 and 1.8.0"
PRE_COMMAND_KEYS = ("pre.hook.backup.velero.io/command", "hook.backup.velero.io/command")


def _live(ctx: CheckContext) -> LiveIndex:
    return ctx.index.live if ctx.index is not None else LiveIndex()


def _namespace(workload: Workload, ctx: CheckContext) -> str | None:
    return workload.namespace.value if workload.namespace else ctx.settings.namespace


def _label(namespace: str | None, name: str | None) -> str:
    return f"{namespace}/{name}" if namespace else str(name)


def _freezes(hooks: dict[str, str]) -> bool:
    """Whether these annotations make a pre hook that runs virt-freezer --freeze."""
    pre = hooks.get(PRE_COMMAND_KEYS[0]) or hooks.get(PRE_COMMAND_KEYS[1])
    if not pre:
        return False
    return any(call.args.freeze for call in freezer_calls(pre, parse_command(pre)))


def freeze_source_of(vmi: VMIState, live: LiveIndex, kubevirt: KubeVirt) -> str | None:
    """Who freezes this exported VMI before a backup: its launcher pod's hooks where the run has the pod (that
    is what Velero runs), else what KubeVirt writes at the target version."""
    pods = live.pods_of(vmi.namespace, vmi.name)
    if pods:
        frozen = [pod for pod in pods if _freezes(pod.hooks)]
        return f"its launcher pod {frozen[0].name} has a pre hook that runs virt-freezer --freeze" if frozen else None
    predicted = predicted_pod_hooks(vmi.hooks, vmi.skip, kubevirt, vmi.name, vmi.namespace)
    if not _freezes(predicted):
        return None
    if predicted.get(PRE_COMMAND_KEYS[0]) != vmi.hooks.get(PRE_COMMAND_KEYS[0]):
        return f"{kubevirt} injects its virt-freezer hooks"
    return "its own pre hook runs virt-freezer --freeze"


def _vmi_facts(workload: Workload, ctx: CheckContext) -> VMIState | None:
    """The run's facts of the exported VMI this workload is (it was gathered from this very object)."""
    if not is_vmi(workload.obj) or workload.name is None:
        return None
    return _live(ctx).vmi(workload.obj.namespace, workload.name.value)


def _status_key(obj: KubeObject, field: str) -> Span:
    """The key of `status.<field>`, else of `status`, for findings about what is missing there."""
    status = mapping_at(obj.node, ("status",))
    entry = status.entry(field) if status is not None else None
    if entry is not None:
        return entry[0].span
    entry = obj.node.entry("status")
    return entry[0].span if entry is not None else obj.node.span


def _thaw_command(vmi: VMIState, live: LiveIndex) -> str:
    pods = live.pods_of(vmi.namespace, vmi.name)
    pod = pods[0].name if pods and pods[0].name else f"$(kubectl get pod -n {vmi.namespace} -l vm.kubevirt.io/name={vmi.name} -o name)"
    return (f"kubectl exec -n {vmi.namespace} {pod} -c compute -- /usr/bin/virt-freezer --unfreeze --name {vmi.name} "
            f"--namespace {vmi.namespace}")


# --- VM601 -----------------------------------------------------------------------------------------------------


def guest_left_frozen(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """VM601: the export shows a VMI whose guest was frozen and not thawed."""
    vmi = _vmi_facts(workload, ctx)
    value = status_scalar(workload.obj, "fsFreezeStatus")
    if vmi is None or value is None or value.value != "frozen":
        return
    if vmi.paused is not None:
        stale = ("This VMI is also paused, and KubeVirt stops polling the agent of a paused VM, so the value may be "
                 "stale")
    elif not vmi.agent and vmi.readable:
        stale = ("The guest agent is not connected (no AgentConnected condition), and nothing refreshes the value "
                 "without it, so it may be stale")
    else:
        stale = "The field says a freeze was requested, not what the filesystem does"
        if vmi.os.get("id") == "mswindows":
            stale += " (on Windows, VSS may already have released its hold)"
    yield Hit(
        value.span,
        f"VMI {_label(vmi.namespace, vmi.name)} reports fsFreezeStatus: frozen: a freeze was requested and not "
        "undone, so the guest's writes are blocked until the post hook runs virt-freezer --unfreeze, someone calls "
        f"unfreeze, or virt-freezer's safety thaw fires {UNFREEZE_TIMEOUT_SECONDS} s after the freeze "
        "(--unfreezeTimeoutSeconds, which KubeVirt's hook does not pass); a pre hook with on-error: Fail that fails "
        f"makes Velero 1.15 and later skip that pod's post hook. {stale}",
        hint=f"if no backup is running, thaw it: {_thaw_command(vmi, _live(ctx))}",
    )


# --- VM602 -----------------------------------------------------------------------------------------------------


def agent_not_connected(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """VM602: a running VMI without a connected guest agent, frozen before backups."""
    vmi = _vmi_facts(workload, ctx)
    if vmi is None or not vmi.running or vmi.agent or not vmi.readable or vmi.paused is not None:
        return  # a paused VMI is VM604's; unreadable conditions say nothing
    source = freeze_source_of(vmi, _live(ctx), ctx.settings.kubevirt)
    if source is None:
        return
    kubevirt = ctx.settings.kubevirt
    if kubevirt.version >= NO_AGENT_EXITS_ZERO:
        effect = ("if the agent never answered since the launcher started, virt-freezer logs \"No guest agent, "
                  "exiting\" and exits 0, so Velero counts the hook as succeeded over a crash-consistent backup; if "
                  "it answered once and then went away, the freeze fails (\"Guest agent is not responding\") and so "
                  "does the pre hook")
    else:
        effect = f"virt-freezer's freeze fails without an agent ({kubevirt}; from 0.57 it exits 0 instead)"
    yield Hit(
        _status_key(workload.obj, "conditions"),
        f"VMI {_label(vmi.namespace, vmi.name)} is Running without the {AGENT_CONNECTED} condition, which KubeVirt "
        f"removes while the guest agent's channel is not connected, and it is frozen before each backup ({source}): "
        f"{effect}",
        hint="install and start qemu-guest-agent in the guest; the condition appears within seconds of the agent "
             "connecting",
    )


# --- VM603 -----------------------------------------------------------------------------------------------------


def agent_unsupported(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """VM603: KubeVirt says the guest agent lacks commands it requires."""
    vmi = _vmi_facts(workload, ctx)
    found = condition(workload.obj, AGENT_UNSUPPORTED)
    if vmi is None or found is None or not found.true:
        return
    reason = f": \"{found.reason}\"" if found.reason else ""
    left = "" if vmi.agent else (f" {AGENT_CONNECTED} is absent, so the condition is left over from an earlier "
                                 "connection (KubeVirt removes it only while the agent is connected).")
    yield Hit(
        found.type_node.span,
        f"VMI {_label(vmi.namespace, vmi.name)} has {AGENT_UNSUPPORTED}{reason}: the guest agent answers but lacks "
        "commands KubeVirt requires (guest info, network, users, OS info, or the access-credential commands). "
        "guest-fsfreeze-* are not among them, so the freeze may still work, but nothing here shows that it does."
        + left,
        hint="update qemu-guest-agent in the guest, or check that a freeze works: virt-freezer --freeze, then "
             "--unfreeze, in the launcher's compute container",
    )


# --- VM604 -----------------------------------------------------------------------------------------------------


def _paused_effect(kubevirt: KubeVirt) -> str:
    if kubevirt.version >= PAUSED_EXITS_ZERO:
        return (f"virt-freezer logs \"VM domain not running, no need to freeze/unfreeze\" and exits 0 without freezing "
                f"({kubevirt}; from 1.6.0), so Velero counts both hooks as succeeded and the backup holds only what "
                "the guest had written to disk when it was paused")
    return (f"virt-freezer logs \"Paused VM, unable to freeze/unfreeze\" and exits 1 ({kubevirt}; before 1.6.0): the "
            "hooks fail, Velero logs the errors and the backup ends PartiallyFailed")


def paused_during_backup(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """VM604: a paused VMI (or a VM whose printableStatus is Paused, where the run lacks its VMI)."""
    live = _live(ctx)
    kubevirt = ctx.settings.kubevirt
    vmi = _vmi_facts(workload, ctx)
    if vmi is not None:
        found = condition(workload.obj, PAUSED)
        if found is None or not found.true or vmi.phase in ("Succeeded", "Failed"):
            return
        source = freeze_source_of(vmi, live, kubevirt)
        span, what = found.type_node.span, f"VMI {_label(vmi.namespace, vmi.name)} is paused" + (
            f" ({found.reason})" if found.reason else "")
    elif workload.kind == "VirtualMachine" and workload.name is not None:
        printable = status_scalar(workload.obj, "printableStatus")
        namespace = _namespace(workload, ctx)
        if printable is None or printable.value != "Paused" or live.vmi(namespace, workload.name.value):
            return  # with its VMI in the run, the VMI's Paused condition speaks
        state = hook_state(workload, ctx.settings)
        source = f"{kubevirt} injects its virt-freezer hooks" if state.injected else None
        if source is None:
            from lint.checks.agent import freeze_source

            source = freeze_source(workload, ctx)
        span, what = printable.span, f"VirtualMachine {_label(namespace, workload.name.value)} is Paused"
    else:
        return
    if source is None:
        return
    yield Hit(
        span,
        f"{what} and frozen before each backup ({source}): {_paused_effect(kubevirt)}",
        hint="unpause it before backups (virtctl unpause vm NAME), or stop it; to back it up paused on purpose, set "
             f"kubevirt.io/skip-backup-hooks: \"true\" on the VM (honoured from {SYNCED_FROM})",
    )


# --- VM605 -----------------------------------------------------------------------------------------------------


def _int(node: object) -> int | None:
    if isinstance(node, Scalar) and node_type(node) == "int":
        try:
            return int(node.value, 0) if node.value.lower().startswith(("0x", "0o")) else int(node.value)
        except ValueError:
            return None
    return None


def _strings_of(node: object) -> list[str]:
    if not isinstance(node, Sequence):
        return []
    return [item.value for item in node.items if isinstance(item, Scalar) and node_type(item) == "str"]


def _covers(backup: KubeObject, vmi: VMIState) -> bool:
    """Whether the Backup's namespaces and label selector take in this VMI (and so its launcher pod)."""
    from lint.checks.backups import _glob_match, _selects_labels

    spec = backup.node.get("spec")
    spec = spec if isinstance(spec, Mapping) else None
    included = _strings_of(spec.get("includedNamespaces")) if spec else []
    excluded = _strings_of(spec.get("excludedNamespaces")) if spec else []
    namespace = vmi.namespace or ""
    if included and not any(_glob_match(pattern, namespace) for pattern in included):
        return False
    if any(pattern != "*" and _glob_match(pattern, namespace) for pattern in excluded):
        return False
    selector = spec.get("labelSelector") if spec else None
    return selector is None or _selects_labels(selector, vmi.labels)


def hook_success_unproven(obj: KubeObject, ctx: CheckContext) -> Iterator[Hit]:
    """VM605: a Backup's hook status says every hook succeeded, for guests no hook could freeze."""
    if obj.kind != "Backup":
        return
    status = mapping_at(obj.node, ("status",))
    hooks = mapping_at(obj.node, ("status", "hookStatus"))
    if status is None or hooks is None:
        return
    attempted_entry = hooks.entry("hooksAttempted")
    attempted = _int(attempted_entry[1]) if attempted_entry else None
    failed = _int(hooks.get("hooksFailed")) or 0
    phase = status.get("phase")
    name = _label(obj.namespace, obj.name)
    if failed > 0 and isinstance(phase, Scalar) and phase.value == "Completed":
        yield Hit(
            phase.span,
            f"Backup {name} says phase: Completed with hooksFailed: {failed}, which Velero does not write: every "
            "failed hook is logged at error level, and any error makes the phase PartiallyFailed (or Failed), so "
            "this export is inconsistent (edited, or merged from several objects)",
            hint="export the Backup again (kubectl get backups.velero.io -n velero NAME -o yaml) before drawing "
                 "conclusions from it",
            severity=Severity.INFO,
        )
    if attempted_entry is None or not attempted or failed:
        return
    live, kubevirt = _live(ctx), ctx.settings.kubevirt
    absent, paused = [], []
    for vmi in sorted(live.vmis.values(), key=lambda v: (v.namespace or "", v.name)):
        if not vmi.running or not _covers(obj, vmi) or freeze_source_of(vmi, live, kubevirt) is None:
            continue
        if vmi.paused is not None and kubevirt.version >= PAUSED_EXITS_ZERO:
            paused.append(_label(vmi.namespace, vmi.name))
        elif vmi.paused is None and not vmi.agent and vmi.readable:
            absent.append(_label(vmi.namespace, vmi.name))
    if not absent and not paused:
        return
    count = len(absent) + len(paused)
    groups = ([f"{len(absent)} running without AgentConnected ({', '.join(absent)}), whose virt-freezer exits 0 "
               "without freezing when the agent never answered"] if absent else []) + (
        [f"{len(paused)} paused ({', '.join(paused)}), whose virt-freezer exits 0 without freezing ({kubevirt})"]
        if paused else [])
    yield Hit(
        attempted_entry[1].span,
        f"Backup {name} reports hooksAttempted: {attempted} and no failed hook, but {count} VMI"
        f"{'s' if count != 1 else ''} it covers {'were' if count != 1 else 'was'} not frozen as this export shows "
        f"them: {'; '.join(groups)}. \"HooksFailed: 0\" proves nothing for them: their volumes are only "
        "crash-consistent",
        hint="start the guest agent in those guests and unpause them before the next backup; the VMI status shown "
             "is the export's, not necessarily the backup's",
    )


# --- VM606 -----------------------------------------------------------------------------------------------------


def _pod_hooks(workload: Workload) -> dict[str, tuple[Scalar, str]]:
    found: dict[str, tuple[Scalar, str]] = {}
    if workload.pod_annotations is None:
        return found
    for key, value in workload.pod_annotations.mapping.entries():
        if key.value.startswith(("pre.hook.backup.velero.io/", "post.hook.backup.velero.io/",
                                 "hook.backup.velero.io/")) and isinstance(value, Scalar):
            found[key.value] = (key, value.value)
    return found


def _version_conflict(workload: Workload, ctx: CheckContext, image: Scalar | None) -> Iterator[Hit]:
    """The first object that names a KubeVirt other than the one the run assumes from its export."""
    if image is None or not ctx.settings.kubevirt_source.startswith("export"):
        return
    version = launcher_version(image.value)
    assumed = ctx.settings.kubevirt.version
    if version is None or version == assumed:
        return
    namespace, name = workload.obj.namespace, workload.obj.name
    first = next((seen for seen in _live(ctx).versions() if seen.version == version), None)
    if first is None or (first.kind, first.namespace, first.name, first.path) != (workload.kind, namespace, name,
                                                                                 ctx.file.path):
        return
    yield Hit(
        image.span,
        f"this {workload.kind} names KubeVirt {version}, but the export also names {assumed}, which vmlint assumes "
        "for the whole run (the oldest it found): a cluster mid-upgrade, or launchers that were never migrated to "
        "the new image",
        hint="give --kubevirt-version with the release virt-controller runs (kubectl get kubevirt -A -o "
             "jsonpath='{.items[*].status.observedKubeVirtVersion}')",
        severity=Severity.INFO,
    )


def launcher_hooks_drift(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """VM606: a launcher pod's hooks are not what KubeVirt writes for its VMI at the target version."""
    if is_vmi(workload.obj):
        yield from _version_conflict(workload, ctx, status_scalar(workload.obj, "launcherContainerImageVersion"))
        return
    if not workload.is_launcher_pod:
        return
    image = launcher_image(workload.obj)
    yield from _version_conflict(workload, ctx, image)
    name = workload.name.value if workload.name else None
    namespace = workload.obj.namespace
    vmi = _live(ctx).vmi(namespace, name)
    if vmi is None or name is None:
        return  # without its VMI, what KubeVirt writes is unknown
    kubevirt = ctx.settings.kubevirt
    predicted = predicted_pod_hooks(vmi.hooks, vmi.skip, kubevirt, name, namespace)
    actual = _pod_hooks(workload)
    extra, missing, changed, first = [], [], [], None
    for key in sorted(set(predicted) | set(actual)):
        if key in actual and key in predicted:
            if same_hook_value(key, actual[key][1], predicted[key]):
                continue
            changed.append(f"{key} is {actual[key][1]!r}, not {predicted[key]!r}")
        elif key in actual:
            extra.append(key)
        else:
            missing.append(f"{key}: {predicted[key]!r}")
        if first is None and key in actual:
            first = actual[key][0].span
    differences = ([f"on the pod but not written by {kubevirt}: {', '.join(extra)}"] if extra else []) + (
        [f"written by {kubevirt} but missing: {', '.join(missing)}"] if missing else []) + changed
    if not differences:
        return
    if first is None:
        entry = workload.obj.metadata.entry("annotations") if workload.obj.metadata is not None else None
        first = entry[0].span if entry is not None else workload.obj.node.span
    own = launcher_version(image.value) if image is not None else None
    runs = f" (its launcher image is {own})" if own is not None and own != kubevirt.version else ""
    skip = (f"; the VMI's kubevirt.io/skip-backup-hooks is {vmi.skip!r}" if vmi.skip is not None else "")
    yield Hit(
        first,
        f"launcher pod {workload.obj.name}'s hook annotations differ from what {kubevirt} writes for VMI "
        f"{_label(namespace, name)}: {'; '.join(differences)}{skip}. Velero runs the pod's. Either the cluster does "
        f"not run {kubevirt}{runs}, or the pod was created before a change: KubeVirt syncs its hook annotations "
        f"onto running launcher pods only from {SYNCED_FROM}",
        hint="give vmlint the KubeVirt version the cluster runs (--kubevirt-version); a pod from before the change "
             "gets KubeVirt's current hooks when the VM restarts or migrates",
    )
