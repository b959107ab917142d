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

try:
    main(prog_name="analyzer")
finally:
    # The command is done and its output written: a Ctrl-C from here on is moot. Ignore
    # it, or Python, restoring the default action as it exits, would die of SIGINT.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
