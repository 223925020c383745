"""crmkit.commission_frame against the fastest exact-integer pandas / numpy commission pass.

    .venv/bin/python benches/peers/commission_pandas.py [n] [reps]   (default 1_000_000, 300)

The book is the benchmark data of `benches/benches/commission.rs` (splitmix64 as a counter,
seed 42): n sales in date order over 2026 (a ledger), each to one of `reps` reps at random,
100.00 to 20,000.00 in integer cents. The plan: graduated on each rep's running total, 2 %
to 2,000,000, 3 % to 5,000,000, 4 % to 10,000,000, 5 % to 20,000,000, 6 % above; each tier
slice of a sale rounded half-even to the cent (as crmkit's statement lines are).

pandas does what an expert would, in exact int64 cents and without a Python loop over rows:
the running total per rep by a stable argsort of the category codes, one cumsum and the
group offsets subtracted, or by groupby().cumsum(); then either per tier np.clip of the
running total before and after each sale, the slice times the rate in basis points and a
vectorised half-even division by 10,000, or (the fastest: about half the time) each sale's
tier by np.searchsorted, one product and rounding for the sales that stay in their tier and
the clip walk for the few that cross a break. All three are timed; the fastest is the peer. Timings are the best of 5, wall
and process CPU time (a loaded machine inflates the wall time of both); building the frame
is not timed. The script checks that both give every sale's pay to the
cent, then prints the ratio pandas / crmkit.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import crmkit  # noqa: E402
from seeded import draws  # noqa: E402

SEED = 42
REPEAT = 5
FIRST_DAY = 20_454  # 2026-01-01
BOUNDS = [0, 2_000_000, 5_000_000, 10_000_000, 20_000_000]  # yuan
RATES_BP = [200, 300, 400, 500, 600]
PLAN = {
    "kind": "graduated",
    "tiers": [
        {"from": str(lo), **({"to": str(hi)} if hi is not None else {}), "rate": f"0.{bp:04d}"}
        for lo, hi, bp in zip(BOUNDS, BOUNDS[1:] + [None], RATES_BP)
    ],
}


def generate(n: int, reps: int) -> pd.DataFrame:
    """The Rust bench's book: x_1..x_n pick the reps, x_{n+1}..x_{2n} the amounts."""
    with np.errstate(over="ignore"):
        x = draws(SEED, 0, 2 * n)
    codes = (x[:n] % np.uint64(reps)).astype(np.int32)
    cents = (10_000 + x[n:] % np.uint64(1_990_001)).astype(np.int64)
    days = FIRST_DAY + (np.arange(n, dtype=np.int64) * 365) // n
    return pd.DataFrame(
        {
            "rep": pd.Categorical.from_codes(codes, categories=[f"rep{k:03}" for k in range(reps)]),
            "on": pd.to_datetime(days, unit="D"),
            "amount": cents,
        }
    )


def running_totals(codes: np.ndarray, cents: np.ndarray) -> np.ndarray:
    """Each sale's rep's running total after it, in row (date) order: one stable sort by rep,
    one cumsum, each group's offset subtracted, back to row order."""
    order = np.argsort(codes, kind="stable")
    run = np.cumsum(cents[order])
    counts = np.bincount(codes)
    ends = np.cumsum(counts)
    offsets = np.repeat(np.concatenate(([0], run[ends[:-1] - 1])), counts)
    out = np.empty_like(run)
    out[order] = run - offsets
    return out


def pandas_pass(df: pd.DataFrame) -> np.ndarray:
    codes = df["rep"].cat.codes.to_numpy()
    cents = df["amount"].to_numpy()
    after = running_totals(codes, cents)
    before = after - cents
    pay = np.zeros(len(df), dtype=np.int64)
    for lo, hi, bp in zip(BOUNDS, BOUNDS[1:] + [None], RATES_BP):
        lo_c, hi_c = lo * 100, (hi * 100 if hi is not None else np.iinfo(np.int64).max)
        part = np.clip(after, lo_c, hi_c) - np.clip(before, lo_c, hi_c)
        q, r = np.divmod(part * bp, 10_000)  # cents x basis points -> cents, half to even
        pay += q + ((r > 5_000) | ((r == 5_000) & (q & 1 == 1)))
    return pay


def groupby_pass(df: pd.DataFrame) -> np.ndarray:
    """The same with groupby().cumsum() for the running totals (the textbook spelling)."""
    after = df.groupby("rep", observed=True, sort=False)["amount"].cumsum().to_numpy()
    before = after - df["amount"].to_numpy()
    pay = np.zeros(len(df), dtype=np.int64)
    for lo, hi, bp in zip(BOUNDS, BOUNDS[1:] + [None], RATES_BP):
        lo_c, hi_c = lo * 100, (hi * 100 if hi is not None else np.iinfo(np.int64).max)
        part = np.clip(after, lo_c, hi_c) - np.clip(before, lo_c, hi_c)
        q, r = np.divmod(part * bp, 10_000)
        pay += q + ((r > 5_000) | ((r == 5_000) & (q & 1 == 1)))
    return pay


def _half_even(x: np.ndarray) -> np.ndarray:
    """cents x basis points -> cents, half to even."""
    q, r = np.divmod(x, 10_000)
    return q + ((r > 5_000) | ((r == 5_000) & (q & 1 == 1)))


_CUTS = np.array(BOUNDS[1:], dtype=np.int64) * 100
_RATES = np.array(RATES_BP, dtype=np.int64)
_LO = np.array(BOUNDS, dtype=np.int64) * 100
_HI = np.append(_CUTS, np.iinfo(np.int64).max)


def tier_pass(df: pd.DataFrame) -> np.ndarray:
    """The fastest spelling found: groupby().cumsum() for the running totals, the tier of each
    sale's start by np.searchsorted, one multiplication and rounding for the sales that stay in
    their tier, and the per-tier np.clip walk only for the few that cross a break."""
    cents = df["amount"].to_numpy()
    after = df.groupby("rep", observed=True, sort=False)["amount"].cumsum().to_numpy()
    before = after - cents
    t0 = np.searchsorted(_CUTS, before, side="right")
    t1 = np.searchsorted(_CUTS, after, side="right")
    pay = _half_even(cents * _RATES[t0])
    cross = np.flatnonzero(t0 != t1)
    a, b = after[cross], before[cross]
    part = np.zeros(len(cross), dtype=np.int64)
    for lo, hi, bp in zip(_LO, _HI, _RATES):
        part += _half_even((np.clip(a, lo, hi) - np.clip(b, lo, hi)) * bp)
    pay[cross] = part
    return pay


def best(f, repeat: int = REPEAT) -> tuple[float, object]:
    """Best wall time of `repeat` runs (and the last result)."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def best_cpu(f, repeat: int = REPEAT) -> float:
    """Best process CPU time of `repeat` runs: on a machine other jobs load, the wall time
    counts their turns too; both sides here run on one thread."""
    times = []
    for _ in range(repeat):
        t = time.process_time()
        f()
        times.append(time.process_time() - t)
    return min(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    df = generate(n, reps)
    t_pd, pay_pd = best(lambda: pandas_pass(df))
    t_gb, pay_gb = best(lambda: groupby_pass(df))
    t_tp, pay_tp = best(lambda: tier_pass(df))
    t_ck, frame = best(lambda: crmkit.commission_frame(df, PLAN, "2026-12-31", amount_scale=2))
    t_lines, (_, lines) = best(lambda: crmkit.commission_frame(df, PLAN, "2026-12-31", amount_scale=2, statements=True))
    c_pd = best_cpu(lambda: pandas_pass(df))
    c_gb = best_cpu(lambda: groupby_pass(df))
    c_tp = best_cpu(lambda: tier_pass(df))
    c_ck = best_cpu(lambda: crmkit.commission_frame(df, PLAN, "2026-12-31", amount_scale=2))
    c_lines = best_cpu(lambda: crmkit.commission_frame(df, PLAN, "2026-12-31", amount_scale=2, statements=True))
    pay_ck = frame["final_units"].to_numpy()
    assert np.array_equal(pay_pd, pay_ck), "pandas and crmkit disagree"
    assert np.array_equal(pay_gb, pay_ck), "groupby and crmkit disagree"
    assert np.array_equal(pay_tp, pay_ck), "the tier pass and crmkit disagree"
    total = int(pay_ck.sum())
    print(f"{n:,} sales, {reps} reps, 5-tier graduated plan; total pay {total // 100:,}.{total % 100:02d}")
    print("                                          wall      CPU")
    print(f"pandas (argsort + cumsum, exact cents):  {t_pd * 1e3:7.1f} ms {c_pd * 1e3:7.1f} ms")
    print(f"pandas (groupby().cumsum()):             {t_gb * 1e3:7.1f} ms {c_gb * 1e3:7.1f} ms")
    print(f"pandas (groupby + searchsorted tiers):   {t_tp * 1e3:7.1f} ms {c_tp * 1e3:7.1f} ms")
    print(f"crmkit.commission_frame:                 {t_ck * 1e3:7.1f} ms {c_ck * 1e3:7.1f} ms")
    print(f"crmkit.commission_frame, with lines:     {t_lines * 1e3:7.1f} ms {c_lines * 1e3:7.1f} ms ({len(lines):,} lines)")
    # The faster pandas spelling of the run is the peer.
    print(f"ratio pandas / crmkit: {min(t_pd, t_gb, t_tp) / t_ck:.2f} wall, {min(c_pd, c_gb, c_tp) / c_ck:.2f} CPU")


if __name__ == "__main__":
    main()
