"""crmkit.evaluate_pool_frame against a clean vectorised pandas / numpy recycling pass.

    .venv/bin/python benches/peers/pool_pandas.py [n] [activities per record]   (default 1_000_000, 10)

The book is the benchmark data of `benches/benches/pool.rs` (splitmix64 as a counter, seed
42): n records (2,000 owners, levels A-D, 10 departments, 2 % locked, a latest opportunity
on a third of them) and 10 n follow-up activities (5 types, 80 % by the owner, logged up to
60 h after the contact), as_of 2026-11-23T02:00+08:00. The policy: level A customers in a
60-day pool, everyone else in a 30-day pool with a 90-day no-new-opportunity rule; calls,
visits and WeChat by the owner count, back-dating over 48 h does not; 3 days' warning;
calendar days in Asia/Shanghai, exclusive boundary.

pandas does what a numpy expert would: boolean masks over the activity columns, the
per-record maximum by a pandas groupby max on the integer record positions, and dates by integer arithmetic in a fixed UTC+8 offset (Shanghai has had no DST
since 1991, a shortcut crmkit does not take). Timings are the best of 5; building the frames
is not timed. The script checks that both give the same decisions and due instants, then
prints the ratio pandas / crmkit.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import crmkit  # noqa: E402

SEED = 42
DAY = 86_400_000
HOUR = 3_600_000
SH = 8 * HOUR
AS_OF = "2026-11-23T02:00:00+08:00"
AS_OF_MS = int(pd.Timestamp(AS_OF).value // 1_000_000)
TYPES = ["call", "visit", "wechat", "email", "note"]
LEVELS = ["A", "B", "C", "D"]
REPEAT = 5

POLICY = {
    "time_zone": "Asia/Shanghai",
    "pools": [
        {
            "id": "key_accounts", "priority": 1, "scope": {"levels": ["A"]}, "warn_before": 3,
            "follow_up": {"types": ["call", "visit", "wechat"], "backdate_limit_hours": 48},
            "rules": [{"id": "60d", "kind": "no_follow_up", "limit": 60}],
        },
        {
            "id": "all", "scope": {"everyone": True}, "warn_before": 3,
            "follow_up": {"types": ["call", "visit", "wechat"], "backdate_limit_hours": 48},
            "rules": [{"id": "30d", "kind": "no_follow_up", "limit": 30}, {"id": "opp90", "kind": "no_new_opportunity", "limit": 90}],
        },
    ],
}


def mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def draws(seed: int, start: int, count: int) -> np.ndarray:
    k = np.arange(start + 1, start + count + 1, dtype=np.uint64)
    return mix(np.uint64(seed) + k * np.uint64(0x9E3779B97F4A7C15))


def generate(n: int, per: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Rust bench's book: record i uses x_{2i}, x_{2i+1}; activity j uses y_{2j}, y_{2j+1}
    of the stream seeded SEED + 1."""
    with np.errstate(over="ignore"):
        x = draws(SEED, 0, 2 * n)
        a, b = x[0::2], x[1::2]
        owner = (a % np.uint64(2000)).astype(np.int32)
        claimed = AS_OF_MS - ((a >> np.uint64(16)) % np.uint64(180 * DAY)).astype(np.int64)
        has_opp = (b % np.uint64(3)) == 0
        opp = np.where(has_opp, AS_OF_MS - ((b >> np.uint64(8)) % np.uint64(200 * DAY)).astype(np.int64), np.iinfo(np.int64).min)
        users = [f"u{i:04}" for i in range(2000)]
        records = pd.DataFrame(
            {
                "owner": pd.Categorical.from_codes(owner, categories=users),
                "claimed_at": pd.to_datetime(claimed, unit="ms", utc=True),
                "level": pd.Categorical.from_codes(((a >> np.uint64(40)) % np.uint64(4)).astype(np.int8), categories=LEVELS),
                "department": pd.Categorical.from_codes(((a >> np.uint64(50)) % np.uint64(10)).astype(np.int8), categories=[f"d{i}" for i in range(10)]),
                "locked": (b >> np.uint64(20)) % np.uint64(50) == 0,
                "last_opportunity_at": pd.to_datetime(np.where(has_opp, opp, np.iinfo(np.int64).min).view("datetime64[ms]"), utc=True),
            }
        )
        m = n * per
        y = draws(SEED + 1, 0, 2 * m)
        c, d = y[0::2], y[1::2]
        rec = (c % np.uint64(n)).astype(np.int32)
        by_owner = (d % np.uint64(5)) != 0
        actor = np.where(by_owner, owner[rec], ((d >> np.uint64(8)) % np.uint64(2000)).astype(np.int32)).astype(np.int32)
        at = AS_OF_MS - 3 * DAY - ((c >> np.uint64(20)) % np.uint64(150 * DAY)).astype(np.int64)
        logged = at + ((d >> np.uint64(24)) % np.uint64(60 * HOUR)).astype(np.int64)
        activities = pd.DataFrame(
            {
                "record": rec,
                "at": pd.to_datetime(at, unit="ms", utc=True),
                "logged_at": pd.to_datetime(logged, unit="ms", utc=True),
                "type": pd.Categorical.from_codes(((d >> np.uint64(40)) % np.uint64(5)).astype(np.int8), categories=TYPES),
                "actor": pd.Categorical.from_codes(actor, categories=users),
            }
        )
    return records, activities


def ms(s: pd.Series) -> np.ndarray:
    return s.dt.tz_convert(None).to_numpy().astype("datetime64[ms]").view(np.int64)


def pandas_pass(records: pd.DataFrame, activities: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Decision codes (0 keep, 1 warn, 2 recycle, 3 exempt) and due instants (ms)."""
    none = np.iinfo(np.int64).min
    owner = records["owner"].cat.codes.to_numpy()
    claimed = ms(records["claimed_at"])
    key = (records["level"].cat.codes.to_numpy() == 0)
    rec = activities["record"].to_numpy()
    at = ms(activities["at"])
    logged = ms(activities["logged_at"])
    type_ok = np.isin(activities["type"].cat.codes.to_numpy(), [0, 1, 2])
    ok = type_ok & (activities["actor"].cat.codes.to_numpy() == owner[rec]) & (at <= logged) & (logged - at <= 48 * HOUR) & (at >= claimed[rec])
    last = pd.Series(at[ok]).groupby(rec[ok]).max().reindex(range(len(records)), fill_value=none).to_numpy()
    start = np.maximum(claimed, last)
    # Local midnight of (start's local date + limit + 1), in UTC+8.
    def due_day(t: np.ndarray, limit: np.ndarray | int) -> np.ndarray:
        return ((t + SH) // DAY + limit + 1) * DAY - SH
    due = np.maximum(due_day(start, np.where(key, 60, 30)), start)
    opp = ms(records["last_opportunity_at"].fillna(pd.Timestamp(0, tz="UTC")))
    opp = np.where(records["last_opportunity_at"].isna().to_numpy(), none, opp)
    opp_start = np.where(opp >= claimed, opp, claimed)
    due = np.where(key, due, np.minimum(due, np.maximum(due_day(opp_start, 90), opp_start)))
    warn = due - 3 * DAY  # the binding rule's due day, 3 days earlier (always after its start here)
    decision = np.where(AS_OF_MS >= due, 2, np.where(AS_OF_MS >= warn, 1, 0))
    decision = np.where(records["locked"].to_numpy(), 3, decision)
    return decision, due


def best(f, repeat: int = REPEAT) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    per = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    records, activities = generate(n, per)
    t_pd, (dec_pd, due_pd) = best(lambda: pandas_pass(records, activities))
    t_ck, frame = best(lambda: crmkit.evaluate_pool_frame(records, activities, POLICY, AS_OF))
    dec_ck = frame["decision"].cat.codes.to_numpy()
    due_ck = np.where(frame["due_at"].isna().to_numpy(), np.iinfo(np.int64).min, ms(frame["due_at"].fillna(pd.Timestamp(0, tz="UTC"))))
    exempt = dec_ck == 3
    assert (dec_ck == dec_pd).all(), f"decisions differ at {np.flatnonzero(dec_ck != dec_pd)[:5]}"
    assert (due_ck[~exempt] == due_pd[~exempt]).all(), "due instants differ"
    counts = np.bincount(dec_ck, minlength=4)
    print(f"{n:,} records, {len(activities):,} activities; keep / warn / recycle / exempt = {' / '.join(f'{c:,}' for c in counts)}")
    print(f"{'pandas + numpy':<28}{t_pd * 1000:>10.0f} ms")
    print(f"{'crmkit.evaluate_pool_frame':<28}{t_ck * 1000:>10.0f} ms")
    print(f"ratio pandas / crmkit: {t_pd / t_ck:.2f}")


if __name__ == "__main__":
    main()
