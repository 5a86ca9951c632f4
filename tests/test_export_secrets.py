"""Secret values in a cluster export never reach any output: every report format, the baseline and the audit."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from lint.kube.redaction import MIN_QUOTED, Scrubber, placeholder

MARKER = "PLANTED-MARKER-7f3a-do-not-print"
USER_DATA = f"""#cloud-config
password: {MARKER}
packages:
  - qemu-guest-agent
bootcmd: echo {MARKER}
"""


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


LEAKS = (MARKER, b64(MARKER), b64(USER_DATA)[:40], b64("x" + MARKER)[4:30], b64("xx" + MARKER)[4:30])

EXPORT = f"""apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: |
        {{"apiVersion":"v1","kind":"Secret","metadata":{{"name":"db-cred","namespace":"prod"}},"stringData":{{"password":"{MARKER}"}}}}
    name: db-cred
    namespace: prod
    resourceVersion: "4100231"
    uid: 6e0f4a2b-4c1e-4b7a-9f3e-2d6a1c0000a2
  data:
    password: {b64(MARKER)}
    password: {b64(MARKER)}
  stringData:
    token: {MARKER}
  type: Opaque
- apiVersion: v1
  kind: Secret
  metadata:
    name: web-cloudinit
    namespace: prod
  data:
    userdata: {b64(USER_DATA)}
- apiVersion: kubevirt.io/v1
  kind: VirtualMachine
  metadata:
    name: web
    namespace: prod
    annotations:
      note: {MARKER}
  spec:
    runStrategy: Always
    template:
      spec:
        domain:
          devices: {{}}
        volumes:
        - name: cloudinitdisk
          cloudInitNoCloud:
            secretRef:
              name: web-cloudinit
"""

MINIFIED = {"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "inline", "namespace": "prod"},
     "data": {"password": b64(MARKER)}},
    {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "db", "namespace": "prod"},
     "spec": {"template": {"metadata": {"annotations": {"pre.hook.backup.velero.io/on-error": "fail"}}, "spec": {}}}},
]}

BROKEN = f"""apiVersion: v1
kind: Secret
metadata:
  name: broken
  uid: 6e0f4a2b-4c1e-4b7a-9f3e-2d6a1c0000a9
data:
  password: "{b64(MARKER)}" other: x
"""


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export")
    (root / "export.yaml").write_text(EXPORT.replace(f"note: {MARKER}", "note: fine"), encoding="utf-8")
    (root / "minified.json").write_text(json.dumps(MINIFIED, separators=(",", ":")), encoding="utf-8")
    (root / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    return root


def assert_clean(text: str) -> None:
    for leak in LEAKS:
        assert leak not in text, leak


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "junit"])
def test_no_report_format_prints_a_secret_value(export: Path, fmt: str) -> None:
    done = run_cli("check", "--no-cache", "--select", "ALL", "--format", fmt, export)
    assert done.exit_code == 1, done.stderr
    assert_clean(done.stdout + done.stderr)
    # not vacuous: the findings inside the Secrets are there, with their values replaced
    assert "VM002" in done.stdout and "VM001" in done.stdout and "VM404" in done.stdout and "VM105" in done.stdout
    if fmt == "text":
        assert "        password: <Secret data, 32 bytes>\n" in done.stdout  # the repeated key, its value replaced
        assert f"    userdata: <Secret data, {len(USER_DATA)} bytes>\n" in done.stdout
        assert "broken.yaml:7:60: VM001" in done.stdout and "other: x" not in done.stdout  # no line of it shown
        # the minified JSON is one line: a line whose Secret stands before the caret is not shown at all
        assert "minified.json:1:" in done.stdout and '"items":[' not in done.stdout


def test_the_baseline_file_holds_no_secret_value(export: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    done = run_cli("check", "--no-cache", "--select", "ALL", "--write-baseline", baseline, export)
    assert done.exit_code == 1
    text = baseline.read_text(encoding="utf-8")
    assert '"code": "VM002"' in text  # the finding inside the Secret is recorded, keyed on the replaced text
    assert_clean(text)


def test_the_audit_prints_no_secret_value(export: Path, tmp_path: Path) -> None:
    html, markdown = tmp_path / "audit.html", tmp_path / "audit.md"
    done = run_cli("audit", "--html", html, "--markdown", markdown, export)
    assert done.exit_code == 0, done.stderr
    assert "VM404" in markdown.read_text(encoding="utf-8")  # the finding in the Secret is listed
    for text in (done.stdout, done.stderr, html.read_text(encoding="utf-8"), markdown.read_text(encoding="utf-8")):
        assert_clean(text)


def test_a_message_quoting_a_whole_secret_value_is_scrubbed(tmp_path: Path) -> None:
    # a hook annotation holds the same text as a Secret value: the message that quotes it must not print it
    (tmp_path / "export.yaml").write_text(EXPORT.replace(
        f"    annotations:\n      note: {MARKER}", f"    annotations:\n      pre.hook.backup.velero.io/on-error: {MARKER}"),
        encoding="utf-8")
    done = run_cli("check", "--no-cache", "--select", "VM105", "--format", "json", tmp_path)
    report = json.loads(done.stdout)
    assert [f["code"] for f in report["findings"]] == ["VM105"]
    assert "<Secret data, 32 bytes>" in report["findings"][0]["message"]
    assert_clean(done.stdout)


def test_a_manifest_secret_is_redacted_like_an_exported_one(tmp_path: Path) -> None:
    # no server-set metadata, not in a List: a repository's own Secret, whose report may still land in a CI log
    manifest = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  a: eA==\n  a: eQ==\n"
    (tmp_path / "secret.yaml").write_text(manifest, encoding="utf-8")
    done = run_cli("check", "--no-cache", tmp_path)
    assert "    a: <Secret data, 1 bytes>\n" in done.stdout and "eQ==" not in done.stdout
    assert ":7:3: VM002 [error]" in done.stdout  # the position still points into the value's line


def test_a_diff_shows_no_secret_value(tmp_path: Path) -> None:
    """--diff is a report too: the Secret next to the fixed VM appears with its placeholder, the fix in full."""
    manifest = (
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: web, namespace: prod}\n"
        "spec:\n  template:\n    metadata:\n      annotations:\n        pre.hook.backup.velero.io/on-error: fail\n"
        "---\nstringData: {password: hunter2-not-for-logs}\nkind: Secret\napiVersion: v1\n"  # in the diff's context
    )
    (tmp_path / "vm.yaml").write_text(manifest, encoding="utf-8")
    done = run_cli("check", "--no-cache", "--diff", "vm.yaml", cwd=tmp_path)
    assert done.exit_code == 1, done.stderr
    assert "hunter2" not in done.stdout + done.stderr
    assert " stringData: {password: <Secret data, 20 bytes>}\n" in done.stdout
    assert "-        pre.hook.backup.velero.io/on-error: fail\n+        pre.hook.backup.velero.io/on-error: Fail\n" in done.stdout
    assert (tmp_path / "vm.yaml").read_text(encoding="utf-8") == manifest  # --diff writes nothing


def _scrub_value_by_value(text: str | None, values: list[str]) -> str | None:
    """The plain definition the Scrubber must answer exactly: each long-enough value, in order, replaced."""
    if not text:
        return text
    for value in values:
        if len(value) >= MIN_QUOTED and value in text:
            text = text.replace(value, placeholder(len(value.encode("utf-8"))))
    return text


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.text(alphabet="ab<S ecrtd,0-9ytes>é", min_size=0, max_size=12), max_size=8),
       st.text(alphabet="ab<S ecrtd,0-9ytes>é", max_size=40))
def test_the_scrubber_replaces_exactly_what_value_by_value_replacement_does(values: list[str], text: str) -> None:
    """Including values that only appear once an earlier one is replaced (the placeholder's own words), repeated
    values, and values that overlap."""
    values = values + [value[1:] + value[:1] for value in values]
    assert Scrubber(values)(text) == _scrub_value_by_value(text, values)


def test_the_scrubber_leaves_text_without_values_and_empty_text_alone() -> None:
    scrub = Scrubber(["#cloud-config\npackages: [qemu-guest-agent]\n", "short"])
    assert scrub("no secret here: #cloud-config only") == "no secret here: #cloud-config only"
    assert scrub("x #cloud-config\npackages: [qemu-guest-agent]\n y") == "x <Secret data, 43 bytes> y"
    assert scrub("") == "" and scrub(None) is None
    assert Scrubber([])("anything") == "anything"
