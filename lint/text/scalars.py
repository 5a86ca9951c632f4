"""What type a YAML scalar has when Kubernetes reads it.

kubectl and the API machinery convert YAML to JSON with sigs.k8s.io/yaml, which decodes with go-yaml v2:
YAML 1.1 rules, so `yes`, `on` and `y` are booleans, `0x1F` and `1_000` are integers, `~` is null, while a
timestamp-looking value stays a string (go-yaml v2 keeps timestamps as strings when the target is an
interface{}). A value that is not a string where Kubernetes wants one (annotation values are
`map[string]string`) makes the object invalid. The rules below follow go-yaml v2's `resolve()`.
"""

from __future__ import annotations

import re
from typing import Literal

from lint.text.nodes import Mapping, Node, Scalar, Sequence

ScalarType = Literal["str", "bool", "int", "float", "null"]
NodeType = Literal["str", "bool", "int", "float", "null", "list", "map"]

_BOOL = {
    "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
    "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
}  # fmt: skip
_NULL = {"", "~", "null", "Null", "NULL"}
_SPECIAL_FLOAT = {
    ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
}  # fmt: skip
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
# strconv.ParseInt/ParseUint with base 0 (after go-yaml removed underscores): sign, then 0x/0o/0b or legacy octal.
_GO_INT = re.compile(r"[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_GO_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_TAGS: dict[str, ScalarType] = {
    "tag:yaml.org,2002:str": "str",
    "tag:yaml.org,2002:bool": "bool",
    "tag:yaml.org,2002:int": "int",
    "tag:yaml.org,2002:float": "float",
    "tag:yaml.org,2002:null": "null",
}


def scalar_type(scalar: Scalar) -> ScalarType:
    """The JSON type Kubernetes gives this scalar."""
    if not scalar.is_plain:
        return _TAGS.get(scalar.tag, "str")
    value = scalar.value
    if value in _NULL:
        return "null"
    if value in _BOOL:
        return "bool"
    first = value[0]
    if first == ".":
        return "float" if value in _SPECIAL_FLOAT or _GO_FLOAT.fullmatch(value) else "str"
    if first in "+-" or first.isdigit():
        if value in _SPECIAL_FLOAT:
            return "float"
        plain = value.replace("_", "")
        if _GO_INT.fullmatch(plain) and _fits_64_bits(plain):
            return "int"
        if _YAML_FLOAT.fullmatch(plain):
            return "float"
        if plain.startswith(("0b", "-0b")) and re.fullmatch(r"-?0b[01]+", plain):
            return "int"
    return "str"


def node_type(node: Node) -> NodeType:
    if isinstance(node, Mapping):
        return "map"
    if isinstance(node, Sequence):
        return "list"
    return scalar_type(node)


def _fits_64_bits(text: str) -> bool:
    """ParseInt(…, 0, 64) or, failing that, ParseUint(…, 0, 64) must succeed."""
    negative = text.startswith("-")
    digits = text.lstrip("+-")
    if digits[:2].lower() == "0x":
        number = int(digits[2:], 16)
    elif digits[:2].lower() == "0o":
        number = int(digits[2:], 8)
    elif digits[:2].lower() == "0b":
        number = int(digits[2:], 2)
    elif len(digits) > 1 and digits[0] == "0":
        number = int(digits[1:], 8)
    else:
        number = int(digits)
    return number <= 2**63 if negative else number < 2**64
