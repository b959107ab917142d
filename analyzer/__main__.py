"""``python -m analyzer``: the same CLI as the ``analyzer`` script."""

import os
import signal
import sys


def _interrupted_early(signum: int, frame: object) -> None:
    """Ctrl-C while the program starts (before a command runs): one line, exit 130."""
    sys.stderr.write("interrupted\n")
    os._exit(130)


signal.signal(signal.SIGINT, _interrupted_early)

from .cli import main  # noqa: E402  (after the handler: the imports take a while)

main(prog_name="analyzer")
