"""The audit report: verdicts from the engine's facts, the Markdown summary, HTML escaping, and the HTML page
as headless Chromium renders it (the real corpus)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from conftest import CORPUS, EXAMPLES, REPO, cli_env, require_corpus, run_cli, tool_missing

from lint.audit import html as audit_html
from lint.audit import markdown as audit_markdown
from lint.audit.verdicts import build
from lint.core.catalogue import builtin_catalogue
from lint.run.discovery import InputFile
from lint.run.engine import select_rules
from lint.target.settings import Settings

CLOUD_INIT = """\
      volumes:
        - name: root
          containerDisk:
            image: example.com/custom:1
        - name: cloudinit
          cloudInitNoCloud:
            userData: |
              #cloud-config
              packages: [qemu-guest-agent]
              runcmd:
                - [systemctl, enable, --now, qemu-guest-agent.service]
"""
NO_USER_DATA = """\
      volumes:
        - name: root
          containerDisk:
            image: example.com/custom:1
"""


def vm(name: str, namespace: str = "prod", volumes: str = CLOUD_INIT, metadata: str = "", pod: str = "") -> str:
    return (f"apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
            f"{metadata}spec:\n  template:\n    metadata:\n      labels: {{app: x}}\n{pod}    spec:\n"
            f"      domain: {{devices: {{}}}}\n{volumes}")


def audit(*texts: str):  # type: ignore[no-untyped-def]
    inputs = [InputFile(f"vm{i}.yaml", None, text.encode()) for i, text in enumerate(texts)]
    return build(inputs, select_rules(builtin_catalogue()), Settings())


def test_verdicts_frozen_will_not_and_cannot_tell() -> None:
    skip = '  annotations:\n    kubevirt.io/skip-backup-hooks: "true"\n'
    report = audit(vm("web"), vm("db", metadata=skip), vm("cache", volumes=NO_USER_DATA))
    got = {v.name: (v.namespace, v.verdict) for v in report.vms}
    assert got == {"web": ("prod", "frozen"), "db": ("prod", "not-frozen"), "cache": ("prod", "unknown")}
    by_name = {v.name: v for v in report.vms}
    assert "injects its virt-freezer hooks, and the guest agent runs" in by_name["web"].reason
    assert by_name["db"].reason.startswith('nothing freezes it: kubevirt.io/skip-backup-hooks is "true"')
    assert "whether a guest agent runs is unknown" in by_name["cache"].reason
    assert [f.code for f in by_name["cache"].findings] == ["VM402"]


def test_an_error_on_an_effective_hook_means_will_not_and_an_overwritten_one_does_not() -> None:
    skip = '  annotations:\n    kubevirt.io/skip-backup-hooks: "true"\n'
    wrong = ("      annotations:\n"
             "        pre.hook.backup.velero.io/command: '[\"/usr/bin/virt-freezer\", \"--freeze\", \"--name\", \"web\", "
             "\"--namespace\", \"other\"]'\n"
             "        post.hook.backup.velero.io/command: '[\"/usr/bin/virt-freezer\", \"--unfreeze\", \"--name\", "
             "\"web\", \"--namespace\", \"prod\"]'\n")
    own = audit(vm("web", metadata=skip, pod=wrong)).vms[0]
    assert own.verdict == "not-frozen" and own.reason.startswith("VM203 breaks the hook")
    assert [f.code for f in own.breaking] == ["VM203"]
    overwritten = audit(vm("web", pod=wrong)).vms[0]  # KubeVirt injects its own command over the wrong one
    assert overwritten.verdict == "frozen" and "VM203" in [f.code for f in overwritten.findings]
    absent = audit(vm("web", volumes=CLOUD_INIT.replace("packages: [qemu-guest-agent]", "packages: [vim]")
                      .replace("qemu-guest-agent.service", "sshd.service"))).vms[0]
    assert absent.verdict == "not-frozen" and "no guest agent runs" in absent.reason


def test_markdown_is_exact_for_a_small_case() -> None:
    report = audit(vm("web"), vm("cache", namespace="dev", volumes=NO_USER_DATA))
    reason_cache = report.vms[1].reason
    assert audit_markdown.render(report) == (
        "# vmlint audit\n"
        "\n"
        "2 VMs in 2 files, assuming KubeVirt 1.9.0: 1 will be frozen, 0 will not be frozen, 1 cannot tell.\n"
        "\n"
        "## Namespace dev\n"
        "\n"
        "| VM | kind | verdict | reason | findings |\n"
        "|---|---|---|---|---|\n"
        f"| cache | VirtualMachine | **cannot tell** | {audit_markdown.escape(reason_cache)} | VM402 (vm1.yaml:15) |\n"
        "\n"
        "## Namespace prod\n"
        "\n"
        "| VM | kind | verdict | reason | findings |\n"
        "|---|---|---|---|---|\n"
        "| web | VirtualMachine | **will be frozen** | KubeVirt 1.9.0 injects its virt-freezer hooks, and the guest "
        "agent runs: `packages` installs qemu-guest-agent | none |\n".replace("`packages`", "\\`packages\\`")
        + "\n"
        "## Findings by code\n"
        "\n"
        "| code | rule | count |\n"
        "|---|---|---:|\n"
        "| VM402 | guest-agent-unverifiable | 1 |\n"
        "\n"
        "## Findings by rule family\n"
        "\n"
        "| family | covers | count |\n"
        "|---|---|---:|\n"
        "| VM0 | input | 0 |\n"
        "| VM1 | hook annotations | 0 |\n"
        "| VM2 | identity | 0 |\n"
        "| VM3 | KubeVirt's own hooks | 0 |\n"
        "| VM4 | guest agent | 1 |\n"
        "| VM5 | Velero objects | 0 |\n"
    )


HOSTILE = '"<script>alert(1)</script>|`x`"'


def test_hostile_names_are_escaped() -> None:
    report = audit(vm(HOSTILE))
    page = audit_html.render(report)
    assert page.lower().count("<script") == 1 and f"<script>{audit_html._SCRIPT}</script>" in page  # ours alone
    assert "&lt;script&gt;alert(1)&lt;/script&gt;|`x`" in page
    assert "<!DOCTYPE html>" in page and "http://" not in page and "https://" not in page and "@media print" in page
    text = audit_markdown.render(report)
    assert "| &lt;script&gt;alert(1)&lt;/script&gt;\\|\\`x\\` | VirtualMachine |" in text
    assert "<script" not in text


def test_hostile_names_and_namespaces_stay_text_in_every_place_the_dashboard_shows_them() -> None:
    """A name and a namespace with markup and both quotes reach the table, the chart, the filters and the data
    attributes as text: parsed back, each is the string the manifest holds, and no element or attribute is added."""
    name, namespace = "\"a'<img src=x onerror=alert(1)>", "ns\"'</svg><script>x</script>"
    text = vm("x", namespace="placeholder").replace("name: x", f"name: '{name.replace(chr(39), chr(39) * 2)}'")
    text = text.replace("namespace: placeholder", f"namespace: '{namespace.replace(chr(39), chr(39) * 2)}'")
    report = audit(text)
    assert [(v.name, v.namespace) for v in report.vms] == [(name, namespace)]
    page = audit_html.render(report)
    assert "<img" not in page and page.lower().count("<script") == 1

    class Collect(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[str] = []
            self.attrs: list[tuple[str, str | None]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append(tag)
            self.attrs.extend(attrs)

    parsed = Collect()
    parsed.feed(page)
    assert "img" not in parsed.tags and parsed.tags.count("script") == 1
    assert ("data-vm", f"{namespace}/{name}") in parsed.attrs and ("data-namespace", namespace) in parsed.attrs
    assert ("value", namespace) in parsed.attrs  # the namespace filter's option
    assert not any(key.startswith("on") for key, _ in parsed.attrs)


class _Rows(HTMLParser):
    """(data-vm, data-verdict, the verdict cell's text) of every VM row of a DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_verdict = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and "vm" in (found.get("class") or "").split():
            self.rows.append([found.get("data-vm") or "", found.get("data-verdict") or "", ""])
        elif tag == "td" and found.get("class") == "verdict" and self.rows:
            self._in_verdict = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_verdict = False

    def handle_data(self, data: str) -> None:
        if self._in_verdict:
            self.rows[-1][2] += data


def _chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        tool_missing("headless Chromium is not installed (Debian: apt-get install chromium)")
    return found  # type: ignore[return-value]


def test_corpus_report_in_headless_chromium(tmp_path: Path) -> None:
    require_corpus()
    browser = _chromium()
    page, summary = tmp_path / "audit.html", tmp_path / "audit.md"
    done = run_cli("audit", str(CORPUS), "--html", page, "--markdown", summary)
    assert done.exit_code == 0, done.stderr
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([browser, *flags, "--dump-dom", page.resolve().as_uri()], capture_output=True, timeout=120,
                         check=False)
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    rows = _Rows()
    rows.feed(dom.stdout.decode("utf-8"))
    shown = sorted((vm, verdict, text.strip()) for vm, verdict, text in rows.rows)
    assert len(shown) == 30
    assert shown == build_corpus_model()
    verdicts = sorted(verdict for _, verdict, _ in rows.rows)
    assert (verdicts.count("frozen"), verdicts.count("not-frozen"), verdicts.count("unknown")) == (8, 7, 15)
    assert {text.strip() for _, _, text in rows.rows} == {"will be frozen", "will not be frozen", "cannot tell"}
    assert ("mysql-persistent/fedora-todolist", "frozen", "will be frozen") in shown
    assert ("(no namespace)/vm-cirros", "not-frozen", "will not be frozen") in shown
    assert ("cirros-test/cirros-test", "unknown", "cannot tell") in shown
    shot = tmp_path / "audit.png"
    taken = subprocess.run([browser, *flags, f"--screenshot={shot}", "--window-size=1280,2000", page.resolve().as_uri()],
                           capture_output=True, timeout=120, check=False)
    assert taken.returncode == 0 and shot.stat().st_size > 10_000, taken.stderr.decode(errors="replace")[-2000:]
    print(f"audit screenshot: {shot}")
    assert "| fedora-todolist | VirtualMachine | **will be frozen** |" in summary.read_text()


def build_corpus_model() -> list[tuple[str, str, str]]:
    """The verdicts the model gives for the corpus, as the page must show them."""
    from lint.audit.verdicts import audit_paths

    report = audit_paths([str(require_corpus())])
    return sorted((f"{vm.namespace}/{vm.name}", vm.verdict, vm.verdict_text) for vm in report.vms)


FREEZE_DENIED = """\
      volumes:
        - name: root
          containerDisk:
            image: quay.io/containerdisks/centos-stream:9
        - name: data
          persistentVolumeClaim:
            claimName: data
        - name: cloudinit
          cloudInitNoCloud:
            userData: |
              #cloud-config
              runcmd:
                - mkfs.xfs /dev/vdb
                - mount /dev/vdb /data
"""


def test_freeze_will_fail_is_a_verdict_of_its_own() -> None:
    report = audit(vm("db", volumes=FREEZE_DENIED), vm("web"))
    db = next(v for v in report.vms if v.name == "db")
    assert db.verdict == "freeze-fails" and db.verdict_text == "freeze will fail"
    [finding] = [f for f in db.findings if f.code == "VM406"]
    assert db.reason == ("KubeVirt 1.9.0 injects its virt-freezer hooks: it will be frozen, but the freeze will fail: "
                         f"VM406 {finding.message}")
    assert report.verdicts() == {"frozen": 1, "not-frozen": 0, "unknown": 0, "freeze-fails": 1}
    markdown = audit_markdown.render(report)
    assert "assuming KubeVirt 1.9.0: 1 will be frozen, 0 will not be frozen, 0 cannot tell, 1 freeze will fail." \
        in markdown
    assert "| db | VirtualMachine | **freeze will fail** | KubeVirt 1.9.0 injects" in markdown
    page = audit_html.render(report)
    assert ('<div class="tile freeze-fails" id="count-freeze-fails" data-count="1"><span class="n">1</span>'
            '<span class="label verdict">freeze will fail</span></div>') in page
    assert ".freeze-fails td.verdict span" in page and 'data-verdict="freeze-fails" data-count="1"' in page
    assert 'data-verdict="freeze-fails"' in page


def test_freeze_will_fail_is_not_counted_where_no_vm_has_it() -> None:
    report = audit(vm("web"))
    assert "freeze will fail" not in audit_markdown.render(report)
    page = audit_html.render(report)
    assert "freeze-fails" not in page


def test_an_unknown_agent_with_a_denied_mount_cannot_tell_and_says_why() -> None:
    volumes = FREEZE_DENIED.replace("quay.io/containerdisks/centos-stream:9", "example.com/rhel-guest-image:9")
    [vm_report] = audit(vm("db", volumes=volumes)).vms
    assert vm_report.verdict == "unknown"
    assert "; if one runs, the freeze will fail: VM406 VirtualMachine db runs RHEL 9" in vm_report.reason


def test_the_summary_goes_to_the_github_job_summary_when_one_is_open(tmp_path: Path) -> None:
    """In a GitHub Actions job `vmlint audit` appends its Markdown summary to $GITHUB_STEP_SUMMARY (what other
    steps wrote there stays); elsewhere it writes nothing of the kind."""
    job_summary = tmp_path / "step-summary.md"
    job_summary.write_text("## an earlier step\n", encoding="utf-8")
    markdown = tmp_path / "audit.md"
    command = [sys.executable, "-m", "lint", "audit", str(EXAMPLES), "--markdown", str(markdown)]
    done = subprocess.run(command, cwd=REPO, env={**cli_env(), "GITHUB_STEP_SUMMARY": str(job_summary)},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    written = markdown.read_text(encoding="utf-8")
    assert written.startswith("# vmlint audit\n")
    assert job_summary.read_text(encoding="utf-8") == "## an earlier step\n" + written
    plain = run_cli("audit", str(EXAMPLES))  # stdout, as without the variable
    assert plain.stdout == written
    assert "GITHUB_STEP_SUMMARY" not in cli_env()
    done = subprocess.run(command, cwd=REPO, env={**cli_env(), "GITHUB_STEP_SUMMARY": str(tmp_path / "no" / "dir")},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and done.stderr.startswith("vmlint: error: ") and "Traceback" not in done.stderr
