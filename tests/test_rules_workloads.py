"""VM701-VM706, VM108/VM109 on fsfreeze, and VM504: exact positions, messages, and each version boundary."""

from __future__ import annotations

from lint.core.catalogue import builtin_catalogue
from lint.core.findings import Finding, Severity
from lint.run.discovery import InputFile
from lint.run.engine import run, select_rules
from lint.target.settings import Settings
from lint.target.versions import Velero, parse_version


def lint(text: str, select: tuple[str, ...], velero: str | None = None) -> list[Finding]:
    settings = Settings(velero=Velero(parse_version(velero))) if velero else Settings()
    result = run([InputFile("w.yaml", None, text.encode())], select_rules(builtin_catalogue(), select), settings)
    assert not result.errors
    return result.findings


def deployment(*annotations: str, containers: str = "", init: str = "", kind: str = "Deployment",
               api: str = "apps/v1") -> str:
    """Annotations from line 10 (column 9), then the pod spec."""
    return (f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  template:\n"
            "    metadata:\n      annotations:\n" + "".join(f"        {a}\n" for a in annotations)
            + "    spec:\n" + (f"      initContainers:\n{init}" if init else "")
            + "      containers:\n" + (containers or "      - name: app\n        image: nginx\n"))


TWO = ("      - name: app\n        image: nginx\n        volumeMounts:\n        - {name: d, mountPath: /data}\n"
       "      - name: freezer\n        image: ubuntu\n        securityContext: {privileged: true}\n"
       "        volumeMounts:\n        - {name: d, mountPath: /data/}\n")
SIDECAR = "      - name: side\n        image: busybox\n        restartPolicy: Always\n"
CMD = "pre.hook.backup.velero.io/command: '[\"/bin/sync\"]'"


def test_vm701_a_missing_backup_container() -> None:
    findings = lint(deployment(CMD, "pre.hook.backup.velero.io/container: db"), ("VM701",))
    assert [(f.line, f.column, f.end_column, f.severity) for f in findings] == [(11, 46, 48, Severity.ERROR)]
    assert findings[0].message == (
        "pre.hook.backup.velero.io/container 'db' is not a container of the pod template (spec.containers: app): "
        "Velero fails the hook with \"no such container: db\", counts it in hooksFailed and the backup ends "
        "PartiallyFailed (Velero 1.18.1)")
    assert findings[0].hint == "use one of app"


def test_vm701_init_containers_never_and_native_sidecars_only_after_1_18_1() -> None:
    text = deployment(CMD, "pre.hook.backup.velero.io/container: side", init=SIDECAR)
    error = lint(text, ("VM701",))
    assert [(f.line, f.severity) for f in error] == [(11, Severity.ERROR)]
    assert error[0].message.startswith("pre.hook.backup.velero.io/container 'side' is a native sidecar (an init "
                                       "container with restartPolicy: Always), not one of spec.containers (app)")
    assert error[0].message.endswith("(native sidecars from PR #9403 on)")
    later = lint(text, ("VM701",), velero="1.19.0")
    assert [(f.line, f.severity) for f in later] == [(11, Severity.WARNING)]
    plain_init = lint(text.replace("        restartPolicy: Always\n", ""), ("VM701",), velero="1.19.0")
    assert [f.severity for f in plain_init] == [Severity.ERROR]
    assert "'side' is an init container, not one of spec.containers (app)" in plain_init[0].message


def test_vm701_a_missing_restore_container_sticks_in_finalizing_from_1_14() -> None:
    text = deployment("post.hook.restore.velero.io/command: '[\"/bin/true\"]'",
                      "post.hook.restore.velero.io/container: db")
    new, old = lint(text, ("VM701",)), lint(text, ("VM701",), velero="1.13.2")
    assert [(f.line, f.column) for f in new] == [(11, 48)] == [(f.line, f.column) for f in old]
    assert new[0].message.endswith("discards the pod's post-restore exec hooks, and the restore then waits for them "
                                   "in Finalizing forever (Velero 1.18.1; since 1.14)")
    assert old[0].message.endswith("discards the pod's post-restore exec hooks (Velero 1.13.2)")


def test_vm701_says_which_container_runs_a_hook_without_one() -> None:
    findings = lint(deployment(CMD, containers=TWO), ("VM701",))
    assert [(f.line, f.column, f.severity) for f in findings] == [(10, 9, Severity.INFO)]
    assert findings[0].message == ("the pre hook names no container: Velero runs it in the first of spec.containers, "
                                   "'app' (the template has app, freezer)")
    assert lint(deployment(CMD), ("VM701",)) == []  # one container: no doubt
    # container keys of another phase prefix are not read: the legacy container does not name the pre hook's
    legacy = lint(deployment(CMD, "hook.backup.velero.io/container: freezer", containers=TWO), ("VM701",))
    assert [f.severity for f in legacy] == [Severity.INFO]


FREEZE = "pre.hook.backup.velero.io/command: '[\"/sbin/fsfreeze\", \"--freeze\", \"{}\"]'"
THAW = "post.hook.backup.velero.io/command: '[\"/sbin/fsfreeze\", \"--unfreeze\", \"{}\"]'"


def test_vm702_the_path_must_be_on_a_mount_of_the_hooks_container() -> None:
    ok = deployment(FREEZE.format("/data"), "pre.hook.backup.velero.io/container: freezer", THAW.format("/data/x"),
                    "post.hook.backup.velero.io/container: freezer", containers=TWO)
    assert lint(ok, ("VM702",)) == []
    bad = deployment(FREEZE.format("/var/data"), "pre.hook.backup.velero.io/container: freezer", containers=TWO)
    findings = lint(bad, ("VM702",))
    assert [(f.line, f.column, f.end_column) for f in findings] == [(10, 77, 86)]
    assert findings[0].message == (
        "fsfreeze /var/data runs in container 'freezer', which mounts no volume at or above /var/data (its "
        "volumeMounts: /data/): fsfreeze acts on the filesystem that contains the path, so it freezes the "
        "container's own root filesystem, or fails, and the volume is backed up unfrozen")
    shell = deployment("pre.hook.backup.velero.io/command: '[\"/bin/sh\", \"-c\", \"sync; fsfreeze -f /etc && true\"]'",
                       containers=TWO)
    assert [(f.line, f.column, f.end_column) for f in lint(shell, ("VM702",))] == [(10, 82, 86)]
    computed = shell.replace("/etc", "$DIR")
    assert lint(computed, ("VM702",)) == []


def test_vm703_privileged_or_sys_admin() -> None:
    text = deployment(FREEZE.format("/data"), containers=TWO.replace("      - name: app\n", "      - name: app\n"
                      "        securityContext: {capabilities: {add: [NET_ADMIN]}}\n"))
    findings = lint(text, ("VM703",))
    assert [(f.line, f.column, f.end_column, f.severity) for f in findings] == [(10, 47, 61, Severity.ERROR)]
    assert findings[0].message.startswith("fsfreeze runs in container 'app', which is neither privileged nor adds "
                                          "SYS_ADMIN")
    sys_admin = lint(text.replace("NET_ADMIN", "SYS_ADMIN"), ("VM703",))
    assert [f.severity for f in sys_admin] == [Severity.WARNING]
    freezer = deployment(FREEZE.format("/data"), "pre.hook.backup.velero.io/container: freezer", containers=TWO)
    assert lint(freezer, ("VM703",)) == []


def test_vm108_vm109_on_fsfreeze() -> None:
    only = lint(deployment(FREEZE.format("/data")), ("VM108",))
    assert [(f.line, f.column) for f in only] == [(10, 65)]
    assert only[0].message.startswith("pre.hook.backup.velero.io/command freezes /data with fsfreeze but no post hook")
    differ = lint(deployment(FREEZE.format("/data"), THAW.format("/var")), ("VM108",))
    assert [(f.line, f.column) for f in differ] == [(11, 80)]
    same = lint(deployment(FREEZE.format("/data/"), THAW.format("/data")), ("VM108",))
    assert same == []
    thaw_only = lint(deployment(THAW.format("/data")), ("VM108",))
    assert [(f.line, f.column) for f in thaw_only] == [(10, 66)]
    swapped = lint(deployment(FREEZE.replace("--freeze", "--unfreeze").format("/d"),
                              THAW.replace("--unfreeze", "--freeze").format("/d")), ("VM109",))
    assert [(f.line, f.column) for f in swapped] == [(10, 65), (11, 66)]
    both = lint(deployment("pre.hook.backup.velero.io/command: '[\"fsfreeze\", \"-f\", \"-u\", \"/d\"]'"), ("VM109",))
    assert [(f.line, f.column, f.message.split(":")[0]) for f in both] == [
        (10, 65, "pre.hook.backup.velero.io/command gives fsfreeze both --freeze and --unfreeze")]


INIT = "init.hook.restore.velero.io/"


def test_vm704_init_hooks() -> None:
    panic = lint(deployment(INIT + "container-image: alpine"), ("VM704",))
    assert [(f.line, f.column) for f in panic] == [(10, 9)]
    assert "panics (\"index out of range [0] with length 0\"" in panic[0].message
    empty = lint(deployment(INIT + "container-image: alpine", INIT + "command: ''"), ("VM704",))
    assert [(f.line, f.column) for f in empty] == [(11, 9)]
    dropped = lint(deployment(INIT + "container-name: check", INIT + "command: '[\"date\"]'"), ("VM704",))
    assert [(f.line, f.column) for f in dropped] == [(10, 9), (11, 9)]
    assert dropped[0].message == (
        "init.hook.restore.velero.io/container-name is set but init.hook.restore.velero.io/container-image is "
        "missing: Velero builds the init restore hook only from an image, so it drops the whole hook without a word")
    clash = lint(deployment(INIT + "container-image: alpine", INIT + "container-name: app",
                            INIT + "command: '[\"date\"]'"), ("VM704",))
    assert [(f.line, f.column) for f in clash] == [(11, 53)]
    unknown = lint(deployment(INIT + "container-image: alpine", INIT + "command: '[\"date\"]'", INIT + "timeout: 1m",
                              INIT + "initContainers: x"), ("VM101", "VM704"))
    assert [(f.code, f.line) for f in unknown] == [("VM101", 12), ("VM101", 13)]


WAIT = "post.hook.restore.velero.io/"


def test_vm705_wait_for_ready_without_a_bound_from_1_13() -> None:
    text = deployment(WAIT + "command: '[\"/bin/true\"]'", WAIT + "wait-for-ready: 'TRUE'")
    findings = lint(text, ("VM705",))
    assert [(f.line, f.column, f.severity) for f in findings] == [(11, 9, Severity.WARNING)]
    assert findings[0].message == (
        "post.hook.restore.velero.io/wait-for-ready is true and there is no wait-timeout: Velero waits for 'app' "
        "to be Ready before running the hook, without a limit, so a container that never becomes Ready keeps the "
        "restore waiting forever (in Finalizing since 1.14; Velero 1.18.1)")
    assert lint(text, ("VM705",), velero="1.12.1") == []  # wait-for-ready is not read before 1.13
    assert lint(text, ("VM705",), velero="1.13.0")[0].message.endswith("waiting forever (Velero 1.13.0)")
    bad_timeout = lint(text.replace("'TRUE'\n", "'TRUE'\n        " + WAIT + "wait-timeout: 5 minutes\n"), ("VM705",))
    assert [(f.line, f.column) for f in bad_timeout] == [(12, 51)]
    bounded = text.replace("'TRUE'\n", "'TRUE'\n        " + WAIT + "wait-timeout: 5m\n")
    assert lint(bounded, ("VM705",)) == []
    assert lint(text.replace("'TRUE'", "'yes'"), ("VM705",)) == []  # ParseBool: false (VM113 says so)


def test_vm706_jobs_and_cronjobs() -> None:
    job = deployment(CMD, kind="Job", api="batch/v1")
    findings = lint(job, ("VM706",))
    assert [(f.line, f.column, f.severity) for f in findings] == [(10, 9, Severity.INFO)]
    assert "Velero skips the hooks of Succeeded and Failed pods (Velero 1.18.1)" in findings[0].message
    assert "fails them (\"container not found\")" in lint(job, ("VM706",), velero="1.12.3")[0].message
    assert lint(deployment(CMD), ("VM706",)) == []
    assert lint(deployment(WAIT + "command: '[\"/bin/true\"]'", kind="Job", api="batch/v1"), ("VM706",)) == []


RESTORE = """apiVersion: velero.io/v1
kind: Restore
metadata:
  name: r
  namespace: velero
spec:
  backupName: b
  hooks:
    resources:
    - name: h
      includedResources: [pods, deployments]
      postHooks:
      - init:
          initContainers:
          - name: check
            image: alpine
      - exec:
          command: [/bin/true]
"""


def test_vm504_restore_semantics_and_boundaries() -> None:
    findings = lint(RESTORE, ("VM5",))
    assert [(f.code, f.line, f.column, f.severity) for f in findings] == [
        ("VM504", 11, 7, Severity.WARNING), ("VM504", 15, 13, Severity.ERROR)]
    assert findings[1].message.startswith("spec.hooks.resources[0].postHooks[0].init.initContainers[0] has no command: "
                                          "from 1.10.0")
    assert [(f.line, f.severity) for f in lint(RESTORE, ("VM504",), velero="1.9.1")] == [(11, Severity.WARNING)]
    only_exec = RESTORE.replace("      - init:\n          initContainers:\n          - name: check\n"
                                "            image: alpine\n", "")
    at_1_10_0 = lint(only_exec, ("VM504",), velero="1.10.0")
    assert [(f.line, f.column) for f in at_1_10_0] == [(11, 7), (13, 9)]
    assert "panics" in at_1_10_0[1].message
    assert [(f.line,) for f in lint(only_exec, ("VM504",), velero="1.10.1")] == [(11,)]
    refused = lint(RESTORE.replace("command: [/bin/true]", "command: /bin/true"), ("VM504",))
    assert [(f.line, f.severity) for f in refused] == [(18, Severity.ERROR)]  # refused: nothing more said


def test_vm503_spec_hooks_shadowed_by_a_workloads_pod_template() -> None:
    backup = ("apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b, namespace: velero}\nspec:\n  hooks:\n"
              "    resources:\n    - name: db\n      includedNamespaces: [prod]\n"
              "      labelSelector: {matchLabels: {app: db}}\n      pre:\n      - exec: {command: [/bin/sync]}\n"
              "      post:\n      - exec: {command: [/bin/true]}\n")
    workload = ("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: prod}\nspec:\n  template:\n"
                "    metadata:\n      labels: {app: db}\n      annotations:\n"
                "        pre.hook.backup.velero.io/command: '[\"/bin/sync\"]'\n"
                "    spec:\n      containers: [{name: db, image: postgres}]\n")
    result = run([InputFile("backup.yaml", None, backup.encode()), InputFile("db.yaml", None, workload.encode())],
                 select_rules(builtin_catalogue(), ("VM503",)), Settings())
    assert [(f.path, f.line, f.column) for f in result.findings] == [("backup.yaml", 9, 7)]  # pre only: post runs
    assert result.findings[0].message == (
        "spec.hooks.resources[0] selects the pods of StatefulSet prod/db, whose pod template has a pre annotation "
        "hook, which takes priority: Velero skips a pod's spec pre hooks when its annotations define one, so these "
        "pre hooks never run there")
    other_labels = workload.replace("labels: {app: db}", "labels: {app: web}")
    elsewhere = workload.replace("namespace: prod", "namespace: dev")
    for text in (other_labels, elsewhere):
        result = run([InputFile("backup.yaml", None, backup.encode()), InputFile("db.yaml", None, text.encode())],
                     select_rules(builtin_catalogue(), ("VM503",)), Settings())
        assert result.findings == []
