"""Checks on whether a guest that runs its agent can actually be frozen (VM406, VM407).

An agent that answers is not enough: qemu-ga freezes every mounted file system and opens each mount point
first, and one open() that SELinux denies fails the whole freeze (VM406); an agent whose allow or block list
refuses guest-fsfreeze-freeze or guest-fsfreeze-thaw cannot freeze at all (VM407). virt-freezer's pre hook
then fails: the failed hook is an error in Velero's log, the backup ends PartiallyFailed, and with on-error
Fail the launcher pod is not backed up (cluster-state-facts §6). The guest's OS comes from the one answer of
lint.guest.guestos, the user data from lint.guest.userdata as the VM4 rules read it.
"""

from __future__ import annotations

from collections.abc import Iterator

from lint.checks import CheckContext
from lint.checks.agent import evidence, freeze_source
from lint.core.findings import Hit
from lint.guest.evidence import System
from lint.guest.guestos import GuestOS, os_answer
from lint.guest.mounts import GuestMount, disk_count, user_data_mounts
from lint.guest.rpcs import FREEZE, HANDSHAKE, rpc_filters
from lint.guest.selinux import (
    BOOLEAN,
    DENIED_TYPES,
    MOUNTPOINT_TYPES,
    Confinement,
    FixSign,
    confinement,
    default_type,
    fix_signs,
)
from lint.guest.userdata import user_reading
from lint.guest.windows import windows_guest
from lint.kube.objects import Workload

SNAPSHOTS = "/.snapshots"
FAILURE = ("the freeze fails as a whole with \"failed to open {point}: Permission denied\" in virt-freezer's log, its "
           "pre hook fails and the backup ends PartiallyFailed (qemu qga/commands-linux.c; Velero counts a failed "
           "hook as an error)")
AUDIT2ALLOW = ("or, as Harvester documents, build a module from the denials (grep qemu-ga /var/log/audit/audit.log | "
               "audit2allow -M my_qemu_ga; semodule -i my_qemu_ga.pp), which may grant broad permissions "
               "(harvester/docs#837)")


def _subject(workload: Workload) -> str:
    name = workload.name.value if workload.name else None
    return f"{workload.kind} {name}" if name else f"this {workload.kind}"


def guest_freeze_denied(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """VM406: an SELinux-confined qemu-ga and a mount point it may not open, with no fix in the user data."""
    source = freeze_source(workload, ctx)
    if source is None:
        return
    answer = os_answer(workload, ctx.file, ctx.index, ctx.settings.namespace, ctx.settings.guest_os_images)
    confined = confinement(answer)
    if confined is None or not confined.confined:
        return
    if evidence(workload, ctx).verdict == "absent":
        return  # no agent at all: VM401's
    data, reading = user_reading(workload, ctx.file, ctx.index, ctx.settings.namespace)
    if data is not None and (reading is None or reading.system.unread or reading.format not in (
            "cloud-config", "shell", "ignored", "empty", "ignition")
            or (reading.unknown is not None and reading.format != "ignition")):
        return  # user data vmlint cannot read (a Secret outside the run, MIME, compressed): the fix may be in it
        #         (an Ignition config's `unknown` is only about the agent's unit; its set-up was read)
    system = reading.system if reading is not None else System()
    signs = fix_signs(system)
    lasting = [sign for sign in signs if sign.lasting and sign.kind in ("boolean", "module", "domain", "permissive")]
    if lasting:
        return
    passing = [sign for sign in signs if not sign.lasting]
    ignition = reading is not None and reading.format == "ignition"
    if confined.snapshots:
        yield _snapshots(workload, answer, confined, signs, passing, source, ignition)
    for mount in user_data_mounts(system, disk_count(workload)):
        hit = _mount(workload, answer, confined, mount, signs, passing, source, ignition)
        if hit is not None:
            yield hit


def _persist(ignition: bool) -> str:
    """Where the lasting fix goes: cloud-init's runcmd, or an enabled unit of the Ignition config."""
    if ignition:
        return f"add an enabled oneshot unit to the Ignition config whose ExecStart= runs `setsebool -P {BOOLEAN} 1`"
    return f"add `setsebool -P {BOOLEAN} 1` to runcmd"


def _os(answer: GuestOS) -> str:
    return answer.describe()


def _passing(passing: list[FixSign]) -> str:
    if not passing:
        return ""
    return (f"; {passing[0].text} lifts it only until the next reboot (runcmd and scripts run once per instance)")


def _snapshots(workload: Workload, answer: GuestOS, confined: Confinement, signs: list[FixSign],
               passing: list[FixSign], source: str, ignition: bool) -> Hit:
    clue = answer.decisive
    assert clue is not None
    relabel = next((sign for sign in signs if sign.kind == "restorecon" and _covers(sign, SNAPSHOTS)), None)
    message = (
        f"{_subject(workload)} runs {_os(answer)}, where SELinux confines qemu-ga ({confined.why}), and its image "
        f"mounts the btrfs snapshot subvolume on {SNAPSHOTS}, whose directory carries snapperd_data_t, not a "
        f"mountpoint type qemu-ga may open (selinux-policy snapper.fc): {source}, but "
        + FAILURE.format(point=SNAPSHOTS) + ", as on SUSE Linux Micro 6.1 (harvester/harvester#6497, #9107)"
        + (f"; {relabel.text} does not help: snapperd_data_t is the default type of {SNAPSHOTS}" if relabel else "")
        + _passing(passing)
    )
    hint = (f"persist the boolean, off by default, that lets qemu-ga open it: {_persist(ignition)}; {AUDIT2ALLOW}, "
            "and on SL Micro 6.1 had to be repeated (harvester/harvester#9107)")
    return Hit(clue.span, message, hint=hint)


def _covers(sign: FixSign, point: str) -> bool:
    if sign.kind != "restorecon" or sign.path is None:
        return False
    return sign.path == point or (sign.recursive and (sign.path == "/" or point.startswith(sign.path + "/")))


def _mount(workload: Workload, answer: GuestOS, confined: Confinement, mount: GuestMount, signs: list[FixSign],
           passing: list[FixSign], source: str, ignition: bool) -> Hit | None:
    point = mount.point.rstrip("/") or "/"
    target = default_type(point)
    context = mount.option("context")
    if context is not None:
        context_type = context.split(":")[2] if context.count(":") >= 2 else None
        if context_type is None or context_type not in DENIED_TYPES:
            return None  # a context= of a mountpoint type (or one vmlint does not know): labelled on mount
    relabel = next((sign for sign in signs if _covers(sign, point)), None)
    if relabel is not None and (target is None or target in MOUNTPOINT_TYPES):
        return None  # restorecon gives it a type qemu-ga may open (or one vmlint does not know)
    if mount.made is not None:
        what = (f"{mount.how} mounts {mount.device} on {point}, a new file system ({mount.made.text}) whose root "
                "directory carries unlabeled_t (nothing relabels it)")
    else:
        what = (f"{mount.how} mounts {mount.device}, an extra disk of the VM, on {point}: the root directory of a "
                "file system not labelled on an SELinux system carries unlabeled_t")
    message = (
        f"{_subject(workload)} runs {_os(answer)}, where SELinux confines qemu-ga ({confined.why}); {what}, not a "
        f"mountpoint type qemu-ga may open (selinux-policy kernel.te, virt_supplementary.te): {source}, but "
        + FAILURE.format(point=point) + ", as with a RHEL 9 data disk (harvester/harvester#6497)"
    )
    if relabel is not None and target is not None:
        message += f"; {relabel.text} does not help: it gives {point} {target}, which qemu-ga may not open either"
    message += _passing(passing)
    if target in MOUNTPOINT_TYPES:
        relabel_hint = f"or relabel it after mounting with `restorecon -v {point}` (its default type, {target}, is a " \
                       "mountpoint type); "
    elif target is not None:
        relabel_hint = f"restorecon does not help here ({point}'s default type, {target}, is not a mountpoint type); "
    else:
        relabel_hint = (f"`restorecon -v {point}` after mounting helps only if {point}'s default type is a mountpoint "
                        f"type (see `matchpathcon {point}`); ")
    hint = (f"persist the boolean, off by default, that lets qemu-ga open it: {_persist(ignition)}; "
            f"{relabel_hint}{AUDIT2ALLOW}")
    return Hit(mount.span, message, hint=hint)


def agent_rpc_filtered(workload: Workload, ctx: CheckContext) -> Iterator[Hit]:
    """VM407: user data that configures qemu-ga to refuse guest-fsfreeze-freeze or guest-fsfreeze-thaw."""
    source = freeze_source(workload, ctx)
    if source is None or windows_guest(workload, ctx.file, ctx.index, ctx.settings.namespace,
                                       ctx.settings.guest_os_images) is not None:
        return
    _, reading = user_reading(workload, ctx.file, ctx.index, ctx.settings.namespace)
    if reading is None:
        return
    for rpc in rpc_filters(reading.system):
        refused = [name for name in FREEZE if rpc.refused(name)]
        if not refused:
            continue
        names = " and ".join(refused)
        lists = ("an allow list, which blocks every command it does not name" if rpc.kind == "allow"
                 else "a block list")
        message = (
            f"{rpc.where} gives qemu-ga {lists}: `{rpc.setting}` refuses {names}, which virt-freezer's freeze and "
            f"thaw need, so qemu-ga answers \"Command {refused[0]} has been disabled: the command is not allowed\": "
            f"{source}, but every freeze fails, its pre hook fails and the backup ends PartiallyFailed "
            "(qemu docs/interop/qemu-ga.rst; qga/main.c)"
        )
        handshake = [name for name in HANDSHAKE if rpc.refused(name)]
        if handshake:
            message += (f"; it also refuses {', '.join(handshake)}, which libvirt sends to reach the agent (its "
                        "guest-sync handshake, an inference from libvirt's agent code), so the agent may not answer at "
                        "all")
        if rpc.kind == "allow":
            hint = (f"add {','.join(refused)} to the allow list (the one RHCOS ships allows guest-fsfreeze-status, "
                    "guest-fsfreeze-freeze, guest-fsfreeze-freeze-list and guest-fsfreeze-thaw, crc-org/snc#1155)"
                    + (f", and {','.join(handshake)}" if handshake else ""))
        else:
            hint = (f"remove {','.join(refused)} from the block list (RHEL's default blocks only guest-file-* and "
                    "guest-exec*)")
        yield Hit(rpc.span, message, hint=hint)
