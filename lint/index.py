"""Facts gathered across all files of a run, for rules that relate objects in different files.

Only small, derived facts are kept (never whole files), so a run over a large repository stays small.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lint.effective import hook_state
from lint.model import KubeObject, Workload
from lint.settings import Settings
from lint.yamldoc import Scalar

VELERO_GROUP = "velero.io"
VELERO_KINDS = ("Backup", "Schedule")


@dataclass(frozen=True)
class Launcher:
    """What a virt-launcher pod of a workload will look like to a Velero Backup's hook selector."""

    kind: str
    name: str | None
    namespace: str | None
    labels: dict[str, str]
    annotation_hooks: bool  # the pod carries pre/post annotation hooks (KubeVirt's or the user's)


@dataclass
class RunIndex:
    launchers: list[Launcher] = field(default_factory=list)

    def add_workload(self, workload: Workload, settings: Settings) -> None:
        labels = {}
        pod_labels = workload.pod_labels
        if pod_labels is not None:
            labels = {k.value: v.value for k, v in pod_labels.entries() if isinstance(v, Scalar)}
        labels["kubevirt.io"] = "virt-launcher"
        name = workload.name.value if workload.name else None
        if name and workload.spec.vmi_names == "own":
            labels.setdefault("vm.kubevirt.io/name", name)
        state = hook_state(workload, settings)
        own_hooks = workload.pod_annotations is not None and any(
            key.value.endswith("hook.backup.velero.io/command") for key, _ in workload.pod_annotations.mapping.entries()
        )
        self.launchers.append(
            Launcher(
                workload.kind,
                name,
                workload.namespace.value if workload.namespace else None,
                labels,
                state.injected or own_hooks,
            )
        )


def is_velero_object(obj: KubeObject) -> bool:
    return obj.group == VELERO_GROUP and obj.kind in VELERO_KINDS
