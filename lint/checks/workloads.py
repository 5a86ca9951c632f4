"""Velero hooks on every Kubernetes workload: containers, fsfreeze, restore hooks, finished pods (VM701-VM706).

Facts (velero-hooks-every-workload, Velero's source read at each tag):
- §1 Container selection: without `container`, a backup hook runs in `spec.containers[0]` (setDefaultHookContainer,
  pkg/podexec/pod_command_executor.go); a named container that is not in `spec.containers` fails the hook with
  `no such container` (ensureContainerExists), counted in hooksFailed, and the backup ends PartiallyFailed. Init
  containers never qualify; native sidecars (init containers with `restartPolicy: Always`) only from PR #9403,
  which is in no release up to v1.18.1.
- §2(b): a restore exec hook whose container is not in `spec.containers` (podHasContainer) is discarded with a
  warning; from v1.14 (PR #7619) the restore waits for it in Finalizing forever. `wait-timeout` that is missing,
  unparseable or not positive means no bound; `wait-for-ready` (since v1.13, strconv.ParseBool) makes Velero wait
  for the container to be Ready.
- §2(a): `init.hook.restore.velero.io/container-image` without `command` panics the init-restore-hook plugin
  (parseStringToCommand("") indexes [0]; v1.5 through v1.18.1); init keys without `container-image` are dropped
  whole; the init container is prepended to the pod's, so its name must not collide.
- §5: fsfreeze needs CAP_SYS_ADMIN (the kernel's ioctl_fsfreeze): `privileged: true` works, SYS_ADMIN alone is
  unverified; fsfreeze opens its path and freezes the filesystem that contains it, so a path that is not on a
  volume mount of the hook's container freezes (or fails on) the container's own root filesystem.
- §1 Pod phase: pods that are Succeeded or Failed are skipped since v1.13 (PR #5211), and failed the hook before.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from lint.checks import CheckContext
from lint.checks.commands import HookCommand, hook_commands, span_in_value
from lint.core.findings import Hit, Severity
from lint.golang.duration import parse_duration
from lint.golang.strconv import parse_bool
from lint.kube.objects import Container, Workload
from lint.target.versions import Version
from lint.text.nodes import Mapping, Node, Scalar, Sequence
from lint.text.scalars import node_type
from lint.velero.command import FsfreezeCall, fsfreeze_calls
from lint.velero.hooks import RESTORE_INIT_PREFIX, RESTORE_POST_PREFIX

BACKUP_PRE = "pre.hook.backup.velero.io"
BACKUP_POST = "post.hook.backup.velero.io"
BACKUP_LEGACY = "hook.backup.velero.io"
_LAST_KNOWN = Version(1, 18, 1)  # the newest release the facts were read at: no release has PR #9403 or #10371
_PHASE_WORDS = {"pre": "pre hook", "post": "post hook", "restore": "post-restore exec hook"}


@dataclass(frozen=True)
class ExecHook:
    """An annotation exec hook Velero will build: its phase, key prefix, command, and `container` entry."""

    phase: str  # "pre", "post" (backup) or "restore" (post-restore exec)
    prefix: str
    command: HookCommand
    container_entry: tuple[Scalar, Node] | None

    @property
    def container_name(self) -> str | None:
        """The named container, or None when Velero picks the first one (key missing or empty)."""
        if self.container_entry is None:
            return None
        value = self.container_entry[1]
        if isinstance(value, Scalar) and node_type(value) == "str" and value.value:
            return value.value
        return None

    @property
    def container_unreadable(self) -> bool:
        """A `container` value that is not a string (VM003's): which container runs the hook is unknown."""
        if self.container_entry is None:
            return False
        value = self.container_entry[1]
        return not (isinstance(value, Scalar) and node_type(value) in ("str", "null"))

    @property
    def words(self) -> str:
        return _PHASE_WORDS[self.phase]


def exec_hooks(workload: Workload, ctx: CheckContext) -> list[ExecHook]:
    """The annotation exec hooks Velero runs on the workload's pods: per phase, the one whose command is set
    (the bare legacy keys only as a pre hook, and only without a `pre.` command); keys read with its prefix."""
    commands = {hook.key.value: hook for hook in hook_commands(workload, ctx)
                if hook.pod_bound and hook.parsed.form != "empty"}
    found = []
    for phase, prefixes in (("pre", (BACKUP_PRE, BACKUP_LEGACY)), ("post", (BACKUP_POST,)),
                            ("restore", (RESTORE_POST_PREFIX,))):
        for prefix in prefixes:
            hook = commands.get(f"{prefix}/command")
            if hook is not None:
                found.append(ExecHook(phase, prefix, hook, workload.pod_annotation(f"{prefix}/container")))
                break
    return found


def _general(workload: Workload) -> bool:
    """A Kubernetes workload whose pod template is here to read (the VM7 rules judge nothing else)."""
    return not workload.spec.kubevirt and workload.pod_spec is not None


def _containers(workload: Workload) -> list[Container] | None:
    """The template's containers, or None when `spec.containers` is not a list (nothing can be judged)."""
    pod_spec = workload.pod_spec
    if pod_spec is None or not isinstance(pod_spec.get("containers"), Sequence):
        return None
    return workload.containers()


def _runs_in(hook: ExecHook, containers: list[Container]) -> Container | None:
    """The container the hook runs in: the named one, else the first; None when it is not there."""
    if hook.container_unreadable:
        return None
    name = hook.container_name
    if name is None:
        return containers[0] if containers else None
    return next((container for container in containers if container.name == name), None)


def _velero_at_least(ctx: CheckContext, version: Version) -> bool:
    return ctx.settings.velero.version >= version


def _listed(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


# --- VM701 ---------------------------------------------------------------------------------------------------


def hook_container_missing(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """The hook's container must be one of the template's `spec.containers`."""
    if not _general(workload):
        return
    containers = _containers(workload)
    if containers is None:
        return
    names = [c.name for c in containers if c.name]
    init = {c.name: c for c in workload.containers("initContainers") if c.name}
    velero = ctx.settings.velero
    for hook in exec_hooks(workload, ctx):
        if hook.container_unreadable:
            continue  # VM003
        name = hook.container_name
        if name is None:
            if len(names) > 1:
                yield Hit(
                    hook.container_entry[0].span if hook.container_entry else hook.command.key.span,
                    f"the {hook.words} names no container: Velero runs it in the first of spec.containers, "
                    f"{names[0]!r} (the template has {_listed(names)})",
                    hint=f"set {hook.prefix}/container: {names[0]} to say so, or name the container it is meant for",
                    severity=Severity.INFO,
                )
            continue
        if name in names:
            continue
        assert hook.container_entry is not None
        span = hook.container_entry[1].span
        sidecar = name in init and _restarts_always(init[name])
        if name in init:
            what = (f"{name!r} is a native sidecar (an init container with restartPolicy: Always), not one of "
                    f"spec.containers ({_listed(names)})") if sidecar else (
                    f"{name!r} is an init container, not one of spec.containers ({_listed(names)})")
        else:
            what = f"{name!r} is not a container of the pod template (spec.containers: {_listed(names)})"
        hint = f"use one of {_listed(names)}" if names else "add the container, or remove the hook"
        if hook.phase == "restore":
            effect = (f"Velero checks spec.containers only, logs \"does not have container {name}\" and discards "
                      "the pod's post-restore exec hooks")
            if _velero_at_least(ctx, Version(1, 14, 0)):
                effect += f", and the restore then waits for them in Finalizing forever ({velero}; since 1.14)"
            else:
                effect += f" ({velero})"
            yield Hit(span, f"{hook.prefix}/container {what}: {effect}", hint=hint)
            continue
        if sidecar and velero.version > _LAST_KNOWN:
            yield Hit(
                span,
                f"{hook.prefix}/container {what}: Velero accepts native sidecars as hook containers only from the "
                f"release that contains PR #9403 (after 1.18.1; which one is unverified), and fails the hook with "
                f"\"no such container\" before it ({velero})",
                hint=hint,
                severity=Severity.WARNING,
            )
            continue
        effect = (f"Velero fails the hook with \"no such container: {name}\", counts it in hooksFailed and the "
                  f"backup ends PartiallyFailed ({velero})")
        if sidecar:
            effect += "; releases up to 1.18.1 accept only spec.containers (native sidecars from PR #9403 on)"
        yield Hit(span, f"{hook.prefix}/container {what}: {effect}", hint=hint)


def _restarts_always(container: Container) -> bool:
    policy = container.node.get("restartPolicy")
    return isinstance(policy, Scalar) and policy.value == "Always"


# --- VM702, VM703 ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Freeze:
    hook: ExecHook
    call: FsfreezeCall
    container: Container


def _fsfreeze_runs(workload: Workload, ctx: CheckContext) -> Iterator[_Freeze]:
    """Every fsfreeze call of an exec hook, with the container it runs in (calls in a missing container are
    VM701's)."""
    if not _general(workload):
        return
    containers = _containers(workload)
    if not containers:
        return
    for hook in exec_hooks(workload, ctx):
        container = _runs_in(hook, containers)
        if container is None:
            continue
        for call in fsfreeze_calls(hook.command.value.value, hook.command.parsed):
            yield _Freeze(hook, call, container)


def _at_or_under(path: str, mount: str) -> bool:
    path, mount = posixpath.normpath(path), posixpath.normpath(mount)
    return mount == "/" or path == mount or path.startswith(mount.rstrip("/") + "/")


def fsfreeze_path_not_mounted(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """fsfreeze freezes the filesystem that holds its path: it must be a volume mount of the hook's container."""
    for run in _fsfreeze_runs(workload, ctx):
        path, position = run.call.path, run.call.path_position
        if path is None or position is None or not path.startswith("/"):
            continue
        mounts = run.container.mount_paths()
        if any(_at_or_under(path, mount) for mount in mounts if mount.startswith("/")):
            continue
        name = run.container.name or "the first container"
        yield Hit(
            span_in_value(ctx, run.hook.command.value, *position),
            f"fsfreeze {path} runs in container {name!r}, which mounts no volume at or above {path} (its "
            f"volumeMounts: {_listed(mounts)}): fsfreeze acts on the filesystem that contains the path, so it "
            "freezes the container's own root filesystem, or fails, and the volume is backed up unfrozen",
            hint=f"mount the volume to freeze at {path} in {name!r}, or freeze the mountPath of that volume",
        )


def fsfreeze_unprivileged(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """FIFREEZE needs CAP_SYS_ADMIN: the container that runs fsfreeze must be privileged (or have SYS_ADMIN)."""
    for run in _fsfreeze_runs(workload, ctx):
        security = run.container.node.get("securityContext")
        security = security if isinstance(security, Mapping) else None
        privileged = security.get("privileged") if security is not None else None
        if isinstance(privileged, Scalar) and node_type(privileged) == "bool" and privileged.value.lower() in _TRUE:
            continue
        name = run.container.name or "the first container"
        span = span_in_value(ctx, run.hook.command.value, *run.call.program_position)
        if _adds_sys_admin(security):
            yield Hit(
                span,
                f"fsfreeze runs in container {name!r}, which adds SYS_ADMIN but is not privileged: the ioctl needs "
                "CAP_SYS_ADMIN, but whether the capability alone is enough (AppArmor and seccomp profiles may still "
                "refuse it) is unverified",
                hint=f"set securityContext.privileged: true on {name!r}, as Velero's own example does",
                severity=Severity.WARNING,
            )
            continue
        yield Hit(
            span,
            f"fsfreeze runs in container {name!r}, which is neither privileged nor adds SYS_ADMIN: the freeze "
            "ioctl needs CAP_SYS_ADMIN, so fsfreeze fails with \"Operation not permitted\" and the hook fails",
            hint="run fsfreeze in a container with securityContext.privileged: true (a sidecar, as Velero's "
                 "nginx example does)",
        )


_TRUE = frozenset({"true", "yes", "on", "y"})  # YAML 1.1 booleans that are true (sigs.k8s.io/yaml)


def _adds_sys_admin(security: Mapping | None) -> bool:
    capabilities = security.get("capabilities") if security is not None else None
    added = capabilities.get("add") if isinstance(capabilities, Mapping) else None
    return isinstance(added, Sequence) and any(
        isinstance(item, Scalar) and item.value.upper() in ("SYS_ADMIN", "CAP_SYS_ADMIN", "ALL") for item in added.items
    )


# --- VM704 ---------------------------------------------------------------------------------------------------


def restore_init_hook_incomplete(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """An init restore hook from annotations needs its image and its command, and a name of its own."""
    if not _general(workload) or workload.pod_annotations is None:
        return
    entries = {key.value: (key, value) for key, value in workload.pod_annotations.mapping.entries()
               if key.value.startswith(RESTORE_INIT_PREFIX + "/")}
    image, name, command = (entries.get(f"{RESTORE_INIT_PREFIX}/{field}")
                            for field in ("container-image", "container-name", "command"))
    velero = ctx.settings.velero
    if image is None or _empty(image[1]):
        for key in ("container-name", "command"):
            entry = entries.get(f"{RESTORE_INIT_PREFIX}/{key}")
            if entry is not None:
                why = "is empty" if image is not None else "is missing"
                yield Hit(
                    entry[0].span,
                    f"{entry[0].value} is set but {RESTORE_INIT_PREFIX}/container-image {why}: Velero builds the "
                    "init restore hook only from an image, so it drops the whole hook without a word",
                    hint=f"add {RESTORE_INIT_PREFIX}/container-image with the image to run",
                )
        return
    if command is None or _empty(command[1]):
        yield Hit(
            (command or image)[0].span,
            f"{RESTORE_INIT_PREFIX}/container-image without "
            + ("a command" if command is None else "an empty command")
            + ": Velero's init-restore-hook plugin indexes the empty command and panics (\"index out of range "
            f"[0] with length 0\"; 1.5 through 1.18.1 at least, {velero}), so the pod is not restored",
            hint=f"add {RESTORE_INIT_PREFIX}/command as a JSON array, for example '[\"/bin/sh\", \"-c\", \"…\"]' "
                 "(the docs' \"the image's ENTRYPOINT is used\" is not what the code does)",
        )
    if name is not None and isinstance(name[1], Scalar) and name[1].value:
        taken = [c.name for c in [*workload.containers(), *workload.containers("initContainers")] if c.name]
        if name[1].value in taken:
            yield Hit(
                name[1].span,
                f"{RESTORE_INIT_PREFIX}/container-name {name[1].value!r} is already the name of a container of "
                "the pod: Velero adds the init container under that name, and the API server rejects the restored "
                "pod (container names must be unique)",
                hint="give the init container a name of its own, or leave the key out (Velero generates one)",
            )


def _empty(node: Node) -> bool:
    return isinstance(node, Scalar) and node.value == ""


# --- VM705 ---------------------------------------------------------------------------------------------------


def restore_wait_unbounded(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """A restore exec hook that waits for its container to be Ready with no wait timeout waits forever."""
    if not _general(workload):
        return
    hook = next((h for h in exec_hooks(workload, ctx) if h.phase == "restore"), None)
    if hook is None or not _velero_at_least(ctx, Version(1, 13, 0)):
        return  # wait-for-ready is read from 1.13 on: before it, Velero waits for Running only
    ready = workload.pod_annotation(f"{RESTORE_POST_PREFIX}/wait-for-ready")
    if ready is None or not isinstance(ready[1], Scalar) or parse_bool(ready[1].value) is not True:
        return
    containers = _containers(workload)
    running = _runs_in(hook, containers) if containers else None
    if running is None:
        return  # a hook whose container is not there is discarded, not awaited (VM701)
    timeout = workload.pod_annotation(f"{RESTORE_POST_PREFIX}/wait-timeout")
    container = running.name or "the first container"
    if timeout is None:
        state = "there is no wait-timeout"
        span = ready[0].span
    else:
        value = timeout[1]
        text = value.value if isinstance(value, Scalar) else ""
        parsed = parse_duration(text) if isinstance(value, Scalar) and node_type(value) == "str" else None
        if parsed is not None and parsed.error is None and parsed.nanoseconds is not None and parsed.nanoseconds > 0:
            return
        state = (f"wait-timeout {text!r} is not a positive Go duration, which Velero reads as no limit"
                 if parsed is not None else "wait-timeout is not a string")
        span = value.span
    velero = ctx.settings.velero
    stuck = f" (in Finalizing since 1.14; {velero})" if _velero_at_least(ctx, Version(1, 14, 0)) else f" ({velero})"
    yield Hit(
        span,
        f"{RESTORE_POST_PREFIX}/wait-for-ready is true and {state}: Velero waits for {container!r} to be Ready "
        f"before running the hook, without a limit, so a container that never becomes Ready keeps the restore "
        f"waiting forever{stuck}",
        hint=f"set {RESTORE_POST_PREFIX}/wait-timeout, for example 10m",
    )


# --- VM706 ---------------------------------------------------------------------------------------------------

_FINISHING = {"Job": "a Job's", "CronJob": "a CronJob's Jobs'"}


def hook_on_finished_pods(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """Job pods are usually Completed when a backup runs: Velero skips them (1.13 on) or fails their hooks."""
    if workload.kind not in _FINISHING or not _general(workload):
        return
    hooks = [hook for hook in exec_hooks(workload, ctx) if hook.phase != "restore"]
    if not hooks:
        return
    velero = ctx.settings.velero
    if _velero_at_least(ctx, Version(1, 13, 0)):
        effect = (f"Velero skips the hooks of Succeeded and Failed pods ({velero}), so they run only if the backup "
                  "catches a pod while it runs")
    else:
        effect = (f"Velero tries them anyway and fails them (\"container not found\"), and the backup ends "
                  f"PartiallyFailed ({velero}; skipped from 1.13 on)")
    yield Hit(
        hooks[0].command.key.span,
        f"backup hooks on {_FINISHING[workload.kind]} pods: these pods are usually Completed when a backup runs; "
        + effect,
        hint="run backup hooks on the long-running pods that own the data",
        severity=Severity.INFO,
    )

