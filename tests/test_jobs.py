"""One process or several: the same findings in the same order, on the real corpus and a generated set."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import CORPUS, cli_env, require_corpus
from hostile_inputs import VM

from lint.core.catalogue import builtin_catalogue
from lint.run.discovery import InputFile, discover
from lint.run.engine import run, select_rules
from lint.target.settings import Settings


def test_jobs_do_not_change_the_report() -> None:
    require_corpus()
    inputs = [InputFile(f"{i}/{path.name}", None, path.read_bytes()) for i in range(2) for path in sorted(CORPUS.iterdir())]
    inputs += [InputFile(f"vm{i}.yaml", None, VM.replace("web", f"vm{i}").encode()) for i in range(60)]
    secret = b"apiVersion: v1\nkind: Secret\nmetadata: {name: ud, namespace: prod}\nstringData: {userdata: '#cloud-config'}\n"
    inputs.append(InputFile("secret.yaml", None, secret))
    rules = select_rules(builtin_catalogue(), ("ALL",))
    serial = run(inputs, rules, Settings(), jobs=1)
    parallel = run(inputs, rules, Settings(), jobs=2)
    assert len(inputs) >= 64 and serial.findings  # large enough to use the pool
    assert parallel.findings == serial.findings
    assert (parallel.files, parallel.objects, parallel.workloads, parallel.errors) == (
        serial.files, serial.objects, serial.workloads, serial.errors)


def test_cache_cold_warm_and_invalidation(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Cold, warm and uncached runs agree; a Secret in another file, or the rule set, changes the key."""
    require_corpus()
    cache = tmp_path / "cache"
    vm = ("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: web, namespace: prod}\nspec:\n  template:\n"
          "    spec:\n      volumes:\n      - name: ci\n        cloudInitNoCloud: {secretRef: {name: ud}}\n")
    inputs = [InputFile(path.name, None, path.read_bytes()) for path in sorted(CORPUS.iterdir())]
    inputs.append(InputFile("vm.yaml", None, vm.encode()))
    rules = select_rules(builtin_catalogue(), ())
    plain = run(inputs, rules, Settings())
    cold = run(inputs, rules, Settings(), cache_dir=cache)
    warm = run(inputs, rules, Settings(), cache_dir=cache, jobs=2)
    assert plain.findings == cold.findings == warm.findings and any(cache.rglob("*.json"))
    assert [f.code for f in warm.findings if f.path == "vm.yaml" and f.code.startswith("VM40")] == ["VM402"]
    secret = b"apiVersion: v1\nkind: Secret\nmetadata: {name: ud, namespace: prod}\nstringData: {userdata: \"#cloud-config\\nbootcmd: [echo]\\n\"}\n"
    with_secret = run([*inputs, InputFile("secret.yaml", None, secret)], rules, Settings(), cache_dir=cache)
    assert [f.code for f in with_secret.findings if f.path == "vm.yaml" and f.code.startswith("VM40")] == ["VM401"]
    fewer = run(inputs, select_rules(builtin_catalogue(), ("VM0",)), Settings(), cache_dir=cache)
    assert {f.code[:3] for f in fewer.findings} == {"VM0"}
    (next(cache.rglob("*.json"))).write_text("{not json")  # a damaged entry is a miss, not an error
    assert run(inputs, rules, Settings(), cache_dir=cache).findings == plain.findings


def test_a_warm_run_in_a_new_process_reads_every_outcome_from_the_cache(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The run key must not depend on the process: with kustomizations (whose index once went into the key
    through the repr of a set, ordered by the per-process string hash) every warm run missed every entry."""
    base = tmp_path / "repo" / "base"
    base.mkdir(parents=True)
    for name in ("a", "b", "c", "d"):
        (base / f"{name}.yaml").write_text(VM.replace("web", name), encoding="utf-8")
    (base / "kustomization.yaml").write_text("resources: [a.yaml, b.yaml, c.yaml, d.yaml]\n", encoding="utf-8")
    overlay = tmp_path / "repo" / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text("namespace: prod\nresources: [../base]\n", encoding="utf-8")
    cache = tmp_path / "cache"

    def lint(seed: str) -> tuple[str, set[str]]:
        done = subprocess.run([sys.executable, "-m", "lint", "check", "repo", "--format", "json", "--cache-dir", str(cache)],
                              cwd=tmp_path, env={**cli_env(), "PYTHONHASHSEED": seed}, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 1, done.stderr
        tables = {path.name: (path.stat().st_mtime_ns, set(json.loads(path.read_text())["entries"]))
                  for path in cache.glob("*.json")}
        return done.stdout, tables

    cold_report, cold_tables = lint("1")
    warm_report, warm_tables = lint("2")
    [(_, entries)] = cold_tables.values()
    assert len(entries) == 6
    assert warm_tables == cold_tables  # the same run key, and nothing new to write: every file was a hit
    assert warm_report == cold_report


def test_a_warm_run_parses_no_secret_or_kustomization_again(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The pre-pass remembers what a file's bytes gave (lint.run.cache.Facts): unchanged Secrets and kustomizations
    are not parsed again, and a changed one is."""
    import lint.kube.kustomize
    import lint.run.prepass

    (tmp_path / "kustomization.yaml").write_text("namespace: prod\nresources: [vm.yaml, secret.yaml]\n")
    (tmp_path / "vm.yaml").write_text(
        "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n"
        "      volumes:\n      - name: ci\n        cloudInitNoCloud: {secretRef: {name: ud}}\n")
    secret = tmp_path / "secret.yaml"
    secret.write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: ud}\nstringData: {userdata: \"#cloud-config\\nbootcmd: [echo]\\n\"}\n")
    rules = select_rules(builtin_catalogue(), ())

    def check() -> list[str]:
        inputs = list(discover([str(tmp_path)]))
        return [f"{f.path}:{f.code}" for f in run(inputs, rules, Settings(), cache_dir=tmp_path / ".cache").findings]

    cold = check()
    assert any(entry.endswith("vm.yaml:VM401") for entry in cold)  # the Secret (in namespace prod) was read
    calls: list[str] = []
    real_secrets, real_parsed = lint.run.prepass._parse, lint.kube.kustomize._parsed  # Secrets (and exports)
    monkeypatch.setattr(lint.run.prepass, "_parse", lambda *a, **k: calls.append("secrets") or real_secrets(*a, **k))
    monkeypatch.setattr(lint.kube.kustomize, "_parsed", lambda *a: calls.append("kustomization") or real_parsed(*a))
    assert check() == cold and calls == []
    secret.write_text(secret.read_text().replace("bootcmd: [echo]", "packages: [qemu-guest-agent]"))
    changed = check()
    assert calls == ["secrets"] and not any(entry.endswith("vm.yaml:VM401") for entry in changed)


def test_the_cache_directory_stays_out_of_git_status_and_backups(tmp_path) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "vm.yaml").write_text(VM, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    done = subprocess.run([sys.executable, "-m", "lint", "check", "vm.yaml"], cwd=repo, env=cli_env(),
                          capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stderr
    cache = repo / ".vmlint_cache"
    assert (cache / ".gitignore").read_text() == "# Created by vmlint automatically.\n*\n"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55\n")
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=repo, capture_output=True,
                            text=True, check=True).stdout
    assert status == "?? vm.yaml\n"


def test_a_warm_cache_follows_an_export_in_another_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A VMI's findings depend on its launcher pod in another file: changing the pod must invalidate them."""
    vmi = ("apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata:\n  name: web\n  namespace: prod\n"
           "spec: {}\nstatus:\n  phase: Running\n")
    pod = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: virt-launcher-web-x\n  namespace: prod\n  annotations:\n"
           "    kubevirt.io/domain: web\n{hooks}  labels:\n    kubevirt.io: virt-launcher\nstatus:\n  phase: Running\n")
    freeze = ('    pre.hook.backup.velero.io/command: \'["/usr/bin/virt-freezer", "--freeze", "--name", "web", '
              '"--namespace", "prod"]\'\n')
    (tmp_path / "vmi.yaml").write_text(vmi)
    (tmp_path / "pod.yaml").write_text(pod.format(hooks=freeze))
    cache = tmp_path / "cache"
    rules = select_rules(builtin_catalogue(), ["VM602"])

    def check() -> list[str]:
        inputs = list(discover([str(tmp_path / "vmi.yaml"), str(tmp_path / "pod.yaml")]))
        return [f"{f.path}:{f.code}" for f in run(inputs, rules, Settings(), cache_dir=cache).findings]

    assert check() == [f"{tmp_path / 'vmi.yaml'}:VM602"]
    assert check() == [f"{tmp_path / 'vmi.yaml'}:VM602"]  # warm
    (tmp_path / "pod.yaml").write_text(pod.format(hooks=""))  # the pod lost its hooks: nothing freezes the guest
    assert check() == []


def test_one_process_reads_each_file_once(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The pre-pass's bytes serve the main pass in one process: a Secret file (parsed by both passes), a VM
    whose user data is in it, a kustomization and a file with a Velero Backup are each read from disk once."""
    from pathlib import Path

    vm = ("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: web, namespace: prod}\nspec:\n  template:\n"
          "    spec:\n      volumes:\n      - name: ci\n        cloudInitNoCloud: {secretRef: {name: ud}}\n")
    files = {
        "secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: ud, namespace: prod}\nstringData: {userdata: '#cloud-config'}\n",
        "vm.yaml": vm,
        "kustomization.yaml": "namespace: prod\nresources: [vm.yaml, secret.yaml]\n",
        "backup.yaml": "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b, namespace: velero}\nspec: {}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    rules = select_rules(builtin_catalogue(), ("ALL",))
    reads: list[str] = []
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or read_bytes(self))
    inputs = list(discover([str(tmp_path)]))
    result = run(inputs, rules, Settings(), jobs=1)
    assert result.files == 4 and result.findings
    assert sorted(reads) == sorted(files)


def test_a_warm_run_reads_no_settled_file_and_a_changed_one_is_read_again(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A file whose status (size, times, inode) is as recorded is not read at all; rewriting it, even to the
    same size with its modification time put back, changes its change time, and it is read again."""
    import os

    import lint.run.prepass

    monkeypatch.setattr(lint.run.prepass, "SETTLED_NS", -10**15)  # every file counts as settled
    vm = tmp_path / "vm.yaml"
    vm.write_text(VM)
    (tmp_path / "secret.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: ud}\nstringData: {a: b}\n")
    rules = select_rules(builtin_catalogue(), ())
    reads: list[str] = []
    real_open = open

    def counting_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file).startswith(str(tmp_path)) and ".cache" not in str(file):
            reads.append(os.path.basename(file))
        return real_open(file, *args, **kwargs)

    def check() -> list[str]:
        inputs = list(discover([str(tmp_path)]))
        return [f"{f.line}:{f.code}" for f in run(inputs, rules, Settings(), cache_dir=tmp_path / ".cache").findings]

    cold = check()
    monkeypatch.setattr("builtins.open", counting_open)
    monkeypatch.setattr("pathlib.Path.read_bytes", lambda self: reads.append(self.name) or real_open(self, "rb").read())
    assert check() == cold and reads == []
    before = os.stat(vm)
    vm.write_text(VM.replace("namespace: prod", "namespace: prox"))  # the same size: a different namespace
    os.utime(vm, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(vm).st_size == before.st_size and os.stat(vm).st_mtime_ns == before.st_mtime_ns
    reads.clear()
    changed = check()
    assert "vm.yaml" in reads and "secret.yaml" not in reads
    assert changed == [f"{f.line}:{f.code}" for f in run(list(discover([str(tmp_path)])), rules, Settings()).findings]


def test_a_file_changed_just_before_it_was_read_is_never_trusted_by_its_status(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A change in the clock tick of the read could leave the status as recorded: such a file's status is not
    recorded (lint.run.prepass.SETTLED_NS), so the next run reads it again."""
    from lint.run.cache import Facts
    from lint.run.engine import RunOptions

    (tmp_path / "vm.yaml").write_text(VM)
    (tmp_path / "secret.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: ud}\nstringData: {a: b}\n")
    run(list(discover([str(tmp_path)])), select_rules(builtin_catalogue(), ()), Settings(), cache_dir=tmp_path / "c")
    entries = Facts.open(tmp_path / "c", RunOptions().limits).entries
    assert list(entries) == [key for key in entries if key.startswith("secrets-images-configmaps:")] != []


def test_a_velero_objects_cached_findings_follow_the_pods_of_other_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A Backup's hook findings depend on the pods its selectors match in other files: a warm run answers them
    from the cache, and changing a workload's labels elsewhere invalidates them."""
    (tmp_path / "backup.yaml").write_text(
        "apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b, namespace: velero}\nspec:\n  hooks:\n"
        "    resources:\n    - name: freeze\n      labelSelector:\n        matchLabels: {app: db}\n      pre:\n"
        "      - exec:\n          command: [/sbin/fsfreeze, --freeze, /data]\n")
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: db, namespace: prod}\nspec:\n  template:\n"
                  "    metadata:\n      labels: {app: LABEL}\n      annotations:\n"
                  "        pre.hook.backup.velero.io/command: '[\"/bin/sync\"]'\n    spec:\n"
                  "      containers: [{name: db, image: db}]\n")
    (tmp_path / "db.yaml").write_text(deployment.replace("LABEL", "db"))
    rules = select_rules(builtin_catalogue(), ("VM5",))

    def check(cache: bool = True) -> list[str]:
        inputs = list(discover([str(tmp_path)]))
        found = run(inputs, rules, Settings(), cache_dir=tmp_path / ".cache" if cache else None).findings
        return [f"{f.code}:{f.line}" for f in found]

    shadowed = check()
    assert shadowed == ["VM503:8"] and check() == shadowed  # cold, then warm
    (tmp_path / "db.yaml").write_text(deployment.replace("LABEL", "web"))
    assert check() == [] and check() == check(cache=False)
