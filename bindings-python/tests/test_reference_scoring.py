"""Independent reference models of lead scoring (domain 1), compared with crmkit.

What is modelled, from the README's "Lead scoring" section, docs/DOMAIN.md §1, the research
notes on Odoo's predictive lead scoring and the Python stubs alone (plain Python, `datetime`,
`decimal.Decimal`; not from crmkit's code):

- `score_leads`: field conditions (equals / in / not_in / contains / regex / exists / missing /
  range with declared bounds / within_days; null, absent and "" are missing; ASCII-only
  `ignore_case`; booleans read as the text true / false; a decimal string reads as a number),
  event rules (types, min_count, a hard window, once decayed by the newest event's age or per
  event with max_events most recent, events after `as_of` not known yet), group caps and
  floors, dimension and total bounds itemised as cuts, the fit x engagement grade matrix,
  first-match tiers, top reasons, ranking (score, tie-break keys with missing last, id) and the
  per-tier / per-grade counts;
- `score_frame` (pandas and Arrow) against `score_leads` on the same leads, also over several
  thousand leads (more than one block of the batch pass) and with the events in any order;
- `train_lead_model` / `predict_leads` with Odoo's naive Bayes (tables per team, +0.1 per row,
  a won lead in every stage, a lost one up to its own, rare tags dropped, pooled tables for a
  team without rows, round(100 P, 2) within 0.01..99.99) and the additive log-odds, top
  factors for and against; the improved naive Bayes (Laplace smoothing, numeric bins, minimum
  support, team blending, forgetting by half-life);
- `calibration` (Brier, log loss with clipping, Mann-Whitney AUC with half ties, equal-width
  bins) and `time_split`;
- the error cases a reviewer tries first: each a CrmkitError with a stable code and path.

Choices crmkit documents that the model follows (spec ambiguities, crmkit's reading kept):

- Scores are floats (README: "points are not money"): the model sums floats too and compares
  within 1e-9; points that are not binary fractions (0.1, 0.7) therefore add as floats do, and
  a band edge is compared with the float sum (see test_float_points_on_a_band_edge).
- An event dated exactly `as_of` is age 0 and counts at full points; an event after `as_of` is
  ignored (not an error): README "later ones are not known yet".
- Window edges are inclusive: an event or a within_days date exactly N days old is within N.
- Top reasons are the matched items by |decayed points|, largest first, ties in rule order; an
  item of 0 points (a rule of 0 points, a decay that underflows) is still a matched rule and
  can be listed last.
- The improved naive Bayes, where the README leaves the formula open, follows crmkit's reading:
  a field's Laplace denominator counts one slot more than its values seen (room for an unseen
  value), the team blend's n is the team's weighted won (lost) total, `min_support` compares the
  value's weighted count in the global table (so under forgetting a value seen on one lead
  closed before `as_of` has support < 1), and without `team_blend` the global table alone
  scores. Lift by decile is not a crmkit function: not modelled.
- A tie-break field no condition reads is numbers when any lead holds a JSON number (decimal
  strings then read as numbers) or when every value is a decimal (a Python `Decimal`, a
  decimal string), else text; `score_frame` reads an object column of `Decimal` values there
  as numbers too.

Bugs this model found (fixed in the core, vectors in tests/vectors/scoring/):

- `exists` / `missing` took the field's type from the first lead holding a value, so a phone
  given as text by one lead and as a number by the next (or tags) was `invalid_type`, or not,
  by the leads' order (scoring_exists_any_value_type);
- a tie-break field's kind came from the first value present: ["10", 9] was an error, [9, "10"]
  ranked as numbers (scoring_tie_break_kind_any_order);
- `min_count: 0` was read as 1 and `max_events: 0` gave a matched rule of 0 points (decayed -0.0)
  in the top reasons: both are out_of_range now (scoring_error_min_count_zero, ..._max_events_zero);
- `score_frame` refused an object column of `Decimal` values in a range condition
  (`invalid_type` at columns.<field>) that `score_leads` reads as numbers;
- a tie-break field of `Decimal` values only ranked as text ("10" before "9") in `score_leads`
  and `score_frame` (scoring_tie_break_decimals_only_are_numbers);
- a policy number given as a `Decimal` (points, half_life_days, caps, bands, tier floors, the
  learned model's smoothing / min_support / team_blend / half_life_days / bins) was
  `invalid_type`, though every other crmkit policy takes Decimal numbers
  (scoring_policy_numbers_as_decimal_strings);
- `calibration` put p = 0.57 among 100 bins (0.29, 0.58; 15/22 among 22) in the bin below the
  one whose inclusive `from` it equals, and reported Brier 0 / log loss 0 (a perfect model) for
  no predictions at all (calibration_bin_edges, calibration_error_empty).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

import crmkit

AS_OF = dt.date(2026, 11, 23)
TOL = 1e-9


def close(a: float | None, b: float | None, tol: float = TOL) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


# ---------------------------------------------------------------------------------------------
# The rule model
# ---------------------------------------------------------------------------------------------

TEXT_OPS = {"equals", "in", "not_in", "contains", "regex"}


def day(v) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(v)


def is_missing(v) -> bool:
    return v is None or v == ""


def as_text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    assert isinstance(v, str), v
    return v


def as_number(v) -> float:
    if isinstance(v, bool):
        raise TypeError(v)
    if isinstance(v, (int, float, Decimal)):
        return float(v)
    assert isinstance(v, str)
    return float(Decimal(v))


def fold(s: str, ignore_case: bool) -> str:
    # ASCII case folding only: "Ä" and "ä" stay different.
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in s) if ignore_case else s


def condition_holds(c: dict, lead: dict, as_of: dt.date) -> bool:
    op = c["op"]
    v = lead.get(c["field"])
    if op == "exists":
        return not is_missing(v)
    if op == "missing":
        return is_missing(v)
    if is_missing(v):
        return False
    ic = c.get("ignore_case", False)
    if op in TEXT_OPS:
        t = fold(as_text(v), ic)
        if op == "equals":
            return t == fold(c["value"], ic)
        if op == "in":
            return t in {fold(x, ic) for x in c["values"]}
        if op == "not_in":
            return t not in {fold(x, ic) for x in c["values"]}
        if op == "contains":
            return fold(c["value"], ic) in t
        flags = re.ASCII | (re.IGNORECASE if ic else 0)
        return re.search(c["pattern"], as_text(v), flags) is not None
    if op == "range":
        x = as_number(v)
        lo, hi, b = c.get("min"), c.get("max"), c["bounds"]
        if lo is not None and not (x >= lo if b[0] == "[" else x > lo):
            return False
        return not (hi is not None and not (x <= hi if b[1] == "]" else x < hi))
    if op == "within_days":
        age = (as_of - day(v)).days
        return 0 <= age <= c["days"]
    raise AssertionError(op)


def decay(age: int, half_life) -> float:
    return 1.0 if half_life is None else 2.0 ** (-age / half_life)


def rule_item(rule: dict, lead: dict, as_of: dt.date) -> dict | None:
    if not all(condition_holds(c, lead, as_of) for c in rule.get("when", [])):
        return None
    item = {"rule": rule["id"], "dimension": rule["dimension"], "group": rule.get("group")}
    ev = rule.get("event")
    if ev is None:
        p = float(rule["points"])
        return {**item, "points": p, "decayed": p, "events": None, "newest_age_days": None,
                "reason": "conditions_met"}
    ages = []
    for e in lead.get("events") or []:
        if e["type"] not in ev["types"]:
            continue
        age = (as_of - day(e["on"])).days
        if age < 0:
            continue  # after as_of: not known yet
        if ev.get("within_days") is not None and age > ev["within_days"]:
            continue
        ages.append(age)
    if len(ages) < ev.get("min_count", 1) or not ages:
        return None
    ages.sort()
    hl = ev.get("half_life_days")
    p = float(rule["points"])
    if ev.get("per_event"):
        kept = ages[: ev["max_events"]] if ev.get("max_events") is not None else ages
        points = p * len(kept)
        decayed = 0.0
        for a in kept:
            decayed += p * decay(a, hl)
    else:
        points, decayed = p, p * decay(ages[0], hl)
    return {**item, "points": points, "decayed": decayed, "events": len(ages), "newest_age_days": ages[0],
            "reason": "events_counted" if hl is None else "events_decayed"}


def bound(scope: str, group, before: float, b: dict | None, cuts: list) -> float:
    after = before
    if b:
        if b.get("min") is not None and after < b["min"]:
            after = float(b["min"])
        if b.get("max") is not None and after > b["max"]:
            after = float(b["max"])
    if after != before:
        cuts.append({"scope": scope, "group": group, "before": before, "after": after, "cut": after - before})
    return after


def band(bands, x: float) -> str:
    for b in bands:
        if b.get("min") is None or x >= b["min"]:
            return b["label"]
    raise AssertionError("the last band takes the rest")


def grade_of(policy: dict, fit: float, eng: float) -> str | None:
    g = policy.get("grades") or {}
    parts = []
    if g.get("fit"):
        parts.append(band(g["fit"], fit))
    if g.get("engagement"):
        parts.append(band(g["engagement"], eng))
    return "".join(parts) or None


def score_one(policy: dict, lead: dict, as_of: dt.date) -> dict:
    items = [it for r in policy["rules"] if (it := rule_item(r, lead, as_of)) is not None]
    cuts: list = []
    dims = {"fit": 0.0, "engagement": 0.0}
    grouped: dict = {}
    for it in items:
        if it["group"] is None:
            dims[it["dimension"]] += it["decayed"]
        else:
            grouped.setdefault(it["group"], []).append(it)
    for g in policy.get("groups", []):
        members = grouped.get(g["id"])
        if not members:
            continue
        s = 0.0
        for it in members:
            s += it["decayed"]
        dims[members[0]["dimension"]] += bound("group", g["id"], s, g, cuts)
    fit = bound("fit", None, dims["fit"], policy.get("fit"), cuts)
    eng = bound("engagement", None, dims["engagement"], policy.get("engagement"), cuts)
    score = bound("total", None, fit + eng, policy.get("total"), cuts)
    grade = grade_of(policy, fit, eng)
    tier = None
    for t in policy.get("tiers", []):
        if t.get("min_score") is not None and not score >= t["min_score"]:
            continue
        if t.get("min_fit") is not None and not fit >= t["min_fit"]:
            continue
        if t.get("min_engagement") is not None and not eng >= t["min_engagement"]:
            continue
        if t.get("grades") is not None and grade not in t["grades"]:
            continue
        if not all(condition_holds(c, lead, as_of) for c in t.get("when", [])):
            continue
        tier = t
        break
    k = policy.get("top_reasons", 3)
    order = sorted(range(len(items)), key=lambda i: -abs(items[i]["decayed"]))
    top = [items[i]["rule"] for i in order][:k]
    return {"id": lead["id"], "score": score, "fit": fit, "engagement": eng, "grade": grade,
            "tier": tier and tier["id"], "tier_label": tier and tier.get("label"), "items": items,
            "cuts": cuts, "top_reasons": top}


def policy_kinds(policy: dict) -> dict:
    """The kind the operators give each field: number (range), date (within_days), text."""
    kinds = {}
    for r in list(policy["rules"]) + list(policy.get("tiers", [])):
        for c in r.get("when", []):
            if c["op"] == "range":
                kinds[c["field"]] = "number"
            elif c["op"] == "within_days":
                kinds[c["field"]] = "date"
            elif c["op"] in TEXT_OPS:
                kinds[c["field"]] = "text"
    return kinds


DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def is_decimal_value(v) -> bool:
    """A Python number (not a boolean), a Decimal or a decimal string."""
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float, Decimal)):
        return True
    return isinstance(v, str) and DECIMAL_TEXT.fullmatch(v) is not None


def tie_kinds(policy: dict, leads: list) -> dict:
    """A tie-break field's kind: its operators' kind, else numbers when any lead holds a
    number, or when every value there is a decimal (a Python Decimal, a decimal string: "10"
    after "9"), else text."""
    kinds = policy_kinds(policy)
    out = {}
    for tb in policy.get("tie_break", []):
        f = tb["field"]
        present = [x.get(f) for x in leads if not is_missing(x.get(f))]
        if f in kinds:
            out[f] = kinds[f]
        elif any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            out[f] = "number"
        elif present and all(is_decimal_value(v) for v in present):
            out[f] = "number"
        else:
            out[f] = "text"
    return out


def tie_value(v, kind: str):
    """A tie-break value: numbers as numbers, text and dates as text."""
    if is_missing(v):
        return None
    if kind == "number":
        return as_number(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return as_text(v)


def rank_key(policy: dict, lead: dict, line: dict, kinds: dict):
    key: list = [-line["score"]]
    for tb in policy.get("tie_break", []):
        v = tie_value(lead.get(tb["field"]), kinds[tb["field"]])
        if v is None:
            key.append((1,))
        else:
            # numbers before text when one field holds both (never in the random inputs)
            kind = 0 if isinstance(v, float) else 1
            if tb.get("descending"):
                v = -v if isinstance(v, float) else tuple(-ord(ch) for ch in v) + (1,)
            key.append((0, kind, v))
    key.append(lead["id"])
    return key


def score_model(policy: dict, leads: list, as_of: dt.date) -> dict:
    lines = [score_one(policy, x, as_of) for x in leads]
    kinds = tie_kinds(policy, leads)
    order = sorted(range(len(leads)), key=lambda i: rank_key(policy, leads[i], lines[i], kinds))
    for r, i in enumerate(order, 1):
        lines[i]["rank"] = r
    return {"leads": lines, "ranking": [leads[i]["id"] for i in order]}


# ---------------------------------------------------------------------------------------------
# Seeded random policies and leads
# ---------------------------------------------------------------------------------------------

INDUSTRIES = ["制造", "能源", "教育", "Retail", "retail", "RETAIL", "Äpfel", "äpfel", "零售 & co", ""]
REGIONS = ["华东", "华南", "华北", "East", "east"]
EVENT_TYPES = ["visit", "demo", "webinar", "unsubscribe", "open"]


def random_condition(rng: random.Random, for_tier: bool = False) -> dict:
    kind = rng.choice(["equals", "in", "not_in", "contains", "regex", "exists", "missing", "range", "range",
                       "within_days", "bool"])
    field = rng.choice(["industry", "region"])
    if kind == "bool":
        op = rng.choice(["equals", "exists", "missing", "not_in"])
        if op == "equals":
            return {"field": "vip", "op": op, "value": rng.choice(["true", "false", "TRUE"]), "ignore_case": rng.random() < 0.5}
        if op == "not_in":
            return {"field": "vip", "op": op, "values": [rng.choice(["true", "false"])]}
        return {"field": "vip", "op": op}
    if kind in ("equals", "contains"):
        pool = INDUSTRIES[:-1] if field == "industry" else REGIONS
        v = rng.choice(pool)
        if kind == "contains":
            v = v[: rng.randint(1, len(v))]
        return {"field": field, "op": kind, "value": v, "ignore_case": rng.random() < 0.5}
    if kind in ("in", "not_in"):
        pool = INDUSTRIES[:-1] if field == "industry" else REGIONS
        return {"field": field, "op": kind, "values": rng.sample(pool, rng.randint(1, 3)),
                "ignore_case": rng.random() < 0.5}
    if kind == "regex":
        return {"field": field, "op": "regex", "pattern": rng.choice(["^re", "ail$", "[A-Z]", "^(制造|能源)", "东$", "e.s"]),
                "ignore_case": rng.random() < 0.5}
    if kind in ("exists", "missing"):
        return {"field": rng.choice(["industry", "region", "employees", "seen_on"]), "op": kind}
    if kind == "range":
        lo = rng.choice([None, 0, 10, 50, 99.5, 100])
        hi = rng.choice([None, 100, 250, 1000])
        if lo is not None and hi is not None and lo > hi:
            lo, hi = hi, lo
        c = {"field": "employees", "op": "range", "bounds": rng.choice(["[]", "[)", "(]", "()"])}
        if lo is not None:
            c["min"] = lo
        if hi is not None or lo is None:
            c["max"] = hi if hi is not None else 500
        return c
    return {"field": "seen_on", "op": "within_days", "days": rng.choice([0, 1, 7, 30])}


def random_policy(rng: random.Random) -> dict:
    groups = [{"id": f"g{i}"} for i in range(rng.randint(0, 2))]
    for g in groups:
        lo = rng.choice([None, -10, 0])
        hi = rng.choice([None, 10, 25, 40])
        if lo is not None:
            g["min"] = lo
        if hi is not None:
            g["max"] = hi
        g["dimension"] = rng.choice(["fit", "engagement"])  # removed below: only to keep groups one-dimension
    rules = []
    for i in range(rng.randint(1, 9)):
        dim = rng.choice(["fit", "engagement"])
        r = {"id": f"r{i}", "dimension": dim, "points": rng.choice([-30, -10, -5, 0.5, 1, 2.5, 5, 8, 10, 15, 20, 25])}
        same = [g for g in groups if g["dimension"] == dim]
        if same and rng.random() < 0.5:
            r["group"] = rng.choice(same)["id"]
        if rng.random() < 0.5 or dim == "fit":
            r["when"] = [random_condition(rng) for _ in range(rng.randint(1, 2))]
        if dim == "engagement" or not r.get("when"):
            ev = {"types": rng.sample(EVENT_TYPES, rng.randint(1, 2))}
            if rng.random() < 0.5:
                ev["min_count"] = rng.randint(1, 3)
            if rng.random() < 0.5:
                ev["within_days"] = rng.choice([0, 7, 14, 30, 60])
            if rng.random() < 0.6:
                ev["half_life_days"] = rng.choice([1, 3.5, 7, 14, 30, 0.5])
            if rng.random() < 0.5:
                ev["per_event"] = True
                if rng.random() < 0.5:
                    ev["max_events"] = rng.randint(1, 3)
            r["event"] = ev
        rules.append(r)
    for g in groups:
        del g["dimension"]
    policy: dict = {"rules": rules}
    if groups:
        policy["groups"] = groups
    for dim in ("fit", "engagement", "total"):
        if rng.random() < 0.5:
            b = {}
            if rng.random() < 0.6:
                b["min"] = rng.choice([-20, 0, 5])
            if rng.random() < 0.6:
                b["max"] = rng.choice([20, 30, 60])
            if "min" in b and "max" in b and b["min"] > b["max"]:
                b["min"], b["max"] = b["max"], b["min"]
            policy[dim] = b
    grades = {}
    if rng.random() < 0.7:
        grades["fit"] = [{"label": "A", "min": 30}, {"label": "B", "min": 15}, {"label": "C", "min": 0.5}, {"label": "D"}]
    if rng.random() < 0.7:
        grades["engagement"] = [{"label": "1", "min": 20}, {"label": "2", "min": 10}, {"label": "3", "min": 0}, {"label": "4"}]
    if grades:
        policy["grades"] = grades
    tiers = []
    for i in range(rng.randint(0, 3)):
        t: dict = {"id": f"t{i}"}
        if rng.random() < 0.5:
            t["label"] = rng.choice(["重点线索", "热线索", "warm"])
        if rng.random() < 0.5:
            t["min_score"] = rng.choice([0, 10, 20, 40])
        if rng.random() < 0.3:
            t["min_fit"] = rng.choice([0, 10, 20])
        if rng.random() < 0.3:
            t["min_engagement"] = rng.choice([0, 5, 15])
        if grades.get("fit") and grades.get("engagement") and rng.random() < 0.3:
            t["grades"] = rng.sample(["A1", "A2", "B1", "B2", "C3", "D4"], 2)
        if rng.random() < 0.3:
            t["when"] = [random_condition(rng)]
        tiers.append(t)
    if tiers:
        policy["tiers"] = tiers
    tb = []
    for f in rng.sample(["employees", "seen_on", "region"], rng.randint(0, 2)):
        tb.append({"field": f, **({"descending": True} if rng.random() < 0.5 else {})})
    if tb:
        policy["tie_break"] = tb
    if rng.random() < 0.5:
        policy["top_reasons"] = rng.randint(0, 5)
    return policy


def random_lead(rng: random.Random, i: int, as_of: dt.date = AS_OF) -> dict:
    lead: dict = {"id": f"L{i:04d}" if rng.random() < 0.9 else f"線{i}"}
    for f, pool in (("industry", INDUSTRIES + [None]), ("region", REGIONS + [None, ""])):
        if rng.random() < 0.85:
            lead[f] = rng.choice(pool)
    r = rng.random()
    if r < 0.6:
        lead["employees"] = rng.choice([0, 10, 50, 99.5, 100, 101, 250, 999, 1000, 5000, -3])
    elif r < 0.7:
        lead["employees"] = rng.choice(["100", "250.50", Decimal("1000.000"), Decimal("0.5")])
    elif r < 0.8:
        lead["employees"] = None
    if rng.random() < 0.7:
        lead["seen_on"] = (as_of - dt.timedelta(days=rng.randint(-3, 40))).isoformat()
    elif rng.random() < 0.3:
        lead["seen_on"] = None
    if rng.random() < 0.6:
        lead["vip"] = rng.choice([True, False, None])
    if rng.random() < 0.85:
        lead["events"] = [
            {"type": rng.choice(EVENT_TYPES), "on": as_of - dt.timedelta(days=rng.randint(-5, 70))}
            for _ in range(rng.randint(0, 7))
        ]
    return lead


def compare_reports(got: dict, want: dict, ctx: str) -> None:
    assert got["ranking"] == want["ranking"], ctx
    for g, w in zip(got["leads"], want["leads"], strict=True):
        c = f"{ctx} lead {w['id']}"
        assert g["id"] == w["id"], c
        for k in ("score", "fit", "engagement"):
            assert close(g[k], w[k]), (c, k, g[k], w[k])
        for k in ("grade", "tier", "tier_label", "rank", "top_reasons"):
            assert g[k] == w[k], (c, k, g[k], w[k])
        assert [i["rule"] for i in g["items"]] == [i["rule"] for i in w["items"]], c
        for gi, wi in zip(g["items"], w["items"]):
            for k in ("dimension", "group", "events", "newest_age_days", "reason"):
                assert gi[k] == wi[k], (c, gi, wi, k)
            assert close(gi["points"], wi["points"]) and close(gi["decayed"], wi["decayed"]), (c, gi, wi)
        assert [(x["scope"], x["group"]) for x in g["cuts"]] == [(x["scope"], x["group"]) for x in w["cuts"]], (
            c, g["cuts"], w["cuts"])
        for gc, wc in zip(g["cuts"], w["cuts"]):
            for k in ("before", "after", "cut"):
                assert close(gc[k], wc[k]), (c, gc, wc)
        # Every cut is itemised: the score is the items plus the cuts.
        total = sum(i["decayed"] for i in g["items"]) + sum(x["cut"] for x in g["cuts"])
        assert close(total, g["score"]), (c, total, g["score"])


def counts(report_leads: list, key: str) -> dict:
    out: dict = {}
    for x in report_leads:
        out[x[key] or "none"] = out.get(x[key] or "none", 0) + 1
    return out


@pytest.mark.parametrize("seed", range(40))
def test_score_leads_matches_the_model(seed):
    rng = random.Random(seed)
    policy = random_policy(rng)
    leads = [random_lead(rng, i) for i in range(rng.randint(0, 40))]
    got = crmkit.score_leads(policy, leads, AS_OF)
    want = score_model(policy, leads, AS_OF)
    compare_reports(got, want, f"seed {seed} policy {json.dumps(policy, ensure_ascii=False)}")
    assert {c["key"]: c["leads"] for c in got["tiers"] if c["leads"]} == counts(want["leads"], "tier")
    if policy.get("grades"):
        assert {c["key"]: c["leads"] for c in got["grades"] if c["leads"]} == counts(want["leads"], "grade")
    else:
        assert got["grades"] == []


# ---------------------------------------------------------------------------------------------
# Edge cases of the rule model
# ---------------------------------------------------------------------------------------------


def one(policy: dict, lead: dict, as_of: dt.date = AS_OF) -> dict:
    return crmkit.score_leads(policy, [lead], as_of)["leads"][0]


def rule(when=None, event=None, points=10, dim=None, **kw) -> dict:
    r = {"id": "r", "dimension": dim or ("engagement" if event else "fit"), "points": points, **kw}
    if when is None and event is None:
        when = [{"field": "f", "op": "exists"}]
    if when is not None:
        r["when"] = when
    if event is not None:
        r["event"] = event
    return r


@pytest.mark.parametrize("bounds", ["[]", "[)", "(]", "()"])
@pytest.mark.parametrize("value", [99.999, 100, "100", "100.000", Decimal("100.0"), 150, 200, "200.00", 200.0001])
def test_range_bounds_exactly_on_the_threshold(bounds, value):
    policy = {"rules": [rule([{"field": "n", "op": "range", "min": 100, "max": 200, "bounds": bounds}])]}
    want = score_model(policy, [{"id": "a", "n": value}], AS_OF)["leads"][0]["score"]
    assert one(policy, {"id": "a", "n": value})["score"] == want


@pytest.mark.parametrize("value", [None, "", "missing"])
@pytest.mark.parametrize("op", ["exists", "missing", "not_in", "equals", "range", "within_days", "contains", "regex"])
def test_missing_null_and_empty_string_are_one_thing(op, value):
    conds = {
        "exists": {"op": "exists"}, "missing": {"op": "missing"}, "not_in": {"op": "not_in", "values": ["x"]},
        "equals": {"op": "equals", "value": "x"}, "range": {"op": "range", "min": 0, "bounds": "[]"},
        "within_days": {"op": "within_days", "days": 10}, "contains": {"op": "contains", "value": "x"},
        "regex": {"op": "regex", "pattern": "^$"},
    }
    if value == "" and op in ("range", "within_days"):
        pytest.skip("an empty string in a number / date field: see test_empty_string_in_typed_fields")
    policy = {"rules": [rule([{"field": "f", **conds[op]}])]}
    lead = {"id": "a"} if value == "missing" else {"id": "a", "f": value}
    assert one(policy, lead)["score"] == (10.0 if op == "missing" else 0.0)


def test_empty_string_in_typed_fields():
    """"" is missing for every operator (README: null, absent and "" are missing): a range or a
    window never matches it, `missing` does, and it is not a type error."""
    for cond in ({"op": "range", "min": 0, "bounds": "[]"}, {"op": "within_days", "days": 10}):
        policy = {"rules": [rule([{"field": "f", **cond}]), rule([{"field": "f", "op": "missing"}], id="m", points=1)]}
        assert one(policy, {"id": "a", "f": ""})["score"] == 1.0


@pytest.mark.parametrize("age", [-1, 0, 1, 6, 7, 8])
def test_within_days_window_edges(age):
    policy = {"rules": [rule([{"field": "seen", "op": "within_days", "days": 7}])]}
    got = one(policy, {"id": "a", "seen": (AS_OF - dt.timedelta(days=age)).isoformat()})["score"]
    assert got == (10.0 if 0 <= age <= 7 else 0.0)


@pytest.mark.parametrize("age", [-30, -1, 0, 1, 13, 14, 15])
@pytest.mark.parametrize("per_event", [False, True])
def test_event_window_edges_and_future_events(age, per_event):
    ev = {"types": ["visit"], "within_days": 14, "half_life_days": 7, **({"per_event": True} if per_event else {})}
    lead = {"id": "a", "events": [{"type": "visit", "on": AS_OF - dt.timedelta(days=age)}]}
    got = one({"rules": [rule(event=ev)]}, lead)
    want = 10 * 2 ** (-age / 7) if 0 <= age <= 14 else 0.0
    assert close(got["score"], want), (got, want)
    if 0 <= age <= 14:
        assert got["items"][0]["newest_age_days"] == age and got["items"][0]["events"] == 1


def test_event_at_as_of_counts_in_full_and_future_ones_are_ignored():
    """An event on as_of is age 0 (full points); one after it is not an error and counts for
    nothing, not for min_count either."""
    ev = {"types": ["visit"], "min_count": 2, "half_life_days": 1}
    lead = {"id": "a", "events": [{"type": "visit", "on": "2026-11-23"}, {"type": "visit", "on": "2026-11-24"}]}
    assert one({"rules": [rule(event=ev)]}, lead)["items"] == []
    lead["events"].append({"type": "visit", "on": "2026-11-20"})
    item = one({"rules": [rule(event=ev)]}, lead)["items"][0]
    assert (item["events"], item["newest_age_days"], item["decayed"]) == (2, 0, 10.0)


@pytest.mark.parametrize("half_life", [0.5, 1, 1e-3, 36600, 7.25])
@pytest.mark.parametrize("age", [0, 1, 7, 365, 3650, 36600])
def test_half_life_edges(half_life, age):
    ev = {"types": ["visit"], "half_life_days": half_life}
    lead = {"id": "a", "events": [{"type": "visit", "on": AS_OF - dt.timedelta(days=age)}]}
    got = one({"rules": [rule(event=ev, points=1000)]}, lead)
    want = 1000 * 2.0 ** (-age / half_life)
    assert close(got["score"], want, 1e-12) or got["score"] == want, (got["score"], want)
    assert got["score"] >= 0.0 and not math.isnan(got["score"])


@pytest.mark.parametrize("half_life", [0, -1, 36601, 1e308])
def test_half_life_out_of_range(half_life):
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.score_leads({"rules": [rule(event={"types": ["v"], "half_life_days": half_life})]}, [], AS_OF)
    assert (caught.value.code, caught.value.path) == ("out_of_range", "rules[0].event.half_life_days")


@pytest.mark.parametrize("x", [-0.5, 0, 0.5, 9.5, 10, 10.5, 19.999, 20, 1e9])
def test_grade_band_edges(x):
    policy = {
        "rules": [rule([{"field": "f", "op": "exists"}], points=x, dim="fit"),
                  rule([{"field": "f", "op": "exists"}], points=x, dim="engagement", id="e")],
        "grades": {"fit": [{"label": "A", "min": 20}, {"label": "B", "min": 10}, {"label": "C", "min": 0}, {"label": "D"}],
                   "engagement": [{"label": "1", "min": 10}, {"label": "2"}]},
    }
    got = one(policy, {"id": "a", "f": "y"})
    assert got["grade"] == grade_of(policy, float(x), float(x))


def test_float_points_on_a_band_edge():
    """Points are floats (README): 0.7 + 0.1 adds to 0.7999999999999999 as in any float
    arithmetic, and that sum, below a band at 0.8, is graded below it. The model adds the same
    floats in rule order."""
    policy = {
        "rules": [rule([{"field": "f", "op": "exists"}], points=0.7), rule([{"field": "f", "op": "exists"}], points=0.1, id="s")],
        "grades": {"fit": [{"label": "A", "min": 0.8}, {"label": "B"}]},
    }
    got = one(policy, {"id": "a", "f": "y"})
    want = score_model(policy, [{"id": "a", "f": "y"}], AS_OF)["leads"][0]
    assert (got["fit"], got["grade"]) == (want["fit"], want["grade"])


def test_ties_rank_deterministically_whatever_the_input_order():
    rng = random.Random(7)
    policy = {"rules": [rule([{"field": "industry", "op": "exists"}])],
              "tie_break": [{"field": "employees", "descending": True}, {"field": "region"}]}
    leads = [{"id": f"x{i}", "industry": rng.choice(["a", None]), "employees": rng.choice([1, 2, None]),
              "region": rng.choice(["华东", "East", None])} for i in range(60)]
    first = crmkit.score_leads(policy, leads, AS_OF)["ranking"]
    assert first == score_model(policy, leads, AS_OF)["ranking"]
    for _ in range(5):
        rng.shuffle(leads)
        assert crmkit.score_leads(policy, leads, AS_OF)["ranking"] == first


def test_unicode_values_and_ascii_only_ignore_case():
    policy = {"rules": [
        rule([{"field": "f", "op": "equals", "value": "äpfel", "ignore_case": True}], id="umlaut"),
        rule([{"field": "f", "op": "equals", "value": "RETAIL", "ignore_case": True}], id="ascii", points=1),
        rule([{"field": "f", "op": "contains", "value": "线索"}], id="cjk", points=2),
        rule([{"field": "f", "op": "regex", "pattern": "^.{2}$"}], id="two_chars", points=4),
    ]}
    leads = [{"id": "a", "f": "Äpfel"}, {"id": "b", "f": "retail"}, {"id": "c", "f": "重点线索"}, {"id": "d", "f": "线索"},
             {"id": "e", "f": "äpfel"}, {"id": "f", "f": "e\u0301"}]
    got = crmkit.score_leads(policy, leads, AS_OF)
    compare_reports(got, score_model(policy, leads, AS_OF), "unicode")
    assert [x["score"] for x in got["leads"]] == [0.0, 1.0, 2.0, 6.0, 10.0, 4.0]


# ---------------------------------------------------------------------------------------------
# Odoo's predictive lead scoring (research/scoring_forecast.md §2a)
# ---------------------------------------------------------------------------------------------


def lead_values(lead: dict, feature: dict) -> list[str]:
    v = lead.get(feature["name"])
    if feature.get("tags"):
        return [t for t in (v or []) if not is_missing(t)]
    return [] if is_missing(v) else [as_text(v) if not isinstance(v, (int, float)) else str(v)]


def odoo_counts(config: dict, leads: list) -> dict:
    """team -> {"stages": {index: [W, L]}, "fields": {field: {value: [W, L]}}}, raw counts."""
    names = [s["name"] for s in config["stages"]]
    tables: dict = {}
    for x in leads:
        team = x.get("team")
        team = None if is_missing(team) else team
        t = tables.setdefault(team, {"stages": {}, "fields": {}})
        won = x["outcome"] == "won"
        s = names.index(x["stage"])
        for j in range(len(names) if won else s + 1):
            t["stages"].setdefault(j, [0, 0])[0 if won else 1] += 1
        for f in config["fields"]:
            for v in lead_values(x, f):
                t["fields"].setdefault(f["name"], {}).setdefault(v, [0, 0])[0 if won else 1] += 1
    return tables


def smoothed(t: dict) -> dict:
    return {"stages": {j: [w + 0.1, l + 0.1] for j, (w, l) in t["stages"].items()},
            "fields": {f: {v: [w + 0.1, l + 0.1] for v, (w, l) in vs.items()} for f, vs in t["fields"].items()}}


def pooled(tables: dict) -> dict:
    out: dict = {"stages": {}, "fields": {}}
    for t in map(smoothed, tables.values()):
        for j, (w, l) in t["stages"].items():
            r = out["stages"].setdefault(j, [0.0, 0.0])
            r[0] += w
            r[1] += l
        for f, vs in t["fields"].items():
            for v, (w, l) in vs.items():
                r = out["fields"].setdefault(f, {}).setdefault(v, [0.0, 0.0])
                r[0] += w
                r[1] += l
    return out


def odoo_predict(config: dict, tables: dict, lead: dict) -> dict:
    names = [s["name"] for s in config["stages"]]
    won_stages = {s["name"] for s in config["stages"] if s.get("won")}
    stage = lead.get("stage")
    if is_missing(stage):
        return {"percent": Decimal(0), "reason": "no_stage", "probability": None}
    if stage in won_stages:
        return {"percent": Decimal(100), "reason": "won_stage", "probability": None}
    team = lead.get("team")
    team = None if is_missing(team) else team
    t = smoothed(tables[team]) if team in tables else pooled(tables)
    nw, nl = t["stages"][0]
    sw, sl = nw / (nw + nl), nl / (nw + nl)
    terms = [("prior", None, math.log(sw / sl))]
    j = names.index(stage)
    if j in t["stages"]:
        a, b = t["stages"][j][0] / nw, t["stages"][j][1] / nl
        sw, sl = sw * a, sl * b
        terms.append(("stage", stage, math.log(a / b)))
    for f in config["fields"]:
        rows = t["fields"].get(f["name"], {})
        if f.get("tags"):
            rows = {v: r for v, r in rows.items() if r[0] + r[1] >= 50}
        tw, tl = sum(r[0] for r in rows.values()), sum(r[1] for r in rows.values())
        for v in lead_values(lead, f):
            if v in rows:
                a, b = rows[v][0] / tw, rows[v][1] / tl
                sw, sl = sw * a, sl * b
                terms.append((f["name"], v, math.log(a / b)))
    p = sw / (sw + sl)
    percent = min(max(Decimal(repr(100 * p)).quantize(Decimal("0.01"), ROUND_HALF_EVEN), Decimal("0.01")), Decimal("99.99"))
    return {"probability": p, "percent": percent, "reason": "scored", "terms": terms}


def random_closed(rng: random.Random, n: int, stages: list[str], teams: list, tag_pool: list[str]) -> list:
    out = []
    for i in range(n):
        won = rng.random() < 0.4
        x = {"id": f"c{i}", "outcome": "won" if won else "lost",
             "stage": stages[-1] if won else rng.choice(stages[:-1]),
             "source": rng.choice(["ads", "fair", "web", "合作伙伴", None, ""]),
             "country": rng.choice(["CN", "DE", "US"])}
        team = rng.choice(teams)
        if team is not None:
            x["team"] = team
        if rng.random() < 0.7:
            x["tags"] = rng.sample(tag_pool, rng.randint(0, 2))
        out.append(x)
    return out


ODOO_CONFIG = {
    "method": "odoo",
    "fields": [{"name": "source"}, {"name": "country"}, {"name": "tags", "tags": True}],
    "stages": [{"name": "new"}, {"name": "qualified"}, {"name": "proposition"}, {"name": "won", "won": True}],
}


@pytest.mark.parametrize("seed", range(12))
def test_odoo_naive_bayes_matches_the_formula(seed):
    rng = random.Random(1000 + seed)
    stages = [s["name"] for s in ODOO_CONFIG["stages"]]
    teams = rng.choice([[None], ["north", "south", None], ["north", "south"]])
    closed = random_closed(rng, rng.randint(2, 300), stages, teams, ["vip", "rare", "big"])
    if len({x["outcome"] for x in closed}) < 2:
        closed[0]["outcome"], closed[0]["stage"] = "won", "won"
        closed[1]["outcome"], closed[1]["stage"] = "lost", "new"
    model = crmkit.train_lead_model(ODOO_CONFIG, closed, AS_OF)
    model = json.loads(json.dumps(model, default=str))  # stored as JSON, as a caller would
    tables = odoo_counts(ODOO_CONFIG, closed)
    open_leads = []
    for i in range(40):
        x = {"id": f"o{i}", "stage": rng.choice(stages + [None]), "source": rng.choice(["ads", "fair", "web", "合作伙伴", "unheard"]),
             "country": rng.choice(["CN", "DE", "JP"]), "tags": rng.sample(["vip", "rare", "big", "new_tag"], rng.randint(0, 2))}
        team = rng.choice(["north", "south", "east", None])
        if team is not None:
            x["team"] = team
        open_leads.append(x)
    got = crmkit.predict_leads(model, open_leads)["leads"]
    for x, g in zip(open_leads, got, strict=True):
        w = odoo_predict(ODOO_CONFIG, tables, x)
        ctx = (seed, x, g, w)
        assert g["reason"] == w["reason"], ctx
        assert Decimal(g["percent"]) == w["percent"], ctx
        if w["reason"] != "scored":
            continue
        assert close(g["probability"], w["probability"]), ctx
        got_terms = [(c["factor"], c["value"]) for c in g["contributions"]]
        assert got_terms == [(f, v) for f, v, _ in w["terms"]], ctx
        for c, (_, _, lo) in zip(g["contributions"], w["terms"]):
            assert close(c["log_odds"], lo), ctx
        total = 0.0
        for c in g["contributions"]:
            total += c["log_odds"]
        assert total == g["logit"], ctx
        assert close(1 / (1 + math.exp(-g["logit"])), g["probability"]), ctx
        k = model["config"].get("top_factors", 3)
        rest = g["contributions"][1:]
        pos = sorted([c for c in rest if c["log_odds"] > 0], key=lambda c: -c["log_odds"])[:k]
        neg = sorted([c for c in reversed(rest) if c["log_odds"] < 0], key=lambda c: c["log_odds"])[:k]
        assert g["top_for"] == pos and g["top_against"] == neg, ctx


# ---------------------------------------------------------------------------------------------
# The improved naive Bayes (README "method: bayes")
# ---------------------------------------------------------------------------------------------

BAYES_STAGES = ["new", "qualified", "proposal", "won"]


def bin_label(x: float, edges: list) -> str:
    if x < edges[0]:
        return f"< {edges[0]:g}"
    for a, b in zip(edges, edges[1:]):
        if a <= x < b:
            return f"[{a:g}, {b:g})"
    return f">= {edges[-1]:g}"


def bayes_value(f: dict, lead: dict) -> str | None:
    v = lead.get(f["name"])
    if is_missing(v):
        return None
    return bin_label(float(v), f["bins"]) if f.get("bins") else as_text(v) if not isinstance(v, (int, float)) else str(v)


def bayes_tables(cfg: dict, leads: list, as_of: dt.date) -> dict:
    """Weighted counts per team and globally: W, L, stage survival rows, field value rows."""
    h = cfg.get("half_life_days")
    out: dict = {}
    for x in leads:
        age = (as_of - day(x["closed_on"])).days if h is not None else 0
        if age < 0:
            continue  # closed after as_of: not known yet
        w = 2.0 ** (-age / h) if h is not None else 1.0
        won, s = x["outcome"] == "won", BAYES_STAGES.index(x["stage"])
        team = x.get("team")
        for key in (("team", None if is_missing(team) else team), ("global",)):
            t = out.setdefault(key, {"W": 0.0, "L": 0.0, "stages": [[0.0, 0.0] for _ in BAYES_STAGES], "fields": {}})
            t["W" if won else "L"] += w
            for j in range(len(BAYES_STAGES)):
                if won or j <= s:
                    t["stages"][j][0 if won else 1] += w
            for f in cfg["fields"]:
                v = bayes_value(f, x)
                if v is not None:
                    t["fields"].setdefault(f["name"], {}).setdefault(v, [0.0, 0.0])[0 if won else 1] += w
    return out


def bayes_predict(cfg: dict, tables: dict, lead: dict) -> list:
    """(factor, value, log-odds, likelihood won, likelihood lost) terms. Laplace alpha on
    every count: the prior over 2 outcomes, a stage's survival over reached / not, a field over
    its values plus one slot for a value not seen; a value on fewer than min_support (weighted)
    closed leads contributes nothing; team estimates blended with the global one by the team's
    weighted won (lost) total n: (n p_team + m p_global) / (n + m)."""
    a, m, ms = cfg.get("smoothing", 1.0), cfg.get("team_blend"), cfg.get("min_support", 0)
    g = tables[("global",)]
    team = lead.get("team")
    t = tables.get(("team", None if is_missing(team) else team)) if m is not None else None

    def blend(est, side):
        pg = est(g, side)
        if t is None:
            return pg
        n = t["W"] if side == 0 else t["L"]
        if side is None:
            n = t["W"] + t["L"]
        return (n * est(t, side) + m * pg) / (n + m)

    def prior(tab, side):
        return ((tab["W"] if side != 1 else tab["L"]) + a) / (tab["W"] + tab["L"] + 2 * a)

    pw = blend(lambda tab, _: prior(tab, 0), None)
    pl = blend(lambda tab, _: prior(tab, 1), None)
    terms = [("prior", None, math.log(pw / pl), pw, pl)]
    j = BAYES_STAGES.index(lead["stage"])

    def stage(tab, side):
        return (tab["stages"][j][side] + a) / ((tab["W"] if side == 0 else tab["L"]) + 2 * a)

    lw, ll = blend(stage, 0), blend(stage, 1)
    terms.append(("stage", lead["stage"], math.log(lw / ll), lw, ll))
    for f in cfg["fields"]:
        v = bayes_value(f, lead)
        rows = g["fields"].get(f["name"], {})
        if v is None or v not in rows or sum(rows[v]) < ms:
            continue
        k = len(rows) + 1

        def field(tab, side, f=f, v=v, k=k):
            r = tab["fields"].get(f["name"], {})
            return (r.get(v, [0.0, 0.0])[side] + a) / (sum(x[side] for x in r.values()) + a * k)

        lw, ll = blend(field, 0), blend(field, 1)
        terms.append((f["name"], v, math.log(lw / ll), lw, ll))
    return terms


@pytest.mark.parametrize(
    "extra",
    [{}, {"smoothing": 0.5, "team_blend": 10, "min_support": 3}, {"smoothing": 2, "team_blend": 3, "half_life_days": 120, "min_support": 2},
     {"team_blend": 0.5, "half_life_days": 30}],
)
def test_improved_bayes_matches_the_model(extra):
    rng = random.Random(len(json.dumps(extra)))
    cfg = {"method": "bayes", "fields": [{"name": "source"}, {"name": "employees", "bins": [10, 100]}],
           "stages": [{"name": s, **({"won": True} if s == "won" else {})} for s in BAYES_STAGES], **extra}
    closed = []
    for i in range(150):
        won = rng.random() < 0.45
        x = {"id": f"c{i}", "outcome": "won" if won else "lost", "stage": "won" if won else rng.choice(BAYES_STAGES[:-1]),
             "source": rng.choice(["ads", "fair", "web", "合作伙伴", None, ""]), "employees": rng.choice([5, 10, 50, 99.5, 100, 500, None]),
             "closed_on": (AS_OF - dt.timedelta(days=rng.randint(-5, 400))).isoformat()}
        if (team := rng.choice(["n", "s", None])) is not None:
            x["team"] = team
        closed.append(x)
    model = json.loads(json.dumps(crmkit.train_lead_model(cfg, closed, AS_OF)))
    tables = bayes_tables(cfg, closed, AS_OF)
    assert close(model["global"]["won"], tables[("global",)]["W"]) and close(model["global"]["lost"], tables[("global",)]["L"])
    opens = [{"id": f"o{i}", "stage": rng.choice(BAYES_STAGES[:-1]), "source": rng.choice(["ads", "fair", "web", "合作伙伴", "zz", None]),
              "employees": rng.choice([5, 10, 50, 500, None]), **({"team": t} if (t := rng.choice(["n", "s", "q", None])) else {})}
             for i in range(40)]
    for x, got in zip(opens, crmkit.predict_leads(model, opens)["leads"], strict=True):
        want = bayes_predict(cfg, tables, x)
        assert [(c["factor"], c["value"]) for c in got["contributions"]] == [(f, v) for f, v, *_ in want], (x, got)
        for c, (_, _, lo, lw, ll) in zip(got["contributions"], want):
            assert close(c["log_odds"], lo) and close(c["likelihood_won"], lw) and close(c["likelihood_lost"], ll), (x, c, lo, lw, ll)
        logit = sum(w[2] for w in want)
        assert close(got["logit"], logit) and close(got["probability"], 1 / (1 + math.exp(-max(-36, min(36, logit))))), x
        assert 0 < got["probability"] < 1


# ---------------------------------------------------------------------------------------------
# Calibration and the time split
# ---------------------------------------------------------------------------------------------


def calibration_model(p: list[float], y: list[bool], bins: int) -> dict:
    n = len(p)
    brier = sum((pi - yi) ** 2 for pi, yi in zip(p, y)) / n
    eps = 1e-15
    ll = -sum(math.log(min(max(pi, eps), 1 - eps)) if yi else math.log(1 - min(max(pi, eps), 1 - eps))
              for pi, yi in zip(p, y)) / n
    pos = [pi for pi, yi in zip(p, y) if yi]
    neg = [pi for pi, yi in zip(p, y) if not yi]
    auc = None
    if pos and neg:
        wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
        auc = wins / (len(pos) * len(neg))
    out = []
    for i in range(bins):
        lo, hi = i / bins, (i + 1) / bins
        members = [(pi, yi) for pi, yi in zip(p, y) if lo <= pi and (pi < hi or (i == bins - 1 and pi <= 1))]
        out.append({"from": lo, "to": hi, "count": len(members),
                    "mean_predicted": sum(m[0] for m in members) / len(members) if members else None,
                    "observed": sum(1 for m in members if m[1]) / len(members) if members else None})
    return {"count": n, "won": len(pos), "brier": brier, "log_loss": ll, "auc": auc, "bins": out}


def compare_calibration(got: dict, want: dict, ctx) -> None:
    assert (got["count"], got["won"]) == (want["count"], want["won"]), ctx
    for k in ("brier", "log_loss", "auc"):
        assert close(got[k], want[k]), (ctx, k, got[k], want[k])
    assert len(got["bins"]) == len(want["bins"]), ctx
    for gb, wb in zip(got["bins"], want["bins"]):
        assert gb["count"] == wb["count"], (ctx, gb, wb)
        for k in ("from", "to", "mean_predicted", "observed"):
            assert close(gb[k], wb[k]), (ctx, k, gb, wb)


@pytest.mark.parametrize("seed", range(20))
def test_calibration_matches_the_model(seed):
    rng = random.Random(2000 + seed)
    n = rng.randint(1, 200)
    grid = rng.random() < 0.5  # many ties and values exactly on bin edges
    p = [rng.randint(0, 20) / 20 if grid else rng.random() for _ in range(n)]
    y = [rng.random() < (pi if rng.random() < 0.8 else 0.5) for pi in p]
    bins = rng.choice([1, 2, 3, 5, 10, 20, 7])
    compare_calibration(crmkit.calibration(p, y, bins), calibration_model(p, y, bins), (seed, bins))


@pytest.mark.parametrize(
    ("p", "y"),
    [([0.3], [True]), ([0.3], [False]), ([0.1, 0.9, 0.5], [True] * 3), ([0.1, 0.9, 0.5], [False] * 3),
     ([0.0, 1.0], [False, True]), ([0.0, 1.0], [True, False]), ([0.5] * 4, [True, False, True, False]),
     ([1.0, 1.0], [True, False])],
)
def test_calibration_on_degenerate_inputs(p, y):
    """One lead, one class (no AUC), perfect and reversed predictions, all tied, p = 0 and 1
    (clipped in the log loss, p = 1 in the last bin)."""
    got = crmkit.calibration(p, y, 10)
    compare_calibration(got, calibration_model(p, y, 10), (p, y))
    assert math.isfinite(got["log_loss"])


def test_calibration_of_nothing_is_refused():
    """No predictions (an empty test split): Brier and log loss are means over nothing, not 0."""
    for p, y in (([], []), (__import__("numpy").array([], dtype=float), __import__("numpy").array([], dtype=bool))):
        with pytest.raises(crmkit.CrmkitError) as caught:
            crmkit.calibration(p, y, 10)
        assert (caught.value.code, caught.value.path) == ("invalid_value", "probabilities")


@pytest.mark.parametrize("bins", [10, 22, 50, 100])
def test_calibration_bin_edges(bins):
    """A probability equal to a bin's `from` (inclusive) is in that bin: every 2-place
    probability (Odoo's percent / 100) and every i / bins."""
    p = sorted({i / 100 for i in range(101)} | {i / bins for i in range(bins + 1)})
    y = [i % 2 == 0 for i in range(len(p))]
    got = crmkit.calibration(p, y, bins)
    compare_calibration(got, calibration_model(p, y, bins), bins)
    for i, b in enumerate(got["bins"]):
        members = [x for x in p if b["from"] <= x and (x < b["to"] or i == bins - 1)]
        assert b["count"] == len(members), (bins, i, b)


def test_time_split_matches_the_model():
    rng = random.Random(5)
    cutoff = dt.date(2026, 6, 1)
    leads = [{"id": str(i), "closed_on": (cutoff + dt.timedelta(days=rng.randint(-3, 3))).isoformat()} for i in range(50)]
    got = crmkit.time_split(leads, "closed_on", cutoff)
    assert got["train"] == [i for i, x in enumerate(leads) if day(x["closed_on"]) < cutoff]
    assert got["test"] == [i for i, x in enumerate(leads) if day(x["closed_on"]) >= cutoff]


# ---------------------------------------------------------------------------------------------
# The batch API against the record API
# ---------------------------------------------------------------------------------------------


def frame_leads(rng: random.Random, n: int) -> list:
    """Leads a typed column can hold: numbers as numbers, dates as dates."""
    out = []
    for i in range(n):
        x = random_lead(rng, i)
        e = x.get("employees")
        if isinstance(e, (str, Decimal)):
            x["employees"] = float(Decimal(e))
        out.append(x)
    return out


def leads_to_frames(leads: list, arrow: bool = False):
    pd = pytest.importorskip("pandas")
    cols = {
        "id": [x["id"] for x in leads],
        "industry": [x.get("industry") for x in leads],
        "region": [x.get("region") for x in leads],
        "employees": pd.Series([x.get("employees") for x in leads], dtype="float64"),
        "seen_on": pd.to_datetime(pd.Series([x.get("seen_on") for x in leads], dtype="object")),
        "vip": pd.Series([x.get("vip") for x in leads], dtype="boolean"),
    }
    df = pd.DataFrame(cols)
    rows = [(i, e["type"], e["on"]) for i, x in enumerate(leads) for e in x.get("events") or []]
    ev = pd.DataFrame(rows, columns=["lead", "type", "on"]).sample(frac=1, random_state=3)  # any order
    ev["on"] = pd.to_datetime(ev["on"])
    if arrow:
        pa = pytest.importorskip("pyarrow")
        return pa.Table.from_pandas(df, preserve_index=False), pa.Table.from_pandas(ev, preserve_index=False)
    return df, ev


def frame_columns(out) -> dict:
    if hasattr(out, "to_pydict"):
        d = out.to_pydict()
    else:
        d = {c: [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v
                 for v in out[c].astype(object).where(out[c].notna(), None)] for c in out.columns}
    return d


def check_frame_against_records(policy: dict, leads: list, arrow: bool, ctx) -> None:
    df, ev = leads_to_frames(leads, arrow)
    out = frame_columns(crmkit.score_frame(df, policy, AS_OF, events=ev))
    rec = crmkit.score_leads(policy, leads, AS_OF)["leads"]
    assert out["score"] == [x["score"] for x in rec], ctx  # exactly: one core, the same bits
    assert out["fit"] == [x["fit"] for x in rec], ctx
    assert out["engagement"] == [x["engagement"] for x in rec], ctx
    assert out["rank"] == [x["rank"] for x in rec], ctx
    if "grade" in out and any(x["grade"] for x in rec):
        assert out["grade"] == [x["grade"] for x in rec], ctx
    if "tier" in out and any(x["tier"] for x in rec):
        assert out["tier"] == [x["tier"] for x in rec], ctx
    k = policy.get("top_reasons", 3)
    for j in range(k):
        col = out.get(f"reason_{j + 1}")
        assert col == [x["top_reasons"][j] if len(x["top_reasons"]) > j else None for x in rec], (ctx, j)


@pytest.mark.parametrize("seed", range(15))
def test_score_frame_agrees_with_score_leads(seed):
    rng = random.Random(3000 + seed)
    policy = random_policy(rng)
    leads = frame_leads(rng, rng.randint(1, 60))
    check_frame_against_records(policy, leads, arrow=seed % 3 == 2, ctx=(seed, policy))
    compare_reports(crmkit.score_leads(policy, leads, AS_OF), score_model(policy, leads, AS_OF), f"frame seed {seed}")


def test_a_large_batch_agrees_with_one_by_one_scoring():
    """5,000 leads (several blocks of the batch pass): the frame, the record batch and each lead
    scored alone give the same scores; the ranks agree with the model's."""
    rng = random.Random(99)
    policy = random_policy(random.Random(31))
    policy["tie_break"] = [{"field": "employees", "descending": True}]
    leads = frame_leads(rng, 5000)
    check_frame_against_records(policy, leads, arrow=False, ctx="large")
    batch = crmkit.score_leads(policy, leads, AS_OF)
    alone = [crmkit.score_leads(policy, [x], AS_OF)["leads"][0] for x in leads[:400]]
    for b, a in zip(batch["leads"], alone):
        assert (b["score"], b["grade"], b["tier"], b["top_reasons"], b["items"], b["cuts"]) == (
            a["score"], a["grade"], a["tier"], a["top_reasons"], a["items"], a["cuts"])
    want = score_model(policy, leads, AS_OF)
    compare_reports(batch, want, "large")


# ---------------------------------------------------------------------------------------------
# The bugs the model found
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_exists_and_missing_read_any_value_type_in_any_order(order):
    policy = {"rules": [rule([{"field": "phone", "op": "exists"}], id="has", points=5),
                        rule([{"field": "phone", "op": "missing"}], id="none", points=-3)]}
    leads = [{"id": "a", "phone": "+86 13800000000"}, {"id": "b", "phone": 13800000000}, {"id": "c", "phone": True},
             {"id": "d", "phone": ["mobile"]}, {"id": "e", "phone": []}, {"id": "f", "phone": ""}, {"id": "g", "phone": None},
             {"id": "h"}, {"id": "i", "phone": 0}, {"id": "j", "phone": Decimal("0")}]
    random.Random(order).shuffle(leads)
    got = {x["id"]: x["score"] for x in crmkit.score_leads(policy, leads, AS_OF)["leads"]}
    assert got == {"a": 5.0, "b": 5.0, "c": 5.0, "d": 5.0, "e": -3.0, "f": -3.0, "g": -3.0, "h": -3.0, "i": 5.0, "j": 5.0}


@pytest.mark.parametrize("order", range(6))
def test_tie_break_kind_does_not_depend_on_the_leads_order(order):
    policy = {"rules": [], "tie_break": [{"field": "size", "descending": True}]}
    leads = [{"id": "a", "size": "10"}, {"id": "b", "size": 9}, {"id": "c", "size": Decimal("9.5")}, {"id": "d"},
             {"id": "e", "size": 100}]
    random.Random(order).shuffle(leads)
    assert crmkit.score_leads(policy, leads, AS_OF)["ranking"] == ["e", "a", "c", "b", "d"]
    assert score_model(policy, leads, AS_OF)["ranking"] == ["e", "a", "c", "b", "d"]
    bad = [{"id": "a", "size": 9}, {"id": "b", "size": "big"}]
    for xs in (bad, bad[::-1]):
        with pytest.raises(crmkit.CrmkitError) as caught:
            crmkit.score_leads(policy, xs, AS_OF)
        assert (caught.value.code, caught.value.path) == ("invalid_type", f"leads[{xs.index(bad[1])}].size")


@pytest.mark.parametrize(("event", "path"), [({"min_count": 0}, "min_count"), ({"per_event": True, "max_events": 0}, "max_events")])
def test_zero_counts_are_refused_not_clamped(event, path):
    policy = {"rules": [rule(event={"types": ["visit"], **event})]}
    leads = [{"id": "a", "events": [{"type": "visit", "on": "2026-11-23"}]}]
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.score_leads(policy, leads, AS_OF)
    assert (caught.value.code, caught.value.path) == ("out_of_range", f"rules[0].event.{path}")
    pd = pytest.importorskip("pandas")
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.score_frame(pd.DataFrame({"id": ["a"]}), policy, AS_OF,
                           events=pd.DataFrame({"lead": [0], "type": ["visit"], "on": pd.to_datetime(["2026-11-23"])}))
    assert (caught.value.code, caught.value.path) == ("out_of_range", f"rules[0].event.{path}")


def test_score_frame_reads_a_decimal_column_as_score_leads_does():
    pd = pytest.importorskip("pandas")
    policy = {"rules": [rule([{"field": "revenue", "op": "range", "min": 100, "bounds": "[]"}])],
              "tie_break": [{"field": "revenue", "descending": True}]}
    leads = [{"id": "a", "revenue": Decimal("99.99")}, {"id": "b", "revenue": Decimal("100.00")}, {"id": "c", "revenue": None},
             {"id": "d", "revenue": Decimal("1000")}, {"id": "e", "revenue": 150}]
    rec = crmkit.score_leads(policy, leads, AS_OF)
    out = crmkit.score_frame(pd.DataFrame({"id": [x["id"] for x in leads], "revenue": [x["revenue"] for x in leads]}), policy, AS_OF)
    assert list(out["score"]) == [x["score"] for x in rec["leads"]] == [0.0, 10.0, 0.0, 10.0, 10.0]
    assert list(out["rank"]) == [x["rank"] for x in rec["leads"]]
    with pytest.raises(crmkit.CrmkitError) as caught:  # text among them is still a type error
        crmkit.score_frame(pd.DataFrame({"revenue": [Decimal("1"), "lots"]}), policy, AS_OF)
    assert (caught.value.code, caught.value.path) == ("invalid_type", "columns.revenue")


@pytest.mark.parametrize(
    ("policy", "leads", "code", "path"),
    [
        ({"rules": [rule(points=float("nan"))]}, [], "invalid_type", "rules[0].points"),
        ({"rules": [rule(points=1e300)]}, [], "out_of_range", "rules[0].points"),
        ({"rules": [rule(event={"types": ["v"], "within_days": -1})]}, [], "invalid_value", "rules[0].event.within_days"),
        ({"rules": [rule(event={"types": []})]}, [], "missing_value", "rules[0].event.types"),
        ({"rules": [rule([{"field": "f", "op": "within_days", "days": 36601}])]}, [], "out_of_range", "rules[0].when[0].days"),
        ({"rules": [rule([{"field": "f", "op": "range", "bounds": "[]"}])]}, [], "missing_value", "rules[0].when[0].min"),
        ({"rules": [rule(group="g"), rule(id="s", dim="engagement", group="g")], "groups": [{"id": "g"}]}, [],
         "invalid_value", "rules[1].group"),
        ({"rules": [rule()], "grades": {"fit": [{"label": "A", "min": 1}, {"label": "B", "min": 1}, {"label": "C"}]}}, [],
         "invalid_value", "grades.fit[1].min"),
        ({"rules": [rule()]}, [{"id": 5}], "invalid_type", "leads[0].id"),
        ({"rules": [rule()]}, [{"id": "a", "events": [{"type": "v", "on": "2026-02-30"}]}], "invalid_date", "leads[0].events[0].on"),
        ({"rules": [rule()]}, [{"id": "a", "events": [{"type": "v", "on": dt.datetime(2026, 1, 1, 12)}]}],
         "invalid_date", "leads[0].events[0].on"),
        ({"rules": [rule()]}, [{"id": "a", "events": [{"type": "v", "on": "2026-01-01", "x": 1}]}], "unknown_field",
         "leads[0].events[0].x"),
        ({"rules": [rule([{"field": "f", "op": "range", "min": 0, "bounds": "[]"}])]}, [{"id": "a", "f": True}],
         "invalid_type", "leads[0].f"),
        ({"rules": [rule([{"field": "f", "op": "range", "min": 0, "bounds": "[]"}])]}, [{"id": "a", "f": float("inf")}],
         "invalid_type", "leads[0].f"),
        ({"rules": [rule([{"field": "f", "op": "equals", "value": "x"}])]}, [{"id": "a", "f": {"x": 1}}], "invalid_type", "leads[0].f"),
        ({"rules": [rule()]}, [{"id": "a"}, {"id": "a"}], "duplicate_name", "leads[1].id"),
        ([], [], "invalid_type", "policy"),
    ],
)
def test_bad_input_is_a_typed_error_at_its_path(policy, leads, code, path):
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.score_leads(policy, leads, AS_OF)
    assert (caught.value.code, caught.value.path) == (code, path)


@pytest.mark.parametrize("order", range(4))
def test_a_tie_break_of_decimals_only_ranks_as_numbers(order):
    policy = {"rules": [], "tie_break": [{"field": "revenue", "descending": True}]}
    leads = [{"id": "a", "revenue": Decimal("9")}, {"id": "b", "revenue": Decimal("10")}, {"id": "c", "revenue": "9.50"},
             {"id": "d"}, {"id": "e", "revenue": Decimal("100.0")}, {"id": "f", "revenue": Decimal("9.00")}]
    random.Random(order).shuffle(leads)
    want = ["e", "b", "c", "a", "f", "d"]  # 9 and 9.00 are one number: by id
    assert crmkit.score_leads(policy, leads, AS_OF)["ranking"] == want
    assert score_model(policy, leads, AS_OF)["ranking"] == want
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"id": [x["id"] for x in leads], "revenue": [x.get("revenue") for x in leads]})
    out = crmkit.score_frame(df, policy, AS_OF)
    assert [df["id"][i] for i in out["rank"].sort_values().index] == want
    # The same values as text labels (a column of strings): numbers too.
    out = crmkit.score_frame(df.assign(revenue=[None if v is None else str(v) for v in df["revenue"]]), policy, AS_OF)
    assert [df["id"][i] for i in out["rank"].sort_values().index] == want
    # Other text among them: text, "10" before "9".
    text = [{"id": "a", "revenue": Decimal("9")}, {"id": "b", "revenue": Decimal("10")}, {"id": "c", "revenue": "n/a"}]
    assert crmkit.score_leads({**policy, "tie_break": [{"field": "revenue"}]}, text, AS_OF)["ranking"] == ["b", "a", "c"]


def test_policy_numbers_may_be_decimals():
    as_float = {"rules": [rule(points=2.5, group="g"),
                          rule(id="v", dim="engagement", points=16,
                               event={"types": ["visit"], "half_life_days": 7})],
                "groups": [{"id": "g", "max": 2}], "fit": {"min": -1, "max": 10}, "total": {"max": 100},
                "grades": {"fit": [{"label": "A", "min": 1.5}, {"label": "B"}]},
                "tiers": [{"id": "hot", "min_score": 5, "min_engagement": 7.5}]}
    as_dec = json.loads(json.dumps(as_float), parse_float=Decimal, parse_int=Decimal)
    leads = [{"id": "a", "f": "x", "events": [{"type": "visit", "on": "2026-11-09"}]}, {"id": "b"}]
    assert crmkit.score_leads(as_dec, leads, AS_OF) == crmkit.score_leads(as_float, leads, AS_OF)
    with pytest.raises(crmkit.CrmkitError) as caught:
        crmkit.score_leads({"rules": [rule(points="1e3")]}, leads, AS_OF)
    assert (caught.value.code, caught.value.path) == ("invalid_type", "rules[0].points")
    config = {"method": "bayes", "fields": [{"name": "size", "bins": [10, 50.5]}], "smoothing": 0.5, "min_support": 1,
              "team_blend": 2, "half_life_days": 90}
    closed = [{"id": "w", "outcome": "won", "size": 20, "closed_on": "2026-10-01"},
              {"id": "l", "outcome": "lost", "size": 60, "closed_on": "2026-09-01"}]
    dec = json.loads(json.dumps(config), parse_float=Decimal, parse_int=Decimal)
    assert crmkit.train_lead_model(dec, closed, AS_OF) == crmkit.train_lead_model(config, closed, AS_OF)


@pytest.mark.parametrize("extra", [{}, {"smoothing": 2, "team_blend": 3, "half_life_days": 120, "min_support": 2}])
def test_train_lead_model_frame_agrees_with_train_lead_model(extra):
    """README: the columns give "the same model as train_lead_model on the same leads", and the
    model predicts as the reference model does."""
    pd = pytest.importorskip("pandas")
    rng = random.Random(7 + len(extra))
    cfg = {"method": "bayes", "fields": [{"name": "source"}, {"name": "employees", "bins": [10, 100]}],
           "stages": [{"name": s, **({"won": True} if s == "won" else {})} for s in BAYES_STAGES], **extra}
    closed = []
    for i in range(120):
        won = rng.random() < 0.45
        closed.append({"id": f"c{i}", "outcome": "won" if won else "lost",
                       "stage": "won" if won else rng.choice(BAYES_STAGES[:-1]),
                       "source": rng.choice(["ads", "fair", "web", "合作伙伴", None]),
                       "employees": rng.choice([5, 10, 50, 99.5, 100, 500, None]),
                       "team": rng.choice(["n", "s", None]),
                       "closed_on": AS_OF - dt.timedelta(days=rng.randint(0, 400))})
    records = crmkit.train_lead_model(cfg, closed, AS_OF)
    df = pd.DataFrame(closed)
    df["closed_on"] = pd.to_datetime(df["closed_on"])
    frame = crmkit.train_lead_model_frame(df, cfg, AS_OF)
    assert json.loads(json.dumps(frame)) == json.loads(json.dumps(records))
    tables = bayes_tables(cfg, [{k: v for k, v in x.items() if v is not None} for x in closed], AS_OF)
    assert close(frame["global"]["won"], tables[("global",)]["W"]) and close(frame["global"]["lost"], tables[("global",)]["L"])
