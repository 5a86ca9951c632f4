"""SELinux and qemu-ga: whether the guest's OS confines the agent, which types a mount point's directory
carries, and what in the user data lifts the denial (VM406).

Facts (guest-freeze-facts §1-§3): the targeted policy runs qemu-ga in `virt_qemu_ga_t`, which may open only
directories whose type has the `mountpoint` attribute (files_list_all_mountpoints) or is a filesystem_type.
The root directory of a freshly made ext4/xfs file system carries `unlabeled_t`, /.snapshots carries
`snapperd_data_t`, /var/lib/mysql `mysqld_db_t`: none is a mountpoint type, so open() is denied and the
whole freeze fails. The boolean `virt_qemu_ga_read_nonsecurity_files` (off by default) covers all three
(each is a files_type, hence non_security_file_type); `restorecon` helps only where the path's default type
is a mountpoint type; a policy module (audit2allow, semodule -i), a permissive agent domain (semanage
permissive -a virt_qemu_ga_t), a permissive or disabled SELinux, and a `context=` mount option of a
mountpoint type lift it too. cloud-init has no SELinux module, so every fix is a command or a file.
"""

from __future__ import annotations

from dataclasses import dataclass

from lint.guest.evidence import System
from lint.guest.guestos import GuestOS
from lint.text.nodes import Span

BOOLEAN = "virt_qemu_ga_read_nonsecurity_files"
AGENT_DOMAIN = "virt_qemu_ga_t"
SELINUX_CONFIG = "/etc/selinux/config"
# Types with the mountpoint attribute (files.te, userdomain.te, filesystem.te at fedora-selinux/selinux-policy HEAD).
MOUNTPOINT_TYPES = frozenset({
    "root_t", "boot_t", "default_t", "home_root_t", "mnt_t", "tmp_t", "usr_t", "var_t", "var_lib_t", "var_log_t",
    "admin_home_t", "user_home_dir_t", "user_home_t", "dosfs_t", "nfs_t", "fusefs_t",
})
# Types that are files_type only (kernel.te, snapper.te, mysql.te).
DENIED_TYPES = frozenset({"unlabeled_t", "snapperd_data_t", "mysqld_db_t"})
_TOP_LEVEL = {  # the default type of a top-level directory (files.fc, userdomain.fc); others get default_t
    "boot": "boot_t", "home": "home_root_t", "root": "admin_home_t", "tmp": "tmp_t", "usr": "usr_t", "var": "var_t",
    "mnt": "mnt_t", "media": "mnt_t", "opt": "usr_t", ".snapshots": "snapperd_data_t",
}
_OWN_TYPE = frozenset({"etc", "run", "srv", "proc", "sys", "dev", "bin", "sbin", "lib", "lib64", "lost+found",
                       "selinux", "afs", "nix", "snap"})
_DEEPER = {"/var/lib": "var_lib_t", "/var/log": "var_log_t", "/var/lib/mysql": "mysqld_db_t", "/var/tmp": "tmp_t"}


@dataclass(frozen=True)
class Confinement:
    confined: bool
    why: str  # the cited reason: "RHEL runs SELinux enforcing with the targeted policy by default (...)"
    snapshots: bool = False  # the image mounts a btrfs /.snapshots subvolume (SLE Micro, SUSE Linux Micro)


def confinement(answer: GuestOS) -> Confinement | None:
    """Whether qemu-ga runs confined in this guest, by the OS answer; None when vmlint cannot say."""
    clue = answer.decisive
    if clue is None:
        return None
    family, ident, version = clue.os.family, clue.os.ident, clue.os.version
    if family in ("rhel", "rpm"):
        return Confinement(True, "RHEL and its rebuilds run SELinux enforcing with the targeted policy by default, "
                                 "which confines qemu-ga in virt_qemu_ga_t (RHEL 9 \"Using SELinux\" §1.5; "
                                 "selinux-policy virt_supplementary.te)")
    if family == "fedora":
        return Confinement(True, "Fedora runs SELinux enforcing and confines qemu-ga in virt_qemu_ga_t "
                                 "(selinux-policy virt_supplementary.te; AVC denials in kubevirt/kubevirt#6857)")
    if family == "sle-micro":
        number = _number(version)
        if number is not None and number < 5.3:
            return Confinement(False, "SLE Micro 5.1 and 5.2 images run SELinux permissive (SUSE Security Guide)")
        if number is not None and number < 5.4:
            return None  # SLE Micro 5.3's default is not documented (guest-freeze-facts §1: UNVERIFIED)
        return Confinement(True, "SLE Micro enforces SELinux on all deployment types from 5.4 (SUSE Security and "
                                 "Hardening Guide §1.1), and SUSE Linux Micro 6.1 guests deny qemu-ga "
                                 "(harvester/harvester#9107)", snapshots=True)
    if family == "opensuse":
        if ident == "opensuse-tumbleweed":
            if version is not None and version < "20250211":
                return Confinement(False, "Tumbleweed snapshots before 20250211 use AppArmor")
            return Confinement(True, "openSUSE Tumbleweed images enforce SELinux since snapshot 20250211 (openSUSE's "
                                     "announcement, as reported by techprovidence.com and others)")
        if ident == "opensuse-leap":
            number = _number(version)
            if number is not None and number >= 16:
                return Confinement(True, "openSUSE Leap 16 defaults to SELinux (release 2025-10-01)")
            if number is not None:
                return Confinement(False, "openSUSE Leap 15 uses AppArmor")
        return None  # MicroOS and other openSUSE: the default is not documented (guest-freeze-facts §1: UNVERIFIED)
    if family in ("debian", "windows", "cirros", "alpine"):
        return Confinement(False, "")
    return None


def _number(version: str | None) -> float | None:
    try:
        return float(version) if version else None
    except ValueError:
        return None


def default_type(path: str) -> str | None:
    """The type `restorecon` gives a directory at `path` under the targeted policy, where vmlint knows it."""
    path = "/" + path.strip("/")
    if path in _DEEPER:
        return _DEEPER[path]
    parts = path.strip("/").split("/")
    if parts == [""]:
        return "root_t"
    top = parts[0]
    if len(parts) == 1:
        if top in _TOP_LEVEL:
            return _TOP_LEVEL[top]
        return None if top in _OWN_TYPE else "default_t"  # a directory of its own, such as /data
    if top in ("mnt", "media") and len(parts) == 2:
        return "mnt_t"  # /mnt(/[^/]*)?
    if top == "opt":
        return "usr_t"
    if top == "home" and len(parts) == 2:
        return "user_home_dir_t"
    if top == "tmp":
        return "tmp_t"
    if top == ".snapshots":
        return "snapperd_data_t"
    if top not in _TOP_LEVEL and top not in _OWN_TYPE:
        return "default_t"  # below a directory of its own: default_t all the way down
    return None


@dataclass(frozen=True)
class FixSign:
    """Something in the user data that lifts qemu-ga's denial, for every mount or for one."""

    kind: str  # boolean, module, domain, permissive, restorecon
    text: str  # "runcmd runs `setsebool -P virt_qemu_ga_read_nonsecurity_files 1`"
    span: Span
    lasting: bool = True  # survives a reboot
    path: str | None = None  # restorecon's
    recursive: bool = False


def fix_signs(system: System) -> list[FixSign]:
    found: list[FixSign] = []
    for command in system.commands:
        program, args = command.program, list(command.words[1:])
        shown = " ".join(command.words)
        text = f"{command.module} runs `{shown if len(shown) <= 80 else shown[:77] + '...'}`"
        every_boot = command.module == "bootcmd" or command.every_boot  # runcmd and scripts run once
        if program == "setsebool":
            if _boolean_on(args):
                found.append(FixSign("boolean", text, command.span, "-P" in args or every_boot))
        elif program == "semanage" and args[:1] == ["boolean"] and BOOLEAN in args and (
                {"--on", "-1"} & set(args)):
            found.append(FixSign("boolean", text, command.span))
        elif program == "semanage" and args[:1] == ["permissive"] and AGENT_DOMAIN in args and (
                {"-a", "--add"} & set(args)):
            found.append(FixSign("domain", text, command.span))
        elif program == "semodule" and any(a in ("-i", "--install") or a.startswith(("--install=", "-i")) for a in args):
            found.append(FixSign("module", text, command.span))
        elif program == "setenforce" and args[-1:] and args[-1].lower() in ("0", "permissive"):
            found.append(FixSign("permissive", text, command.span, every_boot))
        elif program == "restorecon":
            flags = "".join(a[1:] for a in args if a.startswith("-") and not a.startswith("--"))
            for path in (a for a in args if not a.startswith("-")):
                found.append(FixSign("restorecon", text, command.span, True, path.rstrip("/") or "/",
                                     "R" in flags or "r" in flags))
        elif SELINUX_CONFIG in command.words and any(
                f"SELINUX={mode}" in word for word in command.words for mode in ("permissive", "disabled")):
            found.append(FixSign("permissive", text, command.span))  # sed -i / echo > /etc/selinux/config
    for written in system.files:
        if written.path == SELINUX_CONFIG and written.content:
            for line in written.content.splitlines():
                if line.strip().replace(" ", "") in ("SELINUX=permissive", "SELINUX=disabled"):
                    found.append(FixSign("permissive", f"write_files sets {line.strip()} in {SELINUX_CONFIG}",
                                         written.span))
    return found


def _boolean_on(args: list[str]) -> bool:
    for i, arg in enumerate(args):
        name, equals, value = arg.partition("=")
        if name == BOOLEAN:
            value = value if equals else (args[i + 1] if i + 1 < len(args) else "")
            return value.lower() in ("1", "on", "true")
    return False
