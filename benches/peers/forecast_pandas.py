"""crmkit.forecast_frame against the fastest pandas/numpy I could write, on the same DataFrames.

    .venv/bin/python benches/peers/forecast_pandas.py [n]        (default n = 1_000_000)

Two workloads, each timed best of 7 (time.perf_counter; building the input DataFrame is not
timed), with the ratio pandas / crmkit:

1. The benchmark deals of `benches/src/lib.rs` (splitmix64 as a counter, seed 42: 4 open
   stages in days, 200 categorical owners), generated here with vectorised uint64 numpy.
   pandas looks each deal's probability and month offset up through the category codes and
   sums deals, amount and weighted amount per owner x month with one np.bincount each (no
   groupby, no Python loop), then keeps the cells holding deals as a long DataFrame, as
   crmkit returns. Checked: the total and every month's weighted sum agree to the cent.
2. The issue-7 book (forecast_book.py): 500 int32 owner ids on 20 teams, expected close
   dates, months; owner x month and the team pipeline. Checked: every group x month cell
   (deals, amount, weighted) agrees to the cent.
"""

from __future__ import annotations

import datetime
import math
import os
import sys
import time
from decimal import Decimal

# OpenBLAS's idle worker threads spin on the second core after numpy calls and slow any
# other thread there (crmkit's threads=2), while nothing timed here uses BLAS: one thread.
# The machine's OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE settings are left as they are.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import crmkit  # noqa: E402
from seeded import draws  # noqa: E402

SEED = 42
AS_OF = datetime.date(2026, 11, 23)
STAGES = ["lead", "qualified", "proposal", "negotiation", "won", "lost"]
OPEN = [("lead", "0.3", "30"), ("qualified", "0.5", "20"), ("proposal", "0.6", "15"), ("negotiation", "0.8", "10")]
REPEAT = 7


def policy(placement: str) -> dict:
    return {
        "stages": [{"name": n, "conversion": c, "duration": d} for n, c, d in OPEN]
        + [{"name": "won", "kind": "won"}, {"name": "lost", "kind": "lost"}],
        "duration_unit": "days",
        "placement": placement,
        "group_by": ["owner"],
    }


def generate(n: int) -> pd.DataFrame:
    """The Rust bench's deals: deal i uses x_{2i} and x_{2i+1}; uint64 arithmetic wraps."""
    x = draws(SEED, 0, 2 * n)
    a, b = x[0::2], x[1::2]
    cents = (np.uint64(100_000) + b % np.uint64(100_000_000)).astype(np.int64)
    entered = np.datetime64(AS_OF.isoformat(), "D") - ((b >> np.uint64(40)) % np.uint64(120)).astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "stage": pd.Categorical.from_codes((a % np.uint64(6)).astype(np.int8), categories=STAGES),
            "owner": pd.Categorical.from_codes(
                ((a >> np.uint64(32)) % np.uint64(200)).astype(np.int16), categories=[f"rep{i:03}" for i in range(200)]
            ),
            "amount": cents,
            "amount_yuan": cents / 100.0,
            "entered": pd.Series(entered).astype("datetime64[s]"),
        }
    )


# Per stage, in the frame's category order: probability, own duration, later durations.
_rates = [Decimal(c) for _, c, _ in OPEN]
PROB = np.array([float(math.prod(_rates[i:])) for i in range(len(OPEN))] + [1.0, 0.0])
IS_OPEN = np.array([True] * len(OPEN) + [False, False])
OWN = np.array([int(d) for _, _, d in OPEN] + [0, 0], dtype=np.int64)
LATER = np.array([sum(int(d) for _, _, d in OPEN[i + 1 :]) for i in range(len(OPEN))] + [0, 0], dtype=np.int64)
AS_OF_D = np.datetime64(AS_OF.isoformat(), "D")
AS_OF_M = AS_OF_D.astype("datetime64[M]").astype(np.int64)


def month_offset(remaining_days: np.ndarray) -> np.ndarray:
    """Calendar months from as_of's month to the month of as_of + ceil(remaining) days."""
    close = AS_OF_D + np.ceil(remaining_days).astype(np.int64).astype("timedelta64[D]")
    return close.astype("datetime64[M]").astype(np.int64) - AS_OF_M


HALF_OFFSET = month_offset(OWN / 2 + LATER)


def cells(bins: np.ndarray, n_bins: int, amount: np.ndarray, weighted: np.ndarray):
    """Deals, amount and weighted sums per bin: three np.bincount passes, no Python loop."""
    return (
        np.bincount(bins, minlength=n_bins),
        np.bincount(bins, weights=amount, minlength=n_bins),
        np.bincount(bins, weights=weighted, minlength=n_bins),
    )


def pandas_forecast(df: pd.DataFrame, placement: str, amount: str):
    """Owner x month deals, amount and weighted pipeline by np.bincount over owner code x
    (month + 1), closed deals in each owner's column 0 (dropped), as a long DataFrame of the
    cells holding deals, plus the total and the per-month sums."""
    codes = df["stage"].cat.codes.to_numpy()
    if placement == "half_elapsed":
        month = HALF_OFFSET[codes]
    else:  # actual, overdue deals move on now
        elapsed = (AS_OF_D - df["entered"].to_numpy().astype("datetime64[D]")).view(np.int64)
        month = month_offset(np.maximum(OWN[codes] - elapsed, 0) + LATER[codes])
    width = int(month.max()) + 2
    owner = df["owner"].cat.codes.to_numpy().astype(np.intp)
    n_owners = len(df["owner"].cat.categories)
    bins = owner * width + np.where(IS_OPEN[codes], month + 1, 0)
    values = df[amount].to_numpy()
    deals, amounts, weighted = (
        c.reshape(n_owners, width)[:, 1:] for c in cells(bins, n_owners * width, values, values * PROB[codes])
    )
    o, m = np.nonzero(deals)
    frame = pd.DataFrame(
        {
            "owner": pd.Categorical.from_codes(o, dtype=df["owner"].dtype),
            "offset": m,
            "deals": deals[o, m],
            "amount": amounts[o, m],
            "weighted": weighted[o, m],
        }
    )
    month_deals = deals.sum(axis=0)
    by_month = pd.Series(weighted.sum(axis=0))[month_deals > 0]
    return weighted.sum(), by_month, frame


def crmkit_forecast(df: pd.DataFrame, placement: str, amount: str, threads: int = 1) -> pd.DataFrame:
    return crmkit.forecast_frame(
        df,
        policy(placement),
        AS_OF,
        amount=amount,
        entered_stage_on="entered" if placement == "actual" else None,
        amount_scale=2 if amount == "amount" else None,  # the int64 column holds cents
        threads=threads,
    )


def native_only(df: pd.DataFrame, placement: str, amount: str):
    """The arguments `forecast_frame` hands the native module, for timing that call alone."""
    from crmkit import _frame, _wire

    stage, labels = _frame._codes(df["stage"], np, pd)
    units = _frame._amounts(df[amount], np, pd, 2 if amount == "amount" else None)
    entered = _frame._days(df["entered"], "entered_stage_on", np, pd) if placement == "actual" else None
    keys = [_frame._codes(df["owner"], np, pd)]
    scale = 2 if amount == "amount" else None
    args = (_wire.to_json(policy(placement)), stage, labels, units, scale, entered, keys, AS_OF.isoformat())
    return crmkit._native.forecast_columns, args


def best(fn, *args) -> tuple[float, object]:
    times, out = [], None
    for _ in range(REPEAT):
        start = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - start)
    return min(times), out


def best_cpu(fn, *args, runs: int = 15) -> float:
    """Best thread CPU time (time.thread_time) of `runs` calls: on a machine shared with other
    work, wall time is mostly waiting for a core, CPU time is what the call costs."""
    times = []
    for _ in range(runs):
        start = time.thread_time()
        fn(*args)
        times.append(time.thread_time() - start)
    return min(times)


def to_cent(x: float, unit: float) -> Decimal:
    """A pandas float sum in yuan (or cents) rounded to the cent."""
    return Decimal(round(x * unit)) / 100


def check(pandas_out, frame: pd.DataFrame, amount: str) -> None:
    """pandas' float sums, rounded to the cent, equal crmkit's exact ones."""
    total, by_month, _ = pandas_out
    unit = 1 if amount == "amount" else 100  # pandas summed cents or yuan
    assert to_cent(total, unit) == frame.attrs["totals"]["open"]["weighted"], (total, frame.attrs["totals"]["open"])
    months = {m["offset"]: m["weighted"] for m in frame.attrs["months"]}
    assert sorted(months) == list(by_month.index), (sorted(months), list(by_month.index))
    for offset, value in by_month.items():
        assert to_cent(value, unit) == months[offset], (offset, value, months[offset])


def main() -> None:
    n = int(sys.argv[1].replace("_", "")) if len(sys.argv) > 1 else 1_000_000
    df = generate(n)
    print(f"crmkit {crmkit.__version__} forecast_frame vs pandas {pd.__version__} (numpy {np.__version__}),"
          f" {n:,} deals, seed {SEED}, as_of {AS_OF}, group_by owner, best of {REPEAT}")
    print(f"{'placement':<14}{'amount column':<17}{'pandas ms':>10}{'crmkit ms':>11}{'pandas/crmkit':>15}"
          f"{'native call ms':>16}{'crmkit 2 thr ms':>17}{'pandas/crmkit':>15}")
    for placement in ("half_elapsed", "actual"):
        for amount, label in (("amount", "int64 cents"), ("amount_yuan", "float64 yuan")):
            t_pandas, pandas_out = best(pandas_forecast, df, placement, amount)
            t_crmkit, frame = best(crmkit_forecast, df, placement, amount)
            check(pandas_out, frame, amount)
            call, args = native_only(df, placement, amount)
            t_native, _ = best(call, *args)
            t_two, frame_two = best(crmkit_forecast, df, placement, amount, 2)
            check(pandas_out, frame_two, amount)
            print(
                f"{placement:<14}{label:<17}{t_pandas * 1e3:>10.1f}{t_crmkit * 1e3:>11.1f}"
                f"{t_pandas / t_crmkit:>14.1f}x{t_native * 1e3:>16.1f}"
                f"{t_two * 1e3:>17.1f}{t_pandas / t_two:>14.1f}x"
            )
    print("both agree on the total weighted pipeline and every month's weighted sum, to the cent")
    book(n)


def book(n: int) -> None:
    """The issue-7 workload (forecast_book.py): int32 owner and team ids, expected_close."""
    from forecast_book import check_book, crmkit_book, generate_book, pandas_book

    df = generate_book(n)
    print()
    print(f"issue-7 book: {n:,} deals, 6 open stages in months + won + lost, 500 int32 owner ids on 20 teams,"
          f" placement expected_close (60 % dated), undated half_elapsed, best of {REPEAT}, one thread")
    print(f"{'question':<16}{'amount column':<17}{'pandas ms':>10}{'crmkit ms':>11}{'pandas/crmkit':>15}"
          f"{'Decimal out ms':>16}{'pandas/crmkit':>15}{'pandas CPU ms':>15}{'crmkit CPU ms':>15}{'CPU ratio':>11}")
    for key, question in (("owner", "owner x month"), ("team", "team pipeline")):
        for amount, label in (("amount", "int64 cents"), ("amount_yuan", "float64 yuan")):
            t_pandas, pandas_out = best(pandas_book, df, key, amount)
            t_crmkit, frame = best(crmkit_book, df, key, amount)
            check_book(pandas_out, frame, key)
            t_decimal, frame = best(crmkit_book, df, key, amount, "decimal")
            check_book(pandas_out, frame, key)
            # Thread CPU, best of 15, the two sides in turns (the load changes by the second).
            c_pandas, c_crmkit = best_cpu(pandas_book, df, key, amount), best_cpu(crmkit_book, df, key, amount)
            c_pandas = min(c_pandas, best_cpu(pandas_book, df, key, amount))
            c_crmkit = min(c_crmkit, best_cpu(crmkit_book, df, key, amount))
            print(f"{question:<16}{label:<17}{t_pandas * 1e3:>10.1f}{t_crmkit * 1e3:>11.1f}{t_pandas / t_crmkit:>14.1f}x"
                  f"{t_decimal * 1e3:>16.1f}{t_pandas / t_decimal:>14.1f}x"
                  f"{c_pandas * 1e3:>15.1f}{c_crmkit * 1e3:>15.1f}{c_pandas / c_crmkit:>10.2f}x")
    print("both agree on every group x month cell (deals, amount, weighted) to the cent")
    print('crmkit ms: forecast_frame(money="units"), money as int64 cents like pandas; Decimal out: money="decimal"')
    print("CPU ms: thread CPU time (time.thread_time), best of 2 x 15 calls in turns, money as int64 cents")
    print("crmkit ms: forecast_frame, DataFrame in and out, one thread; 2 thr: forecast_frame(threads=2);")
    print("native call ms: crmkit._native.forecast_columns")
    print("alone on already converted columns (the Rust core plus building the report's dicts)")


if __name__ == "__main__":
    main()
