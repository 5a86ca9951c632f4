"""The cloud-init user data KubeVirt gives the guest, and what kind of data cloud-init takes it for.

KubeVirt reads the first `cloudInitNoCloud` / `cloudInitConfigDrive` volume only (pkg/cloud-init
ReadCloudInitVolumeDataSource): `userData`, else `userDataBase64`, replaced by the `userdata` (or `userData`)
key of the Secret that `secretRef` names when that Secret is in the lint run (the RunIndex). Decoded user
data is capped at MAX_USER_DATA bytes. Data over the cap, not valid base64, compressed or not text, and a
Secret outside the run, leave the evidence "unknown". read_user_data classifies the text by its start as
cloud-init does and hands it to the reader of its kind (cloudinit, scripts, ignition); MIME multi-part and
`#include` data are beyond reading.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from lint.guest.cloudinit import read_cloud_config
from lint.guest.evidence import Reading, Reason, Where, items, pod_spec, scalar
from lint.guest.ignition import read_ignition
from lint.guest.scripts import read_script
from lint.kube.loading import LoadedFile
from lint.kube.objects import Workload
from lint.kubevirt.index import RunIndex
from lint.text.nodes import Mapping, Scalar, Span
from lint.text.scalars import node_type

MAX_USER_DATA = 1024 * 1024  # decoded bytes; more is "unknown"
_HEADERS = (  # cloud-init's type_from_starts_with, on the lower-cased, left-stripped text; longest first
    ("#cloud-config-archive", "unknown"),
    ("#cloud-config-jsonp", "unknown"),
    ("#cloud-config", "cloud-config"),
    ("#cloud-boothook", "shell"),
    ("#include-once", "unknown"),
    ("#include", "unknown"),
    ("#part-handler", "unknown"),
    ("#upstart-job", "unknown"),
    ("## template: jinja", "unknown"),
    ("#!", "shell"),
    ("content-type:", "multipart"),
    ("mime-version:", "multipart"),
)


@dataclass(frozen=True)
class UserData:
    text: str | None  # None when it cannot be read (then `unknown` says why)
    origin: str  # "userData", "userDataBase64", "the Secret prod/web (key userdata)"
    where: Where
    unknown: Reason | None = None


def cloud_init_volume(workload: Workload) -> tuple[str, Mapping, Scalar] | None:
    """The first cloud-init volume source: KubeVirt reads only that one."""
    spec = pod_spec(workload)
    for volume in items(spec.get("volumes") if spec else None):
        if not isinstance(volume, Mapping):
            continue
        for kind in ("cloudInitNoCloud", "cloudInitConfigDrive"):
            entry = volume.entry(kind)
            if entry is not None and isinstance(entry[1], Mapping):
                return kind, entry[1], entry[0]
    return None


def user_data(workload: Workload, file: LoadedFile, index: RunIndex | None,
              default_namespace: str | None) -> UserData | None:
    """The user data KubeVirt gives the guest, or None when there is none (no volume, network data only)."""
    found = cloud_init_volume(workload)
    if found is None:
        return None
    _, volume, _ = found
    source = file.source
    ref = volume.get("secretRef") or volume.get("userDataSecretRef")
    ref_name = scalar(ref, "name")
    inline = _string(scalar(volume, "userData"))
    if ref_name is not None and ref_name.value:
        namespace = workload.namespace.value if workload.namespace else default_namespace
        secret = None
        if index is not None:
            secret = index.secret(namespace, ref_name.value)
            if secret is None and namespace == default_namespace:
                secret = index.secret(None, ref_name.value)  # applied to the same default namespace
        label = f"{namespace}/{ref_name.value}" if namespace else ref_name.value
        if secret is None:
            why = f"the user data is in the Secret {label}, which is not in this lint run"
            hint = "lint the Secret's manifest together with the VM (for example the whole repository)"
            other = [s for (ns, name), s in (index.secrets.items() if index else ()) if name == ref_name.value]
            if other:
                why += f" (a Secret {ref_name.value} in namespace {other[0].namespace or '(none)'} is, but KubeVirt " \
                       "reads the Secret from the VM's own namespace)"
            return UserData(None, f"the Secret {label}", Where(None, None, ref_name.span),
                            Reason(why, ref_name.span, "secret", hint))
        for data_key in ("userdata", "userData"):
            if data_key in secret.undecodable:
                return UserData(None, f"the Secret {label}", Where(None, None, ref_name.span),
                                Reason(f"the Secret {label}'s {data_key} is not valid base64 or not UTF-8 text",
                                       ref_name.span, "secret", "fix the Secret's data"))
            if secret.values.get(data_key):
                text = secret.values[data_key]
                where = _secret_where(file, secret.name, namespace, data_key, text) or Where(None, None, ref_name.span)
                return _capped(UserData(text, f"the Secret {label} (key {data_key})", where), ref_name.span)
        if inline is None or not inline.value:
            return None  # KubeVirt finds no user data in the Secret: the guest gets none
    if inline is not None and inline.value:
        return _capped(UserData(inline.value, "userData", Where(source, inline, inline.span)), inline.span)
    encoded = _string(scalar(volume, "userDataBase64"))
    if encoded is not None and encoded.value:
        return _decoded(encoded)
    return None


def _string(scalar: Scalar | None) -> Scalar | None:
    """The scalar when Kubernetes reads it as a string (the API rejects `userData: 5`)."""
    return scalar if scalar is not None and node_type(scalar) == "str" else None


def _capped(data: UserData, span: Span) -> UserData:
    if data.text is not None and len(data.text) > MAX_USER_DATA:
        return UserData(None, data.origin, data.where, _too_large(data.origin, span))
    return data


def _too_large(origin: str, span: Span) -> Reason:
    return Reason(f"the user data in {origin} is larger than {MAX_USER_DATA // 1024} KiB, more than vmlint reads",
                  span, "size", "annotate the VM with vmlint.io/guest-agent: \"installed\" if the image or the "
                  "user data sets the agent up")


def _decoded(scalar: Scalar) -> UserData:
    where = Where(None, None, scalar.span)
    compact = scalar.value.replace("\r", "").replace("\n", "")  # Go's StdEncoding skips line breaks only
    if len(compact) // 4 * 3 > MAX_USER_DATA:
        return UserData(None, "userDataBase64", where, _too_large("userDataBase64", scalar.span))
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return UserData(None, "userDataBase64", where, Reason(
            "userDataBase64 is not valid base64: KubeVirt cannot decode it", scalar.span, "base64",
            "encode the user data with `base64 -w0`"))
    if raw.startswith(b"\x1f\x8b"):
        return UserData(None, "userDataBase64", where, Reason(
            "userDataBase64 is gzip-compressed, which vmlint does not unpack", scalar.span, "base64",
            "annotate the VM with vmlint.io/guest-agent: \"installed\" if the user data sets the agent up"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return UserData(None, "userDataBase64", where, Reason(
            "userDataBase64 decodes to binary data, not text", scalar.span, "base64", None))
    return _capped(UserData(text, "userDataBase64", where), scalar.span)


def _secret_where(file: LoadedFile, name: str, namespace: str | None, key: str, text: str) -> Where | None:
    """Exact positions when the Secret stands in the workload's own file with the user data in `stringData`."""
    for obj in file.objects:
        if obj.kind != "Secret" or obj.group != "" or obj.name != name or obj.namespace not in (None, namespace):
            continue
        plain = scalar(obj.node, "stringData", key)
        if plain is not None and plain.value == text:
            return Where(file.source, plain, plain.span)
        encoded = scalar(obj.node, "data", key)
        if encoded is not None:
            return Where(None, None, encoded.span)
    return None


def user_reading(workload: Workload, file: LoadedFile, index: RunIndex | None,
                 default_namespace: str | None) -> tuple[UserData | None, Reading | None]:
    """The user data and what it was read to do, once per workload: the agent's evidence, the OS answer and
    the readiness rules all read the same Reading."""
    def compute() -> tuple[UserData | None, Reading | None]:
        data = user_data(workload, file, index, default_namespace)
        return data, (read_user_data(data) if data is not None and data.text is not None else None)
    return workload.once(("user-data", id(index), default_namespace), compute)  # type: ignore[no-any-return]


def read_user_data(data: UserData) -> Reading:
    """Classify the user data the way cloud-init does and collect what it does to the agent."""
    assert data.text is not None
    text = data.text
    head = text.lstrip().lower()
    where = data.where
    first_line = text[len(text) - len(text.lstrip()):].split("\n", 1)[0]
    start = len(text) - len(text.lstrip())
    header_span = where.span(start, start + max(len(first_line), 1)) if text.strip() else where.anchor
    if not text.strip():
        return Reading("empty", Reason(f"the user data in {data.origin} is empty", where.anchor, data.origin))
    kind = next((k for prefix, k in _HEADERS if head.startswith(prefix)), None)
    if kind is None and head.startswith("{") and '"ignition"' in text:
        kind = "ignition"
    described = {
        "cloud-config": "the #cloud-config", "shell": "the shell script", "multipart": "the multi-part MIME user data",
        "unknown": f"the {first_line.strip()[:40]} user data", "ignition": "the Ignition config",
    }.get(kind or "", "the user data")
    summary = Reason(f"{described} in {data.origin}", header_span, data.origin)
    if kind == "cloud-config":
        reading = Reading("cloud-config", summary)
        read_cloud_config(text, where, reading)
        return reading
    if kind == "shell":
        reading = Reading("shell", summary)
        read_script(text, where, reading, 0)
        return reading
    if kind == "ignition":
        return read_ignition(text, where, summary)
    if kind in ("multipart", "unknown"):
        why = {"multipart": "multi-part MIME user data, whose parts vmlint does not read"}.get(
            kind, f"{first_line.strip()[:40]!r} user data, which vmlint does not read")
        reading = Reading(kind, summary)
        reading.unknown = Reason(f"{data.origin} holds {why}", header_span, data.origin,
                                 "annotate the VM with vmlint.io/guest-agent: \"installed\" if it sets the agent up")
        return reading
    # No header cloud-init knows: it ignores the data (text/x-not-multipart).
    summary = Reason(f"the user data in {data.origin} (no #cloud-config or #! header, so cloud-init ignores it)",
                     header_span, data.origin)
    return Reading("ignored", summary)
