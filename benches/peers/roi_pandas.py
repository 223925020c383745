"""crmkit.attribution_frame against a clean vectorised pandas/numpy attribution, exact cents.

    .venv/bin/python benches/peers/roi_pandas.py [n]        (default n = 1_000_000 journeys)

The journeys are the benchmark data of `benches/src/roi.rs` (splitmix64 as a counter, seed
42, 5 touches each over 7 channels, 3 in 4 converting), generated here with vectorised uint64
numpy into one DataFrame of touches. Both sides compute, for linear and for time-decay
(half-life 7 days) attribution, every touch's credit in exact cents (largest remainder within
each journey, earlier touches first on ties) and the credit per channel. The pandas side is
written as fast as idiomatic numpy/pandas allows: contiguous journeys as np.add.reduceat
segments, no groupby-apply, no Python loop over rows; linear's extra cents as an int8 running
sum of +1 / -1 marks (no per-row position); time decay weighs each touch by its distance to
the journey's last row (the rows are in time order: no per-journey minimum), as a timedelta
quotient in the column's own unit; its leftovers go to the largest remainders by each touch's
rank within its journey, counted with shifted whole-column comparisons in (longest journey -
1) rounds over int8 ranks and int32 journey numbers, 3x faster than the per-journey argmax
rounds of np.maximum.reduceat it replaced (which beat one np.lexsort of every remainder
several times over).
Timings are the best of 7, wall and CPU time of the process (both sides on one thread);
building the frame is not timed. The script checks that both sides
agree on every row's credit and every channel's total to the cent, then prints the ratio pandas / crmkit per model
(crmkit.attribution_frame, one model a call), for linear + time decay as the sum of those two
calls, and for linear + time decay asked for together: crmkit.compare_attribution_frame with
both models (the journeys read once, each model's per-row credits in attrs["credits"]) against
the same pandas code sharing what both models read (journey starts, lengths, converted revenue,
channel codes) instead of computing it twice.
"""

from __future__ import annotations

import os
import sys
import time
from decimal import Decimal

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import crmkit  # noqa: E402
from seeded import draws  # noqa: E402

SEED = 42
TOUCHES = 5
CHANNELS = ["web_ads", "search", "mobile", "email", "events", "print", "tv"]
CONVERTED_ON = np.datetime64("2026-11-23", "D")
REPEAT = 7


def generate(n: int) -> pd.DataFrame:
    rows = n * TOUCHES
    x = draws(SEED, 0, rows)
    y = draws(SEED, rows, n)
    converted = y % np.uint64(4) != 0
    cents = np.where(converted, (np.uint64(100_000) + (y >> np.uint64(16)) % np.uint64(10_000_000)).astype(np.int64), 0)
    t = np.tile(np.arange(TOUCHES, dtype=np.uint64), n)
    before = ((np.uint64(4) - t) * np.uint64(3) + (x >> np.uint64(8)) % np.uint64(3)).astype("timedelta64[D]")
    conv = np.where(np.repeat(converted, TOUCHES), CONVERTED_ON, np.datetime64("NaT", "D"))
    return pd.DataFrame(
        {
            "journey": np.repeat(np.arange(n, dtype=np.int64), TOUCHES),
            "channel": pd.Categorical.from_codes((x % np.uint64(7)).astype(np.int8), categories=CHANNELS),
            "on": pd.Series(CONVERTED_ON - before).astype("datetime64[s]"),
            "revenue": np.repeat(cents, TOUCHES),
            "converted_on": pd.Series(conv).astype("datetime64[s]"),
        }
    )


def journeys_of(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The journeys' first rows, lengths and revenue (0 unless converted): what every model
    reads, computed once when several models run over one frame."""
    journey = df["journey"].to_numpy()
    n = len(journey)
    first = np.empty(n, dtype=bool)
    first[:1] = True
    np.not_equal(journey[1:], journey[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    sizes = np.diff(starts, append=n)
    # Who converted, read on the journeys' first rows only.
    converted = ~np.isnat(df["converted_on"].to_numpy()[starts])
    revenue = np.where(converted, df["revenue"].to_numpy()[starts], 0)
    return starts, sizes, revenue, n


def linear_credits(starts: np.ndarray, sizes: np.ndarray, revenue: np.ndarray, n: int) -> np.ndarray:
    each, extra = np.divmod(revenue, sizes)
    credit = np.repeat(each, sizes)
    # One more cent to each journey's first `extra` touches: +1 at its first row, -1 after
    # the extra ones, summed along the rows (int8: the running sum is 0 or 1).
    bump = np.zeros(n + 1, dtype=np.int8)
    bump[starts] = 1
    bump[starts + extra] -= 1
    credit += np.cumsum(bump[:-1], dtype=np.int8)
    return credit


def time_decay_credits(df: pd.DataFrame, starts: np.ndarray, sizes: np.ndarray, revenue: np.ndarray, n: int) -> np.ndarray:
    # Weight 2^(-days before the journey's latest touch / 7) (the same split as days before
    # the conversion): the touches are in time order, so the latest is the last row, and
    # a timedelta ÷ 7 days is the exact float quotient for whole days in any unit.
    on = df["on"].to_numpy()
    latest = on[starts + sizes - 1]
    weight = np.exp2((on - np.repeat(latest, sizes)) / np.timedelta64(7, "D"))
    exact = np.repeat(revenue / np.add.reduceat(weight, starts), sizes) * weight
    credit = exact.astype(np.int64)  # floor: non-negative
    remainder = exact - credit
    # Ranks and leftovers (both below the journey's length) and journey numbers in the
    # narrowest integers that hold them: the rounds below are memory-bound.
    small = np.int8 if sizes.max() <= 127 else np.int32
    left = np.repeat((revenue - np.add.reduceat(credit, starts)).astype(small), sizes)
    # The leftover cents, one each to the largest remainders (earlier touches first on
    # ties): a touch gets one when its rank among its journey's remainders is below the
    # journey's leftover count. The rank counts, for each distance d, the touch d rows
    # later (earlier) in the same journey with a larger (not smaller) remainder: (longest
    # journey - 1) rounds of a few whole-column operations, 3x faster than rounds of a
    # per-journey argmax by np.maximum.reduceat, which beat one np.lexsort of every
    # remainder several times over.
    group = np.repeat(np.arange(len(starts), dtype=np.int32 if len(starts) < 2**31 else np.int64), sizes)
    rank = np.zeros(n, dtype=small)
    for d in range(1, int(sizes.max())):
        same = group[d:] == group[:-d]
        before, after = remainder[:-d], remainder[d:]
        rank[:-d] += same & (after > before)
        rank[d:] += same & (before >= after)
    credit += rank < left
    return credit


def by_channel(codes: np.ndarray, credit: np.ndarray) -> np.ndarray:
    return np.bincount(codes, weights=credit, minlength=len(CHANNELS)).astype(np.int64)


def pandas_attribution(df: pd.DataFrame, model: str) -> tuple[np.ndarray, np.ndarray]:
    """Each row's credit and the credits per channel, in cents: the clean vectorised way."""
    journeys = journeys_of(df)
    credit = linear_credits(*journeys) if model == "linear" else time_decay_credits(df, *journeys)
    return credit, by_channel(df["channel"].cat.codes.to_numpy(), credit)


def pandas_both(df: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Both models over one frame, as an expert asked for both writes it: the journeys and
    channel codes read once, then each model's credits and channel totals."""
    journeys = journeys_of(df)
    codes = df["channel"].cat.codes.to_numpy()
    linear = linear_credits(*journeys)
    decay = time_decay_credits(df, *journeys)
    return {"linear": (linear, by_channel(codes, linear)), "time_decay": (decay, by_channel(codes, decay))}


def crmkit_attribution(df: pd.DataFrame, model: dict) -> tuple[np.ndarray, np.ndarray]:
    # The frame's revenue is int64 cents: revenue_scale=2 declares them (integers are whole
    # units otherwise).
    out = crmkit.attribution_frame(df, {"model": model}, revenue_scale=2)
    by_name = dict(zip(out["channel"], out["credit"]))
    return out.attrs["credits"], np.array([int(by_name.get(c, Decimal(0)) * 100) for c in CHANNELS], dtype=np.int64)


def crmkit_both(df: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Both models in one call: compare_attribution_frame reads the journeys once for both and
    hands back each model's per-row credits beside the channel table."""
    policy = {"models": [{"kind": "linear"}, {"kind": "time_decay", "half_life_days": "7"}]}
    out = crmkit.compare_attribution_frame(df, policy, revenue_scale=2)
    return {
        name: (out.attrs["credits"][name], np.array([int(out[name].get(c, Decimal(0)) * 100) for c in CHANNELS], dtype=np.int64))
        for name in ("linear", "time_decay")
    }


def agreement(peer: tuple[np.ndarray, np.ndarray], ours: tuple[np.ndarray, np.ndarray]) -> str:
    same = "agree to the cent" if np.array_equal(peer[1], ours[1]) else f"DIFFER by {np.abs(peer[1] - ours[1]).max()} cents"
    rows = np.count_nonzero(peer[0] != ours[0])
    return same + (", every row too" if rows == 0 else f", {rows:,} rows DIFFER")


def best(f) -> tuple[float, float, object]:
    """Best wall time and best CPU time of the process (both sides run on one thread) over
    REPEAT runs: on a machine shared with other work the CPU time is the steadier figure."""
    times, cpus, result = [], [], None
    for _ in range(REPEAT):
        c0, t0 = time.process_time(), time.perf_counter()
        result = f()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return min(times), min(cpus), result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    df = generate(n)
    print(f"{n:,} journeys x {TOUCHES} touches ({len(df):,} rows), best of {REPEAT}; load average {os.getloadavg()[0]:.1f}")
    print(f"{'':<22} {'wall (best)':^29} {'CPU (best)':^29}")
    print(f"{'model':<22} {'pandas':>10} {'crmkit':>10} {'ratio':>7} {'pandas':>10} {'crmkit':>10} {'ratio':>7}  credits")
    sums = [0.0, 0.0, 0.0, 0.0]
    for name, model in [("linear", {"kind": "linear"}), ("time_decay", {"kind": "time_decay", "half_life_days": "7"})]:
        tp, cp, peer = best(lambda: pandas_attribution(df, name))
        tc, cc, ours = best(lambda: crmkit_attribution(df, model))
        for k, v in enumerate((tp, tc, cp, cc)):
            sums[k] += v
        same = agreement(peer, ours)
        print(f"{name:<22} {tp * 1000:>8.1f}ms {tc * 1000:>8.1f}ms {tp / tc:>6.2f}x {cp * 1000:>8.1f}ms {cc * 1000:>8.1f}ms {cp / cc:>6.2f}x  {same}")
    tp, tc, cp, cc = sums
    print(f"{'both, two calls':<22} {tp * 1000:>8.1f}ms {tc * 1000:>8.1f}ms {tp / tc:>6.2f}x {cp * 1000:>8.1f}ms {cc * 1000:>8.1f}ms {cp / cc:>6.2f}x")
    tp, cp, peer = best(lambda: pandas_both(df))
    tc, cc, ours = best(lambda: crmkit_both(df))
    same = "; ".join(f"{m}: {agreement(peer[m], ours[m])}" for m in ("linear", "time_decay"))
    print(f"{'both, one call':<22} {tp * 1000:>8.1f}ms {tc * 1000:>8.1f}ms {tp / tc:>6.2f}x {cp * 1000:>8.1f}ms {cc * 1000:>8.1f}ms {cp / cc:>6.2f}x  {same}")


if __name__ == "__main__":
    main()
