"""``forecast_frame``: the batch entry point over a pandas DataFrame's columns.

No Python object per row on the fast paths: the stage and key columns go down as category
codes (int32) plus their labels, integer and float amounts as int64 units, dates as int64
days; the native module borrows the arrays and computes with the GIL released.
"""

from __future__ import annotations

import datetime
import decimal
import operator
import re
from typing import TYPE_CHECKING, Any, Mapping

from crmkit import _native
from crmkit._types import document
from crmkit._wire import _decimal_text as _decimal_wire_text
from crmkit._wire import _Refused, as_of_text, date_text, error, share_attrs, to_json, unicode_labels

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
    probability: str | None = None,
    category: str | None = None,
    last_activity_on: str | None = None,
    amount_scale: int | None = None,
    threads: int = 1,
    money: str = "decimal",
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
    (optional, likewise: stall snoozes), ``last_activity_on`` (optional, likewise: each deal's
    last activity, read by the stages' ``idle_after``; ``attrs["totals"]["idle"]``),
    ``probability`` (optional: each deal's own
    probability of winning in [0, 1], replacing its stage's as ``Deal.probability`` does;
    NaN / null for the stage's own; numbers or ``Decimal``, read as the shortest decimal that
    gives the float back, so 0.35 is 0.35), ``category`` (optional: each deal's own forecast
    category, ``commit`` / ``best_case``..., categorical or strings, missing for the stage's
    own), and one column per ``policy["group_by"]`` entry, named after it. Without the two
    per-deal columns the summing loop is unchanged; with them, a second pass over those two
    columns reads the deals that carry one.

    Amounts, fastest first. The same number is the same money whatever its dtype: 500000 is
    500000 yuan as int64, Int64, float64, an object int or a Decimal.

    * integer dtype: whole units, unless ``amount_scale`` declares minor units
      (``amount_scale=2``: the integers are cents);
    * float dtype: rounded once to ``amount_scale`` places (default: the policy's
      ``rounding.dp``; half to even, as ``rint(value * 10**places)``) by the core, in the pass
      that sums them; NaN and infinities are ``invalid_type``;
    * anything else (``Decimal``, ``str``, ``int`` cells of an object or string column): each
      cell is passed as a decimal string and parsed once in Rust. Exact but slower, since it
      touches one Python object per row; floats in such a column are ``invalid_decimal``,
      missing cells ``invalid_type``.

    Dates: datetime64 columns (any unit, tz-aware as their wall-clock date), or ``date`` /
    midnight ``datetime`` / ``YYYY-MM-DD`` cells; a time of day other than midnight is
    ``invalid_date``, as in every crmkit function.

    Returns a long DataFrame, one row per group and month (per month without ``group_by``;
    the policy's ``horizon_months`` stops the months there, later ones summed apart in
    ``attrs["totals"]["beyond_horizon"]`` and each group's ``beyond_horizon``; with
    ``"dense": True`` every group has a row for every month of the horizon, zeros included),
    with columns ``[*group_by, "month", "offset", "deals", "amount", "weighted"]``; money
    columns hold ``decimal.Decimal``. ``attrs["totals"]``, ``attrs["stages"]`` and
    ``attrs["months"]`` carry the report's totals, stage lines and month lines (the months of
    all groups together, rounded once from exact sums, which summing the rows cannot give);
    with ``group_by`` (pandas input), ``attrs["groups"]`` holds one dict per group, its key
    values (integer ids as ints) and its ``deals``, ``amount`` and ``weighted`` totals, each
    rounded once from the group's exact sums.

    ``money="units"`` (pandas or Arrow input) gives the ``amount`` and ``weighted`` columns as int64
    in units of the policy's ``rounding.dp`` places (cents for the default 2), exact, and
    ``attrs["money_scale"]`` says how many places (Arrow: the schema metadata's
    ``crmkit.money_scale``); the default ``"decimal"`` gives
    ``decimal.Decimal`` objects.

    Key columns of a plain integer dtype (int32 employee ids...) are used as they are and come
    back in their dtype; categorical and other columns come back as text. Dates in a
    datetime64 column are read from its buffer by the native module.

    ``threads`` > 1 sums the rows on up to that many threads (the GIL is released; clamped to
    the machine's parallelism and to what the row count needs; 1 to 1024, else
    ``out_of_range``); the result is identical for any count, since the sums are exact
    integers.

    Raises ``CrmkitError``: ``missing_field`` at the column name of a column not in ``df``;
    the core's codes for a cell at ``stage[i]``, ``amount[i]``, ``entered_stage_on[i]``,
    where ``i`` is the row's position (not its index label) and the names are the
    fields', whatever the columns are called.
    """
    policy_json = to_json(policy, "policy")
    if money not in ("decimal", "units"):
        raise error("invalid_value", "money", f"expected 'decimal' or 'units', got {money!r}")
    amount_scale = _int_arg(amount_scale, "amount_scale", 0, 28)
    threads = _int_arg(threads, "threads", 1, 1024)
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
            probability=probability,
            category=category,
            last_activity_on=last_activity_on,
            amount_scale=amount_scale,
            threads=threads,
            money=money,
        )
    np, pd = _pandas()
    if not isinstance(df, pd.DataFrame):
        raise error("invalid_type", "df", f"expected a pandas DataFrame or Arrow data, got {type(df).__name__}")
    group_by = policy.get("group_by") if isinstance(policy, Mapping) else None
    if not isinstance(group_by, (list, tuple)) or not all(isinstance(k, str) for k in group_by):
        group_by = []  # the core reports what is wrong with it, at group_by
    stage_codes, stage_labels = _codes(_column(df, stage), np, pd, narrow=(np.int8,))
    amounts = _amounts(_column(df, amount), np, pd, amount_scale)
    dates = [
        None if name is None else _date_column(_column(df, name), field, np, pd)
        for name, field in (
            (entered_stage_on, "entered_stage_on"),
            (expected_close_on, "expected_close_on"),
            (snoozed_until, "snoozed_until"),
        )
    ]
    activity = None if last_activity_on is None else _date_column(_column(df, last_activity_on), "last_activity_on", np, pd)
    key_series = [_column(df, key) for key in group_by]
    str_dtype = _str_list_dtype(pd)
    cols = _native.forecast_frame_columns(
        policy_json,
        stage_codes,
        stage_labels,
        amounts,
        amount_scale,
        [_key(series, np, pd) for series in key_series],
        as_of_text(as_of),
        threads,
        *dates,
        money == "units",
        None if probability is None else _probabilities(_column(df, probability), np),
        None if category is None else _codes(_column(df, category), np, pd),
        activity,
        # The month column's Arrow buffers from the native call itself, when pandas makes a
        # list of str an Arrow string column and the column is long enough to gain by it.
        None if str_dtype is None else _ARROW_TEXT_LINES,
    )
    columns: list[Any] = []
    for series, values in zip(key_series, cols["keys"]):
        if isinstance(values, tuple):
            columns.append(_text_column(*values, np, pd))
        else:  # ids in their input's width (int32 or int64); a narrower dtype cast back
            columns.append(values.astype(series.dtype, copy=False) if _int_key(series, np) else values)
    buffers = cols.get("month_buffers")
    columns.append(_text_column(*cols["month"], np, pd) if buffers is None else _arrow_strings(*buffers, str_dtype))
    columns.extend(cols[name] for name in _MONTH_COLUMNS[1:])
    names = [*group_by, *_MONTH_COLUMNS]
    if len(set(names)) == len(names):
        # In order: no columns= (a reindex, ~0.1 ms); no copy of the native module's fresh arrays.
        out = pd.DataFrame(dict(zip(names, columns)), copy=False)
    else:  # a key named like another column: each kept, by position
        out = pd.DataFrame(dict(enumerate(columns)))
        out.columns = names
    if money == "units":
        out.attrs["money_scale"] = _money_scale(policy)
    # months: all groups together, rounded from exact sums; groups: each group's totals, rounded once
    share_attrs(out.attrs, {key: cols[key] for key in ("totals", "stages", "months", *(["groups"] if group_by else []))})
    return out


# From this many lines on, a text column is built from Arrow buffers when pandas would make it
# an Arrow string column (~0.2 ms fixed in a call, against ~0.05 ms per 1,000 Python strings).
_ARROW_TEXT_LINES = 2048


def _text_column(labels: list[str | None], codes: Any, np: Any, pd: Any) -> Any:
    """The column ``[labels[c] for c in codes]`` (``None``: a missing key) as pandas makes it
    of that list, without a Python string per line: when pandas makes a list of str a
    pyarrow-backed string column (pandas 3 with pyarrow), the native module writes the
    column's Arrow buffers and Arrow wraps them; otherwise (object columns, python-backed
    strings, a missing key among the values), and for short columns, the list itself."""
    table = np.empty(len(labels), dtype=object)
    table[:] = labels
    dtype = _str_list_dtype(pd) if len(codes) >= _ARROW_TEXT_LINES else None
    if dtype is not None and (None not in labels or None not in table[np.unique(codes)].tolist()):
        import pyarrow as pa

        return _arrow_strings(*_native.text_buffers(labels, codes), dtype)
    return table[codes].tolist()


def _arrow_strings(offsets: Any, data: Any, dtype: Any) -> Any:
    """The pandas string column (of ``dtype``, a pyarrow-backed ``StringDtype``) over Arrow
    ``large_string`` buffers: int64 offsets and UTF-8 bytes, wrapped without a copy."""
    import pyarrow as pa

    strings = pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data))
    return _STR_ARRAYS[dtype](strings)


_STR_LIST_DTYPES: dict[Any, Any] = {}


def _str_list_dtype(pd: Any) -> Any:
    """The dtype pandas gives a column made of a list of str when it is a pyarrow-backed
    ``StringDtype``, else ``None``. Asked of pandas once per setting of its string options
    (``future.infer_string``, ``mode.string_storage``): asking costs ~0.03 ms a call; without
    pandas' ``using_string_dtype`` (older pandas), asked each time."""
    try:
        from pandas._config import using_string_dtype

        key: Any = (using_string_dtype(), pd.get_option("mode.string_storage"))
    except (ImportError, AttributeError, KeyError):
        key = None
    if key in _STR_LIST_DTYPES:
        return _STR_LIST_DTYPES[key]
    dtype = pd.Series(["-"]).dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        dtype = None
    elif dtype not in _STR_ARRAYS:
        _STR_ARRAYS[dtype] = _str_array_maker(dtype, pd)
    if key is not None:
        _STR_LIST_DTYPES[key] = dtype
    return dtype


# Per pyarrow-backed StringDtype: what makes its pandas array of an Arrow large_string array.
_STR_ARRAYS: dict[Any, Any] = {}


def _str_array_maker(dtype: Any, pd: Any) -> Any:
    """The pandas array of ``dtype`` over an Arrow ``large_string`` array: the array class's
    own constructor where it takes the dtype and gives it back (pandas 3: ~0.03 ms a call
    less than ``pd.array``, whose dispatch it skips), else ``pd.array``."""
    import pyarrow as pa

    def general(strings: Any) -> Any:
        return pd.array(strings, dtype=dtype)

    cls = dtype.construct_array_type()
    probe = pa.array(["-", None], type=pa.large_string())
    try:
        made = cls(probe, dtype=dtype)
    except (TypeError, ValueError):
        return general
    if made.dtype != dtype or not made.equals(general(probe)):
        return general
    return lambda strings: cls(strings, dtype=dtype)


def _probabilities(series: Any, np: Any) -> Any:
    """A probability column as float64, NaN for none (missing cells of any dtype)."""
    try:
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError, decimal.InvalidOperation) as e:
        raise _error("invalid_type", "probability", f"expected numbers (NaN for the stage's own): {e}") from None
    return np.ascontiguousarray(values)


def _money_scale(policy: Any) -> int:
    rounding = policy.get("rounding") if isinstance(policy, Mapping) else None
    dp = rounding.get("dp") if isinstance(rounding, Mapping) else None
    return dp if isinstance(dp, int) else 2


def _int_key(series: Any, np: Any) -> bool:
    """A plain numpy integer column (ids), which the native module reads as it is."""
    dtype = series.dtype
    return isinstance(dtype, np.dtype) and (dtype.kind in "iu" and dtype.itemsize <= 4 or dtype == np.int64)


def _key(series: Any, np: Any, pd: Any) -> tuple:
    """A group_by column for the native module: integer ids as they are, else codes."""
    if _int_key(series, np):
        values = series.to_numpy()
        dtype = np.int32 if values.dtype.itemsize < 4 or values.dtype == np.int32 else np.int64
        return ("ids", np.ascontiguousarray(values, dtype=dtype))
    codes, labels = _codes(series, np, pd, narrow=(np.int8, np.int16))
    return ("codes", codes, labels)


_DAY_UNITS = ("D", "h", "m", "s", "ms", "us", "ns")


def _date_column(series: Any, field: str, np: Any, pd: Any) -> tuple:
    """A date column as (int64 values, numpy datetime64 unit): a tz-naive datetime64 column's
    own buffer (the native module turns it into days and checks it), else days from `_days`."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        unit = np.datetime_data(dtype)[0]
        if unit in _DAY_UNITS:
            return (np.ascontiguousarray(series.to_numpy().view(np.int64)), unit)
    return (_days(series, field, np, pd), "D")


def _arrow_input(df: Any) -> bool:
    """Arrow data other than a numpy-backed pandas frame (which the numpy path reads)."""
    if type(df).__module__.split(".")[0] == "pandas":
        import pandas as pd

        return any(isinstance(dtype, pd.ArrowDtype) for dtype in _dtypes(df))
    from crmkit._arrow import is_arrow

    return is_arrow(df)


def _dtypes(df: Any) -> Any:
    """A pandas frame's column dtypes, in order: from its block manager where it has one
    (``df._mgr.get_dtypes()``, what ``df.dtypes`` wraps in a new Series, pandas 1 to 3: ~0.06
    ms less a call with caches cold, as after a native pass), else ``df.dtypes``."""
    get_dtypes = getattr(getattr(df, "_mgr", None), "get_dtypes", None)
    return get_dtypes() if callable(get_dtypes) else getattr(df, "dtypes", [])


_error = error


def _pandas(function: str = "forecast_frame") -> tuple[Any, Any]:
    """numpy and pandas, or an ImportError that says how to install them."""
    try:
        import numpy as np
        import pandas as pd
    except ImportError as e:
        raise ImportError(
            f"{function} needs pandas and numpy ({e.name} is not installed): pip install 'crmkit[pandas]'"
        ) from e
    return np, pd


def _int_arg(value: Any, name: str, low: int, high: int) -> Any:
    """An integer argument in [low, high] (numpy integers too); ``None`` stays ``None``."""
    if value is None and name in ("amount_scale", "revenue_scale"):
        return None
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise error("invalid_type", name, f"expected an integer, got {type(value).__name__}")
    value = operator.index(value)
    if not low <= value <= high:
        raise _native_out_of_range(name, value, low, high)
    return value


def _native_out_of_range(name: str, value: int, low: int, high: int) -> _native.CrmkitError:
    return error("out_of_range", name, f"{value} is outside [{low}, {high}]")


def _column(df: Any, name: Any) -> Any:
    if name not in df.columns:
        raise _error("missing_field", str(name), f"the frame has no column {name!r}")
    return df[name]


def _codes(series: Any, np: Any, pd: Any, narrow: tuple = ()) -> tuple[Any, list[str]]:
    """Category codes (int32, -1 for missing) and the labels they index; ``narrow``: the
    narrower dtypes a categorical's codes are kept in as they are (int8 up to 127 categories,
    int16 up to 32,767), for a native reader of each (no 4-byte copy of the column)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        # The Categorical's own codes (``.cat.codes`` makes a Series of them: ~0.04 ms).
        codes, labels = series.array.codes, series.dtype.categories
    else:
        codes, labels = pd.factorize(series)
    texts = unicode_labels([str(label) for label in labels], f"{series.name}")
    dtype = codes.dtype if codes.dtype in narrow else np.int32
    return np.ascontiguousarray(codes, dtype=dtype), texts


def _amounts(series: Any, np: Any, pd: Any, scale: int | None = None, field: str = "amount") -> Any:
    """int64 units or float64 values as a numpy array (the core rounds floats to the scale,
    in the same pass that sums them), or a list of decimal strings for anything else."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        pass  # True is not an amount: the string path refuses it per cell
    elif pd.api.types.is_integer_dtype(dtype):
        # A numpy integer column holds no missing value (no mask of a million False to scan).
        missing = None if isinstance(dtype, np.dtype) else series.isna().to_numpy()
        if missing is not None and missing.any():
            i = int(missing.argmax())
            raise _error("invalid_type", f"{field}[{i}]", f"missing {field}: a row without one cannot be counted")
        if dtype.kind == "u" and len(series) and series.max() >= 2**63:
            i = int((series >= 2**63).to_numpy().argmax())
            raise _error("overflow", f"{field}[{i}]", "arithmetic overflow")
        return np.ascontiguousarray(series.to_numpy(dtype=np.int64))
    elif pd.api.types.is_float_dtype(dtype):
        return np.ascontiguousarray(series.to_numpy(dtype=np.float64, na_value=np.nan))
    if scale:
        # Minor units are declared for integers; a Decimal or a string is an amount as written.
        raise _error(
            "invalid_value", f"{field}_scale", f"{field}_scale declares integer minor units; the {dtype} column holds amounts as written"
        )
    return [_decimal_text(v, i, field) for i, v in enumerate(series.to_numpy(dtype=object))]


def _decimal_text(value: Any, i: int, field: str = "amount") -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, decimal.Decimal):
        return _decimal_wire_text(value)  # no exponent form, and no billion-digit string
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if hasattr(value, "__index__") and not isinstance(value, bool):
        return str(value.__index__())  # numpy integers in an object column
    if _missing(value):
        raise _error("invalid_type", f"{field}[{i}]", f"missing {field}: a row without one cannot be counted")
    what = "a binary float; pass money as decimal strings or Decimal" if isinstance(value, float) else "not a decimal number"
    raise _error("invalid_decimal", f"{field}[{i}]", f"{value!r} is {what}")


def _missing(value: Any) -> bool:
    """None, NaN, pandas.NA or NaT."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float) and value != value


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EPOCH = datetime.date(1970, 1, 1).toordinal()
# Days since 1970-01-01 of 0001-01-01 and 9999-12-31: crmkit's date range.
_MIN_DAY, _MAX_DAY = datetime.date.min.toordinal() - _EPOCH, datetime.date.max.toordinal() - _EPOCH


# datetime64 units the native reader takes, and how many of each make a day.
_PER_DAY = {"D": 1, "h": 24, "m": 1_440, "s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


def _days(series: Any, field: str, np: Any, pd: Any) -> Any:
    """Days since 1970-01-01 as int64; numpy's NaT (i64 minimum) for a missing date. The same
    date rule as everywhere in crmkit: YYYY-MM-DD, years 0001 to 9999, no time of day."""
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        out = np.empty(len(series), dtype=np.int64)
        for i, cell in enumerate(series.to_numpy(dtype=object)):
            if _missing(cell):
                out[i] = np.iinfo(np.int64).min
                continue
            try:
                text = cell if isinstance(cell, str) else date_text(cell)
            except _Refused as refused:
                raise _error(refused.code, f"{field}[{i}]", refused.message) from None
            if text is None:
                raise _error("invalid_type", f"{field}[{i}]", f"expected a date, got {type(cell).__name__}")
            try:
                if not _ISO_DATE.fullmatch(text):
                    raise ValueError
                out[i] = datetime.date.fromisoformat(text).toordinal() - _EPOCH
            except ValueError:
                raise _error("invalid_date", f"{field}[{i}]", f"{cell!r} is not a YYYY-MM-DD date") from None
        return out
    if getattr(series.dtype, "tz", None) is not None:
        series = series.dt.tz_localize(None)  # the wall-clock date where the deal happened
    values = series.to_numpy()
    unit, count = np.datetime_data(values.dtype)
    if count == 1 and unit in _PER_DAY:
        # One pass in Rust (native.datetime_days) instead of numpy's cast, mask and two checks.
        days, i, problem = _native.datetime_days(np.ascontiguousarray(values).view(np.int64), _PER_DAY[unit])
        if days is not None:
            return days
        if problem == 1:
            raise _error("invalid_date", f"{field}[{i}]", f"{values[i]} has a time of day; pass dates (Series.dt.normalize())")
        raise _error("invalid_date", f"{field}[{i}]", f"{values[i]} is outside the years 0001 to 9999")
    days = values.astype("datetime64[D]")
    present = ~np.isnat(values)
    bad = present & (days != values)
    if bad.any():
        i = int(bad.argmax())
        raise _error("invalid_date", f"{field}[{i}]", f"{values[i]} has a time of day; pass dates (Series.dt.normalize())")
    as_int = days.view(np.int64)
    bad = present & ((as_int < _MIN_DAY) | (as_int > _MAX_DAY))
    if bad.any():
        i = int(bad.argmax())
        raise _error("invalid_date", f"{field}[{i}]", f"{values[i]} is outside the years 0001 to 9999")
    return np.ascontiguousarray(as_int)
