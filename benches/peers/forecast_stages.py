"""Where `forecast_frame`'s time goes on the issue-7 book, stage by stage, beside the pandas peer.

    chrt -f 1 .venv/bin/python benches/peers/forecast_stages.py [n]     (default n = 1_000_000)

For each question of the book (owner x month, the team pipeline) with int64 cents and
``money="units"``, thread CPU time (``time.thread_time``), best of ``RUNS`` calls, of:

* ``pandas``: the bincount peer of forecast_book.py (``pandas_book``);
* ``forecast_frame``: the whole call, DataFrame in and out;
* ``input``: what ``forecast_frame`` does in Python before the native call (stage codes,
  amounts, key and date columns handed over as they are);
* ``native``: ``_native.forecast_frame_columns`` on those arguments: the Rust core (reading
  the ticks and ids in place) and the output columns built in Rust;
* ``frame``: building the result DataFrame and its attrs from the native call's columns.

The ratio is pandas / forecast_frame (the issue's target: >= 5x on both questions).
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from forecast_book import book_policy, crmkit_book, generate_book, pandas_book  # noqa: E402
from forecast_pandas import AS_OF  # noqa: E402

import crmkit  # noqa: E402
from crmkit import _frame, _native, _wire  # noqa: E402

RUNS = 15


def cpu(fn, *args) -> float:
    """Best thread CPU time of RUNS calls, in ms."""
    best = float("inf")
    for _ in range(RUNS):
        start = time.thread_time()
        fn(*args)
        best = min(best, time.thread_time() - start)
    return best * 1e3


def prepare(df: pd.DataFrame, key: str) -> tuple:
    """The native call's arguments, as forecast_frame prepares them."""
    stage, labels = _frame._codes(df["stage"], np, pd, narrow=(np.int8,))
    units = _frame._amounts(df["amount"], np, pd, 2)
    keys = [_frame._key(df[key], np, pd)]
    close = _frame._date_column(df["expected_close"], "expected_close_on", np, pd)
    policy = _wire.to_json(book_policy(key))
    return (policy, stage, labels, units, 2, keys, AS_OF.isoformat(), 1, None, close, None, True)


def to_frame(df: pd.DataFrame, key: str, cols: dict) -> pd.DataFrame:
    """What forecast_frame does with the native call's columns."""
    columns = {key: cols["keys"][0].astype(df[key].dtype, copy=False)}
    for name in _frame._MONTH_COLUMNS:
        columns[name] = _frame._text_column(*cols[name], np, pd) if name == "month" else cols[name]
    out = pd.DataFrame(columns)  # in forecast_frame's column order
    out.attrs["money_scale"] = 2
    _wire.share_attrs(out.attrs, {k: cols[k] for k in ("totals", "stages", "months", "groups")})
    return out


def main() -> None:
    n = int(sys.argv[1].replace("_", "")) if len(sys.argv) > 1 else 1_000_000
    df = generate_book(n)
    print(f"crmkit {crmkit.__version__}, pandas {pd.__version__}, numpy {np.__version__}: the issue-7 book, {n:,} deals,"
          f" int64 cents, money='units'; thread CPU ms, best of {RUNS}")
    print(f"{'question':<10}{'pandas':>9}{'frame':>9}{'ratio':>8}{'input':>9}{'native':>9}{'to frame':>10}")
    for key in ("owner", "team"):
        args = prepare(df, key)
        cols = _native.forecast_frame_columns(*args)
        t_pandas = cpu(pandas_book, df, key, "amount")
        t_frame = cpu(crmkit_book, df, key, "amount")
        t_pandas = min(t_pandas, cpu(pandas_book, df, key, "amount"))
        t_frame = min(t_frame, cpu(crmkit_book, df, key, "amount"))
        t_input = cpu(prepare, df, key)
        t_native = cpu(_native.forecast_frame_columns, *args)
        t_out = cpu(to_frame, df, key, cols)
        print(f"{key:<10}{t_pandas:>9.2f}{t_frame:>9.2f}{t_pandas / t_frame:>7.2f}x{t_input:>9.2f}{t_native:>9.2f}{t_out:>10.2f}")


if __name__ == "__main__":
    main()
