"""`faceswap` command line: operator tools that work against the local stack and a deployed stage.

Every AWS call goes through boto3's own configuration (AWS_ENDPOINT_URL, AWS_PROFILE, ...), so the
same command talks to moto on 127.0.0.1 or to a real stage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cli import keys, models


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faceswap-admin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    models.register(commands)
    keys.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
