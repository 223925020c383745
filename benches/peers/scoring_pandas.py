"""crmkit.score_frame against a clean vectorised pandas / numpy implementation of the same
30 rules, on the same DataFrame.

    .venv/bin/python benches/peers/scoring_pandas.py [n]        (default n = 1_000_000)

The leads are the benchmark data of `benches/src/scoring.rs` (splitmix64 as a counter, seed
42, lead i uses draws 16 i .. 16 i + 15), 10 events each, generated here with vectorised
uint64 numpy; the policy is `benches/src/scoring_policy.json`, the same file the criterion
bench reads. The pandas side is written the way a pandas expert would, with no Python loop
over leads or events (only over the 30 rules and 4 groups):

- field rules: a boolean mask per condition, text decided once per category (a regex runs
  once per category, not per row) and looked up by category code;
- events: ages computed once, the events split by type once (one stable radix sort of the
  int8 type codes), so a single-type rule reads only its type's events; counts and summed
  decay factors by np.bincount over the lead rows, decay looked up per distinct age, the
  newest event by np.minimum.at, "the N most recent" by one sort of (lead, age) keys of that
  rule's events and the rank within the lead;
- one contiguous vector per rule; the sums, caps, grades (np.searchsorted) and tiers over
  whole columns; the ranking by np.lexsort; the top reasons by a running top-k over the rule
  vectors (k masked copies per rule) instead of sorting an n x 30 matrix.

Timings are the best of 3 runs of each, the two sides taking turns (so a change in the load
of a shared machine falls on both), wall (time.perf_counter) and CPU of the process
(time.process_time; both sides run on one thread); building the DataFrames is not timed. The
script checks that both agree on every score, fit and engagement (to 1e-9; it prints how
many are bit-identical: numpy's 2.0 ** x and crmkit's IEEE-only 2^x may differ in the last
bit), and exactly on every grade, tier, rank and top reason, then prints the ratio
pandas / crmkit.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import crmkit  # noqa: E402
from seeded import draws  # noqa: E402

SEED = 42
AS_OF = datetime.date(2026, 11, 23)
TODAY = (AS_OF - datetime.date(1970, 1, 1)).days
POLICY = json.loads((Path(__file__).resolve().parents[1] / "src" / "scoring_policy.json").read_text(encoding="utf-8"))
INDUSTRIES = ["制造", "能源", "医药", "教育", "物流", "科技", "金融", "零售", "地产", "农业", "汽车", "化工"]
REGIONS = ["华东", "华南", "华北", "华中", "西南", "东北"]
SOURCES = ["官网", "展会", "百度推广", "微信", "转介绍", "电话营销", "合作伙伴", "内容下载"]
TITLES = ["总经理", "采购经理", "CTO", "工程师", "市场专员", "财务总监", "CEO", "实习生"]
EVENTS = ["visit_pricing", "download_whitepaper", "attend_webinar", "email_open", "demo_request", "unsubscribe"]
REPEAT = 3


def generate(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    x = draws(SEED, 0, 16 * n).reshape(n, 16)
    a = x[:, 0]
    u = np.uint64
    cat = lambda codes, labels: pd.Categorical.from_codes(codes.astype(np.int32), categories=labels)  # noqa: E731
    employees = ((a >> u(36)) % u(5000)).astype(np.float64)
    employees[(a >> u(32)) % u(16) == 0] = np.nan
    leads = pd.DataFrame(
        {
            "industry": cat(a % u(12), INDUSTRIES),
            "region": cat((a >> u(8)) % u(6), REGIONS),
            "source": cat((a >> u(16)) % u(8), SOURCES),
            "title": cat((a >> u(24)) % u(8), TITLES),
            "employees": employees,
            "past_wins": ((a >> u(52)) % u(4)).astype(np.float64),
            "last_contact_on": pd.to_datetime(TODAY - (x[:, 1] % u(120)).astype(np.int64), unit="D"),
        }
    )
    d = x[:, 2:12].reshape(-1)
    events = pd.DataFrame(
        {
            "lead": np.repeat(np.arange(n, dtype=np.int64), 10),
            "type": cat(d % u(6), EVENTS),
            "on": pd.to_datetime(TODAY - ((d >> u(8)) % u(180)).astype(np.int64), unit="D"),
        }
    )
    return leads, events


def text_mask(col: pd.Series, cond: dict) -> np.ndarray:
    """A text condition decided once per category, then looked up by code."""
    cats = col.cat.categories.astype(str)
    op = cond["op"]
    if op == "equals":
        hit = cats == cond["value"]
    elif op == "in":
        hit = cats.isin(cond["values"])
    elif op == "not_in":
        hit = ~cats.isin(cond["values"])
    elif op == "contains":
        hit = cats.str.contains(cond["value"], regex=False)
    elif op == "regex":
        hit = [re.search(cond["pattern"], c) is not None for c in cats]  # once per category
    else:
        raise ValueError(op)
    table = np.append(np.asarray(hit, dtype=bool), False)  # code -1 (missing) never matches
    return table[col.cat.codes.to_numpy()]


def condition(df: pd.DataFrame, cond: dict) -> np.ndarray:
    col = df[cond["field"]]
    op = cond["op"]
    if op == "range":
        v = col.to_numpy()
        lo, hi, b = cond.get("min", -np.inf), cond.get("max", np.inf), cond["bounds"]
        m = (v >= lo) if b[0] == "[" else (v > lo)
        return m & ((v <= hi) if b[1] == "]" else (v < hi))
    if op == "missing":
        return col.isna().to_numpy()
    if op == "exists":
        return col.notna().to_numpy()
    if op == "within_days":
        days = (col.to_numpy().astype("datetime64[D]").astype(np.int64))
        return (days >= TODAY - cond["days"]) & (days <= TODAY)
    return text_mask(col, cond)


def event_table(events: pd.DataFrame, n: int) -> dict:
    """The event columns once: lead rows, type codes, ages in days (NaT / after as_of dropped
    here), and each type's events as index arrays in event order (one stable radix sort)."""
    lead = events["lead"].to_numpy()
    on = events["on"].to_numpy()
    tcode = events["type"].cat.codes.to_numpy()
    age = TODAY - on.astype("datetime64[D]").astype(np.int64)
    known = ~np.isnat(on) & (age >= 0) & (tcode >= 0)
    if not known.all():
        lead, tcode, age = lead[known], tcode[known], age[known]
    by_type = np.argsort(tcode, kind="stable")
    cuts = np.searchsorted(tcode[by_type], np.arange(len(events["type"].cat.categories) + 1))
    return {
        "lead": lead,
        "tcode": tcode,
        "age": age,
        "names": list(events["type"].cat.categories),
        "by_type": [by_type[cuts[t] : cuts[t + 1]] for t in range(len(cuts) - 1)],
    }


def event_rule(ev: dict, spec: dict, points: float, ok: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(points after decay, matched) of one event rule for every lead."""
    codes = [ev["names"].index(t) for t in spec["types"] if t in ev["names"]]
    if len(codes) == 1:
        idx = ev["by_type"][codes[0]]
    elif spec.get("per_event") and spec.get("max_events") is None:
        # Summed per event: one mask over all events keeps each lead's events in their order.
        sel = np.zeros(len(ev["names"]), dtype=bool)
        sel[codes] = True
        idx = np.flatnonzero(sel[ev["tcode"]])
    else:  # counts, newest, or sorted below: order does not matter
        idx = np.concatenate([ev["by_type"][c] for c in codes])
    lead, age = ev["lead"][idx], ev["age"][idx]
    if spec.get("within_days") is not None:
        keep = age <= spec["within_days"]
        lead, age = lead[keep], age[keep]
    count = np.bincount(lead, minlength=n)
    hit = ok & (count >= max(spec.get("min_count", 1), 1))
    hl = spec.get("half_life_days")
    top = int(age.max()) + 1 if len(age) else 1
    # Decay per distinct age, looked up per event.
    table = 2.0 ** (-np.arange(top) / hl) if hl else np.ones(top)
    if spec.get("per_event"):
        cap = spec.get("max_events")
        if cap is None:
            total = np.bincount(lead, weights=table[age], minlength=n)
        else:
            # The `cap` most recent of each lead: rank within the lead after a (lead, age) sort.
            key = lead * top + age
            key.sort()  # equal keys are equal ages of one lead: the same factor
            lead, age = key // top, key % top
            first = np.empty(len(lead), dtype=bool)
            first[:1] = True
            np.not_equal(lead[1:], lead[:-1], out=first[1:])
            pos = np.arange(len(lead))
            start = np.maximum.accumulate(np.where(first, pos, 0))
            keep = pos - start < cap
            total = np.bincount(lead[keep], weights=table[age[keep]], minlength=n)
        after = total * points
    else:
        newest = np.full(n, top - 1, dtype=np.int64)
        np.minimum.at(newest, lead, age)
        after = points * table[newest]
    return np.where(hit, after, 0.0), hit


def pandas_score(df: pd.DataFrame, events: pd.DataFrame, policy: dict) -> pd.DataFrame:
    n = len(df)
    ev = event_table(events, n)
    rules = policy["rules"]
    # One contiguous vector per rule (points after decay, 0 where the rule does not match).
    contrib: list[np.ndarray] = []
    matched: list[np.ndarray] = []
    for rule in rules:
        ok = np.ones(n, dtype=bool)
        for c in rule.get("when", []):
            ok &= condition(df, c)
        if rule.get("event") is None:
            contrib.append(np.where(ok, float(rule["points"]), 0.0))
            matched.append(ok)
        else:
            after, hit = event_rule(ev, rule["event"], float(rule["points"]), ok, n)
            contrib.append(after)
            matched.append(hit)
    # Sums in crmkit's order (ungrouped rules in rule order, then each capped group), so the
    # two agree to the last bit wherever the decay factors do.
    group_ids = [g["id"] for g in policy.get("groups", [])]
    dims = {"fit": np.zeros(n), "engagement": np.zeros(n)}
    for r, rule in enumerate(rules):
        if rule.get("group") is None:
            dims[rule["dimension"]] += contrib[r]
    for g in policy.get("groups", []):
        members = [r for r, rule in enumerate(rules) if rule.get("group") == g["id"]]
        if not members:
            continue
        s = np.zeros(n)
        hit = np.zeros(n, dtype=bool)
        for r in members:
            s += contrib[r]
            hit |= matched[r]
        capped = np.clip(s, g.get("min", -np.inf), g.get("max", np.inf))
        dims[rules[members[0]]["dimension"]] += np.where(hit, capped, 0.0)  # a group no rule hit is not floored
    assert all(rule.get("group") in group_ids for rule in rules if rule.get("group") is not None)
    for d in dims:
        b = policy.get(d, {})
        dims[d] = np.clip(dims[d], b.get("min", -np.inf), b.get("max", np.inf))
    fit, eng = dims["fit"], dims["engagement"]
    b = policy.get("total", {})
    score = np.clip(fit + eng, b.get("min", -np.inf), b.get("max", np.inf))

    def band(bands, v):
        mins = np.array([x["min"] for x in bands[:-1]], dtype=np.float64)
        return np.searchsorted(-mins, -v, side="left")  # first band whose min <= v

    fb, eb = policy["grades"]["fit"], policy["grades"]["engagement"]
    grade = band(fb, fit) * len(eb) + band(eb, eng)
    labels = [f["label"] + e["label"] for f in fb for e in eb]
    tier = np.full(n, -1, dtype=np.int32)
    for t, spec in reversed(list(enumerate(policy["tiers"]))):  # first match wins
        ok = np.ones(n, dtype=bool)
        if "min_score" in spec:
            ok &= score >= spec["min_score"]
        if "min_fit" in spec:
            ok &= fit >= spec["min_fit"]
        if "min_engagement" in spec:
            ok &= eng >= spec["min_engagement"]
        if spec.get("grades"):
            ok &= np.isin(grade, [labels.index(g) for g in spec["grades"]])
        for c in spec.get("when", []):
            ok &= condition(df, c)
        tier[ok] = t
    # Score descending, then the tie-break fields (numbers; missing last), then row order.
    keys = [np.arange(n)]
    for tb in reversed(policy.get("tie_break", [])):
        v = df[tb["field"]].to_numpy(dtype=np.float64)
        keys += [-np.nan_to_num(v) if tb.get("descending") else np.nan_to_num(v), np.isnan(v)]
    keys.append(-score)
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort(keys)] = np.arange(1, n + 1)
    # Top reasons: a running top-k over the rule vectors (largest |points| first, ties in rule
    # order), k insertions per rule instead of sorting an n x rules matrix.
    k = policy.get("top_reasons", 3)
    top_v = [np.full(n, -1.0) for _ in range(k)]
    top_i = [np.full(n, -1, dtype=np.int32) for _ in range(k)]
    for r in range(len(rules)):
        key = np.where(matched[r], np.abs(contrib[r]), -1.0)
        above = [key > v for v in top_v]
        for j in range(k - 1, -1, -1):  # shift down where the key beats a higher place
            if j > 0:
                np.copyto(top_v[j], top_v[j - 1], where=above[j - 1])
                np.copyto(top_i[j], top_i[j - 1], where=above[j - 1])
                lands = above[j] & ~above[j - 1]
            else:
                lands = above[0]
            np.copyto(top_v[j], key, where=lands)
            top_i[j][lands] = r
    rule_ids = pd.Index([rule["id"] for rule in rules])
    out = pd.DataFrame(
        {
            "score": score,
            "fit": fit,
            "engagement": eng,
            "rank": rank,
            "grade": pd.Categorical.from_codes(grade, categories=labels),
            "tier": pd.Categorical.from_codes(tier, categories=[t["id"] for t in policy["tiers"]]),
        },
        index=df.index,
    )
    for j in range(k):
        out[f"reason_{j + 1}"] = pd.Categorical.from_codes(top_i[j], categories=rule_ids)
    return out


def timed(f) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = f()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    leads, events = generate(n)
    runs = {"pandas": [], "crmkit": []}
    for _ in range(REPEAT):
        *t, ours = timed(lambda: pandas_score(leads, events, POLICY))
        runs["pandas"].append(t)
        *t, theirs = timed(lambda: crmkit.score_frame(leads, POLICY, AS_OF, events=events))
        runs["crmkit"].append(t)
    (w_pd, c_pd), (w_ck, c_ck) = ([min(t[i] for t in runs[side]) for i in (0, 1)] for side in ("pandas", "crmkit"))
    for col in ("score", "fit", "engagement"):
        diff = np.abs(ours[col].to_numpy() - theirs[col].to_numpy()).max()
        assert diff <= 1e-9, f"{col} differs by {diff}"
    same_bits = (ours["score"].to_numpy() == theirs["score"].to_numpy()).mean()
    assert (ours["grade"].astype(str) == theirs["grade"].astype(str)).all(), "grades differ"
    assert (ours["tier"].cat.codes == theirs["tier"].cat.codes).all(), "tiers differ"
    assert (ours["rank"].to_numpy() == theirs["rank"].to_numpy()).all(), "ranks differ"
    k = POLICY.get("top_reasons", 3)
    for j in range(1, k + 1):
        mine, other = ours[f"reason_{j}"], theirs[f"reason_{j}"]
        assert (mine.astype(str) == other.astype(str)).all(), f"reason_{j} differs"
    print(f"{n:,} leads x {len(POLICY['rules'])} rules, {len(events):,} events; both agree on every score"
          f" (to 1e-9; {same_bits:.2%} bit-identical), grade, tier, rank and top-{k} reason")
    print("| | wall (best of 3) | CPU (best of 3) |")
    print("|---|---|---|")
    print(f"| clean vectorised pandas | {w_pd * 1000:,.0f} ms | {c_pd * 1000:,.0f} ms |")
    print(f"| crmkit.score_frame      | {w_ck * 1000:,.0f} ms | {c_ck * 1000:,.0f} ms |")
    print(f"| ratio pandas / crmkit   | {w_pd / w_ck:.1f}x | {c_pd / c_ck:.1f}x |")


if __name__ == "__main__":
    main()
