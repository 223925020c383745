"""Independent reference models of the forecast domain's issue-7 features, compared with crmkit.

Each model below is written from the README's documented semantics alone (plain Python,
`decimal.Decimal`, `datetime`), not from crmkit's code, and checked against the installed wheel
over seeded random inputs plus the edge cases a reviewer would try first: 53-week years under
both year-end rules for every weekday and month, dates on period boundaries, zero and missing
quotas, zero actuals in a backtest, multiple adjustments of one number, floors in a tree.
The whole file runs in a few seconds.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

import crmkit

D = Decimal
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
PATTERNS = {"4-4-5": (4, 4, 5), "4-5-4": (4, 5, 4), "5-4-4": (5, 4, 4)}
CENT = D("0.01")
RATE = D("0.0001")


def q2(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_EVEN)


def q4(x: Decimal) -> Decimal:
    return x.quantize(RATE, rounding=ROUND_HALF_EVEN)


def iso(d: dt.date) -> str:
    return d.isoformat()


def day(s) -> dt.date:
    return s if isinstance(s, dt.date) else dt.date.fromisoformat(str(s))


def num(x) -> Decimal | None:
    return None if x is None else D(str(x))


# ---------------------------------------------------------------------------------------------
# Calendars: month-based and week-based (4-4-5 / 4-5-4 / 5-4-4, 52/53 weeks)
# ---------------------------------------------------------------------------------------------


def month_last(y: int, m: int) -> dt.date:
    return dt.date(y, 12, 31) if m == 12 else dt.date(y, m + 1, 1) - dt.timedelta(days=1)


def add_months(y: int, m: int, k: int) -> tuple[int, int]:
    t = y * 12 + (m - 1) + k
    return t // 12, t % 12 + 1


def week_year_end(e: int, fy: dict) -> dt.date:
    """The last day of the week-based year ending around the end of the month before start_month
    of calendar year e: the last `ends_on` of that month, or (nearest) the one nearest its last
    day, up to 3 days into the next month."""
    sm = fy.get("start_month", 1)
    em = 12 if sm == 1 else sm - 1
    w = fy["weeks"]
    last = month_last(e, em)
    back = (last.weekday() - WEEKDAYS.index(w["ends_on"])) % 7
    end = last - dt.timedelta(days=back)
    if w["year_end"] == "nearest" and back > 3:
        end += dt.timedelta(days=7)
    return end


def week_year_index(d: dt.date, fy: dict) -> int:
    e = d.year - 1
    while week_year_end(e, fy) < d:
        e += 1
    while week_year_end(e - 1, fy) >= d:
        e -= 1
    return e


def fy_label_year(e: int, fy: dict) -> int:
    """A fiscal year ending in calendar year e (month-based: ending with month start_month - 1)."""
    if fy.get("start_month", 1) == 1:
        return e
    return e - 1 if fy.get("named_by", "end") == "start" else e


def week_year(e: int, fy: dict):
    start = week_year_end(e - 1, fy) + dt.timedelta(days=1)
    end = week_year_end(e, fy)
    n = ((end - start).days + 1) // 7
    assert (end - start).days + 1 == 7 * n and n in (52, 53)
    pattern = PATTERNS[fy["weeks"]["pattern"]]
    periods, cur = [], start
    for q in range(4):
        for i, w in enumerate(pattern):
            w += 1 if (q == 3 and i == 2 and n == 53) else 0
            periods.append((cur, cur + dt.timedelta(days=7 * w - 1), w))
            cur += dt.timedelta(days=7 * w)
    assert cur == end + dt.timedelta(days=1)
    quarters = [(periods[3 * q][0], periods[3 * q + 2][1], sum(p[2] for p in periods[3 * q : 3 * q + 3])) for q in range(4)]
    return start, end, n, quarters, periods


def ref_fiscal_periods(fy: dict, start: dt.date, end: dt.date):
    """(years, quarters, periods), each a list of (label, start, end, days, weeks, reasons)."""
    years, quarters, periods = [], [], []
    for e in range(week_year_index(start, fy), week_year_index(end, fy) + 1):
        ys, ye, n, qs, ps = week_year(e, fy)
        label = "FY%d" % fy_label_year(e, fy)
        extra = ["extra_week"] if n == 53 else []
        if ys <= end and ye >= start:
            years.append((label, ys, ye, (ye - ys).days + 1, n, ["week_based", *extra]))
        for i, (a, b, w) in enumerate(qs):
            if a <= end and b >= start:
                quarters.append(("%s-Q%d" % (label, i + 1), a, b, (b - a).days + 1, w, ["week_based", *(extra if i == 3 else [])]))
        for i, (a, b, w) in enumerate(ps):
            if a <= end and b >= start:
                periods.append(("%s-P%d" % (label, i + 1), a, b, (b - a).days + 1, w, ["week_based", *(extra if i == 11 else [])]))
    return years, quarters, periods


def month_fy_end_year(d: dt.date, fy: dict) -> int:
    """The calendar year in which the month-based fiscal year holding d ends."""
    sm = fy.get("start_month", 1)
    return d.year if (sm == 1 or d.month < sm) else d.year + 1


def ref_period_label(d: dt.date, fy: dict, kind: str) -> str:
    """The label of the month / quarter / year (or the week-based period) holding the date d."""
    if "weeks" in fy:
        e = week_year_index(d, fy)
        _, _, _, _, ps = week_year(e, fy)
        label = "FY%d" % fy_label_year(e, fy)
        i = next(i for i, (a, b, _) in enumerate(ps) if a <= d <= b)
        return {"month": "%s-P%d" % (label, i + 1), "quarter": "%s-Q%d" % (label, i // 3 + 1), "year": label}[kind]
    sm = fy.get("start_month", 1)
    if kind == "month":
        return "%04d-%02d" % (d.year, d.month)
    e = month_fy_end_year(d, fy)
    name = "%d" % e if sm == 1 else "FY%d" % fy_label_year(e, fy)
    if kind == "year":
        return name
    return "%s-Q%d" % (name, ((d.month - sm) % 12) // 3 + 1)


def ref_period_bounds(label_date: dt.date, fy: dict, kind: str) -> tuple[dt.date, dt.date]:
    """First and last day of the period of `kind` holding the date."""
    if "weeks" in fy:
        e = week_year_index(label_date, fy)
        ys, ye, _, qs, ps = week_year(e, fy)
        if kind == "year":
            return ys, ye
        spans = ps if kind == "month" else qs
        a, b, _ = next(p for p in spans if p[0] <= label_date <= p[1])
        return a, b
    if kind == "month":
        return label_date.replace(day=1), month_last(label_date.year, label_date.month)
    sm = fy.get("start_month", 1)
    k = 3 if kind == "quarter" else 12
    off = ((label_date.month - sm) % 12) // k * k
    y0, m0 = add_months(label_date.year, sm, -((label_date.month - sm) % 12) - (0 if label_date.month >= sm else 0))
    # y0/m0: the fiscal year's first month
    if label_date.month < sm:
        y0, m0 = label_date.year - 1, sm
    else:
        y0, m0 = label_date.year, sm
    ya, ma = add_months(y0, m0, off)
    yb, mb = add_months(ya, ma, k - 1)
    return dt.date(ya, ma, 1), month_last(yb, mb)


def random_week_fy(rng: random.Random) -> dict:
    return {
        "start_month": rng.randint(1, 12),
        "named_by": rng.choice(["start", "end"]),
        "weeks": {"pattern": rng.choice(list(PATTERNS)), "ends_on": rng.choice(WEEKDAYS), "year_end": rng.choice(["last_weekday", "nearest"])},
    }


def rows(lines):
    return [(l["period"], day(l["start"]), day(l["end"]), l["days"], l["weeks"], list(l["reasons"])) for l in lines]


@pytest.mark.parametrize("rule", ["last_weekday", "nearest"])
def test_week_years_every_weekday_and_month(rule):
    """Every weekday x start month under one 53rd-week rule: 1995-2045 year by year, against the
    reference (the years' spans, 52/53 weeks, quarters and periods)."""
    for sm in range(1, 13):
        for wd in WEEKDAYS:
            fy = {"start_month": sm, "named_by": "end", "weeks": {"pattern": "4-4-5", "ends_on": wd, "year_end": rule}}
            start, end = dt.date(1995, 6, 15), dt.date(2045, 6, 15)
            got = crmkit.fiscal_periods(fy, iso(start), iso(end))
            ys, qs, ps = ref_fiscal_periods(fy, start, end)
            assert rows(got["years"]) == ys, (fy,)
            assert rows(got["quarters"]) == qs, (fy,)
            assert rows(got["periods"]) == ps, (fy,)
            n53 = sum(1 for y in ys if y[4] == 53)
            assert 7 <= n53 <= 11  # a 53-week year every 5 or 6 years


def test_week_calendar_random_ranges_and_boundaries():
    rng = random.Random(20261123)
    for _ in range(600):
        fy = random_week_fy(rng)
        a = dt.date(1990, 1, 1) + dt.timedelta(days=rng.randrange(0, 70 * 365))
        if rng.random() < 0.5:
            # a period boundary, or the day before / after it
            _, _, _, _, ps = week_year(week_year_index(a, fy), fy)
            a = rng.choice(ps)[rng.choice([0, 1])] + dt.timedelta(days=rng.choice([-1, 0, 0, 1]))
        b = a + dt.timedelta(days=rng.choice([0, 0, 1, 6, 7, 27, 28, 34, 35, 90, 364, 371, 800]))
        got = crmkit.fiscal_periods(fy, iso(a), iso(b))
        ys, qs, ps = ref_fiscal_periods(fy, a, b)
        assert (rows(got["years"]), rows(got["quarters"]), rows(got["periods"])) == (ys, qs, ps), (fy, a, b)


def test_month_based_fiscal_periods_labels():
    rng = random.Random(7)
    for _ in range(300):
        fy = {"start_month": rng.randint(1, 12), "named_by": rng.choice(["start", "end"])}
        d = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(0, 40 * 365))
        got = crmkit.fiscal_periods(fy, iso(d), iso(d))
        for kind, key in (("year", "years"), ("quarter", "quarters"), ("month", "periods")):
            (line,) = got[key]
            assert line["period"] == ref_period_label(d, fy, kind), (fy, d, kind)
            a, b = ref_period_bounds(d, fy, kind)
            assert (day(line["start"]), day(line["end"]), line["days"]) == (a, b, (b - a).days + 1), (fy, d, kind)


def test_forecast_places_close_dates_in_week_periods():
    """A deal placed by its close date lands in the 4/5-week period holding that day; one placed
    by days left in the period holding as_of + the days; one overdue in as_of's period."""
    rng = random.Random(445)
    for _ in range(60):
        fy = random_week_fy(rng)
        as_of = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 5 * 365))
        policy = {"stages": [{"name": "open", "probability": "0.5"}, {"name": "won", "kind": "won"}],
                  "duration_unit": "days", "placement": "expected_close", "fiscal_year": fy}
        deals, want = [], {}
        _, _, _, _, ps = week_year(week_year_index(as_of, fy) + 1, fy)
        for i in range(25):
            if rng.random() < 0.4:
                close = rng.choice(ps)[rng.choice([0, 1])] + dt.timedelta(days=rng.choice([-1, 0, 1]))
            else:
                close = as_of + dt.timedelta(days=rng.randrange(-40, 800))
            deals.append({"id": "d%d" % i, "stage": "open", "amount": "10", "expected_close_on": iso(close)})
            want["d%d" % i] = ref_period_label(max(close, as_of), fy, "month")
        report = crmkit.forecast(policy, deals, iso(as_of))
        for line in report["deals"]:
            assert line["month"] == want[line["id"]], (fy, as_of, line)
        # the months run from as_of's period, gaps included, in order; quarters and years sum
        # exactly the periods they are made of
        starts = []
        for m in report["months"]:
            e = next(e for e in range(as_of.year - 2, as_of.year + 5)
                     if any("FY%d-P%d" % (fy_label_year(e, fy), i + 1) == m["month"] for i in range(12)))
            _, _, _, _, ps = week_year(e, fy)
            starts.append(next(a for i, (a, b, _) in enumerate(ps) if "FY%d-P%d" % (fy_label_year(e, fy), i + 1) == m["month"]))
        first = report["months"][0]["offset"]
        assert [m["offset"] for m in report["months"]] == list(range(first, first + len(starts)))
        d = as_of  # walk `first` periods on from as_of's
        for _ in range(first):
            d = ref_period_bounds(d, fy, "month")[1] + dt.timedelta(days=1)
        assert ref_period_label(d, fy, "month") == report["months"][0]["month"]
        for a, b in zip(starts, starts[1:]):
            assert a < b and ref_period_label(b - dt.timedelta(days=1), fy, "month") == ref_period_label(a, fy, "month")
        total = sum(num(m["weighted"]) for m in report["months"])
        assert sum(num(q["weighted"]) for q in report["quarters"]) == total
        assert sum(num(y["weighted"]) for y in report["years"]) == total


# ---------------------------------------------------------------------------------------------
# Quota: attainment, gap and coverage
# ---------------------------------------------------------------------------------------------

QUOTA_STAGES = [
    {"name": "discovery", "probability": "0.1"},
    {"name": "proposal", "probability": "0.35", "category": "best_case"},
    {"name": "negotiation", "probability": "0.8", "category": "commit"},
    {"name": "won", "kind": "won"},
    {"name": "lost", "kind": "lost"},
]
PROB = {"discovery": D("0.1"), "proposal": D("0.35"), "negotiation": D("0.8"), "won": D(1), "lost": D(0)}


def random_fy(rng: random.Random) -> dict:
    if rng.random() < 0.5:
        return random_week_fy(rng)
    return {"start_month": rng.choice([1, 2, 4, 7, 10, 11]), "named_by": rng.choice(["start", "end"])}


def random_amount(rng: random.Random) -> str:
    return str(D(rng.randrange(0, 2_000_000)) / 100)


def ref_quota(fy, kind, group_by, deals, won, quotas, as_of):
    """{(key, period): (quota, won_n, won_amount, open_n, open_amount, open_weighted)} and the
    ratios, from the README: won deals on their close date, open ones in the period their close
    date (or as_of, when overdue: move_on) falls in."""
    cells = {}

    def cell(key, period):
        return cells.setdefault((key, period), {"quota": None, "won_n": 0, "won": D(0), "open_n": 0, "open": D(0), "weighted": D(0)})

    for d in deals:
        key = tuple(d.get(g) for g in group_by)
        if d["stage"] == "lost":
            continue
        close = day(d["expected_close_on"])
        if d["stage"] == "won":
            c = cell(key, ref_period_label(close, fy, kind))
            c["won_n"] += 1
            c["won"] += D(d["amount"])
        else:
            c = cell(key, ref_period_label(max(close, as_of), fy, kind))
            c["open_n"] += 1
            c["open"] += D(d["amount"])
            c["weighted"] += D(d["amount"]) * PROB[d["stage"]]
    for w in won:
        c = cell(tuple(w.get(g) for g in group_by), ref_period_label(day(w["closed_on"]), fy, kind))
        c["won_n"] += 1
        c["won"] += D(w["amount"])
    for q in quotas:
        cell(tuple(q["key"][g] for g in group_by), q["period"])["quota"] = D(q["amount"])
    out = {}
    for k, c in cells.items():
        quota, won_amount = c["quota"], c["won"]
        att = gap = cov = wcov = None
        if quota is not None:
            gap = quota - won_amount
            att = won_amount / quota if quota > 0 else None
            if gap > 0:
                cov, wcov = c["open"] / gap, c["weighted"] / gap
        out[k] = {"quota": quota, "won_n": c["won_n"], "won": won_amount, "open_n": c["open_n"], "open": c["open"],
                  "weighted": c["weighted"], "attainment": att, "gap": gap, "coverage": cov, "weighted_coverage": wcov}
    return out


def rounded(x, f):
    return None if x is None else f(x)


def test_quota_attainment_against_reference():
    rng = random.Random(1723)
    cases = 0
    for _ in range(80):
        fy = random_fy(rng)
        kind = rng.choice(["month", "quarter", "year"])
        as_of = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(0, 3 * 365))
        owners = ["o%d" % i for i in range(rng.randint(1, 4))]
        # a few interesting days: period edges around as_of, as_of itself
        a, b = ref_period_bounds(as_of, fy, kind)
        edges = [a, b, a - dt.timedelta(days=1), b + dt.timedelta(days=1), as_of]
        deals, won = [], []
        for i in range(rng.randint(0, 30)):
            stage = rng.choice(["discovery", "proposal", "negotiation", "won", "won", "lost"])
            if stage == "won":
                close = rng.choice([*edges[:3], as_of, as_of - dt.timedelta(days=rng.randrange(0, 400))])
                close = min(close, as_of)
            else:
                close = rng.choice([*edges, as_of + dt.timedelta(days=rng.randrange(-60, 500))])
            deals.append({"id": "d%d" % i, "stage": stage, "amount": random_amount(rng), "owner": rng.choice(owners),
                          "expected_close_on": iso(close)})
        for i in range(rng.randint(0, 5)):
            close = min(rng.choice([*edges[:3], as_of - dt.timedelta(days=rng.randrange(0, 200))]), as_of)
            won.append({"id": "w%d" % i, "amount": random_amount(rng), "closed_on": iso(close), "owner": rng.choice(owners)})
        policy = {"stages": QUOTA_STAGES, "duration_unit": "days", "placement": "expected_close", "fiscal_year": fy}
        quotas, seen = [], set()
        for _ in range(rng.randint(0, 6)):
            d = as_of + dt.timedelta(days=rng.randrange(-200, 400))
            key = (rng.choice(owners), ref_period_label(d, fy, kind))
            if key in seen:
                continue
            seen.add(key)
            amount = rng.choice(["0", random_amount(rng), str(rng.randrange(1, 5) * 100000)])
            quotas.append({"key": {"owner": key[0]}, "period": key[1], "amount": amount})
        report = crmkit.quota_attainment(policy, {"group_by": ["owner"], "period": kind},
                                         {"deals": deals, "quotas": quotas, "won": won}, iso(as_of))
        want = ref_quota(fy, kind, ["owner"], deals, won, quotas, as_of)
        got = {((l["key"]["owner"],), l["period"]): l for l in report["lines"]}
        assert set(got) == set(want), (fy, kind, as_of, sorted(set(got) ^ set(want)))
        for k, w in want.items():
            l = got[k]
            assert num(l["quota"]) == rounded(w["quota"], q2), k
            assert (l["won"]["deals"], num(l["won"]["amount"])) == (w["won_n"], q2(w["won"])), (k, fy, kind, as_of)
            assert (l["open"]["deals"], num(l["open"]["amount"]), num(l["open"]["weighted"])) == (
                w["open_n"], q2(w["open"]), q2(w["weighted"])), (k, fy, kind, as_of)
            assert num(l["gap"]) == rounded(w["gap"], q2), k
            assert num(l["attainment"]) == rounded(w["attainment"], q4), k
            assert num(l["coverage"]) == rounded(w["coverage"], q4), (k, l, w)
            assert num(l["weighted_coverage"]) == rounded(w["weighted_coverage"], q4), k
        # totals: the same per period over all keys (quotas summed where any is set)
        for t in report["totals"]:
            ks = [k for k in want if k[1] == t["period"]]
            quotas_here = [want[k]["quota"] for k in ks if want[k]["quota"] is not None]
            quota = sum(quotas_here, D(0)) if quotas_here else None
            won_amount = sum((want[k]["won"] for k in ks), D(0))
            open_amount = sum((want[k]["open"] for k in ks), D(0))
            gap = None if quota is None else quota - won_amount
            assert num(t["quota"]) == rounded(quota, q2) and num(t["gap"]) == rounded(gap, q2), t
            assert num(t["won"]["amount"]) == q2(won_amount) and num(t["open"]["amount"]) == q2(open_amount), t
            assert num(t["attainment"]) == (q4(won_amount / quota) if quota else None), t
            assert num(t["coverage"]) == (q4(open_amount / gap) if gap is not None and gap > 0 else None), t
        assert {t["period"] for t in report["totals"]} == {k[1] for k in want}
        cases += 1
    assert cases == 80


# ---------------------------------------------------------------------------------------------
# Forecast hierarchy and managers' adjustments
# ---------------------------------------------------------------------------------------------

CATS = ["closed", "commit", "best_case", "pipeline"]
STAGE_CAT = {"discovery": "pipeline", "proposal": "best_case", "negotiation": "commit", "won": "closed", "lost": "omitted"}


def random_tree(rng: random.Random, n: int) -> dict:
    """owner -> manager (None for the root)."""
    names = ["u%d" % i for i in range(n)]
    manager = {names[0]: None}
    for i in range(1, n):
        manager[names[i]] = names[rng.randrange(0, i)]
    return manager


def ref_hierarchy(manager, fy, kind, deals, adjustments, as_of):
    children = {o: [] for o in manager}
    for o, m in manager.items():
        if m is not None:
            children[m].append(o)
    depth = {}
    for o in manager:
        k, x = 0, o
        while manager[x] is not None:
            x, k = manager[x], k + 1
        depth[o] = k
    own, wown, n_own, periods = {}, {}, {}, set()
    for d in deals:
        cat = d.get("category") or STAGE_CAT[d["stage"]]
        if cat == "omitted":
            continue
        close = day(d["expected_close_on"])
        p = ref_period_label(close if d["stage"] == "won" else max(close, as_of), fy, kind)
        periods.add(p)
        n_own[(d["owner"], p)] = n_own.get((d["owner"], p), 0) + 1
        amount = D(d["amount"])
        for c in CATS[CATS.index(cat):]:  # cumulative: a commit deal is in commit, best_case, pipeline
            own[(d["owner"], p, c)] = own.get((d["owner"], p, c), D(0)) + amount
            wown[(d["owner"], p, c)] = wown.get((d["owner"], p, c), D(0)) + amount * PROB[d["stage"]]
    adj = {}
    for a in adjustments:
        periods.add(a["period"])
        adj.setdefault((a["owner"], a["period"], a["category"]), []).append(a)
    out = {}

    def subtree(o):
        yield o
        for c in children[o]:
            yield from subtree(c)

    def adjusted(o, p, c):
        base = own.get((o, p, c), D(0)) + sum((adjusted(ch, p, c)[0] for ch in children[o]), D(0))
        chain = sorted(adj.get((o, p, c), []), key=lambda a: -depth[a["by"]])  # lowest adjuster first
        value, listed = base, []
        for a in chain:
            to = q2(D(a["amount"]))
            listed.append((a["by"], q2(value), to, to - q2(value)))
            value = to
        return value, listed

    for o in manager:
        for p in periods:
            for c in CATS:
                call = sum((own.get((x, p, c), D(0)) for x in subtree(o)), D(0))
                weighted = sum((wown.get((x, p, c), D(0)) for x in subtree(o)), D(0))
                value, listed = adjusted(o, p, c)
                out[(o, p, c)] = {"own": q2(own.get((o, p, c), D(0))), "call": q2(call), "weighted": q2(weighted),
                                  "adjusted": q2(value), "adjustments": listed}
            out[(o, p, "deals")] = sum(n_own.get((x, p), 0) for x in subtree(o))
    return out


def test_hierarchy_against_reference():
    rng = random.Random(77)
    for case in range(60):
        fy = random_fy(rng)
        kind = rng.choice(["month", "quarter", "year"])
        as_of = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(0, 3 * 365))
        manager = random_tree(rng, rng.randint(1, 8))
        owners = list(manager)
        deals = []
        for i in range(rng.randint(0, 25)):
            stage = rng.choice(["discovery", "proposal", "negotiation", "won", "lost"])
            close = as_of + dt.timedelta(days=rng.randrange(-300, 0) if stage == "won" else rng.randrange(-30, 400))
            deal = {"id": "d%d" % i, "stage": stage, "amount": random_amount(rng), "owner": rng.choice(owners),
                    "expected_close_on": iso(close)}
            if stage != "won" and stage != "lost" and rng.random() < 0.25:
                deal["category"] = rng.choice(["commit", "best_case", "pipeline", "omitted"])
            deals.append(deal)
        adjustments, seen = [], set()
        for _ in range(rng.randint(0, 8)):
            o = rng.choice(owners)
            ups = [o]
            while manager[ups[-1]] is not None:
                ups.append(manager[ups[-1]])
            by = rng.choice(ups)
            p = ref_period_label(as_of + dt.timedelta(days=rng.randrange(-30, 400)), fy, kind)
            cat = rng.choice(["commit", "best_case", "pipeline"])
            if (by, o, p, cat) in seen:
                continue
            seen.add((by, o, p, cat))
            adjustments.append({"by": by, "owner": o, "category": cat, "period": p, "amount": random_amount(rng)})
        policy = {"stages": QUOTA_STAGES, "duration_unit": "days", "placement": "expected_close", "fiscal_year": fy}
        tree = {"owners": [{"owner": o, **({"manager": m} if m else {})} for o, m in manager.items()], "period": kind}
        report = crmkit.forecast_hierarchy(policy, tree, {"deals": deals, "adjustments": adjustments}, iso(as_of))
        want = ref_hierarchy(manager, fy, kind, deals, adjustments, as_of)
        got_keys = set()
        for line in report["lines"]:
            o, p = line["owner"], line["period"]
            assert line["manager"] == manager[o]
            assert line["deals"] == want[(o, p, "deals")], (case, o, p)
            for f in line["forecasts"]:
                got_keys.add((o, p, f["category"]))
                w = want[(o, p, f["category"])]
                assert (num(f["own"]), num(f["call"]), num(f["weighted"]), num(f["adjusted"])) == (
                    w["own"], w["call"], w["weighted"], w["adjusted"]), (case, o, p, f["category"], f, w)
                assert [(a["by"], num(a["from"]), num(a["to"]), num(a["delta"])) for a in f["adjustments"]] == w["adjustments"], (case, o, p, f)
        assert got_keys == {k for k in want if k[2] != "deals"}
        # invariant: the root's call is the sum of every owner's own numbers
        root = owners[0]
        for (o, p, c), w in want.items():
            if o == root and c != "deals":
                assert w["call"] == q2(sum((want[(x, p, c)]["own"] for x in owners), D(0)))


# ---------------------------------------------------------------------------------------------
# History: conversions, mean days and nearest-rank percentiles of finished visits
# ---------------------------------------------------------------------------------------------

OPEN = ["lead", "qualify", "proposal"]
HIST_STAGES = [{"name": s} for s in OPEN] + [{"name": "won", "kind": "won"}, {"name": "lost", "kind": "lost"}]


def nearest_rank(values, p: Decimal):
    values = sorted(values)
    rank = math.ceil(p / 100 * len(values))  # exact: p is a Decimal
    return values[max(rank, 1) - 1]


def random_log(rng: random.Random, n: int, as_of: dt.date, skips: bool):
    events = []
    for i in range(n):
        t = as_of - dt.timedelta(days=rng.randrange(30, 400))
        k = rng.randrange(0, 2) if skips else 0
        path = []
        while k < len(OPEN):
            path.append(OPEN[k])
            r = rng.random()
            if r < 0.2:
                path.append("lost")
                break
            if r < 0.3:
                break  # still open
            k += rng.choice([1, 1, 1, 2]) if skips else 1
        else:
            path.append("won")
        for s in path:
            if t > as_of:
                break
            events.append({"deal": "d%d" % i, "stage": s, "on": iso(t)})
            t += dt.timedelta(days=rng.choice([0, 1, 2, 3, 5, 7, 7, 10, 14, 20, 30, 45]))
    events.sort(key=lambda e: e["on"])  # stable: a deal's same-day moves keep their order
    return events


def ref_history(events, as_of, percentiles):
    by_deal = {}
    for e in events:
        by_deal.setdefault(e["deal"], []).append((day(e["on"]), e["stage"]))
    order = {s: i for i, s in enumerate(OPEN)}
    stats = {s: {"beyond": 0, "lost": 0, "open": 0, "visits": []} for s in OPEN}
    for evs in by_deal.values():
        evs.sort(key=lambda x: (x[0], order.get(x[1], 9)))
        for (t0, s0), (t1, _) in zip(evs, evs[1:]):
            if s0 in order:
                stats[s0]["visits"].append((t1 - t0).days)
        furthest = max((order[s] for _, s in evs if s in order), default=None)
        last = evs[-1][1]
        for s, i in order.items():
            if furthest is None:
                continue
            if last == "won" or i < furthest:
                stats[s]["beyond"] += 1  # passed (skipped stages count as passed)
            elif i == furthest:
                stats[s]["lost" if last == "lost" else "open"] += 1
    out = {}
    for s, st in stats.items():
        finished = st["beyond"] + st["lost"]
        out[s] = {
            "conversion": q4(D(st["beyond"]) / finished) if finished else None,
            "percentiles": {p: (nearest_rank(st["visits"], D(p)) if st["visits"] else None) for p in percentiles},
            "avg_days": (D(sum(st["visits"])) / len(st["visits"])) if st["visits"] else None,
        }
    return out


def test_history_percentiles_and_conversions():
    rng = random.Random(90)
    for case in range(60):
        as_of = dt.date(2026, 3, 1)
        percentiles = sorted(rng.sample(["1", "10", "25", "33.3", "50", "66.7", "75", "90", "95", "99", "99.9"], 3), key=D)
        events = random_log(rng, rng.randint(1, 40), as_of, skips=False)
        h = crmkit.funnel_history({"stages": HIST_STAGES, "percentiles": percentiles, "stall_percentile": percentiles[-1]},
                                  events, iso(as_of))
        want = ref_history(events, as_of, percentiles)
        # straight into a policy: conversion, mean days as duration, the percentile as stall_after
        for st in h["forecast_stages"]:
            if st["name"] in OPEN:
                w = want[st["name"]]
                assert num(st.get("conversion")) == w["conversion"], (case, st)
                assert num(st.get("duration")) == rounded(w["avg_days"], q2), (case, st)
                assert num(st.get("stall_after")) == w["percentiles"][percentiles[-1]], (case, st)
        for line in h["stages"]:
            if line["stage"] not in OPEN:
                continue
            w = want[line["stage"]]
            assert num(line["conversion"]) == w["conversion"], (case, line["stage"], line, w)
            got = {str(p["percentile"]): p["days"] for p in line["percentiles"]}
            assert {p: (None if v is None else int(v)) for p, v in got.items()} == w["percentiles"], (case, line["stage"], events)


# ---------------------------------------------------------------------------------------------
# Target allocation down a tree: floors, shares of history per level window, exact sums
# ---------------------------------------------------------------------------------------------


def window_start(as_of: dt.date, fy: dict, window: str):
    if window == "all":
        return None
    kind = {"ytd": "year", "qtd": "quarter", "mtd": "month"}[window]
    return ref_period_bounds(as_of, fy, kind)[0]


def largest_remainder(total: Decimal, weights, unit: Decimal):
    """Split total (a multiple of unit) by weights: floors, then one unit each to the largest
    remainders, ties to the earlier (siblings are in key order)."""
    s = sum(weights)
    exact = [total * w / s for w in weights]
    base = [(x / unit).to_integral_value(rounding="ROUND_FLOOR") * unit for x in exact]
    left = int((total - sum(base)) / unit)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - base[i]), i))
    for i in order[:left]:
        base[i] += unit
    return base


def ref_tree(levels, fy, target, history, floors, as_of, dp):
    unit = D(1).scaleb(-dp)
    depth_n = len(levels)
    hist = {}  # path -> amount in its level's window
    nodes = set()
    for r in history:
        path = tuple(r["path"])
        for k in range(1, depth_n + 1):
            nodes.add(path[:k])
            start = window_start(as_of, fy, levels[k - 1].get("window", "all"))
            on = day(r["on"])
            if (start is None or on >= start) and on <= as_of:
                hist[path[:k]] = hist.get(path[:k], D(0)) + D(r["amount"])
    floor_of = {tuple(f["path"]): D(f["amount"]) for f in floors}
    out = {(): target.quantize(unit, rounding=ROUND_HALF_EVEN)}
    frontier = [()]
    while frontier:
        parent = frontier.pop(0)
        kids = sorted(n for n in nodes if len(n) == len(parent) + 1 and n[: len(parent)] == parent)
        if not kids:
            continue
        lvl = levels[len(parent)]
        fl = {k: floor_of.get(k, D(lvl.get("floor", "0"))) for k in kids}
        ptarget = out[parent]
        floored = set()
        while True:
            rest = ptarget - sum((fl[k] for k in floored), D(0))
            free = [k for k in kids if k not in floored]
            h = sum((hist.get(k, D(0)) for k in free), D(0))
            low = [k for k in free if (rest * hist.get(k, D(0)) / h if h else D(0)) < fl[k]]
            if not low:
                break
            floored.update(low)
        for k in floored:
            out[k] = fl[k]
        free = [k for k in kids if k not in floored]
        for k in free:
            out[k] = D(0)
        if free and rest > 0:
            shares = largest_remainder(rest, [hist.get(k, D(0)) for k in free], unit)
            for k, v in zip(free, shares):
                out[k] = v
        frontier.extend(kids)
    return out


def test_allocation_tree_against_reference():
    rng = random.Random(5150)
    compared = 0
    for case in range(80):
        fy = random_fy(rng)
        as_of = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 365))
        windows = [rng.choice(["all", "ytd", "qtd", "mtd"]) for _ in range(3)]
        levels = [{"name": "product", "window": windows[0]}, {"name": "region", "window": windows[1]}, {"name": "channel", "window": windows[2]}]
        dp = rng.choice([0, 2])
        for lvl in levels:
            if rng.random() < 0.3:
                lvl["floor"] = str(rng.choice([1000, 5000, 20000]))
        history = []
        for _ in range(rng.randint(3, 25)):
            path = [rng.choice("AB"), rng.choice(["e", "n", "s"]), rng.choice(["direct", "partner"])]
            # each node's history is mostly recent so every level's window has some
            on = as_of - dt.timedelta(days=rng.choice([0, 0, 1, 3, 10, rng.randrange(0, 500)]))
            history.append({"path": path, "on": iso(on), "amount": str(rng.choice([rng.randrange(1, 100000), 1000, 2000, 3000]))})
        nodes = sorted({tuple(r["path"][:k]) for r in history for k in (1, 2, 3)})
        floors = [{"path": list(p), "amount": str(rng.choice([500, 3000, 10000]))} for p in rng.sample(nodes, min(2, len(nodes)))]
        target = D(rng.randrange(100000, 2000000))
        policy = {"levels": levels, "rounding": {"dp": dp}, "fiscal_year": fy}
        try:
            report = crmkit.allocate_tree(policy, {"target": str(target), "history": history, "floors": floors}, iso(as_of))
        except crmkit.CrmkitError as e:
            assert e.code in ("invalid_value", "out_of_range"), e
            continue
        want = ref_tree(levels, fy, target, history, floors, as_of, dp)
        got = {tuple(l["path"]): num(l["target"]) for l in report["lines"]}
        got[()] = sum((v for k, v in got.items() if len(k) == 1), D(0))
        assert got == {k: v for k, v in want.items()}, (case, policy, sorted(set(got.items()) ^ set(want.items())))
        for l in report["lines"]:  # every node's children sum exactly to it, floors held
            kids = [got[k] for k in got if len(k) == len(l["path"]) + 1 and list(k[:-1]) == list(l["path"])]
            if kids:
                assert sum(kids) == num(l["target"])
            assert num(l["target"]) >= num(l["floor"])
        compared += 1
    assert compared >= 40


# ---------------------------------------------------------------------------------------------
# Backtest: the pipeline as it stood on past dates, scored against what it won
# ---------------------------------------------------------------------------------------------

BT_STAGES = [
    {"name": "qualify", "probability": "0.15"},
    {"name": "propose", "probability": "0.35", "category": "best_case"},
    {"name": "commit", "probability": "0.85", "category": "commit"},
    {"name": "won", "kind": "won"},
    {"name": "lost", "kind": "lost"},
]
BT_PROB = {"qualify": D("0.15"), "propose": D("0.35"), "commit": D("0.85")}


def random_deal_log(rng: random.Random, n: int, start: dt.date, as_of: dt.date):
    events = []
    for i in range(n):
        t = start + dt.timedelta(days=rng.randrange(0, (as_of - start).days))
        amount = D(rng.randrange(1, 500000)) / 100
        close = t + dt.timedelta(days=rng.randrange(0, 150))
        k = rng.randrange(0, 3)
        first = True
        while t <= as_of:
            stage = ["qualify", "propose", "commit"][k]
            e = {"deal": "d%d" % i, "stage": stage, "on": iso(t)}
            if first or rng.random() < 0.4:
                amount = D(rng.randrange(1, 500000)) / 100
                e["amount"] = str(amount)
            if first or rng.random() < 0.4:
                close = max(close, t) + dt.timedelta(days=rng.randrange(-10, 60))
                e["expected_close_on"] = iso(close)
            first = False
            events.append(e)
            t += dt.timedelta(days=rng.randrange(1, 60))
            r = rng.random()
            if r < 0.25:
                k = min(k + 1, 2)
            elif r < 0.3:
                k = max(k - 1, 0)
            elif r < 0.55:
                if t <= as_of:
                    events.append({"deal": "d%d" % i, "stage": rng.choice(["won", "won", "lost"]), "on": iso(t)})
                break
    events.sort(key=lambda e: e["on"])
    return events


def scored_period(d: dt.date, fy: dict, kind: str):
    """The first period starting on or after d."""
    a, b = ref_period_bounds(d, fy, kind)
    return ref_period_bounds(b + dt.timedelta(days=1), fy, kind) if a < d else (a, b)


def ref_backtest(fy, kind, events, dates):
    by_deal = {}
    for e in events:
        by_deal.setdefault(e["deal"], []).append(e)
    lines = []
    for d in dates:
        a, b = scored_period(d, fy, kind)
        fc = {"stage_weighted": D(0), "commit": D(0)}
        actual, new_won, open_n, placed = D(0), D(0), 0, 0
        placed_deals = []
        for evs in by_deal.values():
            known = [e for e in evs if day(e["on"]) <= d]
            amount = close = None
            for e in evs:  # what the deal won, and when
                if "amount" in e:
                    amount = D(e["amount"])
                if e["stage"] == "won":
                    won_on, won_amount = day(e["on"]), amount
                    break
            else:
                won_on = won_amount = None
            won_here = won_on is not None and a <= won_on <= b
            if not known:
                new_won += won_amount if won_here else 0
                continue
            last = known[-1]
            if last["stage"] not in BT_PROB:
                continue
            open_n += 1
            amount = close = None
            for e in known:
                amount = D(e["amount"]) if "amount" in e else amount
                close = day(e["expected_close_on"]) if "expected_close_on" in e else close
            place = max(close, d)  # an overdue close date moves on to as_of's (the date's) period
            if a <= place <= b:
                placed += 1
                placed_deals.append((amount, BT_PROB[last["stage"]]))
                fc["stage_weighted"] += amount * BT_PROB[last["stage"]]
                if last["stage"] == "commit":
                    fc["commit"] += amount
            if won_here:
                actual += won_amount
        for method, f in fc.items():
            # a line's figures are money, rounded once; its APE and the summary come from them
            f, actual_r = q2(f), q2(actual)
            lines.append({"date": d, "period": ref_period_label(a, fy, kind), "start": a, "end": b, "method": method,
                          "open_deals": open_n, "placed_deals": placed, "forecast": f, "actual": actual_r,
                          "new_won": new_won, "error": f - actual_r, "ape": abs(f - actual_r) / actual_r if actual_r else None,
                          "placed": placed_deals})
    summary = {}
    for method in ("stage_weighted", "commit"):
        ls = [l for l in lines if l["method"] == method]
        apes = [l["ape"] for l in ls if l["ape"] is not None]
        total = sum((l["actual"] for l in ls), D(0))
        summary[method] = {
            "mape": sum(apes, D(0)) / len(apes) if apes else None,
            "wape": sum((abs(l["error"]) for l in ls), D(0)) / total if total else None,
            "bias": sum((l["error"] for l in ls), D(0)) / total if total else None,
        }
    return lines, summary


def test_backtest_against_reference():
    rng = random.Random(31)
    for case in range(50):
        fy = random_fy(rng)
        kind = rng.choice(["month", "month", "quarter", "year"])
        as_of = dt.date(2026, 6, 30) - dt.timedelta(days=rng.randrange(0, 40))
        events = random_deal_log(rng, rng.randint(1, 30), dt.date(2025, 1, 1), as_of)
        dates = sorted({as_of - dt.timedelta(days=rng.randrange(0, 500)) for _ in range(rng.randint(1, 4))})
        if rng.random() < 0.5:  # a period's first day
            dates = sorted({*dates, ref_period_bounds(dates[0], fy, kind)[0]})
        # only dates whose scored period is over by as_of (the others are refused, below)
        unfinished = [x for x in dates if scored_period(x, fy, kind)[1] > as_of]
        dates = [x for x in dates if scored_period(x, fy, kind)[1] <= as_of]
        if unfinished:
            with pytest.raises(crmkit.CrmkitError) as e:
                crmkit.backtest({"stages": BT_STAGES, "duration_unit": "days", "placement": "expected_close",
                                 "fiscal_year": fy}, {"dates": [iso(unfinished[0])], "period": kind}, events, iso(as_of))
            assert (e.value.code, e.value.path) == ("date_after_as_of", "dates[0]")
        if not dates:
            continue
        policy = {"stages": BT_STAGES, "duration_unit": "days", "placement": "expected_close", "fiscal_year": fy}
        r = crmkit.backtest(policy, {"dates": [iso(x) for x in dates], "period": kind, "seed": case, "simulations": 2000},
                            events, iso(as_of))
        lines, summary = ref_backtest(fy, kind, events, dates)
        got = [l for l in r["lines"] if l["method"] != "monte_carlo_p50"]
        assert len(got) == len(lines)
        for g, w in zip(got, lines):
            assert (day(g["date"]), g["period"], day(g["start"]), day(g["end"]), g["method"]) == (
                w["date"], w["period"], w["start"], w["end"], w["method"]), (case, g, w)
            assert (g["open_deals"], g["placed_deals"]) == (w["open_deals"], w["placed_deals"]), (case, g, w)
            assert (num(g["forecast"]), num(g["actual"]), num(g["new_won"]), num(g["error"])) == (
                q2(w["forecast"]), q2(w["actual"]), q2(w["new_won"]), q2(w["error"])), (case, g, w, events)
            assert num(g["ape"]) == rounded(w["ape"], q4), (case, g, w)
        for s in r["summary"]:
            if s["method"] in summary:
                w = summary[s["method"]]
                assert (num(s["mape"]), num(s["wape"]), num(s["bias"])) == (
                    rounded(w["mape"], q4), rounded(w["wape"], q4), rounded(w["bias"], q4)), (case, s, w)
        # the Monte Carlo median: the exact distribution of the placed deals' won sum (every
        # subset, at its probability) puts about half its mass on each side of it
        mc = [g for g in r["lines"] if g["method"] == "monte_carlo_p50"]
        for g, w in zip(mc, lines[::2]):
            deals = w["placed"][:14]
            if len(deals) != len(w["placed"]):
                continue
            dist = {D(0): D(1)}
            for amount, p in deals:
                nxt = {}
                for v, pr in dist.items():
                    nxt[v + amount] = nxt.get(v + amount, D(0)) + pr * p
                    nxt[v] = nxt.get(v, D(0)) + pr * (1 - p)
                dist = nxt
            p50 = num(g["forecast"])
            assert p50 in {q2(v) for v in dist}, (case, g, deals)
            below = sum((pr for v, pr in dist.items() if q2(v) < p50), D(0))
            upto = below + sum((pr for v, pr in dist.items() if q2(v) == p50), D(0))
            assert below <= D("0.55") and upto >= D("0.45"), (case, g, below, upto)


def random_log_with_moves(rng: random.Random, n: int, as_of: dt.date):
    """Deals entering anywhere, skipping stages, moving back, then won, lost or still open."""
    events = []
    for i in range(n):
        t = as_of - dt.timedelta(days=rng.randrange(30, 300))
        k = rng.randrange(0, 3)
        for _ in range(rng.randint(1, 5)):
            events.append({"deal": "d%d" % i, "stage": OPEN[k], "on": iso(t), "amount": str(rng.randrange(1, 900) * 10)})
            t += dt.timedelta(days=rng.choice([0, 1, 3, 8, 13, 21, 34]))
            k = rng.choice([x for x in range(3) if x != k])
        if rng.random() < 0.7 and t <= as_of:
            events.append({"deal": "d%d" % i, "stage": rng.choice(["won", "lost"]), "on": iso(t)})
    events = [e for e in events if day(e["on"]) <= as_of]
    events.sort(key=lambda e: e["on"])
    return events


def ref_history_full(events, skipped: str, percentiles):
    order = {s: i for i, s in enumerate(OPEN)}
    by_deal = {}
    for e in events:
        by_deal.setdefault(e["deal"], []).append(e)
    st = {s: {"entered": 0, "advanced": 0, "lost": 0, "open": 0, "visits": []} for s in OPEN}
    won = lost = 0
    cycles, won_amounts = [], []
    for evs in by_deal.values():
        for e0, e1 in zip(evs, evs[1:]):
            if e0["stage"] in order:
                st[e0["stage"]]["visits"].append((day(e1["on"]) - day(e0["on"])).days)
        reached = [order[e["stage"]] for e in evs if e["stage"] in order]
        furthest = max(reached)
        last = evs[-1]["stage"]
        visited = set(reached)
        for s, i in order.items():
            counted = i in visited or (skipped == "passed" and (i < furthest or (last == "won" and i > furthest)))
            if not counted:
                continue
            st[s]["entered"] += 1
            if i < furthest or last == "won":
                st[s]["advanced"] += 1
            elif i == furthest:
                st[s]["lost" if last == "lost" else "open"] += 1
        if last == "won":
            won += 1
            cycles.append((day(evs[-1]["on"]) - day(evs[0]["on"])).days)
            amount = [D(e["amount"]) for e in evs if "amount" in e][-1]
            won_amounts.append(amount)
        elif last == "lost":
            lost += 1
    out = {}
    for s, x in st.items():
        fin = x["advanced"] + x["lost"]
        v = x["visits"]
        out[s] = {"entered": x["entered"], "advanced": x["advanced"], "lost": x["lost"], "open": x["open"],
                  "conversion": q4(D(x["advanced"]) / fin) if fin else None,
                  "visits": len(v), "avg_days": q2(D(sum(v)) / len(v)) if v else None,
                  "percentiles": [nearest_rank(v, D(p)) if v else None for p in percentiles]}
    top = {"deals": len(by_deal), "won": won, "lost": lost, "open": len(by_deal) - won - lost,
           "win_rate": q4(D(won) / (won + lost)) if won + lost else None,
           "avg_cycle_days": q2(D(sum(cycles)) / len(cycles)) if cycles else None,
           "avg_won_amount": q2(sum(won_amounts, D(0)) / len(won_amounts)) if won_amounts else None}
    return out, top


@pytest.mark.parametrize("skipped", ["passed", "ignored"])
def test_history_skips_and_backward_moves(skipped):
    rng = random.Random(2718 if skipped == "passed" else 3141)
    as_of = dt.date(2026, 3, 1)
    for case in range(60):
        events = random_log_with_moves(rng, rng.randint(1, 30), as_of)
        percentiles = ["25", "50", "80"]
        h = crmkit.funnel_history({"stages": HIST_STAGES, "skipped": skipped, "percentiles": percentiles}, events, iso(as_of))
        want, top = ref_history_full(events, skipped, percentiles)
        for line in h["stages"]:
            if line["stage"] in OPEN:
                got = {k: line[k] for k in ("entered", "advanced", "lost", "open", "visits")}
                got.update(conversion=num(line["conversion"]), avg_days=num(line["avg_days"]),
                           percentiles=[p["days"] for p in line["percentiles"]])
                assert got == want[line["stage"]], (case, line["stage"], got, want[line["stage"]], events)
        got_top = {k: h[k] for k in ("deals", "won", "lost", "open")}
        got_top.update({k: num(h[k]) for k in ("win_rate", "avg_cycle_days", "avg_won_amount")})
        assert got_top == top, (case, events)


# ---------------------------------------------------------------------------------------------
# Stall thresholds: time in stage (strictly more than stall_after) and no activity (idle_after)
# ---------------------------------------------------------------------------------------------


def test_stalls_time_in_stage_and_no_activity():
    rng = random.Random(404)
    for case in range(40):
        as_of = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 365))
        stages = []
        for name in ("lead", "demo", "deal"):
            s = {"name": name, "probability": rng.choice(["0.1", "0.3", "0.6"]), "duration": str(rng.randint(5, 40))}
            if rng.random() < 0.8:
                s["stall_after"] = str(rng.randint(0, 40))
            if rng.random() < 0.8:
                s["idle_after"] = rng.randint(0, 20)
            stages.append(s)
        stages.append({"name": "won", "kind": "won"})
        policy = {"stages": stages, "duration_unit": "days", "placement": "half_elapsed"}
        deals, want = [], {}
        for i in range(30):
            st = rng.choice(stages[:3])
            entered = as_of - dt.timedelta(days=rng.randrange(0, 60))
            deal = {"id": "d%d" % i, "stage": st["name"], "amount": "100", "entered_stage_on": iso(entered)}
            last = None
            if rng.random() < 0.7:
                last = as_of - dt.timedelta(days=rng.randrange(0, 40))
                deal["last_activity_on"] = iso(last)
            snoozed = False
            if rng.random() < 0.2:
                until = as_of + dt.timedelta(days=rng.choice([-2, -1, 0, 1, 5]))
                deal["snoozed_until"] = iso(until)
                deal["snooze_reason"] = "waiting for budget"
                snoozed = until >= as_of
            deals.append(deal)
            flags = []
            in_stage = (as_of - entered).days
            if "stall_after" in st and in_stage > int(st["stall_after"]):
                flags.append(("time_in_stage", D(st["stall_after"]), D(in_stage), entered, snoozed))
            since = last or entered
            if "idle_after" in st and (as_of - since).days > st["idle_after"]:
                flags.append(("no_activity", D(st["idle_after"]), D((as_of - since).days), since, snoozed))
            want[deal["id"]] = flags
        report = crmkit.forecast(policy, deals, iso(as_of))
        for line in report["deals"]:
            got = [(f["rule"], num(f["threshold"]), num(f["value"]), day(f["since"]), f["snoozed"]) for f in line["stalls"]]
            w = want[line["id"]]
            assert got == w, (case, line["id"], line, w)
            assert line["stalled"] == any(f[0] == "time_in_stage" and not f[4] for f in w)
            assert line["idle"] == any(f[0] == "no_activity" and not f[4] for f in w)
        assert report["totals"]["stalled"]["deals"] == sum(1 for w in want.values() if any(f[0] == "time_in_stage" and not f[4] for f in w))
        assert report["totals"]["idle"]["deals"] == sum(1 for w in want.values() if any(f[0] == "no_activity" and not f[4] for f in w))


def nth_period_after(d: dt.date, fy: dict, n: int) -> str:
    for _ in range(n):
        d = ref_period_bounds(d, fy, "month")[1] + dt.timedelta(days=1)
    return ref_period_label(d, fy, "month")


@pytest.mark.parametrize("unit", ["days", "months"])
def test_duration_placement_in_week_periods(unit):
    """half_elapsed under a week calendar: days left from as_of (days), or the ceil(r)-th
    4/5-week period after as_of's (months)."""
    rng = random.Random(54 if unit == "days" else 45)
    for case in range(40):
        fy = random_week_fy(rng) if rng.random() < 0.8 else random_fy(rng)
        as_of = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 4 * 365))
        durations = [D(rng.randint(1, 90) if unit == "days" else rng.choice(["0.5", "1", "1.5", "2", "3.25"])) for _ in range(3)]
        stages = [{"name": "s%d" % i, "probability": "0.5", "duration": str(x)} for i, x in enumerate(durations)]
        policy = {"stages": [*stages, {"name": "won", "kind": "won"}], "duration_unit": unit,
                  "placement": "half_elapsed", "fiscal_year": fy}
        deals = [{"id": "d%d" % i, "stage": "s%d" % i, "amount": "10"} for i in range(3)]
        report = crmkit.forecast(policy, deals, iso(as_of))
        for line in report["deals"]:
            i = int(line["id"][1:])
            r = durations[i] / 2 + sum(durations[i + 1 :], D(0))
            n = math.ceil(r)
            want = (ref_period_label(as_of + dt.timedelta(days=n), fy, "month") if unit == "days"
                    else (nth_period_after(as_of, fy, n) if "weeks" in fy
                          else "%04d-%02d" % add_months(as_of.year, as_of.month, n)))
            assert line["month"] == want, (case, fy, as_of, line, r)


def test_history_groups_cohorts_and_windows():
    """Each group is the history of its deals alone: owner = the one the deal's latest event
    giving it gives (a reassigned deal counts for its last owner), cohort = the month of its
    first event, window = deals that entered the funnel on those days (both included)."""
    rng = random.Random(1618)
    as_of = dt.date(2026, 3, 1)
    for case in range(30):
        events = random_log_with_moves(rng, rng.randint(1, 30), as_of)
        for e in events:
            if rng.random() < 0.6:
                e["owner"] = rng.choice(["li", "wang", "zhao"])
        lo = as_of - dt.timedelta(days=rng.randrange(100, 300))
        hi = lo + dt.timedelta(days=rng.randrange(0, 120))
        by_deal = {}
        for e in events:
            by_deal.setdefault(e["deal"], []).append(e)
        owner = {d: next((e["owner"] for e in reversed(evs) if "owner" in e), None) for d, evs in by_deal.items()}
        entry = {d: day(evs[0]["on"]) for d, evs in by_deal.items()}
        config = {"stages": HIST_STAGES, "percentiles": ["50"], "group_by": ["owner"], "cohort": "month",
                  "window": {"from": iso(lo), "to": iso(hi)}}
        h = crmkit.funnel_history(config, events, iso(as_of))
        want = {}
        for d in by_deal:
            if lo <= entry[d] <= hi:
                want.setdefault((owner[d], "%04d-%02d" % (entry[d].year, entry[d].month)), []).append(d)
        got = {(g["key"]["owner"], g["cohort"]): g for g in h["groups"]}
        assert set(got) == set(want), (case, sorted(got), sorted(want, key=str))
        keys = [k for k in got]
        assert keys == sorted(keys, key=lambda k: (k[0] is not None, k[0] or "", k[1])), keys
        for k, deals in want.items():
            stages, top = ref_history_full([e for e in events if e["deal"] in deals], "passed", ["50"])
            g = got[k]
            assert (g["deals"], g["won"], g["lost"], num(g["win_rate"])) == (top["deals"], top["won"], top["lost"], top["win_rate"]), (case, k)
            for line in g["stages"]:
                if line["stage"] in OPEN:
                    w = stages[line["stage"]]
                    assert (line["entered"], line["advanced"], num(line["conversion"]), line["percentiles"][0]["days"]) == (
                        w["entered"], w["advanced"], w["conversion"], w["percentiles"][0]), (case, k, line["stage"])


def test_allocate_target_against_reference():
    """Flat allocation: adjustments set aside, the rest split by share of history in the window
    (largest remainder), each key's adjustment added back; the lines sum to the target."""
    rng = random.Random(88)
    compared = 0
    for case in range(80):
        fy = random_fy(rng)
        as_of = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 365))
        window = rng.choice(["all", "ytd", "qtd", "mtd"])
        dp = rng.choice([0, 2])
        unit = D(1).scaleb(-dp)
        history = [{"key": rng.choice("abcde"), "on": iso(as_of - dt.timedelta(days=rng.choice([0, 1, 5, 20, rng.randrange(0, 400)]))),
                    "amount": str(rng.choice([rng.randrange(1, 50000), 1000, 3000]))} for _ in range(rng.randint(1, 15))]
        adjustments = [{"key": k, "amount": str(rng.randrange(-3000, 3000))} for k in rng.sample("abcdefg", rng.randint(0, 3))]
        target = D(rng.randrange(50000, 500000))
        try:
            r = crmkit.allocate_target({"window": window, "rounding": {"dp": dp}, "fiscal_year": fy},
                                       {"target": str(target), "history": history, "adjustments": adjustments}, iso(as_of))
        except crmkit.CrmkitError as e:
            assert e.code in ("invalid_value", "negative_amount", "out_of_range"), e
            continue
        start = window_start(as_of, fy, window)
        hist = {}
        for h in history:
            hist.setdefault(h["key"], D(0))
            if start is None or day(h["on"]) >= start:
                hist[h["key"]] += D(h["amount"])
        adj = {a["key"]: D(a["amount"]) for a in adjustments}
        keys = sorted(set(hist) | set(adj))
        rest = target - sum(adj.values(), D(0))
        weights = [hist.get(k, D(0)) for k in keys]
        base = largest_remainder(rest, weights, unit) if sum(weights) else [D(0)] * len(keys)
        got = {l["key"]: (num(l["history"]), num(l["base"]), num(l["target"])) for l in r["lines"]}
        want = {k: (hist.get(k, D(0)), b, b + adj.get(k, D(0))) for k, b in zip(keys, base)}
        assert got == want, (case, window, fy, as_of, got, want)
        assert sum(v[2] for v in got.values()) == target
        compared += 1
    assert compared >= 40


def test_quota_frame_columns_against_reference():
    """The columnar path (its own kernel: close days read from datetime64, periods from a table)
    against the same reference, with per-deal probabilities and an int owner column."""
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    rng = random.Random(9001)
    for case in range(40):
        fy = random_fy(rng)
        kind = rng.choice(["month", "quarter", "year"])
        as_of = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(0, 3 * 365))
        a, b = ref_period_bounds(as_of, fy, kind)
        edges = [a, b, a - dt.timedelta(days=1), b + dt.timedelta(days=1), as_of]
        n = rng.randint(1, 60)
        stage, cents, owner, close, prob = [], [], [], [], []
        deals = []
        for i in range(n):
            s = rng.choice(["discovery", "proposal", "negotiation", "won", "won", "lost"])
            c = (min(rng.choice([*edges[:3], as_of - dt.timedelta(days=rng.randrange(0, 400))]), as_of) if s == "won"
                 else rng.choice([*edges, as_of + dt.timedelta(days=rng.randrange(-60, 500))]))
            p = rng.choice([None, None, "0.05", "0.5", "1"]) if s not in ("won", "lost") else None
            amount = rng.randrange(0, 10_000_000)
            stage.append(s)
            cents.append(amount)
            owner.append(rng.choice([7, 11, 13]))
            close.append(np.datetime64(c))
            prob.append(np.nan if p is None else float(p))
            deals.append({"id": "d%d" % i, "stage": s, "amount": str(D(amount) / 100), "owner": owner[-1],
                          "expected_close_on": iso(c), "probability": p})
        df = pd.DataFrame({"stage": stage, "amount": np.array(cents, dtype=np.int64), "owner": np.array(owner, dtype=np.int32),
                           "close": np.array(close, dtype="datetime64[ns]"), "p": prob})
        quotas, seen = [], set()
        for _ in range(rng.randint(0, 6)):
            key = (rng.choice([7, 11, 13]), ref_period_label(as_of + dt.timedelta(days=rng.randrange(-200, 400)), fy, kind))
            if key not in seen:
                seen.add(key)
                quotas.append({"key": {"owner": key[0]}, "period": key[1], "amount": rng.choice(["0", random_amount(rng)])})
        policy = {"stages": QUOTA_STAGES, "duration_unit": "days", "placement": "expected_close", "fiscal_year": fy,
                  "group_by": ["owner"]}
        out = crmkit.quota_frame(df, policy, {"group_by": ["owner"], "period": kind}, quotas, iso(as_of),
                                 expected_close_on="close", amount_scale=2, probability="p")
        # the reference with each deal's own probability
        saved = dict(PROB)
        want = {}
        try:
            for d in deals:
                if d["probability"] is not None:
                    PROB["_own"] = D(d["probability"])
                    d = {**d, "stage": "_own"}
                    want_part = ref_quota(fy, kind, ["owner"], [d], [], [], as_of)
                else:
                    want_part = ref_quota(fy, kind, ["owner"], [d], [], [], as_of)
                for k, v in want_part.items():
                    w = want.setdefault(k, {"won_n": 0, "won": D(0), "open_n": 0, "open": D(0), "weighted": D(0)})
                    for f in w:
                        w[f] += v[f]
        finally:
            PROB.clear()
            PROB.update(saved)
        for q in quotas:
            want.setdefault(((q["key"]["owner"],), q["period"]), {"won_n": 0, "won": D(0), "open_n": 0, "open": D(0), "weighted": D(0)})
        got = {((int(r.owner),), r.period): r for r in out.itertuples(index=False)}
        assert set(got) == set(want), (case, sorted(set(got) ^ set(want)))
        quota_of = {((q["key"]["owner"],), q["period"]): D(q["amount"]) for q in quotas}
        for k, w in want.items():
            r = got[k]
            assert (r.won_deals, num(r.won_amount), r.open_deals, num(r.open_amount), num(r.open_weighted)) == (
                w["won_n"], q2(w["won"]), w["open_n"], q2(w["open"]), q2(w["weighted"])), (case, k, r, w)
            quota = quota_of.get(k)
            gap = None if quota is None else quota - w["won"]
            assert num(r.gap) == rounded(gap, q2), (case, k)
            assert num(r.coverage) == (q4(w["open"] / gap) if gap is not None and gap > 0 else None), (case, k)
