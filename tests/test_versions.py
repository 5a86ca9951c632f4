"""The version table at its boundaries, and Harvester's KubeVirt per release line."""

from __future__ import annotations

import pytest

from lint.target.versions import KubeVirt, Velero, Version, VersionError, kubevirt_for_harvester, parse_version


def kv(text: str) -> KubeVirt:
    return KubeVirt(parse_version(text))


@pytest.mark.parametrize(
    ("version", "injects", "pre_timeout", "deadline", "skip"),
    [
        ("0.44.9", False, False, 20, False),
        ("0.45.0", True, False, 20, False),
        ("1.5.3", True, False, 20, False),
        ("1.6.3", True, False, 20, False),
        ("1.6.4", True, True, 60, False),
        ("1.6.5", True, True, 60, False),
        ("1.6.6", True, True, 60, True),
        ("1.7.0", True, False, 20, False),
        ("1.7.1", True, False, 20, False),
        ("1.7.2", True, True, 60, False),
        ("1.7.3", True, True, 60, True),
        ("1.8.0", True, True, 60, True),
        ("1.9.0", True, True, 60, True),
        ("v2.0.0-rc.1", True, True, 60, True),
    ],
)
def test_kubevirt_behaviour_by_release(version, injects, pre_timeout, deadline, skip) -> None:
    target = kv(version)
    assert (target.injects_hooks, target.injects_pre_timeout, target.freeze_deadline_seconds,
            target.honours_skip_annotation) == (injects, pre_timeout, deadline, skip)  # fmt: skip


def test_managed_keys_follow_the_injected_timeout() -> None:
    assert kv("0.44.0").managed_keys() == ()
    assert "pre.hook.backup.velero.io/timeout" not in kv("1.6.3").managed_keys()
    assert kv("1.6.4").managed_keys()[-1] == "pre.hook.backup.velero.io/timeout"
    assert len(kv("1.8.0").managed_keys()) == 5


def test_unfreeze_timeout_flag_from_0_47() -> None:
    assert not kv("0.46.9").has_unfreeze_timeout_flag and kv("0.47.0").has_unfreeze_timeout_flag


@pytest.mark.parametrize(("version", "continues"), [("1.8.2", False), ("1.9.0", True), ("1.18.1", True)])
def test_velero_unset_on_error(version, continues) -> None:
    assert Velero(parse_version(version)).unset_on_error_continues is continues


@pytest.mark.parametrize(
    ("harvester", "kubevirt"),
    [("1.3.0", "1.1.0"), ("v1.4.2", "1.3.0"), ("1.5.0", "1.4.0"), ("1.6.1", "1.5.0"), ("1.7.3", "1.6.0"), ("1.8.2", "1.7.0")],
)
def test_harvester_release_lines(harvester, kubevirt) -> None:
    assert kubevirt_for_harvester(harvester) == parse_version(kubevirt)


def test_unknown_versions_are_errors_not_guesses() -> None:
    with pytest.raises(VersionError, match="no facts for Harvester 1.2.0"):
        kubevirt_for_harvester("1.2.0")
    with pytest.raises(VersionError, match="not a version"):
        parse_version("latest")
    assert parse_version("v1.6") == Version(1, 6, 0)
