"""crmkit: pure functions over plain data for sales CRMs, exact decimal money.

``forecast`` takes dicts and lists (money as ``decimal.Decimal``, ``str`` or ``int``, never
``float``) and returns dicts and lists with ``Decimal`` money and ``datetime.date`` dates.
``forecast_frame`` takes a pandas DataFrame's columns and returns a DataFrame;
``allocate_target`` splits a target by history (指标分摊); ``compute_commission`` computes
commission statements (提成) from a plan given as data; ``score_leads`` scores and ranks
leads by rules (线索评估). Every error is
a ``CrmkitError`` (a ``ValueError``) with a stable ``.code`` and the ``.path`` of the field.

The shapes of policies and reports are ``TypedDict``s (``crmkit.ForecastPolicy``,
``crmkit.ForecastReport``...), declared in the stubs and importable at run time too;
``help(crmkit.forecast)`` lists every key a function takes.
"""

from crmkit._api import allocate_target, allocate_tree, forecast, forecast_frame, forecast_ranges, funnel_history
from crmkit._commission import collections, compute_commission, payment_interest, route_discount
from crmkit._batch_frame import collections_frame, payment_interest_frame
from crmkit._commission_frame import commission_frame
from crmkit._dedup import (
    DedupIndex,
    blocking_keys,
    blocking_keys_frame,
    cluster_pairs,
    cluster_pairs_frame,
    compare,
    dedup_frame,
    estimate_model,
    find_duplicates,
    link_records,
    match_records,
    normalize_company,
    normalize_credit_code,
    normalize_domain,
    normalize_email,
    normalize_person_name,
    normalize_phone,
    score_block,
    score_block_frame,
)
from crmkit._native import CrmkitError, __version__
from crmkit._roi import attribute, attribution_frame, campaign_roi, compare_attribution, compare_attribution_frame
from crmkit._roi_campaigns import campaign_roi_frame
from crmkit._scoring import (
    calibration,
    predict_leads,
    score_frame,
    score_leads,
    time_split,
    train_lead_model,
    train_lead_model_frame,
)
from crmkit._plan import backtest, fiscal_periods, forecast_hierarchy, quota_attainment
from crmkit._quota_frame import quota_frame
from crmkit._pool import (
    assign_records,
    assign_records_frame,
    check_claims,
    check_claims_frame,
    evaluate_pool,
    evaluate_pool_frame,
    lint_pool,
    simulate_pool,
    simulate_pool_frame,
)

__all__ = [
    "CrmkitError",
    "DedupIndex",
    "dedup_frame",
    "blocking_keys",
    "blocking_keys_frame",
    "cluster_pairs",
    "cluster_pairs_frame",
    "score_block",
    "score_block_frame",
    "estimate_model",
    "find_duplicates",
    "link_records",
    "match_records",
    "__version__",
    "allocate_target",
    "allocate_tree",
    "attribute",
    "attribution_frame",
    "backtest",
    "campaign_roi",
    "campaign_roi_frame",
    "collections",
    "compare_attribution",
    "compare_attribution_frame",
    "compare",
    "assign_records",
    "check_claims",
    "commission_frame",
    "collections_frame",
    "payment_interest_frame",
    "compute_commission",
    "evaluate_pool",
    "evaluate_pool_frame",
    "assign_records_frame",
    "check_claims_frame",
    "forecast",
    "forecast_frame",
    "forecast_hierarchy",
    "forecast_ranges",
    "fiscal_periods",
    "funnel_history",
    "calibration",
    "predict_leads",
    "score_frame",
    "score_leads",
    "quota_attainment",
    "quota_frame",
    "time_split",
    "train_lead_model",
    "train_lead_model_frame",
    "payment_interest",
    "route_discount",
    "normalize_company",
    "normalize_credit_code",
    "normalize_domain",
    "normalize_email",
    "normalize_person_name",
    "normalize_phone",
    "lint_pool",
    "simulate_pool",
    "simulate_pool_frame",
]


def __getattr__(name: str) -> object:
    # The stubs' TypedDicts and aliases, read on first use (crmkit._types).
    from crmkit import _types

    try:
        return _types.names()[name]
    except KeyError:
        raise AttributeError(f"module 'crmkit' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    from crmkit import _types

    return sorted(set(globals()) | set(_types.names()))
