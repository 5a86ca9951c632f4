#!/usr/bin/env python3
"""Run kubernetes-validate over many files in one process, going on past files it cannot parse.

    PYTHON_WITH_KUBERNETES_VALIDATE benchmarks/kv_harness.py LIST_FILE [--kubernetes-version V]

The `kubernetes-validate` command stops the whole run (SystemExit) at the first file that is not valid YAML,
and a GitOps repository always has some (Helm templates, a broken hook, a merge conflict). Running it once per
file would measure Python start-up ten thousand times. This harness calls the tool's own `validate_file()` for
each path of LIST_FILE (one a line) in a single process, as its command line does, and counts a file it cannot
read or parse as an error instead of stopping: the most favourable way to run it over a whole repository.
Its findings go to standard output, as the command's do. Exit code: 0 all valid, 1 some file invalid.
"""

from __future__ import annotations

import sys

import kubernetes_validate.utils as utils


def main(argv: list[str]) -> int:
    version = utils.latest_version()
    if "--kubernetes-version" in argv:
        at = argv.index("--kubernetes-version")
        version = argv[at + 1]
        del argv[at : at + 2]
    with open(argv[0], encoding="utf-8") as listing:
        paths = [line.rstrip("\n") for line in listing if line.strip()]
    rc = 0
    unparsable = 0
    for path in paths:
        try:
            rc |= utils.validate_file(path, version, False, True, False)
        except SystemExit as stop:  # "Couldn't parse YAML from file ..."
            print(f"ERROR {stop}", file=sys.stdout)
            unparsable += 1
            rc |= 1
        except UnicodeDecodeError as err:
            print(f"ERROR {path}: {err}", file=sys.stdout)
            unparsable += 1
            rc |= 1
    print(f"kv_harness: {len(paths)} files, {unparsable} not parsed", file=sys.stderr)
    return 1 if rc else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
