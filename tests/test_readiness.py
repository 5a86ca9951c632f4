"""VM406 (guest-freeze-denied) and VM407 (agent-rpc-filtered): each OS family, each mount form, each fix form,
user data in Secrets, and exact positions inside block scalars and base64 user data."""

from __future__ import annotations

import base64
import gzip

import pytest
from helpers import lint_text

from lint.core.findings import Finding

CENTOS = "containerDisk:\n            image: quay.io/containerdisks/centos-stream:9"
DATA_DISK = "        - name: data\n          persistentVolumeClaim:\n            claimName: db-data\n"
FS_SETUP = ("#cloud-config", "fs_setup:", "  - device: /dev/vdb", "    filesystem: xfs", "    label: data",
            "mounts:", "  - [LABEL=data, /data, xfs, \"defaults,nofail\"]")


def vm(*cloud_init: str, disk: str = CENTOS, extra: str = DATA_DISK, metadata: str = "", name: str = "db") -> str:
    """A frozen VM with a root disk, `extra` volumes, and a cloud-init volume whose source lines are `cloud_init`."""
    text = (f"apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: {name}\n  namespace: prod\n"
            f"{metadata}spec:\n  runStrategy: Always\n  template:\n    spec:\n      domain:\n        devices: {{}}\n"
            f"      volumes:\n        - name: rootdisk\n          {disk}\n{extra}")
    if cloud_init:
        text += "        - name: cloudinit\n          cloudInitNoCloud:\n"
        text += "".join(f"            {line}\n" for line in cloud_init)
    return text


def user_data(*lines: str) -> tuple[str, ...]:
    return ("userData: |", *(f"  {line}" if line else "" for line in lines))


def at(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1


def found(text: str, code: str = "VM406") -> list[Finding]:
    return [f for f in lint_text(text, select=("ALL",)) if f.code == code]


def where(text: str, code: str = "VM406") -> list[tuple[int, int]]:
    return [(f.line, f.column) for f in found(text, code)]


# --- the message -----------------------------------------------------------------------------------------------------


def test_fs_setup_and_mounts_message() -> None:
    text = vm(*user_data(*FS_SETUP))
    [finding] = found(text)
    assert (finding.line, finding.column) == at(text, "[LABEL=data")
    assert (finding.end_line, finding.end_column) == (finding.line, finding.column + 43)
    assert finding.message == (
        "VirtualMachine db runs CentOS Stream 9 (the image quay.io/containerdisks/centos-stream:9), where SELinux "
        "confines qemu-ga (RHEL and its rebuilds run SELinux enforcing with the targeted policy by default, which "
        "confines qemu-ga in virt_qemu_ga_t (RHEL 9 \"Using SELinux\" §1.5; selinux-policy virt_supplementary.te)); "
        "the `mounts:` entry mounts LABEL=data on /data, a new file system (fs_setup: xfs on /dev/vdb, label data) "
        "whose root directory carries unlabeled_t (nothing relabels it), not a mountpoint type qemu-ga may open "
        "(selinux-policy kernel.te, virt_supplementary.te): KubeVirt 1.9.0 injects its virt-freezer hooks, but the "
        "freeze fails as a whole with \"failed to open /data: Permission denied\" in virt-freezer's log, its pre "
        "hook fails and the backup ends PartiallyFailed (qemu qga/commands-linux.c; Velero counts a failed hook as "
        "an error), as with a RHEL 9 data disk (harvester/harvester#6497)")
    assert finding.hint == (
        "persist the boolean, off by default, that lets qemu-ga open it: add `setsebool -P "
        "virt_qemu_ga_read_nonsecurity_files 1` to runcmd; or relabel it after mounting with `restorecon -v /data` "
        "(its default type, default_t, is a mountpoint type); or, as Harvester documents, build a module from the "
        "denials (grep qemu-ga /var/log/audit/audit.log | audit2allow -M my_qemu_ga; semodule -i my_qemu_ga.pp), "
        "which may grant broad permissions (harvester/docs#837)")
    assert str(finding.severity) == "warning"


# --- OS families -----------------------------------------------------------------------------------------------------

IMAGE = "containerDisk:\n            image: {}"


@pytest.mark.parametrize(("disk", "metadata", "reported"), [
    (IMAGE.format("quay.io/containerdisks/centos-stream:9"), "", True),
    (IMAGE.format("registry.redhat.io/rhel9/rhel-guest-image:9.4"), "", True),
    (IMAGE.format("quay.io/containerdisks/fedora:40"), "", True),
    (IMAGE.format("example.com/img/Rocky-9-GenericCloud-Base.latest.x86_64.qcow2"), "", True),
    (IMAGE.format("example.com/img/AlmaLinux-9-GenericCloud-latest.x86_64"), "", True),
    (IMAGE.format("example.com/img/OL9U4_x86_64-kvm-b234"), "", True),
    ("persistentVolumeClaim:\n            claimName: root", "  labels:\n    kubevirt.io/os: rhel8\n", True),
    ("persistentVolumeClaim:\n            claimName: root", "  labels:\n    harvesterhci.io/os: fedora\n", True),
    (IMAGE.format("example.com/openSUSE-Tumbleweed-Minimal-VM.x86_64-Cloud"), "", True),
    (IMAGE.format("example.com/openSUSE-Tumbleweed-Minimal-VM.x86_64-Cloud-Snapshot20241104"), "", False),
    (IMAGE.format("example.com/openSUSE-Leap-16.0-Minimal-VM.x86_64-Cloud"), "", True),
    (IMAGE.format("example.com/openSUSE-Leap-15.6-Minimal-VM.x86_64-Cloud"), "", False),
    (IMAGE.format("example.com/openSUSE-MicroOS.x86_64-OpenStack-Cloud"), "", False),  # default unverified
    (IMAGE.format("docker.io/tedezed/ubuntu-container-disk:22.04"), "", False),
    (IMAGE.format("example.com/debian-12-genericcloud-amd64"), "", False),
    ("persistentVolumeClaim:\n            claimName: root", "  labels:\n    kubevirt.io/os: win2k19\n", False),
    ("persistentVolumeClaim:\n            claimName: root", "", False),  # no clue to the OS
])
def test_os_families(disk: str, metadata: str, reported: bool) -> None:
    text = vm(*user_data(*FS_SETUP, "packages: [qemu-guest-agent]"), disk=disk, metadata=metadata)
    assert where(text) == ([at(text, "[LABEL=data")] if reported else [])


def test_dnf_in_the_user_data_is_enough() -> None:
    text = vm(*user_data("#cloud-config", "runcmd:", "  - dnf -y install qemu-guest-agent", "  - mkfs.xfs /dev/vdb",
                         "  - mount /dev/vdb /var/lib/mysql"), disk="persistentVolumeClaim:\n            claimName: root")
    [finding] = found(text)
    assert (finding.line, finding.column) == at(text, "mount /dev/vdb")
    assert finding.message.startswith(
        "VirtualMachine db runs a dnf/yum distribution (RHEL family or Fedora) (runcmd runs dnf), where SELinux "
        "confines qemu-ga")
    assert "runcmd runs `mount /dev/vdb /var/lib/mysql` mounts /dev/vdb on /var/lib/mysql, a new file system " \
           "(runcmd: `mkfs.xfs /dev/vdb`)" in finding.message
    assert "restorecon does not help here (/var/lib/mysql's default type, mysqld_db_t, is not a mountpoint type)" \
        in finding.hint


SLE_MICRO = "dataVolume:\n            name: root"
SLE_DV = ("---\napiVersion: cdi.kubevirt.io/v1beta1\nkind: DataVolume\nmetadata:\n  name: root\n  namespace: prod\n"
          "spec:\n  source:\n    http:\n      url: https://example.com/{}\n")


@pytest.mark.parametrize(("image", "reported"), [
    ("SL-Micro.x86_64-6.1-Base-qcow-GM.qcow2", True),
    ("SLE-Micro.x86_64-5.5.0-Default-qcow-GM.qcow2", True),
    ("SLE-Micro.x86_64-5.4.0-Default-qcow-GM.qcow2", True),
    ("SLE-Micro.x86_64-5.3.0-Default-qcow-GM.qcow2", False),  # default unverified
    ("SLE-Micro.x86_64-5.2.0-Default-qcow-GM.qcow2", False),  # images run permissive
    ("suse-linux-micro.qcow2", True),
])
def test_sle_micro_snapshots_on_one_disk(image: str, reported: bool) -> None:
    text = vm(*user_data("#cloud-config", "packages: [qemu-guest-agent]"), disk=SLE_MICRO, extra="") \
        + SLE_DV.format(image)
    assert where(text) == ([at(text, "https://")] if reported else [])


def test_sle_micro_snapshots_message_and_no_user_data() -> None:
    text = vm(disk=SLE_MICRO, extra="") + SLE_DV.format("SL-Micro.x86_64-6.1-Base-qcow-GM.qcow2")
    [finding] = found(text)
    assert finding.message == (
        "VirtualMachine db runs SLE Micro 6.1 (the image https://example.com/SL-Micro.x86_64-6.1-Base-qcow-GM.qcow2), "
        "where SELinux confines qemu-ga (SLE Micro enforces SELinux on all deployment types from 5.4 (SUSE Security "
        "and Hardening Guide §1.1), and SUSE Linux Micro 6.1 guests deny qemu-ga (harvester/harvester#9107)), and "
        "its image mounts the btrfs snapshot subvolume on /.snapshots, whose directory carries snapperd_data_t, not "
        "a mountpoint type qemu-ga may open (selinux-policy snapper.fc): KubeVirt 1.9.0 injects its virt-freezer "
        "hooks, but the freeze fails as a whole with \"failed to open /.snapshots: Permission denied\" in "
        "virt-freezer's log, its pre hook fails and the backup ends PartiallyFailed (qemu qga/commands-linux.c; "
        "Velero counts a failed hook as an error), as on SUSE Linux Micro 6.1 (harvester/harvester#6497, #9107)")
    assert finding.hint.startswith("persist the boolean, off by default, that lets qemu-ga open it: add `setsebool "
                                   "-P virt_qemu_ga_read_nonsecurity_files 1` to runcmd; or, as Harvester documents")
    assert finding.hint.endswith("and on SL Micro 6.1 had to be repeated (harvester/harvester#9107)")


def test_sle_micro_restorecon_does_not_help_and_the_boolean_does() -> None:
    text = vm(*user_data("#cloud-config", "packages: [qemu-guest-agent]", "runcmd:", "  - restorecon -Rv /.snapshots"),
              disk=SLE_MICRO, extra="") \
        + SLE_DV.format("SL-Micro.x86_64-6.1-Base-qcow-GM.qcow2")
    [finding] = found(text)
    assert "; runcmd runs `restorecon -Rv /.snapshots` does not help: snapperd_data_t is the default " \
           "type of /.snapshots" in finding.message
    fixed = vm(*user_data("#cloud-config", "runcmd:", "  - setsebool -P virt_qemu_ga_read_nonsecurity_files on"),
               disk=SLE_MICRO, extra="") + SLE_DV.format("SL-Micro.x86_64-6.1-Base-qcow-GM.qcow2")
    assert found(fixed) == []


def test_harvester_image_in_the_run() -> None:
    claims = ('  annotations:\n    harvesterhci.io/volumeClaimTemplates: \'[{"metadata":{"name":"db-disk-0",'
              '"annotations":{"harvesterhci.io/imageId":"default/image-x7k2p"}}}]\'\n')
    image = ("---\napiVersion: harvesterhci.io/v1beta1\nkind: VirtualMachineImage\nmetadata:\n  name: image-x7k2p\n"
             "  namespace: default\nspec:\n  displayName: SL-Micro.x86_64-6.1-Base-qcow-GM.qcow2\n")
    text = vm(disk="persistentVolumeClaim:\n            claimName: db-disk-0", extra="", metadata=claims)
    assert where(text) == []  # the image is not in the run: the OS is unknown
    assert where(text + image) == [at(text, "'[{")]


# --- mount forms -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lines", "needle"), [
    (FS_SETUP, "[LABEL=data"),
    (("#cloud-config", "runcmd:", "  - mkfs.ext4 -L data /dev/vdb", "  - mkdir -p /data",
      "  - mount /dev/vdb /data"), "mount /dev/vdb"),
    (("#cloud-config", "runcmd:", "  - [mkfs.xfs, /dev/vdb]", "  - [mount, -t, xfs, /dev/vdb, /srv/data]"),
     "[mount,"),
    (("#cloud-config", "bootcmd:", "  - mkfs -t xfs /dev/vdb", "write_files:", "  - path: /etc/fstab",
      "    append: true", "    content: |", "      # data", "      /dev/vdb /data xfs defaults 0 0"),
     "/dev/vdb /data"),
    (("#cloud-config", "runcmd:", "  - mkfs.xfs /dev/vdb", "  - echo '/dev/vdb /data xfs defaults 0 0' >> /etc/fstab",
      "  - mount -a"), "echo"),
    (("#cloud-config", "runcmd:", "  - mkfs.xfs /dev/vdb",
      "  - echo \"UUID=abc /data xfs defaults 0 0\" | sudo tee -a /etc/fstab"), "echo"),
    (("#cloud-config", "runcmd:", "  - |", "    mkfs.xfs /dev/vdb", "    cat >> /etc/fstab <<EOF",
      "    /dev/vdb /data xfs defaults 0 0", "    EOF"), "|\n"),
    (("#!/bin/bash", "set -e", "mkfs.xfs -f /dev/vdb", "cat <<'END' | tee -a /etc/fstab",
      "/dev/vdb  /data  xfs  defaults  0 0", "END", "mount -a"), "cat <<"),
    (("#!/bin/sh", "mount /dev/vdb /data"), "mount /dev/vdb"),  # the extra disk, whatever made its file system
    (("#cloud-config", "mounts:", "  - [vdb, /mnt/data]"), "[vdb"),
])
def test_mount_forms(lines: tuple[str, ...], needle: str) -> None:
    text = vm(*user_data(*lines))
    expected = at(text, needle)
    if needle == "|\n":
        expected = at(text, "- |") 
        expected = (expected[0], expected[1] + 2)
    assert where(text) == [expected]


@pytest.mark.parametrize("lines", [
    ("#cloud-config", "runcmd:", "  - mount /dev/vdb /data"),  # no extra disk and no new file system: the image's
    ("#cloud-config", "mounts:", "  - [\"nfs.example.com:/export\", /data, nfs4]"),
    ("#cloud-config", "runcmd:", "  - mkfs.xfs /dev/vdb", "  - mount -t virtiofs shared /data"),
    ("#cloud-config", "runcmd:", "  - mkfs.vfat /dev/vdb", "  - mount /dev/vdb /data"),
    ("#cloud-config", "runcmd:", "  - mkfs.xfs /dev/vdb", "  - mount --bind /var/data /data"),
    ("#cloud-config", "runcmd:", "  - mkfs.xfs /dev/vdb", "  - mount -o remount,rw /dev/vdb /data"),
    ("#cloud-config", "mounts:", "  - [swap, none, swap, sw]"),
])
def test_mounts_that_are_no_risk(lines: tuple[str, ...]) -> None:
    assert where(vm(*user_data(*lines), extra="")) == []


def test_extra_disk_without_a_new_file_system_message() -> None:
    text = vm(*user_data("#cloud-config", "mounts:", "  - [/dev/vdb, /data]"))
    [finding] = found(text)
    assert ("the `mounts:` entry mounts /dev/vdb, an extra disk of the VM, on /data: the root directory of a file "
            "system not labelled on an SELinux system carries unlabeled_t, not a mountpoint type") in finding.message


# --- fix forms -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fix", [
    "  - setsebool -P virt_qemu_ga_read_nonsecurity_files 1",
    "  - setsebool -P virt_qemu_ga_read_nonsecurity_files on",
    "  - sudo setsebool -P virt_qemu_ga_read_nonsecurity_files=true",
    "  - [setsebool, -P, virt_qemu_ga_read_nonsecurity_files, \"1\"]",
    "  - semanage boolean -m --on virt_qemu_ga_read_nonsecurity_files",
    "  - semodule -i /root/my_qemu_ga.pp",
    "  - semanage permissive -a virt_qemu_ga_t",
    "  - restorecon -Rv /data",
    "  - restorecon -R /",
    "  - sed -i 's/^SELINUX=enforcing/SELINUX=permissive/' /etc/selinux/config",
    "  - sh -c 'setsebool -P virt_qemu_ga_read_nonsecurity_files 1'",
])
def test_fix_forms_in_runcmd(fix: str) -> None:
    assert where(vm(*user_data(*FS_SETUP, "runcmd:", fix))) == []


def test_bootcmd_runs_at_every_boot() -> None:
    for fix in ("  - setsebool virt_qemu_ga_read_nonsecurity_files 1", "  - setenforce 0"):
        assert where(vm(*user_data(*FS_SETUP, "bootcmd:", fix))) == []


@pytest.mark.parametrize(("fix", "shown"), [
    ("setsebool virt_qemu_ga_read_nonsecurity_files 1", "setsebool virt_qemu_ga_read_nonsecurity_files 1"),
    ("setenforce 0", "setenforce 0"),
])
def test_fixes_that_last_until_the_next_reboot(fix: str, shown: str) -> None:
    [finding] = found(vm(*user_data(*FS_SETUP, "runcmd:", f"  - {fix}")))
    assert finding.message.endswith(
        f"; runcmd runs `{shown}` lifts it only until the next reboot (runcmd and scripts run once per instance)")


def test_selinux_config_and_context_option() -> None:
    config = ("write_files:", "  - path: /etc/selinux/config", "    content: |", "      SELINUX=disabled",
              "      SELINUXTYPE=targeted")
    assert where(vm(*user_data(*FS_SETUP, *config))) == []
    context = ("#cloud-config", "runcmd:", "  - mkfs.xfs /dev/vdb",
               "  - mount -o context=system_u:object_r:mnt_t:s0 /dev/vdb /data")
    assert where(vm(*user_data(*context))) == []
    denied = ("#cloud-config", "runcmd:", "  - mkfs.xfs /dev/vdb",
              "  - mount -o context=system_u:object_r:unlabeled_t:s0 /dev/vdb /data")
    assert len(where(vm(*user_data(*denied)))) == 1


def test_restorecon_on_the_wrong_path_or_a_denied_type() -> None:
    other = vm(*user_data(*FS_SETUP, "runcmd:", "  - restorecon -v /srv"))
    assert len(where(other)) == 1
    mysql = vm(*user_data("#cloud-config", "runcmd:", "  - mkfs.xfs /dev/vdb", "  - mount /dev/vdb /var/lib/mysql",
                          "  - restorecon -Rv /var/lib/mysql"))
    [finding] = found(mysql)
    assert ("; runcmd runs `restorecon -Rv /var/lib/mysql` does not help: it gives /var/lib/mysql mysqld_db_t, which "
            "qemu-ga may not open either") in finding.message
    unknown = vm(*user_data("#cloud-config", "runcmd:", "  - mkfs.xfs /dev/vdb", "  - mount /dev/vdb /srv/data",
                            "  - restorecon /srv/data"))
    assert where(unknown) == []  # vmlint does not know /srv/data's type: the author's relabel is trusted
    [hinted] = found(vm(*user_data("#cloud-config", "runcmd:", "  - mkfs.xfs /dev/vdb", "  - mount /dev/vdb /srv/x")))
    assert "`restorecon -v /srv/x` after mounting helps only if /srv/x's default type is a mountpoint type (see " \
           "`matchpathcon /srv/x`)" in hinted.hint


# --- where the user data is, and when VM406 stays silent -----------------------------------------------------------


def b64(*lines: str) -> str:
    return base64.b64encode(("\n".join(lines) + "\n").encode()).decode()


def test_base64_user_data_points_at_the_scalar() -> None:
    text = vm(f"userDataBase64: {b64(*FS_SETUP)}")
    assert where(text) == [at(text, b64(*FS_SETUP))]


SECRET = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-userdata\n  namespace: prod\nstringData:\n"
          "  userdata: |\n" + "".join(f"    {line}\n" for line in FS_SETUP))


def test_user_data_in_a_secret() -> None:
    text = vm("secretRef:", "  name: db-userdata")
    assert where(text) == []  # the Secret is not in the run: the fix may be in it
    both = SECRET + "---\n" + text
    assert where(both) == [at(both, "[LABEL=data")]  # exact, in the Secret's stringData


def test_silent_when_the_agent_is_absent_or_nothing_freezes() -> None:
    no_agent = vm(*user_data(*FS_SETUP), disk="persistentVolumeClaim:\n            claimName: root",
                  metadata="  labels:\n    kubevirt.io/os: rhel9\n")
    # an agent that may be there (rhel images usually ship it): if it is, the freeze fails
    assert [f.code for f in lint_text(no_agent, select=("VM4",))] == ["VM402", "VM406"]
    removed = vm(*user_data(*FS_SETUP, "runcmd:", "  - systemctl mask qemu-guest-agent"))
    assert [f.code for f in lint_text(removed, select=("VM4",))] == ["VM401"]
    skipped = vm(*user_data(*FS_SETUP), metadata='  annotations:\n    kubevirt.io/skip-backup-hooks: "true"\n')
    assert where(skipped) == []


@pytest.mark.parametrize("source", [
    ("userData: |", "  #cloud-config", "  - not", "  - a mapping"),
    ("userData: '#cloud-config\n  [unclosed'",),
    ("userDataBase64: bm90IGJhc2U2NA=!",),
    (f"userDataBase64: {base64.b64encode(gzip.compress(chr(10).join(FS_SETUP).encode())).decode()}",),
    ("userData: |", "  Content-Type: multipart/mixed; boundary=x", "", "  --x", "  mkfs.xfs /dev/vdb"),
    ("userData: |", "  #!/bin/bash", "  mkfs.xfs /dev/vdb; mount /dev/vdb /data 'unclosed"),
    ("userData: |", "  #cloud-config", "  mounts: 5", "  fs_setup: {a: b}", "  write_files: [5, {path: /etc/fstab}]",
     "  runcmd: [[mount], [mkfs.xfs], [restorecon], [setsebool, virt_qemu_ga_read_nonsecurity_files]]"),
])
def test_bad_user_data_never_breaks_the_run(source: tuple[str, ...]) -> None:
    text = vm(*source)
    findings = lint_text(text, select=("ALL",))
    lines = text.count("\n") + 1
    assert all(1 <= f.line <= lines for f in findings)
    assert "VM009" not in [f.code for f in findings]


# --- VM407 -----------------------------------------------------------------------------------------------------------

NO_FREEZE = "guest-sync-delimited,guest-sync,guest-ping,guest-info,guest-get-osinfo"
WITH_FREEZE = NO_FREEZE + ",guest-fsfreeze-status,guest-fsfreeze-freeze,guest-fsfreeze-thaw"


def write(path: str, *lines: str) -> tuple[str, ...]:
    return ("#cloud-config", "write_files:", f"  - path: {path}", "    content: |", *(f"      {line}" for line in lines))


def test_allow_list_message_and_position() -> None:
    text = vm(*user_data(*write("/etc/sysconfig/qemu-ga", "# filters", f'FILTER_RPC_ARGS="--allow-rpcs={NO_FREEZE}"')))
    [finding] = found(text, "VM407")
    line = f'FILTER_RPC_ARGS="--allow-rpcs={NO_FREEZE}"'
    assert (finding.line, finding.column, finding.end_line, finding.end_column) == (
        *at(text, "FILTER_RPC_ARGS"), at(text, "FILTER_RPC_ARGS")[0], at(text, "FILTER_RPC_ARGS")[1] + len(line))
    assert finding.message == (
        "the /etc/sysconfig/qemu-ga that write_files writes gives qemu-ga an allow list, which blocks every command "
        "it does not name: `FILTER_RPC_ARGS=\"--allow-rpcs=guest-sync-delimited,guest-sync,guest-ping,guest-info,"
        "guest-get-osi...` refuses guest-fsfreeze-freeze and guest-fsfreeze-thaw, which virt-freezer's freeze and "
        "thaw need, so qemu-ga answers \"Command guest-fsfreeze-freeze has been disabled: the command is not "
        "allowed\": KubeVirt 1.9.0 injects its virt-freezer hooks, but every freeze fails, its pre hook fails and the "
        "backup ends PartiallyFailed (qemu docs/interop/qemu-ga.rst; qga/main.c)")
    assert finding.hint == (
        "add guest-fsfreeze-freeze,guest-fsfreeze-thaw to the allow list (the one RHCOS ships allows "
        "guest-fsfreeze-status, guest-fsfreeze-freeze, guest-fsfreeze-freeze-list and guest-fsfreeze-thaw, "
        "crc-org/snc#1155)")
    assert str(finding.severity) == "error"


def test_allow_list_without_the_handshake() -> None:
    text = vm(*user_data(*write("/etc/qemu/qemu-ga.conf", "[general]", "allow-rpcs=guest-fsfreeze-freeze")))
    [finding] = found(text, "VM407")
    assert (finding.line, finding.column) == at(text, "allow-rpcs")
    assert "refuses guest-fsfreeze-thaw, which" in finding.message
    assert finding.message.endswith(
        "; it also refuses guest-sync-delimited, guest-sync, guest-ping, guest-info, which libvirt sends to reach the "
        "agent (its guest-sync handshake, an inference from libvirt's agent code), so the agent may not answer at all")
    assert finding.hint.endswith(", and guest-sync-delimited,guest-sync,guest-ping,guest-info")


@pytest.mark.parametrize(("lines", "needle", "refused"), [
    (write("/etc/sysconfig/qemu-ga", "BLOCK_RPCS=guest-file-open,guest-exec,guest-fsfreeze-freeze"), "BLOCK_RPCS",
     "guest-fsfreeze-freeze"),
    (write("/etc/sysconfig/qemu-ga", "BLACKLIST_RPC=guest-fsfreeze-thaw"), "BLACKLIST", "guest-fsfreeze-thaw"),
    (write("/etc/qemu/qemu-ga.conf", "[general]", "block-rpcs=guest-fsfreeze-freeze;guest-fsfreeze-thaw"),
     "block-rpcs", "guest-fsfreeze-freeze and guest-fsfreeze-thaw"),
    (write("/etc/systemd/system/qemu-guest-agent.service.d/filter.conf", "[Service]", "ExecStart=",
           "ExecStart=/usr/bin/qemu-ga -b guest-fsfreeze-freeze"), "ExecStart=/", "guest-fsfreeze-freeze"),
    (write("/etc/systemd/system/qemu-guest-agent.service.d/filter.conf", "[Service]", "ExecStart=",
           f"ExecStart=/usr/bin/qemu-ga --allow-rpcs {NO_FREEZE} -F/etc/qemu-ga/fsfreeze-hook"), "ExecStart=/",
     "guest-fsfreeze-freeze and guest-fsfreeze-thaw"),
    (("#cloud-config", "runcmd:", f"  - echo 'FILTER_RPC_ARGS=\"--allow-rpcs={NO_FREEZE}\"' >> /etc/sysconfig/qemu-ga",
      "  - systemctl restart qemu-guest-agent"), "echo", "guest-fsfreeze-freeze and guest-fsfreeze-thaw"),
    (("#!/bin/bash", "cat <<EOF | tee /etc/qemu/qemu-ga.conf", "[general]", "block-rpcs=guest-fsfreeze-thaw", "EOF"),
     "cat <<EOF", "guest-fsfreeze-thaw"),
])
def test_rpc_filter_forms(lines: tuple[str, ...], needle: str, refused: str) -> None:
    text = vm(*user_data(*lines))
    [finding] = found(text, "VM407")
    assert (finding.line, finding.column) == at(text, needle)
    assert f"refuses {refused}, which virt-freezer" in finding.message


@pytest.mark.parametrize("lines", [
    write("/etc/sysconfig/qemu-ga", f'FILTER_RPC_ARGS="--allow-rpcs={WITH_FREEZE}"'),
    write("/etc/sysconfig/qemu-ga", "BLACKLIST_RPC=guest-file-open,guest-file-close,guest-file-read,guest-file-write,"
          "guest-file-seek,guest-file-flush,guest-exec,guest-exec-status"),  # RHEL 8's default
    write("/etc/sysconfig/qemu-ga", "BLOCK_RPCS=${EXTRA}"),  # computed by the shell: not guessed
    write("/etc/systemd/system/qemu-guest-agent.service.d/f.conf", "ExecStart=/usr/bin/qemu-ga $FILTER_RPC_ARGS"),
    write("/etc/qemu/other.conf", "block-rpcs=guest-fsfreeze-freeze"),
    write("/etc/qemu/qemu-ga.conf", "[general]", "verbose=true"),
])
def test_rpc_filters_that_allow_freezing(lines: tuple[str, ...]) -> None:
    assert found(vm(*user_data(*lines)), "VM407") == []


def test_rpc_filter_in_base64_and_when_nothing_freezes() -> None:
    lines = write("/etc/sysconfig/qemu-ga", "BLOCK_RPCS=guest-fsfreeze-freeze")
    text = vm(f"userDataBase64: {b64(*lines)}")
    assert where(text, "VM407") == [at(text, b64(*lines))]
    skipped = vm(*user_data(*lines), metadata='  annotations:\n    kubevirt.io/skip-backup-hooks: "true"\n')
    assert where(skipped, "VM407") == []
    windows = vm(*user_data(*lines), metadata="  labels:\n    kubevirt.io/os: windows\n",
                 disk="persistentVolumeClaim:\n            claimName: root")
    assert where(windows, "VM407") == []


# --- Ignition: storage.filesystems, .mount units and ExecStart lines ---------------------------------------------------

IGN_FS = '"storage": {"filesystems": [{"device": "/dev/vdb", "format": "xfs", "label": "data", "wipeFilesystem": true}]},'
IGN_AGENT = '{"name": "qemu-guest-agent.service", "enabled": true}'
IGN_MOUNT = ('{"name": "data.mount", "enabled": true, "contents": "[Unit]\\nBefore=local-fs.target\\n[Mount]\\n'
             'What=/dev/disk/by-label/data\\nWhere=/data\\nType=xfs\\n[Install]\\nWantedBy=local-fs.target\\n"}')


def ignition(*units: str, storage: str = IGN_FS, extra: str = "") -> tuple[str, ...]:
    return user_data("{", '  "ignition": {"version": "3.4.0"},', f"  {storage}", *([f"  {extra}"] if extra else []),
                     '  "systemd": {"units": [', *(f"    {unit}{',' if i < len(units) - 1 else ''}"
                                                  for i, unit in enumerate(units)), "  ]}", "}")


def oneshot(exec_start: str) -> str:
    return ('{"name": "fix.service", "enabled": true, "contents": "[Service]\\nType=oneshot\\n'
            f'ExecStart={exec_start}\\n[Install]\\nWantedBy=multi-user.target\\n"}}')


def test_ignition_filesystem_and_mount_unit_message() -> None:
    text = vm(*ignition(IGN_AGENT, IGN_MOUNT))
    [finding] = found(text)
    assert (finding.line, finding.column) == at(text, "Where=/data")
    assert (finding.end_line, finding.end_column) == (finding.line, finding.column + len("Where=/data"))
    assert finding.message == (
        "VirtualMachine db runs CentOS Stream 9 (the image quay.io/containerdisks/centos-stream:9), where SELinux "
        "confines qemu-ga (RHEL and its rebuilds run SELinux enforcing with the targeted policy by default, which "
        "confines qemu-ga in virt_qemu_ga_t (RHEL 9 \"Using SELinux\" §1.5; selinux-policy virt_supplementary.te)); "
        "the Ignition unit data.mount mounts /dev/disk/by-label/data on /data, a new file system (Ignition "
        "storage.filesystems: xfs on /dev/vdb, label data) whose root directory carries unlabeled_t (nothing "
        "relabels it), not a mountpoint type qemu-ga may open (selinux-policy kernel.te, virt_supplementary.te): "
        "KubeVirt 1.9.0 injects its virt-freezer hooks, but the freeze fails as a whole with \"failed to open /data: "
        "Permission denied\" in virt-freezer's log, its pre hook fails and the backup ends PartiallyFailed (qemu "
        "qga/commands-linux.c; Velero counts a failed hook as an error), as with a RHEL 9 data disk "
        "(harvester/harvester#6497)")
    assert finding.hint is not None and finding.hint.startswith(
        "persist the boolean, off by default, that lets qemu-ga open it: add an enabled oneshot unit to the Ignition "
        "config whose ExecStart= runs `setsebool -P virt_qemu_ga_read_nonsecurity_files 1`; or relabel it after "
        "mounting with `restorecon -v /data`")


def test_ignition_without_the_agent_unit_is_still_read() -> None:
    text = vm(*ignition(IGN_MOUNT))
    assert where(text) == [at(text, "Where=/data")]


def test_ignition_exec_start_mount_is_a_mount() -> None:
    text = vm(*ignition(IGN_AGENT, oneshot("/usr/bin/mount /dev/vdb /srv")))
    [finding] = found(text)
    assert (finding.line, finding.column) == at(text, "ExecStart=/usr/bin/mount")
    assert "the Ignition unit fix.service runs `/usr/bin/mount /dev/vdb /srv` mounts /dev/vdb on /srv, a new file " \
           "system (Ignition storage.filesystems: xfs on /dev/vdb, label data)" in finding.message


@pytest.mark.parametrize("exec_start", [
    "/usr/sbin/setsebool -P virt_qemu_ga_read_nonsecurity_files 1",
    "-/usr/sbin/setsebool virt_qemu_ga_read_nonsecurity_files on",  # every boot: lasting without -P
    "/bin/sh -c 'restorecon -Rv /data'",
    "/usr/sbin/semanage permissive -a virt_qemu_ga_t",
])
def test_ignition_fixes_in_exec_start(exec_start: str) -> None:
    assert found(vm(*ignition(IGN_AGENT, IGN_MOUNT, oneshot(exec_start)))) == []


@pytest.mark.parametrize(("units", "storage", "extra"), [
    ((IGN_AGENT, IGN_MOUNT.replace('"enabled": true', '"enabled": false')), IGN_FS, ""),  # never mounted
    ((IGN_AGENT, IGN_MOUNT.replace('"enabled": true', '"enabled": true, "mask": true')), IGN_FS, ""),
    ((IGN_AGENT, IGN_MOUNT.replace("Where=/data", "Where=/mnt/nfs").replace("Type=xfs", "Type=nfs")), IGN_FS, ""),
    ((IGN_AGENT, IGN_MOUNT),
     '"storage": {"files": [{"path": "/etc/selinux/config", "contents": {"source": "data:,SELINUX%3Dpermissive"}}]},',
     ""),  # a file vmlint does not read: the fix may be in it
    ((IGN_AGENT, IGN_MOUNT), IGN_FS, '"kernelArguments": {"shouldExist": ["enforcing=0"]},'),
])
def test_ignition_cases_that_are_silent(units: tuple[str, ...], storage: str, extra: str) -> None:
    assert found(vm(*ignition(*units, storage=storage, extra=extra))) == []


@pytest.mark.parametrize("body", [
    ('{"ignition": {"version": "3.4.0"}, "systemd": {"units": [{"name": "x.mount", "enabled": true, "contents": 5}]}}',),
    ('{"ignition": {"version": "3.4.0"}, "storage": {"filesystems": [null, 5, {"device": []}]}, "systemd": 7}',),
    ('{"ignition": {"version": "3.4.0"}, "systemd": {"units": [{"name": "a.mount", "enabled": true, '
     '"contents": "[Mount]\\nWhere=/data\\n"}]}}',),  # no What=
    ('{"ignition": {"version": "3.4.0"}, "kernelArguments": [1], "storage": {"files": {"path": 1}}}',),
    ('{"ignition": "x", "storage": {"filesystems": [{"device": "/dev/vdb"',),  # truncated JSON
])
def test_odd_ignition_never_breaks_the_run(body: tuple[str, ...]) -> None:
    assert found(vm(*user_data(*body))) == []


def test_ignition_in_base64_points_at_the_scalar() -> None:
    config = "\n".join(ignition(IGN_AGENT, IGN_MOUNT)[1:]).replace("\n  ", "\n")
    encoded = base64.b64encode(config.encode()).decode()
    text = vm(f"userDataBase64: {encoded}")
    assert where(text) == [at(text, encoded)]
