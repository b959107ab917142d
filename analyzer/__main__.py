"""``python -m analyzer``: the same CLI as the ``analyzer`` script."""

from .cli import main

main(prog_name="analyzer")
