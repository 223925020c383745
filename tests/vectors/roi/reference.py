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
    for p in sorted({period_of(c["start_on"], unit) for c in campaigns if "start_on" in c}):
        cs = [c for c in campaigns if "start_on" in c and period_of(c["start_on"], unit) == p]
        out["periods"].append({"key": p, "channel": None, "group": None, "period": p, **roi_line(cs, policy)})
    out["total"] = {"key": "total", "channel": None, "group": None, "period": None, **roi_line(campaigns, policy)}
    return out


FUNCTIONS = {"campaign_roi": lambda case: campaign_roi(case["config"], case["input"]["campaigns"])}


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
