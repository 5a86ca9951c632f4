"""The JUnit XML report, for CI test dashboards (Jenkins, GitLab, Azure DevOps, test-reporter actions).

    <testsuites name="vmlint" tests="2" failures="2" errors="0" time="0.120">
      <testsuite name="vmlint" tests="2" failures="2" errors="0" skipped="0" time="0.120">
        <testcase classname="vm.yaml" name="VM002 duplicate-key">
          <failure message="key 'a' repeats …" type="error">vm.yaml:11:9: VM002 [error] key 'a' repeats …</failure>
        </testcase>
        …

One test case per file and rule that has findings (classname = the file, name = `CODE rule-name`), in path and
code order. Its one <failure> carries all of that rule's findings in that file: `message` is the first one's
message, `type` the highest severity among them, the body one line per finding (`path:line:col: CODE
[severity] message`). Every finding is a failure whatever its severity: `--fail-on` decides the exit code,
not the report.

A file without findings gets no test case: a reporter sees findings and counts, not the list of files. A run
with no findings and no errors has one passing test case (classname and name `vmlint`), so that a clean run
shows as a pass rather than as an empty report, which several CI systems treat as an error. Each run error
(a file that cannot be read, an internal error) is a test case with an <error>.

Text that XML 1.0 cannot carry is shown escaped: control characters as in the text report (`\\x1b`), lone
surrogates and U+FFFE/U+FFFF as `\\udc80`-style escapes; `<`, `&`, `]]>` and quotes are escaped by the XML
writer. Newlines inside a body line are shown as `\\n`, so a body keeps one line per finding.
"""

from __future__ import annotations

import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from itertools import groupby
from typing import IO

from lint.core.findings import Finding, RunResult
from lint.reporters.text import headline, printable

SUITE = "vmlint"

_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def render_junit(result: RunResult) -> str:
    ordered = sorted(result.findings, key=lambda f: (f.path, f.code, f.line, f.column))
    cases = list(_failure_cases(ordered))
    failures = len(cases)
    cases.extend(_error_cases(result.errors))
    if not cases:
        cases.append(ET.Element("testcase", classname=SUITE, name=SUITE))
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": str(len(result.errors))}
    time = f"{result.seconds:.3f}"
    root = ET.Element("testsuites", {"name": SUITE, **counts, "time": time})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE, **counts, "skipped": "0", "time": time})
    suite.extend(cases)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _failure_cases(ordered: list[Finding]) -> Iterator[ET.Element]:
    """One test case per file and rule, from findings in (path, code, line, column) order."""
    for (path, code), group in groupby(ordered, key=lambda f: (f.path, f.code)):
        findings = list(group)
        case = ET.Element("testcase", classname=xml_text(path), name=xml_text(f"{code} {findings[0].rule}"))
        failure = ET.SubElement(
            case, "failure", message=xml_text(findings[0].message), type=str(max(f.severity for f in findings))
        )
        failure.text = "\n".join(_body_line(finding) for finding in findings)
        yield case


def _error_cases(errors: list[str]) -> Iterator[ET.Element]:
    for error in errors:
        case = ET.Element("testcase", classname=SUITE, name="run error")
        ET.SubElement(case, "error", message=xml_text(error), type="error").text = xml_text(error)
        yield case


class JunitStream:
    """render_junit, file by file as the findings come. The counts and the time open the document, so the test
    cases wait in a temporary file (not in memory) until `end` knows them."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write
        self.cases: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
        self.failures = 0

    def findings(self, findings: list[Finding]) -> None:
        cases = list(_failure_cases(sorted(findings, key=lambda f: (f.path, f.code, f.line, f.column))))
        self.failures += len(cases)
        self.cases.write("".join(_CASE_INDENT + _serialised(case) for case in cases))

    def end(self, result: RunResult) -> None:
        failures = self.failures
        cases = list(_error_cases(result.errors))
        if not failures and not cases:
            cases.append(ET.Element("testcase", classname=SUITE, name=SUITE))
        tests, time = failures + len(cases), f"{result.seconds:.3f}"
        counts = f'tests="{tests}" failures="{failures}" errors="{len(result.errors)}"'
        self.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="{SUITE}" {counts} time="{time}">\n'
                   f'  <testsuite name="{SUITE}" {counts} skipped="0" time="{time}">')
        with self.cases:
            self.cases.seek(0)
            while chunk := self.cases.read(1 << 16):
                self.write(chunk)
        self.write("".join(_CASE_INDENT + _serialised(case) for case in cases) + "\n  </testsuite>\n</testsuites>\n")


_CASE_INDENT = "\n    "  # a test case's place in the document ET.indent gives render_junit's


def _serialised(case: ET.Element) -> str:
    ET.indent(case, space="  ", level=2)
    return ET.tostring(case, encoding="unicode")


def xml_text(text: str) -> str:
    """Text XML 1.0 can carry: control characters, lone surrogates and U+FFFE/U+FFFF shown as escapes."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", printable(text))


def _body_line(finding: Finding) -> str:
    return xml_text(headline(finding).replace("\n", "\\n"))
