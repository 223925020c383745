"""The planning functions over a forecast: quota, hierarchy, backtest... over dicts and lists."""

from __future__ import annotations

import datetime
from typing import Any, Mapping, Sequence

from crmkit import _native
from crmkit._types import document
from crmkit._wire import as_of_text, to_json

__all__ = ["backtest", "fiscal_periods", "forecast_hierarchy", "quota_attainment"]


@document("ForecastPolicy", "QuotaPolicy", "QuotaInput")
def quota_attainment(
    policy: Mapping[str, Any], quota: Mapping[str, Any], input: Mapping[str, Any], as_of: datetime.date | str
) -> dict:
    """Quota attainment, gap and pipeline coverage per key and period.

    ``policy`` is the forecast policy, ``quota`` says how quotas are read
    (``{"group_by": ["owner"], "period": "quarter"}``), ``input`` holds ``deals`` (as
    ``forecast`` takes them; won deals count on their ``expected_close_on``), ``quotas``
    (``[{"key": {"owner": "li"}, "period": "2026-Q4", "amount": "100000"}]``) and optionally
    ``won`` deals given apart. Each line has ``won``, ``open``, ``attainment``, ``gap``,
    ``coverage`` and ``weighted_coverage``. Raises ``CrmkitError``.
    """
    return _native.quota_attainment(
        to_json(policy, "policy"), to_json(quota, "quota"), to_json(input, "input"), as_of_text(as_of)
    )


@document("ForecastPolicy", "HierarchyPolicy", "HierarchyInput")
def forecast_hierarchy(
    policy: Mapping[str, Any], hierarchy: Mapping[str, Any], input: Mapping[str, Any], as_of: datetime.date | str
) -> dict:
    """Collaborative forecasting over an owner tree.

    ``hierarchy`` is ``{"owners": [{"owner": "ann", "manager": "vp"}, {"owner": "vp"}, ...],
    "period": "quarter"}`` (one root, no cycle); ``input`` holds ``deals`` (each with an owner
    of the tree) and ``adjustments`` (``[{"by": "vp", "owner": "ann", "category": "commit",
    "period": "2026-Q4", "amount": "150"}]``). Each line (owner and period) gives, per
    cumulative category, ``own``, ``call`` (the reps' roll-up), ``weighted`` and ``adjusted``
    with the ``adjustments`` made (``by``, ``from``, ``to``, ``delta``). Adjustments never change
    a deal line. Raises ``CrmkitError``.
    """
    return _native.forecast_hierarchy(
        to_json(policy, "policy"), to_json(hierarchy, "hierarchy"), to_json(input, "input"), as_of_text(as_of)
    )


@document("FiscalYear")
def fiscal_periods(fiscal_year: Mapping[str, Any], start: datetime.date | str, end: datetime.date | str) -> dict:
    """The years, quarters and periods of a fiscal calendar overlapping ``start`` to ``end``.

    ``fiscal_year`` is the ``fiscal_year`` every policy takes: month-based
    (``{"start_month": 4}``) or week-based, e.g. the NRF retail calendar
    ``{"start_month": 2, "named_by": "start", "weeks": {"pattern": "4-5-4", "ends_on":
    "saturday", "year_end": "nearest"}}``. Each line has ``period`` (``FY2026-P10``,
    ``FY2026-Q4``, ``FY2026``), ``year``, ``start``, ``end``, ``days``, ``weeks`` and
    ``reasons`` (``week_based`` / ``month_based``, ``extra_week``). Raises ``CrmkitError``.
    """
    return _native.fiscal_periods(to_json(fiscal_year, "fiscal_year"), as_of_text(start, "start"), as_of_text(end, "end"))


@document("ForecastPolicy", "BacktestPolicy", "StageEvent")
def backtest(
    policy: Mapping[str, Any], settings: Mapping[str, Any], events: Sequence[Mapping[str, Any]], as_of: datetime.date | str
) -> dict:
    """Backtest: the open pipeline rebuilt from the stage-change log on past dates, scored.

    ``settings`` is ``{"dates": ["2026-01-01", ...], "period": "month", "simulations": 1000,
    "seed": 0}``; ``events`` are ``funnel_history``'s, each with the ``amount`` and
    ``expected_close_on`` known that day. Each line (date and method: ``stage_weighted``,
    ``commit``, ``monte_carlo_p50``) gives ``forecast``, ``actual``, ``error``, ``ape`` and
    ``new_won``; ``summary`` gives ``mape``, ``wape`` and ``bias`` per method. Raises
    ``CrmkitError``.
    """
    return _native.backtest(
        to_json(policy, "policy"), to_json(settings, "settings"), to_json(events, "events", "events"), as_of_text(as_of)
    )
