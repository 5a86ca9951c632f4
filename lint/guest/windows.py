"""Whether the guest is Windows, as the one OS answer (lint.guest.guestos) says.

A Windows guest gets its agent from virtio-win (VMDP on Harvester) rather than from cloud-init, and freezes
through VSS, so what the cloud-init evidence says does not apply to it: VM401 and VM402 leave a Windows guest
to VM403, which has its own advice. The answer is Windows when its strongest clue is: an OS label or
annotation, a Windows preference, a Windows image, Hyper-V enlightenments, a sysprep volume, or a Windows
driver disk (virtio-win, VMDP); a PVC's name alone is too weak.
"""

from __future__ import annotations

from collections.abc import Sequence as Seq

from lint.guest.evidence import Reason
from lint.guest.guestos import os_answer, windows_clue
from lint.kube.loading import LoadedFile
from lint.kube.objects import Workload
from lint.kubevirt.index import RunIndex


def windows_guest(workload: Workload, file: LoadedFile, index: RunIndex | None, namespace: str | None,
                  configured: Seq[tuple[str, str]] = ()) -> Reason | None:
    """The clue that makes the guest Windows, or None."""
    clue = windows_clue(os_answer(workload, file, index, namespace, configured))
    return Reason(clue.text, clue.span, clue.source) if clue is not None else None
