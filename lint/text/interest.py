"""Which documents of a file the selected rules can read, decided before anything is parsed.

Most of a GitOps repository is Deployments, ConfigMaps and Services that no vmlint rule reads. A document
is worth building only if its text contains what the objects a rule reads must contain (a KubeVirt workload
names its kind, a Velero Backup its group and kind): `str.find` over megabytes costs next to nothing, while
building a position-carrying tree is most of a run. Documents no rule reads are still checked for syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Union

Marker = Union[str, "re.Pattern[str]"]  # a string to find, or a pattern to search for after the strings before it


@dataclass(frozen=True)
class Interest:
    """A document is built when it contains every string of one of `needs`; a document matching one of
    `companions` is built only in a file where some document was (a VM's DataVolume or Secret next to it);
    with `everything`, every document is built (a custom rule may select any kind by path)."""

    needs: frozenset[tuple[Marker, ...]] = frozenset()
    companions: frozenset[tuple[Marker, ...]] = frozenset()
    everything: bool = False

    def __or__(self, other: Interest) -> Interest:
        return Interest(self.needs | other.needs, self.companions | other.companions,
                        self.everything or other.everything)

    def select(self, text: str, chunks: Iterable[tuple[int, int]]) -> list[bool]:
        """For each (start, end) chunk of `text`, whether to build it."""
        chunks = list(chunks)
        if self.everything:
            return [True] * len(chunks)
        wanted = [_any_all(text, start, end, self.needs) for start, end in chunks]
        if self.companions and any(wanted):
            wanted = [want or _any_all(text, start, end, self.companions)
                      for want, (start, end) in zip(wanted, chunks)]
        return wanted


    def wants_item(self, text: str, start: int, end: int) -> bool:
        """Whether to build the item at `start`..`end` of a `*List` document that is built (lint.text.compose's
        _ListItems): as a document would be, and a companion since something in its file is built."""
        return self.everything or _any_all(text, start, end, self.needs) or _any_all(text, start, end, self.companions)


def any_of(*markers: str) -> Interest:
    """Documents that contain at least one of `markers`."""
    return Interest(frozenset((marker,) for marker in markers))


def kind_pattern(*kinds: str) -> re.Pattern[str]:
    """`kind: X` in block, flow or JSON style, for kinds whose name alone is too common a word ("Secret" is in
    every `imagePullSecrets`, "Schedule" in every `ScheduleAnyway`)."""
    return re.compile(r"""\bkind["']?[ \t]*:\s*["']?(?:""" + "|".join(map(re.escape, kinds)) + r")\b")


def _any_all(text: str, start: int, end: int, groups: frozenset[tuple[Marker, ...]]) -> bool:
    """Whether the chunk contains every marker of some group. Plain loops: this runs for every document of every
    file, and nested generator expressions cost more than the searches."""
    for group in groups:
        for marker in group:
            if type(marker) is str:
                if text.find(marker, start, end) < 0:
                    break
            elif marker.search(text, start, end) is None:  # type: ignore[union-attr]
                break
        else:
            return True
    return False


EVERYTHING = Interest(everything=True)
