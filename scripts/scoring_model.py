"""An independent Python model of crmkit's rule scoring (and, later, the learned models),
written from the README's semantics, not from the Rust code. It computes the `expected` of
the success cases in tests/vectors/scoring/*.json:

    python3 scripts/scoring_model.py tests/vectors/scoring/score_leads.json  # rewrites expected

Only cases with `"generated": true` are rewritten; hand-written cases are left alone.
"""

from __future__ import annotations

import datetime
import json
import math
import re
import sys


def days(text: str) -> int:
    return (datetime.date.fromisoformat(text) - datetime.date(1970, 1, 1)).days


def present(v) -> bool:
    return v is not None and v != ""


def holds(c: dict, lead: dict, as_of: int) -> bool:
    v = lead.get(c["field"])
    op = c["op"]
    if op == "exists":
        return present(v)
    if op == "missing":
        return not present(v)
    if not present(v):
        return False
    fold = (lambda s: s.lower()) if c.get("ignore_case") else (lambda s: s)
    if op == "equals":
        return fold(v) == fold(c["value"])
    if op == "in":
        return fold(v) in [fold(x) for x in c["values"]]
    if op == "not_in":
        return fold(v) not in [fold(x) for x in c["values"]]
    if op == "contains":
        return fold(c["value"]) in fold(v)
    if op == "regex":
        return re.search(c["pattern"], v, re.I if c.get("ignore_case") else 0) is not None
    if op == "range":
        x = float(v)
        lo, hi, b = c.get("min"), c.get("max"), c["bounds"]
        ok_lo = lo is None or (x >= lo if b[0] == "[" else x > lo)
        ok_hi = hi is None or (x <= hi if b[1] == "]" else x < hi)
        return ok_lo and ok_hi
    if op == "within_days":
        d = days(v)
        return as_of - c["days"] <= d <= as_of
    raise ValueError(op)


def clamp(v, lo, hi):
    if hi is not None:
        v = min(v, hi)
    if lo is not None:
        v = max(v, lo)
    return v


def score(policy: dict, lead: dict, as_of: int) -> dict:
    items, cuts = [], []
    for rule in policy["rules"]:
        if not all(holds(c, lead, as_of) for c in rule.get("when", [])):
            continue
        ev = rule.get("event")
        if ev is None:
            items.append({"rule": rule["id"], "points": rule["points"], "decayed": rule["points"], "_r": rule})
            continue
        ages = []
        for e in lead.get("events", []):
            age = as_of - days(e["on"])
            if e["type"] in ev["types"] and age >= 0 and (ev.get("within_days") is None or age <= ev["within_days"]):
                ages.append(age)
        if not ages or len(ages) < ev.get("min_count", 1):
            continue
        hl = ev.get("half_life_days")
        f = (lambda a: 2.0 ** (-a / hl)) if hl else (lambda a: 1.0)
        if ev.get("per_event"):
            used = sorted(ages)[: ev["max_events"]] if ev.get("max_events") is not None else ages
            before = rule["points"] * len(used)
            after = rule["points"] * sum(f(a) for a in used)
        else:
            before = rule["points"]
            after = rule["points"] * f(min(ages))
        items.append({"rule": rule["id"], "points": before, "decayed": after, "events": len(ages), "newest_age_days": min(ages), "_r": rule})
    dims = {"fit": 0.0, "engagement": 0.0}
    for g in policy.get("groups", []):
        mine = [i for i in items if i["_r"].get("group") == g["id"]]
        if not mine:
            continue
        before = sum(i["decayed"] for i in mine)
        after = clamp(before, g.get("min"), g.get("max"))
        if after != before:
            cuts.append({"scope": "group", "group": g["id"], "before": before, "after": after, "cut": after - before})
        dims[mine[0]["_r"]["dimension"]] += after
    for i in items:
        if i["_r"].get("group") is None:
            dims[i["_r"]["dimension"]] += i["decayed"]
    out = {}
    for d in ("fit", "engagement"):
        b = policy.get(d, {})
        after = clamp(dims[d], b.get("min"), b.get("max"))
        if after != dims[d]:
            cuts.append({"scope": d, "group": None, "before": dims[d], "after": after, "cut": after - dims[d]})
        out[d] = after
    total = out["fit"] + out["engagement"]
    b = policy.get("total", {})
    after = clamp(total, b.get("min"), b.get("max"))
    if after != total:
        cuts.append({"scope": "total", "group": None, "before": total, "after": after, "cut": after - total})
    out["score"] = after
    grades = policy.get("grades", {})

    def band(bands, v):
        for bb in bands:
            if bb.get("min") is None or v >= bb["min"]:
                return bb["label"]
        return None

    fl = band(grades.get("fit", []), out["fit"]) if grades.get("fit") else ""
    el = band(grades.get("engagement", []), out["engagement"]) if grades.get("engagement") else ""
    out["grade"] = (fl + el) or None
    out["tier"] = None
    for t in policy.get("tiers", []):
        if (
            (t.get("min_score") is None or out["score"] >= t["min_score"])
            and (t.get("min_fit") is None or out["fit"] >= t["min_fit"])
            and (t.get("min_engagement") is None or out["engagement"] >= t["min_engagement"])
            and (not t.get("grades") or out["grade"] in t["grades"])
            and all(holds(c, lead, as_of) for c in t.get("when", []))
        ):
            out["tier"] = t["id"]
            break
    k = policy.get("top_reasons", 3)
    order = sorted(range(len(items)), key=lambda j: (-abs(items[j]["decayed"]), j))[:k]
    out["top_reasons"] = [items[j]["rule"] for j in order]
    for i in items:
        del i["_r"]
    out["items"] = items
    out["cuts"] = cuts
    return out


def rank(policy: dict, leads: list, scores: list) -> list:
    def key(j):
        parts = [-scores[j]]
        for t in policy.get("tie_break", []):
            v = leads[j].get(t["field"])
            if not present(v):
                parts.append((1, 0))
            elif isinstance(v, (int, float)):
                parts.append((0, -v if t.get("descending") else v))
            else:
                # text: descending by inverting code points is awkward; sort twice instead
                parts.append((0, _Rev(v) if t.get("descending") else v))
        parts.append(leads[j]["id"])
        parts.append(j)
        return parts

    return sorted(range(len(leads)), key=key)


class _Rev:
    def __init__(self, v):
        self.v = v

    def __lt__(self, o):
        return self.v > o.v

    def __eq__(self, o):
        return self.v == o.v


def score_leads(policy: dict, leads: list, as_of: str) -> dict:
    a = days(as_of)
    lines = [dict(id=l["id"], **score(policy, l, a)) for l in leads]
    order = rank(policy, leads, [x["score"] for x in lines])
    for r, j in enumerate(order):
        lines[j]["rank"] = r + 1
    return {"leads": lines, "ranking": [leads[j]["id"] for j in order]}


def main(path: str) -> None:
    spec = json.load(open(path, encoding="utf-8"))
    for case in spec["cases"]:
        if case.get("generated"):
            case["expected"] = score_leads(case["config"], case["input"]["leads"], case["as_of"])
    with open(path, "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
