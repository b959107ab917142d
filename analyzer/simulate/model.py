"""The discrete-event model of the DNS control plane in log-formats.md, and its true state.

Planner: writes plan G+1 every ``cadence`` seconds (jittered). Enactors: poll for the
newest plan; the freshness check compares it with the applied-generation record,
which an Enactor sets when it *starts* applying (so two Enactors rarely apply the same
plan); then, endpoint by endpoint in plan order: take the endpoint's lock (back off
exponentially when another Enactor holds it), run one transaction, release. After
``apply_done`` comes clean-up: delete every plan older than ``applied - keep``.

State rules (buggy design): an update moves an endpoint to any generation; deleting
the plan an endpoint points to empties it; while its active plan is deleted, every
update fails (the rollback record points to the deleted plan) until an operator
restores it. ``fixed-update`` refuses to move an endpoint to an older generation;
``fixed-cleanup`` never deletes a plan an endpoint points to; ``fixed`` does both.

Two modelling choices keep the ground truth decidable from the logs:

* Changes to shared state (plan written or deleted, endpoint transaction, restore)
  from different hosts are at least ``Config.commit_gap`` = 2 x max clock skew + 20 ms
  apart (one change at a time, like Route 53 changes to one zone). The logged order of
  any two such events from different hosts is therefore their true order.
* The stall fault forces the coincidence of the public account: the slowed Enactor S
  cannot take the lock of endpoint E until another Enactor X takes it for a plan new
  enough that X's clean-up will delete S's plan; when X releases E, S gets the lock at
  once, and X's clean-up lists the plans until 50-200 ms after S's write lands. That
  is shorter than any transaction, so no third Enactor can put a newer plan on E in
  between: with the buggy design the outage follows every time. Without the fault the
  same race happens only by chance, and its outcome is whatever it is.
"""

from __future__ import annotations

import bisect
from typing import Any

from ..errors import InputError
from .addresses import LoadBalancers, change_id
from .config import Config, Rand
from .des import Kernel, Process, Wait
from .state import (
    Apply,
    Change,
    Delete,
    Lock,
    Plan,
    Race,
    Record,
    Sequencer,
    Update,
    update_outcome,
)

OPERATOR = "operator"
RACE_DELAY = (0.05, 0.2)  # from S's write to X's delete request (see the module docstring)
DELETE_LATENCY = (0.01, 0.04)


class System:
    def __init__(self, cfg: Config) -> None:
        if cfg.stall and cfg.latency_min <= RACE_DELAY[1] + DELETE_LATENCY[1]:
            raise InputError("the stall fault needs transactions longer than the race window")
        self.cfg = cfg
        self.k = Kernel(cfg.start)
        self.order = [e.name for e in cfg.endpoints]
        self.records: dict[str, list[Record]] = {}
        self.plans: dict[int, Plan] = {}
        self.alive: list[int] = []
        self.newest: int | None = None
        self.claimed = cfg.first_generation - 1
        self.latest_ok = cfg.first_generation
        self.current: dict[str, int] = dict.fromkeys(self.order, cfg.first_generation)
        self.history: dict[str, list[Change]] = {e: [] for e in self.order}
        self.timeline: dict[str, list[tuple[float, int]]] = {
            e: [(cfg.start, cfg.first_generation)] for e in self.order
        }
        self.updates: list[Update] = []
        self.applies: list[Apply] = []
        self.deletes: list[Delete] = []
        self.created_times: list[float] = []  # plan creation times, in generation order
        self.locks = {e: Lock() for e in self.order}
        self.automation_on = True
        self.seq = Sequencer(cfg.commit_gap)
        self.race = (
            Race(cfg.stall.host, cfg.stall.endpoint, cfg.stall.start, cfg.stall.logged)
            if cfg.stall
            else None
        )
        self.balancers = LoadBalancers(cfg)

    # --- running -------------------------------------------------------------------
    def run(self) -> System:
        self.k.spawn(self._planner())
        for host in self.cfg.enactors:
            self.k.spawn(self._enactor(host))
        self.k.spawn(self._operator())
        self.k.run(self.cfg.end)
        return self

    def log(self, host: str, fields: dict[str, Any]) -> Record:
        """Record one log line of ``host`` at the current (true) time."""
        rec = Record(host, self.k.now, fields)
        self.records.setdefault(host, []).append(rec)
        return rec

    def newest_at(self, t: float) -> int:
        """Newest generation the planner had written at true time ``t``."""
        i = bisect.bisect_right(self.created_times, t)
        return self.cfg.first_generation + i - 1

    def empty(self, endpoint: str) -> bool:
        return self.plans[self.current[endpoint]].deleted is not None

    def _commit(self, host: str) -> Process:
        c = self.seq.reserve(host, self.k.now)
        if c > self.k.now:
            yield c - self.k.now

    # --- planner -------------------------------------------------------------------
    def _planner(self) -> Process:
        cfg, r = self.cfg, Rand(self.cfg.seed, "planner")
        gen = cfg.first_generation
        while self.automation_on:
            yield from self._commit(cfg.planner_host)
            plan = Plan(gen, self.k.now, self.balancers.plan_endpoints())
            plan.record = self.log(
                cfg.planner_host,
                {
                    "component": "planner",
                    "host": cfg.planner_host,
                    "event": "plan_created",
                    "generation": gen,
                    "endpoints": [
                        {"name": n, "lbs": p.lbs, "ips": [*p.ips4, *p.ips6], "weight": p.weight}
                        for n, p in plan.endpoints.items()
                    ],
                },
            )
            self.plans[gen] = plan
            self.alive.append(gen)
            self.created_times.append(self.k.now)
            self.newest = gen
            gen += 1
            yield cfg.cadence * r.uniform(1 - cfg.cadence_jitter, 1 + cfg.cadence_jitter)
        self.log(
            cfg.planner_host,
            {
                "component": "planner",
                "host": cfg.planner_host,
                "event": "planner_stopped",
                "reason": "automation disabled",
            },
        )

    # --- enactors ------------------------------------------------------------------
    def _enactor(self, host: str) -> Process:
        cfg, r = self.cfg, Rand(self.cfg.seed, host)
        yield r.uniform(*cfg.poll)
        last_seen: int | None = None
        while self.automation_on:
            down = next(
                (s for s in cfg.silences if s.host == host and s.start <= self.k.now < s.end), None
            )
            if down is not None:
                yield down.end - self.k.now
                continue
            newest = self.newest
            if newest is not None and newest != last_seen:
                last_seen = newest
                cur = self.claimed
                verdict = "newer" if newest > cur else "stale"
                check = self.log(
                    host,
                    self._ev(
                        host,
                        "plan_check",
                        generation=newest,
                        current_generation=cur,
                        verdict=verdict,
                    ),
                )
                if verdict == "newer":
                    yield from self._apply(host, r, newest, check)
                else:
                    self.log(
                        host, self._ev(host, "plan_skip", generation=newest, current_generation=cur)
                    )
            yield r.uniform(*cfg.poll)

    @staticmethod
    def _ev(host: str, event: str, level: str = "info", **kv: Any) -> dict[str, Any]:
        return {"level": level, "host": host, "event": event, **kv}

    def _backoff(self, r: Rand, attempt: int) -> float:
        cfg = self.cfg
        return min(cfg.backoff_cap, cfg.backoff_base * 2**attempt) * r.uniform(0.75, 1.25)

    def _apply(self, host: str, r: Rand, g: int, check: Record) -> Process:
        self.claimed = g
        start = self.log(host, self._ev(host, "apply_start", generation=g))
        ap = Apply(host, g, check, start)
        self.applies.append(ap)
        race = self.race
        if race and host == race.host and race.gen is None and self.k.now >= race.start:
            race.gen = g
        t0, ok, failed = self.k.now, 0, 0
        for ep in self.order:
            yield from self._lock(host, r, ep, ap)
            status = yield from self._txn(host, r, ep, g, ap)
            self._release(host, ep)
            ok, failed = (ok + 1, failed) if status == "ok" else (ok, failed + 1)
        ap.done = self.log(
            host,
            self._ev(
                host,
                "apply_done",
                "warn" if failed else "info",
                generation=g,
                endpoints_ok=ok,
                endpoints_failed=failed,
                duration_ms=round((self.k.now - t0) * 1000),
            ),
        )
        yield from self._cleanup(host, r, g)

    def _lock(self, host: str, r: Rand, ep: str, ap: Apply) -> Process:
        lock, race, attempt = self.locks[ep], self.race, 0
        while True:
            yield r.uniform(0.005, 0.04)  # the lock is a record in the zone: one round trip
            if (
                race
                and host == race.host
                and ep == race.endpoint
                and ap.gen == race.gen
                and not race.released
            ):
                race.waiting = True
                wait = self._backoff(r, attempt)
                rec = None
                if race.logged:
                    holder = lock.holder or lock.last_holder or self._other(host)
                    rec = self._contended(host, ep, holder, wait, ap)
                attempt += 1
                if (yield Wait(race.handover, wait)) == "event":
                    if rec is not None:  # the back-off ended early: the lock came free
                        rec.fields["backoff_ms"] = round((self.k.now - rec.t) * 1000)
                    race.released = True
                    break
                continue
            if lock.holder is None:
                lock.holder = host
                if (
                    race
                    and race.waiting
                    and race.trigger is None
                    and ep == race.endpoint
                    and race.gen is not None
                    and ap.gen > race.gen + self.cfg.keep
                ):
                    race.trigger, race.trigger_gen = host, ap.gen
                break
            wait = self._backoff(r, attempt)
            self._contended(host, ep, lock.holder, wait, ap)
            attempt += 1
            yield wait
        self.log(host, self._ev(host, "lock_acquire", endpoint=ep, status="ok"))

    def _contended(self, host: str, ep: str, holder: str, wait: float, ap: Apply) -> Record:
        rec = self.log(
            host,
            self._ev(
                host,
                "lock_acquire",
                "warn",
                endpoint=ep,
                status="contended",
                holder=holder,
                backoff_ms=round(wait * 1000),
            ),
        )
        ap.waits.append(rec)
        return rec

    def _other(self, host: str) -> str:
        return next(h for h in self.cfg.enactors if h != host)

    def _release(self, host: str, ep: str) -> None:
        lock, race = self.locks[ep], self.race
        lock.last_holder = host
        if race and race.trigger == host and ep == race.endpoint and not race.handover.fired:
            lock.holder = race.host
            self.k.fire(race.handover)
        else:
            lock.holder = None

    def _txn(self, host: str, r: Rand, ep: str, g: int, ap: Apply) -> Process:
        cfg, attempt = self.cfg, 1
        while True:
            throttled = r.chance(cfg.throttle_p)
            if throttled:
                latency = r.uniform(0.05, 0.3)
            else:
                latency = min(
                    max(r.lognormal(cfg.latency_median, cfg.latency_sigma), cfg.latency_min),
                    cfg.latency_max,
                )
            t0 = self.k.now
            yield latency
            yield from self._commit(host)
            fields = self._ev(host, "endpoint_update", generation=g, endpoint=ep, attempt=attempt)
            error: str | None
            if throttled:
                status, level, error = "retry", "warn", "Throttling: Rate exceeded"
            else:
                status, level, error = update_outcome(
                    self.plans, self.current[ep], g, guard=self.cfg.guard_update
                )
            fields.update(level=level, status=status, latency_ms=round((self.k.now - t0) * 1000))
            if error:
                fields["error"] = error
            if status == "ok":
                fields["change_id"] = change_id(r)
            rec = self.log(host, fields)
            upd = Update(rec, host, ep, g, status, self.k.now)
            self.updates.append(upd)
            ap.updates.append(upd)
            if status == "ok":
                self.current[ep] = g
                self.latest_ok = max(self.latest_ok, g)
                self.history[ep].append(Change(self.k.now, g, rec, host))
                self.timeline[ep].append((self.k.now, g))
            race = self.race
            if status != "retry":
                if race and race.released and (host, ep, g) == (race.host, race.endpoint, race.gen):
                    self.k.fire(race.s_commit)
                return status
            attempt += 1
            yield self._backoff(r, attempt - 2)

    def _cleanup(self, host: str, r: Rand, g: int) -> Process:
        cfg, race = self.cfg, self.race
        start = self.log(host, self._ev(host, "cleanup_start", applied_generation=g, keep=cfg.keep))
        if race and race.trigger == host and race.trigger_gen == g:
            yield race.s_commit  # listing the plans ends just after S's write lands
            yield r.uniform(*RACE_DELAY)
        else:
            yield r.uniform(0.02, 0.15)
        victims = [v for v in self.alive if v < g - cfg.keep]
        for v in victims:
            yield r.uniform(*DELETE_LATENCY)
            yield from self._commit(host)
            if self.plans[v].deleted is not None:
                continue  # another Enactor's clean-up got there first
            live = [e for e in self.order if self.current[e] == v]
            if live and cfg.safe_cleanup:
                continue
            self.plans[v].deleted = self.k.now
            self.alive.remove(v)
            for e in live:
                self.timeline[e].append((self.k.now, -1))
                if cfg.restore_after is not None:
                    self.k.spawn(self._restore_later(e), cfg.restore_after)
            rec = self.log(host, self._ev(host, "plan_delete", generation=v, applied_generation=g))
            self.deletes.append(Delete(rec, v, host, self.k.now, live, start))

    # --- operators -----------------------------------------------------------------
    def _operator(self) -> Process:
        for act in sorted(self.cfg.operator, key=lambda a: a.t):
            if act.t > self.k.now:
                yield act.t - self.k.now
            if act.action == "restore_endpoint" and act.endpoint:
                if not (act.only_if_empty and not self.empty(act.endpoint)):
                    yield from self._restore(act.endpoint, act.actor, act.note)
                continue
            if act.action == "disable_automation":
                self.automation_on = False
            self.log(
                OPERATOR, _operator_fields(act.actor, act.action, act.note, endpoint=act.endpoint)
            )

    def _restore_later(self, ep: str) -> Process:
        if self.empty(ep):
            yield from self._restore(ep, "oncall", "endpoint restored by hand")

    def _restore(self, ep: str, actor: str, note: str | None) -> Process:
        """Point ``ep`` at the newest generation applied anywhere (its rollback record too)."""
        yield from self._commit(OPERATOR)
        g = self.latest_ok
        fields = _operator_fields(actor, "restore_endpoint", note, endpoint=ep, generation=g)
        rec = self.log(OPERATOR, fields)
        self.current[ep] = g
        self.history[ep].append(Change(self.k.now, g, rec, None))
        self.timeline[ep].append((self.k.now, g))


def _operator_fields(actor: str, action: str, note: str | None, **kv: Any) -> dict[str, Any]:
    """An operator line's fields, in the order the logs write them; empty ones left out."""
    given = {k: v for k, v in {**kv, "note": note}.items() if v not in (None, "")}
    return {"component": "operator", "actor": actor, "action": action, **given}
