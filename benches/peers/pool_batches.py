"""crmkit's record API (lists of dicts, built beforehand) against assign_records_frame / check_claims_frame (pandas categoricals) on the same rows, timed in turns (best of 3, CPU).

Run: `.venv/bin/python benches/peers/pool_batches.py` (the installed wheel). Both give the same reps and the same accepted claims (checked)."""
import time
import numpy as np, pandas as pd
import crmkit

rng = np.random.default_rng(42)
n = 200_000
regions = [f"region{i}" for i in range(20)]
teams = [{"id": f"team{t}", "strategy": ["round_robin", "weighted", "least_loaded", "round_robin"][t],
          "reps": [{"id": f"rep{t}_{r}", "weight": 1 + r % 5, "active": r % 12 != 0, **({"capacity": 5000} if t == 3 else {})} for r in range(25)]}
         for t in range(4)]
routes = [{"id": f"route{t}", "when": {"regions": regions[t * 5:(t + 1) * 5], "sources": ["web", "fair"]}, "team": f"team{t}"} for t in range(4)]
policy = {"teams": teams, "routes": routes, "fallback_queue": "queue"}
reg = rng.integers(0, 20, n); src = rng.integers(0, 3, n)
sources = ["web", "fair", "call"]
df = pd.DataFrame({"region": pd.Categorical.from_codes(reg, regions), "source": pd.Categorical.from_codes(src, sources)})

def cpu():
    return time.process_time()

RECORDS = [{"id": f"lead{i}", "region": regions[r], "source": sources[s]} for i, (r, s) in enumerate(zip(reg.tolist(), src.tolist()))]


def rec():  # the dicts built beforehand: only the call is timed
    return crmkit.assign_records(policy, {"records": RECORDS, "seed": 42})

def frame():
    return crmkit.assign_records_frame(df, policy, seed=42)

# claims
m, L, U = 20_000, 200_000, 2_000
cpolicy = {"time_zone": "Asia/Shanghai", "pools": [
    {"id": p, "scope": {"everyone": True}, "rules": [{"id": "r", "kind": "no_follow_up", "limit": 30}],
     "claims": {"daily_limit": 5, "holdings_limit": 200, "cooldown": 15, "embargo": 1}} for p in ("east", "west")]}
start = pd.Timestamp("2026-11-01T00:00:00+08:00")
pooled_at = start + pd.to_timedelta(rng.integers(0, 30 * 86400_000, 50_000), unit="ms")
at = np.sort(start + pd.to_timedelta(rng.integers(0, 30 * 86400_000, L), unit="ms"))
users = [f"user{i}" for i in range(U)]
pooled = pd.DataFrame({"id": [f"cust{i}" for i in range(50_000)], "pool": pd.Categorical.from_codes(rng.integers(0, 2, 50_000), ["east", "west"]), "pooled_at": pooled_at})
ledger = pd.DataFrame({"at": pd.DatetimeIndex(at).tz_convert("UTC"), "user": pd.Categorical.from_codes(rng.integers(0, U, L), users),
                       "record": [f"cust{i}" for i in rng.integers(0, 100_000, L)], "pool": pd.Categorical.from_codes(rng.integers(0, 2, L), ["east", "west"]),
                       "event": pd.Categorical.from_codes(rng.integers(0, 4, L), ["claim", "assign", "release", "recycle"])})
holdings = pd.DataFrame({"user": users, "owned": rng.integers(0, 220, U)})
requests = pd.DataFrame({"user": pd.Categorical.from_codes(rng.integers(0, U, m), users), "record": [f"cust{i}" for i in rng.integers(0, 60_000, m)]})
as_of = "2026-12-01T10:00:00+08:00"

def build():
    return {
        "pooled": [{"id": i, "pool": p, "pooled_at": t.isoformat()} for i, p, t in zip(pooled["id"], pooled["pool"].astype(str), pooled["pooled_at"])],
        "holdings": [{"user": u, "owned": int(o)} for u, o in zip(holdings["user"], holdings["owned"])],
        "ledger": [{"at": t.isoformat(), "user": u, "record": r, "pool": p, "event": e} for t, u, r, p, e in
                   zip(ledger["at"], ledger["user"].astype(str), ledger["record"], ledger["pool"].astype(str), ledger["event"].astype(str))],
        "requests": [{"user": u, "record": r} for u, r in zip(requests["user"].astype(str), requests["record"])],
    }


INPUT = build()


def crec():  # likewise
    return crmkit.check_claims(cpolicy, INPUT, as_of)

def cframe():
    return crmkit.check_claims_frame(requests, pooled, cpolicy, as_of, holdings=holdings, ledger=ledger)

best = {}
for _ in range(3):
    for name, f in (("assign_records (dicts)", rec), ("assign_records_frame", frame), ("check_claims (dicts)", crec), ("check_claims_frame", cframe)):
        w, c = time.perf_counter(), cpu()
        out = f()
        w, c = time.perf_counter() - w, cpu() - c
        b = best.get(name)
        if b is None or c < b[1]:
            best[name] = (w, c)
a, fa = rec(), frame()
assert [x.get("rep") for x in a["assignments"]] == [None if pd.isna(v) else v for v in fa["rep"].astype(object)]
c_, fc = crec(), cframe()
assert [d["accepted"] for d in c_["decisions"]] == fc["accepted"].tolist()
for k, (w, c) in best.items():
    print(f"{k}: wall {w*1000:.0f} ms, CPU {c*1000:.0f} ms")
print("assign ratio (CPU):", round(best["assign_records (dicts)"][1] / best["assign_records_frame"][1], 1))
print("claims ratio (CPU):", round(best["check_claims (dicts)"][1] / best["check_claims_frame"][1], 1))
