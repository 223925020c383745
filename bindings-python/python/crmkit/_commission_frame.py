"""``commission_frame``: commission over a DataFrame's (or Arrow table's) columns, one
transaction per row, without a Python object per row: reps as category codes, dates as int64
days, amounts as int64 units or float64; the pay per row and the statement lines come back as
numpy arrays built in Rust."""

from __future__ import annotations

import datetime
import decimal
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from crmkit import _native
from crmkit._frame import _amounts, _arrow_input, _codes, _column, _days, _decimal_text, _int_arg, _missing, _pandas
from crmkit._types import document
from crmkit._wire import as_of_text, error, share_attrs, to_json

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["commission_frame"]


@document("CommissionPlan", "RepInput")
def commission_frame(
    df: pd.DataFrame,
    plan: Mapping[str, Any],
    as_of: datetime.date | str,
    *,
    reps: Sequence[Mapping[str, Any]] | None = None,
    rep: str = "rep",
    on: str = "on",
    amount: str = "amount",
    refund: str | None = None,
    product: str | None = None,
    customer_type: str | None = None,
    refers_to: str | None = None,
    original_rate: str | None = None,
    amount_scale: int | None = None,
    statements: bool = False,
) -> Any:
    """Each rep's commission over the transactions in ``df``, one per row: the statements of
    ``compute_commission`` on the same transactions (one rep per row, no splits; refunds
    without ``refers_to``), line for line, computed in Rust over the columns.

    ``df`` is a pandas DataFrame or Arrow tabular data (polars, pyarrow; needs pyarrow).
    Columns: ``rep`` (categorical or strings), ``on`` (datetime64, or dates / ISO strings),
    ``amount`` (int64: whole units unless ``amount_scale`` declares minor units, so cents need
    ``amount_scale=2``; float64: rounded once to ``amount_scale`` places, default the plan's
    and at least 2; Decimal or strings: exact, one Python object per row), optional ``refund``
    (bool). Amounts are credited at their own places (a whole-yuan plan pays whole yuan, but
    49,999.99 stays below a 50,000 tier bound); only the pay lines are rounded. Optional
    ``product`` and ``customer_type`` (categorical or strings, missing for none) select the
    plan's rate rules and SPIFs; ``refers_to`` (integers: the 0-based position of the sale a
    refund refers to, -1 or missing for none) takes the sale's provisional pay and SPIF back
    as ``refers_to`` does in ``compute_commission`` (the refund row names the sale's rep);
    ``original_rate`` (Decimal or decimal strings, missing for none; never floats) claws back
    a refund of an earlier period's sale at the rate it was paid at. ``reps`` are
    ``compute_commission``'s ``input["reps"]`` (quota, prior credit, prior paid, draw).
    Plans: ``flat``, ``graduated`` and ``retroactive`` with accelerators, threshold, cap, rate
    rules and SPIFs, accrual ``booking`` or ``attainment``; other plans are ``invalid_value``
    (use ``compute_commission``).

    Returns a frame on ``df``'s index (pandas in, pandas out; Arrow in, the caller's library
    out) with ``provisional_units`` and ``final_units``: what the row's lines pay, as int64 in
    units of 10^-``attrs["scale"]`` (cents for a 2-place plan). ``attrs["reps"]`` holds one
    statement per rep (``provisional``, ``final``, ``true_up``, draws... as Decimal),
    ``attrs["totals"]`` the sums. With ``statements=True`` returns ``(frame, lines)``:
    ``lines`` has one row per statement line, both statements of every rep (``statement``
    ``final`` / ``provisional``, ``rep``, ``step``, ``kind``, ``row`` (the input row's
    position, -1 for ``prior_periods`` / ``cap`` lines), ``tier`` (-1: none), ``from_units``,
    ``to_units``, ``base_units`` (credit in units of 10^-``attrs["credit_scale"]``), ``rate``,
    ``multiplier`` (categoricals of decimal strings), ``amount_units`` and ``reasons`` (a
    bit mask over ``attrs["reason_labels"]``).

    Raises ``CrmkitError`` with the column's name and the row's position in the path
    (``amount[3]``, ``on[7]``, ``rep[0]``).

    >>> import crmkit, pandas as pd
    >>> plan = {"kind": "graduated", "tiers": [{"from": "0", "to": "50000", "rate": "0.02"},
    ...     {"from": "50000", "to": "100000", "rate": "0.05"}, {"from": "100000", "rate": "0.08"}]}
    >>> df = pd.DataFrame({"rep": ["wang", "wang"], "on": pd.to_datetime(["2026-03-10", "2026-03-11"]),
    ...                    "amount": [60000, 60000]})
    >>> out = crmkit.commission_frame(df, plan, "2026-03-31")
    >>> out["final_units"].tolist(), out.attrs["reps"][0]["final"]
    ([150000, 360000], Decimal('5100.00'))
    """
    plan_json = to_json(plan, "plan")
    reps_json = to_json(reps if reps is not None else [], "reps")
    amount_scale = _int_arg(amount_scale, "amount_scale", 0, 28)
    if not isinstance(statements, bool):
        raise error("invalid_type", "statements", f"expected a bool, got {type(statements).__name__}")
    if _arrow_input(df):
        from crmkit._arrow import ArrowColumns

        optional = [name for name in (refund, product, customer_type, refers_to, original_rate) if name is not None]
        cols = ArrowColumns(df, [rep, on, amount, *optional])
        codes, labels = cols.codes(rep)
        days = cols.days(on, "on")
        amounts, scale = cols.amounts(amount, amount_scale)
        flags = _arrow_flags(cols, refund) if refund is not None else None
        extra = _arrow_extra(cols, product, customer_type, refers_to, original_rate)
        out = _native.commission_columns(plan_json, reps_json, codes, labels, days, amounts, scale, flags, as_of_text(as_of), statements, extra)
        return _arrow_result(df, cols.pa, out, statements)
    np, pd = _pandas()
    if not isinstance(df, pd.DataFrame):
        raise error("invalid_type", "df", f"expected a pandas DataFrame or Arrow data, got {type(df).__name__}")
    try:
        codes, labels = _codes(_column(df, rep), np, pd)
    except TypeError as e:  # unhashable cells (lists, dicts) are no rep
        raise error("invalid_type", "rep", f"rep cells must be names: {e}") from None
    days = _days(_column(df, on), "on", np, pd)
    amounts = _amounts(_column(df, amount), np, pd, amount_scale)
    flags = _flags(_column(df, refund), np, pd) if refund is not None else None
    extra = _pandas_extra(df, np, pd, product, customer_type, refers_to, original_rate)
    out = _native.commission_columns(plan_json, reps_json, codes, labels, days, amounts, amount_scale, flags, as_of_text(as_of), statements, extra)
    frame = pd.DataFrame({"provisional_units": out["provisional"], "final_units": out["final"]}, index=df.index, copy=False)
    _attrs(frame.attrs, out)
    if not statements:
        return frame
    lines = pd.DataFrame(_line_columns(out, np, pd), copy=False)
    _attrs(lines.attrs, out)
    return frame, lines


def _pandas_extra(df: Any, np: Any, pd: Any, product: Any, customer_type: Any, refers_to: Any, original_rate: Any) -> dict:
    """The optional columns as ``_native.commission_columns`` takes them (see there)."""
    extra: dict = {}
    for field, name in (("product", product), ("customer_type", customer_type)):
        if name is not None:
            try:
                extra[field] = _codes(_column(df, name), np, pd)
            except TypeError as e:  # unhashable cells (lists, dicts) are no name
                raise error("invalid_type", field, f"{field} cells must be names: {e}") from None
    if refers_to is not None:
        series = _column(df, refers_to)
        dtype = series.dtype
        if not (pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype)) or pd.api.types.is_bool_dtype(dtype):
            raise error("invalid_type", "refers_to", f"expected row positions (integers), got {dtype}")
        values = series.to_numpy(dtype=np.float64, na_value=np.nan) if series.isna().any() or dtype.kind == "f" else None
        extra["refers_to"] = _rows(series, values, np)
    if original_rate is not None:
        extra["original_rate"] = _rates(_column(df, original_rate).to_numpy(dtype=object), np)
    return extra


def _rows(series: Any, floats: Any, np: Any) -> Any:
    """Row positions as int64, -1 for none: a float column (pandas' integers with missing
    values) must hold whole numbers; one beyond any row stays beyond every row."""
    if floats is None:
        return np.ascontiguousarray(series.to_numpy(dtype=np.int64))
    whole = np.isnan(floats) | (floats == np.floor(floats))
    if not whole.all():
        i = int((~whole).argmax())
        raise error("invalid_type", f"refers_to[{i}]", f"{floats[i]!r} is not a row position")
    out = np.full(len(floats), -1, dtype=np.int64)
    known = ~np.isnan(floats)
    out[known] = np.clip(floats[known], -2, 2**62).astype(np.int64)  # beyond the rows: the core refuses it
    return out


def _rates(values: Any, np: Any) -> tuple:
    """(rows, decimal strings) of the cells that hold a rate: Decimal or str; a float, an
    integer or anything else is ``invalid_type`` (rates are never binary floats)."""
    rows, texts = [], []
    for i, v in enumerate(values):
        if _missing(v):
            continue
        if isinstance(v, str):
            texts.append(v)
        elif isinstance(v, decimal.Decimal):
            texts.append(_decimal_text(v, i, "original_rate"))
        else:
            raise error("invalid_type", f"original_rate[{i}]", f"{v!r} is not a decimal string or Decimal")
        rows.append(i)
    return np.asarray(rows, dtype=np.int64), texts


def _arrow_extra(cols: Any, product: Any, customer_type: Any, refers_to: Any, original_rate: Any) -> dict:
    """``_pandas_extra`` over Arrow columns."""
    pa, np = cols.pa, cols.np
    extra: dict = {}
    for field, name in (("product", product), ("customer_type", customer_type)):
        if name is not None:
            extra[field] = cols.codes(name)
    if refers_to is not None:
        arr = cols.column(refers_to)
        if not pa.types.is_integer(arr.type):
            raise error("invalid_type", "refers_to", f"expected row positions (integers), got {arr.type}")
        extra["refers_to"] = np.ascontiguousarray(arr.cast(pa.int64()).fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    if original_rate is not None:
        extra["original_rate"] = _rates(cols.column(original_rate).to_pylist(), np)
    return extra


def _attrs(attrs: dict, out: dict) -> None:
    share_attrs(attrs, {key: out[key] for key in ("scale", "credit_scale", "currency", "reps", "totals", "reason_labels")})


def _flags(series: Any, np: Any, pd: Any) -> Any:
    """A bool column as a numpy bool array; a missing or non-bool cell is ``invalid_type``."""
    if not pd.api.types.is_bool_dtype(series.dtype):
        raise error("invalid_type", "refund", f"expected a bool column, got {series.dtype}")
    missing = series.isna().to_numpy()
    if missing.any():
        i = int(missing.argmax())
        raise error("invalid_type", f"refund[{i}]", "missing refund flag")
    return np.ascontiguousarray(series.to_numpy(dtype=bool))


def _arrow_flags(cols: Any, name: str) -> Any:
    arr = cols.column(name)
    if not cols.pa.types.is_boolean(arr.type):
        raise error("invalid_type", "refund", f"expected a bool column, got {arr.type}")
    if arr.null_count:
        i = int(cols.np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False))[0])
        raise error("invalid_type", f"refund[{i}]", "missing refund flag")
    return cols.np.ascontiguousarray(arr.to_numpy(zero_copy_only=False), dtype=bool)


def _line_columns(out: dict, np: Any, pd: Any) -> dict:
    lines = out["lines"]
    names = [r["rep"] for r in out["reps"]]
    return {
        "statement": pd.Categorical.from_codes(lines["provisional"].astype(np.int8), categories=["final", "provisional"]),
        "rep": pd.Categorical.from_codes(lines["rep"].astype(np.int64), categories=names),
        "step": lines["step"],
        "kind": pd.Categorical.from_codes(lines["kind"].astype(np.int16), categories=out["kind_labels"]),
        "row": lines["row"],
        "tier": lines["tier"],
        "from_units": lines["from"],
        "to_units": lines["to"],
        "base_units": lines["base"],
        "rate": pd.Categorical.from_codes(lines["rate"], categories=out["rate_labels"]),
        "multiplier": pd.Categorical.from_codes(lines["multiplier"], categories=out["multiplier_labels"]),
        "amount_units": lines["amount"],
        "reasons": lines["reasons"],
    }


def _arrow_result(data: Any, pa: Any, out: dict, statements: bool) -> Any:
    """The per-row pay (and the lines) as Arrow tables in the caller's library; the reps and
    totals as JSON in the schema metadata (``crmkit.reps``, ``crmkit.totals``)."""
    from crmkit._arrow import output, with_metadata
    from crmkit._arrow_frames import _dictionary

    meta = {k: out[k] for k in ("reps", "totals", "scale", "credit_scale", "reason_labels")}
    rows = with_metadata(pa.table({"provisional_units": out["provisional"], "final_units": out["final"]}), meta)
    if not statements:
        return output(data, rows)
    lines = out["lines"]
    names = [r["rep"] for r in out["reps"]]

    def dictionary(codes: Any, labels: list[str]) -> Any:
        # Null codes as null indices (from_arrays' `mask` refuses Arrow indices: pyarrow 26).
        return _dictionary(pa, codes, labels)

    table = pa.table(
        {
            "statement": dictionary(lines["provisional"].astype("int32"), ["final", "provisional"]),
            "rep": dictionary(lines["rep"].astype("int32"), names),
            "step": lines["step"],
            "kind": dictionary(lines["kind"].astype("int32"), out["kind_labels"]),
            "row": lines["row"],
            "tier": lines["tier"],
            "from_units": lines["from"],
            "to_units": lines["to"],
            "base_units": lines["base"],
            "rate": dictionary(lines["rate"], out["rate_labels"]),
            "multiplier": dictionary(lines["multiplier"], out["multiplier_labels"]),
            "amount_units": lines["amount"],
            "reasons": lines["reasons"],
        }
    )
    return output(data, rows), output(data, with_metadata(table, meta))
