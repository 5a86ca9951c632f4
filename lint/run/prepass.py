"""The pre-pass: what every file's checks need from the other files, gathered before any check runs.

A VM's cloud-init may live in a Secret of another file (and so may a sysprep volume's answer file, in a Secret or
a ConfigMap), its disk may name a Harvester image defined elsewhere, a kustomization elsewhere may set its
namespace, and an export's VMIs and launcher pods say what the cluster runs. The pre-pass scans every file's
bytes for those kinds, on the run's worker processes; only the files whose bytes name one are parsed, and only
the documents that hold one are built. Kustomizations are read in this process (lint.kube.kustomize), since
each may pull in others from disk. With the cache's Facts, what a file's bytes gave in an earlier run is not
parsed again.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Iterator

from lint.core.findings import Finding
from lint.kube.kustomize import KUSTOMIZATION_NAMES, PATH_HINT
from lint.kube.loading import load_file
from lint.kube.objects import ANSWER_FILE_INTEREST, SECRET_INTEREST
from lint.kubevirt.index import (
    ANSWER_HINT,
    CONFIGMAP_HINT,
    IMAGE_INTEREST,
    IMAGE_KIND,
    SECRET_HINT,
    ConfigMapData,
    RunIndex,
    SecretData,
    configmap_data,
    image_data,
    secret_data,
)
from lint.kubevirt.live import LIVE_INTEREST, add_facts, facts_of, may_hold_live_state, valid_facts
from lint.run.discovery import InputFile
from lint.run.isolation import Failure, internal_error, isolated_map
from lint.text.compose import Limits
from lint.text.interest import Interest

if TYPE_CHECKING:
    from lint.run.cache import Facts

INDEXED = "secrets-images-configmaps"  # what the pre-pass remembers per file content (lint.run.cache.Facts)
LIVE = "live"  # exported VMIs and launcher pods (lint.kubevirt.live)
CHUNK = 32  # files per task sent to a worker process

# The bytes the pre-pass keeps for the main pass when both run in this process: those of the first files, none
# larger than a mebibyte, until the run ends; a bound, so that memory does not grow with the size of the run.
KEPT_BYTES = 16 * 1024 * 1024
KEPT_FILE_BYTES = 1024 * 1024

Parsed = tuple[list[list[Any]], list[list[Any]]]  # (records, live facts), as plain JSON for the cache

# A file whose status (size, modification and change times, inode, device) is as an earlier run recorded it is
# not read again: that run's digest and scan stand. Recorded only for a file last changed this long before it
# was read, so that a change in the same clock tick as the read (a file system's times may be as coarse as two
# seconds) cannot leave the status as it was recorded; git's index treats such "racily clean" files alike.
SETTLED_NS = 3_000_000_000
STATUS = "status"  # the kind of those records in lint.run.cache.Facts


@dataclass(slots=True)
class _Scan:
    """What one file's bytes told the pre-pass, in whichever process read them: small, so that it travels back
    from a worker cheaply (bytes only where this process must read them: a kustomization, a kyaml stream)."""

    display: str
    readable: bool
    digest: str  # "" unless the run keeps a cache
    records: bool  # may hold Secrets, Harvester images or answer-file ConfigMaps
    live: bool  # may hold exported VMIs or launcher pods
    kustomize: bytes  # what lint.kube.kustomize reads of it (b"" for any other file)
    data: bytes | None  # the whole file, only when the main pass runs in this process
    parsed: Parsed | Failure | None  # its records and live facts, when the run has no Facts to ask first
    status: list[int] | None = None  # size, times, inode and device, when settled (SETTLED_NS) and digested

    def record(self) -> list[Any]:
        """What Facts remember of the scan under the file's status."""
        return [*(self.status or ()), self.digest, self.records, self.live, bool(self.kustomize)]


def secrets_index(
    inputs: list[InputFile],
    limits: Limits,
    facts: Facts | None = None,
    digests: dict[str, str] | None = None,
    jobs: int = 1,
    failures: dict[str, Finding] | None = None,
    kept: dict[str, bytes] | None = None,
) -> RunIndex:
    """Index every Secret, Harvester image, answer file, kustomization and exported object of the run.

    Each file is read once here, on `jobs` processes; unreadable ones are reported in the main pass. Without
    `facts` a file that may hold an indexed kind is parsed by the process that read it; with them, only the
    files whose content no earlier run has answered are (read again and) parsed. `digests` receives each
    file's content digest, so that the cache need not read the file a second time; `failures` the VM009
    finding of each file that vmlint failed on here (lint.run.isolation); `kept` the bytes of the first files
    read, up to KEPT_BYTES, for a main pass in this process to use instead of reading them again.
    """
    failures = {} if failures is None else failures
    index = RunIndex()
    if facts is not None:
        index.kustomize.memo = facts.memo
    scan = partial(_scan, limits=limits, digest=digests is not None or facts is not None, parse=facts is None,
                   keep=kept is not None)
    secret_files: list[tuple[InputFile, str]] = []  # in input order: of two Secrets with one name, the last wins
    live_files: list[tuple[InputFile, str]] = []
    parsed: dict[str, Parsed | Failure] = {}
    budget = KEPT_BYTES
    for item, scanned in _scans(inputs, scan, facts, jobs):
        if isinstance(scanned, Failure):
            failures[item.display] = internal_error(replace(scanned, doing="indexing its Secrets and exported state"))
            continue
        if not scanned.readable:
            continue
        if kept is not None and scanned.data is not None and budget >= len(scanned.data):
            kept[item.display] = scanned.data
            budget -= len(scanned.data)
        if digests is not None:
            digests[item.display] = scanned.digest
        try:
            index.kustomize.add_input(item.display, item.path, scanned.kustomize, limits, real=item.real)
        except Exception as err:  # noqa: BLE001 - one file's defect must not end the run (lint.run.isolation)
            failures[item.display] = internal_error(Failure.of(item.display, "reading it as a kustomization", err))
        if scanned.records:
            secret_files.append((item, scanned.digest))
        if scanned.live:
            live_files.append((item, scanned.digest))
        if scanned.parsed is not None:
            parsed[item.display] = scanned.parsed
    index.kustomize.finish_reading()
    if facts is not None:
        parsed.update(_parse_unknown(secret_files, live_files, facts, limits, jobs, kept))
    for kind, files, valid in ((INDEXED, secret_files, _are_records), (LIVE, live_files, valid_facts)):
        for item, content in files:
            done = parsed.get(item.display)
            if isinstance(done, Failure):  # never remembered: the next run tries again
                doing = "indexing its Secrets and exported state"
                failures.setdefault(item.display, internal_error(replace(done, doing=doing)))
                continue
            part = 0 if kind == INDEXED else 1
            found = (facts.recall(kind, content, lambda: parsed[item.display][part], valid)  # type: ignore[index]
                     if facts is not None else done[part])  # type: ignore[index]
            _add(index, kind, found, item.display)
    return index


def _scans(inputs: list[InputFile], scan: Callable[[InputFile], _Scan], facts: Facts | None,
           jobs: int) -> Iterator[tuple[InputFile, _Scan | Failure]]:
    """Each input with its scan, in input order: remembered where the file's status is as recorded (Facts), else
    scanned now on `jobs` processes, and remembered when it may be."""
    remembered = [_remembered(item, facts) for item in inputs] if facts is not None else [None] * len(inputs)
    fresh = isolated_map(scan, [item for item, known in zip(inputs, remembered) if known is None], jobs, CHUNK)
    for item, known in zip(inputs, remembered):
        scanned = known or next(fresh)
        if facts is not None and isinstance(scanned, _Scan) and scanned.status is not None:
            facts.remember(STATUS, _status_key(item), scanned.record())
        yield item, scanned


def _status_key(item: InputFile) -> str:
    return f"{item.helm_template:d}{item.real or item.display}"


def _remembered(item: InputFile, facts: Facts) -> _Scan | None:
    """The scan an earlier run recorded for this file, if its status is still the one recorded then (a record
    that is not the shape _Scan.record gives, from a damaged or foreign cache, is not trusted)."""
    if item.path is None or item.data is not None:
        return None
    known = facts.peek(STATUS, _status_key(item))
    if type(known) is not list or len(known) != 9:
        return None
    digest, records, live, kustomize = known[5:]
    if type(digest) is not str or not all(type(flag) is bool for flag in (records, live, kustomize)):
        return None
    try:
        if _status(os.stat(item.real or item.path)) != known[:5]:
            return None
        data = item.read() if kustomize else b""  # what this process reads of a kustomization, as a scan gives it
    except OSError:
        return None
    return _Scan(item.display, True, digest, records, live, data, None, None, known[:5])


def _status(status: os.stat_result) -> list[int]:
    return [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino, status.st_dev]


def _read(item: InputFile, settle: bool) -> tuple[bytes, list[int] | None]:
    """The file's bytes and, with `settle`, its status if it was settled when read (SETTLED_NS)."""
    if not settle or item.data is not None or item.path is None:
        return item.read(), None
    with open(item.path, "rb") as handle:
        now = time.time_ns()
        status = os.fstat(handle.fileno())
        data = handle.read()
    settled = (max(status.st_mtime_ns, status.st_ctime_ns) < now - SETTLED_NS and len(data) == status.st_size)
    return data, _status(status) if settled else None


def _scan(item: InputFile, limits: Limits, digest: bool, parse: bool, keep: bool) -> _Scan:
    """One file's bytes: their digest, which indexed kinds they may hold (a raw-bytes test: a substring search
    first, the pattern is slower; a Helm template is not read), and, with `parse`, those objects."""
    try:
        data, status = _read(item, digest)
    except OSError:
        return _Scan(item.display, False, "", False, False, b"", None, None)
    template = item.helm_template
    records = not template and ((b"Secret" in data and SECRET_HINT.search(data) is not None)
                                or IMAGE_KIND.encode() in data
                                or (ANSWER_HINT in data and CONFIGMAP_HINT.search(data) is not None))
    live = not template and may_hold_live_state(data)
    kustomize = data if ((item.path is not None and item.path.name in KUSTOMIZATION_NAMES) or PATH_HINT in data) else b""
    return _Scan(
        display=item.display,
        readable=True,
        digest=hashlib.sha256(data).hexdigest() if digest else "",
        records=records,
        live=live,
        kustomize=kustomize,
        data=data if keep and item.data is None and len(data) <= KEPT_FILE_BYTES else None,
        parsed=_parsed_here(item.display, data, records, live, limits) if parse and (records or live) else None,
        status=status,
    )


def _parsed_here(display: str, data: bytes, records: bool, live: bool, limits: Limits) -> Parsed | Failure:
    """_parse in the scanning process: its failure is the file's VM009, and the scan's other answers still count."""
    try:
        return _parse(display, data, records, live, limits)
    except Exception as err:  # noqa: BLE001 - one file's defect must not end the run (lint.run.isolation)
        return Failure.of(display, "indexing its Secrets and exported state", err)


@dataclass(frozen=True)
class _Prepass:
    """A file to parse for its records, its exported state, or both (a file that holds both is parsed once)."""

    item: InputFile
    records: bool
    live: bool

    @property
    def display(self) -> str:
        return self.item.display


def _parse_unknown(secret_files: list[tuple[InputFile, str]], live_files: list[tuple[InputFile, str]], facts: Facts,
                   limits: Limits, jobs: int, kept: dict[str, bytes] | None) -> dict[str, Parsed | Failure]:
    """Parse the files whose content the cache's Facts have no answer for, on `jobs` processes."""
    wanted: dict[str, _Prepass] = {}
    for kind, files, valid in ((INDEXED, secret_files, _are_records), (LIVE, live_files, valid_facts)):
        for item, content in files:
            if not facts.known(kind, content, valid):
                job = wanted.get(item.display, _Prepass(with_bytes(item, kept), False, False))
                wanted[item.display] = replace(job, records=job.records or kind == INDEXED,
                                               live=job.live or kind == LIVE)
    return dict(zip(wanted, isolated_map(partial(_reparse, limits=limits), list(wanted.values()), jobs, CHUNK)))


def _reparse(job: _Prepass, limits: Limits) -> Parsed:
    try:
        data = job.item.read()
    except OSError:
        return [], []
    return _parse(job.item.display, data, job.records, job.live, limits)


def _parse(display: str, data: bytes, records: bool, live: bool, limits: Limits) -> Parsed:
    """A file's Secrets, Harvester VirtualMachineImages and answer-file ConfigMaps (["Secret", namespace, name, values,
    undecodable], ["VirtualMachineImage", namespace, name, {displayName, url}] or ["ConfigMap", namespace, name,
    {answer file key: text}]) and its exported VMIs and launcher pods, as plain JSON (lint.run.cache.Facts
    remembers them), from one parse of the documents that hold them."""
    interest = ((SECRET_INTEREST | IMAGE_INTEREST | ANSWER_FILE_INTEREST) if records else Interest()) | (
        LIVE_INTEREST if live else Interest())
    objects = load_file(display, data, limits=limits, interest=interest).objects
    found: list[list[Any]] = []
    for obj in objects if records else ():
        secret = secret_data(obj)
        if secret is not None:
            found.append(["Secret", secret.namespace, secret.name, secret.values, list(secret.undecodable)])
        elif (image := image_data(obj)) is not None:
            found.append([IMAGE_KIND, obj.namespace, obj.name, image])
        elif (configmap := configmap_data(obj)) is not None:
            found.append(["ConfigMap", configmap.namespace, configmap.name, configmap.values])
    return found, facts_of(objects, display) if live else []


def _add(index: RunIndex, kind: str, found: list[list[Any]], display: str) -> None:
    if kind == LIVE:
        add_facts(index.live, found, display)
        return
    for record in found:
        if record[0] == IMAGE_KIND:
            index.add_image(record[1], record[2], record[3])
        elif record[0] == "ConfigMap":
            index.add_configmap(ConfigMapData(record[1], record[2], record[3]))
        else:
            _, namespace, name, values, undecodable = record
            index.add_secret_data(SecretData(namespace, name, values, tuple(undecodable)))


def with_bytes(item: InputFile, kept: dict[str, bytes] | None) -> InputFile:
    """The input with the bytes the pre-pass kept of it, so that it is not read again."""
    data = kept.get(item.display) if kept else None
    return item if data is None else replace(item, data=data)


def _are_records(value: Any) -> bool:
    """Whether a remembered value has the shape _parse gives: a damaged or foreign cache is not trusted."""
    def strings(mapping: Any) -> bool:
        return isinstance(mapping, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items())

    def record(entry: Any) -> bool:
        if not (isinstance(entry, list) and len(entry) in (4, 5) and isinstance(entry[1], (str, type(None)))
                and isinstance(entry[2], str) and strings(entry[3])):
            return False
        if entry[0] in (IMAGE_KIND, "ConfigMap"):
            return len(entry) == 4
        return (entry[0] == "Secret" and len(entry) == 5 and isinstance(entry[4], list)
                and all(isinstance(key, str) for key in entry[4]))

    return isinstance(value, list) and all(record(entry) for entry in value)
