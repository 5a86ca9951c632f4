"""The file systems the user data mounts in the guest, and which of them it creates (VM406).

qemu-ga freezes every mount of /proc/self/mountinfo whose device major is not 0 (btrfs included), and
opens each mount point first: one open() that fails fails the whole freeze (guest-freeze-facts §0). NFS,
CIFS, tmpfs, virtiofs, 9p, overlay and FUSE mounts are skipped by qemu-ga, and vfat (dosfs_t) and ISO 9660
roots are open to it, so they are no risk; bind mounts show a directory that already had a label.

A mount is read from cloud-config `mounts:` entries (cc_mounts), `mount DEVICE DIR` commands, /etc/fstab
lines that write_files writes or a command appends (echo, printf, tee, a here-document), and an Ignition
config's enabled `.mount` units. Its file system is "made" when `fs_setup`, an mkfs command or an Ignition
`storage.filesystems` entry of the same user data creates it (matched by device or label), and
it is on an extra disk when the VM has more than one disk and the device is not the boot disk's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lint.guest.evidence import Command, System, content_lines, items, pod_spec
from lint.kube.objects import Workload
from lint.text.nodes import Mapping, Span

FSTAB = "/etc/fstab"
SKIPPED_POINTS = frozenset({"", "/", "/boot", "/boot/efi", "none", "swap"})
# qemu-ga skips device major 0 (network, memory, virtual file systems); vfat and iso9660 roots are types it may
# open (dosfs_t has the mountpoint attribute; iso9660_t is a filesystem_type, fs_list_all).
NOT_AT_RISK = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "tmpfs", "ramfs", "virtiofs", "9p", "overlay", "proc", "sysfs",
    "devtmpfs", "swap", "fuse", "sshfs", "glusterfs", "ceph", "cephfs", "vfat", "msdos", "iso9660", "udf", "none",
})
_DISK_SOURCES = ("containerDisk", "dataVolume", "persistentVolumeClaim", "ephemeral", "emptyDisk", "hostDisk")
_SECOND_DISK = re.compile(r"^/dev/(?:[sv]d|xvd)[b-z]|^/dev/disk/by-(?:id|path|serial)/|^(?:[sv]d|xvd)[b-z]")
_MOUNT_VALUE_OPTIONS = frozenset({"-t", "-o", "-L", "-U", "-O", "--types", "--options", "--source", "--target"})
_MKFS_VALUE_OPTIONS = frozenset({"-t", "-L", "-b", "-i", "-m", "-O", "-E", "-n", "-d", "-l", "-s", "-r", "-N", "-c",
                                 "-I", "-T", "-U", "-C", "-g", "-G", "-J", "-e", "-M", "-o"})


@dataclass(frozen=True)
class Made:
    """A file system the user data creates."""

    device: str | None
    label: str | None
    fstype: str | None
    text: str  # "fs_setup: xfs on /dev/vdb, label data", "runcmd: `mkfs.xfs /dev/vdb`"
    span: Span


@dataclass(frozen=True)
class GuestMount:
    point: str
    device: str
    fstype: str | None
    options: tuple[str, ...]
    how: str  # "the `mounts:` entry", "runcmd runs `mount /dev/vdb /data`", "the /etc/fstab line write_files writes"
    span: Span
    made: Made | None = None
    extra_disk: bool = False

    def option(self, name: str) -> str | None:
        """The value of a mount option such as context=, if given."""
        for option in self.options:
            key, _, value = option.partition("=")
            if key == name:
                return value.strip("\"'")
        return None


def disk_count(workload: Workload) -> int:
    """How many disks the guest sees (cloud-init, sysprep and config volumes are not disks it mounts)."""
    spec = pod_spec(workload)
    return sum(1 for volume in items(spec.get("volumes") if spec else None)
               if isinstance(volume, Mapping) and any(volume.get(kind) is not None for kind in _DISK_SOURCES))


def user_data_mounts(system: System, disks: int) -> list[GuestMount]:
    """The mounts the user data makes that qemu-ga may be denied: on a file system it creates, or on an extra
    disk. Each point once, the first place that mounts it."""
    made = list(_made(system))
    found: dict[str, GuestMount] = {}
    for mount in _mounts(system):
        if mount.point.rstrip("/") in SKIPPED_POINTS or mount.point in found:
            continue
        if (mount.fstype or "").lower().split(".")[0] in NOT_AT_RISK or "bind" in mount.options \
                or "rbind" in mount.options or _remote(mount.device):
            continue
        origin = _origin(mount, made)
        extra = disks > 1 and (_SECOND_DISK.match(mount.device) is not None
                               or mount.device.startswith(("LABEL=", "UUID=", "PARTUUID=", "/dev/disk/by-label/",
                                                           "/dev/disk/by-uuid/")))
        if origin is None and not extra:
            continue
        found[mount.point] = GuestMount(mount.point, mount.device, mount.fstype, mount.options, mount.how, mount.span,
                                        origin, extra)
    if len(made) == 1 and not any(m.made for m in found.values()):
        # one file system made and mounted by a name vmlint cannot relate (a UUID): they are the same one
        candidates = [m for m in _mounts(system) if m.point in found]
        if len(candidates) == 1:
            only = found[candidates[0].point]
            found[only.point] = GuestMount(only.point, only.device, only.fstype, only.options, only.how, only.span,
                                           made[0], only.extra_disk)
    return list(found.values())


def _remote(device: str) -> bool:
    return device.startswith("//") or (":" in device and not device.startswith(("/", "LABEL=", "UUID=", "PARTUUID=")))


def _normal(device: str | None) -> str | None:
    if device is None:
        return None
    device = device.strip()
    if device.startswith("/dev/disk/by-label/"):
        return "LABEL=" + device.rsplit("/", 1)[1]
    return device.removeprefix("/dev/")


def _origin(mount: GuestMount, made: list[Made]) -> Made | None:
    device = _normal(mount.device) or ""
    for fs in made:
        if fs.label and device == f"LABEL={fs.label}":
            return fs
        own = _normal(fs.device)
        if own and (device == own or re.fullmatch(re.escape(own) + r"p?\d+", device)):
            return fs
    return None


def _made(system: System) -> Iterator[Made]:
    for entry in system.entries:
        if entry.module == "fs_setup":
            device, fstype, label, partition = (entry.values + (None,) * 4)[:4]
            if (fstype or "").lower() in ("swap", "vfat", "fat", "msdos"):
                continue
            where = f"{device}{partition}" if device and partition and partition.isdigit() else device
            yield Made(where, label, fstype, f"fs_setup: {fstype or 'a file system'} on {where or 'a disk'}"
                       + (f", label {label}" if label else ""), entry.span)
        elif entry.module == "ignition-filesystem":
            device, fstype, label = (entry.values + (None,) * 3)[:3]
            if (fstype or "").lower() in ("swap", "vfat", "fat", "msdos"):
                continue
            yield Made(device, label, fstype, f"Ignition storage.filesystems: {fstype} on {device}"
                       + (f", label {label}" if label else ""), entry.span)
    for command in system.commands:
        program = command.program
        if not (program.startswith("mkfs") or program == "mke2fs"):
            continue
        fstype = program.split(".", 1)[1] if "." in program else None
        args = list(command.words[1:])
        label = device = None
        i = 0
        while i < len(args):
            arg = args[i]
            if arg in _MKFS_VALUE_OPTIONS and i + 1 < len(args):
                if arg == "-L":
                    label = args[i + 1]
                elif arg == "-t":
                    fstype = args[i + 1]
                i += 2
                continue
            if not arg.startswith("-") and device is None:
                device = arg
            i += 1
        if (fstype or "").lower() in ("vfat", "fat", "msdos", "swap"):
            continue
        yield Made(device, label, fstype, f"{command.module}: `{_shown(command.words)}`", command.span)


def _shown(words: tuple[str, ...]) -> str:
    shown = " ".join(words)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _mounts(system: System) -> Iterator[GuestMount]:
    for entry in system.entries:
        if entry.module == "mount-unit":  # (What, Where, Type, Options, unit name), lint.guest.ignition
            device, point, fstype, options, unit = (entry.values + (None,) * 5)[:5]
            if device and point:
                yield GuestMount(point, device, fstype, tuple((options or "").split(",")) if options else (),
                                 f"the Ignition unit {unit}", entry.span)
        if entry.module != "mounts" or len(entry.values) < 2 or not entry.values[0] or not entry.values[1]:
            continue
        device, point = entry.values[0], entry.values[1]
        if device and not device.startswith(("/", "LABEL=", "UUID=", "PARTUUID=")) and ":" not in device:
            device = "/dev/" + device  # cc_mounts: "sdb" means /dev/sdb
        fstype = entry.values[2] if len(entry.values) > 2 else None
        options = tuple((entry.values[3] or "").split(",")) if len(entry.values) > 3 and entry.values[3] else ()
        yield GuestMount(point, device, fstype, options, "the `mounts:` entry", entry.span)
    for written in system.files:
        if written.path == FSTAB and written.content:
            for line, start, end in content_lines(written.content):
                mount = _fstab_mount(line, f"the {FSTAB} line that write_files writes", written.at(start, end))
                if mount is not None:
                    yield mount
    for command in system.commands:
        if command.program == "mount":
            mount = _mount_command(command)
            if mount is not None:
                yield mount
        else:
            for line in _appended_to_fstab(command):
                mount = _fstab_mount(line, f"the {FSTAB} line that {command.module} appends", command.span)
                if mount is not None:
                    yield mount


def _fstab_mount(line: str, how: str, span: Span) -> GuestMount | None:
    fields = line.split()
    if len(fields) < 2:
        return None
    options = tuple(fields[3].split(",")) if len(fields) > 3 else ()
    return GuestMount(fields[1], fields[0], fields[2] if len(fields) > 2 else None, options, how, span)


def _mount_command(command: Command) -> GuestMount | None:
    args = list(command.words[1:])
    fstype: str | None = None
    options: list[str] = []
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-a", "--all", "--make-private", "--make-shared", "--make-rprivate") or arg.startswith("--make-"):
            return None  # fstab entries are read from fstab; propagation changes mount nothing new
        if arg in ("--bind", "-B", "--rbind", "-R", "--move", "-M"):
            options.append("bind")
        elif arg in _MOUNT_VALUE_OPTIONS and i + 1 < len(args):
            if arg in ("-t", "--types"):
                fstype = args[i + 1]
            elif arg in ("-o", "--options"):
                options.extend(args[i + 1].split(","))
            i += 2
            continue
        elif arg.startswith(("--types=", "--options=")):
            key, _, value = arg.partition("=")
            if key == "--types":
                fstype = value
            else:
                options.extend(value.split(","))
        elif arg.startswith("-t") and len(arg) > 2:
            fstype = arg[2:]
        elif arg.startswith("-o") and len(arg) > 2:
            options.extend(arg[2:].split(","))
        elif not arg.startswith("-"):
            positional.append(arg)
        i += 1
    if "remount" in options or len(positional) != 2:
        return None  # `mount /data` reads fstab, whose line is read where it is written
    return GuestMount(positional[1], positional[0], fstype, tuple(options),
                      f"{command.module} runs `{_shown(command.words)}`", command.span)


def _appended_to_fstab(command: Command) -> Iterator[str]:
    """The fstab lines a command writes: `echo LINE >> /etc/fstab`, `printf`, `... | tee -a /etc/fstab`,
    `cat >> /etc/fstab <<EOF`."""
    words = list(command.words)
    program = command.program
    target = _redirected(words)
    if program == "tee" and FSTAB in words[1:]:
        source = list(command.piped)
        if source and source[0].rsplit("/", 1)[-1] in ("echo", "printf"):
            yield from _echoed(source)
        elif command.stdin is not None:
            yield from (line for line in command.stdin.splitlines())
    elif target == FSTAB:
        if program in ("echo", "printf"):
            yield from _echoed(words[:words.index(next(w for w in words if w.startswith(">")))])
        elif program == "cat" and command.stdin is not None:
            yield from (line for line in command.stdin.splitlines())


def _redirected(words: list[str]) -> str | None:
    for i, word in enumerate(words):
        if word in (">", ">>") and i + 1 < len(words):
            return words[i + 1]
        if word.startswith(">>") and len(word) > 2:
            return word[2:]
        if word.startswith(">") and len(word) > 1 and not word.startswith(">&"):
            return word[1:]
    return None


def _echoed(words: list[str]) -> Iterator[str]:
    args = [w for w in words[1:] if not (w.startswith("-") and len(w) <= 3)]
    text = " ".join(args)
    if words and words[0].rsplit("/", 1)[-1] == "printf" or "\\n" in text:
        text = text.replace("\\n", "\n").replace("\\t", "\t")
    yield from (line.strip() for line in text.splitlines() if line.strip())
