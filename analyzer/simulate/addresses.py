"""The content of the simulated plans: each endpoint's pool of load balancers (its
addresses and weight), one of them replaced now and then; and Route 53 change ids."""

from __future__ import annotations

from .config import Config, Rand
from .state import PlanEndpoint

_V4_PREFIXES = ("3.218", "52.94", "52.119", "35.71", "18.213", "44.192", "3.5", "54.239")


def change_id(r: Rand) -> str:
    """A Route 53-style change id: "C" and 13 upper-case letters or digits."""
    n, out = int(r.random() * 36**7) * 36**6 + int(r.random() * 36**6), []
    for _ in range(13):
        n, d = divmod(n, 36)
        out.append("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[d])
    return "C" + "".join(out)


class LoadBalancers:
    """Each endpoint keeps a pool of load balancers; now and then one is replaced."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self._pools: dict[str, list[tuple[str, str]]] = {}
        self._rand = Rand(cfg.seed, "ips")

    def plan_endpoints(self) -> dict[str, PlanEndpoint]:
        """The endpoints of the next plan (one draw of the churn per endpoint)."""
        r = self._rand
        eps: dict[str, PlanEndpoint] = {}
        for i, ep in enumerate(self.cfg.endpoints):
            pool = self._pools.get(ep.name)
            if pool is None:
                pool = [self._new_lb(i, ep.dual_stack) for _ in range(ep.lbs)]
                self._pools[ep.name] = pool
            elif r.chance(self.cfg.ip_churn):
                pool[r.int(0, len(pool) - 1)] = self._new_lb(i, ep.dual_stack)
            weight = sum(50 if r.chance(0.05) else 100 for _ in pool)
            eps[ep.name] = PlanEndpoint(
                len(pool),
                tuple(v4 for v4, _ in pool),
                tuple(v6 for _, v6 in pool if v6),
                weight,
            )
        return eps

    def _new_lb(self, i: int, dual: bool) -> tuple[str, str]:
        r = self._rand
        v4 = f"{_V4_PREFIXES[i % len(_V4_PREFIXES)]}.{r.int(0, 255)}.{r.int(1, 254)}"
        v6 = f"2600:1f18:{0x4000 + i:x}:{r.int(0, 0xFFFF):x}::{r.int(1, 0xFFFF):x}" if dual else ""
        return v4, v6
