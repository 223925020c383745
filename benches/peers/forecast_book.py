"""The issue-7 workload for forecast_pandas.py: a realistic book, and pandas written for speed.

1,000,000 deals (splitmix64 as a counter, seed 42, the same deals as `benches/src/book.rs`):
6 open stages with durations in months plus won and lost, 500 owners given as int32 employee
ids (not categorical) on 20 teams (int32 ids), amounts as int64 cents and as float64 yuan,
`entered` and `expected_close` as datetime64[ns] (60 % of deals dated, spread from 60 days
before as_of to 450 days after), placement `expected_close` with `half_elapsed` for the
undated deals. Two questions: owner x month, and the team pipeline (team x month, plus each
team's total).

The pandas side is what a pandas expert who needs the cent writes: amounts as int64 cents
(floats rounded once with np.rint), probabilities as integer units so the weighted sums are
exact (every bin stays below 2**53), month offsets through a day -> month lookup table over
the dates present, and one np.bincount each for deals, amount and weighted over
group x (month + 1), closed deals in column 0. Integer ids are used as bin numbers directly
when they are small non-negative numbers (pd.factorize otherwise).
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd

from forecast_pandas import AS_OF, AS_OF_D, AS_OF_M, SEED
from seeded import draws

import crmkit

BOOK_OPEN = [
    ("prospect", "0.5", "3"),
    ("qualify", "0.6", "2"),
    ("demo", "0.7", "2"),
    ("proposal", "0.75", "1"),
    ("negotiate", "0.8", "1"),
    ("contract", "0.9", "0.5"),
]
BOOK_STAGES = [name for name, _, _ in BOOK_OPEN] + ["won", "lost"]
NS_PER_DAY = 86_400 * 10**9


def book_policy(key: str) -> dict:
    return {
        "stages": [{"name": n, "conversion": c, "duration": d} for n, c, d in BOOK_OPEN]
        + [{"name": "won", "kind": "won"}, {"name": "lost", "kind": "lost"}],
        "duration_unit": "months",
        "placement": "expected_close",
        "undated": "half_elapsed",
        "group_by": [key],
    }


def generate_book(n: int) -> pd.DataFrame:
    """Deal i uses x_{3i}, x_{3i+1}, x_{3i+2} of splitmix64 seeded with 42."""
    x = draws(SEED, 0, 3 * n)
    a, b, c = x[0::3], x[1::3], x[2::3]
    rep = ((a >> np.uint64(8)) % np.uint64(500)).astype(np.int32)
    cents = (np.uint64(100_000) + b % np.uint64(99_900_000)).astype(np.int64)
    entered = AS_OF_D - ((b >> np.uint64(40)) % np.uint64(180)).astype("timedelta64[D]")
    close = AS_OF_D + (((c >> np.uint64(16)) % np.uint64(511)).astype(np.int64) - 60).astype("timedelta64[D]")
    close = np.where((c % np.uint64(100)) < np.uint64(60), close, np.datetime64("NaT"))
    return pd.DataFrame(
        {
            "stage": pd.Categorical.from_codes((a % np.uint64(8)).astype(np.int8), categories=BOOK_STAGES),
            "owner": (10_000 + 37 * rep).astype(np.int32),
            "team": (1 + rep % 20).astype(np.int32),
            "amount": cents,
            "amount_yuan": cents / 100.0,
            "entered": entered.astype("datetime64[ns]"),
            "expected_close": close.astype("datetime64[ns]"),
        }
    )


# Per stage (category order): open?, probability as integer units of 10**-P, the month
# offset of an undated deal (half its own stage plus the later ones, rounded up).
_rates = [Decimal(c) for _, c, _ in BOOK_OPEN]
_probs = [math.prod(_rates[i:]).normalize() for i in range(len(BOOK_OPEN))]
P = max(-p.as_tuple().exponent for p in _probs)
B_UNITS = np.array([int(p.scaleb(P)) for p in _probs] + [0, 0], dtype=np.int64)
B_OPEN = np.array([True] * len(BOOK_OPEN) + [False, False])
_own = [Decimal(d) for _, _, d in BOOK_OPEN]
B_HALF = np.array([math.ceil(_own[i] / 2 + sum(_own[i + 1 :])) for i in range(len(BOOK_OPEN))] + [0, 0], dtype=np.int64)


def round_units(x: np.ndarray, unit: int) -> np.ndarray:
    """Non-negative integers in units of 1/unit cents, to cents, half to even."""
    q, r = np.divmod(x, unit)
    return q + ((2 * r > unit) | ((2 * r == unit) & (q % 2 == 1)))


def pandas_book(df: pd.DataFrame, key: str, amount: str):
    """The group x month frame of the cells holding deals, and each group's totals."""
    codes = df["stage"].cat.codes.to_numpy()
    cents = df[amount].to_numpy()
    if cents.dtype.kind == "f":
        cents = np.rint(cents * 100).astype(np.int64)
    close = df["expected_close"].to_numpy().view(np.int64)
    dated = close != np.iinfo(np.int64).min
    days = close // NS_PER_DAY
    first, last = days[dated].min(), days[dated].max()
    table = np.arange(first, last + 1).astype("datetime64[D]").astype("datetime64[M]").view(np.int64) - AS_OF_M
    month = np.where(dated, np.maximum(table[np.clip(days - first, 0, last - first)], 0), B_HALF[codes])
    month = np.where(B_OPEN[codes], month + 1, 0)
    ids = df[key].to_numpy()
    low, high = int(ids.min()), int(ids.max())
    if low >= 0 and high < 4 * len(ids) + 4096:
        groups, n_groups, labels = ids.astype(np.intp), high + 1, None
    else:
        groups, labels = pd.factorize(ids)
        n_groups = len(labels)
    width = int(month.max()) + 1
    bins = groups * width + month
    n_bins = n_groups * width
    deals = np.bincount(bins, minlength=n_bins).reshape(n_groups, width)[:, 1:]
    amounts = np.bincount(bins, weights=cents, minlength=n_bins).reshape(n_groups, width)[:, 1:].astype(np.int64)
    weighted = np.bincount(bins, weights=cents * B_UNITS[codes], minlength=n_bins)
    weighted = weighted.reshape(n_groups, width)[:, 1:].astype(np.int64)
    g, m = np.nonzero(deals)
    unit = 10**P
    month_labels = np.array([f"{(AS_OF_M + i) // 12 + 1970:04}-{(AS_OF_M + i) % 12 + 1:02}" for i in range(width - 1)])
    frame = pd.DataFrame(
        {
            key: g if labels is None else labels[g],
            "month": month_labels[m],
            "offset": m,
            "deals": deals[g, m],
            "amount": amounts[g, m],
            "weighted": round_units(weighted[g, m], unit),
        }
    )
    present = deals.sum(axis=1) > 0
    ids_present = np.flatnonzero(present)
    totals = pd.DataFrame(
        {
            key: ids_present if labels is None else labels[ids_present],
            "deals": deals.sum(axis=1)[present],
            "amount": amounts.sum(axis=1)[present],
            "weighted": round_units(weighted.sum(axis=1)[present], unit),
        }
    )
    return frame, totals


def crmkit_book(df: pd.DataFrame, key: str, amount: str, money: str = "units") -> pd.DataFrame:
    """Money as int64 cents (``money="units"``), as pandas gives it; ``"decimal"``: Decimal."""
    return crmkit.forecast_frame(
        df,
        book_policy(key),
        AS_OF,
        amount=amount,
        expected_close_on="expected_close",
        amount_scale=2 if amount == "amount" else None,
        money=money,
    )


def _cents(x) -> int:
    if isinstance(x, (int, np.integer)):
        return int(x)  # money="units": cents already
    d = Decimal(x) * 100
    assert d == d.to_integral_value(), x
    return int(d)


def check_book(pandas_out, frame: pd.DataFrame, key: str) -> None:
    """Every group x month cell equal to the cent (deals, amount, weighted), and no other."""
    cells, _ = pandas_out
    ours = {
        (str(k), int(o)): (int(d), _cents(a), _cents(w))
        for k, o, d, a, w in zip(frame[key], frame["offset"], frame["deals"], frame["amount"], frame["weighted"])
    }
    theirs = {
        (str(k), int(o)): (int(d), int(a), int(w))
        for k, o, d, a, w in zip(cells[key], cells["offset"], cells["deals"], cells["amount"], cells["weighted"])
    }
    assert ours.keys() == theirs.keys(), (len(ours), len(theirs))
    bad = [k for k in ours if ours[k] != theirs[k]]
    assert not bad, [(k, ours[k], theirs[k]) for k in bad[:5]]
