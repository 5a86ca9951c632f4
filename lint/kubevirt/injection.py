"""Which of a workload's hook annotations take effect on the launcher pod at the target KubeVirt version.

KubeVirt (pkg/storage/pod/annotations/generator.go Generate, since 0.45) writes its own virt-freezer hooks over
the pod's `pre|post.hook.backup.velero.io/{command,container}` (and, since 1.6.4/1.7.2/1.8.0, the pre
`timeout`) unless `kubevirt.io/skip-backup-hooks` parses true with strconv.ParseBool, read from the VMI
(from the VM's own metadata for a VM) and honoured since 1.6.6/1.7.3/1.8.0. The user's keys it does not
manage pass through: `on-error`, the post `timeout`, and the pre `timeout` where none is injected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from lint.golang.strconv import parse_bool
from lint.kube.objects import Workload
from lint.target.settings import Settings
from lint.target.versions import KubeVirt
from lint.text.nodes import Scalar
from lint.text.scalars import node_type

SKIP_HOOKS_KEY = "kubevirt.io/skip-backup-hooks"


@dataclass(frozen=True)
class Skip:
    """The skip annotation where it takes effect, and what KubeVirt makes of it."""

    key: Scalar | None
    value: Scalar | None
    parsed: bool | None  # strconv.ParseBool's answer; None when absent or unparsable (KubeVirt ignores the error)
    honoured: bool  # the target KubeVirt reads the annotation at all

    @property
    def skips(self) -> bool:
        return self.honoured and self.parsed is True


@dataclass(frozen=True)
class HookState:
    kubevirt: KubeVirt
    skip: Skip
    injected: bool  # KubeVirt writes its own hooks onto the pod

    def overwritten(self, key: str) -> bool:
        return self.injected and key in self.kubevirt.managed_keys()

    def overwritten_note(self, key: str) -> str:
        """The clause a message adds for a key that is dead today but live once someone opts out (or, where the
        target KubeVirt cannot honour the opt-out, after an upgrade): every rule that judges a value KubeVirt
        overwrites (commands, `timeout`, `container`) says it with this clause and keeps its severity."""
        if not self.overwritten(key):
            return ""
        if not self.skip.honoured:
            # before 1.6.6/1.7.3/1.8.0 KubeVirt does not read the skip annotation: nothing revives the value
            return (f" (overwritten by {self.kubevirt} today, which does not read {SKIP_HOOKS_KEY}: the value "
                    f"becomes live only after an upgrade to 1.6.6, 1.7.3, 1.8.0 or later with {SKIP_HOOKS_KEY} "
                    "\"true\")")
        return f" (overwritten by {self.kubevirt} today; live again once {SKIP_HOOKS_KEY} is \"true\")"


def skip_setting(workload: Workload, settings: Settings) -> Skip:
    honoured = settings.kubevirt.honours_skip_annotation
    amap = workload.skip_annotations
    entry = amap.mapping.entry(SKIP_HOOKS_KEY) if amap else None
    if entry is None:
        return Skip(None, None, None, honoured)
    key, value = entry
    if not isinstance(value, Scalar) or node_type(value) not in ("str", "bool"):
        return Skip(key, None, None, honoured)
    return Skip(key, value, parse_bool(value.value), honoured)


def hook_state(workload: Workload, settings: Settings) -> HookState:
    def compute() -> HookState:
        skip = skip_setting(workload, settings)
        if not workload.spec.kubevirt or workload.is_launcher_pod:
            # a Kubernetes workload's pods get no KubeVirt hooks; an exported launcher pod's annotations are
            # already what KubeVirt left
            return HookState(settings.kubevirt, skip, injected=False)
        return HookState(settings.kubevirt, skip, injected=settings.kubevirt.injects_hooks and not skip.skips)

    return workload.once(("hook_state", id(settings)), compute)


def injected_command(phase: str, name: str, namespace: str) -> list[str]:
    """The argv KubeVirt injects (names formatted with Go's %q inside a JSON array)."""
    flag = "--freeze" if phase == "pre" else "--unfreeze"
    return ["/usr/bin/virt-freezer", flag, "--name", name, "--namespace", namespace]


def injected_value(key: str, name: str | None, namespace: str | None) -> str | None:
    """What KubeVirt writes for a managed key, where it can be known offline."""
    phase, _, field = key.partition(".hook.backup.velero.io/")
    if field == "container":
        return "compute"
    if field == "timeout":
        return "60s"
    if field == "command" and name and namespace:
        return json.dumps(injected_command(phase, name, namespace))
    return None
