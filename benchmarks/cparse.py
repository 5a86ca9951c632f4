#!/usr/bin/env python3
"""The reference pass the issue sets vmlint's target against: libyaml composing every document of some files.

    python benchmarks/cparse.py LIST_FILE

LIST_FILE holds one path per line (the files of a generated repository that contain a VM). Each file is read
and decoded as vmlint reads it, then every document is composed into a node tree by ruamel.yaml's C parser
(`ruamel.yaml.cyaml.CParser`) with a resolver mixin, as lint/yamldoc.py sets it up. Nothing is checked and
nothing is built beyond the parser's own nodes: this is the floor for "parse the VMs", not a linter. A file
that does not parse counts as an error and the pass goes on. Prints one JSON line of counts.
"""

from __future__ import annotations

import json
import sys

from ruamel.yaml.cyaml import CParser
from ruamel.yaml.error import YAMLError
from ruamel.yaml.resolver import VersionedResolver


class Composer(CParser, VersionedResolver):
    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        VersionedResolver.__init__(self, None, self)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as listing:
        paths = [line.rstrip("\n") for line in listing if line.strip()]
    documents = errors = 0
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            errors += 1
            continue
        composer = Composer(text)
        try:
            while composer.check_node():
                composer.get_node()
                documents += 1
        except YAMLError:
            errors += 1
        finally:
            composer.dispose()
    print(json.dumps({"files": len(paths), "documents": documents, "errors": errors}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
