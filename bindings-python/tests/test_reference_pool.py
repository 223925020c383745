"""Independent reference model of the public pool (公海池), compared with crmkit.

The models below are written from the documented semantics alone (DOMAIN.md §3, the README's
"Public pool semantics", the Python stubs and the public docstrings), in plain Python
(`datetime`, `zoneinfo`), not from crmkit's code, and checked against the installed wheel over
seeded random inputs plus the edge cases a demanding reviewer tries first: deadlines exactly on
`as_of` (to the millisecond), local midnights and DST nights in the pool's zone, weekends,
holidays and 调休 make-up days in working-day clocks, limits of 0, a record claimed and released
the same day, limits reached exactly, ties in assignment, empty inputs and unknown names.

What is modelled:

- `evaluate_pool`: pool choice by priority and scope; the effective follow-up predicate (deleted,
  types, actor, future-dated, back-dated); the three rule kinds with both clocks; calendar days,
  working days and hours, inclusive and exclusive; `due_at`, `warn_at`, `elapsed`, `remaining`,
  `status`; exemptions; the decision and the counts.
- `check_claims`: not in pool, embargo, cool-down over every earlier ownership, holdings limit
  (with and without won customers), daily limit counted from the ledger on the pool's local day,
  each across all pools or in this pool; requests decided in order, a refused claim spends
  nothing.
- `assign_records`: first matching route, round robin, least loaded, weighted, inactive reps,
  capacity, fallback queue, cursors and load out.
- `simulate_pool`: night-by-night replay of the evaluation model.

What the model found: a met `since_claim` rule reported `remaining`, the units to a due day
that never comes (negative once that day had passed, beside status `met`): now left out, as
`due_at` and `warn_at` are (vector `pool_met_since_claim_rule_has_no_remaining`).
`check_claims` (and `check_claims_columns`) checked a request against
the claim rules, zone and unit of the pool at the record's pool's list position in the *try*
order, so with priorities a record of one pool was checked under another pool's limits (fixed;
`test_claims_use_the_rules_of_the_records_pool`, vector
`pool_claims_each_record_checked_by_its_own_pool`).

Second round (session 41), no new bug: assignment cut into several runs (each fed the cursors
and load the last returned) is one run, for every strategy; round robin and least loaded stay
within one record of even over 1,000 records with an inactive and a full rep; weighted shares
within 4.5 standard deviations of 6 : 3 : 1 : 0 over 20,000 draws, a capped rep's part shared
in proportion; several rules due at once (the earliest binds, ties by list order); the
cool-down refused at its last millisecond and accepted at its end in all units and boundaries;
which follow-ups restart the clock. The same inputs run in JS and Rust through the vectors
`pool_assign_*_many_rounds`, `pool_claims_cooldown_*` and
`pool_several_rules_due_the_earliest_binds`, whose expectations come from this model.

Choices the documents leave open, where the model follows crmkit's documented or defensible
choice (each is pinned by a test below):

- The weighted draw's mapping from the splitmix64 stream to a rep is not spelled out: draw
  number `k` is the `(k + 1)`-th output of the standard splitmix64 stream seeded with `seed`,
  taken modulo the total weight of the reps that can take the record, walked in list order
  (read off the shared vector `pool_assign_weighted_draws_from_the_seed`).
- "During the ownership" includes an event at the claim instant itself.
- A record with a won deal at any time is a won customer for the `won` exemption.
- `skipped_inactive` / `skipped_full` count every rep of the team who could not take the
  record (reported when not 0), not only the reps a round-robin turn passed over.
- `remaining` in hours is the hours left before `due_at`, rounded up, so that it is ≤ 0
  exactly when the rule is due (with the exclusive boundary `due_at` is 1 ms after `limit`
  hours, and `elapsed` is floored); a rule met during the ownership is never due: it has no
  `due_at`, `warn_at` or `remaining`, and still reports `elapsed` since the claim.
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

import crmkit

UTC = dt.timezone.utc
MS = dt.timedelta(milliseconds=1)
HOUR = dt.timedelta(hours=1)

# ---------------------------------------------------------------------------------------------
# Time: instants, local days, calendars
# ---------------------------------------------------------------------------------------------


def instant(x) -> dt.datetime:
    if isinstance(x, dt.datetime):
        assert x.tzinfo is not None
        return x.astimezone(UTC)
    return dt.datetime.fromisoformat(str(x).replace("Z", "+00:00")).astimezone(UTC)


def local_date(t: dt.datetime, tz: ZoneInfo) -> dt.date:
    return t.astimezone(tz).date()


def day_start(d: dt.date, tz: ZoneInfo) -> dt.datetime:
    """Local midnight of `d` (the earlier one in an overlap; in a gap swallowing midnight, the
    first instant after it: fold=0 reads a missing time with the offset before the change)."""
    t = dt.datetime(d.year, d.month, d.day, tzinfo=tz)
    u = t.astimezone(UTC)
    if u.astimezone(tz).replace(tzinfo=None) == t.replace(tzinfo=None):
        return u
    lo, hi = u - dt.timedelta(hours=4), u + dt.timedelta(hours=4)  # first instant of local day d
    while hi - lo > MS:
        mid = lo + (hi - lo) // 2
        mid = mid - dt.timedelta(microseconds=mid.microsecond % 1000)
        if mid.astimezone(tz).date() >= d:
            hi = mid
        else:
            lo = mid
    return hi


def as_of_in(as_of, tz: ZoneInfo) -> dt.datetime:
    if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
        return day_start(as_of + dt.timedelta(days=1), tz) - MS
    return instant(as_of)


class Calendar:
    def __init__(self, spec: dict | None):
        spec = spec or {}
        self.weekend = set(spec.get("weekend", [6, 7]))
        self.holidays = {dt.date.fromisoformat(str(h)) for h in spec.get("holidays", [])}
        self.workdays = {dt.date.fromisoformat(str(h)) for h in spec.get("workdays", [])}

    def worked(self, d: dt.date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.isoweekday() not in self.weekend

    def count(self, a: dt.date, b: dt.date) -> int:
        """Working days in (a, b]."""
        n, d = 0, a
        while d < b:
            d += dt.timedelta(days=1)
            n += self.worked(d)
        return n

    def reach(self, a: dt.date, n: int) -> dt.date:
        """The first d >= a with count(a, d) >= n."""
        d, c = a, 0
        while c < n:
            d += dt.timedelta(days=1)
            c += self.worked(d)
        return d


class PoolSpec:
    def __init__(self, policy: dict, p: dict):
        self.id = p["id"]
        self.raw = p
        self.tz = ZoneInfo(p.get("time_zone", policy["time_zone"]))
        self.unit = p.get("unit", "calendar_days")
        self.boundary = p.get("boundary", "exclusive")
        self.warn_before = p.get("warn_before")
        cal = p.get("calendar")
        self.cal = Calendar(policy.get("calendars", {}).get(cal) if cal else None)
        self.follow = p.get("follow_up", {})
        ex = p.get("exempt", {})
        self.ex_locked = ex.get("locked", True)
        self.ex_won = ex.get("won", False)
        self.ex_contract = ex.get("open_contract", True)
        self.ex_tags = ex.get("tags", [])
        self.rules = p["rules"]
        self.claims = p.get("claims", {})

    def clock(self, start: dt.datetime, limit: int, as_of: dt.datetime, warn: int | None):
        """(elapsed, remaining, due_at, warn_at) of a clock started at `start`."""
        n = limit + (1 if self.boundary == "exclusive" else 0)
        if self.unit == "hours":
            elapsed = (as_of - start) // HOUR
            due = start + limit * HOUR + (MS if self.boundary == "exclusive" else dt.timedelta(0))
            warn_at = None if warn is None else max(due - warn * HOUR, start)
            # hours left before due_at, rounded up: <= 0 exactly when as_of >= due_at (elapsed is
            # floored, so `n - elapsed` would still say 1 between 24 h and 24 h 1 ms, exclusive)
            return elapsed, -((as_of - due) // HOUR), due, warn_at
        sd, ad = local_date(start, self.tz), local_date(as_of, self.tz)
        if self.unit == "calendar_days":
            elapsed = (ad - sd).days

            def reach(k):
                return sd + dt.timedelta(days=max(k, 0))
        else:
            elapsed = self.cal.count(sd, ad)

            def reach(k):
                return self.cal.reach(sd, k)

        due = max(day_start(reach(n), self.tz), start)
        warn_at = None if warn is None else max(day_start(reach(n - warn), self.tz), start)
        return elapsed, n - elapsed, due, warn_at


# ---------------------------------------------------------------------------------------------
# evaluate_pool
# ---------------------------------------------------------------------------------------------

SCOPE_FIELDS = [("owners", "owner"), ("departments", "department"), ("regions", "region"),
                ("product_lines", "product_line"), ("levels", "level")]


def in_scope(scope: dict, rec: dict) -> bool:
    if scope.get("everyone"):
        return True
    lists = [(scope[k], f) for k, f in SCOPE_FIELDS if scope.get(k)]
    return bool(lists) and all(rec.get(f) in vals for vals, f in lists)


def pool_order(policy: dict) -> list[dict]:
    ps = list(enumerate(policy["pools"]))
    ps.sort(key=lambda ip: (ip[1].get("priority") is None, ip[1].get("priority") or 0, ip[0]))
    return [p for _, p in ps]


def classify(pool: PoolSpec, rec: dict, a: dict) -> str | None:
    """None when the activity is an effective follow-up, else its ignored_* code."""
    f = pool.follow
    if a.get("deleted"):
        return "ignored_deleted"
    if f.get("types") and a["type"] not in f["types"]:
        return "ignored_type"
    actor = f.get("actor", "owner")
    if actor == "owner" and a["actor"] != rec["owner"]:
        return "ignored_actor"
    if actor == "team" and a["actor"] != rec["owner"] and a["actor"] not in rec.get("team", []):
        return "ignored_actor"
    at = instant(a["at"])
    logged = instant(a["logged_at"]) if a.get("logged_at") is not None else at
    if at > logged:
        return "ignored_future_dated"
    lim = f.get("backdate_limit_hours")
    if lim is not None and logged - at > lim * HOUR:
        return "ignored_backdated"
    return None


def model_decide(pool: PoolSpec, rec: dict, acts: list[dict], as_of: dt.datetime) -> dict:
    claim = instant(rec["claimed_at"])
    ignored: dict[str, int] = {}
    last_fu = None
    for a in acts:
        why = classify(pool, rec, a)
        if why:
            ignored[why] = ignored.get(why, 0) + 1
            continue
        at = instant(a["at"])
        if at >= claim and (last_fu is None or at > last_fu):
            last_fu = at
    out = {"record": rec["id"], "owner": rec["owner"], "pool": pool.id, "last_follow_up_at": last_fu,
           "ignored": ignored}
    exempt = []
    if pool.ex_locked and rec.get("locked"):
        exempt.append("exempt_locked")
    if pool.ex_won and rec.get("last_won_at") is not None:
        exempt.append("exempt_won")
    if pool.ex_contract and rec.get("open_contract"):
        exempt.append("exempt_open_contract")
    if any(t in pool.ex_tags for t in rec.get("tags", [])):
        exempt.append("exempt_tag")
    out["exempt"] = exempt
    rules = []
    for r in pool.rules:
        if r.get("levels") and rec.get("level") not in r["levels"]:
            continue
        ev = {"no_follow_up": last_fu, "no_won_deal": rec.get("last_won_at"),
              "no_new_opportunity": rec.get("last_opportunity_at")}[r["kind"]]
        ev = instant(ev) if ev is not None else None
        if ev is not None and ev < claim:
            ev = None
        clock = r.get("clock", "since_last_event")
        start = max(claim, ev) if (clock == "since_last_event" and ev is not None) else claim
        elapsed, remaining, due, warn_at = pool.clock(start, r["limit"], as_of, pool.warn_before)
        if clock == "since_claim" and ev is not None:
            status = "met"  # never due: no due_at, warn_at or remaining
            due = warn_at = remaining = None
        elif as_of >= due:
            status = "due"
        elif warn_at is not None and as_of >= warn_at:
            status = "warn"
        else:
            status = "keep"
        rules.append({"rule": r["id"], "code": r["kind"], "since": start, "elapsed": elapsed,
                      "remaining": remaining, "due_at": due, "warn_at": warn_at, "status": status,
                      "limit": r["limit"], "clock": clock})
    out["rules"] = rules
    if exempt:
        out["decision"] = "exempt"
        return out
    live = [r for r in rules if r["status"] != "met"]
    if not live:
        out["decision"] = "keep"
        out["no_rule"] = not rules
        return out
    best = min(live, key=lambda r: r["due_at"])  # min keeps the first of equal ones
    out["rule"] = best["rule"]
    out["due_at"] = best["due_at"]
    out["warn_at"] = best["warn_at"]
    out["decision"] = {"due": "recycle", "warn": "warn", "keep": "keep"}[best["status"]]
    return out


def model_evaluate(policy: dict, records: list[dict], activities: list[dict], as_of) -> list[dict]:
    order = [PoolSpec(policy, p) for p in pool_order(policy)]
    by_rec: dict[str, list[dict]] = {}
    for a in activities:
        by_rec.setdefault(a["record"], []).append(a)
    out = []
    for rec in records:
        pool = next(p for p in order if in_scope(p.raw["scope"], rec))
        out.append(model_decide(pool, rec, by_rec.get(rec["id"], []), as_of_in(as_of, pool.tz)))
    return out


def compare_evaluate(policy, records, activities, as_of, ctx=""):
    got = crmkit.evaluate_pool(policy, records, activities, as_of)
    want = model_evaluate(policy, records, activities, as_of)
    assert len(got["decisions"]) == len(want)
    for g, w in zip(got["decisions"], want):
        where = f"{ctx} record {w['record']}"
        assert g["record"] == w["record"] and g["owner"] == w["owner"], where
        assert g["pool"] == w["pool"], where
        assert g["decision"] == w["decision"], (where, g, w)
        assert g.get("last_follow_up_at") == w["last_follow_up_at"], (where, g, w)
        if w["decision"] != "exempt":
            assert g.get("rule") == w.get("rule"), (where, g, w)
            assert g.get("due_at") == w.get("due_at"), (where, g, w)
            assert g.get("warn_at") == w.get("warn_at"), (where, g, w)
        codes = [r["code"] for r in g["reasons"]]
        for e in w["exempt"]:
            assert e in codes, (where, g, w)
        assert [c for c in codes if c.startswith("exempt_")] == w["exempt"], (where, g, w)
        ign = {r["code"]: r["count"] for r in g["reasons"] if r["code"].startswith("ignored_")}
        assert ign == w["ignored"], (where, g, w)
        if w["decision"] != "exempt":
            grs = [r for r in g["reasons"] if r.get("rule") is not None]
            assert [r["rule"] for r in grs] == [r["rule"] for r in w["rules"]], (where, g, w)
            for gr, wr in zip(grs, w["rules"]):
                for k in ("code", "since", "elapsed", "remaining", "due_at", "status", "limit", "clock"):
                    assert gr.get(k) == wr[k], (where, k, gr, wr)
                assert gr.get("warn_at") == wr["warn_at"], (where, gr, wr)
            assert ("no_rule_applies" in codes) == (not w["rules"]), (where, g, w)
    counts = {p["id"]: {"records": 0, "keep": 0, "warn": 0, "recycle": 0, "exempt": 0} for p in policy["pools"]}
    for w in want:
        c = counts.setdefault(w["pool"], {"records": 0, "keep": 0, "warn": 0, "recycle": 0, "exempt": 0})
        c["records"] += 1
        c[w["decision"]] += 1
    # every pool of the policy, in the policy's order (not the try order)
    assert [line["pool"] for line in got["pools"]] == list(counts), ctx
    got_counts = {line["pool"]: {k: line[k] for k in ("records", "keep", "warn", "recycle", "exempt")}
                  for line in got["pools"]}
    assert got_counts == counts, ctx
    tot = {k: sum(c[k] for c in counts.values()) for k in ("records", "keep", "warn", "recycle", "exempt")}
    assert {k: got["totals"][k] for k in tot} == tot, ctx
    return got, want


# ---------------------------------------------------------------------------------------------
# Random books for evaluate_pool
# ---------------------------------------------------------------------------------------------

ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "UTC", "America/Santiago", "Australia/Lord_Howe"]
CN_CAL = {
    "holidays": ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06",
                 "2026-10-07", "2026-11-11", "2026-03-09"],
    "workdays": ["2026-09-27", "2026-10-10", "2026-03-07"],
}
ME_CAL = {"weekend": [5, 6], "holidays": ["2026-10-15", "2026-10-16"], "workdays": ["2026-10-10"]}
BASE = dt.datetime(2026, 9, 1, tzinfo=UTC)


def rnd_instant(rng: random.Random, lo_days: int, hi_days: int) -> dt.datetime:
    t = BASE + dt.timedelta(days=rng.randint(lo_days, hi_days), hours=rng.randint(0, 23),
                            minutes=rng.choice([0, 0, 30, 59]), seconds=rng.choice([0, 0, 59]))
    if rng.random() < 0.2:  # exactly a local midnight somewhere
        tz = ZoneInfo(rng.choice(ZONES))
        t = day_start(local_date(t, tz), tz)
    if rng.random() < 0.1:
        t += MS * rng.choice([-1, 1])
    return t


def rfc(t: dt.datetime, rng: random.Random) -> str | dt.datetime:
    """The instant, written in some zone, as text or as an aware datetime."""
    z = ZoneInfo(rng.choice(ZONES))
    lt = t.astimezone(z)
    return lt if rng.random() < 0.5 else lt.isoformat()


def rnd_pool(rng: random.Random, i: int, n_pools: int) -> dict:
    p: dict = {"id": f"p{i}", "rules": []}
    if rng.random() < 0.6:
        p["priority"] = rng.randint(0, 3)
    if i == n_pools - 1:
        p["scope"] = {"everyone": True}
    else:
        scope = {}
        for k, vals in [("owners", ["wang", "li", "zhao"]), ("departments", ["east", "west"]),
                        ("regions", ["north", "south"]), ("levels", ["A", "B", "C"])]:
            if rng.random() < 0.35:
                scope[k] = rng.sample(vals, rng.randint(1, 2))
        p["scope"] = scope or {"owners": ["wang"]}
    if rng.random() < 0.5:
        p["time_zone"] = rng.choice(ZONES)
    p["unit"] = rng.choice(["calendar_days", "calendar_days", "working_days", "hours"])
    if p["unit"] == "working_days" and rng.random() < 0.7:
        p["calendar"] = rng.choice(["cn", "cn", "me"])
    if rng.random() < 0.6:
        p["boundary"] = rng.choice(["exclusive", "inclusive"])
    big = p["unit"] == "hours"
    if rng.random() < 0.7:
        p["warn_before"] = rng.randint(0, 60 if big else 8)
    fu = {}
    if rng.random() < 0.4:
        fu["types"] = rng.sample(["call", "visit", "note"], rng.randint(1, 2))
    if rng.random() < 0.6:
        fu["actor"] = rng.choice(["owner", "team", "anyone"])
    if rng.random() < 0.5:
        fu["backdate_limit_hours"] = rng.choice([0, 1, 24, 48])
    if fu:
        p["follow_up"] = fu
    if rng.random() < 0.6:
        ex = {}
        for k in ("locked", "won", "open_contract"):
            if rng.random() < 0.5:
                ex[k] = rng.random() < 0.5
        if rng.random() < 0.4:
            ex["tags"] = ["vip"]
        p["exempt"] = ex
    for j in range(rng.randint(1, 3)):
        r = {"id": f"r{j}", "kind": rng.choice(["no_follow_up", "no_won_deal", "no_new_opportunity"]),
             "limit": rng.choice([0, 1, 2, 3, 5, 7, 10, 14, 20, 30] if not big else [0, 1, 24, 48, 100, 500, 900])}
        if rng.random() < 0.4:
            r["clock"] = rng.choice(["since_last_event", "since_claim"])
        if rng.random() < 0.3:
            r["levels"] = rng.sample(["A", "B"], rng.randint(1, 2))
        p["rules"].append(r)
    if rng.random() < 0.2:
        p["claims"] = {}
    return p


def rnd_book(rng: random.Random, n_records: int, n_acts: int, as_of_t: dt.datetime):
    records = []
    horizon = (as_of_t - BASE).days
    for i in range(n_records):
        claim = rnd_instant(rng, max(horizon - 45, 0), max(horizon - 1, 0))
        claim = min(claim, as_of_t - dt.timedelta(hours=1))
        r = {"id": f"c{i}", "owner": rng.choice(["wang", "li", "zhao", "qian"]), "claimed_at": rfc(claim, rng)}
        for k, vals in [("department", ["east", "west"]), ("region", ["north", "south"]),
                        ("level", ["A", "B", "C"])]:
            if rng.random() < 0.7:
                r[k] = rng.choice(vals)
        if rng.random() < 0.4:
            r["team"] = rng.sample(["wang", "li", "zhao", "qian", "sun"], 2)
        if rng.random() < 0.2:
            r["tags"] = rng.sample(["vip", "x"], 1)
        for k in ("locked", "open_contract"):
            if rng.random() < 0.15:
                r[k] = True
        for k in ("last_won_at", "last_opportunity_at"):
            if rng.random() < 0.3:
                t = rnd_instant(rng, -20, horizon)
                r[k] = rfc(min(t, as_of_t), rng)
        records.append(r)
    acts = []
    for _ in range(n_acts if records else 0):
        rec = rng.choice(records)
        t = rnd_instant(rng, horizon - 40, horizon)
        t = min(t, as_of_t)
        a = {"record": rec["id"], "at": rfc(t, rng), "type": rng.choice(["call", "visit", "note"]),
             "actor": rng.choice([rec["owner"], rec["owner"], "sun", "zhao"])}
        if rng.random() < 0.6:
            lag = rng.choice([0, 1, 3600_000, 20 * 3600_000, 24 * 3600_000, 24 * 3600_000 + 1, 60 * 3600_000, -1, -3600_000])
            logged = min(t + MS * lag, as_of_t)
            a["logged_at"] = rfc(logged, rng)
        if rng.random() < 0.5:
            a["updated_at"] = rfc(as_of_t, rng)
        if rng.random() < 0.1:
            a["deleted"] = True
        acts.append(a)
    return records, acts


def rnd_as_of(rng: random.Random):
    d = dt.date(2026, 9, 1) + dt.timedelta(days=rng.randint(20, 90))
    if rng.random() < 0.5:
        return d, dt.datetime(d.year, d.month, d.day, tzinfo=UTC) - dt.timedelta(days=1)
    t = rnd_instant(rng, 20, 90)
    return rfc(t, rng), t - dt.timedelta(days=1)


@pytest.mark.parametrize("seed", range(150))
def test_evaluate_matches_the_model(seed):
    rng = random.Random(seed)
    n_pools = rng.randint(1, 4)
    policy = {"time_zone": rng.choice(ZONES), "calendars": {"cn": CN_CAL, "me": ME_CAL},
              "pools": [rnd_pool(rng, i, n_pools) for i in range(n_pools)]}
    as_of, safe = rnd_as_of(rng)
    records, acts = rnd_book(rng, rng.randint(0, 25), rng.randint(0, 60), safe)
    compare_evaluate(policy, records, acts, as_of, ctx=f"seed {seed}")


# ---------------------------------------------------------------------------------------------
# check_claims
# ---------------------------------------------------------------------------------------------


def model_claims(policy: dict, inp: dict, as_of) -> dict:
    pools = {p["id"]: PoolSpec(policy, p) for p in policy["pools"]}
    pooled = {r["id"]: r for r in inp["pooled"]}
    ledger = inp.get("ledger", [])
    per_pool = any("pool" in h for h in inp.get("holdings", []))
    hold: dict[tuple, list[int]] = {}
    for h in inp.get("holdings", []):
        hold[(h["user"], h.get("pool") if per_pool else None)] = [h["owned"], h.get("won", 0)]
    taken: set[str] = set()
    accepted: list[tuple[str, str, dt.datetime]] = []  # user, pool, at
    decisions, out_ledger = [], []
    for req in inp["requests"]:
        user, rid = req["user"], req["record"]
        d = {"user": user, "record": rid, "reasons": []}
        decisions.append(d)
        if rid not in pooled or rid in taken:
            d["pool"] = pooled[rid]["pool"] if rid in pooled else None
            d["accepted"] = False
            d["reasons"].append({"code": "not_in_pool"})
            continue
        pid = pooled[rid]["pool"]
        d["pool"] = pid
        pool = pools[pid]
        now = as_of_in(as_of, pool.tz)
        rules = pool.claims
        if rules.get("embargo") is not None:
            since = instant(pooled[rid]["pooled_at"])
            _, _, until, _ = pool.clock(since, rules["embargo"], now, None)
            if now < until:
                d["reasons"].append({"code": "embargoed", "since": since, "until": until})
        if rules.get("cooldown") is not None:
            this = rules.get("cooldown_counts", "all_pools") == "this_pool"
            ends = [instant(e["at"]) for e in ledger
                    if e["user"] == user and e["record"] == rid and e["event"] in ("release", "recycle")
                    and (not this or e.get("pool") == pid)]
            best = None
            for since in ends:
                _, _, until, _ = pool.clock(since, rules["cooldown"], now, None)
                if now < until and (best is None or until > best[1]):
                    best = (since, until)
            if best:
                d["reasons"].append({"code": "cooldown", "since": best[0], "until": best[1],
                                     "counts": "this_pool" if this else "all_pools"})
        if rules.get("holdings_limit") is not None:
            this = rules.get("holdings_limit_counts", "all_pools") == "this_pool"
            count = 0
            for (u, p), (owned, won) in hold.items():
                if u == user and (not this or p == pid):
                    count += owned - (won if rules.get("holdings_exclude_won") else 0)
            if count + 1 > rules["holdings_limit"]:
                d["reasons"].append({"code": "holdings_limit", "count": count, "limit": rules["holdings_limit"],
                                     "counts": "this_pool" if this else "all_pools"})
        if rules.get("daily_limit") is not None:
            this = rules.get("daily_limit_counts", "all_pools") == "this_pool"
            today = local_date(now, pool.tz)
            count = sum(1 for e in ledger if e["event"] == "claim" and e["user"] == user
                        and local_date(instant(e["at"]), pool.tz) == today and (not this or e.get("pool") == pid))
            count += sum(1 for u, p, at in accepted if u == user and (not this or p == pid)
                         and local_date(at, pool.tz) == today)
            if count + 1 > rules["daily_limit"]:
                d["reasons"].append({"code": "daily_limit", "count": count, "limit": rules["daily_limit"],
                                     "counts": "this_pool" if this else "all_pools"})
        d["accepted"] = not d["reasons"]
        if d["accepted"]:
            taken.add(rid)
            accepted.append((user, pid, now))
            key = (user, pid if per_pool else None)
            hold.setdefault(key, [0, 0])[0] += 1
            out_ledger.append({"at": now, "user": user, "record": rid, "pool": pid, "event": "claim"})
    # every user who asked or was listed (per pool: for the pool of the record asked for)
    for req in inp["requests"]:
        if not per_pool:
            hold.setdefault((req["user"], None), [0, 0])
        elif req["record"] in pooled:
            hold.setdefault((req["user"], pooled[req["record"]]["pool"]), [0, 0])
    holdings = sorted(((u, p, o, w) for (u, p), (o, w) in hold.items()), key=lambda x: (x[0], x[1] or ""))
    return {"decisions": decisions, "ledger": out_ledger, "holdings": holdings}


def compare_claims(policy, inp, as_of, ctx=""):
    got = crmkit.check_claims(policy, inp, as_of)
    want = model_claims(policy, inp, as_of)
    assert len(got["decisions"]) == len(want["decisions"])
    for i, (g, w) in enumerate(zip(got["decisions"], want["decisions"])):
        where = (ctx, i, g, w)
        assert g["accepted"] == w["accepted"], where
        assert g.get("pool") == w["pool"], where
        assert [r["code"] for r in g["reasons"]] == [r["code"] for r in w["reasons"]], where
        for gr, wr in zip(g["reasons"], w["reasons"]):
            for k, v in wr.items():
                assert gr.get(k) == v, (where, k)
    assert [(e["at"], e["user"], e["record"], e.get("pool"), e["event"]) for e in got["ledger"]] == [
        (e["at"], e["user"], e["record"], e["pool"], e["event"]) for e in want["ledger"]], ctx
    assert [(h["user"], h.get("pool"), h["owned"], h.get("won", 0)) for h in got["holdings"]] == want["holdings"], (
        ctx, got["holdings"], want["holdings"])
    return got, want


def rnd_claims_case(rng: random.Random):
    n_pools = rng.randint(1, 3)
    pools = []
    for i in range(n_pools):
        p = rnd_pool(rng, i, n_pools)
        c = {}
        big = p["unit"] == "hours"
        if rng.random() < 0.6:
            c["holdings_limit"] = rng.randint(0, 6)
        if rng.random() < 0.4:
            c["holdings_exclude_won"] = rng.random() < 0.5
        if rng.random() < 0.7:
            c["daily_limit"] = rng.randint(0, 3)
        if rng.random() < 0.6:
            c["cooldown"] = rng.choice([0, 1, 2, 5, 30] if not big else [0, 1, 24, 72])
        if rng.random() < 0.5:
            c["embargo"] = rng.choice([0, 1, 3] if not big else [0, 1, 12, 48])
        for k in ("holdings_limit_counts", "daily_limit_counts", "cooldown_counts"):
            if rng.random() < 0.4:
                c[k] = rng.choice(["all_pools", "this_pool"])
        p["claims"] = c
        pools.append(p)
    policy = {"time_zone": rng.choice(ZONES), "calendars": {"cn": CN_CAL, "me": ME_CAL}, "pools": pools}
    as_of, safe = rnd_as_of(rng)
    pids = [p["id"] for p in pools]
    users = ["wang", "li", "zhao"]
    recs = [f"c{i}" for i in range(rng.randint(0, 8))]
    pooled = [{"id": r, "pool": rng.choice(pids), "pooled_at": rfc(safe - dt.timedelta(hours=rng.randint(0, 100)), rng)}
              for r in recs if rng.random() < 0.85]
    per_pool = rng.random() < 0.4
    holdings = []
    for u in users:
        if rng.random() < 0.7:
            for p in (pids if per_pool else [None]):
                owned = rng.randint(0, 6)
                h = {"user": u, "owned": owned}
                if rng.random() < 0.6:
                    h["won"] = rng.randint(0, owned)
                if p:
                    h["pool"] = p
                holdings.append(h)
    ledger = []
    t = safe - dt.timedelta(days=rng.randint(0, 40))
    for _ in range(rng.randint(0, 12)):
        t = min(t + dt.timedelta(minutes=rng.choice([0, 30, 600, 1440, 3000])), safe)
        e = {"at": rfc(t, rng), "user": rng.choice(users), "record": rng.choice(recs or ["z"]),
             "event": rng.choice(["claim", "claim", "assign", "release", "recycle"]), "pool": rng.choice(pids)}
        ledger.append(e)
    requests = [{"user": rng.choice(users), "record": rng.choice(recs + ["nope"])} for _ in range(rng.randint(0, 8))]
    inp = {"pooled": pooled, "requests": requests, "ledger": ledger}
    if holdings or rng.random() < 0.5:
        inp["holdings"] = holdings
    if not (per_pool and holdings):
        for p in pools:
            p["claims"].pop("holdings_limit_counts", None)
    return policy, inp, as_of


@pytest.mark.parametrize("seed", range(150))
def test_claims_match_the_model(seed):
    rng = random.Random(1000 + seed)
    policy, inp, as_of = rnd_claims_case(rng)
    compare_claims(policy, inp, as_of, ctx=f"seed {seed}")


# ---------------------------------------------------------------------------------------------
# assign_records
# ---------------------------------------------------------------------------------------------

M64 = (1 << 64) - 1


def splitmix64(seed: int, k: int) -> int:
    """Output number k (from 0) of the splitmix64 stream seeded with `seed`."""
    z = (seed + (k + 1) * 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


ROUTE_FIELDS = [("regions", "region"), ("product_lines", "product_line"), ("levels", "level"), ("sources", "source")]


def route_takes(when: dict, rec: dict) -> bool:
    if when.get("any"):
        return True
    lists = [(when[k], f) for k, f in ROUTE_FIELDS if when.get(k)]
    return bool(lists) and all(rec.get(f) in vals for vals, f in lists)


def model_assign(policy: dict, inp: dict) -> dict:
    teams = {t["id"]: t for t in policy["teams"]}
    held = {e["rep"]: e["held"] for e in inp.get("load", [])}
    assigned: dict[str, int] = {}
    for t in policy["teams"]:
        for r in t["reps"]:
            held.setdefault(r["id"], 0)
    cursors = {t["id"]: inp.get("cursors", {}).get(t["id"], 0) for t in policy["teams"]}
    seed = int(inp.get("seed", 0))
    out = []
    for rec in inp["records"]:
        a = {"record": rec["id"], "reasons": []}
        out.append(a)
        route = next((r for r in policy["routes"] if route_takes(r["when"], rec)), None)
        if route is None:
            a["queue"] = policy["fallback_queue"]
            a["reasons"].append({"code": "no_route"})
            continue
        team = teams[route["team"]]
        a["team"] = team["id"]
        a["reasons"].append({"code": "routed", "route": route["id"]})
        reps = team["reps"]
        n = len(reps)

        def load(r):
            return held[r["id"]] + assigned.get(r["id"], 0)

        def can(r):
            return r.get("active", True) and (r.get("capacity") is None or load(r) < r["capacity"])

        inactive = sum(1 for r in reps if not r.get("active", True))
        full = sum(1 for r in reps if r.get("active", True) and not can(r))
        strategy = team["strategy"]
        c = cursors[team["id"]]
        chosen, why = None, None
        if strategy == "weighted":
            pool = [r for r in reps if can(r) and r.get("weight", 1) > 0]
            total = sum(r.get("weight", 1) for r in pool)
            if total:
                x = splitmix64(seed, c) % total
                for r in pool:
                    if x < r.get("weight", 1):
                        chosen = r
                        break
                    x -= r.get("weight", 1)
                why = {"code": "weighted_draw", "cursor": c}
                cursors[team["id"]] = c + 1
        elif n:
            order = [(c + i) % n for i in range(n)]
            ok = [i for i in order if can(reps[i])]
            if ok:
                if strategy == "round_robin":
                    i = ok[0]
                    why = {"code": "round_robin", "cursor": c}
                else:
                    least = min(load(reps[i]) for i in ok)
                    i = next(i for i in ok if load(reps[i]) == least)
                    why = {"code": "least_loaded", "count": least}
                chosen = reps[i]
                cursors[team["id"]] = (i + 1) % n
        if chosen is None:
            a["queue"] = policy["fallback_queue"]
            a["reasons"].append({"code": "no_available_rep"})
        else:
            a["rep"] = chosen["id"]
            a["reasons"].append(why)
            assigned[chosen["id"]] = assigned.get(chosen["id"], 0) + 1
        # every rep of the team who could not take the record, not only those passed over
        if inactive:
            a["reasons"].append({"code": "skipped_inactive", "count": inactive})
        if full:
            a["reasons"].append({"code": "skipped_full", "count": full})
    load_out = [{"rep": r, "held": held[r], "assigned": assigned.get(r, 0)} for r in sorted(held)]
    return {"assignments": out, "cursors": cursors, "load": load_out}


def compare_assign(policy, inp, ctx=""):
    got = crmkit.assign_records(policy, inp)
    want = model_assign(policy, inp)
    for i, (g, w) in enumerate(zip(got["assignments"], want["assignments"], strict=True)):
        where = (ctx, i, g, w)
        assert g["record"] == w["record"], where
        assert g.get("team") == w.get("team") and g.get("rep") == w.get("rep") and g.get("queue") == w.get("queue"), where
        assert g["reasons"] == w["reasons"], where
    assert got["cursors"] == want["cursors"], ctx
    assert got["load"] == want["load"], ctx
    return got, want


def rnd_assign_case(rng: random.Random):
    teams = []
    for i in range(rng.randint(1, 3)):
        reps = []
        for j in rng.sample(range(6), rng.randint(0, 4)):
            r = {"id": f"u{j}"}
            if rng.random() < 0.3:
                r["weight"] = rng.choice([0, 1, 2, 5, 1000])
            if rng.random() < 0.4:
                r["capacity"] = rng.randint(0, 5)
            if rng.random() < 0.2:
                r["active"] = rng.random() < 0.5
            reps.append(r)
        teams.append({"id": f"t{i}", "strategy": rng.choice(["round_robin", "weighted", "least_loaded"]), "reps": reps})
    routes = []
    for i in range(rng.randint(0, 4)):
        when = {}
        if rng.random() < 0.3:
            when = {"any": True}
        else:
            for k, vals in [("regions", ["n", "s"]), ("product_lines", ["erp", "crm"]), ("levels", ["A", "B"]),
                            ("sources", ["web", "ads"])]:
                if rng.random() < 0.4:
                    when[k] = rng.sample(vals, 1)
        routes.append({"id": f"r{i}", "when": when, "team": rng.choice(teams)["id"]})
    policy = {"teams": teams, "routes": routes, "fallback_queue": "queue"}
    records = []
    for i in range(rng.randint(0, 20)):
        rec = {"id": f"x{i}"}
        for f, vals in [("region", ["n", "s"]), ("product_line", ["erp", "crm"]), ("level", ["A", "B"]), ("source", ["web", "ads"])]:
            if rng.random() < 0.8:
                rec[f] = rng.choice(vals)
        records.append(rec)
    inp = {"records": records}
    reps = sorted({r["id"] for t in teams for r in t["reps"]} | {"u9"})
    if rng.random() < 0.7:
        inp["load"] = [{"rep": r, "held": rng.randint(0, 4)} for r in reps if rng.random() < 0.6]
    if rng.random() < 0.7:
        inp["cursors"] = {t["id"]: rng.randint(0, 7) for t in teams if rng.random() < 0.7}
    if rng.random() < 0.7:
        inp["seed"] = rng.choice([0, 1, 42, 2**63 + 5, 2**64 - 1])
    return policy, inp


@pytest.mark.parametrize("seed", range(150))
def test_assign_matches_the_model(seed):
    rng = random.Random(2000 + seed)
    policy, inp = rnd_assign_case(rng)
    compare_assign(policy, inp, ctx=f"seed {seed}")


# ---------------------------------------------------------------------------------------------
# simulate_pool: the evaluation model night by night
# ---------------------------------------------------------------------------------------------


def first_recycled(policy: dict, records: list[dict], activities: list[dict], start: dt.date, end: dt.date):
    order = [PoolSpec(policy, p) for p in pool_order(policy)]
    by_rec: dict[str, list[dict]] = {}
    for a in activities:
        by_rec.setdefault(a["record"], []).append(a)
    out = {}
    for rec in records:
        pool = next(p for p in order if in_scope(p.raw["scope"], rec))
        d = start
        while d <= end:
            now = as_of_in(d, pool.tz)
            if instant(rec["claimed_at"]) <= now:
                seen = dict(rec)
                for k in ("last_won_at", "last_opportunity_at"):
                    if seen.get(k) is not None and instant(seen[k]) > now:
                        del seen[k]
                acts = [a for a in by_rec.get(rec["id"], [])
                        if instant(a.get("logged_at") or a["at"]) <= now and instant(a["at"]) <= now]
                if model_decide(pool, seen, acts, now)["decision"] == "recycle":
                    out[rec["id"]] = (d, rec["owner"])
                    break
            d += dt.timedelta(days=1)
    return out


def model_simulate(a, b, records, activities, start, end):
    ra = first_recycled(a, records, activities, start, end)
    rb = first_recycled(b, records, activities, start, end)
    lines: dict[tuple, list[int]] = {}
    for i, r in enumerate((ra, rb)):
        for d, owner in r.values():
            lines.setdefault((d, owner), [0, 0])[i] += 1
    return sorted((d, o, x, y) for (d, o), (x, y) in lines.items())


def compare_simulate(a, b, records, activities, start, end, ctx=""):
    got = crmkit.simulate_pool(a, b, records, activities, start, end)
    want = model_simulate(a, b, records, activities, start, end)
    assert [(l["date"], l["owner"], l["a"], l["b"]) for l in got["lines"]] == want, ctx
    owners: dict[str, list[int]] = {}
    for _, o, x, y in want:
        owners.setdefault(o, [0, 0])
        owners[o][0] += x
        owners[o][1] += y
    assert {t["key"]: [t["a"], t["b"]] for t in got["owners"] if t["a"] or t["b"]} == owners, ctx
    assert [got["total"]["a"], got["total"]["b"]] == [sum(w[2] for w in want), sum(w[3] for w in want)], ctx
    return got, want


@pytest.mark.parametrize("seed", range(40))
def test_simulate_matches_the_model(seed):
    rng = random.Random(3000 + seed)
    pols = []
    for _ in range(2):
        n_pools = rng.randint(1, 3)
        pols.append({"time_zone": rng.choice(ZONES), "calendars": {"cn": CN_CAL, "me": ME_CAL},
                     "pools": [rnd_pool(rng, i, n_pools) for i in range(n_pools)]})
    end = dt.date(2026, 9, 1) + dt.timedelta(days=rng.randint(30, 70))
    start = end - dt.timedelta(days=rng.randint(0, 25))
    safe = dt.datetime(end.year, end.month, end.day, tzinfo=UTC) - dt.timedelta(days=1)
    records, acts = rnd_book(rng, rng.randint(0, 12), rng.randint(0, 30), safe)
    compare_simulate(pols[0], pols[1], records, acts, start, end, ctx=f"seed {seed}")


# ---------------------------------------------------------------------------------------------
# Edge cases a reviewer tries first
# ---------------------------------------------------------------------------------------------

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")


def one_pool(**kw) -> dict:
    pool = {"id": "p", "scope": {"everyone": True}, "rules": [{"id": "r", "kind": "no_follow_up", "limit": 30}]}
    pool.update(kw)
    return {"time_zone": "Asia/Shanghai", "calendars": {"cn": CN_CAL, "me": ME_CAL}, "pools": [pool]}


def rec(claimed_at, **kw) -> dict:
    return {"id": "c1", "owner": "wang", "claimed_at": claimed_at, **kw}


@pytest.mark.parametrize("unit", ["calendar_days", "working_days", "hours"])
@pytest.mark.parametrize("boundary", ["exclusive", "inclusive"])
@pytest.mark.parametrize("limit", [0, 1, 5])
def test_deadline_exactly_on_as_of(unit, boundary, limit):
    """At due_at - 1 ms the record is not recycled, at due_at it is; and `remaining` says so."""
    claim = dt.datetime(2026, 9, 25, 10, tzinfo=SH)  # a Friday before the October holidays
    policy = one_pool(unit=unit, boundary=boundary, calendar="cn", warn_before=1,
                      rules=[{"id": "r", "kind": "no_follow_up", "limit": limit}])
    far = crmkit.evaluate_pool(policy, [rec(claim)], [], dt.datetime(2026, 12, 31, tzinfo=SH))
    due = far["decisions"][0]["due_at"]
    for t in (due - MS, due, due + MS, due + dt.timedelta(minutes=30)):
        if t < claim:
            continue
        got, want = compare_evaluate(policy, [rec(claim)], [], t, ctx=f"{unit} {boundary} {limit} at {t}")
        d = got["decisions"][0]
        assert (d["decision"] == "recycle") == (t >= due)
        r = d["reasons"][0]
        assert (r["remaining"] <= 0) == (r["status"] == "due"), (t, r)


@pytest.mark.parametrize("unit", ["calendar_days", "working_days", "hours"])
def test_a_met_since_claim_rule_reports_no_time_left(unit):
    """A `since_claim` rule met during the ownership is never due: no `due_at`, `warn_at` or
    `remaining` (it was reported, counting to a due day that never comes: negative once that
    day had passed, beside status `met`), in every unit; `elapsed` still counts from the claim.
    The same rule unmet reports its `remaining`, <= 0 exactly when due."""
    claim = dt.datetime(2026, 9, 25, 10, tzinfo=SH)
    policy = one_pool(unit=unit, calendar="cn", warn_before=1,
                      rules=[{"id": "r", "kind": "no_follow_up", "limit": 3, "clock": "since_claim"}])
    visit = [{"record": "c1", "at": claim + HOUR, "type": "visit", "actor": "wang"}]
    for later in (dt.timedelta(hours=2), dt.timedelta(days=2), dt.timedelta(days=40)):
        at = claim + later
        got, _ = compare_evaluate(policy, [rec(claim)], visit, at, ctx=f"{unit} met at {at}")
        r = got["decisions"][0]["reasons"][0]
        assert r["status"] == "met" and r["elapsed"] >= 0, r
        assert not {"remaining", "due_at", "warn_at"} & r.keys(), r
        got, _ = compare_evaluate(policy, [rec(claim)], [], at, ctx=f"{unit} unmet at {at}")
        r = got["decisions"][0]["reasons"][0]
        assert (r["remaining"] <= 0) == (r["status"] == "due"), r


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "America/Santiago", "Europe/London"])
def test_a_date_as_of_is_the_end_of_the_pools_day(zone):
    tz = ZoneInfo(zone)
    policy = one_pool(time_zone=zone, rules=[{"id": "r", "kind": "no_follow_up", "limit": 3}])
    for day in range(1, 40):
        claim = day_start(dt.date(2026, 9, day % 30 + 1) if day < 31 else dt.date(2026, 3, day - 30), tz)
        for t in (claim, claim + dt.timedelta(hours=23, minutes=59)):
            as_of = local_date(t, tz) + dt.timedelta(days=4)
            got, _ = compare_evaluate(policy, [rec(t)], [], as_of, ctx=f"{zone} {t}")
            assert got["decisions"][0]["decision"] == "recycle"
            got, _ = compare_evaluate(policy, [rec(t)], [], as_of - dt.timedelta(days=1))
            assert got["decisions"][0]["decision"] != "recycle"


def test_dst_nights_in_new_york_count_calendar_days_and_real_hours():
    for claim in (dt.datetime(2026, 3, 7, 12, tzinfo=NY), dt.datetime(2026, 10, 31, 23, 30, tzinfo=NY),
                  dt.datetime(2026, 3, 8, 3, tzinfo=NY), dt.datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY)):
        for unit, limit in (("calendar_days", 1), ("hours", 24), ("hours", 1)):
            policy = one_pool(time_zone="America/New_York", unit=unit, warn_before=1,
                              rules=[{"id": "r", "kind": "no_follow_up", "limit": limit}])
            for h in range(0, 60, 1):
                compare_evaluate(policy, [rec(claim)], [], claim + dt.timedelta(hours=h, minutes=30),
                                 ctx=f"{claim} {unit} +{h}h")


def test_working_days_around_holidays_weekends_and_make_up_days():
    policy = one_pool(unit="working_days", calendar="cn", warn_before=2,
                      rules=[{"id": "r", "kind": "no_follow_up", "limit": 3},
                             {"id": "i", "kind": "no_won_deal", "limit": 0}])
    policy["pools"][0]["boundary"] = "exclusive"
    for claim_day in range(0, 50):
        claim = dt.datetime(2026, 9, 20, 10, tzinfo=SH) + dt.timedelta(days=claim_day)
        for later in range(0, 15):
            as_of = local_date(claim, SH) + dt.timedelta(days=later)
            compare_evaluate(policy, [rec(claim)], [], as_of, ctx=f"{claim} {as_of}")


def test_follow_up_boundaries():
    """A follow-up at the claim instant, one ms before it, on as_of itself, logged exactly at the
    back-date limit and one ms past it, logged one ms before its own time."""
    claim = dt.datetime(2026, 10, 1, 10, tzinfo=SH)
    policy = one_pool(follow_up={"backdate_limit_hours": 24}, rules=[{"id": "r", "kind": "no_follow_up", "limit": 2}])
    as_of = dt.datetime(2026, 10, 5, 12, tzinfo=SH)
    cases = [
        {"at": claim},
        {"at": claim - MS},
        {"at": as_of},
        {"at": claim + HOUR, "logged_at": claim + 25 * HOUR},
        {"at": claim + HOUR, "logged_at": claim + 25 * HOUR + MS},
        {"at": claim + HOUR, "logged_at": claim + HOUR - MS},
        {"at": claim + HOUR, "logged_at": claim + HOUR},
    ]
    for c in cases:
        a = {"record": "c1", "type": "call", "actor": "wang", **c}
        compare_evaluate(policy, [rec(claim)], [a], as_of, ctx=str(c))


def test_rules_met_during_the_ownership_since_claim():
    claim = dt.datetime(2026, 10, 1, 10, tzinfo=SH)
    policy = one_pool(rules=[{"id": "w", "kind": "no_won_deal", "limit": 10, "clock": "since_claim"},
                             {"id": "o", "kind": "no_new_opportunity", "limit": 10, "clock": "since_claim"}])
    for won in (None, claim, claim - MS, claim + HOUR):
        r = rec(claim) if won is None else rec(claim, last_won_at=won)
        for opp in (None, claim, claim + 100 * HOUR):
            if opp is not None:
                r["last_opportunity_at"] = opp
            for days in (5, 10, 11, 12):
                compare_evaluate(policy, [r], [], local_date(claim, SH) + dt.timedelta(days=days))


def test_empty_books():
    policy = one_pool()
    got = crmkit.evaluate_pool(policy, [], [], dt.date(2026, 11, 1))
    assert got["decisions"] == [] and got["totals"]["records"] == 0
    got = crmkit.check_claims(policy, {"pooled": [], "requests": []}, dt.date(2026, 11, 1))
    assert got["decisions"] == [] and got["ledger"] == []
    got = crmkit.assign_records({"teams": [], "routes": [], "fallback_queue": "q"}, {"records": []})
    assert got["assignments"] == [] and got["cursors"] == {}
    got = crmkit.simulate_pool(policy, policy, [], [], dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert got["lines"] == [] and (got["total"]["a"], got["total"]["b"]) == (0, 0)


def claims_policy(**claims) -> dict:
    return one_pool(claims=claims)


def test_claimed_and_released_the_same_day():
    """wang claims c1 at 09:00 and releases it at 10:00; at 11:00 he asks again, then li asks."""
    day = dt.datetime(2026, 11, 2, tzinfo=SH)
    ledger = [
        {"at": day + 9 * HOUR, "user": "wang", "record": "c1", "pool": "p", "event": "claim"},
        {"at": day + 10 * HOUR, "user": "wang", "record": "c1", "pool": "p", "event": "release"},
    ]
    inp = {"pooled": [{"id": "c1", "pool": "p", "pooled_at": day + 10 * HOUR}], "ledger": ledger,
           "requests": [{"user": "wang", "record": "c1"}, {"user": "li", "record": "c1"}]}
    for boundary in ("exclusive", "inclusive"):
        for unit in ("calendar_days", "hours", "working_days"):
            for cooldown in (0, 1, 2):
                for daily in (1, 2):
                    policy = claims_policy(cooldown=cooldown, daily_limit=daily)
                    policy["pools"][0].update(boundary=boundary, unit=unit)
                    for t in (day + 11 * HOUR, day + 10 * HOUR, day + dt.timedelta(days=1), dt.date(2026, 11, 3),
                              day + dt.timedelta(days=3, hours=10), day + dt.timedelta(days=2, hours=10, milliseconds=1)):
                        compare_claims(policy, inp, t, ctx=f"{boundary} {unit} cd {cooldown} daily {daily} {t}")


def test_limits_reached_exactly():
    day = dt.datetime(2026, 11, 2, 12, tzinfo=SH)
    pooled = [{"id": f"c{i}", "pool": "p", "pooled_at": day - HOUR} for i in range(6)]
    reqs = [{"user": "wang", "record": f"c{i}"} for i in range(6)]
    for limit in range(0, 5):
        for owned, won in ((0, 0), (2, 0), (3, 1), (4, 4)):
            for excl in (False, True):
                policy = claims_policy(holdings_limit=limit, holdings_exclude_won=excl, daily_limit=limit)
                ledger = [{"at": day - dt.timedelta(hours=k), "user": "wang", "record": "old", "pool": "p",
                           "event": "claim"} for k in (11, 3)]
                inp = {"pooled": pooled, "requests": reqs, "ledger": ledger,
                       "holdings": [{"user": "wang", "owned": owned, "won": won}]}
                compare_claims(policy, inp, day, ctx=f"limit {limit} owned {owned} won {won} excl {excl}")


def test_embargo_ends_exactly():
    pooled_at = dt.datetime(2026, 11, 1, 10, tzinfo=SH)
    inp = {"pooled": [{"id": "c1", "pool": "p", "pooled_at": pooled_at}], "requests": [{"user": "wang", "record": "c1"}]}
    for unit in ("calendar_days", "working_days", "hours"):
        for boundary in ("exclusive", "inclusive"):
            for embargo in (0, 1, 3):
                policy = claims_policy(embargo=embargo)
                policy["pools"][0].update(unit=unit, boundary=boundary, calendar="cn")
                for h in range(0, 24 * 6, 7):
                    t = pooled_at + dt.timedelta(hours=h)
                    got, _ = compare_claims(policy, inp, t, ctx=f"{unit} {boundary} {embargo} +{h}h")
                    r = got["decisions"][0]["reasons"]
                    if r:
                        assert t < r[0]["until"]


def test_claims_of_unknown_records_and_users():
    policy = claims_policy(holdings_limit=1, daily_limit=1)
    inp = {"pooled": [{"id": "c1", "pool": "p", "pooled_at": "2026-11-01T00:00:00+08:00"}],
           "requests": [{"user": "ghost", "record": "c9"}, {"user": "ghost", "record": "c1"},
                        {"user": "ghost", "record": "c1"}]}
    got, _ = compare_claims(policy, inp, dt.date(2026, 11, 2))
    assert [d["accepted"] for d in got["decisions"]] == [False, True, False]


def test_assignment_ties_are_deterministic():
    reps = [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d", "active": False}]
    for strategy in ("round_robin", "least_loaded", "weighted"):
        for cursor in range(0, 6):
            policy = {"teams": [{"id": "t", "strategy": strategy, "reps": reps}],
                      "routes": [{"id": "all", "when": {"any": True}, "team": "t"}], "fallback_queue": "q"}
            inp = {"records": [{"id": f"x{i}"} for i in range(7)], "cursors": {"t": cursor}, "seed": 7,
                   "load": [{"rep": "a", "held": 1}, {"rep": "b", "held": 1}, {"rep": "c", "held": 1}]}
            first, _ = compare_assign(policy, inp, ctx=f"{strategy} {cursor}")
            assert crmkit.assign_records(policy, inp) == first


def test_assignment_capacity_reached_exactly():
    for cap in range(0, 4):
        for held in range(0, 4):
            reps = [{"id": "a", "capacity": cap}, {"id": "b", "capacity": cap + 1}]
            for strategy in ("round_robin", "least_loaded", "weighted"):
                policy = {"teams": [{"id": "t", "strategy": strategy, "reps": reps}],
                          "routes": [{"id": "all", "when": {"any": True}, "team": "t"}], "fallback_queue": "q"}
                inp = {"records": [{"id": f"x{i}"} for i in range(5)],
                       "load": [{"rep": "a", "held": held}, {"rep": "b", "held": held}]}
                compare_assign(policy, inp, ctx=f"{strategy} cap {cap} held {held}")


def test_assignment_team_without_reps_and_unknown_names():
    policy = {"teams": [{"id": "t", "strategy": "round_robin", "reps": []}],
              "routes": [{"id": "all", "when": {"any": True}, "team": "t"}], "fallback_queue": "q"}
    got, _ = compare_assign(policy, {"records": [{"id": "x"}], "load": [{"rep": "stranger", "held": 2}]})
    assert got["assignments"][0]["queue"] == "q"
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.assign_records({**policy, "routes": [{"id": "r", "when": {"any": True}, "team": "nope"}]}, {"records": []})
    assert (e.value.code, e.value.path) == ("invalid_value", "routes[0].team")
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.assign_records(policy, {"records": [], "cursors": {"nope": 1}})
    assert (e.value.code, e.value.path) == ("invalid_value", "cursors.nope")


def test_unknown_owner_and_unknown_record_are_errors():
    policy = {"time_zone": "Asia/Shanghai", "pools": [
        {"id": "east", "scope": {"owners": ["li"]}, "rules": [{"id": "r", "kind": "no_follow_up", "limit": 3}]}]}
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.evaluate_pool(policy, [rec("2026-10-01T00:00:00+08:00")], [], dt.date(2026, 11, 1))
    assert (e.value.code, e.value.path) == ("no_pool", "records[0]")
    with pytest.raises(crmkit.CrmkitError) as e:
        crmkit.evaluate_pool(policy, [], [{"record": "c9", "at": "2026-10-01T00:00:00+08:00", "type": "call",
                                           "actor": "li"}], dt.date(2026, 11, 1))
    assert (e.value.code, e.value.path) == ("invalid_value", "activities[0].record")


# ---------------------------------------------------------------------------------------------
# The columnar entry points against the same model
# ---------------------------------------------------------------------------------------------


def book_frames(pd, records, acts):
    def col(k):
        return [r.get(k) for r in records]

    def times(vals):
        return pd.to_datetime([None if v is None else instant(v) for v in vals], utc=True)

    rf = pd.DataFrame({"owner": col("owner"), "claimed_at": times(col("claimed_at"))})
    for k in ("department", "region", "product_line", "level"):
        rf[k] = col(k)
    for k in ("locked", "open_contract"):
        rf[k] = [bool(v) for v in col(k)]
    for k in ("last_won_at", "last_opportunity_at"):
        rf[k] = times(col(k))
    row = {r["id"]: i for i, r in enumerate(records)}
    af = pd.DataFrame({
        "record": pd.array([row[a["record"]] for a in acts], dtype="int64"),
        "at": times([a["at"] for a in acts]),
        "logged_at": times([a.get("logged_at", a["at"]) for a in acts]),
        "type": [a["type"] for a in acts],
        "actor": [a["actor"] for a in acts],
        "deleted": [bool(a.get("deleted")) for a in acts],
    })
    teams = pd.DataFrame({"record": pd.array([row[r["id"]] for r in records for _ in r.get("team", [])], dtype="int64"),
                          "user": [u for r in records for u in r.get("team", [])]})
    tags = pd.DataFrame({"record": pd.array([row[r["id"]] for r in records for _ in r.get("tags", [])], dtype="int64"),
                         "tag": [t for r in records for t in r.get("tags", [])]})
    return rf, af, teams, tags


@pytest.mark.parametrize("seed", range(40))
def test_evaluate_frame_matches_the_model(seed):
    pd = pytest.importorskip("pandas")
    rng = random.Random(4000 + seed)
    n_pools = rng.randint(2, 4)
    policy = {"time_zone": rng.choice(ZONES), "calendars": {"cn": CN_CAL, "me": ME_CAL},
              "pools": [rnd_pool(rng, i, n_pools) for i in range(n_pools)]}
    as_of, safe = rnd_as_of(rng)
    records, acts = rnd_book(rng, rng.randint(1, 25), rng.randint(0, 60), safe)
    want = model_evaluate(policy, records, acts, as_of)
    rf, af, teams, tags = book_frames(pd, records, acts)
    frame = crmkit.evaluate_pool_frame(rf, af, policy, as_of, teams=teams, tags=tags)
    rule_index = {p["id"]: {r["id"]: j for j, r in enumerate(p["rules"])} for p in policy["pools"]}
    for i, w in enumerate(want):
        where = (seed, i, w)
        assert frame["pool"][i] == w["pool"], where
        assert frame["decision"][i] == w["decision"], where
        assert frame["rule"][i] == (rule_index[w["pool"]][w["rule"]] if w.get("rule") else -1), where
        for k in ("due_at", "warn_at", "last_follow_up_at"):
            got = frame[k][i]
            assert (pd.isna(got) and w.get(k) is None) or got == w.get(k), (where, k, got)


def test_claims_use_the_rules_of_the_records_pool():
    """Pools tried in another order than listed (priorities): each record's own pool decides."""
    policy = {"time_zone": "Asia/Shanghai", "pools": [
        {"id": "east", "scope": {"departments": ["east"]}, "rules": [{"id": "r", "kind": "no_follow_up", "limit": 30}],
         "claims": {"daily_limit": 0}},
        {"id": "west", "priority": 1, "scope": {"departments": ["west"]}, "time_zone": "America/New_York",
         "unit": "hours", "rules": [{"id": "r", "kind": "no_follow_up", "limit": 30}], "claims": {"embargo": 30}},
    ]}
    inp = {"pooled": [{"id": "c1", "pool": "east", "pooled_at": "2026-11-02T09:00:00+08:00"},
                      {"id": "c2", "pool": "west", "pooled_at": "2026-11-02T09:00:00+08:00"}],
           "requests": [{"user": "wang", "record": "c1"}, {"user": "wang", "record": "c2"}]}
    got, _ = compare_claims(policy, inp, "2026-11-02T10:00:00+08:00")
    assert [[r["code"] for r in d["reasons"]] for d in got["decisions"]] == [["daily_limit"], ["embargoed"]]


def test_a_seed_beyond_2_53_as_text_draws_the_same_stream():
    policy = {"teams": [{"id": "t", "strategy": "weighted", "reps": [{"id": "a", "weight": 2}, {"id": "b", "weight": 5}]}],
              "routes": [{"id": "all", "when": {"any": True}, "team": "t"}], "fallback_queue": "q"}
    for seed in (2**53 + 1, 2**64 - 59, 0):
        inp = {"records": [{"id": f"x{i}"} for i in range(12)], "cursors": {"t": 3}}
        as_int, _ = compare_assign(policy, {**inp, "seed": seed})
        assert crmkit.assign_records(policy, {**inp, "seed": str(seed)}) == as_int


# ---------------------------------------------------------------------------------------------
# Second round (session 41): runs, fairness over many rounds, several rules, ends of periods
# ---------------------------------------------------------------------------------------------


def run_in_parts(policy: dict, inp: dict, cuts: list[int]) -> tuple[list, dict, dict]:
    """`inp`'s records assigned in several runs, each fed the cursors and the load (held +
    assigned) the run before returned, as a nightly job would."""
    records = inp["records"]
    state = {"cursors": dict(inp.get("cursors", {})), "load": list(inp.get("load", []))}
    out: list = []
    for lo, hi in zip([0, *cuts], [*cuts, len(records)]):
        got = crmkit.assign_records(policy, {**inp, "records": records[lo:hi], **state})
        out += got["assignments"]
        state = {"cursors": got["cursors"],
                 "load": [{"rep": e["rep"], "held": e["held"] + e["assigned"]} for e in got["load"]]}
    return out, state["cursors"], {e["rep"]: e["held"] for e in state["load"]}


@pytest.mark.parametrize("seed", range(60))
def test_assignment_in_several_runs_is_one_run(seed):
    """The cursors and load that come back carry a run on exactly: cutting a batch anywhere
    assigns every record as one run does (the weighted draw is numbered by the cursor)."""
    rng = random.Random(5000 + seed)
    policy, inp = rnd_assign_case(rng)
    whole, _ = compare_assign(policy, inp, ctx=f"seed {seed}")
    n = len(inp["records"])
    cuts = sorted(rng.sample(range(n + 1), min(n + 1, rng.randint(1, 3))))
    parts, cursors, held = run_in_parts(policy, inp, cuts)
    assert parts == whole["assignments"], (seed, cuts)
    assert cursors == whole["cursors"], (seed, cuts)
    assert held == {e["rep"]: e["held"] + e["assigned"] for e in whole["load"]}, (seed, cuts)


def one_team(strategy: str, reps: list[dict]) -> dict:
    return {"teams": [{"id": "t", "strategy": strategy, "reps": reps}],
            "routes": [{"id": "all", "when": {"any": True}, "team": "t"}], "fallback_queue": "q"}


@pytest.mark.parametrize("cursor", [0, 1, 4])
def test_round_robin_and_least_loaded_are_even_over_many_rounds(cursor):
    """Five reps, one inactive, one full after 3: 1,000 records split as evenly as the rules
    allow (never more than one apart among the reps who can take records), in one run or 37."""
    reps = [{"id": "a"}, {"id": "b"}, {"id": "c", "active": False}, {"id": "d", "capacity": 3}, {"id": "e"}]
    records = [{"id": f"x{i}"} for i in range(1000)]
    for strategy in ("round_robin", "least_loaded"):
        policy = one_team(strategy, reps)
        inp = {"records": records, "cursors": {"t": cursor}}
        got, _ = compare_assign(policy, inp, ctx=strategy)
        count = {e["rep"]: e["assigned"] for e in got["load"]}
        assert count["c"] == 0 and count["d"] == 3, (strategy, count)
        assert max(count[r] for r in "abe") - min(count[r] for r in "abe") <= 1, (strategy, count)
        assert sum(count.values()) == 1000
        parts, _, _ = run_in_parts(policy, inp, list(range(27, 1000, 27)))
        assert parts == got["assignments"], strategy


@pytest.mark.parametrize("seed", [0, 42, 2**64 - 59])
def test_weighted_shares_follow_the_weights(seed):
    """Weights 6 : 3 : 1 : 0 over 20,000 draws: each share within 4.5 standard deviations of
    its weight, the weight-0 rep never drawn; a rep at capacity drops out and the others share
    its part in their own proportions."""
    reps = [{"id": "a", "weight": 6}, {"id": "b", "weight": 3}, {"id": "c", "weight": 1}, {"id": "z", "weight": 0}]
    n = 20_000
    policy = one_team("weighted", reps)
    inp = {"records": [{"id": f"x{i}"} for i in range(n)], "seed": seed}
    got, _ = compare_assign(policy, inp, ctx=f"seed {seed}")
    count = {e["rep"]: e["assigned"] for e in got["load"]}
    assert count["z"] == 0
    for rep, w in (("a", 0.6), ("b", 0.3), ("c", 0.1)):
        sd = (n * w * (1 - w)) ** 0.5
        assert abs(count[rep] - n * w) <= 4.5 * sd, (seed, count)
    capped = one_team("weighted", [{**reps[0], "capacity": 100}, *reps[1:]])
    got, _ = compare_assign(capped, {**inp, "records": inp["records"][:4000]}, ctx=f"capped seed {seed}")
    count = {e["rep"]: e["assigned"] for e in got["load"]}
    assert count["a"] == 100 and count["z"] == 0 and count["b"] + count["c"] == 3900
    assert abs(count["b"] / 3900 - 0.75) < 0.05, count


def test_several_rules_due_the_earliest_binds_ties_in_list_order():
    """Three rules past due at once: the binding rule is the one due first; two due on the same
    instant, the first listed; every rule is reported with its own clock."""
    claim = dt.datetime(2026, 10, 1, 9, tzinfo=SH)
    rec = {"id": "c1", "owner": "wang", "claimed_at": claim,
           "last_opportunity_at": claim + dt.timedelta(days=3)}
    for kinds in (
        [("no_won_deal", 20), ("no_follow_up", 10), ("no_new_opportunity", 7)],  # opp clock: 3 + 7 = 10
        [("no_new_opportunity", 7), ("no_follow_up", 10), ("no_won_deal", 20)],
        [("no_won_deal", 5), ("no_follow_up", 5)],
        [("no_follow_up", 5), ("no_won_deal", 5)],
    ):
        for unit in ("calendar_days", "working_days", "hours"):
            rules = [{"id": f"r{i}", "kind": k, "limit": lim * (24 if unit == "hours" else 1)}
                     for i, (k, lim) in enumerate(kinds)]
            policy = one_pool(rules=rules, unit=unit, calendar="cn")
            for as_of in (dt.date(2026, 10, 20), dt.date(2026, 11, 30), claim + dt.timedelta(days=5, hours=1)):
                got, want = compare_evaluate(policy, [rec], [], as_of, ctx=f"{kinds} {unit} {as_of}")
                d = got["decisions"][0]
                live = [r for r in want[0]["rules"] if r["status"] != "met"]
                first = min(r["due_at"] for r in live)
                assert d["rule"] == next(r["rule"] for r in live if r["due_at"] == first), (kinds, unit, as_of, d)


@pytest.mark.parametrize("unit", ["calendar_days", "working_days", "hours"])
@pytest.mark.parametrize("boundary", ["exclusive", "inclusive"])
def test_cooldown_ends_exactly(unit, boundary):
    """The cool-down after wang released c1: refused up to the last millisecond before `until`,
    accepted at `until` itself; li, who never held it, is never cooled down."""
    released = dt.datetime(2026, 10, 30, 17, 45, tzinfo=SH)  # a Friday, before the weekend
    for cooldown in (0, 1, 2):
        policy = claims_policy(cooldown=cooldown * (24 if unit == "hours" else 1))
        policy["pools"][0].update(unit=unit, boundary=boundary, calendar="cn")
        inp = {"pooled": [{"id": "c1", "pool": "p", "pooled_at": released}],
               "ledger": [{"at": released - dt.timedelta(days=3), "user": "wang", "record": "c1", "pool": "p", "event": "claim"},
                          {"at": released, "user": "wang", "record": "c1", "pool": "p", "event": "release"}],
               "requests": [{"user": "wang", "record": "c1"}]}
        got, _ = compare_claims(policy, inp, released, ctx=f"{unit} {boundary} {cooldown} at release")
        reasons = got["decisions"][0]["reasons"]
        if not reasons:
            continue
        until = reasons[0]["until"]
        for t, ok in ((until - MS, False), (until, True)):
            got, _ = compare_claims(policy, inp, t, ctx=f"{unit} {boundary} {cooldown} at {t}")
            assert got["decisions"][0]["accepted"] is ok, (unit, boundary, cooldown, t, got["decisions"][0])
        got, _ = compare_claims(policy, {**inp, "requests": [{"user": "li", "record": "c1"}]}, released)
        assert got["decisions"][0]["accepted"]


def test_a_follow_up_resets_the_clock_only_when_it_counts():
    """A call by the owner restarts `no_follow_up`; the same call deleted, by a stranger, of a
    type the pool does not count, logged too late or dated ahead of its logging does not; one
    exactly at the claim counts (during the ownership), one a millisecond before does not."""
    claim = dt.datetime(2026, 11, 2, 9, tzinfo=SH)
    policy = one_pool(rules=[{"id": "r", "kind": "no_follow_up", "limit": 3}],
                      follow_up={"types": ["call", "visit"], "backdate_limit_hours": 24})
    rec = {"id": "c1", "owner": "wang", "claimed_at": claim}
    call = {"record": "c1", "at": claim + dt.timedelta(days=2), "type": "call", "actor": "wang"}
    variants = [
        ({}, True), ({"deleted": True}, False), ({"actor": "zhao"}, False), ({"type": "note"}, False),
        ({"logged_at": claim + dt.timedelta(days=3, milliseconds=1)}, False),
        ({"logged_at": claim + dt.timedelta(days=3)}, True),
        ({"logged_at": claim + dt.timedelta(days=2) - MS}, False),
        ({"at": claim}, True), ({"at": claim - MS, "logged_at": claim}, False),
    ]
    for as_of in (dt.date(2026, 11, 5), dt.date(2026, 11, 6), dt.date(2026, 11, 8)):
        for change, counts in variants:
            act = {**call, **change}
            got, want = compare_evaluate(policy, [rec], [act], as_of, ctx=f"{change} {as_of}")
            assert (want[0]["last_follow_up_at"] is not None) == counts, change
