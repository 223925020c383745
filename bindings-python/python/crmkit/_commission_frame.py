"""``commission_frame``: commission over a DataFrame's (or Arrow table's) columns, one
transaction per row, without a Python object per row: reps as category codes, dates as int64
days, amounts as int64 units or float64; the pay per row and the statement lines come back as
numpy arrays built in Rust."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from crmkit import _native
from crmkit._frame import _amounts, _arrow_input, _codes, _column, _days, _int_arg, _pandas
from crmkit._types import document
from crmkit._wire import as_of_text, error, to_json

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
    amount_scale: int | None = None,
    statements: bool = False,
) -> Any:
    """Each rep's commission over the transactions in ``df``, one per row: the statements of
    ``compute_commission`` on the same transactions (one rep per row, no splits; refunds
    without ``refers_to``), line for line, computed in Rust over the columns.

    ``df`` is a pandas DataFrame or Arrow tabular data (polars, pyarrow; needs pyarrow).
    Columns: ``rep`` (categorical or strings), ``on`` (datetime64, or dates / ISO strings),
    ``amount`` (int64: whole units unless ``amount_scale`` declares minor units, so cents need
    ``amount_scale=2``; float64: rounded once to ``amount_scale`` places, default the plan's;
    Decimal or strings: exact, one Python object per row), optional ``refund`` (bool). ``reps``
    are ``compute_commission``'s ``input["reps"]`` (quota, prior credit, prior paid, draw).
    Plans: ``flat``, ``graduated`` and ``retroactive`` with accelerators, threshold and cap,
    accrual ``booking`` or ``attainment``; other plans are ``invalid_value`` (use
    ``compute_commission``).

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

        cols = ArrowColumns(df, [rep, on, amount, *([refund] if refund is not None else [])])
        codes, labels = cols.codes(rep)
        days = cols.days(on, "on")
        amounts, scale = cols.amounts(amount, amount_scale)
        flags = _arrow_flags(cols, refund) if refund is not None else None
        out = _native.commission_columns(plan_json, reps_json, codes, labels, days, amounts, scale, flags, as_of_text(as_of), statements)
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
    out = _native.commission_columns(plan_json, reps_json, codes, labels, days, amounts, amount_scale, flags, as_of_text(as_of), statements)
    frame = pd.DataFrame({"provisional_units": out["provisional"], "final_units": out["final"]}, index=df.index, copy=False)
    _attrs(frame.attrs, out)
    if not statements:
        return frame
    lines = pd.DataFrame(_line_columns(out, np, pd), copy=False)
    _attrs(lines.attrs, out)
    return frame, lines


def _attrs(attrs: dict, out: dict) -> None:
    for key in ("scale", "credit_scale", "currency", "reps", "totals", "reason_labels"):
        attrs[key] = out[key]


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
    import json

    from crmkit._arrow import output

    meta = {f"crmkit.{k}": json.dumps(out[k], default=str, ensure_ascii=False) for k in ("reps", "totals", "scale", "credit_scale", "reason_labels")}
    rows = pa.table({"provisional_units": out["provisional"], "final_units": out["final"]}).replace_schema_metadata(meta)
    if not statements:
        return output(data, rows)
    lines = out["lines"]
    names = [r["rep"] for r in out["reps"]]

    def dictionary(codes: Any, labels: list[str]) -> Any:
        return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(labels, pa.string()), mask=(codes < 0) if len(codes) else None)

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
    ).replace_schema_metadata(meta)
    return output(data, rows), output(data, table)
