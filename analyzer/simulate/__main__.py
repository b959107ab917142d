"""``python -m analyzer.simulate``: the ``analyzer simulate`` command on its own."""

from ..cli.simulate import simulate

simulate(prog_name="python -m analyzer.simulate")
