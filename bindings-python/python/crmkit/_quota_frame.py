"""``quota_frame``: quota attainment, gap and coverage over a DataFrame of deals, one deal per
row, in the forecast's own columnar pass (no Python object per deal on the numeric paths); the
result's columns come built from the native module (no dict per line)."""

from __future__ import annotations

import datetime
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
    quotas: Sequence[Mapping[str, Any]],
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
) -> Any:
    """Quota attainment, gap and pipeline coverage per key and period, from the deals in ``df``.

    ``quota_attainment`` over columns: ``df`` and the column arguments are ``forecast_frame``'s
    (pandas, or Arrow data read with pyarrow), with one column per ``policy["group_by"]``
    field; ``quota`` is ``{"group_by": [...], "period": "month" | "quarter" | "year", "groups":
    [...], "rate_dp": 4}``, its ``group_by`` any of the policy's (none: one company quota);
    ``quotas`` are ``[{"key": {"owner": "li"}, "period": "2026-Q4", "amount": "100000"}]``
    (integer key values, as an int owner column holds them, are read as their text); ``won``
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

    Raises ``CrmkitError``: the codes of ``forecast_frame`` for the columns and of
    ``quota_attainment`` for the quotas; ``invalid_value`` at ``group_by[i]`` for a quota
    field that is not one of the policy's ``group_by``; ``missing_value`` /
    ``date_after_as_of`` at ``expected_close_on[i]`` for a won row without a close date or
    closed after ``as_of``; ``invalid_value`` at ``quotas[i].key.<field>``, ``won[i].<field>``
    or ``groups[i].<field>`` for a value of an integer key column's field that is not an
    integer's own text (``"007"``: the column's 7 is ``"7"``).
    """
    from crmkit._frame import _amounts, _arrow_input, _codes, _column, _date_column, _int_arg, _key, _pandas, _probabilities
    from crmkit._frame_arrow import group_by_of

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
    )
    return _frame(df, out)


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
