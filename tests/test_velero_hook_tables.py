"""Velero's own table tests of annotation hooks, run through vmlint as manifests (issue #15 item 6).

Every annotation-parsing entry of velero@d30d389b5 internal/hook/*_test.go (vmware-tanzu/velero, Apache-2.0) is a
case here: the entry's annotations on a Pod, the hook vmlint reads from it (the phase and prefix Velero reads,
container, argv, on-error, timeouts: from lint.checks.workloads.exec_hooks, lint.velero.hooks.parse_command,
lint.golang.duration and lint.golang.strconv, the pieces the rules use), compared with the hook Velero's test
expects, and the exact findings vmlint gives. Each case's id is `<file>:<line> <test case name>`; the line is that
of the entry's `name:` in the file at that commit.

Where Velero's test expects a hook vmlint warns about, the warning is intentional and said next to the case:
Velero's tests check what Velero builds, vmlint says whether that hook can work (a plain string with spaces is one
program name, `[blarg` is not JSON, `invalid` is not a duration: Velero builds the hook all the same, and vmlint
agrees on what it builds).

TestGetPodExecHookFromAnnotations runs each entry with phase "", "pre" and "post"; phase "" is
getPodExecHookFromAnnotations reading the bare legacy keys, which HandleHooks (item_hook_handler.go:220-224) does
for the pre phase only, and only when the `pre.` command reads "" (missing or empty): then the bare keys are the
pre hook as a whole set, container, on-error and timeout included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from lint.checks import CheckContext
from lint.checks.values import _ON_ERROR_VALUES
from lint.checks.workloads import ExecHook, _runs_in, exec_hooks
from lint.golang.duration import parse_duration
from lint.golang.strconv import parse_bool
from lint.kube.loading import load_file
from lint.target.settings import Settings
from lint.velero.hooks import RESTORE_INIT_PREFIX, parse_command
from tests.helpers import lint_result, lint_text, vm_with, where

VELERO = "velero@d30d389b5"
ITEM = "internal/hook/item_hook_handler_test.go"
LEGACY = "hook.backup.velero.io"
PRE = "pre.hook.backup.velero.io"
POST = "post.hook.backup.velero.io"
RESTORE = "post.hook.restore.velero.io"
SECOND = 1_000_000_000


def pod(annotations: dict[str, str], containers: tuple[str, ...] = ()) -> str:
    """Velero's test pod (namespace ns, name name) with the entry's annotations from line 7, column 5."""
    lines = ["apiVersion: v1", "kind: Pod", "metadata:", "  namespace: ns", "  name: name"]
    if annotations:
        lines.append("  annotations:")
        lines += [f"    {key}: {json.dumps(value)}" for key, value in annotations.items()]
    if containers:
        lines += ["spec:", "  containers:"] + [f"  - name: {name}\n    image: busybox" for name in containers]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Hook:
    """An annotation exec hook as Velero's tests spell the expectation (zero values where a field is unset)."""

    container: str = ""
    command: tuple[str, ...] = ()
    on_error: str = ""
    timeout: int = 0  # nanoseconds: ExecHook.Timeout, ExecRestoreHook.ExecTimeout
    wait_timeout: int = 0
    wait_for_ready: bool = False


def _value(hook: ExecHook, annotations: dict[str, str], name: str) -> str:
    return annotations.get(f"{hook.prefix}/{name}", "")


def _duration(text: str) -> int:
    """getPodExecHookFromAnnotations: "" and a ParseDuration error both leave 0 (the error is logged)."""
    parsed = parse_duration(text) if text else None
    return parsed.nanoseconds if parsed is not None and parsed.error is None and parsed.nanoseconds else 0


def vmlint_reads(annotations: dict[str, str], containers: tuple[str, ...] = (),
                 first_container: bool = False) -> dict[str, Hook]:
    """The annotation hooks vmlint says Velero builds from this pod, by phase ("pre", "post", "restore")."""
    loaded = load_file("pod.yaml", pod(annotations, containers).encode())
    if not loaded.pod_workloads:
        return {}  # a pod that mentions no hook key is not even built: it has no annotation hook
    [workload] = loaded.pod_workloads
    ctx = CheckContext(loaded, Settings())
    found = {}
    for hook in exec_hooks(workload, ctx):
        if first_container:  # where the executor (or groupRestoreExecHooks) defaults it
            running = _runs_in(hook, workload.containers())
            container = running.name if running is not None and running.name else ""
        else:
            container = hook.container_name or ""
        on_error = _value(hook, annotations, "on-error")
        restore = hook.phase == "restore"
        found[hook.phase] = Hook(
            container=container,
            command=hook.command.parsed.argv,
            on_error=on_error if on_error in _ON_ERROR_VALUES else "",
            timeout=_duration(_value(hook, annotations, "exec-timeout" if restore else "timeout")),
            wait_timeout=_duration(_value(hook, annotations, "wait-timeout")) if restore else 0,
            wait_for_ready=parse_bool(_value(hook, annotations, "wait-for-ready")) is True,
        )
    return found


def findings(annotations: dict[str, str], containers: tuple[str, ...] = ()) -> list[tuple[str, int, int]]:
    result = lint_result(pod(annotations, containers), ("ALL",))
    assert not result.errors, result.errors
    return where(result.findings)


# --- TestHandleHooks (item_hook_handler_test.go:128): which annotations become the pod's pre/post hook -----------

HANDLE_HOOKS = [
    # (line, name, phase, annotations, expected hook)
    (241, "pod, annotation (legacy), no spec = run annotation", "pre",
     {f"{LEGACY}/container": "c", f"{LEGACY}/command": "/bin/ls"}, Hook("c", ("/bin/ls",))),
    (263, "pod, annotation (pre), no spec = run annotation", "pre",
     {f"{PRE}/container": "c", f"{PRE}/command": "/bin/ls"}, Hook("c", ("/bin/ls",))),
    (285, "pod, annotation (post), no spec = run annotation", "post",
     {f"{POST}/container": "c", f"{POST}/command": "/bin/ls"}, Hook("c", ("/bin/ls",))),
    # the entry's Backup spec hook is not run: the annotation takes priority (VM503's business, below)
    (307, "pod, annotation & spec = run annotation", "pre",
     {f"{LEGACY}/container": "c", f"{LEGACY}/command": "/bin/ls"}, Hook("c", ("/bin/ls",))),
    (342, "pod, annotation, onError=fail = return error", "pre",
     {f"{LEGACY}/container": "c", f"{LEGACY}/command": "/bin/ls", f"{LEGACY}/on-error": "Fail"},
     Hook("c", ("/bin/ls",), "Fail")),
    (368, "pod, annotation, onError=continue = return nil", "pre",
     {f"{LEGACY}/container": "c", f"{LEGACY}/command": "/bin/ls", f"{LEGACY}/on-error": "Continue"},
     Hook("c", ("/bin/ls",), "Continue")),
]


@pytest.mark.parametrize(("line", "name", "phase", "annotations", "expected"), HANDLE_HOOKS,
                         ids=[f"{ITEM}:{case[0]} {case[1]}" for case in HANDLE_HOOKS])
def test_handle_hooks_annotation_entries(line: int, name: str, phase: str, annotations: dict[str, str],
                                         expected: Hook) -> None:
    assert vmlint_reads(annotations) == {phase: expected}
    assert findings(annotations) == []  # a pod without spec.containers: nothing to judge the container against


def test_the_annotation_shadows_the_backup_spec_hook() -> None:
    """velero@d30d389b5 internal/hook/item_hook_handler_test.go:307 "pod, annotation & spec = run annotation": the
    Backup's pre hook for pods never runs on a pod whose legacy annotations are its pre hook (VM503)."""
    backup = (
        "apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: b\n  namespace: velero\nspec:\n"
        "  includedNamespaces: [ns]\n  hooks:\n    resources:\n    - name: hook1\n      pre:\n"
        "      - exec:\n          container: 1a\n          command: [\"1a\"]\n"
    )
    text = pod({f"{LEGACY}/container": "c", f"{LEGACY}/command": "/bin/ls"}) + "---\n" + backup
    assert [f.code for f in lint_result(text, ("VM503",)).findings] == ["VM503"]


# --- TestGetPodExecHookFromAnnotations (item_hook_handler_test.go:502), each entry in phases "", pre, post -------

# (line, name, annotations by key name, expected hook or None, vmlint's findings at line 7 or 8: (code, column of
# the value after `<prefix>/<name>: `) where the hook Velero builds cannot work as written)
GET_POD_EXEC_HOOK = [
    (511, "missing command annotation", {}, None, []),
    # Velero runs "[blarg" as one program name; vmlint says it is not JSON (VM102, at the `b` Go stops at, after
    # the YAML quote and the `[`), intentionally
    (515, "malformed command json array", {"command": "[blarg"}, Hook(command=("[blarg",)), [("VM102", 7, "command", 2)]),
    (524, "valid command json array", {"command": '["a","b","c"]'}, Hook(command=("a", "b", "c")), []),
    (533, "command as a string", {"command": "/usr/bin/foo"}, Hook(command=("/usr/bin/foo",)), []),
    (542, "hook mode set to continue", {"command": "/usr/bin/foo", "on-error": "Continue"},
     Hook(command=("/usr/bin/foo",), on_error="Continue"), []),
    (553, "hook mode set to fail", {"command": "/usr/bin/foo", "on-error": "Fail"},
     Hook(command=("/usr/bin/foo",), on_error="Fail"), []),
    (564, "use the specified timeout", {"command": "/usr/bin/foo", "timeout": "5m3s"},
     Hook(command=("/usr/bin/foo",), timeout=(5 * 60 + 3) * SECOND), []),
    # Velero logs a warning and keeps 0 (the executor's 30s default); vmlint says so at the value (VM106)
    (575, "invalid timeout is logged", {"command": "/usr/bin/foo", "timeout": "invalid"},
     Hook(command=("/usr/bin/foo",)), [("VM106", 8, "timeout", 0)]),
    (585, "use the specified container", {"container": "some-container", "command": "/usr/bin/foo"},
     Hook(container="some-container", command=("/usr/bin/foo",)), []),
]
PHASES = [("", LEGACY, "pre"), ("pre", PRE, "pre"), ("post", POST, "post")]


@pytest.mark.parametrize(("line", "name", "annotations", "expected", "expected_findings"), GET_POD_EXEC_HOOK,
                         ids=[f"{ITEM}:{case[0]} {case[1]}" for case in GET_POD_EXEC_HOOK])
@pytest.mark.parametrize(("velero_phase", "prefix", "phase"), PHASES, ids=[f"phase={p[0]!r}" for p in PHASES])
def test_get_pod_exec_hook_from_annotations_entries(line, name, annotations, expected, expected_findings,
                                                    velero_phase, prefix, phase) -> None:
    keyed = {f"{prefix}/{key}": value for key, value in annotations.items()}
    assert vmlint_reads(keyed) == ({} if expected is None else {phase: expected})
    keys = list(keyed)
    at = [(code, row, len(f"    {prefix}/{key}: ") + 1 + offset) for code, row, key, offset in expected_findings]
    assert findings(keyed) == at
    assert all(keys[row - 7] == f"{prefix}/{key}" for _, row, key, _ in expected_findings)


def test_the_timeout_table_agrees_with_go_durations() -> None:
    """velero@d30d389b5 internal/hook/item_hook_handler_test.go:564 and :575, and the restore table's :769, :795
    and :809 and TestGroupRestoreExecHooks :847: lint.golang.duration reads each value as time.ParseDuration."""
    assert parse_duration("5m3s").nanoseconds == 303 * SECOND and parse_duration("5m3s").error is None
    assert parse_duration("45s").nanoseconds == 45 * SECOND
    assert parse_duration("1h").nanoseconds == 3600 * SECOND
    assert parse_duration("1m").nanoseconds == 60 * SECOND
    assert parse_duration("1s").nanoseconds == SECOND
    assert parse_duration("invalid").error == 'time: invalid duration "invalid"'
    assert parse_duration("none").error == 'time: invalid duration "none"'


# --- the legacy keys as a set: HandleHooks (item_hook_handler.go:220-224) ------------------------------------------


@pytest.mark.parametrize("pre_command", [None, ""], ids=["pre command missing", "pre command empty"])
def test_the_legacy_keys_are_the_pre_hook_as_a_set_when_the_pre_command_reads_empty(pre_command) -> None:
    """getHookAnnotation returns "" for a missing and an empty `pre.` command alike; HandleHooks then reads every
    field from the bare keys, and never a `pre.` container, on-error or timeout beside them."""
    annotations = {f"{PRE}/container": "pre-c", f"{PRE}/on-error": "Fail", f"{PRE}/timeout": "1m",
                   f"{LEGACY}/container": "c", f"{LEGACY}/command": "/bin/ls", f"{LEGACY}/timeout": "5s"}
    if pre_command is not None:
        annotations[f"{PRE}/command"] = pre_command
    assert vmlint_reads(annotations) == {"pre": Hook("c", ("/bin/ls",), "", 5 * SECOND)}


def test_a_pre_command_makes_the_legacy_keys_dead() -> None:
    annotations = {f"{LEGACY}/container": "c", f"{LEGACY}/command": "/bin/ls", f"{PRE}/command": "/bin/true"}
    assert vmlint_reads(annotations) == {"pre": Hook("", ("/bin/true",))}


# --- VM107 on a VirtualMachine's legacy keys: judged exactly where Velero reads them --------------------------------

SKIP = '  annotations:\n    kubevirt.io/skip-backup-hooks: "true"\n'
FREEZE = '\'["/usr/bin/virt-freezer", "--freeze", "--name", "web", "--namespace", "prod"]\''
THAW = '\'["/usr/bin/virt-freezer", "--unfreeze", "--name", "web", "--namespace", "prod"]\''


def skipped_vm(*lines: str) -> str:
    """vm_with's VirtualMachine with KubeVirt's hooks skipped (annotations from line 12, column 9)."""
    return vm_with(*lines).replace("  namespace: prod\n", "  namespace: prod\n" + SKIP, 1)


def vm107(text: str, kubevirt: str | None = None) -> list:
    return [f for f in lint_text(text, ("VM107",), kubevirt=kubevirt)]


def test_a_live_legacy_container_is_judged_at_its_value() -> None:
    found = vm107(skipped_vm(f"{LEGACY}/container: launcher", f"{LEGACY}/command: {FREEZE}",
                             f"{POST}/container: compute", f"{POST}/command: {THAW}"))
    assert where(found) == [("VM107", 12, 42)]
    assert found[0].message.startswith("hook.backup.velero.io/container is 'launcher': virt-freezer")
    assert found[0].hint == "hook.backup.velero.io/container: compute"


@pytest.mark.parametrize("pre_command", ["", None], ids=["pre command empty", "pre command missing"])
def test_the_legacy_container_not_the_pre_one_is_read_when_the_pre_command_reads_empty(pre_command) -> None:
    lines = [f"{PRE}/container: compute", f"{LEGACY}/container: launcher", f"{LEGACY}/command: {FREEZE}",
             f"{POST}/container: compute", f"{POST}/command: {THAW}"]
    if pre_command is not None:
        lines.insert(0, f"{PRE}/command: ''")
    found = vm107(skipped_vm(*lines))
    assert where(found) == [("VM107", 13 + (pre_command is not None), 42)]


def test_a_pre_container_is_judged_and_the_legacy_one_left_to_vm112_beside_a_pre_command() -> None:
    text = skipped_vm(f"{PRE}/container: compute", f"{PRE}/command: {FREEZE}", f"{LEGACY}/container: launcher",
                      f"{LEGACY}/command: {FREEZE}", f"{POST}/container: compute", f"{POST}/command: {THAW}")
    assert vm107(text) == []
    assert where(lint_text(text, ("VM112",))) == [("VM112", 14, 9), ("VM112", 15, 9)]


def test_a_legacy_container_is_dead_where_kubevirt_injects_its_pre_command() -> None:
    text = vm_with(f"{LEGACY}/container: launcher", f"{LEGACY}/command: {FREEZE}")
    assert vm107(text) == []  # KubeVirt's pre. command wins: VM112 says the bare keys are ignored
    assert where(lint_text(text, ("VM112",))) == [("VM112", 10, 9), ("VM112", 11, 9)]


def test_a_live_legacy_hook_without_a_container_is_information_at_its_command() -> None:
    found = vm107(skipped_vm(f"{LEGACY}/command: {FREEZE}", f"{POST}/container: compute", f"{POST}/command: {THAW}"))
    assert [(f.code, f.line, f.column, str(f.severity)) for f in found] == [("VM107", 12, 9, "info")]
    assert found[0].message.startswith("pre hook has no hook.backup.velero.io/container: Velero runs it")
    empty = vm107(skipped_vm(f"{LEGACY}/container: ''", f"{LEGACY}/command: {FREEZE}",
                             f"{POST}/container: compute", f"{POST}/command: {THAW}"))
    assert [(f.line, f.column, str(f.severity)) for f in empty] == [(12, 42, "info")]
    assert empty[0].message.startswith("hook.backup.velero.io/container is empty: Velero reads it like a missing key")


def test_on_a_kubevirt_without_injection_the_legacy_keys_are_live() -> None:
    found = vm107(vm_with(f"{LEGACY}/container: launcher", f"{LEGACY}/command: {FREEZE}",
                          f"{POST}/container: compute", f"{POST}/command: {THAW}"), kubevirt="0.44.0")
    assert where(found) == [("VM107", 10, 42)]
    assert where(lint_text(vm_with(f"{LEGACY}/container: launcher", f"{LEGACY}/command: {FREEZE}"), ("VM112",),
                           kubevirt="0.44.0")) == []


# --- TestGetPodExecRestoreHookFromAnnotations (item_hook_handler_test.go:706) ---------------------------------------

C, WT = f"{RESTORE}/command", f"{RESTORE}/wait-timeout"
GET_POD_EXEC_RESTORE_HOOK = [
    (713, "should return nil when command is missing", {}, None, []),
    # Velero builds no hook; vmlint says the empty command is no hook (VM104)
    (718, "should return nil when command is empty string", {C: ""}, None, [("VM104", 7, 42)]),
    (725, "should return a hook when 1 item command is a string", {C: "/usr/bin/foo"},
     Hook(command=("/usr/bin/foo",)), []),
    (735, "should return a multi-item hook when command is a json array", {C: '["a","b","c"]'},
     Hook(command=("a", "b", "c")), []),
    (745, "error mode continue should be in returned hook when set in annotation",
     {C: "/usr/bin/foo", f"{RESTORE}/on-error": "Continue"}, Hook(command=("/usr/bin/foo",), on_error="Continue"), []),
    (757, "error mode fail should be in returned hook when set in annotation",
     {C: "/usr/bin/foo", f"{RESTORE}/on-error": "Fail"}, Hook(command=("/usr/bin/foo",), on_error="Fail"), []),
    (769, "exec and wait timeouts should be in returned hook when set in annotations",
     {C: "/usr/bin/foo", f"{RESTORE}/exec-timeout": "45s", WT: "1h"},
     Hook(command=("/usr/bin/foo",), timeout=45 * SECOND, wait_timeout=3600 * SECOND), []),
    (783, "container should be in returned hook when set in annotation",
     {C: "/usr/bin/foo", f"{RESTORE}/container": "my-app"}, Hook("my-app", ("/usr/bin/foo",)), []),
    # Velero discards the bad value (0: the executor's 30s default); vmlint says so (VM106)
    (795, "bad exec timeout should be discarded",
     {C: "/usr/bin/foo", f"{RESTORE}/container": "my-app", f"{RESTORE}/exec-timeout": "none"},
     Hook("my-app", ("/usr/bin/foo",)), [("VM106", 9, 47)]),
    # 0 wait timeout: Velero waits for the container without a bound; vmlint says so (VM106)
    (809, "bad wait timeout should be discarded",
     {C: "/usr/bin/foo", f"{RESTORE}/container": "my-app", WT: "none"},
     Hook("my-app", ("/usr/bin/foo",)), [("VM106", 9, 47)]),
]


@pytest.mark.parametrize(("line", "name", "annotations", "expected", "expected_findings"), GET_POD_EXEC_RESTORE_HOOK,
                         ids=[f"{ITEM}:{case[0]} {case[1]}" for case in GET_POD_EXEC_RESTORE_HOOK])
def test_get_pod_exec_restore_hook_from_annotations_entries(line, name, annotations, expected,
                                                            expected_findings) -> None:
    assert vmlint_reads(annotations) == ({} if expected is None else {"restore": expected})
    assert findings(annotations) == expected_findings


# --- TestGroupRestoreExecHooks (item_hook_handler_test.go:833): annotations on a pod with containers ----------------

FULL_RESTORE = {C: "/usr/bin/foo", f"{RESTORE}/container": "container1", f"{RESTORE}/on-error": "Continue",
                f"{RESTORE}/exec-timeout": "1s", WT: "1m"}
GROUP_RESTORE_EXEC_HOOKS = [
    (847, "should return hook from annotation when no spec hooks are set", {**FULL_RESTORE,
                                                                             f"{RESTORE}/wait-for-ready": "true"},
     Hook("container1", ("/usr/bin/foo",), "Continue", SECOND, 60 * SECOND, True)),
    (880, "should default to first pod container when not set in annotation",
     {key: value for key, value in FULL_RESTORE.items() if not key.endswith("/container")},
     Hook("container1", ("/usr/bin/foo",), "Continue", SECOND, 60 * SECOND)),
    # the entry's spec hook (container2, /usr/bin/bar) is ignored: the annotation wins
    (992, "should return hook from annotation ignoring hooks in spec", FULL_RESTORE,
     Hook("container1", ("/usr/bin/foo",), "Continue", SECOND, 60 * SECOND)),
]


@pytest.mark.parametrize(("line", "name", "annotations", "expected"), GROUP_RESTORE_EXEC_HOOKS,
                         ids=[f"{ITEM}:{case[0]} {case[1]}" for case in GROUP_RESTORE_EXEC_HOOKS])
def test_group_restore_exec_hooks_annotation_entries(line, name, annotations, expected) -> None:
    assert vmlint_reads(annotations, ("container1",), first_container=True) == {"restore": expected}
    assert findings(annotations, ("container1",)) == []


# --- TestGetInitContainerFromAnnotations (item_hook_handler_test.go:1212) -------------------------------------------

IMAGE, NAME, INIT = (f"{RESTORE_INIT_PREFIX}/container-image", f"{RESTORE_INIT_PREFIX}/container-name",
                     f"{RESTORE_INIT_PREFIX}/command")
SPACED = "/usr/bin/data-populator /user-data full"
GET_INIT_CONTAINER = [
    # (line, name, annotations, argv Velero's init container runs or None for no init container, findings)
    # no image: Velero drops the init keys whole; on a pod with containers vmlint says so at each key (VM704)
    (1220, "should return nil when container image is empty", {IMAGE: "", NAME: "restore-init", INIT: "/usr/bin/data-populator"},
     None, [("VM704", 8, 5), ("VM704", 9, 5)]),
    (1229, "should return nil when container image is missing", {NAME: "restore-init", INIT: "/usr/bin/data-populator"},
     None, [("VM704", 7, 5), ("VM704", 8, 5)]),
    # Velero's expected argv is the whole string as one element; vmlint agrees and warns that no such program
    # exists (VM103), intentionally
    (1237, "should generate container name when container name is empty", {IMAGE: "busy-box", NAME: "", INIT: SPACED},
     (SPACED,), [("VM103", 9, 43)]),
    (1248, "should generate container name when container name is missing", {IMAGE: "busy-box", INIT: SPACED},
     (SPACED,), [("VM103", 8, 43)]),
    (1258, "should return expected init container when all annotations are specified",
     {IMAGE: "busy-box", NAME: "restore-init", INIT: SPACED}, (SPACED,), [("VM103", 9, 43)]),
    (1269, "should return expected init container when all annotations are specified with command as a JSON array",
     {IMAGE: "busy-box", NAME: "restore-init", INIT: '["a","b","c"]'}, ("a", "b", "c"), []),
    # Velero runs "[foobarbaz" as one program name; vmlint says it is not JSON (VM102), intentionally, where Go
    # stops: at the `o`, since `f` starts the literal `false`
    (1280, "should return expected init container when all annotations are specified with command as malformed a "
     "JSON array", {IMAGE: "busy-box", NAME: "restore-init", INIT: "[foobarbaz"}, ("[foobarbaz",), [("VM102", 9, 45)]),
]


@pytest.mark.parametrize(("line", "name", "annotations", "argv", "expected_findings"), GET_INIT_CONTAINER,
                         ids=[f"{ITEM}:{case[0]} {case[1]}" for case in GET_INIT_CONTAINER])
def test_get_init_container_from_annotations_entries(line, name, annotations, argv, expected_findings) -> None:
    has_image = bool(annotations.get(IMAGE))  # getInitContainerFromAnnotation: an empty image is no init container
    assert (parse_command(annotations[INIT]).argv if has_image else None) == argv
    assert findings(annotations, ("app",)) == expected_findings


# --- the other rules that read "the pre hook" read the one Velero runs ----------------------------------------------


def test_an_empty_pre_command_does_not_shadow_the_legacy_keys() -> None:
    """VM112 used to call the bare keys ignored beside any `pre.` command, an empty one included."""
    text = skipped_vm(f"{PRE}/command: ''", f"{LEGACY}/container: compute", f"{LEGACY}/command: {FREEZE}",
                      f"{POST}/container: compute", f"{POST}/command: {THAW}")
    assert where(lint_text(text, ("VM112",))) == []
    assert where(lint_text(text, ("VM303",))) == []  # the legacy freeze replaces KubeVirt's


def test_an_empty_pre_command_does_not_replace_kubevirts_freeze() -> None:
    """VM303: an empty `pre.` command is no hook, so skipping KubeVirt's leaves nothing that freezes."""
    assert where(lint_text(skipped_vm(f"{PRE}/command: ''"), ("VM303",))) == [("VM303", 7, 36)]


def test_a_live_legacy_freeze_is_timed_by_the_legacy_timeout() -> None:
    """VM304: Velero times the legacy pre hook with hook.backup.velero.io/timeout, never with the pre. one."""
    lines = [f"{LEGACY}/container: compute", f"{LEGACY}/command: {FREEZE}", f"{PRE}/timeout: 90s",
             f"{POST}/container: compute", f"{POST}/command: {THAW}"]
    found = lint_text(skipped_vm(*lines), ("VM304",), kubevirt="1.8.0")
    assert where(found) == [("VM304", 13, 9)]  # at the legacy command: its own timeout is Velero's 30s default
    assert lint_text(skipped_vm(*lines, f"{LEGACY}/timeout: 90s"), ("VM304",), kubevirt="1.8.0") == []


def test_a_dead_legacy_freeze_is_no_freeze() -> None:
    """VM108: beside a `pre.` command that does not freeze, a legacy freeze never runs, so nothing needs a thaw."""
    text = skipped_vm(f"{PRE}/command: '[\"/bin/true\"]'", f"{LEGACY}/command: {FREEZE}")
    assert where(lint_text(text, ("VM108",))) == []
    live = skipped_vm(f"{PRE}/command: ''", f"{LEGACY}/command: {FREEZE}")
    assert where(lint_text(live, ("VM108",))) == [("VM108", 13, 9)]
