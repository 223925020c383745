"""Marketing ROI and attribution over dicts and lists."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from crmkit import _native
from crmkit._types import document
from crmkit._wire import to_json

__all__ = ["attribute", "campaign_roi"]


@document("RoiPolicy", "Campaign")
def campaign_roi(policy: Mapping[str, Any], campaigns: Sequence[Mapping[str, Any]]) -> dict:
    """ROI metrics per campaign, channel, channel group, period and in total.

    Each line has ROI % = (won revenue − cost) ÷ cost × 100, ROAS, cost per lead /
    opportunity / win, CAC, budget vs actual, expected vs actual revenue and the funnel
    converted from the top and stage to stage; a ratio over zero is ``None`` with a reason
    (``zero_cost``, ``no_leads``...), never infinite. Money as ``Decimal``. Raises
    ``CrmkitError`` (``unknown_channel`` at ``campaigns[2].channel``, ``negative_amount``...).

    >>> import crmkit
    >>> c = {"id": "c1", "channel": "events", "cost": "11400", "won_revenue": "20000",
    ...      "leads": 3000, "customers": 1200, "opportunities": 800, "won": 260}
    >>> total = crmkit.campaign_roi({}, [c])["total"]
    >>> total["roi_pct"], [s["from_top_pct"] for s in total["funnel"]]
    (Decimal('75.4'), [Decimal('100.0'), Decimal('40.0'), Decimal('26.7'), Decimal('8.7')])
    """
    return _native.campaign_roi(to_json(policy), to_json(campaigns))


@document("AttributionPolicy", "Journey")
def attribute(policy: Mapping[str, Any], journeys: Sequence[Mapping[str, Any]]) -> dict:
    """Attribution of each converting journey's revenue to its touches under
    ``policy["model"]`` (``first_touch``, ``last_touch``, ``linear``, ``u_shaped``,
    ``w_shaped``, ``position``, ``time_decay``, ``markov``, ``shapley``); credits are
    ``Decimal`` and sum exactly to each journey's rounded revenue. Returns per-channel totals
    and one explained line per journey and touch. Raises ``CrmkitError``.

    >>> import crmkit
    >>> j = {"id": "j1", "revenue": "100.00", "converted_on": "2026-03-15", "touches": [
    ...     {"channel": "search", "on": "2026-03-01"}, {"channel": "email", "on": "2026-03-10"},
    ...     {"channel": "events", "on": "2026-03-15"}]}
    >>> [t["credit"] for t in crmkit.attribute({"model": {"kind": "linear"}}, [j])["journeys"][0]["touches"]]
    [Decimal('33.34'), Decimal('33.33'), Decimal('33.33')]
    """
    return _native.attribute(to_json(policy), to_json(journeys))
