"""The compiled module. Call it through ``crmkit``, which writes the JSON and columns it takes."""

from typing import Optional, Sequence, Tuple

import numpy as np
import numpy.typing as npt

from crmkit import CrmkitError as CrmkitError
from crmkit import AllocationReport, CommissionReport, ForecastReport, HierarchyReport, HistoryReport, QuotaReport, RangeReport, ScoreReport
from crmkit import AttributionReport, Comparison, RoiReport

__version__: str

def forecast(policy_json: str, deals_json: str, as_of: str) -> ForecastReport: ...
def allocate_target(policy_json: str, input_json: str, as_of: str) -> AllocationReport: ...
def forecast_ranges(policy_json: str, settings_json: str, deals_json: str, as_of: str) -> RangeReport: ...
def funnel_history(policy_json: str, events_json: str, as_of: str) -> HistoryReport: ...
def compute_commission(plan_json: str, input_json: str, as_of: str) -> CommissionReport: ...
def score_leads(policy_json: str, leads_json: str, as_of: str) -> ScoreReport: ...
def quota_attainment(policy_json: str, quota_json: str, input_json: str, as_of: str) -> QuotaReport: ...
def forecast_hierarchy(policy_json: str, hierarchy_json: str, input_json: str, as_of: str) -> HierarchyReport: ...
def forecast_columns(
    policy_json: str,
    stage_codes: npt.NDArray[np.int32],
    stage_labels: Sequence[str],
    amount: npt.NDArray[np.int64] | npt.NDArray[np.float64] | Sequence[str],
    amount_scale: int,
    entered_days: Optional[npt.NDArray[np.int64]],
    keys: Sequence[Tuple[npt.NDArray[np.int32], Sequence[str]]],
    as_of: str,
    threads: int = 1,
    close_days: Optional[npt.NDArray[np.int64]] = None,
    snoozed_days: Optional[npt.NDArray[np.int64]] = None,
) -> ForecastReport: ...
def campaign_roi(policy_json: str, campaigns_json: str) -> RoiReport: ...
def attribute(policy_json: str, journeys_json: str) -> AttributionReport: ...
def compare_attribution(policy_json: str, journeys_json: str) -> Comparison: ...
def attribute_columns(
    policy_json: str,
    journey: npt.NDArray[np.int64],
    channel: npt.NDArray[np.int32],
    channel_labels: Sequence[str],
    on: npt.NDArray[np.int64],
    revenue: npt.NDArray[np.int64] | npt.NDArray[np.float64] | Sequence[str],
    revenue_scale: int,
    converted_on: npt.NDArray[np.int64],
    milestone: Optional[npt.NDArray[np.int8]] = None,
) -> Tuple[AttributionReport, npt.NDArray[np.int64]]: ...
