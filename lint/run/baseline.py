"""Baselines: record today's findings, then report only new ones.

Entries key on the file, the object (kind, namespace, name), the rule and a hash of the offending text, not on
line numbers, so edits elsewhere in a file do not resurrect old findings. Identical findings are counted, so
a second copy of a baselined mistake is still new. Entries that match nothing any more are reported as fixed.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lint.core.findings import Finding

VERSION = 1


class BaselineError(ValueError):
    """A baseline file that cannot be read: a usage error."""


@dataclass(frozen=True)
class Entry:
    path: str
    code: str
    kind: str | None
    namespace: str | None
    name: str | None
    digest: str

    @classmethod
    def of(cls, finding: Finding) -> Entry:
        text = " ".join(finding.excerpt.split())
        digest = hashlib.sha256(f"{finding.code}\0{text}".encode()).hexdigest()[:16]
        return cls(finding.path, finding.code, finding.kind, finding.namespace, finding.name, digest)


def write_baseline(path: Path, findings: Iterable[Finding]) -> int:
    counts = Counter(Entry.of(finding) for finding in findings)
    entries = [
        {**entry.__dict__, "count": count}
        for entry, count in sorted(counts.items(), key=lambda item: tuple(str(v) for v in item[0].__dict__.values()))
    ]
    path.write_text(json.dumps({"version": VERSION, "tool": "vmlint", "entries": entries}, indent=2) + "\n",
                    encoding="utf-8")
    return sum(counts.values())


def read_baseline(path: Path) -> Counter[Entry]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("version") != VERSION:
            raise BaselineError(f"{path}: not a vmlint baseline of version {VERSION}")
        return Counter({Entry(**{k: item[k] for k in Entry.__dataclass_fields__}): int(item.get("count", 1))
                        for item in document["entries"]})
    except OSError as err:
        raise BaselineError(f"{path}: cannot read baseline: {err.strerror or err}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise BaselineError(f"{path}: not a vmlint baseline ({err})") from None


def apply_baseline(findings: list[Finding], baseline: Counter[Entry]) -> tuple[list[Finding], int]:
    """The findings the baseline does not account for, and how many baseline entries matched nothing."""
    remaining = Counter(baseline)
    new = []
    for finding in findings:
        entry = Entry.of(finding)
        if remaining[entry] > 0:
            remaining[entry] -= 1
        else:
            new.append(finding)
    return new, sum(remaining.values())
