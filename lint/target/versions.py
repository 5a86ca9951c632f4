"""Which KubeVirt and Velero behaviour starts at which release.

The boundaries were read tag by tag (velero-kubevirt-facts Q4.3, Q3.2, Q6, Q8): KubeVirt injects its own
virt-freezer hooks from 0.45.0; it injects a 60s pre-hook timeout and raises the freeze call's deadline from
20s to 60s in 1.6.4, 1.7.2 and 1.8.0; it honours `kubevirt.io/skip-backup-hooks` (and re-syncs its hooks onto
running launcher pods) from 1.6.6, 1.7.3 and 1.8.0. Velero treats an unset or invalid `on-error` like
`Continue` from 1.9.0 (like `Fail` before).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int = 0

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return (self.major, self.minor, self.patch) < (other.major, other.minor, other.patch)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


class VersionError(ValueError):
    """A version string vmlint cannot read, or one it has no facts for."""


_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.\-+]*)?")


def parse_version(text: str) -> Version:
    match = _VERSION.fullmatch(text.strip())
    if not match:
        raise VersionError(f"{text!r} is not a version (expected for example 1.6.4 or v1.6.4)")
    return Version(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))


KUBEVIRT_LATEST = Version(1, 9, 0)
VELERO_LATEST = Version(1, 18, 1)


def _in_patch_releases(version: Version, since: dict[tuple[int, int], int], from_minor: tuple[int, int]) -> bool:
    """True from `from_minor` on, and on older minor lines from the patch release a fix was back-ported to."""
    if (version.major, version.minor) >= from_minor:
        return True
    patch = since.get((version.major, version.minor))
    return patch is not None and version.patch >= patch


@dataclass(frozen=True)
class KubeVirt:
    """What the KubeVirt a manifest is applied to does with Velero hooks."""

    version: Version

    @property
    def injects_hooks(self) -> bool:
        """pre/post `command` and `container` on every launcher pod (commit de9a27d080, "Added virt-freezer")."""
        return self.version >= Version(0, 45, 0)

    @property
    def injects_pre_timeout(self) -> bool:
        """`pre.hook.backup.velero.io/timeout: 60s` ("Add 60s timeout for Velero pre-backup hook")."""
        return _in_patch_releases(self.version, {(1, 6): 4, (1, 7): 2}, (1, 8))

    @property
    def freeze_deadline_seconds(self) -> int:
        """The gRPC deadline of the freeze call: 60s with the injected timeout, 20s before."""
        return 60 if self.injects_pre_timeout else 20

    @property
    def honours_skip_annotation(self) -> bool:
        """`kubevirt.io/skip-backup-hooks` ("Add annotation to skip Velero backup hooks injection")."""
        return _in_patch_releases(self.version, {(1, 6): 6, (1, 7): 3}, (1, 8))

    @property
    def has_unfreeze_timeout_flag(self) -> bool:
        """virt-freezer's `--unfreezeTimeoutSeconds` (commit a6a77eddee, v0.47)."""
        return self.version >= Version(0, 47, 0)

    def managed_keys(self) -> tuple[str, ...]:
        """The hook annotations KubeVirt overwrites on the launcher pod (Generator.ManagedAnnotationKeys)."""
        if not self.injects_hooks:
            return ()
        keys = (
            "pre.hook.backup.velero.io/container",
            "pre.hook.backup.velero.io/command",
            "post.hook.backup.velero.io/container",
            "post.hook.backup.velero.io/command",
        )
        return keys + (("pre.hook.backup.velero.io/timeout",) if self.injects_pre_timeout else ())

    def __str__(self) -> str:
        return f"KubeVirt {self.version}"


@dataclass(frozen=True)
class Velero:
    version: Version

    @property
    def unset_on_error_continues(self) -> bool:
        """From 1.9.0 the executor no longer writes `Fail` into the caller's hook (commit 6d9004dc6)."""
        return self.version >= Version(1, 9, 0)

    def __str__(self) -> str:
        return f"Velero {self.version}"


# Harvester release line -> the KubeVirt it ships (go.mod at each tag).
HARVESTER_KUBEVIRT: dict[tuple[int, int], Version] = {
    (1, 3): Version(1, 1, 0),
    (1, 4): Version(1, 3, 0),
    (1, 5): Version(1, 4, 0),
    (1, 6): Version(1, 5, 0),
    (1, 7): Version(1, 6, 0),
    (1, 8): Version(1, 7, 0),
}


def kubevirt_for_harvester(text: str) -> Version:
    version = parse_version(text)
    found = HARVESTER_KUBEVIRT.get((version.major, version.minor))
    if found is None:
        known = ", ".join(f"{major}.{minor}" for major, minor in HARVESTER_KUBEVIRT)
        raise VersionError(f"no facts for Harvester {version}: known release lines are {known}")
    return found
