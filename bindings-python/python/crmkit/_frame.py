"""``forecast_frame``: the batch entry point over a pandas DataFrame's columns.

No Python object per row on the fast paths: the stage and key columns go down as category
codes (int32) plus their labels, integer and float amounts as int64 units, dates as int64
days; the native module borrows the arrays and computes with the GIL released.
"""

from __future__ import annotations

import datetime
import decimal
from typing import TYPE_CHECKING, Any, Mapping

from crmkit import _native
from crmkit._types import document
from crmkit._wire import as_of_text, to_json

if TYPE_CHECKING:
    import pandas as pd

_MONTH_COLUMNS = ["month", "offset", "deals", "amount", "weighted"]


@document("ForecastPolicy")
def forecast_frame(
    df: pd.DataFrame,
    policy: Mapping[str, Any],
    as_of: datetime.date | str,
    *,
    stage: str = "stage",
    amount: str = "amount",
    entered_stage_on: str | None = None,
    expected_close_on: str | None = None,
    snoozed_until: str | None = None,
    amount_scale: int = 2,
    threads: int = 1,
) -> pd.DataFrame:
    """Weighted funnel forecast of the deals in ``df``, one deal per row.

    ``df`` is a pandas DataFrame, or any Arrow tabular data (an object with the Arrow
    PyCapsule interface: a polars DataFrame, a pyarrow Table or RecordBatch, a DuckDB result;
    reading it needs pyarrow, ``pip install "crmkit[arrow]"``). The result comes in the
    caller's library: pandas in, pandas out; polars in, polars out; otherwise a pyarrow
    Table. From Arrow data (and pandas frames with Arrow dtypes), money comes out as
    decimal128 and the report's ``totals``, ``stages`` and ``months`` as JSON in the Arrow
    schema metadata (``crmkit.totals``...; polars frames carry none); dictionary columns are
    read by their codes, decimal128 amounts exactly (their own scale, not ``amount_scale``),
    ``date32`` / timestamp / ``YYYY-MM-DD`` string columns as dates.

    Columns: ``stage`` (categorical or strings), ``amount`` (see below),
    ``entered_stage_on`` and ``expected_close_on`` (optional: datetime64, or dates / ISO
    strings; NaT = no date; the latter for placement ``expected_close``), ``snoozed_until``
    (optional, likewise: stall snoozes), and one
    column per ``policy["group_by"]`` entry, named after it.

    Amounts, fastest first:

    * integer dtype: units of 10^-``amount_scale`` (cents for the default 2);
    * float dtype: rounded once to ``amount_scale`` places (half to even, as
      ``rint(value * 10**amount_scale)``) by the core, in the pass that sums them; NaN and
      infinities are ``invalid_decimal``;
    * anything else (``Decimal``, ``str``, ``int`` cells of an object or string column): each
      cell is passed as a decimal string and parsed once in Rust. Exact but slower, since it
      touches one Python object per row; floats in such a column are ``invalid_decimal``.

    Returns a long DataFrame, one row per group and month (per month without ``group_by``),
    with columns ``[*group_by, "month", "offset", "deals", "amount", "weighted"]``; money
    columns hold ``decimal.Decimal``. ``attrs["totals"]``, ``attrs["stages"]`` and
    ``attrs["months"]`` carry the report's totals, stage lines and month lines (the months of
    all groups together, rounded once from exact sums, which summing the rows cannot give).

    ``threads`` > 1 sums the rows on that many threads (the GIL is released); the result is
    identical for any count, since the sums are exact integers.

    Raises ``CrmkitError``: ``missing_field`` at the column name of a column not in ``df``;
    the core's codes for a cell at ``stage[i]``, ``amount[i]``, ``entered_stage_on[i]``,
    where ``i`` is the row's position (not its index label) and the names are the
    fields', whatever the columns are called.
    """
    if _arrow_input(df):
        from crmkit._frame_arrow import forecast_arrow

        return forecast_arrow(
            df,
            policy,
            as_of,
            stage=stage,
            amount=amount,
            entered_stage_on=entered_stage_on,
            expected_close_on=expected_close_on,
            snoozed_until=snoozed_until,
            amount_scale=amount_scale,
            threads=threads,
        )
    import numpy as np
    import pandas as pd

    group_by = policy.get("group_by") or []
    if not isinstance(group_by, (list, tuple)):
        group_by = []  # not a list: the core reports invalid_type at group_by
    stage_codes, stage_labels = _codes(_column(df, stage), np, pd)
    amounts = _amounts(_column(df, amount), np, pd)
    entered = None if entered_stage_on is None else _days(_column(df, entered_stage_on), "entered_stage_on", np, pd)
    close = None if expected_close_on is None else _days(_column(df, expected_close_on), "expected_close_on", np, pd)
    snoozed = None if snoozed_until is None else _days(_column(df, snoozed_until), "snoozed_until", np, pd)
    keys = [_codes(_column(df, key), np, pd) for key in group_by]
    report = _native.forecast_columns(
        to_json(policy),
        stage_codes,
        stage_labels,
        amounts,
        amount_scale,
        entered,
        keys,
        as_of_text(as_of),
        threads,
        close,
        snoozed,
    )
    if group_by:
        pairs = [(g["key"], m) for g in report["groups"] for m in g["months"]]
    else:
        pairs = [({}, m) for m in report["months"]]
    columns: dict[str, Any] = {key: [k[key] for k, _ in pairs] for key in group_by}
    columns["month"] = [m["month"] for _, m in pairs]
    for name in ("offset", "deals"):
        columns[name] = np.array([m[name] for _, m in pairs], dtype=np.int64)
    for name in ("amount", "weighted"):
        columns[name] = np.array([m[name] for _, m in pairs], dtype=object)
    out = pd.DataFrame(columns, columns=[*group_by, *_MONTH_COLUMNS])
    out.attrs["totals"] = report["totals"]
    out.attrs["stages"] = report["stages"]
    out.attrs["months"] = report["months"]  # all groups together, rounded from exact sums
    return out


def _arrow_input(df: Any) -> bool:
    """Arrow data other than a numpy-backed pandas frame (which the numpy path reads)."""
    if type(df).__module__.split(".")[0] == "pandas":
        import pandas as pd

        return any(isinstance(dtype, pd.ArrowDtype) for dtype in getattr(df, "dtypes", []))
    from crmkit._arrow import is_arrow

    return is_arrow(df)


def _error(code: str, path: str, message: str) -> _native.CrmkitError:
    err = _native.CrmkitError(f"{path}: {message}")
    err.code = code
    err.path = path
    return err


def _column(df: Any, name: Any) -> Any:
    if name not in df.columns:
        raise _error("missing_field", str(name), f"the frame has no column {name!r}")
    return df[name]


def _codes(series: Any, np: Any, pd: Any) -> tuple[Any, list[str]]:
    """Category codes (int32, -1 for missing) and the labels they index."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, labels = series.cat.codes.to_numpy(), series.cat.categories
    else:
        codes, labels = pd.factorize(series)
    return np.ascontiguousarray(codes, dtype=np.int32), [str(label) for label in labels]


def _amounts(series: Any, np: Any, pd: Any) -> Any:
    """int64 units or float64 values as a numpy array (the core rounds floats to the scale,
    in the same pass that sums them), or a list of decimal strings for anything else."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        pass  # True is not an amount: the string path refuses it per cell
    elif pd.api.types.is_integer_dtype(dtype):
        missing = series.isna().to_numpy()
        if missing.any():
            i = int(missing.argmax())
            raise _error("invalid_decimal", f"amount[{i}]", "missing amount")
        if dtype.kind == "u" and len(series) and series.max() >= 2**63:
            i = int((series >= 2**63).to_numpy().argmax())
            raise _error("overflow", f"amount[{i}]", "arithmetic overflow")
        return np.ascontiguousarray(series.to_numpy(dtype=np.int64))
    elif pd.api.types.is_float_dtype(dtype):
        return np.ascontiguousarray(series.to_numpy(dtype=np.float64, na_value=np.nan))
    return [_decimal_text(v, i) for i, v in enumerate(series.to_numpy(dtype=object))]


def _decimal_text(value: Any, i: int) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, decimal.Decimal):
        return format(value, "f")  # see crmkit._wire: no exponent form
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if hasattr(value, "__index__") and not isinstance(value, bool):
        return str(value.__index__())  # numpy integers in an object column
    what = "a binary float; pass money as decimal strings or Decimal" if isinstance(value, float) else "not a decimal number"
    raise _error("invalid_decimal", f"amount[{i}]", f"{value!r} is {what}")


def _days(series: Any, field: str, np: Any, pd: Any) -> Any:
    """Days since 1970-01-01 as int64; numpy's NaT (i64 minimum) for a missing date."""
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        # YYYY-MM-DD only, as everywhere in crmkit: "01/02/2026" is ambiguous, never guessed.
        parsed = pd.to_datetime(series, errors="coerce", format="%Y-%m-%d")
        bad = (parsed.isna() & series.notna()).to_numpy()
        if bad.any():
            i = int(bad.argmax())
            raise _error("invalid_date", f"{field}[{i}]", f"{series.iloc[i]!r} is not a date")
        series = parsed
    if getattr(series.dtype, "tz", None) is not None:
        series = series.dt.tz_localize(None)  # the wall-clock date where the deal happened
    days = series.to_numpy().astype("datetime64[D]")  # floors a time of day to its date
    return np.ascontiguousarray(days.view(np.int64))
