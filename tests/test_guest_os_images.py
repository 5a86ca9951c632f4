"""`guest-os-images` in the configuration: the user's (image glob, OS family) pairs, a declared clue to the
guest's OS (lint.guest.guestos) that VM401-VM407 read; validated by the schema, part of the cache's run key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from lint.core.catalogue import builtin_catalogue
from lint.guest.guestos import FAMILIES
from lint.run.discovery import InputFile
from lint.run.engine import run, select_rules
from lint.target.settings import Settings

GOLDEN = "registry.example.com/golden/base:3"
CONFIG = 'guest-os-images:\n  - image: "registry.example.com/golden/*"\n    os: {os}\n'


def vm(*cloud_init: str, extra: str = "") -> str:
    text = ("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: golden\n  namespace: prod\nspec:\n"
            "  runStrategy: Always\n  template:\n    spec:\n      domain:\n        devices: {}\n      volumes:\n"
            f"        - name: rootdisk\n          containerDisk:\n            image: {GOLDEN}\n{extra}")
    if cloud_init:
        text += "        - name: cloudinit\n          cloudInitNoCloud:\n            userData: |\n"
        text += "".join(f"              {line}\n" for line in cloud_init)
    return text


def lint(text: str, pairs: tuple[tuple[str, str], ...] = ()) -> list[tuple[str, int, int]]:
    rules = select_rules(builtin_catalogue(), ("VM4",))
    result = run([InputFile("vm.yaml", None, text.encode())], rules, Settings(guest_os_images=pairs))
    assert not result.errors
    return [(f.code, f.line, f.column) for f in result.findings]


def test_the_schema_lists_every_family() -> None:
    schema = json.loads((Path(__file__).parents[1] / "lint" / "schemas" / "config.schema.json").read_text())
    assert schema["properties"]["guest-os-images"]["items"]["properties"]["os"]["enum"] == list(FAMILIES)


def test_windows_image_turns_vm402_into_vm403(tmp_path: Path) -> None:
    (tmp_path / "vm.yaml").write_text(vm())
    without = run_cli("check", "--no-cache", "-f", "json", "vm.yaml", cwd=tmp_path)
    assert [(f["code"], f["line"], f["column"]) for f in json.loads(without.stdout)["findings"]] == [("VM402", 15, 20)]
    (tmp_path / ".vmlint.yaml").write_text(CONFIG.format(os="windows"))
    done = run_cli("check", "--no-cache", "-f", "json", "vm.yaml", cwd=tmp_path)
    assert done.exit_code == 0, done.stderr
    [finding] = json.loads(done.stdout)["findings"]
    assert (finding["code"], finding["line"], finding["column"], finding["end_column"]) == ("VM403", 15, 20, 54)
    assert finding["message"].startswith(
        f"VirtualMachine golden runs Windows (the image {GOLDEN}, listed as windows in guest-os-images) and is "
        "frozen before each backup (KubeVirt ")


def test_an_rhel_image_brings_vm406() -> None:
    data = "        - name: data\n          persistentVolumeClaim:\n            claimName: db-data\n"
    text = vm("#cloud-config", "packages: [qemu-guest-agent]", "runcmd: [[systemctl, enable, --now, qemu-guest-agent]]",
              "fs_setup:", "  - device: /dev/vdb",
              "    filesystem: xfs", "    label: data", "mounts:", "  - [LABEL=data, /data, xfs, defaults]", extra=data)
    assert lint(text) == []
    assert lint(text, (("registry.example.com/golden/*", "rhel"),)) == [("VM406", 30, 19)]
    assert lint(text, (("registry.example.com/other/*", "rhel"),)) == []
    assert lint(text, (("registry.example.com/golden/*", "debian"),)) == []


def test_cache_key_changes_with_the_pairs(tmp_path: Path) -> None:
    (tmp_path / "vm.yaml").write_text(vm())
    cache = tmp_path / "cache"
    first = run_cli("check", "--cache-dir", cache, "-f", "json", "vm.yaml", cwd=tmp_path)
    (tmp_path / ".vmlint.yaml").write_text(CONFIG.format(os="windows"))
    second = run_cli("check", "--cache-dir", cache, "-f", "json", "vm.yaml", cwd=tmp_path)
    codes = [[f["code"] for f in json.loads(done.stdout)["findings"]] for done in (first, second)]
    assert codes == [["VM402"], ["VM403"]]


@pytest.mark.parametrize(("text", "error"), [
    (CONFIG.format(os="windoze"), ".vmlint.yaml:3:9: guest-os-images.0.os: 'windoze' is not one of: rhel, fedora, "
     "rpm, sle-micro, opensuse, suse, sles, debian, windows, cirros, alpine"),
    ('guest-os-images:\n  - image: "x"\n', ".vmlint.yaml:2:5: guest-os-images.0: 'os' is a required property"),
    ('guest-os-images:\n  - {image: "x", os: rhel, distro: rocky}\n',
     ".vmlint.yaml:2:28: guest-os-images.0: Additional properties are not allowed ('distro' was unexpected)"),
    ('guest-os-images: ["registry.example.com/*"]\n', '.vmlint.yaml:1:19: guest-os-images.0: expected object, not '
     '"registry.example.com/*"'),
    ('guest-os-images:\n  - image: ""\n    os: rhel\n', ".vmlint.yaml:2:12: guest-os-images.0.image: '' should be "
     "non-empty"),
])
def test_invalid_entries_are_usage_errors(tmp_path: Path, text: str, error: str) -> None:
    (tmp_path / ".vmlint.yaml").write_text(text)
    (tmp_path / "vm.yaml").write_text(vm())
    done = run_cli("check", "vm.yaml", cwd=tmp_path)
    assert (done.exit_code, done.stdout) == (2, "")
    assert done.stderr.startswith("vmlint: error: ") and done.stderr.count("\n") == 1
    assert done.stderr.rstrip().endswith(error)
