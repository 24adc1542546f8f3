"""The one style of a usage error, for every dlkit command and experiment:
``dlkit: error: <what was wrong> (see <command> --help)`` on one line of
stderr, exit status 2, no usage block."""
from __future__ import annotations

import argparse
import sys
from typing import NoReturn


def usage_error(message: str, command: str = "dlkit") -> int:
    """Print a usage error in the one style and return exit status 2."""
    print(f"dlkit: error: {message} (see {command} --help)", file=sys.stderr)
    return 2


class Parser(argparse.ArgumentParser):
    """argparse, with its usage errors in the one style."""

    def error(self, message: str) -> NoReturn:
        usage_error(message, self.prog)
        sys.exit(2)
