"""``campaign_roi_frame``: ``campaign_roi`` over a DataFrame of campaigns, read as columns
(category codes, int64 days and counts, amounts as int64 units, floats or decimal strings)
without a Python object per campaign on the way in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from crmkit import _native
from crmkit._types import document
from crmkit._wire import error, share_attrs, to_json

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["campaign_roi_frame"]

_I64_MIN = -(2**63)  # numpy's NaT: no date / no count
_SPARSE = ("budget", "expected_revenue")
_DATES = ("start_on", "end_on")
_COUNTS = ("leads", "customers", "opportunities", "won", "new_customers")


@document("RoiPolicy")
def campaign_roi_frame(
    df: pd.DataFrame,
    policy: Mapping[str, Any],
    *,
    id: str = "id",  # noqa: A002
    channel: str = "channel",
    cost: str = "cost",
    won_revenue: str | None = None,
    budget: str | None = None,
    expected_revenue: str | None = None,
    start_on: str | None = None,
    end_on: str | None = None,
    leads: str | None = None,
    customers: str | None = None,
    opportunities: str | None = None,
    won: str | None = None,
    new_customers: str | None = None,
    amount_scale: int | None = None,
    money: str = "decimal",
) -> pd.DataFrame:
    """:func:`campaign_roi` over a DataFrame of campaigns, one campaign per row, read as
    columns: ``id`` (unique) and ``channel`` (categorical, strings or integers), ``cost`` and
    the optional ``won_revenue``, ``budget``, ``expected_revenue`` (integers: whole units
    unless ``amount_scale`` declares minor units; floats rounded once to the policy's
    places; ``Decimal`` / ``str`` cells as written; an empty budget or expected revenue is
    none), ``start_on`` / ``end_on`` (datetime64 or ``YYYY-MM-DD``; NaT: none), and the
    counts ``leads``, ``customers``, ``opportunities``, ``won``, ``new_customers`` (integers;
    an empty ``new_customers`` counts the wins). An optional argument left at ``None`` reads
    the column of the field's own name when ``df`` has one (else the record API's default:
    0, or none); a name given must be a column.

    Returns one row per campaign on ``df``'s index with the campaign lines' fields
    (``roi_pct``, ``roas``, ``cost_per_lead``... as ``Decimal`` or ``None``, ``funnel`` and
    ``reasons`` as lists); ``attrs["channels"]``, ``attrs["groups"]``, ``attrs["periods"]``
    (DataFrames of the roll-up lines, index ``key``), ``attrs["total"]`` and
    ``attrs["report"]``, the report :func:`campaign_roi` gives on the same campaigns. Raises
    ``CrmkitError`` at the column and row (``cost[3]``, ``channel[0]``, ``id[2]``).

    ``df`` may also be Arrow data (polars, pyarrow, Arrow-backed pandas, DuckDB; read with
    pyarrow, ``pip install "crmkit[arrow]"``): decimal128 amounts are read exactly, each at its
    own scale. The campaign lines then come in the caller's library (polars in, polars out;
    otherwise a pyarrow Table; money as decimal128, ``funnel`` and ``reasons`` as lists) with
    the roll-ups and the total as JSON in the schema metadata (``crmkit.channels``,
    ``crmkit.groups``, ``crmkit.periods``, ``crmkit.total``).

    ``money="units"`` gives the campaign lines from arrays the native module builds (no dict
    per campaign): ``key`` is ``df``'s id column as it is (its dtype), ``channel``, ``group``,
    ``period`` text; the counts int64; the money figures and ROAS as int64 units of the
    policy's ``rounding.dp`` places (``attrs["money_scale"]``), the percentages as int64 units
    of its ``percent_rounding.dp`` places (``attrs["percent_scale"]``), exact; a figure the
    report can leave ``None`` is pandas' nullable ``Int64`` (``<NA>`` there; Arrow: int64 with
    nulls, the scales in the schema metadata); the funnel flattened per stage
    (``leads_count``, ``won_from_top_pct``, ``won_from_previous_pct``...); ``reasons`` lists.
    The campaigns' ``cost_periods`` (under ``cost_allocation: "pro_rata"``) are
    ``attrs["cost_periods"]``, columns of one row per piece (``line``: the campaign line's
    position, ``period``, ``days``, ``cost`` and ``budget`` as int64 units of
    ``attrs["cost_periods_scale"]``, the pieces' largest places; not for Arrow data, whose
    ``cost_periods`` are the Decimal output's); ``attrs["report"]`` then
    holds the report without its ``campaigns`` (the frame is them).
    Raises ``invalid_value`` at ``money`` for another value than ``"decimal"`` or ``"units"``.

    >>> import pandas as pd, crmkit
    >>> df = pd.DataFrame({"id": ["c1", "c2"], "channel": ["events", "search"], "cost": ["11400", "0"],
    ...                    "won_revenue": ["20000", "500"], "leads": [3000, 10], "won": [260, 1]})
    >>> out = crmkit.campaign_roi_frame(df, {})
    >>> out["roi_pct"].tolist(), out.attrs["total"]["roas"]
    ([Decimal('75.4'), None], Decimal('1.80'))
    """
    from crmkit._frame import _arrow_input, _pandas

    if money not in ("decimal", "units"):
        raise error("invalid_value", "money", f"expected 'decimal' or 'units', got {money!r}")
    names = {"won_revenue": won_revenue, "budget": budget, "expected_revenue": expected_revenue, "start_on": start_on,
             "end_on": end_on, "leads": leads, "customers": customers, "opportunities": opportunities, "won": won,
             "new_customers": new_customers}  # fmt: skip
    if _arrow_input(df):
        from crmkit._arrow_frames import campaign_roi_arrow

        return campaign_roi_arrow(df, policy, id=id, channel=channel, cost=cost, names=names, amount_scale=amount_scale, units=money == "units")
    np, pd = _pandas("campaign_roi_frame")
    if not isinstance(df, pd.DataFrame):
        from crmkit._frame import _error

        raise _error("invalid_type", "df", f"expected a pandas DataFrame or Arrow data, got {type(df).__name__}")
    columns = _campaign_columns(df, np, pd, id=id, channel=channel, cost=cost, names=names, amount_scale=amount_scale)
    if money == "units":
        out = _native.campaign_roi_columns(to_json(policy, "policy"), columns, True)
        from crmkit._frame import _column

        return _units_frame(out, _column(df, id).array, df.index, np, pd)
    report = _native.campaign_roi_columns(to_json(policy, "policy"), columns)
    return _campaign_table(report, df.index, pd)


# The campaign lines' figures after key, channel, group and period, in the report's order (the
# funnel's columns and ``reasons`` follow).
_UNIT_FIGURES = (
    "campaigns",
    "budget",
    "cost",
    "budget_variance",
    "budget_used_pct",
    "expected_revenue",
    "won_revenue",
    "revenue_variance",
    "revenue_attained_pct",
    "net_return",
    "roi_pct",
    "roas",
    "leads",
    "customers",
    "opportunities",
    "won",
    "new_customers",
    "cost_per_lead",
    "cost_per_opportunity",
    "cost_per_win",
    "cac",
)


def _unit_names(t: dict) -> list:
    """The figure columns of a native table ``t``, in the frame's order."""
    steps = [f"{s}_{part}" for s in t["stages"] for part in ("count", "from_top_pct", "from_previous_pct")]
    return [*_UNIT_FIGURES, *steps]


def _with_none(labels: list, codes: Any, np: Any) -> tuple:
    """``labels`` and ``codes`` where -1 (no label) indexes a ``None`` appended to them."""
    if len(codes) and codes.min() < 0:
        return [*labels, None], np.where(codes < 0, len(labels), codes)
    return labels, codes


def _units_frame(out: dict, key: Any, index: Any, np: Any, pd: Any) -> pd.DataFrame:
    """``money="units"``: the campaign lines from the native module's arrays (``key``: the id
    column as given), the report without its campaigns in ``attrs``."""
    from crmkit._frame import _text_column

    t, report = out["table"], out["report"]
    report.pop("campaigns", None)  # the frame is the campaign lines
    columns: dict[str, Any] = {"key": key}
    for name in ("channel", "group", "period"):
        columns[name] = _text_column(*_with_none(t[f"{name}_labels"], t[name], np), np, pd)
    for name in _unit_names(t):
        missing = t.get(f"{name}_missing")
        columns[name] = t[name] if missing is None else pd.arrays.IntegerArray(t[name], missing)
    columns["reasons"] = t["reasons"]
    frame = pd.DataFrame(columns, index=index, copy=False)
    c = t["cost_periods"]
    frame.attrs.update(money_scale=t["scale"], percent_scale=t["percent_scale"], cost_periods_scale=c["scale"])
    share_attrs(frame.attrs, {**_campaign_attrs(report, pd), "cost_periods": _cost_periods(c, t["period_labels"], np, pd)})
    return frame


def _cost_periods(c: dict, labels: list, np: Any, pd: Any) -> dict:
    """The pieces of the campaigns' ``cost_periods`` as columns (``pd.DataFrame(...)`` of them is
    one row per piece): ``line`` (the campaign line's position), ``period``, ``days``,
    ``cost`` and ``budget`` (int64 units of ``attrs["cost_periods_scale"]``, ``budget``
    nullable)."""
    from crmkit._frame import _text_column

    offsets = c["offsets"].astype(np.int64)
    return {
        "line": np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets)),
        "period": _text_column(labels, c["period"], np, pd),
        "days": c["days"].astype(np.int64),
        "cost": c["cost"],
        "budget": pd.arrays.IntegerArray(c["budget"], c["budget_missing"]),
    }


def _campaign_table(report: dict, index: Any, pd: Any) -> pd.DataFrame:
    """The report as :func:`campaign_roi_frame`'s DataFrame."""
    out = _lines(report["campaigns"], pd, index)
    share_attrs(out.attrs, _campaign_attrs(report, pd))
    return out


def _campaign_attrs(report: dict, pd: Any) -> dict:
    """What a pandas result's ``attrs`` hold: the roll-ups as DataFrames (index ``key``), the
    total and the whole report."""
    rollups = {level: _lines(report[level], pd).set_index("key") if report[level] else pd.DataFrame() for level in ("channels", "groups", "periods")}
    return {**rollups, "total": report["total"], "report": report}


def _lines(rows: list, pd: Any, index: Any = None) -> pd.DataFrame:
    """Report lines as a DataFrame, without ``cost_periods`` when no line has any."""
    out = pd.DataFrame.from_records(rows, index=index) if rows else pd.DataFrame(index=index)
    return out.drop(columns="cost_periods") if "cost_periods" in out and out["cost_periods"].isna().all() else out


def _campaign_columns(df: Any, np: Any, pd: Any, *, id: str, channel: str, cost: str, names: dict, amount_scale: Any) -> dict:  # noqa: A002
    """A DataFrame's campaign columns as the mapping the native ``campaign_roi_columns``
    takes after the policy."""
    from crmkit._frame import _amounts, _codes, _column, _days, _error, _int_arg

    amount_scale = _int_arg(amount_scale, "amount_scale", 0, 28)

    def optional(field: str) -> Any:
        name = names[field]
        if name is None:
            return df[field] if field in df.columns else None
        return _column(df, name)

    def codes(name: str, field: str) -> tuple[Any, list[str]]:
        try:
            return _codes(_column(df, name), np, pd)
        except TypeError as e:  # unhashable cells (lists, dicts) are no id / channel
            raise _error("invalid_type", field, f"a {field} column of names: {e}") from None

    out: dict[str, Any] = {}
    out["id"], out["id_labels"] = codes(id, "id")
    out["channel"], out["channel_labels"] = codes(channel, "channel")
    out["cost"] = _amounts(_column(df, cost), np, pd, amount_scale, "cost")
    out["amount_scale"] = amount_scale
    out["scales"] = None
    series = optional("won_revenue")
    out["won_revenue"] = None if series is None else _amounts(series, np, pd, amount_scale, "won_revenue")
    for field in _SPARSE:
        series = optional(field)
        out[f"{field}_missing"] = None
        if series is None:
            out[field] = None
            continue
        missing = series.isna().to_numpy(dtype=bool)
        if missing.any() and not pd.api.types.is_float_dtype(series.dtype):
            # The empty cells' values are not read: any amount of the column's type holds them.
            series = series.fillna(0) if pd.api.types.is_integer_dtype(series.dtype) else series.astype(object).mask(missing, "0")
        out[field] = _amounts(series, np, pd, amount_scale, field)
        out[f"{field}_missing"] = np.ascontiguousarray(missing) if missing.any() else None
    for field in _DATES:
        series = optional(field)
        out[field] = None if series is None else np.ascontiguousarray(_days(series, field, np, pd), dtype=np.int64)
    for field in _COUNTS:
        series = optional(field)
        out[field] = None if series is None else _counts(series, field, np, pd)
    return out


def _counts(series: Any, field: str, np: Any, pd: Any) -> Any:
    """A count column as int64 (numpy's integers, nullable integers, or whole floats as a
    column with a gap reads from a file); an empty ``new_customers`` is ``_I64_MIN`` (the
    row's wins count), any other empty count ``invalid_type``. Negative counts are refused by
    the core (``out_of_range``)."""
    from crmkit._frame import _error

    missing = series.isna().to_numpy(dtype=bool)
    if missing.any() and field != "new_customers":
        i = int(missing.argmax())
        raise _error("invalid_type", f"{field}[{i}]", f"missing {field}: a count is needed on every row")
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or not (pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype)):
        raise _error("invalid_type", field, f"expected a column of whole counts, got {dtype}")
    values = series.to_numpy(dtype=np.float64, na_value=0.0) if pd.api.types.is_float_dtype(dtype) else None
    if values is not None:
        bad = ~np.isfinite(values) | (values != np.floor(values)) | (np.abs(values) >= 2.0**63)
        if bad.any():
            i = int(bad.argmax())
            raise _error("invalid_type", f"{field}[{i}]", f"{values[i]!r} is not a whole count")
    if pd.api.types.is_unsigned_integer_dtype(dtype) and len(series) and series.max() >= 2**63:
        i = int((series >= 2**63).to_numpy().argmax())
        raise _error("overflow", f"{field}[{i}]", "arithmetic overflow")
    out = series.to_numpy(dtype=np.int64, na_value=0) if values is None else values.astype(np.int64)
    out = np.ascontiguousarray(out, dtype=np.int64)
    if missing.any():
        out[missing] = _I64_MIN
    return out
