"""The checks that rules name in their `check:` field.

A check is a function that reads the object model (never YAML text) and yields Hits. File checks see a whole
loaded file (syntax, repeated keys, templates); workload checks see one KubeVirt object's workload view.

The registry names each check's function by its module path and imports the module only when the check first
runs: a run imports only what its rules and its files need (no check module at all when every file comes from
the cache), which keeps the start-up of a one-file run short.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, Union

from lint.core.findings import Hit
from lint.kube.loading import LoadedFile
from lint.kube.objects import KubeObject, Workload
from lint.kubevirt.index import RunIndex
from lint.target.settings import Settings


@dataclass(frozen=True)
class CheckContext:
    file: LoadedFile
    settings: Settings
    params: dict[str, Any] = field(default_factory=dict)
    index: RunIndex | None = None  # Secrets of every file; launcher pods only complete for "velero" checks


FileCheck = Callable[[LoadedFile, CheckContext], Iterator[Hit]]
WorkloadCheck = Callable[[Workload, CheckContext], Iterator[Hit]]
VeleroCheck = Callable[[KubeObject, CheckContext], Iterator[Hit]]


@dataclass(frozen=True)
class CheckSpec:
    """A check and what it looks at: a file, a workload, or (after every file is read) a Velero Backup or
    Schedule together with the run's index. `target` is the check function's dotted path, imported on first use."""

    scope: Literal["file", "workload", "velero", "suppression", "engine"]
    target: str

    @cached_property
    def function(self) -> Union[FileCheck, WorkloadCheck, VeleroCheck]:
        module, _, name = self.target.rpartition(".")
        # __import__ rather than importlib.import_module, which `python -X importtime` does not report
        return getattr(__import__(module, fromlist=[name]), name)  # type: ignore[no-any-return]


def _reported_by_the_engine(target: object, ctx: CheckContext) -> Iterator[Hit]:
    """Unused suppressions are known only once every finding of a file is, and internal errors (VM009) are the
    engine's own failures (lint.run.isolation): lint.run.engine reports both."""
    return iter(())


def registry() -> dict[str, CheckSpec]:
    """Every check by the name the catalogue uses (a registry that imports no check module)."""
    return {
        "yaml-syntax": CheckSpec("file", "lint.checks.structure.yaml_syntax"),
        "unused-suppression": CheckSpec("suppression", "lint.checks._reported_by_the_engine"),
        "internal-error": CheckSpec("engine", "lint.checks._reported_by_the_engine"),
        "duplicate-key": CheckSpec("file", "lint.checks.structure.duplicate_key"),
        "input-limit": CheckSpec("file", "lint.checks.structure.input_limit"),
        "template-skipped": CheckSpec("file", "lint.checks.structure.template_skipped"),
        "annotation-not-string": CheckSpec("workload", "lint.checks.keys.annotation_not_string"),
        "hook-not-on-pod": CheckSpec("workload", "lint.checks.keys.hook_not_on_pod"),
        "unknown-hook-key": CheckSpec("workload", "lint.checks.keys.unknown_hook_key"),
        "command-invalid-json": CheckSpec("workload", "lint.checks.commands.invalid_json"),
        "command-not-argv": CheckSpec("workload", "lint.checks.commands.not_argv"),
        "command-empty": CheckSpec("workload", "lint.checks.commands.empty"),
        "unreplaced-placeholder": CheckSpec("workload", "lint.checks.identity.unreplaced_placeholder"),
        "freezer-name-mismatch": CheckSpec("workload", "lint.checks.identity.freezer_name_mismatch"),
        "freezer-namespace-mismatch": CheckSpec("workload", "lint.checks.identity.freezer_namespace_mismatch"),
        "generated-vmi-name": CheckSpec("workload", "lint.checks.identity.generated_vmi_name"),
        "overlay-namespace-mismatch": CheckSpec("workload", "lint.checks.overlays.overlay_namespace_mismatch"),
        "hook-container": CheckSpec("workload", "lint.checks.freeze.hook_container"),
        "unpaired-freeze": CheckSpec("workload", "lint.checks.freeze.unpaired_freeze"),
        "freeze-phase-swapped": CheckSpec("workload", "lint.checks.freeze.freeze_phase_swapped"),
        "freezer-args": CheckSpec("workload", "lint.checks.freeze.freezer_args"),
        "restore-hook-on-launcher": CheckSpec("workload", "lint.checks.keys.restore_hook_on_launcher"),
        "legacy-hook-keys": CheckSpec("workload", "lint.checks.keys.legacy_hook_keys"),
        "hook-overridden": CheckSpec("workload", "lint.checks.injection.hook_overridden"),
        "skip-hooks-misplaced": CheckSpec("workload", "lint.checks.injection.skip_hooks_misplaced"),
        "freeze-disabled": CheckSpec("workload", "lint.checks.injection.freeze_disabled"),
        "pre-timeout-too-short": CheckSpec("workload", "lint.checks.injection.pre_timeout_too_short"),
        "invalid-on-error": CheckSpec("workload", "lint.checks.values.invalid_on_error"),
        "invalid-duration": CheckSpec("workload", "lint.checks.values.invalid_duration"),
        "invalid-bool": CheckSpec("workload", "lint.checks.values.invalid_bool"),
        "guest-agent-missing": CheckSpec("workload", "lint.checks.agent.guest_agent_missing"),
        "guest-agent-unverifiable": CheckSpec("workload", "lint.checks.agent.guest_agent_unverifiable"),
        "windows-vss": CheckSpec("workload", "lint.checks.agent.windows_vss"),
        "cloud-config-invalid": CheckSpec("workload", "lint.checks.agent.cloud_config_invalid"),
        "agent-install-not-enabled": CheckSpec("workload", "lint.checks.agent.agent_install_not_enabled"),
        "guest-freeze-denied": CheckSpec("workload", "lint.checks.readiness.guest_freeze_denied"),
        "agent-rpc-filtered": CheckSpec("workload", "lint.checks.readiness.agent_rpc_filtered"),
        "backup-hook-invalid": CheckSpec("velero", "lint.checks.backups.backup_hook_invalid"),
        "backup-hook-never-runs": CheckSpec("velero", "lint.checks.backups.backup_hook_never_runs"),
        "backup-hook-shadowed": CheckSpec("velero", "lint.checks.backups.backup_hook_shadowed"),
        "guest-left-frozen": CheckSpec("workload", "lint.checks.state.guest_left_frozen"),
        "agent-not-connected": CheckSpec("workload", "lint.checks.state.agent_not_connected"),
        "agent-unsupported": CheckSpec("workload", "lint.checks.state.agent_unsupported"),
        "paused-during-backup": CheckSpec("workload", "lint.checks.state.paused_during_backup"),
        "hook-success-unproven": CheckSpec("velero", "lint.checks.state.hook_success_unproven"),
        "launcher-hooks-drift": CheckSpec("workload", "lint.checks.state.launcher_hooks_drift"),
        "hook-container-missing": CheckSpec("workload", "lint.checks.workloads.hook_container_missing"),
        "fsfreeze-path-not-mounted": CheckSpec("workload", "lint.checks.workloads.fsfreeze_path_not_mounted"),
        "fsfreeze-unprivileged": CheckSpec("workload", "lint.checks.workloads.fsfreeze_unprivileged"),
        "restore-init-hook-incomplete": CheckSpec("workload", "lint.checks.workloads.restore_init_hook_incomplete"),
        "restore-wait-unbounded": CheckSpec("workload", "lint.checks.workloads.restore_wait_unbounded"),
        "hook-on-finished-pods": CheckSpec("workload", "lint.checks.workloads.hook_on_finished_pods"),
        "restore-hook-invalid": CheckSpec("velero", "lint.checks.hookschema.restore_hook_invalid"),
        "require-explicit-on-error": CheckSpec("workload", "lint.checks.policies.require_explicit_on_error"),
        "require-namespace": CheckSpec("workload", "lint.checks.policies.require_namespace"),
        "policy": CheckSpec("file", "lint.checks.parameterised.policy_check"),  # custom rules and VM902
    }
