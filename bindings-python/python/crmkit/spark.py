"""crmkit on Spark: the batch entry points as ``applyInPandas`` functions with their output
schemas, for books too large for one machine (``pip install "crmkit[spark]"``: pyspark ≥ 4).

crmkit's results are exact per group: a forecast grouped by owner gives each owner's lines
from that owner's deals alone, so Spark can compute the groups on different executors and
the union is, line for line and to the cent, what one ``forecast_frame`` call gives on the
whole book (money as ``DecimalType``). Totals over all groups are not additive after
rounding: compute them from the group lines' exact sums, or in one process.

    from crmkit.spark import forecast_by_group

    fn, schema = forecast_by_group(policy, as_of, entered_stage_on="entered")
    lines = deals.groupBy(*policy["group_by"]).applyInPandas(fn, schema)

Each executor needs crmkit installed (the wheel of ``scripts/python.sh --build-only``) and
the driver's Python (``PYSPARK_PYTHON``). Domains add theirs here: one function returning
``(function, schema)`` per batch entry point that is parallel by row or by group.
"""

from __future__ import annotations

import datetime
from typing import Any, Callable, Mapping

from crmkit._frame import forecast_frame

__all__ = ["forecast_by_group", "forecast_schema"]


def forecast_schema(policy: Mapping[str, Any]) -> Any:
    """The Spark schema of ``forecast_frame``'s rows: the ``group_by`` keys (strings), then
    ``month``, ``offset``, ``deals`` and the money columns as ``DecimalType(38, dp)``, dp
    the policy's rounding places."""
    from pyspark.sql.types import DecimalType, LongType, StringType, StructField, StructType

    dp = int((policy.get("rounding") or {}).get("dp", 2))
    keys = [StructField(str(k), StringType(), True) for k in policy.get("group_by") or []]
    return StructType(
        [
            *keys,
            StructField("month", StringType(), False),
            StructField("offset", LongType(), False),
            StructField("deals", LongType(), False),
            StructField("amount", DecimalType(38, dp), False),
            StructField("weighted", DecimalType(38, dp), False),
        ]
    )


def forecast_by_group(
    policy: Mapping[str, Any],
    as_of: datetime.date | str,
    *,
    stage: str = "stage",
    amount: str = "amount",
    entered_stage_on: str | None = None,
    expected_close_on: str | None = None,
    snoozed_until: str | None = None,
    amount_scale: int | None = None,
) -> tuple[Callable[[Any], Any], Any]:
    """``(function, schema)`` for ``df.groupBy(*policy["group_by"]).applyInPandas``: the
    forecast of each group's deals, the rows ``forecast_frame`` gives for that group. The
    column arguments are ``forecast_frame``'s. Spark ``DateType`` columns (which reach
    pandas as ``datetime.date`` objects) are read as dates, ``DecimalType`` amounts exactly.

    Raises ``CrmkitError`` in the executor for bad data, as ``forecast_frame`` does; an
    empty ``group_by`` is refused here (``invalid_value`` at ``group_by``): without groups
    there is nothing to split, use ``forecast_frame``.
    """
    if not policy.get("group_by"):
        from crmkit._arrow import error

        raise error("invalid_value", "group_by", "forecast_by_group needs the policy's group_by keys to split by")
    policy = dict(policy)
    dates = [c for c in (entered_stage_on, expected_close_on, snoozed_until) if c is not None]

    def forecast_group(pdf: Any) -> Any:
        import pandas as pd

        for column in dates:
            if column in pdf.columns and not pd.api.types.is_datetime64_any_dtype(pdf[column].dtype):
                pdf[column] = pd.to_datetime(pdf[column])  # datetime.date objects from DateType
        out = forecast_frame(
            pdf,
            policy,
            as_of,
            stage=stage,
            amount=amount,
            entered_stage_on=entered_stage_on,
            expected_close_on=expected_close_on,
            snoozed_until=snoozed_until,
            amount_scale=amount_scale,
        )
        out.attrs.clear()  # the per-group totals are not part of the rows
        return out

    return forecast_group, forecast_schema(policy)
