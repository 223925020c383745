"""Commission (提成 / 计提) over dicts and lists."""

from __future__ import annotations

import datetime
from typing import Any, Mapping

from crmkit import _native
from crmkit._types import document
from crmkit._wire import as_of_text, to_json

__all__ = ["compute_commission"]


@document("CommissionPlan", "CommissionInput")
def compute_commission(plan: Mapping[str, Any], input: Mapping[str, Any], as_of: datetime.date | str) -> dict:  # noqa: A002
    """Each rep's commission for the period under ``plan``: ``input`` is ``{"transactions",
    "reps"?}``. Returns ``reps`` (one statement each: ``provisional``, ``final``, ``true_up``,
    ``capped``, running totals, attainment, and ``lines`` / ``provisional_lines`` with one line
    per computation step), ``credits`` (who was credited what) and ``totals``; money as
    ``decimal.Decimal``. Raises ``CrmkitError`` (``tier_overlap`` at ``tiers[1].from``,
    ``split_total`` at ``transactions[0].splits``...).

    >>> import crmkit
    >>> plan = {"kind": "graduated", "tiers": [{"from": "0", "to": "50000", "rate": "0.02"},
    ...     {"from": "50000", "to": "100000", "rate": "0.05"}, {"from": "100000", "rate": "0.08"}]}
    >>> sale = {"id": "d1", "on": "2026-03-10", "amount": "120000", "rep": "wang"}
    >>> report = crmkit.compute_commission(plan, {"transactions": [sale]}, "2026-03-31")
    >>> [line["amount"] for line in report["reps"][0]["lines"]], report["reps"][0]["final"]
    ([Decimal('1000.00'), Decimal('2500.00'), Decimal('1600.00')], Decimal('5100.00'))
    """
    return _native.compute_commission(to_json(plan), to_json(input), as_of_text(as_of))
