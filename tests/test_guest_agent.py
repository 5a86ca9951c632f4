"""VM401-VM405: the guest-agent evidence (lint.guest) from every source, and the rules that speak from it.

Positions are exact: inside a literal-block cloud-config they are the line of the embedded document; for
base64 user data, the value; for a Secret in another file, the VM's `secretRef` name.
"""

from __future__ import annotations

import base64
import json
import shlex
from dataclasses import replace

import pytest
from conftest import CORPUS, require_corpus
from helpers import lint_text, where

from lint.checks import CheckContext
from lint.checks.agent import evidence
from lint.core.catalogue import builtin_catalogue
from lint.core.findings import Finding
from lint.guest.evidence import AgentEvidence
from lint.guest.userdata import MAX_USER_DATA
from lint.guest.verdict import guest_agent_evidence
from lint.kube.loading import load_file
from lint.kubevirt.index import RunIndex, SecretData
from lint.run.discovery import InputFile
from lint.run.engine import run, select_rules
from lint.target.settings import Settings
from lint.target.versions import KubeVirt, parse_version

CONSEQUENCE = ('virt-freezer finds no guest agent, logs "No guest agent, exiting" and exits 0, so Velero reports the '
               "hook as succeeded over a crash-consistent backup")
INJECTED = "KubeVirt 1.9.0 injects its virt-freezer hooks"
HARVESTER = ("#cloud-config", "package_update: true", "packages:", "  - qemu-guest-agent", "runcmd:",
             "  - - systemctl", "    - enable", "    - --now", "    - qemu-guest-agent.service")
PASSWORD_ONLY = ("#cloud-config", "password: changeme", "chpasswd: { expire: false }")
CIRROS = "quay.io/kubevirt/cirros-container-disk-demo"
PVC = "persistentVolumeClaim:\n            claimName: web-rootdisk"


def vm(*cloud_init: str, disk: str | None = None, metadata: str = "", template: str = "", pod: str = "",
       spec: str = "", kind: str = "VirtualMachine", namespace: str | None = "prod", name: str = "web") -> str:
    """A VirtualMachine with a root disk and a cloud-init volume whose source lines (under cloudInitNoCloud,
    indented 12) are `cloud_init`; without them there is no cloud-init volume at all."""
    disk = disk if disk is not None else f"containerDisk:\n            image: {CIRROS}"
    text = (
        f"apiVersion: kubevirt.io/v1\nkind: {kind}\nmetadata:\n  name: {name}\n"
        + (f"  namespace: {namespace}\n" if namespace else "")
        + metadata
        + f"spec:\n{spec}  runStrategy: Always\n  template:\n"
        + (f"    metadata:\n{template}" if template else "")
        + f"    spec:\n{pod}      domain:\n        devices: {{}}\n      volumes:\n"
        + f"        - name: rootdisk\n          {disk}\n"
    )
    if cloud_init:
        text += "        - name: cloudinitdisk\n          cloudInitNoCloud:\n"
        text += "".join(f"            {line}\n" for line in cloud_init)
    return text


def user_data(*lines: str) -> tuple[str, ...]:
    """`userData: |` and its lines, as cloud-init source lines."""
    return ("userData: |", *(f"  {line}" if line else "" for line in lines))


def b64(*lines: str) -> str:
    return base64.b64encode(("\n".join(lines) + "\n").encode()).decode()


def pos(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based line and column of the nth occurrence of `needle` in `text`."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    line = text.count("\n", 0, start) + 1
    return line, start - (text.rfind("\n", 0, start) + 1) + 1


def codes(findings: list[Finding], prefix: str = "VM4") -> list[tuple[str, int, int]]:
    return [w for w in where(findings) if w[0].startswith(prefix)]


def vm4(text: str, kubevirt: str | None = None) -> list[Finding]:
    return lint_text(text, select=("VM4",), kubevirt=kubevirt)


def lint_files(*files: tuple[str, str], settings: Settings | None = None) -> list[Finding]:
    rules = select_rules(builtin_catalogue(), ("VM4",))
    result = run([InputFile(name, None, text.encode()) for name, text in files], rules, settings or Settings())
    assert not result.errors, result.errors
    return result.findings


def agent_evidence(text: str, settings: Settings | None = None) -> AgentEvidence:
    loaded = load_file("test.yaml", text.encode())
    index = RunIndex()
    for obj in loaded.objects:
        index.add_secret(obj)
    [workload] = loaded.workloads
    return evidence(workload, CheckContext(loaded, settings or Settings(), {}, index))


# --- cloud-config: packages, runcmd, bootcmd, write_files ---------------------------------------------------------


def test_harvester_snippet_is_present() -> None:
    text = vm(*user_data(*HARVESTER))
    found = agent_evidence(text)
    assert (found.verdict, found.installed, found.enabled) == ("present", True, True)
    assert [r.text for r in found.reasons] == [
        "`packages` installs qemu-guest-agent",
        "runcmd runs `systemctl enable --now qemu-guest-agent.service`",
    ]
    assert (found.install.span.line, found.install.span.column) == pos(text, "qemu-guest-agent")
    assert (found.enable.span.line, found.enable.span.column) == (24, 19)  # the argv list of the runcmd item
    assert vm4(text) == []


def test_password_only_cloud_config_is_absent() -> None:
    text = vm(*user_data(*PASSWORD_ONLY))
    [finding] = vm4(text)
    assert (finding.code, finding.line, finding.column, str(finding.severity)) == ("VM401", 19, 15, "warning")
    assert (finding.end_line, finding.end_column) == (19, 28)  # the `#cloud-config` line inside the literal block
    assert finding.message == (
        f"VirtualMachine web is frozen before each backup ({INJECTED}), but the #cloud-config in userData neither "
        f"installs nor enables qemu-guest-agent, and vmlint does not know whether the image {CIRROS} ships it: "
        f"{CONSEQUENCE}"
    )
    assert finding.hint == (
        "install and enable the agent as Harvester does: packages: [qemu-guest-agent] and runcmd: [[systemctl, "
        "enable, --now, qemu-guest-agent.service]]; if the image ships it, list the image in guest-agent-images "
        '(configuration), or annotate the VM with vmlint.io/guest-agent: "installed"'
    )


@pytest.mark.parametrize("runcmd", [
    ("  - systemctl enable --now qemu-guest-agent",),  # string (shell) form, no .service
    ("  - [systemctl, enable, --now, qemu-guest-agent.service]",),  # argv form, flow list
    ("  - - sudo", "    - systemctl", "    - start", "    - qemu-guest-agent"),  # argv form, block list, sudo
    ("  - sh -c 'systemctl daemon-reload && systemctl enable qemu-guest-agent'",),
    ("  - [sh, -c, \"systemctl enable --now qemu-guest-agent.service\"]",),  # the benchmark generator's form
    ("  - service qemu-guest-agent start",),
    ("  - rc-update add qemu-guest-agent default",),  # Alpine (OpenRC)
    ("  - rc-service qemu-guest-agent start",),
])
def test_runcmd_forms_that_enable_the_agent(runcmd: tuple[str, ...]) -> None:
    text = vm(*user_data("#cloud-config", "packages: [qemu-guest-agent]", "runcmd:", *runcmd))
    found = agent_evidence(text)
    assert (found.verdict, found.installed, found.enabled) == ("present", True, True)
    assert (found.enable.span.line, found.enable.span.column) == (22, 19)
    assert vm4(text) == []


@pytest.mark.parametrize("command", [
    "apt-get install -y qemu-guest-agent", "apt-get -y install qemu-guest-agent=1:8.2.2", "dnf -y install qemu-guest-agent",
    "yum install -y qemu-guest-agent", "zypper --non-interactive in qemu-guest-agent", "apk add --no-cache qemu-guest-agent",
    "sudo -u root DEBIAN_FRONTEND=noninteractive apt install -y curl qemu-guest-agent",
])
def test_package_managers_in_runcmd_install_the_agent(command: str) -> None:
    text = vm(*user_data("#cloud-config", "runcmd:", f"  - {command}", "  - systemctl enable --now qemu-guest-agent"))
    found = agent_evidence(text)
    assert (found.verdict, found.installed, found.enabled) == ("present", True, True)
    assert found.install.text == f"runcmd runs `{command.replace('sudo -u root DEBIAN_FRONTEND=noninteractive ', '')}`"


def test_packages_with_a_version_and_in_bootcmd() -> None:
    text = vm(*user_data("#cloud-config", "bootcmd:", "  - [systemctl, enable, qemu-guest-agent]", "packages:",
                         "  - [qemu-guest-agent, '1:8.2.2+ds-0ubuntu1']"))
    found = agent_evidence(text)
    assert (found.verdict, found.installed, found.enabled) == ("present", True, True)
    assert found.enable.text == "bootcmd runs `systemctl enable qemu-guest-agent`"
    assert (found.install.span.line, found.install.span.column) == pos(text, "[qemu-guest-agent,")


def test_other_packages_and_commands_are_not_the_agent() -> None:
    text = vm(*user_data("#cloud-config", "packages: [qemu-guest-agent-tools, qemu-kvm]", "runcmd:",
                         "  - echo qemu-guest-agent", "  - systemctl enable --now qemu-guest-agentd"))
    assert agent_evidence(text).verdict == "absent"


def test_masked_by_write_files_is_absent_even_on_a_known_image() -> None:
    text = vm(*user_data("#cloud-config", "write_files:", "  - path: /etc/systemd/system/qemu-guest-agent.service",
                         "    content: ''"), disk="containerDisk:\n            image: quay.io/containerdisks/fedora:41")
    found = agent_evidence(text)
    assert found.verdict == "absent"
    [finding] = vm4(text)
    assert (finding.code, finding.line, finding.column) == ("VM401", 21, 19)
    assert finding.message == (
        "write_files writes an empty /etc/systemd/system/qemu-guest-agent.service over the packaged unit (systemd "
        f"treats an empty unit file as masked), so no guest agent runs ({INJECTED}): {CONSEQUENCE}"
    )


def test_a_drop_in_that_empties_exec_start_and_runcmd_mask_disable() -> None:
    drop_in = vm(*user_data("#cloud-config", "write_files:",
                            "  - path: /etc/systemd/system/qemu-guest-agent.service.d/off.conf",
                            "    content: |", "      [Service]", "      ExecStart="))
    assert agent_evidence(drop_in).disabled.text == (
        "write_files writes /etc/systemd/system/qemu-guest-agent.service.d/off.conf, which empties ExecStart")
    masked = vm(*user_data("#cloud-config", "packages: [qemu-guest-agent]", "runcmd:",
                           "  - systemctl mask qemu-guest-agent"))
    assert (agent_evidence(masked).verdict, codes(vm4(masked))) == ("absent", [("VM401", 22, 19)])
    unmasked = vm(*user_data("#cloud-config", "packages: [qemu-guest-agent]", "runcmd:",
                             "  - systemctl mask qemu-guest-agent", "  - systemctl unmask qemu-guest-agent",
                             "  - systemctl start qemu-guest-agent"))
    assert agent_evidence(unmasked).verdict == "present"


# --- shell scripts, base64, Ignition, MIME ------------------------------------------------------------------------


def test_shell_script_that_installs_and_enables() -> None:
    text = vm(*user_data("#!/bin/bash", 'echo "fedora" | passwd fedora --stdin', "dnf -y install qemu-guest-agent",
                         "sudo systemctl enable qemu-guest-agent", "sudo systemctl start qemu-guest-agent"))
    found = agent_evidence(text)
    assert (found.verdict, found.user_data_format) == ("present", "shell")
    assert found.install.text == "the script runs `dnf -y install qemu-guest-agent`"
    assert (found.install.span.line, found.install.span.column, found.install.span.end_column) == (21, 15, 46)
    assert found.enable.text == "the script runs `systemctl enable qemu-guest-agent`"
    assert vm4(text) == []


def test_shell_script_with_continuation_lines() -> None:
    text = vm(*user_data("#!/bin/sh", "apt-get update && \\", "  apt-get install -y \\", "  qemu-guest-agent",
                         "systemctl enable --now qemu-guest-agent"))
    found = agent_evidence(text)
    assert found.verdict == "present"
    assert (found.install.span.line, found.install.span.column) == (20, 15)


def test_shell_script_without_the_agent_on_cirros_is_absent() -> None:
    text = vm(*user_data("#!/bin/sh", "", "echo 'printed from cloud-init userdata'"))
    [finding] = vm4(text)
    assert (finding.code, finding.line, finding.column) == ("VM401", 19, 15)
    assert "but the shell script in userData neither installs nor enables qemu-guest-agent" in finding.message


def test_user_data_base64_is_decoded_and_points_at_the_value() -> None:
    text = vm(f"userDataBase64: {b64(*PASSWORD_ONLY)}")
    [finding] = vm4(text)
    assert (finding.code, finding.line, finding.column) == ("VM401", 18, 29)
    assert "but the #cloud-config in userDataBase64 neither installs" in finding.message
    present = vm(f"userDataBase64: {b64(*HARVESTER)}")
    found = agent_evidence(present)
    assert (found.verdict, found.install.span.line, found.install.span.column) == ("present", 18, 29)
    assert vm4(present) == []


def test_user_data_wins_over_base64_as_in_kubevirt() -> None:
    text = vm(*user_data(*HARVESTER), f"userDataBase64: {b64(*PASSWORD_ONLY)}")
    assert agent_evidence(text).verdict == "present"


def test_invalid_base64_is_unverifiable() -> None:
    text = vm("userDataBase64: not-base64!")
    [finding] = vm4(text)
    assert (finding.code, finding.line, finding.column, str(finding.severity)) == ("VM402", 18, 29, "info")
    assert finding.message.startswith(
        "vmlint cannot tell whether VirtualMachine web runs the QEMU guest agent: userDataBase64 is not valid "
        "base64: KubeVirt cannot decode it. It is frozen before each backup")
    assert finding.hint == "encode the user data with `base64 -w0`"


def test_text_without_a_header_is_ignored_by_cloud_init() -> None:
    text = vm("userDataBase64: SGkuXG4=")  # "Hi.\n": the KubeVirt demo VM's user data
    found = agent_evidence(text)
    assert (found.verdict, found.user_data_format) == ("absent", "ignored")
    assert found.reasons[0].text.startswith(
        "the user data in userDataBase64 (no #cloud-config or #! header, so cloud-init ignores it) neither installs")


IGNITION = ('{"ignition": {"version": "3.2.0"},', ' "systemd": {"units": [', '   {"name": "sshd.service", "enabled": true},',
            '   {"name": "qemu-guest-agent.service", "enabled": true}', ' ]}}')


def test_ignition_with_the_unit_enabled_is_present() -> None:
    text = vm(*user_data(*IGNITION))
    found = agent_evidence(text)
    assert (found.verdict, found.user_data_format) == ("present", "ignition")
    assert found.enable.text == "the Ignition config enables qemu-guest-agent.service"
    assert (found.enable.span.line, found.enable.span.column) == (22, 18)
    assert vm4(text) == []


def test_ignition_without_the_unit_is_unknown_not_absent() -> None:
    text = vm(*user_data('{"ignition": {"version": "3.2.0"}, "passwd": {"users": [{"name": "core"}]}}'))
    [finding] = vm4(text)
    assert (finding.code, finding.line, finding.column) == ("VM402", 19, 15)
    assert ("the Ignition config in userData has no qemu-guest-agent.service unit, and whether the image ships the "
            "agent decides") in finding.message
    masked = vm(*user_data('{"ignition": {"version": "3.2.0"},',
                           ' "systemd": {"units": [{"name": "qemu-guest-agent.service", "mask": true}]}}'))
    assert agent_evidence(masked).verdict == "absent"


def test_multipart_mime_and_include_are_unknown() -> None:
    mime = vm(*user_data('Content-Type: multipart/mixed; boundary="==BOUNDARY=="', "MIME-Version: 1.0", "",
                         "--==BOUNDARY==", "Content-Type: text/cloud-config", "", "packages: [qemu-guest-agent]"))
    [finding] = vm4(mime)
    assert (finding.code, finding.line, finding.column) == ("VM402", 19, 15)
    assert "userData holds multi-part MIME user data, whose parts vmlint does not read" in finding.message
    include = vm(*user_data("#include", "https://example.com/user-data"))
    assert agent_evidence(include).verdict == "unknown"


def test_user_data_over_the_cap_is_unknown() -> None:
    text = vm("secretRef:", "  name: huge")
    loaded = load_file("test.yaml", text.encode())
    index = RunIndex()
    index.secrets[("prod", "huge")] = SecretData("prod", "huge", {"userdata": "#cloud-config\n" + "#" * MAX_USER_DATA})
    found = guest_agent_evidence(loaded.workloads[0], loaded, index, None, ())
    assert found.verdict == "unknown"
    assert found.reasons[0].text == (
        "the user data in the Secret prod/huge (key userdata) is larger than 1024 KiB, more than vmlint reads")


# --- Secrets across files ------------------------------------------------------------------------------------------

SECRET_REF = ("secretRef:", "  name: web-userdata", "networkDataSecretRef:", "  name: web-userdata")


def secret(data: dict[str, str], *, namespace: str | None = "prod", string_data: bool = False) -> str:
    head = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-userdata\n"
    head += f"  namespace: {namespace}\n" if namespace else ""
    if string_data:
        body = "stringData:\n" + "".join(
            f"  {key}: |\n" + "".join(f"    {line}\n" for line in value.splitlines()) for key, value in data.items())
    else:
        body = "type: secret\ndata:\n" + "".join(
            f"  {key}: {base64.b64encode(value.encode()).decode()}\n" for key, value in data.items())
    return head + body


def test_harvester_secret_in_another_file_resolves() -> None:
    good = secret({"userdata": "\n".join(HARVESTER), "networkdata": "version: 2\n"})
    assert lint_files(("vm.yaml", vm(*SECRET_REF, disk=PVC)), ("secret.yaml", good)) == []
    bad = secret({"userdata": "\n".join(PASSWORD_ONLY)})
    [finding] = lint_files(("vm.yaml", vm(*SECRET_REF, disk=PVC)), ("secret.yaml", bad))
    assert (finding.path, finding.code, finding.line, finding.column) == ("vm.yaml", "VM401", 19, 21)
    assert finding.message == (
        f"VirtualMachine web is frozen before each backup ({INJECTED}), but the #cloud-config in the Secret "
        "prod/web-userdata (key userdata) neither installs nor enables qemu-guest-agent, and vmlint does not know "
        f"whether the PVC prod/web-rootdisk ships it: {CONSEQUENCE}"
    )


def test_secret_string_data_and_the_user_data_key() -> None:
    good = secret({"userData": "\n".join(HARVESTER)}, string_data=True)
    assert lint_files(("vm.yaml", vm(*SECRET_REF, disk=PVC)), ("secret.yaml", good)) == []


def test_secret_in_the_same_file_points_inside_its_string_data() -> None:
    text = secret({"userdata": "\n".join(PASSWORD_ONLY)}, string_data=True) + "---\n" + vm(*SECRET_REF, disk=PVC)
    [finding] = vm4(text)
    assert (finding.code, finding.line, finding.column) == ("VM401", 8, 5)  # `#cloud-config` in stringData
    assert finding.name == "web"


def test_secret_without_a_namespace_is_found_through_the_default_namespace() -> None:
    settings = Settings(namespace="prod")
    bad = secret({"userdata": "\n".join(PASSWORD_ONLY)}, namespace=None)
    findings = lint_files(("vm.yaml", vm(*SECRET_REF, disk=PVC, namespace=None)), ("secret.yaml", bad),
                          settings=settings)
    assert codes(findings) == [("VM401", 18, 21)]


def test_secret_not_in_the_run_is_unverifiable_never_missing() -> None:
    [finding] = lint_files(("vm.yaml", vm(*SECRET_REF, disk=PVC)))
    assert (finding.code, finding.line, finding.column, str(finding.severity)) == ("VM402", 19, 21, "info")
    assert finding.message == (
        "vmlint cannot tell whether VirtualMachine web runs the QEMU guest agent: the user data is in the Secret "
        f"prod/web-userdata, which is not in this lint run. It is frozen before each backup ({INJECTED}); without "
        'an agent, virt-freezer logs "No guest agent, exiting" and exits 0, so Velero reports the hook as '
        "succeeded over a crash-consistent backup"
    )
    assert finding.hint == "lint the Secret's manifest together with the VM (for example the whole repository)"


def test_secret_in_another_namespace_is_not_the_vms() -> None:
    other = secret({"userdata": "\n".join(PASSWORD_ONLY)}, namespace="staging")
    [finding] = lint_files(("vm.yaml", vm(*SECRET_REF, disk=PVC)), ("secret.yaml", other))
    assert (finding.code, finding.line, finding.column) == ("VM402", 19, 21)
    assert ("the user data is in the Secret prod/web-userdata, which is not in this lint run (a Secret "
            "web-userdata in namespace staging is, but KubeVirt reads the Secret from the VM's own namespace)"
            ) in finding.message


def test_secret_without_user_data_and_undecodable_data() -> None:
    network_only = secret({"networkdata": "version: 2\n"})
    findings = lint_files(("vm.yaml", vm(*SECRET_REF, disk=PVC)), ("secret.yaml", network_only))
    assert [(f.code, f.message.split(": ", 1)[1][:38]) for f in findings] == [
        ("VM402", "it has no cloud-init user data, and vm")]
    broken = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-userdata\n  namespace: prod\ndata:\n  userdata: '%%%'\n"
    [finding] = lint_files(("vm.yaml", vm(*SECRET_REF, disk=PVC)), ("secret.yaml", broken))
    assert finding.code == "VM402"
    assert "the Secret prod/web-userdata's userdata is not valid base64 or not UTF-8 text" in finding.message


def test_harvester_template_version_resolves_its_secret() -> None:
    template = (
        "apiVersion: harvesterhci.io/v1beta1\nkind: VirtualMachineTemplateVersion\nmetadata:\n"
        "  name: ubuntu-base\n  namespace: prod\nspec:\n  templateId: prod/ubuntu\n  vm:\n    spec:\n"
        "      template:\n        spec:\n          domain:\n            devices: {}\n          volumes:\n"
        "            - name: cloudinitdisk\n              cloudInitNoCloud:\n                secretRef:\n"
        "                  name: web-userdata\n"
    )
    [finding] = lint_files(("template.yaml", template), ("secret.yaml", secret({"userdata": "\n".join(PASSWORD_ONLY)})))
    assert (finding.code, finding.line, finding.column) == ("VM401", 18, 25)
    assert finding.message.startswith("VirtualMachineTemplateVersion ubuntu-base is frozen before each backup")
    assert lint_files(("template.yaml", template), ("secret.yaml", secret({"userdata": "\n".join(HARVESTER)}))) == []


# --- images, the opt-in annotation, fields that need the agent ------------------------------------------------------


@pytest.mark.parametrize("disk", [
    "containerDisk:\n            image: quay.io/containerdisks/fedora:41",
    "containerDisk:\n            image: registry:5000/kubevirt/fedora-with-test-tooling-container-disk:devel",
    "dataVolume:\n            name: root-dv",
])
def test_known_images_ship_the_agent(disk: str) -> None:
    spec = ("  dataVolumeTemplates:\n    - metadata:\n        name: root-dv\n      spec:\n        source:\n"
            "          registry:\n            url: docker://quay.io/containerdisks/centos-stream:9\n")
    text = vm(*user_data(*PASSWORD_ONLY), disk=disk, spec=spec)
    found = agent_evidence(text)
    assert found.verdict == "present"
    assert found.reasons[0].text.startswith("the disk comes from quay.io/containerdisks/") or "fedora-with-test" in \
        found.reasons[0].text
    assert vm4(text) == []


def test_openshift_golden_image_data_source() -> None:
    spec = ("  dataVolumeTemplates:\n    - metadata:\n        name: root\n      spec:\n        sourceRef:\n"
            "          kind: DataSource\n          name: fedora\n          namespace: openshift-virtualization-os-images\n")
    text = vm(*user_data(*PASSWORD_ONLY), disk="dataVolume:\n            name: root", spec=spec)
    assert agent_evidence(text).reasons[0].text == (
        "the disk comes from datasource:openshift-virtualization-os-images/fedora, which ships the agent (it matches "
        "'datasource:openshift-virtualization-os-images/fedora')")


def test_a_standalone_data_volume_in_the_same_file() -> None:
    dv = ("apiVersion: cdi.kubevirt.io/v1beta1\nkind: DataVolume\nmetadata:\n  name: root\n  namespace: prod\nspec:\n"
          "  source:\n    http:\n      url: https://example.com/images/golden.qcow2\n---\n")
    text = dv + vm(*user_data(*PASSWORD_ONLY), disk="dataVolume:\n            name: root")
    [finding] = vm4(text)
    assert "whether the image https://example.com/images/golden.qcow2 ships it" in finding.message


def test_the_users_image_list_extends_the_rules() -> None:
    text = vm(*user_data(*PASSWORD_ONLY), disk="containerDisk:\n            image: registry.example.com/golden/rocky:9")
    assert codes(lint_files(("vm.yaml", text))) == [("VM401", 19, 15)]
    settings = Settings(guest_agent_images=("registry.example.com/golden/*",))
    assert lint_files(("vm.yaml", text), settings=settings) == []


def test_cirros_and_alpine_are_not_known_images() -> None:
    for image in (CIRROS, "quay.io/kubevirt/alpine-container-disk-demo", "quay.io/containerdisks/ubuntu:24.04"):
        text = vm(*user_data(*PASSWORD_ONLY), disk=f"containerDisk:\n            image: {image}")
        assert agent_evidence(text).verdict == "absent", image


def test_opt_in_annotation_for_golden_images() -> None:
    metadata = '  annotations:\n    vmlint.io/guest-agent: "installed"\n'
    text = vm(*user_data(*PASSWORD_ONLY), metadata=metadata)
    found = agent_evidence(text)
    assert (found.verdict, found.reasons[0].text) == ("present", 'vmlint.io/guest-agent: "installed"')
    assert (found.reasons[0].span.line, found.reasons[0].span.column) == (7, 28)
    assert vm4(text) == []
    no_user_data = vm(metadata=metadata, disk=PVC)
    assert vm4(no_user_data) == []


@pytest.mark.parametrize(("pod", "text"), [
    ("      accessCredentials:\n        - sshPublicKey:\n            source:\n              secret:\n"
     "                secretName: keys\n            propagationMethod:\n              qemuGuestAgent:\n"
     "                users: [fedora]\n", "accessCredentials sshPublicKey propagated through qemuGuestAgent"),
    ("      accessCredentials:\n        - userPassword:\n            source:\n              secret:\n"
     "                secretName: pw\n            propagationMethod:\n              qemuGuestAgent: {}\n",
     "accessCredentials userPassword propagated through qemuGuestAgent"),
    ("      readinessProbe:\n        guestAgentPing: {}\n",
     "a readinessProbe with guestAgentPing (it runs through the guest agent)"),
    ("      livenessProbe:\n        exec:\n          command: [cat, /tmp/healthy]\n",
     "a livenessProbe with exec (it runs through the guest agent)"),
])
def test_fields_that_need_the_agent(pod: str, text: str) -> None:
    manifest = vm(*user_data(*PASSWORD_ONLY), pod=pod)
    found = agent_evidence(manifest)
    assert (found.verdict, found.reasons[0].text) == ("present", text)
    assert vm4(manifest) == []


def test_no_cloud_init_and_an_unknown_image_is_unverifiable() -> None:
    [finding] = vm4(vm(disk=PVC))
    assert (finding.code, finding.line, finding.column) == ("VM402", 15, 24)
    assert finding.message.startswith(
        "vmlint cannot tell whether VirtualMachine web runs the QEMU guest agent: it has no cloud-init user data, "
        "and vmlint does not know whether the PVC prod/web-rootdisk ships it.")
    assert finding.hint == (
        "install the agent through cloud-init (packages: [qemu-guest-agent]), list the image in guest-agent-images, "
        'or annotate the VM with vmlint.io/guest-agent: "installed"')


def test_an_os_label_of_a_distribution_that_ships_the_agent_is_unknown_not_absent() -> None:
    template = "      annotations:\n        vm.kubevirt.io/os: rhel9\n"
    text = vm(*user_data(*PASSWORD_ONLY), template=template, disk=PVC)
    [finding] = vm4(text)
    assert (finding.code, finding.line, finding.column) == ("VM402", 11, 28)
    assert ("the #cloud-config in userData does not install the agent, but the guest is declared as "
            "vm.kubevirt.io/os: rhel9, whose images usually ship it") in finding.message


# --- Windows -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("extra", "signal", "at"), [
    ({"metadata": "  labels:\n    harvesterhci.io/os: windows\n"}, "harvesterhci.io/os: windows", (7, 25)),
    ({"metadata": "  labels:\n    kubevirt.io/os: win2k19\n"}, "kubevirt.io/os: win2k19", (7, 21)),
    ({"template": "      annotations:\n        vm.kubevirt.io/os: windows2k22\n"}, "vm.kubevirt.io/os: windows2k22",
     (11, 28)),
    ({"template": '      labels:\n        os.template.kubevirt.io/win2k22: "true"\n'},
     'os.template.kubevirt.io/win2k22: "true"', (11, 9)),
    ({"spec": "  preference:\n    name: windows.2k22\n"}, "preference windows.2k22", (8, 11)),
    ({"pod": "      domain:\n        features:\n          hyperv:\n            relaxed: {}\n", "disk": PVC},
     "Hyper-V enlightenments in domain.features.hyperv", (12, 11)),
    ({"cloud": ("sysprep:",), "disk": PVC}, "a sysprep volume", None),
    ({"disk": "containerDisk:\n            image: registry.suse.com/suse/vmdp/vmdp:2.5.4.3"},
     "the Windows driver disk registry.suse.com/suse/vmdp/vmdp:2.5.4.3", (15, 20)),
])
def test_windows_signals(extra: dict, signal: str, at: tuple[int, int] | None) -> None:
    kwargs = {k: v for k, v in extra.items() if k != "cloud"}
    if "pod" in kwargs:  # a domain of its own replaces the default one
        text = vm(**kwargs).replace("      domain:\n        devices: {}\n", "", 1)
    elif "cloud" in extra:
        text = vm(**kwargs).replace("        - name: rootdisk\n", "        - name: answer\n          sysprep:\n"
                                    "            configMap:\n              name: unattend\n        - name: rootdisk\n")
        at = pos(text, "sysprep:")
    else:
        text = vm(*user_data(*PASSWORD_ONLY), **kwargs)
    [finding] = vm4(text)  # no VM401 or VM402 for a Windows guest, whatever its cloud-init says
    assert (finding.code, (finding.line, finding.column), str(finding.severity)) == ("VM403", at, "info")
    assert finding.message == (
        f"VirtualMachine web runs Windows ({signal}) and is frozen before each backup ({INJECTED}): the freeze goes "
        "through QEMU-GA, which Windows gets from virtio-win or VMDP (not cloud-init), and needs the Volume Shadow "
        "Copy (VSS) service running; without the agent virt-freezer exits 0 without freezing, and VSS holds a "
        "freeze for about 10 seconds, so a snapshot that takes longer makes the thaw fail with \"fsfreeze is "
        "limited\""
    )


def test_a_linux_image_outweighs_windows_hints() -> None:
    """Hyper-V enlightenments are only a hint (Linux guests may carry them too): the cirros image decides."""
    text = vm(pod="      domain:\n        features:\n          hyperv:\n            relaxed: {}\n").replace(
        "      domain:\n        devices: {}\n", "", 1)
    assert codes(vm4(text)) == [("VM402", 17, 20)]


def test_linux_os_labels_are_not_windows() -> None:
    text = vm(*user_data(*PASSWORD_ONLY), metadata="  labels:\n    harvesterhci.io/os: ubuntu\n")
    assert codes(vm4(text)) == [("VM401", 21, 15)]


# --- when nothing freezes the guest ---------------------------------------------------------------------------------

SKIP = '  annotations:\n    kubevirt.io/skip-backup-hooks: "true"\n'
OWN_HOOKS = ('      annotations:\n'
             '        pre.hook.backup.velero.io/command: \'["/usr/bin/virt-freezer", "--freeze", "--name", "web", '
             '"--namespace", "prod"]\'\n'
             '        post.hook.backup.velero.io/command: \'["/usr/bin/virt-freezer", "--unfreeze", "--name", "web", '
             '"--namespace", "prod"]\'\n')


@pytest.mark.parametrize(("metadata", "kubevirt"), [(SKIP, "1.9.0"), ("", "0.44.0")])
def test_no_freeze_no_agent_findings(metadata: str, kubevirt: str) -> None:
    for text in (vm(*user_data(*PASSWORD_ONLY), metadata=metadata), vm(*SECRET_REF, metadata=metadata),
                 vm(*user_data(*PASSWORD_ONLY), metadata=metadata + "  labels:\n    kubevirt.io/os: windows\n")):
        assert codes(vm4(text, kubevirt=kubevirt)) == []


def test_own_freeze_hooks_freeze_even_with_skip() -> None:
    text = vm(*user_data(*PASSWORD_ONLY), metadata=SKIP, template=OWN_HOOKS)
    [finding] = vm4(text)
    assert finding.code == "VM401"
    assert finding.message.startswith(
        "VirtualMachine web is frozen before each backup (pre.hook.backup.velero.io/command runs virt-freezer "
        "--freeze), but the #cloud-config")


def test_before_0_57_virt_freezer_fails_instead() -> None:
    text = vm(*user_data(*PASSWORD_ONLY), template=OWN_HOOKS)
    [finding] = vm4(text, kubevirt="0.44.0")
    assert finding.message.endswith(
        "virt-freezer's freeze call fails without a guest agent (KubeVirt 0.44.0; from 0.57 it exits 0 instead), so "
        "the pre hook fails")


def test_pool_and_vmi_paths() -> None:
    pool = (
        "apiVersion: pool.kubevirt.io/v1beta1\nkind: VirtualMachinePool\nmetadata:\n  name: web\n  namespace: prod\n"
        "spec:\n  virtualMachineTemplate:\n    metadata:\n      labels:\n        harvesterhci.io/os: windows\n"
        "    spec:\n      template:\n        spec:\n          domain:\n            devices: {}\n"
    )
    assert codes(vm4(pool)) == [("VM403", 10, 29)]
    vmi = (
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: web\n  namespace: prod\n"
        "spec:\n  domain:\n    devices: {}\n  volumes:\n    - name: cloudinitdisk\n      cloudInitNoCloud:\n"
        "        userData: |\n          #cloud-config\n          password: x\n"
    )
    assert codes(vm4(vmi)) == [("VM401", 13, 11)]


# --- VM404 cloud-config-invalid -------------------------------------------------------------------------------------


def test_invalid_yaml_points_inside_the_literal_block() -> None:
    text = vm(*user_data("#cloud-config", "packages:", "  - qemu-guest-agent", "runcmd:",
                         '  - [systemctl, enable, "--now, qemu-guest-agent]'), disk=PVC)
    [finding] = vm4(text)
    # the parser stops at the end of the stream; the finding points at the quote that never closes
    assert (finding.code, finding.line, finding.column, str(finding.severity)) == ("VM404", 23, 39, "warning")
    assert (finding.line, finding.column) == pos(text, '"--now')
    assert finding.message == (
        "the #cloud-config is not valid YAML (found unexpected end of stream, while scanning a quoted scalar): "
        "cloud-init cannot load it and applies none of it")
    assert finding.hint == "fix the YAML; `cloud-init schema --config-file FILE` checks it"


def test_invalid_yaml_in_the_middle_and_no_vm402_over_it() -> None:
    text = vm(*user_data("#cloud-config", "users:", "  - name: a", " bad: [", "packages: [qemu-guest-agent]"))
    [finding] = vm4(text)
    assert (finding.code, finding.line, finding.column) == ("VM404", 22, 16)
    assert finding.message == (
        "the #cloud-config is not valid YAML (expected <block end>, but found '<block mapping start>', while parsing "
        "a block mapping): cloud-init cannot load it and applies none of it")


def test_repeated_keys() -> None:
    text = vm(*user_data("#cloud-config", "user: fedora", "password: dog8code", "user: test", "packages:",
                         "  - qemu-guest-agent", "runcmd:", "  - systemctl enable --now qemu-guest-agent"))
    [finding] = vm4(text)
    assert (finding.code, finding.line, finding.column) == ("VM404", 22, 15)
    assert finding.message == (
        "`user` is repeated in the #cloud-config (first at line 20): cloud-init's YAML loader keeps the last value "
        "and silently drops the first")
    assert finding.hint == "keep one `user`"


def test_repeated_key_in_base64_user_data_points_at_the_value() -> None:
    text = vm("userDataBase64: " + b64("#cloud-config", "user: a", "user: b", "packages: [qemu-guest-agent]",
                                       "runcmd: [[systemctl, enable, --now, qemu-guest-agent]]"))
    [finding] = vm4(text)
    assert (finding.code, finding.line, finding.column) == ("VM404", 18, 29)
    assert finding.message.startswith("`user` is repeated in the #cloud-config (first at line 2 of the user data)")


def test_packages_that_is_not_a_list() -> None:
    text = vm(*user_data("#cloud-config", "packages:", "  qemu-guest-agent", "runcmd:",
                         "  - systemctl enable --now qemu-guest-agent"))
    [finding] = vm4(text)
    assert (finding.code, finding.line, finding.column) == ("VM404", 21, 17)
    assert finding.message == (
        "`packages` is a string, not a list: cloud-init's schema rejects it (\"is not of type 'array'\") and only "
        "its lenient reader installs the one package")
    assert finding.hint == "write it as a list: packages: [qemu-guest-agent]"
    assert agent_evidence(text).verdict == "present"  # cloud-init still installs the one package


def test_runcmd_that_is_not_a_list_runs_nothing() -> None:
    text = vm(*user_data("#cloud-config", "packages: [qemu-guest-agent]",
                         "runcmd: systemctl enable --now qemu-guest-agent"))
    findings = vm4(text)
    assert codes(findings) == [("VM405", 20, 26), ("VM404", 21, 23)]  # installed, but the enabling never runs
    assert findings[1].message == (
        "`runcmd` is a string, not a list: cloud-init's runcmd module fails (\"Input to shellify was type 'str'\") "
        "and runs none of it")


def test_runcmd_item_that_yaml_reads_as_a_mapping() -> None:
    text = vm(*user_data("#cloud-config", "packages: [qemu-guest-agent]", "runcmd:",
                         "  - systemctl enable --now qemu-guest-agent", "  - echo done: ok"))
    findings = vm4(text)
    assert codes(findings) == [("VM405", 20, 26), ("VM404", 23, 19)]
    assert findings[1].message == (
        "this runcmd item is a mapping to cloud-init's YAML loader, not a command: cloud-init fails the runcmd "
        "module (\"Unable to shellify type\") and runs none of its commands")
    assert findings[1].hint == "quote the item: YAML reads `key: value` as a mapping"


def test_cloud_config_that_is_not_a_mapping() -> None:
    findings = vm4(vm(*user_data("#cloud-config", "- qemu-guest-agent"), disk=PVC))
    assert codes(findings) == [("VM401", 19, 15), ("VM404", 20, 15)]  # ignored, so nothing installs the agent
    finding = findings[1]
    assert finding.message == "the #cloud-config is a list, not a mapping: cloud-init ignores it"


# --- VM405 agent-install-not-enabled --------------------------------------------------------------------------------


def test_installed_but_never_enabled() -> None:
    text = vm(*user_data("#cloud-config", "packages:", "  - qemu-guest-agent"))
    [finding] = vm4(text)
    assert (finding.code, finding.line, finding.column, str(finding.severity)) == ("VM405", 21, 19, "warning")
    assert finding.message == (
        "`packages` installs qemu-guest-agent, but vmlint cannot see it enabled or started: on most distributions "
        "the package starts itself through udev or systemd once the virtio channel exists (KubeVirt always adds it), "
        "but Harvester's own snippet enables it with `systemctl enable --now qemu-guest-agent.service`")
    assert finding.hint == "add to runcmd: - [systemctl, enable, --now, qemu-guest-agent.service]"
    assert agent_evidence(text).verdict == "present"


def test_enabled_but_never_installed() -> None:
    text = vm(*user_data("#cloud-config", "runcmd:", "  - [systemctl, enable, --now, qemu-guest-agent.service]"))
    [finding] = vm4(text)
    assert (finding.code, finding.line, finding.column) == ("VM405", 21, 19)
    assert finding.message == (
        "runcmd runs `systemctl enable --now qemu-guest-agent.service`, but nothing installs qemu-guest-agent and "
        "vmlint does not know the image to ship it: where the package is missing, systemctl fails (\"Unit file "
        "qemu-guest-agent.service does not exist\") and no agent runs")
    on_fedora = vm(*user_data("#cloud-config", "runcmd:", "  - [systemctl, enable, --now, qemu-guest-agent.service]"),
                   disk="containerDisk:\n            image: quay.io/containerdisks/fedora:41")
    assert vm4(on_fedora) == []


def test_shell_script_installs_without_enabling() -> None:
    text = vm(*user_data("#!/bin/sh", "apt-get install -y qemu-guest-agent"))
    assert codes(vm4(text)) == [("VM405", 20, 15)]


# --- the real corpus --------------------------------------------------------------------------------------------

# Per workload of ../shared/corpus/real: the verdict, where its first reason points, what it says, and the Windows
# signal (VM403 instead of VM401/VM402). Every `absent` was checked by reading the file:
# - the cirros images (KubeVirt's examples, the demo and lab VMs) ship no agent, and their user data is a `#!/bin/sh`
#   echo or "Hi.\n" (no header: cloud-init ignores it);
# - dns.md's vmi-fedora boots kubevirt/fedora-cloud-registry-disk-demo, KubeVirt's old Fedora cloud demo image,
#   with a chpasswd script; whether that image ships the agent cannot be settled from the file (a blog post in
#   this corpus installs it with dnf on the same image family, but Fedora cloud images ship it today), so an
#   image named after a distribution whose images usually ship the agent makes the verdict unknown, not absent.
# The Fedora images with test tooling (vmi-fedora, vmi-multus-ptp, the velero-plugin example) ship the agent;
# fedora-todolist clones OpenShift's Fedora golden image (a quay.io/containerdisks/fedora DataSource); rheltinyvm
# is a RHEL template VM whose image usually ships it: unknown, not absent.
CORPUS_TABLE = [
    ("kubevirt__containerized-data-importer__manifests__example__vm-dv.yaml", "vm-cirros-datavolume", "unknown",
     (23, 16), "it has no cloud-init user data, and vmlint does not know whether the image "
     "https://download.cirros-cloud.net/0.4.0/cirros-0.4.0-x86_64-disk.img ships it", None),
    ("kubevirt__demo__manifests__vm.yaml", "testvm", "absent", (37, 29),
     "the user data in userDataBase64 (no #cloud-config or #! header, so cloud-init ignores it) neither installs "
     "nor enables qemu-guest-agent, and vmlint does not know whether the image kubevirt/cirros-registry-disk-demo "
     "ships it", None),
    ("kubevirt__kubevirt-velero-plugin__example__vm.yaml", "example-vm", "present", (21, 16),
     "the disk comes from quay.io/kubevirt/fedora-with-test-tooling-container-disk, which ships the agent (it "
     "matches '*kubevirt/fedora-with-test-tooling-container-disk*')", None),
    ("kubevirt__kubevirt-velero-plugin__tests__manifests__vmi_with_dv.yaml", "test-vmi-with-dv", "unknown", (30, 13),
     "it has no cloud-init user data, and vmlint does not know whether the DataVolume test-dv ships it", None),
    ("kubevirt__kubevirt.github.io___posts__2020-10-21-Multiple-Network-Attachments-with-bridge-CNI.markdown__block20"
     ".yaml", "vma", "present", (59, 15), "the script runs `dnf -y install qemu-guest-agent`", None),
    ("kubevirt__kubevirt.github.io__assets__2020-02-14-KubeVirt-installing_Microsoft_Windows_from_an_iso__win2k12.yml",
     "win2k12-iso", "unknown", (47, 22),
     "it has no cloud-init user data, and vmlint does not know whether the PVC iso-win2k12 ships it",
     "the Windows driver disk kubevirt/virtio-container-disk"),
    ("kubevirt__kubevirt.github.io__assets__2020-06-22-win_workload_in_k8s__vm_testvm.yaml", "testvm", "unknown",
     (37, 22), "it has no cloud-init user data, and vmlint does not know whether the PVC testvm ships it",
     "kubevirt.io/os: win2k19"),
    ("kubevirt__kubevirt.github.io__labs__manifests__vm.yaml", "testvm", "absent", (37, 29),
     "the user data in userDataBase64 (no #cloud-config or #! header, so cloud-init ignores it) neither installs "
     "nor enables qemu-guest-agent, and vmlint does not know whether the image "
     "quay.io/kubevirt/cirros-container-disk-demo ships it", None),
    ("kubevirt__kubevirt__examples__vm-alpine-datavolume.yaml", "vm-alpine-datavolume", "unknown", (22, 16),
     "it has no cloud-init user data, and vmlint does not know whether the image "
     "registry:5000/kubevirt/alpine-container-disk-demo:devel ships it", None),
    ("kubevirt__kubevirt__examples__vm-alpine-multipvc.yaml", "vm-alpine-multipvc", "unknown", (31, 22),
     "it has no cloud-init user data, and vmlint does not know whether the PVC disk-alpine ships it", None),
    ("kubevirt__kubevirt__examples__vm-cirros-clarge.yaml", "vm-cirros-clarge", "absent", (36, 13),
     "the shell script in userData neither installs nor enables qemu-guest-agent, and vmlint does not know whether "
     "the image registry:5000/kubevirt/cirros-container-disk-demo:devel ships it", None),
    ("kubevirt__kubevirt__examples__vm-cirros-with-sidecar-hook-configmap.yaml",
     "vm-cirros-with-sidecar-hook-configmap", "absent", (37, 13),
     "the shell script in userData neither installs nor enables qemu-guest-agent, and vmlint does not know whether "
     "the image registry:5000/kubevirt/cirros-container-disk-demo:devel ships it", None),
    ("kubevirt__kubevirt__examples__vm-cirros.yaml", "vm-cirros", "absent", (34, 13),
     "the shell script in userData neither installs nor enables qemu-guest-agent, and vmlint does not know whether "
     "the image registry:5000/kubevirt/cirros-container-disk-demo:devel ships it", None),
    ("kubevirt__kubevirt__examples__vm-pool-cirros.yaml", "vm-pool-cirros", "unknown", (34, 22),
     "it has no cloud-init user data, and vmlint does not know whether the image "
     "registry:5000/kubevirt/cirros-container-disk-demo:devel ships it", None),
    ("kubevirt__kubevirt__examples__vm-priorityclass.yaml", "vm-non-preemtible", "absent", (35, 13),
     "the shell script in userData neither installs nor enables qemu-guest-agent, and vmlint does not know whether "
     "the image registry:5000/kubevirt/cirros-container-disk-demo:devel ships it", None),
    ("kubevirt__kubevirt__examples__vm-windows-clarge-windows.yaml", "vm-windows-clarge-windows", "unknown",
     (35, 22), "it has no cloud-init user data, and vmlint does not know whether the PVC disk-windows ships it",
     "preference windows"),
    ("kubevirt__kubevirt__examples__vmi-fedora.yaml", "vmi-fedora", "present", (31, 14),
     "the disk comes from registry:5000/kubevirt/fedora-with-test-tooling-container-disk:devel, which ships the "
     "agent (it matches '*kubevirt/fedora-with-test-tooling-container-disk*')", None),
    ("kubevirt__kubevirt__examples__vmi-migratable.yaml", "vmi-migratable", "unknown", (27, 14),
     "it has no cloud-init user data, and vmlint does not know whether the image "
     "registry:5000/kubevirt/alpine-container-disk-demo:devel ships it", None),
    ("kubevirt__kubevirt__examples__vmi-multus-ptp.yaml", "vmi-multus-ptp", "present", (32, 14),
     "the disk comes from registry:5000/kubevirt/fedora-with-test-tooling-container-disk:devel, which ships the "
     "agent (it matches '*kubevirt/fedora-with-test-tooling-container-disk*')", None),
    ("kubevirt__kubevirt__examples__vmi-nocloud.yaml", "vmi-nocloud", "absent", (31, 9),
     "the shell script in userData neither installs nor enables qemu-guest-agent, and vmlint does not know whether "
     "the image registry:5000/kubevirt/cirros-container-disk-demo:devel ships it", None),
    ("kubevirt__kubevirt__examples__vmi-replicaset-cirros.yaml", "vmi-replicaset-cirros", "unknown", (28, 18),
     "it has no cloud-init user data, and vmlint does not know whether the image "
     "registry:5000/kubevirt/cirros-container-disk-demo:devel ships it", None),
    ("kubevirt__kubevirt__examples__vmi-windows.yaml", "vmi-windows", "unknown", (52, 18),
     "it has no cloud-init user data, and vmlint does not know whether the PVC disk-windows ships it",
     "Hyper-V enlightenments in domain.features.hyperv"),
    ("kubevirt__kubevirt__staging__src__kubevirt.io__api__apitesting__testdata__HEAD__kubevirt.io.v1.VirtualMachine"
     ".yaml", "nameValue", "present", (238, 13), "accessCredentials sshPublicKey propagated through qemuGuestAgent",
     "Hyper-V enlightenments in domain.features.hyperv"),
    ("kubevirt__user-guide__docs__network__dns.md__block00.yaml", "vmi-fedora", "unknown", (26, 14),
     "the shell script in userDataBase64 does not install the agent, but the guest is declared as fedora (the image "
     "kubevirt/fedora-cloud-registry-disk-demo:latest), whose images usually ship it, and vmlint does not know "
     "whether the image kubevirt/fedora-cloud-registry-disk-demo:latest ships it", None),
    ("kubevirt__user-guide__docs__storage__volume_migration.md__block07.yaml", "vm-dv", "unknown", (39, 16),
     "it has no cloud-init user data, and vmlint does not know whether the image "
     "registry:5000/kubevirt/alpine-container-disk-demo:devel ships it", None),
    ("kubevirt__user-guide__docs__user_workloads__liveness_and_readiness_probes.md__block05.yaml",
     "example-agent-readiness-probe", "present", (43, 17), "`packages` names qemu-guest-agent", None),
    ("kubevirt__user-guide__docs__user_workloads__startup_scripts.md__block02.yaml", "ign-demo", "present", (34, 20),
     "the disk comes from quay.io/containerdisks/rhcos:4.9, which ships the agent (it matches "
     "'quay.io/containerdisks/rhcos*')", None),
    ("kubevirt__user-guide__docs__user_workloads__templates.md__block06.yaml", "rheltinyvm", "unknown", (8, 26),
     "the #cloud-config in userData does not install the agent, but the guest is declared as vm.kubevirt.io/os: "
     "rhel8, whose images usually ship it, and vmlint does not know whether the PVC kubevirt/rhel ships it", None),
    ("openshift__oadp-operator__tests__e2e__sample-applications__virtual-machines__cirros-test__cirros-test.yaml",
     "cirros-test", "unknown", (18, 21), "it has no cloud-init user data, and vmlint does not know whether the "
     "DataSource openshift-virtualization-os-images/cirros ships it", None),
    ("openshift__oadp-operator__tests__e2e__sample-applications__virtual-machines__fedora-todolist__fedora-todolist"
     ".yaml", "fedora-todolist", "present", (228, 21),
     "the disk comes from datasource:openshift-virtualization-os-images/fedora, which ships the agent (it matches "
     "'datasource:openshift-virtualization-os-images/fedora')", None),
]


@pytest.fixture(scope="module")
def corpus() -> list[tuple]:
    require_corpus()
    loaded = [load_file(p.name, p.read_bytes()) for p in sorted(CORPUS.iterdir()) if p.suffix in (".yaml", ".yml")]
    index = RunIndex()
    for file in loaded:
        for obj in file.objects:
            index.add_secret(obj)
    rows = []
    for file in loaded:
        for workload in file.workloads:
            found = evidence(workload, CheckContext(file, Settings(), {}, index))
            reason = found.reasons[0]
            rows.append((file.path, workload.name.value, found.verdict, (reason.span.line, reason.span.column),
                         reason.text, found.windows.text if found.windows else None))
    return rows


def test_corpus_verdicts(corpus: list[tuple]) -> None:
    assert corpus == CORPUS_TABLE


def test_corpus_findings() -> None:
    require_corpus()
    files = [InputFile(p.name, p) for p in sorted(CORPUS.iterdir()) if p.suffix in (".yaml", ".yml")]
    result = run(files, select_rules(builtin_catalogue(), ("VM4",)), Settings())
    assert not result.errors
    found = [(f.path, f.code, f.line, f.column) for f in result.findings]
    absent = {row[0] for row in CORPUS_TABLE if row[2] == "absent" and row[5] is None}
    assert {path for path, code, _, _ in found if code == "VM401"} == absent
    assert [row for row in found if row[1] in ("VM403", "VM404")] == [
        ("kubevirt__kubevirt.github.io__assets__2020-02-14-KubeVirt-installing_Microsoft_Windows_from_an_iso__win2k12"
         ".yml", "VM403", 52, 18),
        ("kubevirt__kubevirt.github.io__assets__2020-06-22-win_workload_in_k8s__vm_testvm.yaml", "VM403", 7, 21),
        ("kubevirt__kubevirt__examples__vm-windows-clarge-windows.yaml", "VM403", 14, 11),
        ("kubevirt__kubevirt__examples__vmi-windows.yaml", "VM403", 31, 7),
        ("kubevirt__kubevirt__staging__src__kubevirt.io__api__apitesting__testdata__HEAD__kubevirt.io.v1.VirtualMachine"
         ".yaml", "VM403", 555, 11),
        ("kubevirt__user-guide__docs__user_workloads__liveness_and_readiness_probes.md__block05.yaml", "VM404", 43, 17),
        ("openshift__oadp-operator__tests__e2e__sample-applications__virtual-machines__fedora-todolist__fedora-todolist"
         ".yaml", "VM404", 285, 19),
        ("openshift__oadp-operator__tests__e2e__sample-applications__virtual-machines__fedora-todolist__fedora-todolist"
         ".yaml", "VM404", 286, 19),
        ("openshift__oadp-operator__tests__e2e__sample-applications__virtual-machines__fedora-todolist__fedora-todolist"
         ".yaml", "VM404", 287, 19),
    ]
    unknown = {row[0] for row in CORPUS_TABLE if row[2] == "unknown" and row[5] is None}
    assert {path for path, code, _, _ in found if code == "VM402"} == unknown
    assert not [row for row in found if row[1] == "VM405"]


def test_kubevirt_version_is_read_from_settings() -> None:
    settings = replace(Settings(), kubevirt=KubeVirt(parse_version("1.4.0")))
    text = vm(*user_data(*PASSWORD_ONLY))
    [finding] = lint_files(("vm.yaml", text), settings=settings)
    assert "(KubeVirt 1.4.0 injects its virt-freezer hooks)" in finding.message


def test_a_vm_without_any_volume_is_a_fragment_not_a_guest() -> None:
    fragment = "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: web\nspec:\n  template: {}\n"
    assert agent_evidence(fragment).reasons[0].source == "no-disk"
    assert vm4(fragment) == []
    assert vm4("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: [a]\nspec: 3\n") == []


def test_hostile_user_data_stays_bounded() -> None:
    laughs = ["#cloud-config", "a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        laughs.append(f"{chr(97 + i)}: &{chr(97 + i)} [{', '.join(['*' + chr(96 + i)] * 10)}]")
    found = agent_evidence(vm(*user_data(*laughs), disk=PVC))
    assert (found.verdict, found.reasons[0].text) == ("unknown", "the #cloud-config is over vmlint's alias expansion limit")
    deep = agent_evidence(vm(f"userDataBase64: {b64('#cloud-config', 'x: ' + '[' * 5000 + ']' * 5000)}", disk=PVC))
    assert (deep.verdict, deep.reasons[0].text) == ("unknown", "the #cloud-config is over vmlint's nesting depth limit")
    two_shells = "sh -c \"bash -c 'systemctl enable qemu-guest-agent'\""
    assert agent_evidence(vm(*user_data("#cloud-config", "runcmd:", f"  - {two_shells}"))).enabled
    command = "systemctl enable qemu-guest-agent"
    for depth in range(1, 6):  # `sh -c` inside `sh -c` is read three shells deep, no deeper
        command = f"sh -c {shlex.quote(command)}"
        text = vm(*user_data("#cloud-config", "runcmd:", f"  - {json.dumps(command)}"))
        assert agent_evidence(text).enabled == (depth <= 3), command


def test_same_user_data_is_parsed_once_and_read_in_place() -> None:
    """Two VMs in two files with the same #cloud-config: composed once (lint.guest.parsed), and each finding
    still points into its own file."""
    from lint.guest import parsed

    lines = ("#cloud-config", "packages: qemu-guest-agent", "runcmd:", "  - systemctl enable --now qemu-guest-agent")
    first = vm(*user_data(*lines))
    second = vm(*user_data(*lines), metadata="  labels:\n    app: web\n    tier: db\n", name="db")
    parsed._composed.cache_clear()
    parsed._split_memo.cache_clear()
    findings = lint_files(("a.yaml", first), ("b.yaml", second))
    assert parsed._composed.cache_info().misses == 1 and parsed._composed.cache_info().hits >= 1
    assert parsed._split_memo.cache_info().misses == 1 and parsed._split_memo.cache_info().hits >= 1
    got = sorted((f.path, f.code, f.line, f.column) for f in findings if f.code == "VM404")
    assert got == [("a.yaml", "VM404", *pos(first, "qemu-guest-agent")),
                   ("b.yaml", "VM404", *pos(second, "qemu-guest-agent"))]
