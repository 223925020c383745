"""Commission (提成 / 计提) over dicts and lists."""

from __future__ import annotations

import datetime
from typing import Any, Mapping, Sequence

from crmkit import _native
from crmkit._types import document
from crmkit._wire import as_of_text, to_json

__all__ = ["collections", "compute_commission", "payment_interest", "route_discount"]


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
    return _native.compute_commission(to_json(plan, "plan"), to_json(input, "input"), as_of_text(as_of))


@document("InterestPolicy", "Batch")
def payment_interest(policy: Mapping[str, Any], batches: Sequence[Mapping[str, Any]], as_of: datetime.date | str) -> dict:
    """Early-payment bonus (提前回款奖息) and late-payment penalty (超期回款罚息) interest per
    invoice / shipment batch: ``policy`` declares ``early_rate`` / ``late_rate`` (annual),
    ``day_count`` (``actual_365``, ``actual_360``, ``actual_actual``) and ``grace_days``;
    ``batches`` are ``{"id", "invoice_on", "due_on", "amount", "payments": [{"on", "amount"}]}``.
    Returns per batch the collected, outstanding, bonus, penalty and accrued penalty with one
    line per payment. Raises ``CrmkitError``.

    >>> import crmkit
    >>> batch = {"id": "inv1", "invoice_on": "2026-01-01", "due_on": "2026-01-31", "amount": "100000",
    ...          "payments": [{"on": "2026-03-17", "amount": "100000"}]}
    >>> crmkit.payment_interest({"late_rate": "0.18", "day_count": "actual_365"}, [batch], "2026-03-31")["totals"]["penalty"]
    Decimal('2219.18')
    """
    return _native.payment_interest(to_json(policy), to_json(batches), as_of_text(as_of))


@document("CollectionsPolicy", "Batch")
def collections(policy: Mapping[str, Any], batches: Sequence[Mapping[str, Any]], as_of: datetime.date | str) -> dict:
    """Receivables (回款) at ``as_of`` over the batches ``payment_interest`` takes (with a
    ``customer``): per batch the days past due, aging bucket and warning level; aging totals;
    per customer the credit grade from on-time ratio, amount-weighted days late and max days
    past due against the policy's published thresholds (``{}``: the defaults); DSO. Raises
    ``CrmkitError``.

    >>> import crmkit
    >>> batch = {"id": "i1", "customer": "acme", "invoice_on": "2026-01-01", "due_on": "2026-01-31", "amount": "1000"}
    >>> report = crmkit.collections({}, [batch], "2026-03-31")
    >>> report["batches"][0]["bucket"], report["batches"][0]["level"], report["customers"][0]["grade"]
    ('31-60', 'warning', 'D')
    """
    return _native.collections(to_json(policy), to_json(batches), as_of_text(as_of))


@document("DiscountPolicy", "DiscountRequest")
def route_discount(policy: Mapping[str, Any], request: Mapping[str, Any]) -> dict:
    """Discount approval routing: ``request`` is ``{"list_price", "price"}``; each band of
    ``policy["bands"]`` the price falls below (as a share of list) adds its approvers to the
    chain, with the reason. Raises ``CrmkitError``.

    >>> import crmkit
    >>> bands = [{"below": "0.9", "approvers": ["manager"]}, {"below": "0.7", "approvers": ["vice_president"]}]
    >>> route = crmkit.route_discount({"bands": bands}, {"list_price": "1000", "price": "650"})
    >>> [(s["approver"], s["reason"]) for s in route["steps"]]
    [('manager', 'price 65.00% of list is below 90.00%'), ('vice_president', 'price 65.00% of list is below 70.00%')]
    """
    return _native.route_discount(to_json(policy), to_json(request))
