"""The one answer to "which OS runs in this guest" (lint.guest.guestos): every source, its strength, its position."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CORPUS, require_corpus
from hypothesis import given, settings
from hypothesis import strategies as st

from lint.guest.guestos import (
    DECLARED,
    HINT,
    REPORTED,
    WEAK,
    GuestOS,
    ReportedOS,
    _json_image_ids,
    _yaml_image_ids,
    claimed_image_ids,
    guest_os,
    name_os,
    os_answer,
)
from lint.kube.loading import load_file
from lint.run.discovery import InputFile
from lint.run.prepass import secrets_index
from lint.text.compose import Limits


def answer(text: str, *others: str, configured: tuple[tuple[str, str], ...] = ()) -> GuestOS:
    """The OS answer for the first workload of `text`, with `others` as further files of the run."""
    inputs = [InputFile("vm.yaml", None, text.encode())] + [
        InputFile(f"other{i}.yaml", None, other.encode()) for i, other in enumerate(others)]
    index = secrets_index(inputs, Limits())
    loaded = load_file("vm.yaml", text.encode())
    return os_answer(loaded.workloads[0], loaded, index, None, configured)


def where(found: GuestOS) -> list[tuple[str, str, str, tuple[int, int]]]:
    return [(clue.os.family, clue.os.title, clue.source, (clue.span.line, clue.span.column)) for clue in found.clues]


def at(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of `needle` in `text`."""
    start = text.index(needle)
    return text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1


def vm(volumes: str, metadata: str = "", template: str = "", spec: str = "") -> str:
    return ("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: web\n  namespace: prod\n"
            + metadata + "spec:\n" + spec + "  template:\n"
            + (f"    metadata:\n{template}" if template else "")
            + "    spec:\n      domain:\n        devices: {}\n      volumes:\n" + volumes)


def container_disk(image: str) -> str:
    return f"        - name: rootdisk\n          containerDisk:\n            image: {image}\n"


@pytest.mark.parametrize(("name", "family", "title"), [
    ("quay.io/containerdisks/centos-stream:9", "rhel", "CentOS Stream 9"),
    ("registry.redhat.io/rhel9/rhel-guest-image", "rhel", "RHEL"),
    ("quay.io/containerdisks/fedora:40", "fedora", "Fedora 40"),
    ("docker.io/tedezed/ubuntu-container-disk:22.04", "debian", "Ubuntu 22.04"),
    ("SL-Micro.x86_64-6.1-Base-qcow-GM.qcow2", "sle-micro", "SLE Micro 6.1"),
    ("SLE-Micro.x86_64-5.5.0-Default-qcow-GM.qcow2", "sle-micro", "SLE Micro 5.5"),
    ("openSUSE-MicroOS.x86_64-OpenStack-Cloud.qcow2", "opensuse", "openSUSE MicroOS"),
    ("openSUSE-Tumbleweed-Minimal-VM.x86_64-Cloud-Snapshot20250301.qcow2", "opensuse", "openSUSE Tumbleweed 20250301"),
    ("openSUSE-Leap-16.0-Minimal-VM.x86_64-Cloud.qcow2", "opensuse", "openSUSE Leap 16.0"),
    ("Rocky-9-GenericCloud-Base.latest.x86_64.qcow2", "rhel", "Rocky Linux 9"),
    ("AlmaLinux-9-GenericCloud-latest.x86_64.qcow2", "rhel", "AlmaLinux 9"),
    ("OL9U4_x86_64-kvm-b234.qcow2", "rhel", "Oracle Linux 9"),
    ("debian-12-genericcloud-amd64.qcow2", "debian", "Debian 12"),
    ("win2k19", "windows", "Windows"),
    ("cirros-0.6.2-x86_64-disk.img", "cirros", "CirrOS 0.6"),
    ("golden-image", None, None),
    ("winhd", None, None),  # a name that starts with "win" is not Windows
])
def test_names(name: str, family: str | None, title: str | None) -> None:
    named = name_os(name.rsplit("/", 1)[-1])
    assert ((named.family, named.title) if named else (None, None)) == (family, title)


def test_every_source_in_strength_order() -> None:
    text = vm(container_disk("quay.io/containerdisks/centos-stream:9")
              + "        - name: data\n          persistentVolumeClaim:\n            claimName: ubuntu-data\n",
              metadata="  labels:\n    harvesterhci.io/os: fedora\n",
              spec="  preference:\n    name: rhel.9\n")
    found = answer(text)
    assert found.family == "fedora"  # a label is declared, and found first among equals
    assert where(found) == [
        ("fedora", "Fedora", "label", at(text, "fedora\n")),
        ("rhel", "RHEL 9", "preference", at(text, "rhel.9")),
        ("rhel", "CentOS Stream 9", "image", at(text, "quay.io")),
        ("debian", "Ubuntu", "pvc", at(text, "ubuntu-data")),
    ]
    assert [clue.strength for clue in found.clues] == [DECLARED, DECLARED, DECLARED, WEAK]
    assert [clue.os.family for clue in found.disagreeing()] == ["rhel", "rhel", "debian"]
    assert found.describe() == "Fedora (harvesterhci.io/os: fedora)"


def test_data_volume_url_and_template_label() -> None:
    text = vm("        - name: rootdisk\n          dataVolume:\n            name: root\n",
              template='      labels:\n        os.template.kubevirt.io/sles15: "true"\n') + (
        "---\napiVersion: cdi.kubevirt.io/v1beta1\nkind: DataVolume\nmetadata:\n  name: root\n  namespace: prod\n"
        "spec:\n  source:\n    http:\n      url: https://example.com/img/SL-Micro.x86_64-6.1-Base-qcow-GM.qcow2\n")
    found = answer(text)
    assert where(found) == [("sles", "SUSE Linux Enterprise Server 15", "label", at(text, "os.template")),
                            ("sle-micro", "SLE Micro 6.1", "image", at(text, "https://"))]


HARVESTER_CLAIMS = ('  annotations:\n    harvesterhci.io/volumeClaimTemplates: \'[{"metadata":{"name":"web-disk-0",'
                    '"annotations":{"harvesterhci.io/imageId":"default/image-x7k2p"}},"spec":{"accessModes":'
                    '["ReadWriteMany"]}}]\'\n')
HARVESTER_IMAGE = ("apiVersion: harvesterhci.io/v1beta1\nkind: VirtualMachineImage\nmetadata:\n  name: image-x7k2p\n"
                   "  namespace: default\nspec:\n  displayName: SL-Micro.x86_64-6.1-Base-qcow-GM.qcow2\n"
                   "  sourceType: download\n  url: https://example.com/SL-Micro.x86_64-6.1-Base-qcow-GM.qcow2\n")
PVC_ROOT = "        - name: rootdisk\n          persistentVolumeClaim:\n            claimName: web-disk-0\n"


def test_harvester_image_in_another_file() -> None:
    text = vm(PVC_ROOT, metadata=HARVESTER_CLAIMS)
    found = answer(text, HARVESTER_IMAGE)
    assert where(found) == [("sle-micro", "SLE Micro 6.1", "harvester-image", at(text, "'[{"))]
    assert found.clues[0].text == ("the Harvester image default/image-x7k2p (displayName "
                                   "SL-Micro.x86_64-6.1-Base-qcow-GM.qcow2)")
    assert found.strength == DECLARED


def test_harvester_image_in_the_same_file_and_without_the_image() -> None:
    text = vm(PVC_ROOT, metadata=HARVESTER_CLAIMS)
    assert answer(text + "---\n" + HARVESTER_IMAGE).family == "sle-micro"
    assert answer(text).family is None  # image-x7k2p names nothing
    named = vm(PVC_ROOT, metadata=HARVESTER_CLAIMS.replace("image-x7k2p", "rocky-9"))
    [clue] = answer(named).clues
    assert (clue.os.title, clue.source, clue.strength, clue.text) == (
        "Rocky Linux 9", "harvester-image", WEAK, "the Harvester image id default/rocky-9")


def test_broken_harvester_annotation_is_no_clue() -> None:
    for value in ("'[{'", "'not json'", "'[1, 2, {\"metadata\": 5}]'", "'{}'"):
        text = vm(PVC_ROOT, metadata=f"  annotations:\n    harvesterhci.io/volumeClaimTemplates: {value}\n")
        assert answer(text).clues == ()


def test_windows_hints_and_driver_disk() -> None:
    text = vm("        - name: rootdisk\n          persistentVolumeClaim:\n            claimName: win-root\n"
              "        - name: drivers\n          containerDisk:\n            image: quay.io/kubevirt/virtio-container-disk\n"
              "        - name: answer\n          sysprep:\n            configMap:\n              name: unattend\n")
    found = answer(text)
    assert where(found) == [("windows", "Windows", "sysprep", at(text, "sysprep")),
                            ("windows", "Windows", "driver-disk", at(text, "quay.io"))]
    assert found.strength == HINT


def test_user_data_package_managers_are_weak() -> None:
    text = vm("        - name: rootdisk\n          persistentVolumeClaim:\n            claimName: root\n"
              "        - name: cloudinit\n          cloudInitNoCloud:\n            userData: |\n"
              "              #cloud-config\n              zypper:\n                repos: []\n"
              "              runcmd:\n                - dnf -y install tmux\n")
    found = answer(text)
    assert where(found) == [("suse", "SUSE or openSUSE", "user-data", at(text, "zypper")),
                            ("rpm", "a dnf/yum distribution (RHEL family or Fedora)", "user-data", at(text, "dnf"))]


def test_configured_images() -> None:
    text = vm(container_disk("registry.example.com/golden/base:3"))
    found = answer(text, configured=(("registry.example.com/golden/*", "rhel"),))
    assert (found.family, found.clues[0].text) == (
        "rhel", "the image registry.example.com/golden/base:3, listed as rhel in guest-os-images")


def test_reported_guest_os_info_is_strongest() -> None:
    text = vm(container_disk("quay.io/containerdisks/fedora:40"), metadata="  labels:\n    kubevirt.io/os: fedora\n")
    loaded = load_file("vm.yaml", text.encode())
    workload = loaded.workloads[0]
    span = workload.name.span
    found = guest_os(workload, loaded, None, None, reported=ReportedOS(
        "rhel", "Red Hat Enterprise Linux", "9.4", "Red Hat Enterprise Linux 9.4 (Plow)", span))
    assert [(c.os.title, c.source, c.strength) for c in found.clues][:1] == [("RHEL 9.4", "reported", REPORTED)]
    assert found.family == "rhel"


def test_no_clue_at_all() -> None:
    found = answer(vm("        - name: rootdisk\n          persistentVolumeClaim:\n            claimName: root\n"))
    assert (found.family, found.clues, found.decisive, found.describe()) == (None, (), None, "an unknown OS")


EXPECTED_CORPUS = json.loads((Path(__file__).parent / "data" / "corpus_os_answers.json").read_text())


def test_the_real_corpus() -> None:
    """The OS answer of every workload of the real corpus (the reasons are in the note of the change)."""
    require_corpus()
    files = sorted(p for p in CORPUS.iterdir() if p.suffix in (".yaml", ".yml"))
    index = secrets_index([InputFile(p.name, p, None) for p in files], Limits())
    seen = []
    for path in files:
        loaded = load_file(path.name, path.read_bytes())
        for workload in loaded.workloads:
            found = os_answer(workload, loaded, index, None)
            seen.append([path.name, workload.name.value if workload.name else None, found.family,
                         [[c.os.title, c.source, c.span.line, c.span.column] for c in found.clues]])
    assert seen == EXPECTED_CORPUS


_ID = "harvesterhci.io/imageId"
_ID_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False),
                       st.text(alphabet="abc-/ :#{}[],'\"", max_size=8), st.just({}), st.just([1]))
_CLAIM = st.one_of(
    st.fixed_dictionaries({"metadata": st.one_of(
        st.none(), st.just("x"),
        st.fixed_dictionaries({"annotations": st.one_of(st.none(), st.integers(),
                                                        st.dictionaries(st.sampled_from([_ID, "other", "<<"]),
                                                                        _ID_VALUES, max_size=3))}))}),
    st.integers(), st.none(), st.text(max_size=3), st.lists(st.integers(), max_size=2),
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_CLAIM, max_size=4), st.sampled_from([(",", ":"), (", ", ": ")]),
       st.sampled_from(["", " ", "  "]))
def test_harvester_claims_read_as_json_give_what_composing_them_as_yaml_gives(claims, separators, pad) -> None:
    """The json-module reading of a volumeClaimTemplates value answers only where it is provably YAML's answer:
    null, number and boolean ids (YAML reads them as text), nested and odd claims, YAML-significant characters
    in strings, with and without spaces."""
    text = pad + json.dumps(claims, separators=separators) + pad
    fast = _json_image_ids(text)
    assert fast is None or fast == _yaml_image_ids(text)
    assert claimed_image_ids(text) == _yaml_image_ids(text)


@pytest.mark.parametrize("text", [
    '[{"metadata":{"annotations":{"harvesterhci.io/imageId":"default/image-x"}}}]',
    '[{"metadata":{"annotations":{"harvesterhci.io/imageId":"a"}}}, {"metadata":{}}, 5]',
])
def test_harvester_claims_in_go_json_take_the_fast_path(text: str) -> None:
    assert _json_image_ids(text) == _yaml_image_ids(text) and _json_image_ids(text) is not None


@pytest.mark.parametrize("text", [
    '[{"metadata":{"annotations":{"harvesterhci.io/imageId":"caf\\u00e9"}}}]',  # an escape: YAML reads it
    '[{"metadata":{"annotations":{"harvesterhci.io/imageId":null}}}]',  # YAML: the id "null"
    '[\n{"metadata":{}}]', "[" * 1000 + "]" * 1000, '[{"a":1}] x',
])
def test_harvester_claims_that_may_read_otherwise_go_the_yaml_way(text: str) -> None:
    assert _json_image_ids(text) is None
