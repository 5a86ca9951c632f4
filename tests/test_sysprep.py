"""VM403's reading of a sysprep volume's answer file (lint.guest.sysprep): a command that disables VSS, an answer
file that installs no QEMU-GA; ConfigMaps and Secrets of the same file or of another; hostile XML and odd objects."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from lint.core.catalogue import builtin_catalogue
from lint.core.findings import Finding
from lint.kubevirt.index import ConfigMapData, RunIndex
from lint.run.cache import Cache, run_key
from lint.run.discovery import InputFile
from lint.run.engine import RunOptions, run, select_rules
from lint.run.prepass import _are_records
from lint.target.settings import Settings

RULE = builtin_catalogue().get("VM403")
FROZEN = "KubeVirt 1.9.0 injects its virt-freezer hooks"
VSS_OFF = "sc config VSS start= disabled"
TOOLS = r"E:\virtio-win-guest-tools.exe /install /quiet /norestart"


def answer(*commands: str, extra: str = "") -> str:
    """An answer file whose FirstLogonCommands are `commands`."""
    body = "".join(f"        <SynchronousCommand>\n          <Order>{i}</Order>\n"
                   f"          <CommandLine>{command}</CommandLine>\n        </SynchronousCommand>\n"
                   for i, command in enumerate(commands, start=1))
    return ('<?xml version="1.0" encoding="utf-8"?>\n<unattend xmlns="urn:schemas-microsoft-com:unattend">\n'
            f'{extra}  <settings pass="oobeSystem">\n    <component name="Microsoft-Windows-Shell-Setup">\n'
            f"      <FirstLogonCommands>\n{body}      </FirstLogonCommands>\n    </component>\n  </settings>\n"
            "</unattend>\n")


def block(text: str, indent: int = 4) -> str:
    return "|\n" + "".join(" " * indent + line + "\n" if line else "\n" for line in text.splitlines())


def configmap(text: str, name: str = "win-unattend", key: str = "autounattend.xml") -> str:
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: prod\ndata:\n"
            f"  {key}: {block(text)}")


def secret(text: str, name: str = "win-unattend", encoded: bool = False) -> str:
    if encoded:
        return (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: prod\ndata:\n"
                f"  unattend.xml: {base64.b64encode(text.encode()).decode()}\n")
    return (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: prod\nstringData:\n"
            f"  unattend.xml: {block(text)}")


def vm(source: str = "configMap", name: str = "win-unattend", metadata: str = "") -> str:
    return ("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: winsrv\n  namespace: prod\n"
            f"{metadata}spec:\n  runStrategy: Always\n  template:\n    spec:\n      domain:\n        devices: {{}}\n"
            "      volumes:\n        - name: rootdisk\n          persistentVolumeClaim:\n"
            f"            claimName: winsrv-rootdisk\n        - name: answer\n          sysprep:\n"
            f"            {source}:\n              name: {name}\n")


def lint(*files: tuple[str, str], settings: Settings | None = None) -> list[Finding]:
    rules = select_rules(builtin_catalogue(), ("VM4",))
    result = run([InputFile(name, None, text.encode()) for name, text in files], rules, settings or Settings())
    assert not result.errors
    return [f for f in result.findings if f.code == "VM403"]


def at(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    return text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1


def spans(findings: list[Finding]) -> list[tuple[str, int, int, int, int]]:
    return [(f.path, f.line, f.column, f.end_line, f.end_column) for f in findings]


def extra(findings: list[Finding]) -> list[Finding]:
    """The answer file's findings, without VM403's own (at the Windows clue, the sysprep key)."""
    return [f for f in findings if "runs Windows (" not in f.message]


# --- the rule's own example, exactly -------------------------------------------------------------------------------


def test_the_bad_example_in_full() -> None:
    assert RULE is not None
    text = RULE.examples_bad[1]
    findings = lint(("bad.yaml", text))
    assert [(f.line, f.column, str(f.severity)) for f in findings] == [(8, 5, "info"), (15, 28, "info"),
                                                                      (38, 11, "info")]
    missing, vss, own = findings
    assert (vss.end_line, vss.end_column) == (15, 28 + len(VSS_OFF))
    assert vss.message == (
        f"the ConfigMap prod/winsrv-unattend (key autounattend.xml) runs `{VSS_OFF}` in FirstLogonCommands, which "
        "disables the Volume Shadow Copy service (VSS): VirtualMachine winsrv is frozen before each backup "
        f"({FROZEN}), and on Windows QEMU-GA freezes through VSS (qemu qga/vss-win32.c), so with VSS disabled the "
        "freeze cannot succeed and virt-freezer asks to \"make sure guest agent and VSS are running\" (kubevirt "
        "cmd/virt-freezer); vmlint infers this from the command")
    assert vss.hint == "remove the command that disables the VSS service: the freeze needs it running"
    assert (missing.end_line, missing.end_column) == (8, 5 + len('<?xml version="1.0" encoding="utf-8"?>'))
    assert missing.message == (
        "the ConfigMap prod/winsrv-unattend (key autounattend.xml) installs no QEMU guest agent: its one command "
        "does not install the virtio-win guest tools (virtio-win-guest-tools.exe) or a qemu-ga MSI, so unless the "
        f"image already has it, VirtualMachine winsrv, which is frozen before each backup ({FROZEN}), has no guest "
        "agent: virt-freezer logs \"No guest agent, exiting\" and exits 0, so Velero reports the hook as succeeded "
        "over a crash-consistent backup (Windows gets QEMU-GA from virtio-win or VMDP, not cloud-init; kubevirt "
        "cmd/virt-freezer)")
    assert own.message.startswith("VirtualMachine winsrv runs Windows (a sysprep volume) and is frozen")


def test_the_good_example_installs_the_tools() -> None:
    assert RULE is not None
    good = RULE.examples_good[1]
    assert lint(("good.yaml", good)) == []
    frozen = good.replace('  annotations:\n    kubevirt.io/skip-backup-hooks: "true"\n', "")
    assert [f.line for f in lint(("good.yaml", frozen))] == [38]  # VM403's own finding only


# --- where the answer file is ---------------------------------------------------------------------------------------


def test_configmap_in_another_file_points_at_the_volume_name() -> None:
    text = vm()
    findings = extra(lint(("vm.yaml", text), ("cm.yaml", configmap(answer(VSS_OFF)))))
    line, column = at(text, "name: win-unattend")
    assert spans(findings) == [("vm.yaml", line, column + 6, line, column + 18)] * 2
    assert [f.message.split(":")[0] for f in findings] == [
        f"the ConfigMap prod/win-unattend (key autounattend.xml) runs `{VSS_OFF}` in FirstLogonCommands, which "
        "disables the Volume Shadow Copy service (VSS)",
        "the ConfigMap prod/win-unattend (key autounattend.xml) installs no QEMU guest agent"]


def test_an_answer_file_outside_the_run_or_in_another_namespace_adds_nothing() -> None:
    assert extra(lint(("vm.yaml", vm()))) == []
    other = configmap(answer(VSS_OFF)).replace("namespace: prod", "namespace: dev")
    assert extra(lint(("vm.yaml", vm()), ("cm.yaml", other))) == []
    assert extra(lint(("vm.yaml", vm(name="other")), ("cm.yaml", configmap(answer(VSS_OFF))))) == []


def test_a_configmap_without_namespace_counts_in_the_runs_namespace() -> None:
    bare = configmap(answer(VSS_OFF)).replace("  namespace: prod\n", "")
    assert len(extra(lint(("vm.yaml", vm()), ("cm.yaml", bare), settings=Settings(namespace="prod")))) == 2
    assert extra(lint(("vm.yaml", vm()), ("cm.yaml", bare))) == []  # applied elsewhere: as for user-data Secrets


def test_secret_commands_are_described_not_quoted() -> None:
    text = secret(answer(VSS_OFF)) + "---\n" + vm("secret")
    findings = extra(lint(("all.yaml", text)))
    assert [(f.line, f.column) for f in findings] == [(8, 5), at(text, VSS_OFF)]
    assert findings[1].message.startswith("the Secret prod/win-unattend (key unattend.xml) runs a command in "
                                          "FirstLogonCommands, which disables the Volume Shadow Copy service (VSS)")
    for finding in findings:
        assert "sc config" not in finding.message and "sc config" not in (finding.source_line or "")
    encoded = secret(answer(VSS_OFF), encoded=True)
    text = encoded + "---\n" + vm("secret")
    line, column = at(text, encoded.split("unattend.xml: ")[1].strip())
    assert [(f.line, f.column) for f in extra(lint(("all.yaml", text)))] == [(line, column)] * 2
    across = extra(lint(("vm.yaml", vm("secret")), ("secret.yaml", secret(answer(VSS_OFF)))))
    assert [f.message.split(" runs ")[0] for f in across][:1] == ["the Secret prod/win-unattend (key unattend.xml)"]
    assert all("sc config" not in f.message for f in across)


def test_binary_data_and_the_unattend_key() -> None:
    encoded = base64.b64encode(answer(VSS_OFF).encode()).decode()
    text = (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: win-unattend\n  namespace: prod\nbinaryData:\n"
            f"  Unattend.xml: {encoded}\n")
    assert len(extra(lint(("vm.yaml", vm()), ("cm.yaml", text)))) == 2
    assert len(extra(lint(("all.yaml", text + "---\n" + vm())))) == 2
    other_key = configmap(answer(VSS_OFF), key="setup.xml")
    assert extra(lint(("all.yaml", other_key + "---\n" + vm()))) == []


# --- what the answer file says -------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [
    "sc.exe config vss start= disabled",
    'sc config "VSS" start= disabled',
    "powershell -Command Set-Service -Name VSS -StartupType Disabled",
    "powershell -Command &quot;Set-Service VSS -StartupType Disabled&quot;",
    "powershell Stop-Service VSS; Set-Service -StartupType Disabled -Name 'VSS'",
    "<![CDATA[cmd /c sc config VSS start= disabled && echo done]]>",
])
def test_forms_that_disable_vss(command: str) -> None:
    findings = extra(lint(("all.yaml", configmap(answer(command, TOOLS)) + "---\n" + vm())))
    assert [f.message.split(" in FirstLogonCommands")[0].split(" runs ")[0] for f in findings] == [
        "the ConfigMap prod/win-unattend (key autounattend.xml)"]


@pytest.mark.parametrize("command", [
    "sc config VSS start= demand",
    "sc config VSSvc start= disabled",
    "Set-Service -Name VSS -StartupType Manual",
    "Set-Service -Name swprv -StartupType Disabled",
    r"reg add HKLM\SYSTEM\CurrentControlSet\Services\VSS /v Start /t REG_DWORD /d 4 /f",  # not in the facts
])
def test_forms_that_do_not(command: str) -> None:
    assert extra(lint(("all.yaml", configmap(answer(command, TOOLS)) + "---\n" + vm()))) == []


def test_a_commented_out_command_is_not_run() -> None:
    text = configmap(answer(TOOLS, extra=f"  <!-- <SynchronousCommand><CommandLine>{VSS_OFF}</CommandLine>"
                                         "</SynchronousCommand> -->\n")) + "---\n" + vm()
    assert extra(lint(("all.yaml", text))) == []


@pytest.mark.parametrize(("commands", "says"), [
    ((), "it runs no command, so nothing installs the virtio-win guest tools"),
    (("cmd /c echo one", "cmd /c echo two"), "none of its 2 commands installs the virtio-win guest tools"),
])
def test_no_agent_wording(commands: tuple[str, ...], says: str) -> None:
    [finding] = extra(lint(("all.yaml", configmap(answer(*commands)) + "---\n" + vm())))
    assert finding.message.startswith(
        f"the ConfigMap prod/win-unattend (key autounattend.xml) installs no QEMU guest agent: {says}")


@pytest.mark.parametrize("command", [
    r"msiexec /i E:\guest-agent\qemu-ga-x86_64.msi /qn",
    r"msiexec /i E:\virtio-win-gt-x64.msi /qn",
    r"powershell -File E:\setup.ps1",  # a script vmlint cannot see
    r"cmd /c E:\install.cmd",
    "powershell Invoke-WebRequest https://example.com/x.exe -OutFile x.exe",
])
def test_no_claim_when_the_agent_may_be_installed(command: str) -> None:
    assert extra(lint(("all.yaml", configmap(answer(command)) + "---\n" + vm()))) == []


def test_a_mention_anywhere_or_a_second_answer_file_that_installs() -> None:
    driver = ('  <settings pass="windowsPE"><component name="Microsoft-Windows-PnpCustomizationsWinPE"><DriverPaths>'
              r"<PathAndCredentials><Path>E:\virtio-win\viostor</Path></PathAndCredentials></DriverPaths></component>"
              "</settings>\n")
    assert extra(lint(("all.yaml", configmap(answer(extra=driver)) + "---\n" + vm()))) == []
    comment = "  <!-- install virtio-win later -->\n"  # a comment installs nothing
    assert len(extra(lint(("all.yaml", configmap(answer(extra=comment)) + "---\n" + vm())))) == 1
    both = configmap(answer()) + "  unattend.xml: " + block(answer(TOOLS))[:-1] + "\n---\n" + vm()
    assert extra(lint(("all.yaml", both))) == []


def test_only_frozen_windows_guests() -> None:
    skip = '  annotations:\n    kubevirt.io/skip-backup-hooks: "true"\n'
    assert lint(("all.yaml", configmap(answer(VSS_OFF)) + "---\n" + vm(metadata=skip))) == []
    linux = "  labels:\n    kubevirt.io/os: rhel9\n"
    assert lint(("all.yaml", configmap(answer(VSS_OFF)) + "---\n" + vm(metadata=linux))) == []


# --- hostile input ----------------------------------------------------------------------------------------------------

LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
          ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
          ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n]>\n'
          f"<unattend><SynchronousCommand><CommandLine>{VSS_OFF}&lol3;</CommandLine></SynchronousCommand></unattend>\n")
EXTERNAL = ('<?xml version="1.0"?>\n<!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            f"<unattend><SynchronousCommand><CommandLine>&x;{VSS_OFF}</CommandLine></SynchronousCommand></unattend>\n")


@pytest.mark.parametrize("text", [
    LAUGHS,
    EXTERNAL,
    answer(VSS_OFF).replace("</unattend>", ""),  # not well-formed
    answer(VSS_OFF).replace("<Order>1</Order>", "<Order>1</Ordr>"),
    "not xml at all\n",
    "",
    answer(VSS_OFF, extra="  <!--" + "x" * (256 * 1024) + "-->\n"),  # over the size vmlint reads
    '<?xml version="1.0" encoding="utf-16"?>\n<unattend/>\n',
    "<a>" * 5000 + "</a>" * 5000,  # not an <unattend> document
], ids=["laughs", "external", "unclosed", "mismatched", "text", "empty", "large", "utf-16", "deep"])
def test_answer_files_vmlint_does_not_read(text: str) -> None:
    assert extra(lint(("all.yaml", configmap(text) + "---\n" + vm()))) == []
    assert extra(lint(("vm.yaml", vm()), ("cm.yaml", configmap(text)))) == []


@pytest.mark.parametrize("other", [
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: win-unattend\n  namespace: prod\ndata: null\n# unattend\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: win-unattend\n  namespace: prod\ndata: [autounattend.xml]\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: win-unattend\n  namespace: prod\n"
    "data:\n  autounattend.xml: {a: 1}\nbinaryData:\n  unattend.xml: '%%%'\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: [win-unattend]\ndata:\n  autounattend.xml: x\n",
    "- kind: ConfigMap\n  unattend: 1\n",
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: win-unattend\n  namespace: prod\nstringData: 5\n",
])
@pytest.mark.parametrize("source", ["configMap", "secret"])
def test_odd_objects_never_break_the_run(other: str, source: str) -> None:
    assert extra(lint(("all.yaml", other + "---\n" + vm(source))), ) == []
    assert extra(lint(("vm.yaml", vm(source)), ("other.yaml", other))) == []


@pytest.mark.parametrize("volume", ["sysprep: null", "sysprep: {configMap: x}", "sysprep: {secret: {name: null}}",
                                    "sysprep: {configMap: {name: [a]}}", "sysprep: []"])
def test_odd_sysprep_volumes(volume: str) -> None:
    text = vm().replace("sysprep:\n            configMap:\n              name: win-unattend", volume)
    assert extra(lint(("all.yaml", configmap(answer(VSS_OFF)) + "---\n" + text))) == []


# --- the pre-pass, the facts and the cache ----------------------------------------------------------------------------


def test_only_configmaps_that_mention_an_answer_file_are_indexed(tmp_path: Path) -> None:
    from lint.run.prepass import secrets_index
    from lint.text.compose import Limits

    plain = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n"
    files = [InputFile("cm.yaml", None, configmap(answer(VSS_OFF)).encode()), InputFile("plain.yaml", None,
                                                                                        plain.encode())]
    index = secrets_index(files, Limits())
    assert list(index.configmaps) == [("prod", "win-unattend")]
    assert set(index.configmaps[("prod", "win-unattend")].values) == {"autounattend.xml"}


def test_remembered_configmap_records_are_shape_checked() -> None:
    assert _are_records([["ConfigMap", "prod", "win", {"autounattend.xml": "<unattend/>"}]])
    assert not _are_records([["ConfigMap", "prod", "win", {"autounattend.xml": 5}]])
    assert not _are_records([["ConfigMap", "prod", "win", {"a": "b"}, []]])
    assert not _are_records([["ConfigMap", 5, "win", {}]])


def test_cache_run_key_depends_on_answer_files(tmp_path: Path) -> None:
    rules = select_rules(builtin_catalogue(), ("VM4",))
    index = RunIndex()
    before = run_key(rules, Settings(), RunOptions(), index)
    index.add_configmap(ConfigMapData("prod", "win", {"autounattend.xml": "<unattend/>"}))
    assert run_key(rules, Settings(), RunOptions(), index) != before
    cache = tmp_path / "cache"
    cm = tmp_path / "cm.yaml"
    (tmp_path / "vm.yaml").write_text(vm())
    cm.write_text(configmap(answer(TOOLS)))
    files = [InputFile("vm.yaml", tmp_path / "vm.yaml"), InputFile("cm.yaml", cm)]
    first = run(files, rules, Settings(), cache_dir=cache).findings
    cm.write_text(configmap(answer(VSS_OFF, TOOLS)))
    second = run(files, rules, Settings(), cache_dir=cache).findings
    assert (len(first), len(second)) == (1, 2)
    assert json.loads(json.dumps(Cache.open(cache, "x").entries)) == {}
