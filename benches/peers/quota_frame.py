"""quota_frame from Python on the issue-7 book: 1,000,000 deals (benches/peers/forecast_book.py),
500 int owners, won rows dated in the past (as forecast_cpu's book_by_owner_quota), 4,500 quotas
(500 owners x 9 quarters, 5,000 lines), against forecast_frame on the same DataFrame.

    .venv/bin/python benches/peers/quota_frame.py [label]

Needs the wheel installed (`bash scripts/python.sh --build-only`, then pip install it). Prints
best / median of 15 (ms) for forecast_frame, quota_frame (Decimal columns), quota_frame with
money="units" (int64 columns built in Rust), and money="units" with the quotas as a DataFrame
(read in Rust); "native" is the best time of the native call inside each.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np
import pandas as pd

import crmkit
from crmkit import _native
from forecast_book import generate_book, book_policy, AS_OF

df = generate_book(1_000_000)
won = (df["stage"] == "won").to_numpy()
days = (np.arange(len(df)) % 400).astype("timedelta64[D]")
close = df["expected_close"].to_numpy().copy()
close[won] = (np.datetime64(AS_OF) - days[won]).astype("datetime64[ns]")
df["expected_close"] = close
quarters = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
owners = sorted(df["owner"].unique().tolist())
quotas = [{"key": {"owner": str(o)}, "period": q, "amount": str(1_000_000 + 10_000 * (k % 500))}
          for k, o in enumerate(owners) for q in quarters]
pol = book_policy("owner")
qframe = pd.DataFrame({"owner": np.repeat(np.array(owners, dtype=np.int64), len(quarters)),
                       "period": quarters * len(owners),
                       "amount": np.repeat(1_000_000 + 10_000 * (np.arange(len(owners)) % 500), len(quarters))})
kw = dict(amount="amount", expected_close_on="expected_close", amount_scale=2)
def fc():
    return crmkit.forecast_frame(df, pol, AS_OF, **kw)
def qf():
    return crmkit.quota_frame(df, pol, {"group_by": ["owner"], "period": "quarter"}, quotas, AS_OF, **kw)
def qu():
    return crmkit.quota_frame(df, pol, {"group_by": ["owner"], "period": "quarter"}, quotas, AS_OF, money="units", **kw)
def qd():
    return crmkit.quota_frame(df, pol, {"group_by": ["owner"], "period": "quarter"}, qframe, AS_OF, money="units", **kw)
orig = _native.quota_columns
t_native = []
def wrapped(*a, **k):
    t = time.perf_counter(); r = orig(*a, **k); t_native.append(time.perf_counter() - t); return r
_native.quota_columns = wrapped
def best(f, n=15):
    ts = []
    t_native.clear()
    for _ in range(n):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    ts.sort()
    nat = min(t_native) * 1e3 if t_native else float("nan")
    return ts[0] * 1e3, ts[len(ts) // 2] * 1e3, nat
has_units = True
try:
    qu()
except Exception as e:
    has_units = False
out = qf()
a, b = best(fc), best(qf)
c = best(qu) if has_units else (float("nan"),) * 3
d = best(qd) if has_units else (float("nan"),) * 3
label = sys.argv[1] if len(sys.argv) > 1 else crmkit.__file__
print(f"{label}: rows {len(out)} forecast_frame {a[0]:.2f}/{a[1]:.2f} quota_frame {b[0]:.2f}/{b[1]:.2f} (native {b[2]:.2f}) "
      f"units {c[0]:.2f}/{c[1]:.2f} (native {c[2]:.2f}) units+quota frame {d[0]:.2f}/{d[1]:.2f} (native {d[2]:.2f}) ms (best/median)")
