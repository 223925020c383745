"""The public functions over dicts and lists."""

from __future__ import annotations

import datetime
from typing import Any, Mapping, Sequence

from crmkit import _native
from crmkit._frame import forecast_frame
from crmkit._types import document
from crmkit._wire import as_of_text, to_json

__all__ = ["allocate_target", "allocate_tree", "forecast", "forecast_frame", "forecast_ranges", "funnel_history"]


@document("ForecastPolicy", "Deal")
def forecast(policy: Mapping[str, Any], deals: Sequence[Mapping[str, Any]], as_of: datetime.date | str) -> dict:
    """Weighted funnel forecast of ``deals`` under ``policy`` at ``as_of``.

    Returns the report as a dict: ``stages``, ``months``, ``quarters``, ``years``, ``groups``,
    ``categories`` and ``commit`` (forecast categories and the commit-vs-stage gap), ``deals``
    (one explained line per deal) and ``totals``; money as ``decimal.Decimal``, dates as
    ``datetime.date``. See the README's "Forecast semantics" for the rules.

    Raises ``CrmkitError`` with the core's code and path (``invalid_decimal`` at
    ``deals[0].amount`` for a float amount, ``unknown_stage`` at ``deals[3].stage``...).

    >>> import crmkit
    >>> policy = {"stages": [{"name": "open", "conversion": "0.25", "duration": "10"},
    ...                      {"name": "won", "kind": "won"}],
    ...           "duration_unit": "days", "placement": "remaining_full"}
    >>> report = crmkit.forecast(policy, [{"id": "d1", "stage": "open", "amount": "100.00"}], "2026-01-05")
    >>> report["totals"]["open"]["weighted"]
    Decimal('25.00')
    """
    return _native.forecast(to_json(policy, "policy"), to_json(deals, "deals", "deals"), as_of_text(as_of))


@document("AllocationPolicy", "AllocationInput")
def allocate_target(policy: Mapping[str, Any], input: Mapping[str, Any], as_of: datetime.date | str) -> dict:  # noqa: A002
    """Target allocation (指标分摊): ``input["target"]`` split across keys by their share of
    ``input["history"]`` in the policy's window up to ``as_of``, plus ``input["adjustments"]``;
    the lines' targets sum exactly to the target. Raises ``CrmkitError``.

    >>> import crmkit
    >>> history = [{"key": k, "on": "2026-01-10", "amount": "1"} for k in ("A", "B", "C")]
    >>> report = crmkit.allocate_target({}, {"target": "100.00", "history": history}, "2026-03-31")
    >>> [line["target"] for line in report["lines"]]
    [Decimal('33.34'), Decimal('33.33'), Decimal('33.33')]
    """
    return _native.allocate_target(to_json(policy, "policy"), to_json(input, "input"), as_of_text(as_of))


@document("AllocationTreePolicy", "AllocationTreeInput")
def allocate_tree(policy: Mapping[str, Any], input: Mapping[str, Any], as_of: datetime.date | str) -> dict:  # noqa: A002
    """Hierarchical target allocation: ``input["target"]`` split down the tree of
    ``input["history"]``'s paths (one key per ``policy["levels"]`` entry), each level by its own
    history window, nodes raised to their floors; every node's children sum exactly to it.
    Returns ``levels`` (each level's window) and ``lines`` (one per node, parents first).
    Raises ``CrmkitError``.

    >>> import crmkit
    >>> policy = {"levels": [{"name": "product"}, {"name": "region", "floor": "10.00"}]}
    >>> history = [{"path": ["Cloud", "East"], "on": "2026-01-10", "amount": "95"},
    ...            {"path": ["Cloud", "West"], "on": "2026-01-10", "amount": "5"},
    ...            {"path": ["Seats", "East"], "on": "2026-02-10", "amount": "100"}]
    >>> report = crmkit.allocate_tree(policy, {"target": "100.00", "history": history}, "2026-03-31")
    >>> [("/".join(line["path"]), line["target"]) for line in report["lines"]]
    [('Cloud', Decimal('50.00')), ('Cloud/East', Decimal('40.00')), ('Cloud/West', Decimal('10.00')), ('Seats', Decimal('50.00')), ('Seats/East', Decimal('50.00'))]
    """
    return _native.allocate_tree(to_json(policy, "policy"), to_json(input, "input"), as_of_text(as_of))


@document("ForecastPolicy", "RangeSettings", "Deal")
def forecast_ranges(
    policy: Mapping[str, Any], settings: Mapping[str, Any], deals: Sequence[Mapping[str, Any]], as_of: datetime.date | str
) -> dict:
    """Seeded Monte Carlo ranges of the forecast: ``settings`` is ``{"simulations", "seed",
    "quantiles"}`` (default P10 / P50 / P90); returns the quantiles and mean of the won amount
    in total and per month, beside the weighted forecast. Same seed, same ranges, in every
    language. Raises ``CrmkitError``."""
    return _native.forecast_ranges(
        to_json(policy, "policy"), to_json(settings, "settings"), to_json(deals, "deals", "deals"), as_of_text(as_of)
    )


@document("HistoryPolicy", "StageEvent")
def funnel_history(policy: Mapping[str, Any], events: Sequence[Mapping[str, Any]], as_of: datetime.date | str) -> dict:
    """The funnel learned from a stage-change log (``[{"deal", "stage", "on", "amount"?}]``):
    per stage the conversion (open deals censored), time in stage, and the win rate, cycle
    length and average won amount. Raises ``CrmkitError``."""
    return _native.funnel_history(to_json(policy, "policy"), to_json(events, "events", "events"), as_of_text(as_of))
