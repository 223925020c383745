"""Independent reference model of the ROI vectors: plain Python `decimal` / `fractions`,
written from the spec (README "ROI semantics"), not from the Rust code. It writes the
`expected` blocks of `campaign_roi.json` and `attribute.json` from their inputs:

    python3 tests/vectors/roi/reference.py          # rewrite expectations in place
    python3 tests/vectors/roi/reference.py --check  # fail if a file would change
"""

from __future__ import annotations

import datetime
import json
import sys
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_HALF_DOWN, ROUND_DOWN, ROUND_UP, Decimal, getcontext
from fractions import Fraction
from pathlib import Path

getcontext().prec = 60
HERE = Path(__file__).resolve().parent
MODES = {"half_even": ROUND_HALF_EVEN, "half_up": ROUND_HALF_UP, "half_down": ROUND_HALF_DOWN, "down": ROUND_DOWN, "up": ROUND_UP}
DEFAULT_CHANNELS = [("web_ads", "online"), ("search", "online"), ("mobile", "online"), ("email", "online"),
                    ("events", "offline"), ("print", "offline"), ("tv", "offline")]
STAGES = ["leads", "customers", "opportunities", "won"]


def _round(x: Fraction, r) -> str:
    dp = r.get("dp", 2)
    mode = MODES[r.get("strategy", "half_even")]
    d = (Decimal(x.numerator) / Decimal(x.denominator)).quantize(Decimal(1).scaleb(-dp), rounding=mode)
    if d == 0:
        d = abs(d)
    return format(d, "f")


# ---------------------------------------------------------------- campaign_roi

def roi_line(cs, policy):
    money = policy.get("rounding", {"dp": 2})
    pct = policy.get("percent_rounding", {"dp": 1})
    funnel = policy.get("funnel", STAGES)
    F = lambda v: Fraction(Decimal(v))
    cost = sum((F(c["cost"]) for c in cs), Fraction(0))
    won_rev = sum((F(c.get("won_revenue", "0")) for c in cs), Fraction(0))
    budget = None if any("budget" not in c for c in cs) else sum((F(c["budget"]) for c in cs), Fraction(0))
    expected = None if any("expected_revenue" not in c for c in cs) else sum((F(c["expected_revenue"]) for c in cs), Fraction(0))
    counts = {s: sum(c.get(s, 0) for c in cs) for s in STAGES}
    newc = sum(c.get("new_customers", c.get("won", 0)) for c in cs)
    div = lambda a, b, r, k=1: None if b == 0 else _round(Fraction(a) * k / b, r)
    net = won_rev - cost
    reasons = []
    if cost == 0:
        reasons.append("zero_cost")
    elif net < 0:
        reasons.append("negative_return")
    for n, why in [(counts["leads"], "no_leads"), (counts["opportunities"], "no_opportunities"), (counts["won"], "no_wins"), (newc, "no_new_customers")]:
        if n == 0:
            reasons.append(why)
    if budget is None:
        reasons.append("budget_missing")
    elif cost > budget:
        reasons.append("over_budget")
    if expected is None:
        reasons.append("expected_revenue_missing")
    elif won_rev < expected:
        reasons.append("below_expected_revenue")
    if any("start_on" not in c for c in cs):
        reasons.append("undated")
    steps = []
    for k, s in enumerate(funnel):
        steps.append({
            "stage": s,
            "count": counts[s],
            "from_top_pct": div(counts[s], counts[funnel[0]], pct, 100),
            "from_previous_pct": None if k == 0 else div(counts[s], counts[funnel[k - 1]], pct, 100),
        })
    return {
        "campaigns": len(cs),
        "budget": None if budget is None else _round(budget, money),
        "cost": _round(cost, money),
        "budget_variance": None if budget is None else _round(budget - cost, money),
        "budget_used_pct": None if budget is None else div(cost, budget, pct, 100),
        "expected_revenue": None if expected is None else _round(expected, money),
        "won_revenue": _round(won_rev, money),
        "revenue_variance": None if expected is None else _round(won_rev - expected, money),
        "revenue_attained_pct": None if expected is None else div(won_rev, expected, pct, 100),
        "net_return": _round(net, money),
        "roi_pct": div(net, cost, pct, 100),
        "roas": div(won_rev, cost, money),
        **counts,
        "new_customers": newc,
        "cost_per_lead": div(cost, counts["leads"], money),
        "cost_per_opportunity": div(cost, counts["opportunities"], money),
        "cost_per_win": div(cost, counts["won"], money),
        "cac": div(cost, newc, money),
        "funnel": steps,
        "reasons": reasons,
    }


def period_of(d: str, unit: str) -> str:
    y, m, _ = d.split("-")
    return {"month": f"{y}-{m}", "quarter": f"{y}-Q{(int(m) - 1) // 3 + 1}", "year": y}[unit]


def run_days(start: str, end: str, unit: str):
    """The days of the run start..end (both included) in each period it crosses."""
    d, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
    out = []
    while d <= last:
        key = period_of(d.isoformat(), unit)
        if out and out[-1][0] == key:
            out[-1][1] += 1
        else:
            out.append([key, 1])
        d += datetime.timedelta(days=1)
    return out


def spread(amount: str, days, dp: int):
    """amount × days ÷ run days per period, largest remainder (earlier first on ties) at the
    amount's own places or dp if more."""
    a = Decimal(amount)
    places = max(-a.as_tuple().exponent, dp)
    units = int(a.scaleb(places))
    total = sum(n for _, n in days)
    exact = [Fraction(units * n, total) for _, n in days]
    parts = [int(x) for x in exact]
    order = sorted(range(len(days)), key=lambda k: (-(exact[k] - parts[k]), k))
    for k in order[: units - sum(parts)]:
        parts[k] += 1
    return [format(Decimal(u).scaleb(-places), "f") for u in parts]


def campaign_roi(policy, campaigns):
    taxonomy = [(c["name"], c["group"]) for c in policy["channels"]] if "channels" in policy else DEFAULT_CHANNELS
    group_of = dict(taxonomy)
    unit = policy.get("period", "month")
    out = {"campaigns": [], "channels": [], "groups": [], "periods": []}
    for c in campaigns:
        line = {"key": c["id"], "channel": c["channel"], "group": group_of[c["channel"]],
                "period": period_of(c["start_on"], unit) if "start_on" in c else None, **roi_line([c], policy)}
        out["campaigns"].append(line)
    groups = []
    for name, group in taxonomy:
        cs = [c for c in campaigns if c["channel"] == name]
        if cs:
            out["channels"].append({"key": name, "channel": name, "group": group, "period": None, **roi_line(cs, policy)})
            if group not in groups:
                groups.append(group)
    for g in groups:
        cs = [c for c in campaigns if group_of[c["channel"]] == g]
        out["groups"].append({"key": g, "channel": None, "group": g, "period": None, **roi_line(cs, policy)})
    pro_rata = policy.get("cost_allocation", "as_entered") == "pro_rata"
    dp = policy.get("rounding", {}).get("dp", 2)
    # Per period: the campaigns (or pieces of them) it holds. A pro-rated campaign's first
    # period holds the campaign with its piece of cost and budget; a later one a piece
    # carrying only cost and budget (no revenue, counts or expected revenue).
    held = {}
    for c, line in zip(campaigns, out["campaigns"]):
        if "start_on" not in c:
            continue
        if not (pro_rata and "end_on" in c):
            held.setdefault(period_of(c["start_on"], unit), []).append((c, False))
            continue
        days = run_days(c["start_on"], c["end_on"], unit)
        cost = spread(c["cost"], days, dp)
        budget = spread(c["budget"], days, dp) if "budget" in c else None
        cut = len(days) > 1
        line["cost_periods"] = [{"period": p, "days": n, "cost": cost[k], "budget": None if budget is None else budget[k]}
                                for k, (p, n) in enumerate(days)]
        if cut:
            line["reasons"].append("pro_rated")
        for k, (p, _) in enumerate(days):
            piece = {"cost": cost[k], **({"budget": budget[k]} if budget is not None else {})}
            if k == 0:
                held.setdefault(p, []).append(({**{f: v for f, v in c.items() if f != "budget"}, **piece}, cut))
            else:
                expected = {"expected_revenue": "0"} if "expected_revenue" in c else {}  # missing wherever it reaches
                held.setdefault(p, []).append(({"id": c["id"], "start_on": c["start_on"], **expected, **piece}, True))
    for p in sorted(held):
        cs = [c for c, _ in held[p]]
        line = {"key": p, "channel": None, "group": None, "period": p, **roi_line(cs, policy)}
        if any(cut for _, cut in held[p]):
            line["reasons"].append("pro_rated")
        out["periods"].append(line)
    out["total"] = {"key": "total", "channel": None, "group": None, "period": None, **roi_line(campaigns, policy)}
    return out


# ---------------------------------------------------------------- attribute

def _days(a: str, b: str) -> int:
    return (datetime.date.fromisoformat(b) - datetime.date.fromisoformat(a)).days


def _units(revenue: str, r) -> int:
    dp = r.get("dp", 2)
    d = Decimal(revenue).quantize(Decimal(1).scaleb(-dp), rounding=MODES[r.get("strategy", "half_even")])
    return int(d.scaleb(dp))


def largest_remainder(units: int, weights: list, tolerance: Fraction = Fraction(0)) -> list:
    """`units` split in proportion to `weights`: floors, then one more unit each to the
    largest remainders, the earlier on ties. With a `tolerance` (in units), remainders within
    it of the last one given count as tied with it and go to the earliest (the data-driven
    models' rule: their weights are estimates, so a noise-sized difference must not decide)."""
    total = sum(weights)
    exact = [Fraction(units) * w / total for w in weights]
    floors = [int(e) for e in exact]  # non-negative: int() truncates
    rest = [e - f for e, f in zip(exact, floors)]
    left = units - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-rest[i], i))
    if left == 0:
        return floors
    last = rest[order[left - 1]]
    clear = [i for i in order if rest[i] - last > tolerance]
    tied = [i for i in range(len(weights)) if abs(rest[i] - last) <= tolerance]
    for i in clear + tied[: left - len(clear)]:
        floors[i] += 1
    return floors


def learned_tolerance(units: int) -> Fraction:
    """Markov and Shapley splits: remainders within units ÷ 2^32 of a unit count as tied."""
    return Fraction(units, 1 << 32)


def share6(x: Fraction) -> str:
    return _round(x, {"dp": 6})


POSITION = {"u_shaped": dict(first="0.4", middle="0.2", last="0.4"),
            "w_shaped": dict(first="0.3", middle="0.1", lead_created="0.3", deal_created="0.3")}


def roles(touches):
    marks = [t.get("milestone") for t in touches]
    lead = marks.index("lead_created") if "lead_created" in marks else None
    deal = marks.index("deal_created") if "deal_created" in marks else None
    return lead, deal


def position_weights(touches, w):
    n = len(touches)
    W = {k: Fraction(Decimal(w.get(k, "0"))) for k in ("first", "middle", "last", "lead_created", "deal_created")}
    lead, deal = roles(touches)
    role = [Fraction(0)] * n
    role[0] += W["first"]
    role[n - 1] += W["last"]
    role[0 if lead is None else lead] += W["lead_created"]
    role[n - 1 if deal is None else deal] += W["deal_created"]
    middle = [i for i in range(n) if role[i] == 0]
    return [W["middle"] / len(middle) if i in middle else role[i] for i in range(n)]


def decay_weight(days: int, half_life: str) -> Fraction:
    getcontext().prec = 60
    return Fraction(Decimal(2) ** (-Decimal(days) / Decimal(half_life)))


def markov_effects(journeys, order):
    paths = [([t["channel"] for t in j["touches"]], "converted_on" in j) for j in journeys]
    edges = {}
    for chans, conv in paths:
        state = "start"
        for end in range(1, len(chans) + 1):
            nxt = tuple(chans[max(0, end - order):end])
            edges.setdefault(state, {}).setdefault(nxt, 0)
            edges[state][nxt] += 1
            state = nxt
        edges.setdefault(state, {}).setdefault("conv" if conv else "null", 0)
        edges[state]["conv" if conv else "null"] += 1
    states = sorted(edges, key=str)
    if not edges:
        return {}

    def p_conv(removed):
        live = [s for s in states if not (s != "start" and removed in s)]
        idx = {s: i for i, s in enumerate(live)}
        n = len(live)
        a = [[Fraction(0)] * (n + 1) for _ in range(n)]
        for s in live:
            i = idx[s]
            a[i][i] += 1
            tot = sum(edges[s].values())
            for t, c in edges[s].items():
                q = Fraction(c, tot)
                if t == "conv":
                    a[i][n] += q
                elif t == "null" or t not in idx:
                    pass
                else:
                    a[i][idx[t]] -= q
        for col in range(n):  # Gauss-Jordan with exact fractions
            piv = next(r for r in range(col, n) if a[r][col] != 0)
            a[col], a[piv] = a[piv], a[col]
            pv = a[col][col]
            a[col] = [x / pv for x in a[col]]
            for r in range(n):
                if r != col and a[r][col] != 0:
                    f = a[r][col]
                    a[r] = [x - f * y for x, y in zip(a[r], a[col])]
        return a[idx["start"]][n]

    base = p_conv(None)
    chans = {c for chans, _ in paths for c in chans}
    return {c: (1 - p_conv(c) / base if base else Fraction(0)) for c in chans}


def shapley_values(journeys, players, value):
    sets = [(frozenset(t["channel"] for t in j["touches"]), "converted_on" in j) for j in journeys]
    k = len(players)

    def v(S):
        conv = sum(1 for s, c in sets if c and s <= S)
        alls = sum(1 for s, c in sets if s <= S)
        if value == "within":
            return Fraction(conv)
        if value == "exact_set":
            return Fraction(sum(1 for s, c in sets if c and s == S))
        return Fraction(conv, alls) if alls else Fraction(0)

    from itertools import combinations
    from math import factorial
    phi = {}
    for p in players:
        others = [q for q in players if q != p]
        total = Fraction(0)
        for size in range(len(others) + 1):
            for S in combinations(others, size):
                S = frozenset(S)
                total += Fraction(factorial(size) * factorial(k - size - 1), factorial(k)) * (v(S | {p}) - v(S))
        phi[p] = total
    return phi


def within_window(j, lookback):
    """Indices of the touches inside the lookback window (all of them without one, or when
    the journey did not convert)."""
    ts = j["touches"]
    if lookback is None or "converted_on" not in j:
        return list(range(len(ts)))
    return [i for i, t in enumerate(ts) if _days(t["on"], j["converted_on"]) <= lookback]


M64 = (1 << 64) - 1


def shapley_sampled_weights(journeys, players, value, samples, seed, taxonomy):
    """Beyond 15 channels: the mean marginal contribution over `samples` player orders drawn by
    splitmix64 from `seed` (Fisher-Yates, each draw reduced by multiply-shift, one order
    shuffled in place sample after sample), players in taxonomy order; IEEE doubles in the
    spec's order of operations, so the weights are those of every platform: value / largest
    value as 40-bit fixed point, rounded half away from zero."""
    order = {name: i for i, (name, _) in enumerate(taxonomy)}
    players = sorted(players, key=order.__getitem__)
    bit = {c: 1 << i for i, c in enumerate(players)}
    masks = {}
    for j in journeys:
        chans = {t["channel"] for t in j["touches"]}
        if chans <= set(players):
            m = sum(bit[c] for c in chans)
            conv, alls = masks.get(m, (0, 0))
            masks[m] = (conv + ("converted_on" in j), alls + 1)

    def v(S):
        c = n = e = 0
        for m, (cm, nm) in masks.items():
            if m & ~S == 0:
                c += cm
                n += nm
                if m == S:
                    e += cm
        if value == "within":
            return float(c)
        if value == "exact_set":
            return float(e)
        return 0.0 if n == 0 else float(c) / float(n)

    state = seed

    def draw():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    k = len(players)
    phi = [0.0] * k
    perm = list(range(k))
    for _ in range(samples):
        for i in range(k - 1, 0, -1):
            j = (draw() * (i + 1)) >> 64
            perm[i], perm[j] = perm[j], perm[i]
        S, before = 0, v(0)
        for i in perm:
            S |= 1 << i
            after = v(S)
            phi[i] += after - before
            before = after
    phi = [x / float(samples) for x in phi]
    top = max([0.0] + phi)

    def fixed(x):
        if not (top > 0.0 and x > 0.0):
            return 0
        y = (x / top) * float(1 << 40)
        whole = int(y)
        return whole + (1 if y - whole >= 0.5 else 0)

    return {c: Fraction(fixed(x)) for c, x in zip(players, phi)}


def attribute(policy, journeys):
    model = policy["model"]
    kind = model["kind"]
    r = policy.get("rounding", {"dp": 2})
    dp = r.get("dp", 2)
    lookback = policy.get("lookback_days")
    taxonomy = [(c["name"], c["group"]) for c in policy["channels"]] if "channels" in policy else DEFAULT_CHANNELS
    money = lambda u: format(Decimal(u).scaleb(-dp), "f")
    # What the models see: the touches inside the window; journeys left without one are out.
    seen = []
    for j in journeys:
        idx = within_window(j, lookback)
        if idx:
            seen.append({**j, "touches": [j["touches"][i] for i in idx]})
    effects = markov_effects(seen, model.get("order", 1)) if kind == "markov" else None
    direct = set(model.get("direct", []))
    lines = []
    credit = {}
    touches_n = {}
    convs = {}
    present = set()
    total = 0
    unattributed = 0
    conversions = 0
    cohort = {}  # month -> {"credit": {c: units}, "convs": {c: n}, "total": units}
    for j in journeys:
        all_ts = j["touches"]
        idx = within_window(j, lookback)
        ts = [all_ts[i] for i in idx]
        n = len(ts)
        conv = "converted_on" in j
        units = _units(j.get("revenue", "0"), r) if conv else 0
        conversions += conv
        credits, shares, even = [0] * n, [Fraction(0)] * n, False
        credited = None
        if conv and n:
            if kind in ("markov", "shapley"):
                order_c = []
                for t in ts:
                    if t["channel"] not in order_c:
                        order_c.append(t["channel"])
                if kind == "markov":
                    vals = {c: effects[c] for c in order_c}
                elif len(order_c) > 15:
                    vals = shapley_sampled_weights(seen, order_c, model.get("value", "conversion_rate"),
                                                   model.get("samples", 10000), int(model.get("seed", 0)), taxonomy)
                else:
                    phi = shapley_values(seen, order_c, model.get("value", "conversion_rate"))
                    vals = {c: max(phi[c], Fraction(0)) for c in order_c}
                if all(x == 0 for x in vals.values()):
                    even = True
                    vals = {c: Fraction(1) for c in order_c}
                per_channel = dict(zip(order_c, largest_remainder(units, [vals[c] for c in order_c], learned_tolerance(units))))
                V = sum(vals.values())
                counts = {c: sum(1 for t in ts if t["channel"] == c) for c in order_c}
                seen_n = {c: 0 for c in order_c}
                for i, t in enumerate(ts):
                    c = t["channel"]
                    each, extra = divmod(per_channel[c], counts[c])
                    credits[i] = each + (1 if seen_n[c] < extra else 0)
                    seen_n[c] += 1
                    shares[i] = vals[c] / V / counts[c]
            else:
                if kind == "first_touch":
                    w = [Fraction(1)] + [Fraction(0)] * (n - 1)
                elif kind == "last_touch":
                    w = [Fraction(0)] * (n - 1) + [Fraction(1)]
                elif kind == "last_non_direct":
                    others = [i for i, t in enumerate(ts) if t["channel"] not in direct]
                    credited = (others[-1], False) if others else (n - 1, True)
                    w = [Fraction(int(i == credited[0])) for i in range(n)]
                elif kind == "linear":
                    w = [Fraction(1)] * n
                elif kind == "time_decay":
                    w = [decay_weight(_days(t["on"], j["converted_on"]), model.get("half_life_days", "7")) for t in ts]
                else:
                    w = position_weights(ts, POSITION.get(kind, model))
                credits = largest_remainder(units, w)
                shares = [x / sum(w) for x in w]
        if conv and not n:
            unattributed += units
        lead, deal = roles(ts) if n else (None, None)
        tl = []
        seen_c = set()
        month = j["converted_on"][:7] if conv else None
        for pos, t in enumerate(all_ts):
            c = t["channel"]
            inside = pos in idx
            i = idx.index(pos) if inside else None
            reasons = []
            if inside:
                present.add(c)
            if conv and inside:
                credit[c] = credit.get(c, 0) + credits[i]
                touches_n[c] = touches_n.get(c, 0) + 1
                m = cohort.setdefault(month, {"credit": {}, "convs": {}, "total": 0})
                m["credit"][c] = m["credit"].get(c, 0) + credits[i]
                if c not in seen_c:
                    seen_c.add(c)
                    convs[c] = convs.get(c, 0) + 1
                    m["convs"][c] = m["convs"].get(c, 0) + 1
                if i == 0:
                    reasons.append("first_touch")
                if i == n - 1:
                    reasons.append("last_touch")
                extra = {"linear": "equal_share", "time_decay": "decayed", "markov": "removal_effect", "shapley": "shapley_value"}
                if kind in extra:
                    reasons.append(extra[kind])
                elif kind == "last_non_direct":
                    if i == credited[0]:
                        reasons.append("all_direct" if credited[1] else "last_non_direct")
                elif kind in ("u_shaped", "w_shaped", "position"):
                    if kind != "u_shaped" and i == (0 if lead is None else lead):
                        reasons.append("lead_created_assumed" if lead is None else "lead_created")
                    if kind != "u_shaped" and i == (n - 1 if deal is None else deal):
                        reasons.append("deal_created_assumed" if deal is None else "deal_created")
                    if not reasons:
                        reasons.append("middle_touch")
            elif conv:
                reasons.append("outside_lookback")
            tl.append({"channel": c, "on": t["on"], "days_before": _days(t["on"], j["converted_on"]) if conv else None,
                       "share": share6(shares[i]) if conv and inside else "0", "credit": money(credits[i] if inside else 0),
                       "reasons": reasons})
        if conv and n:
            total += units
            cohort[month]["total"] += units
        lines.append({"id": j["id"], "revenue": money(units), "converted": conv, "touches": tl,
                      "reasons": (["split_evenly"] if even else ([] if n else ["no_touch_in_lookback"])) if conv else ["not_converted"]})
    channels = []
    for name, group in taxonomy:
        if name in present:
            channels.append({"channel": name, "group": group, "credit": money(credit.get(name, 0)),
                             "share": share6(Fraction(credit.get(name, 0), total)) if total else "0",
                             "touches": touches_n.get(name, 0), "conversions": convs.get(name, 0),
                             "removal_effect": _round(effects.get(name, Fraction(0)), {"dp": 6}) if effects is not None else None})
    cohorts = []
    if policy.get("cohorts"):
        for month in sorted(cohort):
            m = cohort[month]
            for name, group in taxonomy:
                if m["convs"].get(name):
                    cohorts.append({"month": month, "channel": name, "group": group, "credit": money(m["credit"][name]),
                                    "share": share6(Fraction(m["credit"][name], m["total"])) if m["total"] else "0",
                                    "conversions": m["convs"][name]})
    return {"model": kind, "total": money(total), "conversions": conversions, "unattributed": money(unattributed),
            "channels": channels, "cohorts": cohorts, "journeys": lines}


DEFAULT_MODELS = [{"kind": k} for k in ("first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "time_decay", "markov", "shapley")]


def model_label(m) -> str:
    kind = m["kind"]
    if kind == "time_decay" and Decimal(m.get("half_life_days", "7")) != 7:
        return f"time_decay_{Decimal(m['half_life_days']).normalize()}"
    if kind == "markov" and m.get("order", 1) != 1:
        return f"markov_order_{m['order']}"
    if kind == "shapley" and m.get("value", "conversion_rate") != "conversion_rate":
        return f"shapley_{m['value']}"
    return kind


def compare_attribution(policy, journeys):
    models = policy.get("models", DEFAULT_MODELS)
    labels = []
    for m in models:
        base = model_label(m)
        repeats = sum(1 for x in labels if x == base or x.startswith(base + "_#"))
        labels.append(base if repeats == 0 else f"{base}_#{repeats + 1}")
    base = {k: v for k, v in policy.items() if k != "models"}
    reports = [attribute({**base, "model": m}, journeys) for m in models]
    total = reports[0]["total"] if reports else "0"
    channels, rows = [], []
    for line in reports[0]["channels"] if reports else []:
        name = line["channel"]
        credits = [next(c["credit"] for c in r["channels"] if c["channel"] == name) for r in reports]
        shares = [next(c["share"] for c in r["channels"] if c["channel"] == name) for r in reports]
        channels.append({"channel": name, "group": line["group"], "credits": credits, "shares": shares})
        rows += [{"channel": name, "group": line["group"], "model": lab, "credit": cr, "share": sh} for lab, cr, sh in zip(labels, credits, shares)]
    return {"models": labels, "total": total, "channels": channels, "rows": rows}


def journeys_of_columns(c):
    """The journeys of a ``compare_attribution_columns`` input (one row per touch, a journey's
    rows consecutive, its revenue and conversion day read on its first row)."""
    out = []
    for i, code in enumerate(c["journey"]):
        if not out or out[-1]["id"] != str(code) or i == 0:
            first = {"id": str(code), "touches": []}
            if c["converted_on"][i] is not None:
                first["converted_on"] = c["converted_on"][i]
                first["revenue"] = c["revenue"][i]
            out.append(first)
        touch = {"channel": c["channel"][i], "on": c["on"][i]}
        if c.get("milestone") and c["milestone"][i]:
            touch["milestone"] = c["milestone"][i]
        out[-1]["touches"].append(touch)
    return out


def campaigns_of_columns(c):
    """The campaigns of a ``campaign_roi_columns`` input (one row per campaign; a null budget,
    expected revenue, date or new_customers cell is the field left out)."""
    n = len(c["id"])
    out = []
    for i in range(n):
        campaign = {}
        for field, cells in c.items():
            if cells[i] is not None:
                campaign[field] = cells[i]
        out.append(campaign)
    return out


FUNCTIONS = {
    "compare_attribution": lambda case: compare_attribution(case["config"], case["input"]["journeys"]),
    "compare_attribution_columns": lambda case: compare_attribution(case["config"], journeys_of_columns(case["input"])),
    "campaign_roi": lambda case: campaign_roi(case["config"], case["input"]["campaigns"]),
    "campaign_roi_columns": lambda case: campaign_roi(case["config"], campaigns_of_columns(case["input"])),
    "attribute": lambda case: attribute(case["config"], case["input"]["journeys"]),
}


def mismatch(e, a, at=""):
    if isinstance(e, dict):
        return next((m for k, v in e.items() for m in [mismatch(v, a.get(k, KeyError), f"{at}.{k}")] if m), None)
    if isinstance(e, list):
        if not isinstance(a, list) or len(a) != len(e):
            return at
        return next((m for i, (x, y) in enumerate(zip(e, a)) for m in [mismatch(x, y, f"{at}[{i}]")] if m), None)
    return None if e == a else f"{at}: {e!r} != {a!r}"


def main() -> int:
    check = "--check" in sys.argv
    changed = []
    for path in sorted(HERE.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        model = FUNCTIONS.get(spec["function"])
        if model is None:
            continue
        for case in spec["cases"]:
            if "expected_error" in case:
                continue
            if case.get("expected_by") == "hand":
                # Worked examples from the issue / DOMAIN.md: the model must agree with them.
                found = mismatch(case["expected"], model(case))
                if found:
                    print(f"{case['id']}: the model disagrees with the hand-written expectation at {found}")
                    return 1
                continue
            case["expected"] = model(case)
        text = json.dumps(spec, ensure_ascii=False, indent=1) + "\n"
        if text != path.read_text(encoding="utf-8"):
            changed.append(path.name)
            if not check:
                path.write_text(text, encoding="utf-8")
    print(("would change: " if check else "rewrote: ") + (", ".join(changed) or "nothing"))
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
