"""The audit report: verdicts from the engine's facts, the Markdown summary, HTML escaping, and the HTML page
as headless Chromium renders it (the real corpus)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import CORPUS, EXAMPLES, REPO, cli_env, require_corpus, run_cli, tool_missing
from devtools import FLAGS as CHROMIUM_FLAGS
from devtools import Browser

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


class _Dashboard(HTMLParser):
    """What a reader of the dashboard sees: each VM row in order (its data attributes, whether it is hidden, its
    text), the headline's counts, each namespace bar's segments, and the controls' state."""

    VOID = {"meta", "input", "br", "img", "link", "hr", "col", "wbr"}

    def __init__(self, dom: str) -> None:
        super().__init__()
        self.rows: list[dict[str, object]] = []
        self.counts: dict[str, int] = {}
        self.bars: dict[str, dict[str, int]] = {}
        self.controls_hidden = False
        self.shown: str | None = None
        self.sorted: dict[str, str] = {}
        self._row_depth = 0
        self._depth = 0
        self._namespace: str | None = None
        self._cell: str | None = None
        self.feed(dom)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag not in self.VOID:
            self._depth += 1
        classes = (found.get("class") or "").split()
        if tag == "tr" and "vm" in classes:
            self.rows.append({**{k: v for k, v in found.items() if k.startswith("data-")},
                              "hidden": "hidden" in found, "text": ""})
            self._row_depth = self._depth
        elif tag == "td" and self._row_depth:
            self._cell = classes[0] if classes else ""
            self.rows[-1][f"cell:{self._cell}"] = ""
            if found.get("data-key") is not None:
                self.rows[-1][f"key:{self._cell}"] = found["data-key"]
        elif (found.get("id") or "").startswith("count-"):
            self.counts[found["id"][len("count-"):]] = int(found["data-count"] or 0)  # type: ignore[index]
        elif tag == "g" and "ns-bar" in classes:
            self._namespace = found["data-namespace"]
            self.bars[self._namespace or ""] = {}
        elif tag == "rect" and "seg" in classes and self._namespace is not None:
            self.bars[self._namespace][found["data-verdict"] or ""] = int(found["data-count"] or 0)
        elif found.get("id") == "controls":
            self.controls_hidden = "hidden" in found
        elif found.get("id") == "shown":
            self.shown = found.get("data-shown")
        elif tag == "th" and found.get("data-column"):
            self.sorted[found["data-column"] or ""] = found.get("aria-sort") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row_depth == self._depth:
            self._row_depth = 0
        if tag == "td":
            self._cell = None
        if tag == "g":
            self._namespace = None
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._row_depth:
            self.rows[-1]["text"] = str(self.rows[-1]["text"]) + data
            if self._cell is not None:
                self.rows[-1][f"cell:{self._cell}"] = str(self.rows[-1][f"cell:{self._cell}"]) + data

    def visible(self) -> list[str]:
        return [str(row["data-vm"]) for row in self.rows if not row["hidden"]]


def test_corpus_report_in_headless_chromium(tmp_path: Path) -> None:
    require_corpus()
    browser = _chromium()
    page, summary = tmp_path / "audit.html", tmp_path / "audit.md"
    done = run_cli("audit", str(CORPUS), "--html", page, "--markdown", summary)
    assert done.exit_code == 0, done.stderr
    profile = tmp_path / "profile"
    flags = [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    dumped = subprocess.run([browser, *flags, "--dump-dom", page.resolve().as_uri()], capture_output=True,
                            timeout=120, check=False)
    assert dumped.returncode == 0, dumped.stderr.decode(errors="replace")[-2000:]
    dom = dumped.stdout.decode("utf-8")
    rows = _Rows()
    rows.feed(dom)
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
    taken = subprocess.run([browser, *flags, f"--screenshot={shot}",
                            "--window-size=1280,1800", page.resolve().as_uri()], capture_output=True, timeout=120,
                           check=False)
    assert taken.returncode == 0 and shot.stat().st_size > 10_000, taken.stderr.decode(errors="replace")[-2000:]
    print(f"audit screenshot: {shot} ({shot.stat().st_size} bytes); page {page.stat().st_size} bytes")
    assert "| fedora-todolist | VirtualMachine | **will be frozen** |" in summary.read_text()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Browser, str]]:
    """One headless Chromium, over the DevTools protocol, and the URL of the real corpus's dashboard."""
    require_corpus()
    binary = _chromium()
    folder = tmp_path_factory.mktemp("dashboard")
    page = folder / "audit.html"
    done = run_cli("audit", str(CORPUS), "--html", page)
    assert done.exit_code == 0, done.stderr
    browser = Browser(binary, folder / "profile")
    try:
        yield browser, page.resolve().as_uri()
    finally:
        browser.close()


def _seen(browser: Browser) -> _Dashboard:
    return _Dashboard(browser.html())


def test_the_dashboard_answers_the_counts_per_verdict_and_namespace(dashboard: tuple[Browser, str]) -> None:
    from lint.audit.verdicts import audit_paths

    browser, url = dashboard
    browser.open(url)
    seen = _seen(browser)
    report = audit_paths([str(CORPUS)])
    assert seen.counts == report.verdicts() == {"frozen": 8, "not-frozen": 7, "unknown": 15}
    assert browser.run("document.querySelector('#count-unknown .n').textContent") == "15"
    assert browser.run("document.querySelector('#score .n').textContent") == "27%"  # 8 of 30
    assert not seen.controls_hidden and seen.shown == "30" and len(seen.visible()) == 30
    expected = {namespace: {verdict: sum(1 for vm in vms if vm.verdict == verdict) for verdict in report.verdicts()}
                for namespace, vms in report.namespaces().items()}
    assert seen.bars == {namespace: {v: n for v, n in counts.items() if n} for namespace, counts in expected.items()}
    assert all(str(CORPUS) not in str(row["text"]) for row in seen.rows)  # paths relative to the audited directory
    written = [vm for vms in report.namespaces().values() for vm in vms]  # the rows' order without sorting
    assert [str(row["data-vm"]) for row in seen.rows] == [f"{vm.namespace}/{vm.name}" for vm in written]
    for row, vm in zip(seen.rows, written):
        assert str(row["cell:path"]).startswith(vm.path[len(str(CORPUS)) + 1:] + ":")
        assert row["cell:kind"] == {"VirtualMachine": "VM", "VirtualMachineInstance": "VMI",
                                    "VirtualMachinePool": "VMPool", "VirtualMachineInstanceReplicaSet": "VMIRS"}[vm.kind]
    folded = browser.run("Array.from(document.querySelectorAll('#vms details')).map(d => d.open)")
    assert folded and not any(folded)  # each VM's findings folded by default


def _filter(browser: Browser, url: str, **chosen: str) -> _Dashboard:
    """The page afresh, each select set as a user picks an option (a change event), then words typed in search."""
    browser.open(url)
    for name, value in chosen.items():
        if name == "q":
            browser.run("document.getElementById('f-q').focus()")
            browser.type(value)
        else:
            assert browser.run(f"(s => {{ s.value = {json.dumps(value)}; s.dispatchEvent(new Event('change')); "
                               f"return s.value; }})(document.getElementById('f-{name}'))") == value
    return _seen(browser)


def test_filters_and_search_hide_exactly_the_rows_that_do_not_match(dashboard: tuple[Browser, str]) -> None:
    browser, url = dashboard
    browser.open(url)
    every = _seen(browser).rows
    assert len(every) == 30

    def expect(keep: Callable[[dict[str, object]], bool]) -> list[str]:
        return [str(row["data-vm"]) for row in every if keep(row)]

    def text(row: dict[str, object]) -> str:
        return str(row["text"]).lower()

    cases: list[tuple[dict[str, str], list[str]]] = [
        ({"verdict": "unknown"}, expect(lambda row: row["data-verdict"] == "unknown")),
        ({"verdict": "not-frozen"}, expect(lambda row: row["data-verdict"] == "not-frozen")),
        ({"namespace": "cirros-test"}, expect(lambda row: row["data-namespace"] == "cirros-test")),
        ({"namespace": "(no namespace)"}, expect(lambda row: row["data-namespace"] == "(no namespace)")),
        ({"rule": "VM402"}, expect(lambda row: "VM402" in str(row["data-rules"]).split())),
        ({"rule": "VM404", "verdict": "frozen"},
         expect(lambda row: "VM404" in str(row["data-rules"]).split() and row["data-verdict"] == "frozen")),
        ({"q": "fedora"}, expect(lambda row: "fedora" in text(row))),
        ({"q": "CIRROS vm402"}, expect(lambda row: "cirros" in text(row) and "vm402" in text(row))),
        ({"namespace": "(no namespace)", "q": "windows"},
         expect(lambda row: row["data-namespace"] == "(no namespace)" and "windows" in text(row))),
        ({"q": "no-such-text-anywhere"}, []),
    ]
    for chosen, wanted in cases:
        seen = _filter(browser, url, **chosen)
        assert [str(row["data-vm"]) for row in seen.rows] == [str(row["data-vm"]) for row in every], chosen
        assert seen.visible() == wanted, chosen
        assert seen.shown == str(len(wanted)), chosen
        assert 0 < len(wanted) < 30 or chosen == {"q": "no-such-text-anywhere"}, chosen  # each case filters
        if "q" in chosen:  # the view is in the URL fragment: reopened from it, the page shows the same rows
            fragment = browser.run("location.hash")
            browser.open(url + fragment)
            assert _seen(browser).visible() == wanted, fragment


def _click_header(browser: Browser, column: str) -> None:
    browser.run(f"document.querySelector('th[data-column={column}] button').click()")


def test_sorting_orders_the_rows(dashboard: tuple[Browser, str]) -> None:
    browser, url = dashboard
    browser.open(url)
    _click_header(browser, "findings")
    _click_header(browser, "findings")  # a second click: descending
    seen = _seen(browser)
    counts = [int(str(row["key:findings-cell"])) for row in seen.rows]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
    assert seen.sorted["findings"] == "descending" and seen.sorted["name"] == "none"
    _click_header(browser, "name")
    by_name = _seen(browser)
    names = [str(row["cell:name"]) for row in by_name.rows]
    assert names == sorted(names, key=str.lower) and by_name.sorted["name"] == "ascending"
    assert browser.run("location.hash") == "#sort=name"
    _click_header(browser, "verdict")
    rank = {"not-frozen": 0, "freeze-fails": 1, "unknown": 2, "frozen": 3, "not-running": 4}
    ranks = [rank[str(row["data-verdict"])] for row in _seen(browser).rows]
    assert ranks == sorted(ranks) and ranks[0] < ranks[-1]
    browser.open(url + "#sort=path:desc&verdict=frozen")  # from the URL, sorting and a filter together
    seen = _seen(browser)
    paths = [str(row["key:path"]) for row in seen.rows]
    assert paths == sorted(paths, key=str.lower, reverse=True)
    assert seen.visible() == [str(row["data-vm"]) for row in seen.rows if row["data-verdict"] == "frozen"]


def test_without_javascript_every_row_shows_and_the_controls_do_not(dashboard: tuple[Browser, str]) -> None:
    browser, url = dashboard
    browser.open(url + "#verdict=frozen&sort=name", javascript=False)
    seen = _seen(browser)
    assert len(seen.rows) == 30 and len(seen.visible()) == 30
    assert seen.controls_hidden and seen.shown is None
    assert all(state == "none" for state in seen.sorted.values())
    assert seen.counts == {"frozen": 8, "not-frozen": 7, "unknown": 15}
    namespaces = [str(row["data-namespace"]) for row in seen.rows]  # grouped by namespace, as written
    assert namespaces == sorted(namespaces, key=lambda ns: (ns == "(no namespace)", ns))
    browser.open(url)  # and with it, the same page filters
    assert not _seen(browser).controls_hidden


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


# --- vmlint audit --select, --ignore, --fail-on, --fail-on-verdict ------------------------------------------------

SKIP_HOOKS = '  annotations:\n    kubevirt.io/skip-backup-hooks: "true"\n'
WRONG_NAMESPACE = ("      annotations:\n"
                   "        pre.hook.backup.velero.io/command: '[\"/usr/bin/virt-freezer\", \"--freeze\", \"--name\", "
                   "\"web\", \"--namespace\", \"other\"]'\n"
                   "        post.hook.backup.velero.io/command: '[\"/usr/bin/virt-freezer\", \"--unfreeze\", \"--name\", "
                   "\"web\", \"--namespace\", \"prod\"]'\n")


def audit_cli(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """`vmlint audit vms --markdown audit.md ARGS` in `tmp_path`: (exit code, the one-line count, standard error)."""
    done = run_cli("audit", "vms", "--markdown", "audit.md", *args, cwd=tmp_path)
    return done.exit_code, done.stdout, done.stderr


def test_audit_select_and_ignore_judge_verdicts_on_the_findings_that_remain(tmp_path: Path) -> None:
    (tmp_path / "vms").mkdir()
    (tmp_path / "vms" / "web.yaml").write_text(vm("web", metadata=SKIP_HOOKS, pod=WRONG_NAMESPACE))
    broken = "vmlint audit: 1 VMs: 0 will be frozen, 1 will not be frozen, 0 cannot tell\n"
    frozen = "vmlint audit: 1 VMs: 1 will be frozen, 0 will not be frozen, 0 cannot tell\n"
    assert audit_cli(tmp_path) == (0, broken, "")
    assert "VM203 breaks the hook" in (tmp_path / "audit.md").read_text()
    assert audit_cli(tmp_path, "--ignore", "VM203") == (0, frozen, "")
    assert "VM203" not in (tmp_path / "audit.md").read_text()
    assert audit_cli(tmp_path, "--select", "VM1,VM4") == (0, frozen, "")
    assert audit_cli(tmp_path, "--select", "VM1", "--select", "VM2") == (0, broken, "")
    (tmp_path / ".vmlint.yaml").write_text("ignore: [VM203]\n")  # the command line wins over the configuration
    assert audit_cli(tmp_path) == (0, frozen, "")
    assert audit_cli(tmp_path, "--ignore", "VM5") == (0, broken, "")
    assert audit_cli(tmp_path, "--select", "VM999") == (
        2, "", "vmlint: error: 'VM999' matches no rule code (see `vmlint rules`)\n")


def test_audit_fail_on_verdict_cuts_the_order_worst_to_best(tmp_path: Path) -> None:
    (tmp_path / "vms").mkdir()
    (tmp_path / "vms" / "vms.yaml").write_text(vm("web") + "---\n" + vm("cache", volumes=NO_USER_DATA))
    count = "vmlint audit: 2 VMs: 1 will be frozen, 0 will not be frozen, 1 cannot tell\n"
    assert audit_cli(tmp_path) == (0, count, "")
    for level, code in [("not-frozen", 0), ("will not be frozen", 0), ("freeze-fails", 0), ("freeze will fail", 0),
                        ("unknown", 1), ("Cannot  Tell", 1), ("frozen", 1), ("will be frozen", 1),
                        ("not-running", 1)]:
        assert audit_cli(tmp_path, "--fail-on-verdict", level) == (code, count, ""), level
    (tmp_path / "vms" / "vms.yaml").write_text(vm("web"))
    assert audit_cli(tmp_path, "--fail-on-verdict", "unknown")[0] == 0
    assert audit_cli(tmp_path, "--fail-on-verdict", "frozen")[0] == 1


def test_audit_fail_on_verdict_with_an_unknown_name_is_exit_2_naming_the_valid_ones(tmp_path: Path) -> None:
    (tmp_path / "vms").mkdir()
    (tmp_path / "vms" / "web.yaml").write_text(vm("web"))
    assert audit_cli(tmp_path, "--fail-on-verdict", "broken") == (2, "", (
        "vmlint: error: --fail-on-verdict 'broken' is not one of, worst to best: not-frozen (will not be frozen), "
        "freeze-fails (freeze will fail), unknown (cannot tell), frozen (will be frozen), not-running (not running)\n"))
    assert not (tmp_path / "audit.md").exists()  # refused before anything is audited or written


def test_audit_fail_on_is_checks_severity_threshold(tmp_path: Path) -> None:
    (tmp_path / "vms").mkdir()
    (tmp_path / "vms" / "vms.yaml").write_text(vm("web") + "---\n" + vm("cache", volumes=NO_USER_DATA))  # VM402: info
    count = "vmlint audit: 2 VMs: 1 will be frozen, 0 will not be frozen, 1 cannot tell\n"
    assert [str(f.severity) for f in audit(vm("cache", volumes=NO_USER_DATA)).findings] == ["info"]
    assert audit_cli(tmp_path, "--fail-on", "error") == (0, count, "")
    assert audit_cli(tmp_path, "--fail-on", "warning") == (0, count, "")
    assert audit_cli(tmp_path, "--fail-on", "info") == (1, count, "")
    assert audit_cli(tmp_path, "--fail-on", "info", "--ignore", "VM402") == (0, count, "")
    assert run_cli("check", "-q", "--fail-on", "info", "vms", cwd=tmp_path).exit_code == 1  # as check does
    assert audit_cli(tmp_path, "--fail-on", "fatal")[0] == 2
