"""Independent reference models of the commission and collections domain, compared with crmkit.

Each model below is written from the documented semantics alone (DOMAIN.md §6, the README's
"Commission semantics", "Payment interest" and "Collections" sections, the research file and
the stubs), in plain Python (`decimal.Decimal`, `datetime`), not from crmkit's code, and checked
against the installed wheel over seeded random inputs plus the edge cases a demanding reviewer
tries first. The whole file runs in a few seconds.

Modelled:

- `payment_interest`: simple interest per payment (early bonus for the days before `due_on`,
  late penalty beyond the grace, `deducted` or `waived_within`), the provisional penalty on what
  is unpaid and overdue at `as_of`, the three day counts (actual/actual ISDA: each calendar
  year's days over that year's length, the start day counted, the end day not), each line
  rounded once (half to even, 2 places by default).
- `collections`: per batch the days past due, reasons, aging bucket (`paid` once nothing is
  open, `not_due` up to the due day, then the limits) and the warning level counted after the
  grace; aging totals; DSO over the invoices of the last `dso_days` days ending on `as_of`
  (`as_of - dso_days < invoice_on <= as_of`); per customer the three published measures and
  the first grade whose three thresholds hold, compared on the exact (unrounded) measures.
  A batch paid in full is 0 days past due (nothing of it is open), whenever it was paid.
  The measures: every payment counts with its days late (0 when early or on the due day), on
  time when within the grace; an open amount counts as late (as_of − due days) once it is
  overdue beyond the grace; an open amount within the grace or not yet due does not count yet.
  A customer with nothing counted is on time (ratio 1, 0 days). A customer's `overdue` is what
  is open beyond the grace (the batches with reason `overdue`); its maximum days past due
  counts open items within the grace too. Batches without a customer are graded together
  under `""`, as the core's docs say.
- `compute_commission`: flat, graduated and retroactive tables (upper- and lower-inclusive
  bounds), accelerators (and decelerators) on attainment: the running target credit ÷ quota,
  the target credit apart from the credit (`target_share` of booked splits,
  `prior_target_credit`) and moving in proportion to it along a sale, cut where it reaches
  `from_attainment` × quota (the credit rounded up to the positions' places), a retroactive
  plan's multiplier the one beyond the attainment reached; a credit or attainment threshold on the
  running total (reached at ≥; the provisional statement holds each sale made below it, the
  final pays all once it is reached at the end, earlier periods' credit included), a cap per
  period, revenue splits by share or weight (largest remainder, the first split first on
  ties) and overlays, running totals from `prior_credit` (a `prior_periods` line reprices
  them), refunds and cancellations that `refers_to` a sale (provisional: the sale's pay taken
  back in proportion to the credit refunded, all that is left when the rest is refunded;
  final: the credit leaves the running total), booking and collection accrual (each payment
  accrues its cumulative share, rounded there), and the statements' invariants: lines add up
  to the totals, true-up = final − provisional, every line rounded once from its `exact`,
  revenue credit preserved exactly per transaction.

Choices the spec leaves open, where crmkit's is defensible and documented and the models follow
it: credit is kept at the places each transaction's amounts are written with (at least the
plan's, at most 12; a refund's and its sale's), and only where it is split (revenue splits, accrual shares, partial refunds) is it
rounded there; a refund splits among the
sale's reps in proportion to what is left of each, all that is left when the rest is refunded
(a sale refunded in parts leaves every rep exactly nothing); events of the same day run in the
order of their sales' dates, sales' before refunds'; a batch's `collected` and `outstanding`
are rounded at the policy's places; a paid batch is 0 days past due; a customer's `overdue` is
what is open beyond the grace, while its maximum days past due counts open items within the
grace too; batches without a customer are graded together under `""`.

Where crmkit was wrong (fixed in the core, with shared vectors): accelerators read the
commission credit, not the target credit attainment is measured on (a 50 / 50 split with
target shares 1 / 0 accelerated the rep with none of the target credit; vectors
`commission_accelerator_reads_target_credit_of_a_split` and the `*_prior_target_credit_*`
ones); credit was rounded to the
plan's pay places before the tiers read it, so in a whole-yuan plan 49,999.99 was credited as
50,000 and crossed a 50,000 bound (a retroactive [50,000, ∞) tier at 5 % paid 2,500 instead of
1,000; a 50,000 credit threshold counted as met): this model, which had encoded that as a
documented choice, now credits the amount as written and rounds only the pay lines (vectors
`commission_whole_yuan_plan_tiers_the_credit_in_cents` and its columns twin);
a cap with more places than
the plan's rounding was rounded to them, up as often as not, so pay passed the cap (5,000.015
on a 2-place plan paid 5,000.02): the model cuts the cap down; and under collection (or
delivery) accrual a refund of the sale took back its share of payments that came after it
(100,000 sold, 50,000 refunded, the other 50,000 then collected: 25,000 credited, and a
negative running total on the refund's day): the model accrues the cash collected, at most the
amount not refunded by then, and a refund takes back only what that lowers.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_DOWN, ROUND_HALF_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from fractions import Fraction

import pytest

import crmkit

D = Decimal
MODES = {"half_even": ROUND_HALF_EVEN, "half_up": ROUND_HALF_UP, "half_down": ROUND_HALF_DOWN, "down": ROUND_DOWN, "up": ROUND_UP}


def rnd(x: Decimal, dp: int = 2, mode: str = "half_even") -> Decimal:
    return x.quantize(D(1).scaleb(-dp), rounding=MODES[mode])


def day(s) -> dt.date:
    return s if isinstance(s, dt.date) else dt.date.fromisoformat(str(s))


def iso(d: dt.date) -> str:
    return d.isoformat()


# ---------------------------------------------------------------------------------------------
# Payment interest (提前回款奖息 / 超期回款罚息)
# ---------------------------------------------------------------------------------------------


def year_fraction(start: dt.date, end: dt.date, basis: str) -> Fraction:
    """Days from `start` (counted) to `end` (not counted) as an exact fraction of a year."""
    days = (end - start).days
    if basis == "actual_365":
        return Fraction(days, 365)
    if basis == "actual_360":
        return Fraction(days, 360)
    total = Fraction(0)
    d = start
    while d < end:
        nxt = min(end, dt.date(d.year + 1, 1, 1))
        length = 366 if (d.year % 4 == 0 and (d.year % 100 != 0 or d.year % 400 == 0)) else 365
        total += Fraction((nxt - d).days, length)
        d = nxt
    return total


def rnd_exact(x: Fraction, dp: int = 2, mode: str = "half_even") -> Decimal:
    """An exact rational rounded once to `dp` places (what "divided once" promises)."""
    scaled = x * 10**dp
    lo = scaled.numerator // scaled.denominator
    rest = scaled - lo
    if rest == 0:
        n = lo
    elif mode == "down":
        n = lo if x >= 0 else lo + 1
    elif mode == "up":
        n = lo + 1 if x >= 0 else lo
    elif rest != Fraction(1, 2):
        n = lo + (rest > Fraction(1, 2))
    elif mode == "half_even":
        n = lo + (lo % 2)
    elif mode == "half_up":
        n = lo + 1 if x >= 0 else lo
    else:
        n = lo if x >= 0 else lo + 1
    return D(n).scaleb(-dp)


def model_interest(policy: dict, batches: list[dict], as_of: dt.date) -> dict:
    basis = policy["day_count"]
    early = D(policy.get("early_rate", "0"))
    late = D(policy.get("late_rate", "0"))
    grace = policy.get("grace_days", 0)
    rule = policy.get("grace", "deducted")
    dp = policy.get("rounding", {}).get("dp", 2)
    mode = policy.get("rounding", {}).get("strategy", "half_even")
    out = []
    totals = dict.fromkeys(["collected", "outstanding", "bonus", "penalty", "accrued_penalty", "net"], D(0))
    for b in batches:
        due = day(b["due_on"])
        amount = D(b["amount"])
        lines = []
        pays = sorted(enumerate(b.get("payments", [])), key=lambda ip: (day(ip[1]["on"]), ip[0]))
        collected = D(0)
        for i, p in pays:
            on, amt = day(p["on"]), D(p["amount"])
            collected += amt
            days = (on - due).days
            if days < 0:
                kind, rate, start, end = "early_bonus", early, on, due
            elif days <= grace:
                kind, rate, start, end = "on_time", D(0), on, on
            else:
                kind, rate = "late_penalty", late
                start = due + dt.timedelta(days=grace if rule == "deducted" else 0)
                end = on
            exact = Fraction(amt) * Fraction(rate) * year_fraction(start, end, basis)
            lines.append({"kind": kind, "payment": i, "on": on, "days": days, "interest_days": (end - start).days, "interest": rnd_exact(exact, dp, mode), "exact": exact})
        outstanding = amount - collected
        days = (as_of - due).days
        if outstanding > 0 and days > grace:
            start = due + dt.timedelta(days=grace if rule == "deducted" else 0)
            exact = Fraction(outstanding) * Fraction(late) * year_fraction(start, as_of, basis)
            lines.append({"kind": "accrued_penalty", "payment": None, "on": as_of, "days": days, "interest_days": (as_of - start).days, "interest": rnd_exact(exact, dp, mode), "exact": exact})
        bonus = sum((ln["interest"] for ln in lines if ln["kind"] == "early_bonus"), D(0))
        penalty = sum((ln["interest"] for ln in lines if ln["kind"] == "late_penalty"), D(0))
        accrued = sum((ln["interest"] for ln in lines if ln["kind"] == "accrued_penalty"), D(0))
        row = {"id": b["id"], "collected": rnd(collected, dp, mode), "outstanding": rnd(outstanding, dp, mode), "bonus": bonus, "penalty": penalty, "accrued_penalty": accrued, "net": bonus - penalty - accrued, "lines": lines}
        for k in totals:
            totals[k] += row[k]
        out.append(row)
    return {"batches": out, "totals": totals}


def random_batches(rng: random.Random, n: int, as_of: dt.date, customers=("acme", "beta", "gamma", "delta")) -> list[dict]:
    batches = []
    for i in range(n):
        inv = as_of - dt.timedelta(days=rng.randint(0, 400))
        due = inv + dt.timedelta(days=rng.choice([0, 1, 15, 30, 45, 60, 90]))
        cents = rng.choice([1, 3, 100, 9999, 100000, rng.randint(1, 10**9)])
        amount = D(cents) / 100
        pays = []
        left = amount
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            if left <= 0 or inv > as_of:
                break
            on = inv + dt.timedelta(days=rng.randint(0, max(0, (as_of - inv).days)))
            amt = left if rng.random() < 0.4 else rnd(left * D(rng.random()))
            if amt <= 0:
                continue
            pays.append({"on": iso(on), "amount": str(amt)})
            left -= amt
        batches.append({"id": f"b{i}", "customer": rng.choice(customers), "invoice_on": iso(inv), "due_on": iso(due), "amount": str(amount), "payments": pays})
    return batches


def check_interest(policy, batches, as_of):
    got = crmkit.payment_interest(policy, batches, as_of)
    want = model_interest(policy, batches, day(as_of))
    for g, w in zip(got["batches"], want["batches"], strict=True):
        for k in ("collected", "outstanding", "bonus", "penalty", "accrued_penalty", "net"):
            assert g[k] == w[k], (g["id"], k, g[k], w[k])
        assert len(g["lines"]) == len(w["lines"]), (g["id"], g["lines"], w["lines"])
        for gl, wl in zip(g["lines"], w["lines"], strict=True):
            for k in ("kind", "payment", "on", "days", "interest_days", "interest"):
                assert gl[k] == wl[k], (g["id"], k, gl, wl)
            assert abs(Fraction(gl["exact"]) - wl["exact"]) < Fraction(1, 10**12), (gl, wl)
    for k, v in want["totals"].items():
        assert got["totals"][k] == v, (k, got["totals"][k], v)


@pytest.mark.parametrize("basis", ["actual_365", "actual_360", "actual_actual"])
@pytest.mark.parametrize("grace", [(0, "deducted"), (5, "deducted"), (5, "waived_within")])
def test_interest_matches_the_model_on_random_books(basis, grace):
    rng = random.Random(f"{basis}-{grace}")
    for _ in range(40):
        as_of = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 1200))
        policy = {"day_count": basis, "early_rate": rng.choice(["0", "0.06", "0.0365", "1"]), "late_rate": rng.choice(["0.18", "0.05", "0.000001"]), "grace_days": grace[0], "grace": grace[1]}
        if rng.random() < 0.3:
            policy["rounding"] = {"dp": rng.choice([0, 2, 4]), "strategy": rng.choice(list(MODES))}
        check_interest(policy, random_batches(rng, rng.randint(0, 8), as_of), iso(as_of))


def test_interest_edges_a_reviewer_tries_first():
    base = {"day_count": "actual_365", "early_rate": "0.06", "late_rate": "0.18", "grace_days": 5}
    as_of = "2026-03-31"
    cases = [
        # paid on the due day, on the last grace day, one day after the grace
        [{"id": "a", "invoice_on": "2026-01-01", "due_on": "2026-01-31", "amount": "100", "payments": [{"on": "2026-01-31", "amount": "100"}]}],
        [{"id": "a", "invoice_on": "2026-01-01", "due_on": "2026-01-31", "amount": "100", "payments": [{"on": "2026-02-05", "amount": "100"}]}],
        [{"id": "a", "invoice_on": "2026-01-01", "due_on": "2026-01-31", "amount": "100", "payments": [{"on": "2026-02-06", "amount": "100"}]}],
        # due on as_of, due 5 and 6 days before as_of, unpaid
        [{"id": "a", "invoice_on": "2026-01-01", "due_on": "2026-03-31", "amount": "100", "payments": []}],
        [{"id": "a", "invoice_on": "2026-01-01", "due_on": "2026-03-26", "amount": "100", "payments": []}],
        [{"id": "a", "invoice_on": "2026-01-01", "due_on": "2026-03-25", "amount": "100", "payments": []}],
        # paid on the invoice day, due the same day; two payments the same day
        [{"id": "a", "invoice_on": "2026-01-01", "due_on": "2026-01-01", "amount": "100", "payments": [{"on": "2026-01-01", "amount": "40"}, {"on": "2026-01-01", "amount": "60"}]}],
        # a cent paid across a year end
        [{"id": "a", "invoice_on": "2025-12-01", "due_on": "2025-12-31", "amount": "0.01", "payments": [{"on": "2026-03-31", "amount": "0.01"}]}],
        # empty book
        [],
    ]
    for basis in ("actual_365", "actual_360", "actual_actual"):
        for batches in cases:
            check_interest({**base, "day_count": basis}, batches, as_of)
    # across a leap day, actual/actual: 2024 is 366 days long
    check_interest({**base, "day_count": "actual_actual", "grace_days": 0}, [{"id": "a", "invoice_on": "2023-11-01", "due_on": "2023-12-01", "amount": "1000000", "payments": [{"on": "2025-03-01", "amount": "1000000"}]}], "2025-03-31")


# ---------------------------------------------------------------------------------------------
# Collections (回款)
# ---------------------------------------------------------------------------------------------

DEFAULT_GRADES = [
    {"name": "A", "min_on_time_ratio": "0.95", "max_weighted_days_late": "5", "max_days_past_due": 15},
    {"name": "B", "min_on_time_ratio": "0.85", "max_weighted_days_late": "15", "max_days_past_due": 45},
    {"name": "C", "min_on_time_ratio": "0.70", "max_weighted_days_late": "30", "max_days_past_due": 90},
]
DEFAULT_LEVELS = [{"name": "notice", "days": 1}, {"name": "warning", "days": 31}, {"name": "serious", "days": 61}, {"name": "critical", "days": 91}]


def buckets_of(limits: list[int]) -> list[str]:
    names, lo = ["not_due"], 1
    for lim in limits:
        names.append(f"{lo}-{lim}")
        lo = lim + 1
    names.append(f"{lo}+")
    return names


def model_collections(policy: dict, batches: list[dict], as_of: dt.date) -> dict:
    limits = policy.get("aging", [30, 60, 90, 120])
    levels = policy.get("levels", DEFAULT_LEVELS)
    grace = policy.get("grace_days", 0)
    dso_days = policy.get("dso_days", 90)
    grades = policy.get("grades", DEFAULT_GRADES)
    fallback = policy.get("fallback", "D")
    names = buckets_of(limits)
    aging = {n: [0, D(0)] for n in names}
    items = []
    per_customer: dict[str, dict] = {}
    receivables = sales = D(0)
    for b in batches:
        due, amount = day(b["due_on"]), D(b["amount"])
        pays = b.get("payments", [])
        collected = sum((D(p["amount"]) for p in pays), D(0))
        outstanding = amount - collected
        dpd = (as_of - due).days
        reasons: list[str] = []
        level = None
        if outstanding == 0:
            bucket, reasons, dpd = "paid", ["paid"], 0
        else:
            if collected > 0:
                reasons.append("partly_paid")
            if dpd <= 0:
                bucket = "not_due"
                reasons.append("not_due")
            else:
                bucket = names[-1]
                for lim, name in zip(limits, names[1:]):
                    if dpd <= lim:
                        bucket = name
                        break
                reasons.append("within_grace" if dpd <= grace else "overdue")
                for lv in levels:
                    if dpd - grace >= lv["days"]:
                        level = lv["name"]
            aging[bucket][0] += 1
            aging[bucket][1] += outstanding
        receivables += outstanding
        if as_of - dt.timedelta(days=dso_days) < day(b["invoice_on"]) <= as_of:
            sales += amount
        items.append({"id": b["id"], "collected": collected, "outstanding": outstanding, "days_past_due": dpd, "bucket": bucket, "level": level, "reasons": reasons})
        cust = b.get("customer") or ""
        c = per_customer.setdefault(cust, {"outstanding": D(0), "overdue": D(0), "counted": D(0), "on_time": D(0), "late_days": D(0), "max": 0})
        c["outstanding"] += outstanding
        for p in pays:
            late = max(0, (day(p["on"]) - due).days)
            amt = D(p["amount"])
            c["counted"] += amt
            c["late_days"] += amt * late
            c["max"] = max(c["max"], late)
            if late <= grace:
                c["on_time"] += amt
        dpd = (as_of - due).days
        if outstanding > 0 and dpd > 0:
            c["max"] = max(c["max"], dpd)
            if dpd > grace:
                c["overdue"] += outstanding
                c["counted"] += outstanding
                c["late_days"] += outstanding * dpd
    customers = []
    for name in sorted(per_customer):
        c = per_customer[name]
        ratio = c["on_time"] / c["counted"] if c["counted"] else D(1)
        wdl = c["late_days"] / c["counted"] if c["counted"] else D(0)
        grade, failed = fallback, []
        for g in grades:
            miss = []
            if ratio < D(g["min_on_time_ratio"]):
                miss.append(f"{g['name']}:min_on_time_ratio")
            if wdl > D(g["max_weighted_days_late"]):
                miss.append(f"{g['name']}:max_weighted_days_late")
            if c["max"] > g["max_days_past_due"]:
                miss.append(f"{g['name']}:max_days_past_due")
            if not miss:
                grade = g["name"]
                break
            failed += miss
        customers.append({"customer": name, "outstanding": c["outstanding"], "overdue": c["overdue"], "on_time_ratio": ratio, "weighted_days_late": wdl, "max_days_past_due": c["max"], "grade": grade, "failed": failed})
    return {
        "batches": items,
        "aging": [{"bucket": n, "items": aging[n][0], "outstanding": aging[n][1]} for n in names],
        "customers": customers,
        "dso": {"days": dso_days, "receivables": receivables, "sales": sales, "value": receivables / sales * dso_days if sales else None},
    }


def check_collections(policy, batches, as_of):
    got = crmkit.collections(policy, batches, as_of)
    want = model_collections(policy, batches, day(as_of))
    for g, w in zip(got["batches"], want["batches"], strict=True):
        for k, v in w.items():
            assert g[k] == v, (g["id"], k, g[k], v)
    assert [(a["bucket"], a["items"], a["outstanding"]) for a in got["aging"]] == [(a["bucket"], a["items"], a["outstanding"]) for a in want["aging"]]
    gc = {c["customer"]: c for c in got["customers"]}
    assert set(gc) == {c["customer"] for c in want["customers"]}
    for w in want["customers"]:
        g = gc[w["customer"]]
        for k in ("outstanding", "overdue", "max_days_past_due", "grade", "failed"):
            assert g[k] == w[k], (w["customer"], k, g[k], w[k], g, w)
        assert abs(g["on_time_ratio"] - w["on_time_ratio"]) <= D("0.00005"), (g, w)
        assert abs(g["weighted_days_late"] - w["weighted_days_late"]) <= D("0.005"), (g, w)
    dso_g, dso_w = got["dso"], want["dso"]
    assert (dso_g["receivables"], dso_g["sales"], dso_g["days"]) == (dso_w["receivables"], dso_w["sales"], dso_w["days"])
    if dso_w["value"] is None:
        assert dso_g["value"] is None
    else:
        assert abs(dso_g["value"] - dso_w["value"]) <= D("0.05"), (dso_g, dso_w)


def test_collections_matches_the_model_on_random_books():
    rng = random.Random(6)
    for _ in range(120):
        as_of = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 1200))
        policy: dict = {}
        if rng.random() < 0.5:
            policy["grace_days"] = rng.choice([0, 3, 10])
        if rng.random() < 0.3:
            policy["aging"] = sorted(rng.sample(range(1, 200), rng.randint(1, 5)))
        if rng.random() < 0.3:
            policy["levels"] = [{"name": "l1", "days": 1}, {"name": "l2", "days": rng.randint(2, 60)}]
        if rng.random() < 0.3:
            policy["dso_days"] = rng.choice([1, 30, 365])
        batches = [b for b in random_batches(rng, rng.randint(0, 10), as_of) if day(b["invoice_on"]) <= as_of]
        check_collections(policy, batches, iso(as_of))


def test_collections_edges_a_reviewer_tries_first():
    as_of = "2026-03-31"

    def b(i, cust, inv, due, amount, pays=()):
        return {"id": i, "customer": cust, "invoice_on": inv, "due_on": due, "amount": amount, "payments": [{"on": o, "amount": a} for o, a in pays]}

    books = [
        [],
        # every bucket limit exactly: 0, 1, 30, 31, 60, 61, 90, 91, 120, 121 days past due
        [b(f"x{n}", "k", "2025-01-01", iso(day(as_of) - dt.timedelta(days=n)), "10") for n in (0, 1, 30, 31, 60, 61, 90, 91, 120, 121)],
        # the DSO window's first day and the day before it
        [b("in", "k", "2026-01-01", "2026-05-01", "100"), b("out", "k", "2025-12-31", "2026-05-01", "100")],
        # grade thresholds met exactly: 95 % on time, max 15 days
        [b("p", "k", "2026-01-01", "2026-01-31", "95", [("2026-01-31", "95")]), b("q", "k", "2026-01-01", "2026-01-31", "5", [("2026-02-15", "5")])],
        # an on-time ratio a hair below 95 %
        [b("p", "k", "2026-01-01", "2026-01-31", "94.99", [("2026-01-31", "94.99")]), b("q", "k", "2026-01-01", "2026-01-31", "5.01", [("2026-02-01", "5.01")])],
        # weighted days late exactly 5 and just above
        [b("p", "k", "2026-01-01", "2026-01-31", "100", [("2026-02-05", "100")])],
        [b("p", "k", "2026-01-01", "2026-01-31", "100", [("2026-02-05", "99.99"), ("2026-02-06", "0.01")])],
        # paid before the due day, partly paid and overdue, no customer
        [b("p", "k", "2026-01-01", "2026-04-30", "100", [("2026-02-05", "100")]), b("r", "k", "2026-01-01", "2026-02-28", "100", [("2026-02-05", "30")]), {"id": "n", "invoice_on": "2026-01-01", "due_on": "2026-01-31", "amount": "7", "payments": []}],
    ]
    for policy in ({}, {"grace_days": 5}, {"grace_days": 30, "levels": [{"name": "a", "days": 1}]}):
        for book in books:
            check_collections(policy, book, as_of)


# ---------------------------------------------------------------------------------------------
# Commission (提成 / 计提)
# ---------------------------------------------------------------------------------------------


def largest_remainder(total: Decimal, weights: list[Decimal], dp: int = 2) -> list[Decimal]:
    """`total` in parts proportional to `weights`, each a multiple of 10^-dp, adding up to
    `total` exactly: the parts rounded toward zero, then one quantum each to the largest
    remainders (the first on ties)."""
    q = D(1).scaleb(-dp)
    wsum = sum(weights, D(0))
    exact = [total * w / wsum for w in weights]
    parts = [e.quantize(q, rounding=ROUND_DOWN) for e in exact]
    left = int((total - sum(parts, D(0))) / q)
    sign = 1 if left >= 0 else -1
    order = sorted(range(len(weights)), key=lambda i: (-(abs(exact[i] - parts[i])), i))
    for i in order[: abs(left)]:
        parts[i] += sign * q
    return parts


def tier_of(x: Decimal, tiers: list[dict], bounds: str) -> int:
    """The retroactive tier a running total stands in, under the declared bounds."""
    for i, t in enumerate(tiers):
        lo, hi = D(t["from"]), (D(t["to"]) if "to" in t else None)
        if bounds == "upper_inclusive":
            inside = (x > lo or (i == 0 and x >= lo)) and (hi is None or x <= hi)
        elif bounds == "lower_inclusive":
            inside = x >= lo and (hi is None or x < hi)
        else:
            inside = x >= lo and (hi is None or x <= hi)
        if inside:
            return i
    return len(tiers) - 1 if x > 0 else 0


def table(plan: dict) -> list[tuple[Decimal, Decimal | None, Decimal]]:
    if plan["kind"] == "flat":
        return [(D(0), None, D(plan["rate"]))]
    return [(D(t["from"]), D(t["to"]) if "to" in t else None, D(t["rate"])) for t in plan["tiers"]]


def sale_credits(tx: dict, amount: Decimal, dp: int, mode: str) -> list[tuple[str, str, Decimal]]:
    """(rep, split kind, credit) per revenue or overlay split of a sale's `amount`."""
    if "rep" in tx:
        return [(tx["rep"], "revenue", amount)]
    revenue = [s for s in tx["splits"] if s.get("kind", "revenue") == "revenue"]
    weights = [D(s["share"]) if "share" in s else D(s["weight"]) for s in revenue]
    out = [(s["rep"], "revenue", p) for s, p in zip(revenue, largest_remainder(amount, weights, dp))]
    out += [(s["rep"], "overlay", rnd(amount * D(s["share"]), dp, mode)) for s in tx["splits"] if s.get("kind") == "overlay"]
    return out


def sale_targets(tx: dict, amount: Decimal, dp: int, mode: str) -> list[Decimal]:
    """The target credit of each line of `sale_credits` (分割指标): revenue splits by their
    `target_share`s (else their shares or weights), by largest remainder; an overlay's is its
    credit."""
    if "rep" in tx:
        return [amount]
    revenue = [s for s in tx["splits"] if s.get("kind", "revenue") == "revenue"]
    weights = [D(s.get("target_share", s.get("share", s.get("weight")))) for s in revenue]
    out = largest_remainder(amount, weights, dp) if sum(weights, D(0)) else [D(0)] * len(revenue)
    return out + [rnd(amount * D(s["share"]), dp, mode) for s in tx["splits"] if s.get("kind") == "overlay"]


def refund_credits(left: dict, amount: Decimal, dp: int, mode: str) -> list[tuple[str, str, Decimal]]:
    """A refund of `amount` of a sale takes its credit back from the sale's reps in proportion
    to what is left of each (all that is left when the rest is refunded), so that a sale
    refunded in parts leaves every rep exactly nothing: the documented choice ("takes at most
    what is left of it"); the revenue parts by largest remainder, overlays rounded."""
    lines = left["lines"]
    if amount == left["amount"]:
        parts = [c for _, _, c in lines]
    else:
        rev = [j for j, ln in enumerate(lines) if ln[1] == "revenue"]
        cut = largest_remainder(amount, [lines[j][2] for j in rev], dp) if sum((lines[j][2] for j in rev), D(0)) else [D(0)] * len(rev)
        parts = []
        for j, (_, k, c) in enumerate(lines):
            parts.append(cut[rev.index(j)] if k == "revenue" else min(c, rnd(amount * c / left["amount"], dp, mode)))
    left["amount"] -= amount
    left["lines"] = [(r, k, c - p) for (r, k, c), p in zip(lines, parts)]
    return [(r, k, -p) for (r, k, _), p in zip(lines, parts)]


def credit_places(plan: dict, *txs: dict) -> int:
    """The places a transaction's credit is kept at: those its amounts are written with
    ("100.00": 2; a refund's and its sale's), at least the plan's, at most 12. Never the
    pay's places alone: a whole-yuan plan pays whole yuan, but 49,999.99 of credit is below a
    50,000 bound."""
    places = [plan.get("rounding", {}).get("dp", 2)]
    for t in txs:
        amounts = ([t["amount"]] if "amount" in t else []) + [e["amount"] for e in t.get("payments", []) + t.get("deliveries", [])]
        places += [max(0, -D(a).as_tuple().exponent) for a in amounts]
    return min(max(places), 12)


def model_commission(plan: dict, inp: dict, as_of: dt.date) -> dict:
    """Per rep: credit, running credit, the final and provisional pay, their lines as
    (kind, transaction, base, rate, multiplier, amount), the capped amount."""
    dp = plan.get("rounding", {}).get("dp", 2)
    mode = plan.get("rounding", {}).get("strategy", "half_even")
    kind = plan["kind"]
    tiers = table(plan)
    bounds = plan.get("bounds", "upper_inclusive")
    reps_in = {r["rep"]: r for r in inp.get("reps", [])}
    sales = {t["id"]: t for t in inp["transactions"]}
    # events: (date, refund?, input index, rep, credit, transaction, target credit)
    events = []
    order = sorted(range(len(inp["transactions"])), key=lambda i: (day(inp["transactions"][i]["on"]), inp["transactions"][i].get("kind", "sale") != "sale", i))
    left: dict[str, dict] = {}
    taken: dict[int, list[Decimal]] = {}  # accrued on payments: what each refund takes back
    for i in order:
        t = inp["transactions"][i]
        if t.get("kind", "sale") != "sale":
            lf = left[t["refers_to"]]
            cdp = credit_places(plan, t, sales[t["refers_to"]])  # credit's places; `dp` is the pay's
            amount = rnd(D(t["amount"]), cdp, mode) if "amount" in t else lf["amount"]
            for j, (rep, _, c) in enumerate(refund_credits(lf, amount, cdp, mode)):
                c = taken[i][j] if i in taken else c
                events.append((day(t["on"]), True, i, rep, c, t["id"], c))
            continue
        cdp = credit_places(plan, t)
        amount = rnd(D(t["amount"]), cdp, mode)
        full = sale_credits(t, amount, cdp, mode)
        targets = sale_targets(t, amount, cdp, mode)
        if targets != [c for _, _, c in full] and (plan.get("accrual", "booking") != "booking" or any(r.get("refers_to") == t["id"] for r in inp["transactions"])):
            raise NotImplementedError("the model takes target shares only on booked sales not refunded")
        left[t["id"]] = {"amount": amount, "lines": list(full)}
        if plan.get("accrual", "booking") == "collection":
            # each payment accrues the credit up to its cumulative share, rounded there; the
            # base is the cash collected, at most the amount not refunded by then, and a
            # refund takes back what it lowers that base by (never what has not accrued)
            steps = [(day(p["on"]), 0, n, D(p["amount"])) for n, p in enumerate(t.get("payments", []))]
            refunds = []
            left_amount = amount
            for k in order:
                r = inp["transactions"][k]
                if r.get("refers_to") == t["id"]:
                    part = rnd(D(r["amount"]), credit_places(plan, r, t), mode) if "amount" in r else left_amount
                    left_amount -= part
                    refunds.append((day(r["on"]), 1, k, part))
            level = [D(0)] * len(full)
            paid = refunded = D(0)
            for on, is_refund, k, x in sorted(steps + refunds, key=lambda s: (s[0], s[1], s[2] if s[1] else 0)):
                if is_refund:
                    refunded += x
                else:
                    paid += x
                base = max(D(0), min(paid, amount - refunded))
                for j, (rep, _, c) in enumerate(full):
                    to = rnd(c * base / amount, cdp, mode) if amount else D(0)
                    if is_refund:
                        taken.setdefault(k, []).append(to - level[j])
                    else:
                        events.append((on, False, i, rep, to - level[j], t["id"], to - level[j]))
                    level[j] = to
            continue
        for (rep, _, c), tc in zip(full, targets):
            events.append((day(t["on"]), False, i, rep, c, t["id"], tc))
    # same-day events: sales' before refunds', then in the order of their sales' dates
    rank = {i: n for n, i in enumerate(order)}
    events.sort(key=lambda e: (e[0], e[1], rank[e[2]]))
    reps = []
    for e in events:
        if e[3] not in reps:
            reps.append(e[3])
    out = {}
    for rep in reps:
        info = reps_in.get(rep, {})
        prior = D(info.get("prior_credit", "0"))
        prior_t = D(info.get("prior_target_credit", prior))
        quota = D(info["quota"]) if "quota" in info else None
        mine = [e for e in events if e[3] == rep]
        net = sum((e[4] for e in mine), D(0))
        end = prior + net
        end_t = prior_t + sum((e[6] for e in mine), D(0))
        # accelerator points on the target credit: attainment (target credit / quota) reads them
        accel = sorted(((D(a["from_attainment"]) * quota, D(a["multiplier"])) for a in plan.get("accelerators", [])), key=lambda a: a[0]) if quota is not None else []

        def mult_at(x, beyond=False):  # the multiplier at target credit x (just above it; or beyond it)
            m = D(1)
            for lo, mm in accel:
                if x > lo or (x == lo and not beyond):
                    m = mm
            return m

        def walk(r0, c, tx, t0=None, t=None):
            """Graduated / flat slices of credit c from running total r0 (c < 0 walks down),
            the target credit moving from t0 by t in proportion along the way (default: with
            the credit); an accelerator point is cut where the target credit reaches it, at
            the credit rounded up to the places the positions and the point are written with."""
            t0, t = (r0, c) if t0 is None else (t0, t)
            lines = []
            cuts = {b for lo, hi, _ in tiers for b in (lo, hi) if b is not None}
            places = max(max(0, -x.as_tuple().exponent) for x in (r0, r0 + c, t0, t0 + t, *(p for p, _ in accel)))
            for p, _ in accel:
                if c and t and min(t0, t0 + t) < p < max(t0, t0 + t):
                    x = Fraction(r0) + (Fraction(p) - Fraction(t0)) * Fraction(c) / Fraction(t)
                    cuts.add(rnd_exact(x, places, "up" if x > 0 else "down"))

            def target_at(x):  # exact, as a fraction
                return Fraction(t0) + (Fraction(x) - Fraction(r0)) * Fraction(t) / Fraction(c) if c else Fraction(t0)

            a, b = (r0, r0 + c) if c >= 0 else (r0 + c, r0)
            pts = sorted({a, b} | {x for x in cuts if a < x < b})
            segs = list(zip(pts, pts[1:]))
            if c < 0:
                segs.reverse()
            for lo, hi in segs:
                rate = next((rt for f, t_, rt in tiers if f <= lo and (t_ is None or lo < t_)), tiers[-1][2])
                m = mult_at(min(target_at(lo), target_at(hi)))
                base = (hi - lo) if c >= 0 else (lo - hi)
                ex = base * rate * m
                lines.append(("tier_slice", tx, base, rate, m, rnd(ex, dp, mode)))
            if c == 0:  # a line of nothing, at the rate where the rep stands
                rate = next((rt for f, t, rt in tiers if f <= r0 and (t is None or r0 < t)), tiers[-1][2])
                lines.append(("tier_slice", tx, D(0), rate, mult_at(t0), rnd(D(0), dp, mode)))
            return lines

        def clawback(paid_at, ref, e):
            """The sale's provisional pay taken back in proportion to the credit refunded, out
            of what is left of both (all of it when the refund takes all the credit left), so
            that a sale refunded in parts gives back exactly what it paid."""
            c0, a0 = paid_at.get(ref, (D(0), D(0)))
            amt = -a0 if (-e[4] == c0 or c0 == 0) else rnd(a0 * e[4] / c0, dp, mode)
            paid_at[ref] = (c0 + e[4], a0 + amt)
            return ("clawback", e[5], e[4], None, D(1), amt)

        th = plan.get("threshold")

        def met(x, xt):  # the threshold at running credit x, target credit xt
            if th is None:
                return True
            if "credit" in th:
                return x >= D(th["credit"])
            return quota is not None and quota > 0 and xt / quota >= D(th["attainment"])

        def held(e, lines):
            return [("below_threshold", e[5], e[4], None, D(1), rnd(D(0), dp, mode))]

        final, prov = [], []
        if kind == "retroactive":
            rate_end = tiers[tier_of(end, plan["tiers"], bounds)][2]
            m_end = mult_at(end_t, beyond=True)
            for e in mine:
                line = ("retroactive", e[5], e[4], rate_end, m_end, rnd(e[4] * rate_end * m_end, dp, mode))
                final += [line] if met(end, end_t) else held(e, [line])
            if prior:
                rate_prior = tiers[tier_of(prior, plan["tiers"], bounds)][2]
                on_prior = prior * rate_prior * mult_at(prior_t, beyond=True)
                paid = D(info["prior_paid"]) if "prior_paid" in info else (on_prior if met(prior, prior_t) else D(0))
                worth = prior * rate_end * m_end if met(end, end_t) else D(0)
                if worth != paid:
                    final.append(("prior_periods", None, prior, rate_end, D(1), rnd(worth - paid, dp, mode)))
            running, running_t = prior, prior_t
            paid_at: dict[str, tuple[Decimal, Decimal]] = {}
            for e in mine:
                running += e[4]
                running_t += e[6]
                if e[4] >= 0 and not e[1]:
                    rate = tiers[tier_of(running, plan["tiers"], bounds)][2]
                    m = mult_at(running_t, beyond=True)
                    amt = rnd(e[4] * rate * m, dp, mode) if met(running, running_t) else D(0)
                    prev = paid_at.get(e[5], (D(0), D(0)))
                    paid_at[e[5]] = (prev[0] + e[4], prev[1] + amt)
                    prov += [("retroactive", e[5], e[4], rate, m, amt)] if met(running, running_t) else held(e, [])
                else:
                    ref = sales[[t for t in inp["transactions"] if t["id"] == e[5]][0]["refers_to"]]["id"]
                    prov.append(clawback(paid_at, ref, e))
        else:
            running, running_t = prior, prior_t
            paid_at = {}
            for e in mine:
                lines = walk(running, e[4], e[5], running_t, e[6])
                final += lines if met(end, end_t) else held(e, lines)
                if not e[1] and not met(running + e[4], running_t + e[6]):
                    lines = held(e, lines)
                if e[1]:
                    ref = [t for t in inp["transactions"] if t["id"] == e[5]][0]["refers_to"]
                    prov.append(clawback(paid_at, ref, e))
                else:
                    prev = paid_at.get(e[5], (D(0), D(0)))
                    paid_at[e[5]] = (prev[0] + e[4], prev[1] + sum((ln[5] for ln in lines), D(0)))
                    prov += lines
                running += e[4]
                running_t += e[6]
            if prior:
                # earlier periods' credit: worth the table on it at the end, less what it was
                # paid (presumed: the table on it then, nothing below the threshold), the
                # target credit moving from 0 to the prior target credit alongside
                on_prior = sum((D(ln[2]) * ln[3] * ln[4] for ln in walk(D(0), prior, None, D(0), prior_t)), D(0))
                paid = D(info["prior_paid"]) if "prior_paid" in info else (on_prior if met(prior, prior_t) else D(0))
                worth = on_prior if met(end, end_t) else D(0)
                if worth != paid:
                    final.append(("prior_periods", None, prior, None, D(1), rnd(worth - paid, dp, mode)))
        res = {"credit": net, "running_credit": end}
        for name, lines in (("final", final), ("provisional", prov)):
            total = sum((ln[5] for ln in lines), D(0))
            capped = D(0)
            # pay never exceeds the cap: a cap with more places than the plan pays is cut
            # down to them (5,000.015 on a 2-place plan pays at most 5,000.01)
            cap = rnd(D(plan["cap"]), dp, "down") if "cap" in plan else None
            if cap is not None and total > cap:
                capped = total - cap
                lines.append(("cap", None, None, None, D(1), -capped))
                total = cap
            res[name] = total
            res[name + "_lines"] = lines
            if name == "final":
                res["capped"] = capped
        out[rep] = res
    return out


def got_lines(lines: list[dict]) -> list[tuple]:
    return [(ln["kind"], ln["transaction"], ln["base"], ln["rate"], ln["multiplier"], ln["amount"]) for ln in lines]


def norm(lines: list[tuple]) -> list[tuple]:
    # the cap line's base and rate are the core's to choose; compare kind, transaction, amount
    # and a prior-periods or clawback line's rate (a difference of rates; the sale's pay)
    return [(k, t, None, None, None, a) if k == "cap" else (k, t, b, r if k not in ("clawback", "prior_periods") else None, m, a) for k, t, b, r, m, a in lines]


def check_commission(plan, inp, as_of):
    got = crmkit.compute_commission(plan, inp, as_of)
    want = model_commission(plan, inp, day(as_of))
    reps = {r["rep"]: r for r in got["reps"]}
    for rep, w in want.items():
        g = reps[rep]
        for k in ("credit", "running_credit", "final", "provisional", "capped"):
            assert g[k] == w[k], (rep, k, g[k], w[k], g)
        assert norm(got_lines(g["lines"])) == norm(w["final_lines"]), (rep, got_lines(g["lines"]), w["final_lines"])
        assert norm(got_lines(g["provisional_lines"])) == norm(w["provisional_lines"]), (rep, got_lines(g["provisional_lines"]), w["provisional_lines"])
    # invariants a finance user checks first: every statement adds up, true-up = final - provisional
    for r in got["reps"]:
        assert sum((ln["amount"] for ln in r["lines"]), D(0)) == r["final"]
        assert sum((ln["amount"] for ln in r["provisional_lines"]), D(0)) == r["provisional"]
        assert r["true_up"] == r["final"] - r["provisional"]
        for ln in r["lines"] + r["provisional_lines"]:
            dp = plan.get("rounding", {}).get("dp", 2)
            assert ln["amount"] == rnd(ln["exact"], dp, plan.get("rounding", {}).get("strategy", "half_even")) or ln["kind"] == "cap"
    assert got["totals"]["final"] == sum((r["final"] for r in got["reps"]), D(0))
    assert got["totals"]["provisional"] == sum((r["provisional"] for r in got["reps"]), D(0))
    # revenue credit is preserved exactly per transaction, at its amounts' places
    by_id = {t["id"]: t for t in inp["transactions"]}
    by_tx: dict[str, Decimal] = {}
    for c in got["credits"]:
        if c["kind"] == "revenue":
            by_tx[c["transaction"]] = by_tx.get(c["transaction"], D(0)) + c["credit"]
    for t in inp["transactions"]:
        if t["id"] in by_tx and "amount" in t:
            sign = -1 if t.get("kind", "sale") != "sale" else 1
            cdp = credit_places(plan, t, *([by_id[t["refers_to"]]] if "refers_to" in t else []))
            assert by_tx[t["id"]] == sign * rnd(D(t["amount"]), cdp, plan.get("rounding", {}).get("strategy", "half_even")), (t, by_tx[t["id"]])
    return got, want


TIERS3 = [{"from": "0", "to": "50000", "rate": "0.02"}, {"from": "50000", "to": "100000", "rate": "0.05"}, {"from": "100000", "rate": "0.08"}]


def random_plan(rng: random.Random, kind: str) -> dict:
    plan: dict = {"kind": kind}
    if kind == "flat":
        plan["rate"] = rng.choice(["0.1", "0.035", "0.0575", "1", "0"])
    else:
        cuts = sorted(rng.sample([1000, 5000, 20000, 50000, 100000, 150000], rng.randint(1, 3)))
        rates = sorted(D(rng.choice(["0", "0.01", "0.02", "0.0333", "0.05", "0.08", "0.125"])) for _ in range(len(cuts) + 1))
        if kind == "graduated" and rng.random() < 0.3:
            rates.reverse()  # a decelerating graduated table is allowed
        froms = [0, *cuts]
        plan["tiers"] = [{"from": str(f), **({"to": str(t)} if t else {}), "rate": str(r)} for f, t, r in zip(froms, [*cuts, None], rates)]
        if kind == "retroactive":
            plan["bounds"] = rng.choice(["upper_inclusive", "lower_inclusive"])
    if rng.random() < 0.3:
        # a retroactive plan's multipliers never fall; a marginal one may decelerate
        m = rng.choice(["1.5", "2"] if kind == "retroactive" else ["1.5", "2", "0.5"])
        plan["accelerators"] = [{"from_attainment": rng.choice(["0.5", "1"]), "multiplier": m}]
    if rng.random() < 0.2:
        plan["cap"] = rng.choice(["100", "5000", "0.01", "5000.015"])
    if rng.random() < 0.2:
        plan["threshold"] = rng.choice([{"credit": "50000"}, {"credit": "100000"}, {"attainment": "0.5"}, {"attainment": "1"}])
    if rng.random() < 0.3:
        plan["rounding"] = {"dp": rng.choice([0, 2, 3]), "strategy": rng.choice(list(MODES))}
    return plan


def random_amount(rng: random.Random) -> Decimal:
    return rng.choice([D("0.01"), D("1000.01"), D("33333.33"), D("50000"), D("49999.99"), D("50000.01"), D(rng.randint(1, 10**7)) / 100])


def random_input(rng: random.Random, plan: dict) -> dict:
    reps = ["a", "b", "c"]
    txs: list[dict] = []
    start = dt.date(2026, 3, 1)
    # amounts in cents (or the plan's places when it has more), whatever the plan pays in: a
    # whole-yuan plan credits them to the cent
    cdp = max(2, plan.get("rounding", {}).get("dp", 2))
    for i in range(rng.randint(1, 7)):
        amount = rnd(random_amount(rng), cdp, "down")
        t: dict = {"id": f"d{i}", "on": iso(start + dt.timedelta(days=rng.randint(0, 30))), "amount": str(amount)}
        refunded = rng.random() < 0.25
        r = rng.random()
        if r < 0.5:
            t["rep"] = rng.choice(reps)
        elif r < 0.75:
            t["splits"] = [{"rep": x, "weight": str(rng.randint(1, 3))} for x in rng.sample(reps, rng.randint(1, 3))]
        else:
            t["splits"] = [{"rep": "a", "share": "0.5"}, {"rep": "b", "share": "0.5"}]
            if not refunded and plan.get("accrual", "booking") == "booking" and rng.random() < 0.5:
                # target credit apart from commission credit (分割指标): attainment, and so
                # the accelerators and an attainment threshold, read it
                ta = rng.choice(["1", "0", "0.7", "0.25"])
                t["splits"][0]["target_share"], t["splits"][1]["target_share"] = ta, str(1 - D(ta))
            if rng.random() < 0.5:
                t["splits"].append({"rep": "c", "share": "0.2", "kind": "overlay"})
        if plan.get("accrual") == "collection":
            pays, left = [], amount
            for _ in range(rng.randint(0, 3)):
                p = left if rng.random() < 0.4 else rnd(left * D(rng.random()))
                if p <= 0:
                    continue
                pays.append({"on": iso(day(t["on"]) + dt.timedelta(days=rng.randint(0, 25))), "amount": str(p)})
                left -= p
            t["payments"] = pays
        txs.append(t)
        if refunded:
            # refunds of this sale, in parts or whole, never beyond it
            left = amount
            for j in range(rng.randint(1, 3)):
                # refunds in the amounts' places: parts rounded one by one must not pass the sale
                part = left if rng.random() < 0.3 else rnd(left * D(rng.random()), cdp, "down")
                if part <= 0:
                    continue
                kind = "cancellation" if part == amount and j == 0 and rng.random() < 0.5 else "refund"
                ref = {"id": f"r{i}_{j}", "on": iso(day(t["on"]) + dt.timedelta(days=rng.randint(0, 10))), "kind": kind, "refers_to": t["id"]}
                if kind == "refund":
                    ref["amount"] = str(part)
                txs.append(ref)
                left -= part
                if kind == "cancellation":
                    break
    info = []
    for x in reps:
        r: dict = {"rep": x, "quota": str(rng.choice([50000, 100000, 123456]))}
        if rng.random() < 0.3:
            r["prior_credit"] = str(rng.choice([0, 45000, 100000, 150000]))
        if rng.random() < 0.3:
            # earlier periods' target credit apart from their credit
            r["prior_target_credit"] = str(rng.choice([0, 30000, 100000, 160000]))
        info.append(r)
    return {"transactions": txs, "reps": info}


@pytest.mark.parametrize("kind", ["flat", "graduated", "retroactive"])
def test_commission_matches_the_model_on_random_plans(kind):
    rng = random.Random({"flat": 1, "graduated": 2, "retroactive": 3}[kind])
    for _ in range(150):
        plan = random_plan(rng, kind)
        if rng.random() < 0.3:
            plan["accrual"] = "collection"
        check_commission(plan, random_input(rng, plan), "2026-04-30")


def test_commission_edges_a_reviewer_tries_first():
    as_of = "2026-03-31"

    def one(amount, rep="a", on="2026-03-10", i="d1"):
        return {"id": i, "on": on, "amount": amount, "rep": rep}

    for bounds in ("upper_inclusive", "lower_inclusive"):
        plan = {"kind": "retroactive", "tiers": TIERS3, "bounds": bounds}
        for amount in ("0.01", "49999.99", "50000", "50000.01", "99999.99", "100000", "100000.01"):
            check_commission(plan, {"transactions": [one(amount)]}, as_of)
        # reaching a bound exactly with a second sale, and with prior credit
        check_commission(plan, {"transactions": [one("40000"), one("10000", i="d2")]}, as_of)
        check_commission(plan, {"transactions": [one("10000")], "reps": [{"rep": "a", "prior_credit": "40000"}]}, as_of)
    for amount in ("49999.99", "50000", "50000.01", "100000", "100000.01"):
        check_commission({"kind": "graduated", "tiers": TIERS3}, {"transactions": [one(amount)]}, as_of)
    # accelerator from exactly the quota
    acc = {"kind": "flat", "rate": "0.05", "accelerators": [{"from_attainment": "1", "multiplier": "1.5"}]}
    for amount in ("99999.99", "100000", "100000.01"):
        check_commission(acc, {"transactions": [one(amount)], "reps": [{"rep": "a", "quota": "100000"}]}, as_of)
    # a cap met exactly, and one cent above
    for amount in ("50000", "50000.10"):
        check_commission({"kind": "flat", "rate": "0.1", "cap": "5000"}, {"transactions": [one(amount)]}, as_of)
    # thirds, sevenths, a cent split three ways
    for amount in ("100.00", "0.01", "0.02", "1000000.00"):
        for n in (2, 3, 7):
            sp = [{"rep": f"r{k}", "weight": "1"} for k in range(n)]
            check_commission({"kind": "flat", "rate": "1"}, {"transactions": [{"id": "d1", "on": "2026-03-10", "amount": amount, "splits": sp}]}, as_of)
    # a whole-yuan plan pays whole yuan but reads tiers, thresholds and accelerators on the
    # credit as written: 49,999.99 is below a 50,000 bound, 50,000.50 above it
    yuan = {"dp": 0}
    for bounds in ("upper_inclusive", "lower_inclusive"):
        for amount in ("49999.99", "50000.00", "50000.01", "49999.50", "50000.50", "99999.99", "100000.01"):
            check_commission({"kind": "retroactive", "tiers": TIERS3, "bounds": bounds, "rounding": yuan}, {"transactions": [one(amount)]}, as_of)
    got, _ = check_commission({"kind": "retroactive", "tiers": TIERS3, "bounds": "lower_inclusive", "rounding": yuan}, {"transactions": [one("49999.99")]}, as_of)
    assert (got["reps"][0]["tier"], got["reps"][0]["final"], got["reps"][0]["credit"]) == (0, D("1000"), D("49999.99"))
    for amount in ("49999.99", "50000.00"):
        check_commission({"kind": "flat", "rate": "0.1", "threshold": {"credit": "50000"}, "rounding": yuan}, {"transactions": [one(amount)]}, as_of)
        check_commission({**acc, "rounding": yuan}, {"transactions": [one(amount)], "reps": [{"rep": "a", "quota": "50000"}]}, as_of)
        check_commission({"kind": "graduated", "tiers": TIERS3, "rounding": yuan}, {"transactions": [one(amount), one("0.01", i="d2")]}, as_of)
    # a whole-yuan split of 100.00 in thirds: 33.34 / 33.33 / 33.33 of credit, 33 yuan of pay each
    sp = [{"rep": f"r{k}", "weight": "1"} for k in range(3)]
    got, _ = check_commission({"kind": "flat", "rate": "1", "rounding": yuan}, {"transactions": [{"id": "d1", "on": "2026-03-10", "amount": "100.00", "splits": sp}]}, as_of)
    assert [c["credit"] for c in got["credits"]] == [D("33.34"), D("33.33"), D("33.33")]
    # a refund the same day as its sale; a cancellation of a split sale
    split = [{"rep": "a", "share": "0.5"}, {"rep": "b", "share": "0.5"}]
    check_commission({"kind": "graduated", "tiers": TIERS3}, {"transactions": [one("60000"), {"id": "r1", "on": "2026-03-10", "kind": "refund", "amount": "60000", "refers_to": "d1"}]}, as_of)
    check_commission({"kind": "flat", "rate": "0.1"}, {"transactions": [{"id": "d1", "on": "2026-03-10", "amount": "1000.01", "splits": split}, {"id": "c1", "on": "2026-03-12", "kind": "cancellation", "refers_to": "d1"}]}, as_of)


def test_accelerators_read_the_target_credit():
    """Attainment is target credit ÷ quota: a split's target shares and the earlier periods'
    target credit move the accelerator, not the commission credit (both directions, flat,
    graduated and retroactive, decelerators where the table allows them)."""
    as_of = "2026-03-31"
    split = {"id": "d1", "on": "2026-03-10", "amount": "100000", "splits": [{"rep": "a", "share": "0.5", "target_share": "1"}, {"rep": "b", "share": "0.5", "target_share": "0"}]}
    odd = {"id": "d2", "on": "2026-03-12", "amount": "100000", "splits": [{"rep": "a", "share": "0.3", "target_share": "0.7"}, {"rep": "b", "share": "0.7", "target_share": "0.3"}]}
    plans = [
        {"kind": "flat", "rate": "0.05"},
        {"kind": "graduated", "tiers": TIERS3},
        {"kind": "retroactive", "tiers": TIERS3, "bounds": "upper_inclusive"},
    ]
    for base in plans:
        for m in ("2", "0.5"):
            if base["kind"] == "retroactive" and m == "0.5":
                continue
            plan = {**base, "accelerators": [{"from_attainment": "1", "multiplier": m}]}
            got, _ = check_commission(plan, {"transactions": [split], "reps": [{"rep": "a", "quota": "80000"}, {"rep": "b", "quota": "40000"}]}, as_of)
            if plan["kind"] == "flat" and m == "2":
                assert [r["final"] for r in got["reps"]] == [D("3000.00"), D("2500.00")]
            check_commission(plan, {"transactions": [split, odd], "reps": [{"rep": "a", "quota": "33333"}, {"rep": "b", "quota": "1"}]}, as_of)
            for pc, pt in (("0", "100000"), ("100000", "0"), ("45000", "160000"), ("150000", "30000")):
                reps = [{"rep": "a", "quota": "100000", "prior_credit": pc, "prior_target_credit": pt}]
                one = {"id": "d1", "on": "2026-03-10", "amount": "10000", "rep": "a"}
                got, _ = check_commission(plan, {"transactions": [one], "reps": reps}, as_of)
                if plan["kind"] == "flat" and (pc, pt) in (("0", "100000"), ("100000", "0")):
                    want = {("2", "0"): "1000.00", ("2", "100000"): "500.00", ("0.5", "0"): "250.00", ("0.5", "100000"): "500.00"}[(m, pc)]
                    assert got["reps"][0]["final"] == D(want)


def test_split_sale_refunded_in_parts_leaves_no_rep_any_credit():
    """A 50/50 sale of 1.01 refunded 0.01, 0.01 and 0.99 is refunded in full: each rep's
    credit on it must come back to 0.00 (and its pay with it), whatever the order of the parts.
    Refunds split one by one on their own remainders would give a -0.01 and b +0.01."""
    split = [{"rep": "a", "share": "0.5"}, {"rep": "b", "share": "0.5"}]
    txs = [{"id": "d1", "on": "2026-03-01", "amount": "1.01", "splits": split}]
    for j, part in enumerate(("0.01", "0.01", "0.99")):
        txs.append({"id": f"r{j}", "on": f"2026-03-0{j + 2}", "kind": "refund", "amount": part, "refers_to": "d1"})
    report = crmkit.compute_commission({"kind": "flat", "rate": "1"}, {"transactions": txs}, "2026-03-31")
    per_rep: dict[str, Decimal] = {}
    for c in report["credits"]:
        per_rep[c["rep"]] = per_rep.get(c["rep"], D(0)) + c["credit"]
    assert per_rep == {"a": D("0.00"), "b": D("0.00")}, report["credits"]
    assert [r["final"] for r in report["reps"]] == [D("0.00"), D("0.00")]


def test_refunds_under_collection_accrue_the_cash_on_what_is_left():
    """回款计提 with a refund of the sale: the credit is the cash collected, at most the amount
    not refunded. Refunded before any cash and then paid the rest, the whole net sale accrues;
    a refund takes back nothing that has not accrued (no negative running total on its day)."""
    plan = {"kind": "graduated", "tiers": TIERS3, "accrual": "collection"}
    cases = [
        # (payments, refunds, credit)
        ([("2026-03-20", "50000")], [("2026-03-10", "50000")], "50000.00"),
        ([("2026-03-05", "40000"), ("2026-03-20", "10000")], [("2026-03-10", "50000")], "50000.00"),
        ([("2026-03-05", "40000")], [("2026-03-10", "50000")], "40000.00"),
        ([("2026-03-05", "100000")], [("2026-03-10", "50000")], "50000.00"),
        ([("2026-03-05", "70000")], [("2026-03-10", "50000")], "50000.00"),
        ([("2026-03-10", "30000")], [("2026-03-10", "80000")], "20000.00"),
        ([("2026-03-05", "60000"), ("2026-03-25", "40000")], [("2026-03-10", "30000"), ("2026-03-15", "30000")], "40000.00"),
    ]
    for pays, refunds, credit in cases:
        txs = [{"id": "d1", "on": "2026-03-01", "amount": "100000", "rep": "a", "payments": [{"on": o, "amount": a} for o, a in pays]}]
        txs += [{"id": f"r{k}", "on": o, "kind": "refund", "amount": a, "refers_to": "d1"} for k, (o, a) in enumerate(refunds)]
        got, _ = check_commission(plan, {"transactions": txs}, "2026-03-31")
        rep = got["reps"][0]
        assert rep["credit"] == D(credit), (pays, refunds, rep["credit"])
        running = D(0)
        for ln in rep["lines"]:
            running += ln["base"]
            assert running >= 0, (pays, refunds, rep["lines"])


def test_a_sale_refunded_in_many_parts_matches_the_model():
    """A sale refunded in hundreds of random parts on random days, then cancelled, under
    booking and collection accrual: crmkit agrees with the model line by line. (Each refund's
    amount left was found by summing the sale's earlier refunds again, quadratic in them;
    it is a running sum now, and the answers are the same.)"""
    rng = random.Random(40)
    pays = {"payments": [{"on": "2026-03-02", "amount": "150000.00"}, {"on": "2026-03-20", "amount": "100000.00"}]}
    for accrual in ("booking", "collection"):
        amount = D("250000.00")
        txs = [{"id": "d1", "on": "2026-03-01", "amount": str(amount), "rep": "a", **(pays if accrual == "collection" else {})}]
        left = amount
        for k in range(400):
            part = rnd(left * D(rng.random()) / 50, 2, "down")
            if part <= 0:
                continue
            on = iso(dt.date(2026, 3, 2) + dt.timedelta(days=rng.randint(0, 27)))
            txs.append({"id": f"r{k}", "on": on, "kind": "refund", "amount": str(part), "refers_to": "d1"})
            left -= part
        txs.append({"id": "c", "on": "2026-03-30", "kind": "cancellation", "refers_to": "d1"})
        got, _ = check_commission({"kind": "graduated", "tiers": TIERS3, "accrual": accrual}, {"transactions": txs}, "2026-03-31")
        assert got["reps"][0]["credit"] == D("0.00"), accrual
