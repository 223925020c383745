"""crmkit.forecast_frame on the same 1M deals given as pandas, polars and pyarrow data.

The deals of forecast_pandas.py (seed 42, 200 owners), as a pandas DataFrame (category
codes, int64 cents), a polars DataFrame (Categorical stage and owner, Int64 cents, Datetime)
and a pyarrow Table (dictionary columns, decimal128(18, 2) yuan, date32). Each result is
checked equal to the pandas one, month by month, to the cent. Best of 7, one thread.

    .venv/bin/python benches/peers/forecast_polars.py [n]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as forecast_pandas.py: idle BLAS threads spin

import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

import crmkit

sys.path.insert(0, str(Path(__file__).parent))
from forecast_pandas import AS_OF, best, generate, policy  # noqa: E402


def run(data, placement: str):
    # The pandas and polars frames hold int64 cents (declared: amount_scale=2); the pyarrow
    # table decimal128 yuan, which carry their own scale.
    cents = not isinstance(data, pa.Table)
    return crmkit.forecast_frame(
        data,
        policy(placement),
        AS_OF,
        entered_stage_on="entered" if placement == "actual" else None,
        amount_scale=2 if cents else None,
    )


def months(out) -> list[tuple[str, str, Decimal]]:
    if isinstance(out, pa.Table):
        cols = out.to_pydict()
    elif hasattr(out, "attrs"):  # pandas
        cols = {name: out[name].tolist() for name in ("owner", "month", "weighted")}
    else:  # polars
        cols = out.to_dict(as_series=False)
    return sorted(zip(map(str, cols["owner"]), cols["month"], [Decimal(v) for v in cols["weighted"]]))


def main() -> None:
    n = int(sys.argv[1].replace("_", "")) if len(sys.argv) > 1 else 1_000_000
    df = generate(n)[["stage", "owner", "amount", "entered"]]
    cents = df["amount"].to_numpy()
    words = np.empty(2 * n, dtype="<i8")  # decimal128 values: low word the cents, high word its sign
    words[0::2], words[1::2] = cents, cents >> 63
    frames = {
        "pandas (category, int64 cents)": df,
        "polars (Categorical, Int64 cents)": pl.from_pandas(df),
        "pyarrow (dictionary, decimal128 yuan)": pa.table(
            {
                "stage": pa.array(df["stage"]),
                "owner": pa.array(df["owner"]),
                "amount": pa.Array.from_buffers(pa.decimal128(18, 2), n, [None, pa.py_buffer(words)]),
                "entered": pa.array(df["entered"].to_numpy().astype("datetime64[D]"), pa.date32()),
            }
        ),
    }
    print(f"crmkit {crmkit.__version__} forecast_frame, {n:,} deals, group_by owner, best of 7, one thread;"
          f" polars {pl.__version__}, pyarrow {pa.__version__}")
    print(f"{'placement':<14}{'input':<36}{'ms':>8}{'vs pandas':>11}")
    for placement in ("half_elapsed", "actual"):
        base, reference = None, None
        for label, data in frames.items():
            t, out = best(run, data, placement)
            got = months(out)
            if reference is None:
                base, reference = t, got
            assert got == reference, f"{label} differs from pandas"
            print(f"{placement:<14}{label:<36}{t * 1e3:>8.1f}{t / base:>10.2f}x")
    print("every input gives the pandas result, group by group and month by month, to the cent")


if __name__ == "__main__":
    main()
