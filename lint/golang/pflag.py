"""How KubeVirt's virt-freezer reads its command line, emulated in pure Python.

Velero's pre/post hooks run ``virt-freezer`` inside the virt-launcher pod's ``compute`` container.
A hook whose arguments virt-freezer rejects never freezes the guest, and Velero may still report
the backup as good, so vmlint has to know exactly which argv virt-freezer accepts. virt-freezer
parses its flags with spf13/pflag on ``pflag.CommandLine`` (ExitOnError): a parse error is printed
and the process exits 2; after a clean parse, its own checks exit 1.

This module reproduces that parse step by step (pflag's ``parseArgs``, ``strconv.ParseBool``,
``strconv.ParseInt(s, 0, 32)`` and Go's ``%q`` quoting in the messages) rather than approximating
it, and additionally records argv indices so that a finding can point at the offending element.
``tests/oracle`` checks it against the real pflag. Two caveats: the text of an error that quotes a
non-printable character follows this Python's Unicode tables, which can differ from the Go release
virt-freezer was built with for characters assigned in between; and ``--help``/``-h`` exit 2 as in
the pflag releases KubeVirt has vendored (v1.0.5 and the Debian snapshot the oracle uses).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Union

__all__ = [
    "FLAGS",
    "FlagSpec",
    "FlagUse",
    "FreezerArgs",
    "HELP_REQUESTED",
    "NEED_ACTION",
    "NEED_NAME_AND_NAMESPACE",
    "last_use",
    "parse_freezer_args",
]

FlagKind = Literal["bool", "string", "int32"]
FlagValue = Union[bool, str, int]


@dataclass(frozen=True)
class FlagSpec:
    """One flag that virt-freezer defines: enough to list known flags and explain near misses."""

    name: str
    kind: FlagKind
    default: FlagValue

    @property
    def takes_value(self) -> bool:
        """Whether ``--flag value`` consumes the next argument (bool flags never do)."""
        return self.kind != "bool"


FLAGS: Mapping[str, FlagSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            FlagSpec("freeze", "bool", False),
            FlagSpec("unfreeze", "bool", False),
            FlagSpec("name", "string", ""),
            FlagSpec("namespace", "string", ""),
            FlagSpec("unfreezeTimeoutSeconds", "int32", 300),
        )
    }
)
"""virt-freezer's flags exactly as ``parseFlags`` defines them; pflag matches names case-sensitively."""

NEED_ACTION = "either --freeze or --unfreeze must be set"
NEED_NAME_AND_NAMESPACE = "both --name and --namespace must be provided"
HELP_REQUESTED = "pflag: help requested"

_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})
_INT32_BITS = 32
_GO_ESCAPES: Mapping[str, str] = MappingProxyType(
    {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
)


@dataclass(frozen=True)
class FlagUse:
    """One occurrence of a known flag, with where its name and value sit in argv."""

    name: str
    value: str
    flag_index: int
    value_index: int
    value_offset: int


@dataclass(frozen=True)
class FreezerArgs:
    """What virt-freezer's flag parsing made of an argv, and how the process would end before work.

    The values are those pflag's variables hold when parsing stopped: after a parse error they are
    partial (pflag even stores ``false`` for a bool whose value failed to parse), which does not
    matter to virt-freezer because it exits 2 at once. ``uses`` includes an occurrence whose value
    failed to parse (it is where parsing stopped); ``positional`` holds the arguments pflag set
    aside, which virt-freezer ignores. A ``-test.*`` element is dropped silently by pflag and so
    appears in neither.
    """

    freeze: bool
    unfreeze: bool
    name: str
    namespace: str
    unfreeze_timeout_seconds: int | None
    uses: tuple[FlagUse, ...]
    positional: tuple[int, ...]
    parse_error: str | None
    error_index: int | None
    exit_code: int
    validation_error: str | None


class _ParseFailure(Exception):
    """Stops the scan the way pflag's parseArgs returns its first error."""

    def __init__(self, message: str, index: int, flag: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.index = index
        self.flag = flag  # the flag whose value failed to convert, if that was the failure


def _go_quote_rune(code: int, quote: str) -> str:
    """One rune escaped as Go's strconv.appendEscapedRune does (without the surrounding quotes)."""
    char = chr(code)
    if char in (quote, "\\"):
        return "\\" + char
    # Go's unicode.IsPrint (letters, marks, numbers, punctuation, symbols, ASCII space) is the
    # same set as str.isprintable, up to the Unicode version each language ships.
    if char.isprintable():
        return char
    if char in _GO_ESCAPES:
        return _GO_ESCAPES[char]
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _go_quote(text: str) -> str:
    """Go's strconv.Quote, which pflag and strconv use for values in error messages (``%q``)."""
    return '"' + "".join(_go_quote_rune(ord(char), '"') for char in text) + '"'


def _first_byte(text: str) -> int:
    """The first UTF-8 byte of ``text``: pflag looks at shorthands one byte at a time."""
    return text.encode("utf-8", "surrogatepass")[0]


def _lower(char: str) -> str:
    """strconv's ``lower``: ASCII letters to lower case, every other character unchanged."""
    return char.lower() if "A" <= char <= "Z" else char


def _underscore_ok(text: str) -> bool:
    """strconv.underscoreOK: underscores only between digits or after a base prefix."""
    saw = "^"
    if text[:1] in ("+", "-"):
        text = text[1:]
    index = 0
    is_hex = False
    if len(text) >= 2 and text[0] == "0" and _lower(text[1]) in ("b", "o", "x"):
        index = 2
        saw = "0"
        is_hex = _lower(text[1]) == "x"
    for char in text[index:]:
        if "0" <= char <= "9" or (is_hex and "a" <= _lower(char) <= "f"):
            saw = "0"
        elif char == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


def _parse_uint(text: str, bit_size: int) -> tuple[int, str | None]:
    """strconv.ParseUint(text, 0, bit_size): value and error kind ("syntax", "range" or None).

    The order of checks matters for the message: a value that overflows before a bad character is
    reached is a range error, not a syntax error.
    """
    if text == "":
        return 0, "syntax"
    digits, base = text, 10
    if text[0] == "0":
        prefixes = {"b": 2, "o": 8, "x": 16}
        if len(text) >= 3 and _lower(text[1]) in prefixes:
            digits, base = text[2:], prefixes[_lower(text[1])]
        else:
            digits, base = text[1:], 8
    max_value = (1 << bit_size) - 1
    value = 0
    underscores = False
    for char in digits:
        if char == "_":
            underscores = True
            continue
        if "0" <= char <= "9":
            digit = ord(char) - ord("0")
        elif "a" <= _lower(char) <= "z":
            digit = ord(_lower(char)) - ord("a") + 10
        else:
            return 0, "syntax"
        if digit >= base:
            return 0, "syntax"
        value = value * base + digit
        if value > max_value:
            return max_value, "range"
    if underscores and not _underscore_ok(text):
        return 0, "syntax"
    return value, None


def _parse_int32(text: str) -> tuple[int, str | None]:
    """strconv.ParseInt(text, 0, 32) as pflag's int32 flag calls it: value, or an error message."""
    sign = text[:1]
    negative = sign == "-"
    unsigned, problem = _parse_uint(text[1:] if sign in ("+", "-") else text, _INT32_BITS)
    if problem == "syntax":
        return 0, _num_error(text, problem)
    cutoff = 1 << (_INT32_BITS - 1)
    if not negative and unsigned >= cutoff:
        return cutoff - 1, _num_error(text, "range")
    if negative and unsigned > cutoff:
        return -cutoff, _num_error(text, "range")
    return (-unsigned if negative else unsigned), None


def _num_error(text: str, problem: str) -> str:
    """strconv.NumError.Error() for ParseInt."""
    reason = "invalid syntax" if problem == "syntax" else "value out of range"
    return f"strconv.ParseInt: parsing {_go_quote(text)}: {reason}"


def _convert(spec: FlagSpec, value: str) -> tuple[FlagValue, str | None]:
    """The flag's Value.Set: the stored value (Go stores one even on failure) and any error."""
    if spec.kind == "bool":
        if value in _TRUE or value in _FALSE:
            return value in _TRUE, None
        return False, f"strconv.ParseBool: parsing {_go_quote(value)}: invalid syntax"
    if spec.kind == "int32":
        return _parse_int32(value)
    return value, None


class _Scan:
    """pflag's parseArgs over one argv; local to a single parse_freezer_args call."""

    def __init__(self, args: Sequence[str]) -> None:
        self.args = args
        self.values: dict[str, FlagValue] = {spec.name: spec.default for spec in FLAGS.values()}
        self.uses: list[FlagUse] = []
        self.positional: list[int] = []

    def run(self) -> None:
        """Read argv up to its end, a ``--``, or the first error, which is raised as _ParseFailure."""
        index = 0
        while index < len(self.args):
            arg = self.args[index]
            if len(arg) < 2 or arg[0] != "-":
                self.positional.append(index)
                index += 1
            elif arg == "--":
                self.positional.extend(range(index + 1, len(self.args)))
                return
            elif arg[1] == "-":
                index = self._long(index)
            else:
                self._short(index)
                index += 1

    def _long(self, index: int) -> int:
        """One ``--flag`` element (and its value); returns the index of the next unread element."""
        arg = self.args[index]
        body = arg[2:]
        if body[0] in "-=":
            raise _ParseFailure(f"bad flag syntax: {arg}", index)
        name, has_value, inline = body.partition("=")
        spec = FLAGS.get(name)
        if spec is None:
            if name == "help":
                raise _ParseFailure(HELP_REQUESTED, index)
            raise _ParseFailure(f"unknown flag: --{name}", index)
        if has_value:
            self._set(spec, FlagUse(name, inline, index, index, len(name) + 3))
            return index + 1
        if not spec.takes_value:
            self._set(spec, FlagUse(name, "true", index, index, 0))
            return index + 1
        if index + 1 < len(self.args):
            self._set(spec, FlagUse(name, self.args[index + 1], index, index + 1, 0))
            return index + 2
        raise _ParseFailure(f"flag needs an argument: {arg}", index)

    def _short(self, index: int) -> None:
        """One ``-x`` element: virt-freezer defines no shorthands, so this only ever fails or is skipped."""
        shorthands = self.args[index][1:]
        if shorthands.startswith("test."):
            return
        letter = _first_byte(shorthands)
        if letter == ord("h"):
            raise _ParseFailure(HELP_REQUESTED, index)
        quoted = "'" + _go_quote_rune(letter, "'") + "'"
        raise _ParseFailure(f"unknown shorthand flag: {quoted} in -{shorthands}", index)

    def _set(self, spec: FlagSpec, use: FlagUse) -> None:
        """Record the occurrence first: pflag hands it to Set even when the value then fails."""
        self.uses.append(use)
        stored, problem = _convert(spec, use.value)
        self.values[spec.name] = stored
        if problem is not None:
            message = f"invalid argument {_go_quote(use.value)} for {_go_quote('--' + spec.name)} flag: {problem}"
            raise _ParseFailure(message, use.value_index, spec.name)


def _validate(freeze: bool, unfreeze: bool, name: str, namespace: str) -> str | None:
    """virt-freezer's own checks, which run only after pflag accepted the argv."""
    if not freeze and not unfreeze:
        return NEED_ACTION
    if not name or not namespace:
        return NEED_NAME_AND_NAMESPACE
    return None


def parse_freezer_args(args: Sequence[str]) -> FreezerArgs:
    """Parse ``args`` (argv after the program name) exactly as virt-freezer's pflag setup does.

    Never raises for any argv: rejection is data (``parse_error``, ``validation_error``,
    ``exit_code``), because a linter has to report it, not stop on it.
    """
    scan = _Scan(args)
    failure: _ParseFailure | None = None
    try:
        scan.run()
    except _ParseFailure as caught:
        failure = caught
    values = scan.values
    timeout_failed = failure is not None and failure.flag == "unfreezeTimeoutSeconds"
    freeze, unfreeze = bool(values["freeze"]), bool(values["unfreeze"])
    name, namespace = str(values["name"]), str(values["namespace"])
    validation = None if failure is not None else _validate(freeze, unfreeze, name, namespace)
    if failure is not None:
        exit_code = 2
    elif validation is not None:
        exit_code = 1
    else:
        exit_code = 0
    timeout = values["unfreezeTimeoutSeconds"]
    return FreezerArgs(
        freeze=freeze,
        unfreeze=unfreeze,
        name=name,
        namespace=namespace,
        unfreeze_timeout_seconds=None if timeout_failed else int(timeout),
        uses=tuple(scan.uses),
        positional=tuple(scan.positional),
        parse_error=None if failure is None else failure.message,
        error_index=None if failure is None else failure.index,
        exit_code=exit_code,
        validation_error=validation,
    )


def last_use(args: FreezerArgs, name: str) -> FlagUse | None:
    """The occurrence of flag ``name`` whose value took effect (pflag keeps the last one).

    After a parse error this can be the occurrence that failed, since parsing stopped there.
    """
    for use in reversed(args.uses):
        if use.name == name:
            return use
    return None
