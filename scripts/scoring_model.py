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


def score_columns(policy: dict, columns: dict, as_of: str) -> dict:
    """The `score_columns` vectors: the columns read back as leads (a number column's values,
    a text column's texts, a date column's `YYYY-MM-DD`; null is absent), the long events
    table as each lead's events (events with a null type or date are no events), scored as
    records; without an `id` column, ties end in row order. The answer as columns: labels
    for grades and tiers (null for none), each lead's top reasons."""
    rows = columns["rows"]
    leads = [{"id": ""} for _ in range(rows)]
    for name, column in columns.get("fields", {}).items():
        ((kind, values),) = column.items()
        for lead, v in zip(leads, values):
            if v is not None:
                lead[name] = v
    for lead in leads:
        lead["events"] = []
    ev = columns.get("events") or {"lead": [], "type": [], "on": []}
    for row, kind, on in zip(ev["lead"], ev["type"], ev["on"]):
        if kind is not None and on is not None:
            leads[row]["events"].append({"type": kind, "on": on})
    report = score_leads(policy, leads, as_of)
    lines = report["leads"]
    return {
        "score": [x["score"] for x in lines],
        "fit": [x["fit"] for x in lines],
        "engagement": [x["engagement"] for x in lines],
        "rank": [x["rank"] for x in lines],
        "grade": [x["grade"] for x in lines],
        "tier": [x["tier"] for x in lines],
        "reasons": [x["top_reasons"] for x in lines],
    }


def main(path: str) -> None:
    spec = json.load(open(path, encoding="utf-8"))
    for case in spec["cases"]:
        if not case.get("generated"):
            continue
        if spec["function"] == "calibration":
            case["expected"] = calibration(case["input"]["probabilities"], case["input"]["outcomes"], case["config"].get("bins", 10))
        elif spec["function"] == "score_leads":
            case["expected"] = score_leads(case["config"], case["input"]["leads"], case["as_of"])
        elif spec["function"] == "score_columns":
            case["expected"] = score_columns(case["config"], case["input"], case["as_of"])
        else:
            case["expected"] = lead_model(case["config"], case["input"]["leads"], case["input"]["open"], case["as_of"])
    with open(path, "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False, indent=1)
        f.write("\n")



# ---- learned models ------------------------------------------------------------------------
# Odoo's predictive lead scoring as docs/research describe crm_lead.py: a frequency table
# (team, field, value) -> [won, lost], each row created at +0.1; won leads count in every
# stage, lost ones in every stage up to theirs; tags under 50 closed leads dropped.


def _outcome(lead, cfg):
    return lead[cfg.get("outcome_field", "outcome")] == "won"


def _values(cfg, lead):
    out = []
    for f in cfg["fields"]:
        v = lead.get(f["name"])
        if v is None or v == "":
            continue
        if f.get("bins") is not None:
            edges = f["bins"]
            i = sum(1 for e in edges if e <= float(v))
            lab = f"< {_num(edges[0])}" if i == 0 else (f">= {_num(edges[-1])}" if i == len(edges) else f"[{_num(edges[i-1])}, {_num(edges[i])})")
            out.append((f["name"], lab))
        elif f.get("tags"):
            out.extend((f["name"], t) for t in v if t != "")
        elif isinstance(v, bool):
            out.append((f["name"], "true" if v else "false"))
        elif isinstance(v, (int, float)):
            out.append((f["name"], _num(v)))
        else:
            out.append((f["name"], v))
    return out


def _num(x):
    x = float(x)
    return str(int(x)) if x == int(x) else repr(x)


def odoo_predict(cfg, closed, leads):
    stages = [s["name"] for s in cfg["stages"]]
    sf, tf = cfg.get("stage_field", "stage"), cfg.get("team_field", "team")
    freq = {}  # (team, field, value) -> [won, lost]

    def bump(team, field, value, won):
        row = freq.setdefault((team, field, value), [0.1, 0.1])
        row[0 if won else 1] += 1

    for lead in closed:
        won, team = _outcome(lead, cfg), lead.get(tf) or None
        st = lead.get(sf)
        if won:
            for s in stages:
                bump(team, "stage_id", s, True)
        elif st:
            for s in stages[: stages.index(st) + 1]:
                bump(team, "stage_id", s, False)
        for field, value in _values(cfg, lead):
            bump(team, field, value, won)
    tagf = {f["name"] for f in cfg["fields"] if f.get("tags")}
    out = []
    for lead in leads:
        st, team = lead.get(sf), lead.get(tf) or None
        if not st:
            out.append({"id": lead["id"], "probability": 0.0, "percent": "0", "reason": "no_stage"})
            continue
        if [s for s in cfg["stages"] if s["name"] == st][0].get("won"):
            out.append({"id": lead["id"], "probability": 1.0, "percent": "100", "reason": "won_stage"})
            continue
        rows = {k[1:]: v for k, v in freq.items() if k[0] == team}
        if not rows:
            rows = {}
            for k, v in freq.items():
                acc = rows.setdefault(k[1:], [0.0, 0.0])
                acc[0] += v[0]
                acc[1] += v[1]
        first = rows.get(("stage_id", stages[0]), [0, 0])
        nw, nl = first
        if nw == 0 or nl == 0:
            out.append({"id": lead["id"], "probability": None, "reason": "no_history"})
            continue
        sw, sl = nw / (nw + nl), nl / (nw + nl)
        terms = [_term("prior", None, sw, sl)]
        if ("stage_id", st) in rows:
            w, l = rows[("stage_id", st)]
            sw *= w / nw
            sl *= l / nl
            terms.append(_term("stage", st, w / nw, l / nl))
        for field, value in _values(cfg, lead):
            ok = lambda r: field not in tagf or r[0] + r[1] >= 50
            row = rows.get((field, value))
            if row is None or not ok(row):
                continue
            tw = sum(r[0] for k, r in rows.items() if k[0] == field and ok(r))
            tl = sum(r[1] for k, r in rows.items() if k[0] == field and ok(r))
            sw *= row[0] / tw
            sl *= row[1] / tl
            terms.append(_term(field, value, row[0] / tw, row[1] / tl))
        p = sw / (sw + sl)
        pct = min(max(round(100 * p, 2), 0.01), 99.99)
        out.append({"id": lead["id"], "probability": p, "percent": f"{pct:.2f}", "reason": "scored",
                    **_explained(terms, cfg.get("top_factors", 3))})
    return {"leads": out}


def _term(factor, value, a, b):
    """One additive term of the logit: ln(a / b) with its two likelihoods."""
    return {"factor": factor, "value": value, "log_odds": math.log(a) - math.log(b),
            "likelihood_won": a, "likelihood_lost": b}


def _explained(terms, k):
    """The logit (the terms summed in order), the terms, and the top factors: the prior
    excluded, the k largest positive ones (largest first) and the k most negative ones (most
    negative first); a zero term is in neither list. Equal log-odds: for, in the terms'
    order; against, in their reverse order (as the README says: one ranking from the largest
    to the most negative, read from either end)."""
    rest = terms[1:]
    pos = sorted((t for t in rest if t["log_odds"] > 0), key=lambda t: -t["log_odds"])
    neg = sorted((t for t in reversed(rest) if t["log_odds"] < 0), key=lambda t: t["log_odds"])
    return {"logit": sum(t["log_odds"] for t in terms), "contributions": terms, "top_for": pos[:k], "top_against": neg[:k]}


def bayes_predict(cfg, closed, leads, as_of):
    a = cfg.get("smoothing", 1.0)
    ms = cfg.get("min_support", 0.0)
    m = cfg.get("team_blend")
    hl = cfg.get("half_life_days")
    stages = [s["name"] for s in cfg.get("stages", [])]
    sf, tf = cfg.get("stage_field", "stage"), cfg.get("team_field", "team")
    today = days(as_of)

    def table(rows):
        t = {"n": [0.0, 0.0], "stage": {}, "val": {}}
        for lead, w in rows:
            won = _outcome(lead, cfg)
            c = 0 if won else 1
            t["n"][c] += w
            st = lead.get(sf)
            reached = stages if won else (stages[: stages.index(st) + 1] if st and stages else [])
            for s in reached:
                t["stage"].setdefault(s, [0.0, 0.0])[c] += w
            for field, value in _values(cfg, lead):
                t["val"].setdefault(field, {}).setdefault(value, [0.0, 0.0])[c] += w
        return t

    rows = []
    for lead in closed:
        w = 1.0
        if hl:
            age = today - days(lead[cfg.get("closed_on_field", "closed_on")])
            if age < 0:
                continue
            w = 2.0 ** (-age / hl)
        rows.append((lead, w))
    g = table(rows)
    teams = {}
    if m is not None:
        for lead, w in rows:
            teams.setdefault(lead.get(tf) or None, []).append((lead, w))
        teams = {k: table(v) for k, v in teams.items()}
    out = []
    for lead in leads:
        t = teams.get(lead.get(tf) or None) if m is not None else None

        def blend(fn, n_of):
            gv = fn(g)
            if t is None or n_of(t) + m <= 0:
                return gv
            return (n_of(t) * fn(t) + m * gv) / (n_of(t) + m)

        pw = blend(lambda x: (x["n"][0] + a) / (x["n"][0] + x["n"][1] + 2 * a), lambda x: x["n"][0] + x["n"][1])
        terms = [_term("prior", None, pw, 1 - pw)]
        st = lead.get(sf)
        if st and stages:
            ra = blend(lambda x: (x["stage"].get(st, [0, 0])[0] + a) / (x["n"][0] + 2 * a), lambda x: x["n"][0])
            rb = blend(lambda x: (x["stage"].get(st, [0, 0])[1] + a) / (x["n"][1] + 2 * a), lambda x: x["n"][1])
            terms.append(_term("stage", st, ra, rb))
        for field, value in _values(cfg, lead):
            gvals = g["val"].get(field, {})
            sup = {v for v, c in gvals.items() if c[0] + c[1] >= ms}
            if value not in sup:
                continue
            k = len(sup) + 1

            def like(x, c):
                vals = x["val"].get(field, {})
                tot = sum(cnt[c] for v, cnt in vals.items() if v in sup)
                return (vals.get(value, [0, 0])[c] + a) / (tot + a * k)

            pa = blend(lambda x: like(x, 0), lambda x: x["n"][0])
            pb = blend(lambda x: like(x, 1), lambda x: x["n"][1])
            terms.append(_term(field, value, pa, pb))
        explained = _explained(terms, cfg.get("top_factors", 3))
        x = max(-36.0, min(36.0, explained["logit"]))
        out.append({"id": lead["id"], "probability": 1 / (1 + math.exp(-x)), "reason": "scored", **explained})
    return {"leads": out}


def lead_model(cfg, closed, leads, as_of):
    if cfg["method"] == "odoo":
        return odoo_predict(cfg, closed, leads)
    return bayes_predict(cfg, closed, leads, as_of)


def calibration(probabilities, outcomes, bins):
    n = len(probabilities)
    brier = sum((p - (1.0 if y else 0.0)) ** 2 for p, y in zip(probabilities, outcomes)) / n if n else 0.0
    eps = 1e-15
    ll = -sum(math.log(min(max(p, eps), 1 - eps)) if y else math.log(1 - min(max(p, eps), 1 - eps))
              for p, y in zip(probabilities, outcomes)) / n if n else 0.0
    pos = [p for p, y in zip(probabilities, outcomes) if y]
    neg = [p for p, y in zip(probabilities, outcomes) if not y]
    auc = None
    if pos and neg:
        auc = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg) / (len(pos) * len(neg))
    out_bins = []
    for i in range(bins):
        inside = [(p, y) for p, y in zip(probabilities, outcomes) if min(int(p * bins), bins - 1) == i]
        out_bins.append({"from": i / bins, "to": (i + 1) / bins, "count": len(inside),
                         "mean_predicted": sum(p for p, _ in inside) / len(inside) if inside else None,
                         "observed": sum(1 for _, y in inside if y) / len(inside) if inside else None})
    return {"count": n, "won": len(pos), "brier": brier, "log_loss": ll, "auc": auc, "bins": out_bins}


if __name__ == "__main__":
    main(sys.argv[1])
