"""``quota_frame``: quota attainment, gap and coverage over a DataFrame of deals, one deal per
row, in the forecast's own columnar pass (no Python object per deal on the numeric paths); the
result's columns come built from the native module (no dict per line)."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Sequence

from crmkit import _native
from crmkit._types import document
from crmkit._wire import as_of_text, error, share_attrs, to_json

if TYPE_CHECKING:
    import pandas as pd

@document("ForecastPolicy", "QuotaPolicy")
def quota_frame(
    df: pd.DataFrame,
    policy: Mapping[str, Any],
    quota: Mapping[str, Any],
    quotas: Sequence[Mapping[str, Any]] | Any,
    as_of: datetime.date | str,
    *,
    won: Sequence[Mapping[str, Any]] | None = None,
    stage: str = "stage",
    amount: str = "amount",
    entered_stage_on: str | None = None,
    expected_close_on: str | None = None,
    snoozed_until: str | None = None,
    probability: str | None = None,
    category: str | None = None,
    last_activity_on: str | None = None,
    amount_scale: int | None = None,
    money: str = "decimal",
) -> Any:
    """Quota attainment, gap and pipeline coverage per key and period, from the deals in ``df``.

    ``quota_attainment`` over columns: ``df`` and the column arguments are ``forecast_frame``'s
    (pandas, or Arrow data read with pyarrow), with one column per ``policy["group_by"]``
    field; ``quota`` is ``{"group_by": [...], "period": "month" | "quarter" | "year", "groups":
    [...], "rate_dp": 4}``, its ``group_by`` any of the policy's (none: one company quota);
    ``quotas`` are ``[{"key": {"owner": "li"}, "period": "2026-Q4", "amount": "100000"}]``
    (integer key values, as an int owner column holds them, are read as their text), or the
    same as columns: a pandas DataFrame (or a dict of equal-length arrays / lists) with a
    column per quota ``group_by`` field (text, or integer ids), ``period`` (labels) and
    ``amount`` (decimal strings, ``Decimal``, or integers as whole units; not floats), one
    quota per row, read in the native module (no dict per quota); ``won``
    optionally lists deals won outside ``df`` (``{"id", "amount", "closed_on", "owner"...}``).
    A won row of ``df`` counts in the period of its ``expected_close_on``, which it needs.
    The forecast runs once, in its columnar pass; the quota reads that pass's exact sums.

    Returns one row per key and period (pandas in, pandas out; Arrow data in, its library out,
    money and rates as decimal128): the key columns (integer ids back as ints), ``period``,
    ``first_month``, ``last_month``, ``quota`` and ``gap`` (``None`` without a quota),
    ``won_deals``, ``won_amount``, ``open_deals``, ``open_amount``, ``open_weighted``,
    ``attainment``, ``coverage`` and ``weighted_coverage`` (``None`` where undefined) and
    ``reasons``; the whole report (``lines``, ``totals`` per period, ``unscheduled``) in
    ``attrs["report"]`` (Arrow: the schema metadata's ``crmkit.report``).

    ``money="units"`` gives the money columns (``quota``, ``gap``, ``won_amount``,
    ``open_amount``, ``open_weighted``) as int64 units of the policy's ``rounding.dp`` places
    (``attrs["money_scale"]``) and the rates (``attainment``, ``coverage``,
    ``weighted_coverage``) as int64 units of the quota's ``rate_dp`` places
    (``attrs["rate_scale"]``), exact, built as arrays by the native module; a column that can
    be undefined is pandas' nullable ``Int64`` (``<NA>`` where the report says ``None``; Arrow:
    int64 with nulls, the scales in the schema metadata). ``attrs["report"]`` then holds the
    report without its ``lines`` (the frame is the lines): ``as_of``, ``period``, ``totals``,
    ``unscheduled``. The default ``"decimal"`` gives ``decimal.Decimal`` objects.

    Raises ``CrmkitError``: ``invalid_value`` at ``money`` for another value than
    ``"decimal"`` or ``"units"``; the codes of ``forecast_frame`` for the columns and of
    ``quota_attainment`` for the quotas; ``invalid_value`` at ``group_by[i]`` for a quota
    field that is not one of the policy's ``group_by``; ``missing_value`` /
    ``date_after_as_of`` at ``expected_close_on[i]`` for a won row without a close date or
    closed after ``as_of``; ``invalid_value`` at ``quotas[i].key.<field>``, ``won[i].<field>``
    or ``groups[i].<field>`` for a value of an integer key column's field that is not an
    integer's own text (``"007"``: the column's 7 is ``"7"``); for quotas as columns,
    ``missing_field`` at ``quotas.<column>`` for a column not there, ``invalid_type`` at
    ``quotas[i].key.<field>`` / ``quotas[i].period`` / ``quotas[i].amount`` for a value of
    another type, ``invalid_decimal`` at ``quotas[i].amount`` (floats included), and the
    record quotas' codes at the row (``quotas[i].amount``...).
    """
    from crmkit._frame import _amounts, _arrow_input, _codes, _column, _date_column, _int_arg, _key, _pandas, _probabilities
    from crmkit._frame_arrow import group_by_of

    if money not in ("decimal", "units"):
        raise error("invalid_value", "money", f"expected 'decimal' or 'units', got {money!r}")
    amount_scale = _int_arg(amount_scale, "amount_scale", 0, 28)
    group_by = group_by_of(policy)
    dated = {
        "entered_stage_on": entered_stage_on,
        "expected_close_on": expected_close_on,
        "snoozed_until": snoozed_until,
        "last_activity_on": last_activity_on,
    }
    if _arrow_input(df):
        from crmkit._frame_arrow import read_deals

        cols, deals = read_deals(df, stage, amount, dated, probability, category, group_by, amount_scale)
        deals["keys"] = [("codes", *key) for key in deals["keys"]]
        deals["days"] = {field: None if d is None else (d, "D") for field, d in deals["days"].items()}
        int_keys = {key for key in group_by if cols.pa.types.is_integer(cols.column(key).type)}
    else:
        np, pd = _pandas("quota_frame")
        if not isinstance(df, pd.DataFrame):
            raise error("invalid_type", "df", f"expected a pandas DataFrame or Arrow data, got {type(df).__name__}")
        stage_codes = _codes(_column(df, stage), np, pd)
        amounts = _amounts(_column(df, amount), np, pd, amount_scale)
        # A datetime64 column's own buffer (read in Rust, as forecast_frame does), else days.
        days = {field: None if name is None else _date_column(_column(df, name), field, np, pd) for field, name in dated.items()}
        key_series = [_column(df, key) for key in group_by]
        deals = {
            "stage": stage_codes,
            "amount": amounts,
            "scale": amount_scale,
            "days": days,
            # Integer ids as they are (no factorize), else codes: as forecast_frame.
            "keys": [_key(series, np, pd) for series in key_series],
            "probability": None if probability is None else _probabilities(_column(df, probability), np),
            "category": None if category is None else _codes(_column(df, category), np, pd),
        }
        int_keys = {key for key, series in zip(group_by, key_series) if pd.api.types.is_integer_dtype(series.dtype)}
    quota_rows = _quota_rows(quotas, quota)
    if quota_rows is not None:
        data: dict = {"quotas": []}
    else:
        data = {"quotas": [_text_keys(q) for q in quotas] if isinstance(quotas, (list, tuple)) else quotas}
    if won is not None:
        data["won"] = won
    days = deals["days"]
    out = _native.quota_columns(
        to_json(policy, "policy"),
        to_json(quota, "quota"),
        to_json(data, "data"),
        *deals["stage"],
        deals["amount"],
        deals["scale"],
        deals["keys"],
        [key in int_keys for key in group_by],
        as_of_text(as_of),
        days["entered_stage_on"],
        days["expected_close_on"],
        days["snoozed_until"],
        deals["probability"],
        deals["category"],
        days["last_activity_on"],
        money == "units",
        quota_rows,
    )
    return _units_frame(df, out) if "table" in out else _frame(df, out)


def _text_keys(q: Any) -> Any:
    """A quota whose integer key values (ids, as an int column holds them) are written as text.

    (``collections.abc.Mapping``, not ``typing.Mapping``: the latter's ``isinstance`` runs
    Python code, ~4 µs a call, 40 ms over a book's 4,500 quotas.)
    """
    key = q.get("key") if isinstance(q, Mapping) else None
    if not isinstance(key, Mapping):
        return q
    for v in key.values():
        if isinstance(v, int) and not isinstance(v, bool):
            break
    else:  # no integer value: the quota as it is (no copy)
        return q
    text = {k: str(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in key.items()}
    return {**q, "key": text}


def _frame(df: Any, out: dict) -> Any:
    """The lines' columns as the native module built them, in the caller's library; the
    report in attrs / metadata."""
    from crmkit._frame import _arrow_input

    columns, report = out["columns"], out["report"]
    if _arrow_input(df):
        from crmkit._arrow import output, pyarrow, with_metadata

        pa = pyarrow()
        arrays = {}
        types = {"int": pa.int64(), "text": pa.string(), "reasons": pa.list_(pa.string())}
        for name, values in columns.items():
            kind = out["kinds"][name]
            arrays[name] = pa.array(values, types[kind] if isinstance(kind, str) else pa.decimal128(38, kind))
        return output(df, with_metadata(pa.table(arrays), {"report": report}))
    import pandas as pd

    frame = pd.DataFrame(columns)
    share_attrs(frame.attrs, {"report": report})
    return frame


# The lines' figures after the key and period columns, in the frame's order.
_FIGURES = (
    "quota",
    "won_deals",
    "won_amount",
    "open_deals",
    "open_amount",
    "open_weighted",
    "attainment",
    "gap",
    "coverage",
    "weighted_coverage",
)


def _units_frame(df: Any, out: dict) -> Any:
    """``money="units"``: the lines from the arrays the native module built (key and period
    indexes, int64 units with a mask of the null cells), in the caller's library; the report
    without its lines in attrs / metadata."""
    from crmkit._frame import _arrow_input, _pandas, _text_column

    t, report = out["table"], out["report"]
    report.pop("lines", None)  # the frame is the lines
    key, period = t["key"], t["period"]
    scales = {"money_scale": t["scale"], "rate_scale": t["rate_scale"]}
    labels = {"period": t["periods"], "first_month": t["first_month"], "last_month": t["last_month"]}
    if _arrow_input(df):
        from crmkit._arrow import output, pyarrow, with_metadata

        pa = pyarrow()
        np, _ = _pandas("quota_frame")
        arrays = {}
        for (field, values), int_key in zip(t["keys"].items(), t["int_keys"]):
            taken = values[key] if isinstance(values, np.ndarray) else _taken(values, key, np)
            arrays[field] = pa.array(taken, pa.int64() if int_key else pa.string())
        for name, texts in labels.items():
            arrays[name] = pa.array(_taken(texts, period, np), pa.string())
        for name in _FIGURES:
            missing = t.get(f"{name}_missing")
            arrays[name] = pa.array(t[name], pa.int64(), mask=missing)
        arrays["reasons"] = pa.array(t["reasons"], pa.list_(pa.string()))
        return output(df, with_metadata(pa.table(arrays), {"report": report, **scales}))
    np, pd = _pandas("quota_frame")
    columns: dict[str, Any] = {}
    for (field, values), int_key in zip(t["keys"].items(), t["int_keys"]):
        if isinstance(values, np.ndarray):  # integer ids, every key has one
            columns[field] = values[key]
        elif int_key:  # integer ids and a key without one
            columns[field] = _taken(values, key, np)
        else:
            columns[field] = _text_column(values, key, np, pd)
    for name, texts in labels.items():
        columns[name] = _text_column(texts, period, np, pd)
    for name in _FIGURES:
        missing = t.get(f"{name}_missing")
        columns[name] = t[name] if missing is None else pd.arrays.IntegerArray(t[name], missing)
    columns["reasons"] = t["reasons"]
    frame = pd.DataFrame(columns, copy=False)
    frame.attrs.update(scales)
    share_attrs(frame.attrs, {"report": report})
    return frame


def _taken(values: list, codes: Any, np: Any) -> list:
    """``[values[c] for c in codes]``, by numpy's take over an object array."""
    table = np.empty(len(values), dtype=object)
    table[:] = values
    return table[codes].tolist()


def _quota_rows(quotas: Any, quota: Any) -> Any:
    """Quotas given as columns (a pandas DataFrame, or a dict of columns), as the native
    module reads them: ``(fields, key columns, period labels, amounts)``; ``None`` for quotas
    given as records (a list)."""
    if isinstance(quotas, (list, tuple)) or not (isinstance(quotas, Mapping) or hasattr(quotas, "columns")):
        return None
    from crmkit._frame import _decimal_wire_text, _missing, _pandas

    np, pd = _pandas("quota_frame")
    if not isinstance(quotas, pd.DataFrame):
        try:
            quotas = pd.DataFrame(dict(quotas))
        except (TypeError, ValueError) as e:
            raise error("invalid_type", "quotas", f"quotas as columns must be of equal length: {e}") from None
    fields = quota.get("group_by") if isinstance(quota, Mapping) else None
    if not isinstance(fields, (list, tuple)) or not all(isinstance(f, str) for f in fields):
        fields = []  # the core reports what is wrong with it, at group_by

    def column(name: str) -> Any:
        if name not in quotas.columns:
            raise error("missing_field", f"quotas.{name}", f"the quotas have no {name!r} column")
        return quotas[name]

    def texts(values: list, at: Any) -> list:
        out = []
        for i, v in enumerate(values):
            if isinstance(v, str):
                out.append(v)
            elif isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
                out.append(str(int(v)))
            elif _missing(v):
                out.append(None)
            else:
                raise error("invalid_type", at(i), f"expected text or an integer id, got {type(v).__name__}")
        return out

    keys = []
    for field in fields:
        series = column(field)
        if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu":
            keys.append(np.ascontiguousarray(series.to_numpy(dtype=np.int64)))
        else:
            keys.append(texts(series.tolist(), lambda i, f=field: f"quotas[{i}].key.{f}"))
    periods = texts(column("period").tolist(), lambda i: f"quotas[{i}].period")
    for i, p in enumerate(periods):
        if not isinstance(p, str):
            raise error("invalid_type", f"quotas[{i}].period", "expected a period label")
    amount = column("amount")
    if isinstance(amount.dtype, np.dtype) and amount.dtype.kind in "iu":
        amounts: Any = np.ascontiguousarray(amount.to_numpy(dtype=np.int64))
    else:
        amounts = []
        for i, v in enumerate(amount.tolist()):
            if isinstance(v, str):
                amounts.append(v)
            elif isinstance(v, decimal.Decimal):
                amounts.append(_decimal_wire_text(v))
            elif isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
                amounts.append(str(int(v)))
            elif _missing(v):
                raise error("invalid_type", f"quotas[{i}].amount", "a quota without an amount")
            else:
                what = "a binary float; pass money as decimal strings or Decimal" if isinstance(v, float) else "not a decimal number"
                raise error("invalid_decimal", f"quotas[{i}].amount", f"{v!r} is {what}")
    return (list(fields), keys, periods, amounts)
