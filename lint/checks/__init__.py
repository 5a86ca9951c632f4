"""The checks that rules name in their `check:` field.

A check is a function that reads the object model (never YAML text) and yields Hits. File checks see a whole
loaded file (syntax, repeated keys, templates); workload checks see one KubeVirt object's workload view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from lint.findings import Hit
from lint.index import RunIndex
from lint.loading import LoadedFile
from lint.model import KubeObject, Workload
from lint.settings import Settings


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
    Schedule together with the run's index."""

    scope: Literal["file", "workload", "velero", "suppression"]
    function: Union[FileCheck, WorkloadCheck, VeleroCheck]


def _reported_by_the_engine(target: object, ctx: CheckContext) -> Iterator[Hit]:
    """Unused suppressions are known only once every finding of a file is: lint.engine reports them."""
    return iter(())


def registry() -> dict[str, CheckSpec]:
    """Every check by the name the catalogue uses."""
    from lint.checks import agent, backups, commands, freeze, identity, injection, keys, overlays, policies, structure, values

    return {
        "yaml-syntax": CheckSpec("file", structure.yaml_syntax),
        "unused-suppression": CheckSpec("suppression", _reported_by_the_engine),
        "duplicate-key": CheckSpec("file", structure.duplicate_key),
        "input-limit": CheckSpec("file", structure.input_limit),
        "template-skipped": CheckSpec("file", structure.template_skipped),
        "annotation-not-string": CheckSpec("workload", keys.annotation_not_string),
        "hook-not-on-pod": CheckSpec("workload", keys.hook_not_on_pod),
        "unknown-hook-key": CheckSpec("workload", keys.unknown_hook_key),
        "command-invalid-json": CheckSpec("workload", commands.invalid_json),
        "command-not-argv": CheckSpec("workload", commands.not_argv),
        "command-empty": CheckSpec("workload", commands.empty),
        "unreplaced-placeholder": CheckSpec("workload", identity.unreplaced_placeholder),
        "freezer-name-mismatch": CheckSpec("workload", identity.freezer_name_mismatch),
        "freezer-namespace-mismatch": CheckSpec("workload", identity.freezer_namespace_mismatch),
        "generated-vmi-name": CheckSpec("workload", identity.generated_vmi_name),
        "overlay-namespace-mismatch": CheckSpec("workload", overlays.overlay_namespace_mismatch),
        "hook-container": CheckSpec("workload", freeze.hook_container),
        "unpaired-freeze": CheckSpec("workload", freeze.unpaired_freeze),
        "freeze-phase-swapped": CheckSpec("workload", freeze.freeze_phase_swapped),
        "freezer-args": CheckSpec("workload", freeze.freezer_args),
        "restore-hook-on-launcher": CheckSpec("workload", keys.restore_hook_on_launcher),
        "legacy-hook-keys": CheckSpec("workload", keys.legacy_hook_keys),
        "hook-overridden": CheckSpec("workload", injection.hook_overridden),
        "skip-hooks-misplaced": CheckSpec("workload", injection.skip_hooks_misplaced),
        "freeze-disabled": CheckSpec("workload", injection.freeze_disabled),
        "pre-timeout-too-short": CheckSpec("workload", injection.pre_timeout_too_short),
        "invalid-on-error": CheckSpec("workload", values.invalid_on_error),
        "invalid-duration": CheckSpec("workload", values.invalid_duration),
        "invalid-bool": CheckSpec("workload", values.invalid_bool),
        "guest-agent-missing": CheckSpec("workload", agent.guest_agent_missing),
        "guest-agent-unverifiable": CheckSpec("workload", agent.guest_agent_unverifiable),
        "windows-vss": CheckSpec("workload", agent.windows_vss),
        "cloud-config-invalid": CheckSpec("workload", agent.cloud_config_invalid),
        "agent-install-not-enabled": CheckSpec("workload", agent.agent_install_not_enabled),
        "backup-hook-invalid": CheckSpec("velero", backups.backup_hook_invalid),
        "backup-hook-never-runs": CheckSpec("velero", backups.backup_hook_never_runs),
        "backup-hook-shadowed": CheckSpec("velero", backups.backup_hook_shadowed),
        "require-explicit-on-error": CheckSpec("workload", policies.require_explicit_on_error),
        "require-namespace": CheckSpec("workload", policies.require_namespace),
        "policy": CheckSpec("file", policies.policy),  # custom rules and VM902: lint.policy
    }
