"""Seeded generator of inputs for the Go standard-library oracle (tests/oracle/gostd/main.go).

The inputs imitate what people write into Velero hook annotations on KubeVirt/Harvester VMs: virt-freezer
commands with the typical mistakes (missing ``]``, trailing commas, single or smart quotes, placeholders left in,
stray whitespace), timeouts such as ``30`` or ``1d``, and booleans such as ``yes``. Around those sit systematic
edge cases of the Go grammars and random short strings, so that the Python emulations in ``lint/golang/json.py``,
``lint/golang/duration.py`` and ``lint/golang/strconv.py`` are compared with Go on more than the happy path.

Everything is derived from ``random.Random(seed)``; the same seed always yields the same sorted list.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable

CANONICAL_SEED = 20240601

MIN_JSON_CASES = 4000
MIN_DURATION_CASES = 4000
MIN_BOOL_CASES = 2000

_COMMANDS = (
    ["/usr/bin/virt-freezer", "--freeze", "--namespace", "ns", "--name", "vm"],
    ["/usr/bin/virt-freezer", "--unfreeze", "--namespace", "ns", "--name", "vm"],
    ["/usr/bin/virt-freezer", "--freeze", "--namespace", "[VM Namespace]", "--name", "[VM Name]"],
    ["/usr/bin/virt-freezer", "--unfreeze", "--namespace", "default", "--name", "ubuntu-vm-01"],
    ["/bin/sh", "-c", 'fsfreeze --freeze /var/lib/data && echo "frozen"'],
    ["/usr/bin/virt-freezer"],
    ["virt-freezer", "--freeze"],
)

# fmt: off
# Whitespace JSON skips, and whitespace it does not (YAML block scalars and copy-paste bring all of these).
_JSON_SPACE = (" ", "\t", "\n", "\r", "\r\n", "  \n\t")
_OTHER_SPACE = ("\v", "\f", "\x00", "\u00a0", "\u0085", "\u1680", "\u2028", "\u2029", "\u3000", "\ufeff", "\u200b")

_ELEMENTS = (
    '"x"', '""', '"a b"', "1", "0", "-0", "-1", "1.5", "1e3", "1E+3", "1e-3", "-0.0e0", "01", "1.", ".5", "-",
    "+1", "1e", "1e+", "0x10", "1_0", "NaN", "-NaN", "Infinity", "-Infinity", "inf", "true", "false", "null",
    "True", "FALSE", "Null", "nul", "tru", "fals", "undefined", "[]", "[[]]", '["x"]', "{}", '{"a":1}',
    '{"a":"b","c":[1,{"d":null}]}', "{a:1}", '{"a"}', '{"a":}', '{"a":1,}', "{,}", '{"a" 1}', "[,]", "[1,]",
    '"\\n"', '"\\t\\r\\b\\f\\/\\\\\\""', '"\\u00e9"', '"\\u00E9"', '"\\ud83d\\ude00"', '"\\ud800"', '"\\udc00"',
    '"\\ud800\\u0041"', '"\\udbff\\udfff"', '"\\ud800\\ud800"', '"\\u0000"', '"\\x41"', '"\\u12"', '"\\u12g4"',
    '"\\U0001F600"', "\"\\'\"", '"\\a"', '"\\', '"\\u', '"unterminated', '"tab\there"', '"nl\nhere"',
    '"nul\x00here"', '"esc\x1bhere"', '"del\x7fhere"', '"\x1f"', '"é"', '"日本語"', '"😀"', '"\ufffd"',
    '"\u2028"', '"\ufeff"', "'x'", "“x”", "\u2018x\u2019", "«x»", "x", "é", "😀", "\\", "/", "#", "//c", "/*c*/",
)

_GARBAGE = (
    "x", "]", "}", "[", "{", ",", ":", '"', "'", "[]", "{}", "null", "0", "-", "#comment", "//", ";", "\\",
    ' ["b"]', '["b"]', ', ["b"]', "\n[]", "é", "”", "\x00", "\u2028", "\ufeff",
)

_SMART_QUOTES = ("“", "”", "\u2018", "\u2019", "„", "«", "»", "\uff02")  # single curly quotes, fullwidth "

_JSONISH_ALPHABET = (
    *'[]{}",:\\ 0123456789-+.eEtrufalsn',
    *("\t", "\n", "\r", "'", "x", "u", "“", "”", "é", "\x00", "\ufeff"),
)
# fmt: on


def _serialise(rng: random.Random, argv: list[str]) -> str:
    """One of the ways people write a JSON array of strings."""
    style = rng.randrange(5)
    if style == 0:
        return json.dumps(argv)
    if style == 1:
        return json.dumps(argv, separators=(",", ":"))
    if style == 2:
        return json.dumps(argv, ensure_ascii=False, indent=rng.choice((1, 2, "\t")))
    if style == 3:
        return "[" + ", ".join(json.dumps(arg, ensure_ascii=False) for arg in argv) + "]"
    return "[ " + " ,".join(json.dumps(arg) for arg in argv) + " ]"


def _insert(rng: random.Random, text: str, piece: str) -> str:
    position = rng.randrange(len(text) + 1)
    return text[:position] + piece + text[position:]


def _replace_some(rng: random.Random, text: str, old: str, choices: tuple[str, ...]) -> str:
    """Replace each occurrence of ``old`` with a random choice, or leave it, independently."""
    parts = text.split(old)
    out = [parts[0]]
    for part in parts[1:]:
        out.append(rng.choice(choices) if rng.random() < 0.6 else old)
        out.append(part)
    return "".join(out)


def _add_element(rng: random.Random, text: str) -> str:
    """Put an odd element into the array (after ``[``, before ``]``, or in place of a string)."""
    element = rng.choice(_ELEMENTS)
    where = rng.randrange(3)
    if where == 0 and text.startswith("["):
        return "[" + element + ("," if rng.random() < 0.8 else "") + text[1:]
    if where == 1 and text.rstrip().endswith("]"):
        stripped = text.rstrip()
        return stripped[:-1] + ("," if rng.random() < 0.8 else " ") + element + "]"
    strings = [index for index, char in enumerate(text) if char == '"']
    if len(strings) >= 2:
        start = rng.choice(strings[::2])
        end = text.find('"', start + 1)
        while end > 0 and text[end - 1] == "\\":
            end = text.find('"', end + 1)
        if end > 0:
            return text[:start] + element + text[end + 1 :]
    return _insert(rng, text, element)


def _delete_one(rng: random.Random, text: str) -> str:
    if not text:
        return text
    position = rng.randrange(len(text))
    return text[:position] + text[position + 1 :]


# Each takes (rng, text) and returns text with one typical mistake or oddity applied.
_MUTATIONS: tuple[Callable[[random.Random, str], str], ...] = (
    lambda rng, text: text.rstrip().removesuffix("]") if rng.random() < 0.8 else text.rstrip()[:-2],
    lambda rng, text: text.rstrip()[:-1] + "," + rng.choice(("", " ", "\n")) + "]",
    lambda rng, text: text.replace('"', "'") if rng.random() < 0.5 else _replace_some(rng, text, '"', ("'",)),
    lambda rng, text: _replace_some(rng, text, '"', _SMART_QUOTES),
    lambda rng, text: text + rng.choice(("", " ", "\n")) + rng.choice(_GARBAGE),
    lambda rng, text: text + rng.choice(("", " ", "\n", ",")) + text,
    lambda rng, text: rng.choice(_JSON_SPACE + _OTHER_SPACE) + text,
    lambda rng, text: text + rng.choice(_JSON_SPACE + _OTHER_SPACE),
    lambda rng, text: _insert(rng, text, rng.choice(_JSON_SPACE + _OTHER_SPACE)),
    _add_element,
    _add_element,
    lambda rng, text: _insert(rng, text, rng.choice(_JSONISH_ALPHABET)),
    _delete_one,
    lambda rng, text: text[: rng.randrange(len(text) + 1)],
    lambda rng, text: _replace_some(rng, text, ",", (" ", ";", ",,", "")),
    lambda rng, text: "[" + text + "]",
    lambda rng, text: '{"command": ' + text + "}",
    lambda rng, text: text.replace("virt-freezer", rng.choice(("virt\\-freezer", "virt\\u002dfreezer", "vírt"))),
)


def _lead_byte_samples() -> list[str]:
    """One character per possible UTF-8 lead byte, so Go's quoting of every byte value gets exercised."""
    samples = [chr(code) for code in range(0x80)]
    for lead in range(0xC2, 0xF5):
        if lead < 0xE0:
            samples.append(chr(((lead & 0x1F) << 6) | 0x21))
        elif lead < 0xF0:
            code = ((lead & 0x0F) << 12) | 0x0A21
            samples.append(chr(code if not 0xD800 <= code < 0xE000 else code - 0x800))
        else:
            plane_bits = (lead & 0x07) << 18
            samples.append(chr(plane_bits | (0x0A21 if plane_bits else 0x10A21)))
    return samples


def _deep(depth: int, inner: str = "", opener: str = "[", closer: str = "]") -> str:
    return opener * depth + inner + closer * depth


def _fixed_json_cases() -> set[str]:
    # fmt: off
    cases = {
        "", " ", "\n", "[", "]", "[]", "[ ]", "[\n]", "[\t\r\n ]", "{}", "null", " null ", "nul", "true", "tru",
        "false", "fa", "[fals]", "[fal", "[f]", "0", "-", "1.", "1e", '"', '"abc', '"\\', '"\\u12', '"x"', '["x"',
        '["x",', '["x" "y"]',
        '["a",]', "['a']", '["a", null]', '["a"] x', "[NaN]", '["a",1]', '[null]', "[null, null]", '["a", true]',
        '["a", ["b"]]', '["a", {"b": "c"}]', '["a", 1, true]', '["a", ["b", 1], 2]', '[1, "a" x]', '{"a": ["b"]}',
        '"[\\"a\\"]"', "[" * 3, "[[", '[""]', '[" "]', "\ufeff[]", "[]\ufeff", "[]\x00",
    }
    # fmt: on
    for sample in _lead_byte_samples():
        cases.update({sample, "[" + sample + "]", '["a"]' + sample, '["' + sample + '"]', "[tr" + sample})
    for depth in (2, 3, 9999, 10000, 10001):
        cases.add(_deep(depth))
    cases.add(_deep(10000, opener="{", closer="}"))
    cases.add('{"a":' * 9999 + "1" + "}" * 9999)
    cases.add('{"a":' * 10001 + "1" + "}" * 10001)
    cases.add("[" + _deep(9998, '"deep"') + "]")
    cases.add('["a", ' + _deep(9998) + ", 1]")
    cases.add("[" * 100_000)
    cases.add(_deep(100_000))
    cases.add('["a", ' + '"x",' * 5000 + "1]")
    return cases


def json_cases(seed: int = CANONICAL_SEED, minimum: int = MIN_JSON_CASES) -> list[str]:
    """At least ``minimum`` distinct inputs for ``json.Unmarshal`` into ``[]string``, sorted."""
    rng = random.Random(seed)
    cases = _fixed_json_cases()
    while len(cases) < minimum:
        roll = rng.random()
        if roll < 0.12:
            length = rng.randrange(13)
            cases.add("".join(rng.choice(_JSONISH_ALPHABET) for _ in range(length)))
            continue
        argv = list(rng.choice(_COMMANDS))
        if roll < 0.2:
            argv = argv[: rng.randrange(len(argv) + 1)]
        text = _serialise(rng, argv)
        for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
            text = rng.choice(_MUTATIONS)(rng, text)
        cases.add(text)
    return sorted(cases)


# fmt: off
# \uff53 is a fullwidth s and \u0661 an Arabic-Indic digit one: lookalikes Go rejects.
_DURATION_UNITS = (
    "ns", "us", "µs", "μs", "ms", "s", "m", "h", "", "d", "w", "y", "S", "M", "H", "MS", "Ms", "mS", "NS", "US",
    "sec", "secs", "second", "seconds", "min", "mins", "minute", "hr", "hrs", "hour", "hours", "µ", "μ", "u", "n",
    "mm", "hs", "ss", "ns ", " s", "s ", "s\n", "秒", "\u00a0s", "\x00", '"', "\\", "\x7f", "é", "\ufffd", "\uff53",
)
_DURATION_NUMBERS = (
    "0", "1", "5", "10", "30", "60", "90", "100", "300", "600", "1000", "3600", "86400", "00", "007", "1.5",
    "0.5", ".5", "5.", ".", "1.0", "0.000001", "1.23456789", "1.999999999999", "0.1", "1e3", "1_000", "0x10",
    "\u0661", "½", "9223372036", "9223372036854775807", "9223372036854775808", "9223372036854775809",
    "18446744073709551615", "18446744073709551616", "99999999999999999999", "2562047", "2562048",
    "153722867", "153722868", "9223372036.854775807", "9223372036.854775808", "2562047.788015215",
    "2562047.7880152155", "0.00000000000000000000000000001", "1.00000000000000000000000000000000001",
    "0.9999999999999999999999", "922337203685477580.7", "0." + "9" * 30,
)
_DURATION_FIXED = (
    "", "0", "+0", "-0", "00", "0.0", "0s", "-0s", "+", "-", "++1s", "+-1s", "--1s", " 1s", "1s ", "1 s", "1s\n",
    "\t1s", "1h30m", "1h 30m", "1h-30m", "1h+30m", "1h30", "h", "s", ".s", "-.s", "1..5s", "1.5.5s", "1.s", ".5s",
    "1h1h1h", "30", "1d", "60 s", "60S", "-5s", "1.5m", "5m0s", "2h45m", "300ms", "-1.5h", "1µs", "1μs", "1us",
    "9223372036854775807ns", "9223372036854775808ns", "-9223372036854775808ns", "-9223372036854775809ns",
    "9223372036854775808ns9223372036854775808ns", "-9223372036854775808ns9223372036854775808ns",
    "4611686018427387904ns4611686018427387904ns", "4611686018427387904ns4611686018427387903ns",
    "2562047h47m16.854775807s", "2562047h47m16.854775808s", "-2562047h47m16.854775808s", "2562048h",
    "0.5ns", "0.9999ns", "1.0000000001ns", "1.1111111111111111111111h", "\u2212" + "5s",
)
# fmt: on


def duration_cases(seed: int = CANONICAL_SEED, minimum: int = MIN_DURATION_CASES) -> list[str]:
    """At least ``minimum`` distinct inputs for ``time.ParseDuration``, sorted."""
    rng = random.Random(seed)
    cases = set(_DURATION_FIXED)
    cases.update(number + unit for number in _DURATION_NUMBERS for unit in ("", "s", "h", "ns", "d", "µs"))
    while len(cases) < minimum:
        roll = rng.random()
        if roll < 0.15:
            alphabet = "0123456789.+-nsuµμmhd \tS"
            cases.add("".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 10))))
            continue
        parts = [
            rng.choice(_DURATION_NUMBERS) + rng.choice(_DURATION_UNITS) for _ in range(rng.choice((1, 1, 1, 2, 3)))
        ]
        text = rng.choice(("", "", "", "-", "+", " ", "--")) + "".join(parts)
        if roll < 0.3:
            text = text.upper() if rng.random() < 0.5 else text.swapcase()
        if roll > 0.9:
            text += rng.choice((" ", "\n", "\t", "\u00a0", "x", "."))
        cases.add(text)
    return sorted(cases)


def _case_variants(word: str) -> list[str]:
    return ["".join(chars) for chars in itertools.product(*((c.lower(), c.upper()) for c in word))]


def bool_cases(seed: int = CANONICAL_SEED, minimum: int = MIN_BOOL_CASES) -> list[str]:
    """At least ``minimum`` distinct inputs for ``strconv.ParseBool``, sorted."""
    rng = random.Random(seed)
    words = ("true", "false", "t", "f", "yes", "no", "y", "n", "on", "off", "1", "0", "enabled", "disabled")
    cases = {
        "",
        " ",
        "01",
        "10",
        "00",
        "1.0",
        "+1",
        "-0",
        "\uff12",
        "\uff54rue",
        "true\x00",
        "\ufefftrue",
        '"true"',
        "'true'",
    }
    for word in words:
        cases.update(_case_variants(word))
    while len(cases) < minimum:
        roll = rng.random()
        if roll < 0.3:
            alphabet = "tTrRuUeEfFaAlLsS01 yYnNoO\t"
            cases.add("".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 7))))
            continue
        word = rng.choice(_case_variants(rng.choice(words)))
        pad = rng.choice(_JSON_SPACE + _OTHER_SPACE + ("", "", '"', "'", ".", "!"))
        side = rng.randrange(3)
        cases.add((pad if side != 1 else "") + word + (pad if side != 0 else ""))
    return sorted(cases)


MODES = ("json", "duration", "parsebool")


def cases(mode: str, seed: int = CANONICAL_SEED) -> list[str]:
    """The inputs for one oracle mode (``json``, ``duration`` or ``parsebool``)."""
    if mode == "json":
        return json_cases(seed)
    if mode == "duration":
        return duration_cases(seed)
    if mode == "parsebool":
        return bool_cases(seed)
    raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
