"""``forecast_frame`` over Arrow data (polars, pyarrow, Arrow-backed pandas, DuckDB...):
the columns read by :class:`crmkit._arrow.ArrowColumns`, the result in the caller's library
with money as decimal128."""

from __future__ import annotations

from typing import Any, Mapping

from crmkit import _native
from crmkit._arrow import ArrowColumns, error, output, with_metadata
from crmkit._wire import as_of_text, to_json


def forecast_arrow(
    data: Any,
    policy: Mapping[str, Any],
    as_of: Any,
    *,
    stage: str,
    amount: str,
    entered_stage_on: str | None,
    expected_close_on: str | None,
    snoozed_until: str | None,
    probability: str | None,
    category: str | None,
    last_activity_on: str | None,
    amount_scale: int | None,
    threads: int,
    money: str,
) -> Any:
    group_by = group_by_of(policy)
    dated = {
        "entered_stage_on": entered_stage_on,
        "expected_close_on": expected_close_on,
        "snoozed_until": snoozed_until,
        "last_activity_on": last_activity_on,
    }
    cols, deals = read_deals(data, stage, amount, dated, probability, category, group_by, amount_scale)
    days = deals["days"]
    report = _native.forecast_columns(
        to_json(policy, "policy"),
        *deals["stage"],
        deals["amount"],
        deals["scale"],
        days["entered_stage_on"],
        deals["keys"],
        as_of_text(as_of),
        threads,
        days["expected_close_on"],
        days["snoozed_until"],
        deals["probability"],
        deals["category"],
        days["last_activity_on"],
    )
    units = _money_places(policy) if money == "units" else None
    return output(data, report_table(cols.pa, report, group_by, units))


def group_by_of(policy: Any) -> list[str]:
    """The policy's ``group_by`` names; none when it is not a list of names (the core then
    reports what is wrong with it, at ``group_by``)."""
    group_by = policy.get("group_by") if isinstance(policy, Mapping) else None
    if not isinstance(group_by, (list, tuple)) or not all(isinstance(k, str) for k in group_by):
        return []
    return list(group_by)


def read_deals(
    data: Any,
    stage: str,
    amount: str,
    dated: Mapping[str, str | None],
    probability: str | None,
    category: str | None,
    group_by: list[str],
    amount_scale: int | None,
) -> tuple[ArrowColumns, dict]:
    """The deal columns of Arrow data as the native columnar functions take them: ``stage``
    (codes, labels), ``amount`` and its ``scale``, ``days`` per date field (``dated`` maps each
    to its column name or ``None``), ``keys`` (codes, labels per ``group_by`` name),
    ``probability`` and ``category`` (``None`` without them)."""
    per_deal = [n for n in (probability, category) if n is not None]
    cols = ArrowColumns(data, [stage, amount, *[n for n in dated.values() if n is not None], *per_deal, *group_by])
    stage_codes = cols.codes(stage)
    amounts, scale = cols.amounts(amount, amount_scale)
    return cols, {
        "stage": stage_codes,
        "amount": amounts,
        "scale": scale,
        "days": {field: None if name is None else cols.days(name, field) for field, name in dated.items()},
        "keys": [cols.codes(key) for key in group_by],
        "probability": None if probability is None else _probabilities(cols, probability),
        "category": None if category is None else cols.codes(category),
    }


def _money_places(policy: Mapping[str, Any]) -> int:
    """The policy's ``rounding.dp`` (2 by default): the places of ``money="units"``."""
    rounding = policy.get("rounding") if isinstance(policy, Mapping) else None
    dp = rounding.get("dp") if isinstance(rounding, Mapping) else None
    return dp if isinstance(dp, int) else 2


def _probabilities(cols: ArrowColumns, name: str) -> Any:
    """A probability column as float64, NaN for null."""
    pa, np = cols.pa, cols.np
    arr = cols.column(name)
    try:
        arr = arr.cast(pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise error("invalid_type", "probability", f"expected numbers (null for the stage's own): {e}") from None
    return np.ascontiguousarray(arr.to_numpy(zero_copy_only=False), dtype=np.float64)


def report_table(pa: Any, report: dict, group_by: list[str], units: int | None = None) -> Any:
    """One row per group and month (per month without ``group_by``), money as decimal128
    (``units``: as int64 units of that many places, ``crmkit.money_scale`` in the metadata);
    the report's totals, stages and months as JSON in the schema metadata."""
    if group_by:
        pairs = [(g["key"], m) for g in report["groups"] for m in g["months"]]
    else:
        pairs = [({}, m) for m in report["months"]]
    money = [m[name] for _, m in pairs for name in ("amount", "weighted")]
    scale = max((-v.as_tuple().exponent for v in money), default=2)
    decimal = pa.decimal128(38, max(scale, 0))
    columns = {key: pa.array([k[key] for k, _ in pairs], pa.string()) for key in group_by}
    columns["month"] = pa.array([m["month"] for _, m in pairs], pa.string())
    for name in ("offset", "deals"):
        columns[name] = pa.array([m[name] for _, m in pairs], pa.int64())
    for name in ("amount", "weighted"):
        if units is None:
            columns[name] = pa.array([m[name] for _, m in pairs], decimal)
        else:
            # Exact: every figure is rounded to the policy's places already.
            try:
                columns[name] = pa.array([int(m[name].scaleb(units)) for _, m in pairs], pa.int64())
            except (OverflowError, pa.ArrowInvalid):
                raise error("overflow", name, "arithmetic overflow: beyond int64 units; use money=\"decimal\"") from None
    values = {part: report[part] for part in ("totals", "stages", "months")}
    if units is not None:
        values["money_scale"] = units
    return with_metadata(pa.table(columns), values)
