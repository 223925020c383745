"""Type stubs of crmkit: the shapes of policies, deals and reports."""

import datetime
from decimal import Decimal
from typing import Any, Literal, Mapping, Protocol, Sequence, TypedDict, Union, overload

import pandas as pd
from typing_extensions import NotRequired

__version__: str

class CrmkitError(ValueError):
    """Every crmkit error: a stable snake_case ``code`` and the ``path`` of the field."""

    code: str
    path: str

# Money and rates: decimal strings ("1250.00"), integers or Decimal; never float.
DecimalInput = Union[str, int, Decimal]
# Dates: "YYYY-MM-DD" or a date (a datetime is refused as invalid_date).
DateInput = Union[str, datetime.date]

class ArrowStreamExportable(Protocol):
    """Arrow tabular data: a polars DataFrame, a pyarrow Table or RecordBatch, a DuckDB result..."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...

StageKind = Literal["open", "won", "lost"]
DurationUnit = Literal["days", "months"]
Placement = Literal["remaining_full", "half_elapsed", "actual", "expected_close"]
FiscalYearName = Literal["end", "start"]
ForecastCategory = Literal["closed", "commit", "best_case", "pipeline", "omitted"]
OverduePolicy = Literal["move_on", "exclude"]
UndatedPolicy = Literal["error", "remaining_full", "half_elapsed", "unscheduled"]
RoundingStrategy = Literal["half_even", "half_up", "half_down", "down", "up"]
Reason = Literal[
    "weighted_by_stage_probability",
    "weighted_by_deal_probability",
    "closed_won",
    "closed_lost",
    "placed_remaining_full",
    "placed_half_elapsed",
    "placed_actual",
    "overdue_in_stage",
    "excluded_overdue",
    "placed_expected_close",
    "overdue_close_date",
    "category_override",
    "stalled_in_stage",
    "stall_snoozed",
    "idle_no_activity",
    "undated_fallback",
    "unscheduled_undated",
    "beyond_horizon",
]

class Rounding(TypedDict):
    dp: int
    strategy: NotRequired[RoundingStrategy]

class Stage(TypedDict):
    name: str
    kind: NotRequired[StageKind]
    conversion: NotRequired[DecimalInput]
    probability: NotRequired[DecimalInput]
    duration: NotRequired[DecimalInput]
    category: NotRequired[ForecastCategory]
    stall_after: NotRequired[DecimalInput]
    idle_after: NotRequired[int]

WeekPattern = Literal["4-4-5", "4-5-4", "5-4-4"]
DayOfWeek = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
YearEnd = Literal["last_weekday", "nearest"]
CalendarReason = Literal["week_based", "month_based", "extra_week"]

class WeekRule(TypedDict):
    pattern: WeekPattern
    ends_on: DayOfWeek
    year_end: YearEnd

class FiscalYear(TypedDict):
    start_month: NotRequired[int]
    named_by: NotRequired[FiscalYearName]
    weeks: NotRequired[WeekRule]

class FiscalPeriod(TypedDict):
    period: str
    year: str
    start: datetime.date
    end: datetime.date
    days: int
    weeks: int | None
    reasons: list[CalendarReason]

class FiscalCalendar(TypedDict):
    years: list[FiscalPeriod]
    quarters: list[FiscalPeriod]
    periods: list[FiscalPeriod]

def fiscal_periods(fiscal_year: FiscalYear | Mapping[str, object], start: DateInput, end: DateInput) -> FiscalCalendar:
    """The years, quarters and periods (4/5-week or calendar months) of a fiscal calendar
    overlapping ``start`` to ``end``; raises ``CrmkitError``."""

class ForecastPolicy(TypedDict):
    stages: Sequence[Stage]
    duration_unit: DurationUnit
    placement: Placement
    group_by: NotRequired[Sequence[str]]
    rounding: NotRequired[Rounding]
    overdue: NotRequired[OverduePolicy]
    undated: NotRequired[UndatedPolicy]
    fiscal_year: NotRequired[FiscalYear]
    horizon_months: NotRequired[int]
    dense: NotRequired[bool]

class Deal(TypedDict):
    id: str
    stage: str
    amount: DecimalInput
    entered_stage_on: NotRequired[DateInput]
    expected_close_on: NotRequired[DateInput]
    snoozed_until: NotRequired[DateInput]
    snooze_reason: NotRequired[str]
    last_activity_on: NotRequired[DateInput]
    category: NotRequired[ForecastCategory]
    probability: NotRequired[DecimalInput]
    owner: NotRequired[str]
    team: NotRequired[str]
    product: NotRequired[str]
    attributes: NotRequired[Mapping[str, str]]

class StageLine(TypedDict):
    stage: str
    kind: StageKind
    probability: Decimal
    conversion: Decimal | None
    duration: Decimal | None
    deals: int
    amount: Decimal
    weighted: Decimal
    stalled: int
    idle: int

class MonthLine(TypedDict):
    month: str
    offset: int
    deals: int
    amount: Decimal
    weighted: Decimal

class PeriodLine(TypedDict):
    period: str
    first_month: str
    last_month: str
    deals: int
    amount: Decimal
    weighted: Decimal

class GroupLine(TypedDict):
    key: dict[str, str | None]
    deals: int
    amount: Decimal
    weighted: Decimal
    months: list[MonthLine]
    beyond_horizon: NotRequired[Sums]

StallRule = Literal["time_in_stage", "no_activity"]

class StallFlag(TypedDict):
    rule: StallRule
    threshold: Decimal
    value: Decimal
    since: datetime.date
    snoozed: bool

class DealLine(TypedDict):
    id: str
    stage: str
    amount: Decimal
    probability: Decimal
    weighted: Decimal
    month: str | None
    offset: int | None
    in_stage: Decimal | None
    remaining: Decimal | None
    category: ForecastCategory
    stalled: bool
    idle: bool
    stalls: list[StallFlag]
    reasons: list[Reason]

class Sums(TypedDict):
    deals: int
    amount: Decimal
    weighted: Decimal

class Totals(TypedDict):
    open: Sums
    unscheduled: Sums
    won: Sums
    lost: Sums
    stalled: Sums
    idle: Sums
    beyond_horizon: Sums

class CategoryLine(TypedDict):
    category: ForecastCategory
    deals: int
    amount: Decimal
    weighted: Decimal
    cumulative: Decimal | None

class CommitComparison(TypedDict):
    commit: Decimal
    best_case: Decimal
    stage_forecast: Decimal
    gap: Decimal

class ForecastReport(TypedDict):
    as_of: datetime.date
    placement: Placement
    duration_unit: DurationUnit
    stages: list[StageLine]
    months: list[MonthLine]
    quarters: list[PeriodLine]
    years: list[PeriodLine]
    groups: list[GroupLine]
    deals: list[DealLine]
    totals: Totals
    categories: list[CategoryLine]
    commit: CommitComparison

Window = Literal["all", "ytd", "qtd", "mtd"]
AllocationReason = Literal["share_of_history", "adjusted", "no_history"]

class AllocationPolicy(TypedDict):
    window: NotRequired[Window]
    fiscal_year: NotRequired[FiscalYear]
    rounding: NotRequired[Rounding]

class HistoryRow(TypedDict):
    key: str
    on: DateInput
    amount: DecimalInput

class Adjustment(TypedDict):
    key: str
    amount: DecimalInput

class AllocationInput(TypedDict):
    target: DecimalInput
    history: Sequence[HistoryRow]
    adjustments: NotRequired[Sequence[Adjustment]]

class AllocationLine(TypedDict):
    key: str
    history: Decimal
    share: Decimal
    base: Decimal
    adjustment: Decimal
    target: Decimal
    reasons: list[AllocationReason]

# Functional syntax: one key is "from", a Python keyword.
AllocationReport = TypedDict(
    "AllocationReport",
    {"from": datetime.date | None, "to": datetime.date, "lines": list[AllocationLine], "target": Decimal, "history": Decimal},
)

def allocate_target(
    policy: AllocationPolicy | Mapping[str, object], input: AllocationInput | Mapping[str, object], as_of: DateInput
) -> AllocationReport:
    """Target allocation (指标分摊) by share of history, plus adjustments; raises ``CrmkitError``."""

AllocationNodeReason = Literal["share_of_history", "floor", "no_history"]

class AllocationLevel(TypedDict):
    name: str
    window: NotRequired[Window]
    floor: NotRequired[DecimalInput]

class AllocationTreePolicy(TypedDict):
    levels: Sequence[AllocationLevel]
    fiscal_year: NotRequired[FiscalYear]
    rounding: NotRequired[Rounding]

class PathHistoryRow(TypedDict):
    path: Sequence[str]
    on: DateInput
    amount: DecimalInput

class NodeFloor(TypedDict):
    path: Sequence[str]
    amount: DecimalInput

class AllocationTreeInput(TypedDict):
    target: DecimalInput
    history: Sequence[PathHistoryRow]
    floors: NotRequired[Sequence[NodeFloor]]

AllocationLevelWindow = TypedDict("AllocationLevelWindow", {"name": str, "from": datetime.date | None})

class AllocationNode(TypedDict):
    level: str
    path: list[str]
    parent: list[str]
    parent_target: Decimal
    history: Decimal
    share: Decimal
    floor: Decimal
    shared: Decimal
    target: Decimal
    reasons: list[AllocationNodeReason]

class AllocationTreeReport(TypedDict):
    target: Decimal
    to: datetime.date
    levels: list[AllocationLevelWindow]
    lines: list[AllocationNode]

def allocate_tree(
    policy: AllocationTreePolicy | Mapping[str, object], input: AllocationTreeInput | Mapping[str, object], as_of: DateInput
) -> AllocationTreeReport:
    """Hierarchical target allocation down a tree of keys, each level by its own window, with
    floors; every node's children sum exactly to it. Raises ``CrmkitError``."""

SkippedStages = Literal["passed", "ignored"]

class HistoryStage(TypedDict):
    name: str
    kind: NotRequired[StageKind]

Cohort = Literal["month"]

# "from" is a Python keyword: the call form.
EntryWindow = TypedDict("EntryWindow", {"from": NotRequired[DateInput], "to": NotRequired[DateInput]})

class HistoryPolicy(TypedDict):
    stages: Sequence[HistoryStage]
    skipped: NotRequired[SkippedStages]
    rate_dp: NotRequired[int]
    percentiles: NotRequired[Sequence[DecimalInput]]
    stall_percentile: NotRequired[DecimalInput]
    group_by: NotRequired[Sequence[str]]
    cohort: NotRequired[Cohort]
    window: NotRequired[EntryWindow]

class StageEvent(TypedDict):
    deal: str
    stage: str
    on: DateInput
    amount: NotRequired[DecimalInput]
    expected_close_on: NotRequired[DateInput]
    owner: NotRequired[str]
    team: NotRequired[str]
    product: NotRequired[str]
    attributes: NotRequired[Mapping[str, str]]

class DaysPercentile(TypedDict):
    percentile: Decimal
    days: int | None

class HistoryLine(TypedDict):
    stage: str
    kind: StageKind
    entered: int
    advanced: int
    lost: int
    open: int
    conversion: Decimal | None
    avg_days: Decimal | None
    visits: int
    percentiles: list[DaysPercentile]

class HistoryGroup(TypedDict):
    key: dict[str, str | None]
    cohort: str | None
    stages: list[HistoryLine]
    deals: int
    won: int
    lost: int
    open: int
    win_rate: Decimal | None
    avg_cycle_days: Decimal | None
    avg_won_amount: Decimal | None
    forecast_stages: list[Stage]

class HistoryReport(TypedDict):
    stages: list[HistoryLine]
    deals: int
    won: int
    lost: int
    open: int
    win_rate: Decimal | None
    avg_cycle_days: Decimal | None
    avg_won_amount: Decimal | None
    forecast_stages: list[Stage]
    groups: list[HistoryGroup]

BacktestMethod = Literal["stage_weighted", "commit", "monte_carlo_p50"]

class BacktestPolicy(TypedDict):
    dates: Sequence[DateInput]
    period: NotRequired[PeriodKind]
    simulations: NotRequired[int]
    seed: NotRequired[int | str]

class BacktestLine(TypedDict):
    date: datetime.date
    period: str
    start: datetime.date
    end: datetime.date
    method: BacktestMethod
    open_deals: int
    placed_deals: int
    forecast: Decimal
    actual: Decimal
    new_won: Decimal
    error: Decimal
    ape: Decimal | None

class BacktestSummary(TypedDict):
    method: BacktestMethod
    dates: int
    mape: Decimal | None
    wape: Decimal | None
    bias: Decimal | None

class BacktestReport(TypedDict):
    lines: list[BacktestLine]
    summary: list[BacktestSummary]

def backtest(
    policy: ForecastPolicy | Mapping[str, object],
    settings: BacktestPolicy | Mapping[str, object],
    events: Sequence[StageEvent | Mapping[str, object]],
    as_of: DateInput,
) -> BacktestReport:
    """The open pipeline rebuilt from the log on past dates, forecast by each method and scored
    (MAPE, WAPE, bias); raises ``CrmkitError``."""

def funnel_history(
    policy: HistoryPolicy | Mapping[str, object], events: Sequence[StageEvent | Mapping[str, object]], as_of: DateInput
) -> HistoryReport:
    """The funnel learned from a stage-change log; raises ``CrmkitError``."""

class RangeSettings(TypedDict):
    simulations: int
    seed: int | str
    quantiles: NotRequired[Sequence[DecimalInput]]

class RangeLine(TypedDict):
    month: str | None
    weighted: Decimal
    mean: Decimal
    values: list[Decimal]

class RangeReport(TypedDict):
    simulations: int
    seed: str
    quantiles: list[Decimal]
    total: RangeLine
    months: list[RangeLine]

def forecast_ranges(
    policy: ForecastPolicy | Mapping[str, object],
    settings: RangeSettings | Mapping[str, object],
    deals: Sequence[Deal | Mapping[str, object]],
    as_of: DateInput,
) -> RangeReport:
    """Seeded Monte Carlo quantiles of the forecast; raises ``CrmkitError``."""

def forecast(policy: ForecastPolicy | Mapping[str, object], deals: Sequence[Deal | Mapping[str, object]], as_of: DateInput) -> ForecastReport:
    """Weighted funnel forecast; raises ``CrmkitError``."""

@overload
def forecast_frame(
    df: pd.DataFrame,
    policy: ForecastPolicy | Mapping[str, object],
    as_of: DateInput,
    *,
    stage: str = "stage",
    amount: str = "amount",
    entered_stage_on: str | None = None,
    expected_close_on: str | None = None,
    snoozed_until: str | None = None,
    probability: str | None = None,
    category: str | None = None,
    last_activity_on: str | None = None,
    amount_scale: int | None = None,
    threads: int = 1,
    money: Literal["decimal", "units"] = "decimal",
) -> pd.DataFrame:
    """Forecast over a DataFrame's columns: one row per group and month; ``attrs["totals"]``,
    ``attrs["stages"]``, ``attrs["months"]``. Raises ``CrmkitError``."""

@overload
def forecast_frame(
    df: ArrowStreamExportable,
    policy: ForecastPolicy | Mapping[str, object],
    as_of: DateInput,
    *,
    stage: str = "stage",
    amount: str = "amount",
    entered_stage_on: str | None = None,
    expected_close_on: str | None = None,
    snoozed_until: str | None = None,
    probability: str | None = None,
    category: str | None = None,
    last_activity_on: str | None = None,
    amount_scale: int | None = None,
    threads: int = 1,
    money: Literal["decimal", "units"] = "decimal",
) -> Any:
    """Forecast over Arrow data: the result in the caller's library (polars, or a pyarrow Table), money as decimal128."""

# ---- commission (提成 / 计提) ----------------------------------------------------------------

PlanKind = Literal["flat", "graduated", "retroactive", "curve"]
Bounds = Literal["upper_inclusive", "lower_inclusive", "both_inclusive"]
TransactionKind = Literal["sale", "refund", "cancellation"]
SplitKind = Literal["revenue", "overlay"]
LineKind = Literal[
    "tier_slice", "retroactive", "curve", "rate_rule", "below_threshold", "clawback", "prior_periods", "cap", "spiff", "held"
]
Accrual = Literal["booking", "delivery", "collection", "collection_and_delivery", "attainment"]
LineReason = Literal[
    "marginal_rate",
    "tier_reached_at_end",
    "tier_reached_so_far",
    "accelerated",
    "rule_multiplier",
    "above_table",
    "refund",
    "cancellation",
    "below_zero",
    "original_rate",
    "threshold_met",
    "threshold_not_met",
    "held_until_period_end",
]

# "from" is a Python keyword: these TypedDicts use the call form.
Tier = TypedDict("Tier", {"from": DecimalInput, "to": NotRequired[DecimalInput], "rate": DecimalInput})

class CurvePoint(TypedDict):
    attainment: DecimalInput
    payout: DecimalInput

class Accelerator(TypedDict):
    from_attainment: DecimalInput
    multiplier: DecimalInput

class Threshold(TypedDict):
    credit: NotRequired[DecimalInput]
    attainment: NotRequired[DecimalInput]

class RateRule(TypedDict):
    product: NotRequired[str]
    customer_type: NotRequired[str]
    rate: NotRequired[DecimalInput]
    multiplier: NotRequired[DecimalInput]

class Spiff(TypedDict):
    product: NotRequired[str]
    customer_type: NotRequired[str]
    min_amount: NotRequired[DecimalInput]
    amount: DecimalInput

class Event(TypedDict):
    on: DateInput
    amount: DecimalInput

class Draw(TypedDict):
    amount: DecimalInput
    recoverable: bool

class CommissionPlan(TypedDict):
    kind: PlanKind
    rate: NotRequired[DecimalInput]
    tiers: NotRequired[Sequence[Tier]]
    bounds: NotRequired[Bounds]
    curve: NotRequired[Sequence[CurvePoint]]
    accelerators: NotRequired[Sequence[Accelerator]]
    threshold: NotRequired[Threshold]
    cap: NotRequired[DecimalInput]
    rates: NotRequired[Sequence[RateRule]]
    accrual: NotRequired[Accrual]
    spiffs: NotRequired[Sequence[Spiff]]
    currency: NotRequired[str]
    rounding: NotRequired[Rounding]

class Split(TypedDict):
    rep: str
    share: NotRequired[DecimalInput]
    weight: NotRequired[DecimalInput]
    kind: NotRequired[SplitKind]
    target_share: NotRequired[DecimalInput]

class Transaction(TypedDict):
    id: str
    on: DateInput
    kind: NotRequired[TransactionKind]
    amount: NotRequired[DecimalInput]
    currency: NotRequired[str]
    product: NotRequired[str]
    customer_type: NotRequired[str]
    rep: NotRequired[str]
    splits: NotRequired[Sequence[Split]]
    deliveries: NotRequired[Sequence[Event]]
    payments: NotRequired[Sequence[Event]]
    refers_to: NotRequired[str]
    original_rate: NotRequired[DecimalInput]

class RepInput(TypedDict):
    rep: str
    quota: NotRequired[DecimalInput]
    prior_credit: NotRequired[DecimalInput]
    prior_target_credit: NotRequired[DecimalInput]
    prior_paid: NotRequired[DecimalInput]
    draw: NotRequired[Draw]
    draw_balance: NotRequired[DecimalInput]

class CommissionInput(TypedDict):
    transactions: Sequence[Transaction]
    reps: NotRequired[Sequence[RepInput]]

StatementLine = TypedDict(
    "StatementLine",
    {
        "step": int,
        "kind": LineKind,
        "transaction": Union[str, None],
        "tier": Union[int, None],
        "from": Union[Decimal, None],
        "to": Union[Decimal, None],
        "base": Decimal,
        "rate": Union[Decimal, None],
        "multiplier": Decimal,
        "exact": Decimal,
        "amount": Decimal,
        "reasons": list[LineReason],
    },
)

RepStatement = TypedDict(
    "RepStatement",
    {
        "rep": str,
        "quota": Union[Decimal, None],
        "prior_credit": Decimal,
        "credit": Decimal,
        "target_credit": Decimal,
        "running_credit": Decimal,
        "running_target_credit": Decimal,
        "attainment": Union[Decimal, None],
        "tier": Union[int, None],
        "threshold_met": bool,
        "provisional": Decimal,
        "final": Decimal,
        "true_up": Decimal,
        "capped": Decimal,
        "accrued": Decimal,
        "held": Decimal,
        "draw_top_up": Decimal,
        "recovered": Decimal,
        "draw_balance": Decimal,
        "payable": Decimal,
        "lines": list[StatementLine],
        "provisional_lines": list[StatementLine],
    },
)

class CreditLine(TypedDict):
    transaction: str
    rep: str
    kind: SplitKind
    share: Decimal
    credit: Decimal
    target_share: Decimal
    target_credit: Decimal
    accrued: Decimal

CommissionTotals = TypedDict("CommissionTotals", {"provisional": Decimal, "final": Decimal, "true_up": Decimal})

class CommissionReport(TypedDict):
    currency: Union[str, None]
    reps: list[RepStatement]
    credits: list[CreditLine]
    totals: CommissionTotals

def compute_commission(
    plan: CommissionPlan | Mapping[str, object], input: CommissionInput | Mapping[str, object], as_of: DateInput
) -> CommissionReport: ...
@overload
def commission_frame(
    df: pd.DataFrame,
    plan: CommissionPlan | Mapping[str, object],
    as_of: DateInput,
    *,
    reps: Sequence[RepInput | Mapping[str, object]] | None = None,
    rep: str = "rep",
    on: str = "on",
    amount: str = "amount",
    refund: str | None = None,
    product: str | None = None,
    customer_type: str | None = None,
    refers_to: str | None = None,
    original_rate: str | None = None,
    amount_scale: int | None = None,
    statements: Literal[False] = False,
) -> pd.DataFrame:
    """Commission over a DataFrame's columns: ``provisional_units`` / ``final_units`` per row
    (int64, units of 10^-``attrs["scale"]``); ``attrs["reps"]``, ``attrs["totals"]``.
    Raises ``CrmkitError``."""

@overload
def commission_frame(
    df: pd.DataFrame,
    plan: CommissionPlan | Mapping[str, object],
    as_of: DateInput,
    *,
    reps: Sequence[RepInput | Mapping[str, object]] | None = None,
    rep: str = "rep",
    on: str = "on",
    amount: str = "amount",
    refund: str | None = None,
    product: str | None = None,
    customer_type: str | None = None,
    refers_to: str | None = None,
    original_rate: str | None = None,
    amount_scale: int | None = None,
    statements: Literal[True],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """With ``statements=True``: ``(frame, lines)``, one row of ``lines`` per statement line."""

@overload
def commission_frame(
    df: ArrowStreamExportable,
    plan: CommissionPlan | Mapping[str, object],
    as_of: DateInput,
    *,
    reps: Sequence[RepInput | Mapping[str, object]] | None = None,
    rep: str = "rep",
    on: str = "on",
    amount: str = "amount",
    refund: str | None = None,
    product: str | None = None,
    customer_type: str | None = None,
    refers_to: str | None = None,
    original_rate: str | None = None,
    amount_scale: int | None = None,
    statements: bool = False,
) -> Any:
    """Commission over Arrow data: the result in the caller's library (polars, or a pyarrow Table)."""
# ---- Marketing ROI and attribution ------------------------------------------------------------

PeriodUnit = Literal["month", "quarter", "year"]
CostAllocation = Literal["as_entered", "pro_rata"]
FunnelStage = Literal["leads", "customers", "opportunities", "won"]
RoiReason = Literal[
    "zero_cost",
    "no_leads",
    "no_opportunities",
    "no_wins",
    "no_new_customers",
    "budget_missing",
    "over_budget",
    "expected_revenue_missing",
    "below_expected_revenue",
    "negative_return",
    "undated",
    "pro_rated",
]

class Channel(TypedDict):
    name: str
    group: str

class RoiPolicy(TypedDict):
    channels: NotRequired[Sequence[Channel]]
    period: NotRequired[PeriodUnit]
    cost_allocation: NotRequired[CostAllocation]
    funnel: NotRequired[Sequence[FunnelStage]]
    rounding: NotRequired[Rounding]
    percent_rounding: NotRequired[Rounding]

class Campaign(TypedDict):
    id: str
    name: NotRequired[str]
    channel: str
    owner: NotRequired[str]
    budget: NotRequired[DecimalInput]
    cost: DecimalInput
    expected_revenue: NotRequired[DecimalInput]
    won_revenue: NotRequired[DecimalInput]
    start_on: NotRequired[DateInput]
    end_on: NotRequired[DateInput]
    leads: NotRequired[int]
    customers: NotRequired[int]
    opportunities: NotRequired[int]
    won: NotRequired[int]
    new_customers: NotRequired[int]

class FunnelStep(TypedDict):
    stage: FunnelStage
    count: int
    from_top_pct: Decimal | None
    from_previous_pct: Decimal | None

class PeriodCost(TypedDict):
    period: str
    days: int
    cost: Decimal
    budget: Decimal | None

class RoiLine(TypedDict):
    key: str
    channel: str | None
    group: str | None
    period: str | None
    campaigns: int
    budget: Decimal | None
    cost: Decimal
    budget_variance: Decimal | None
    budget_used_pct: Decimal | None
    expected_revenue: Decimal | None
    won_revenue: Decimal
    revenue_variance: Decimal | None
    revenue_attained_pct: Decimal | None
    net_return: Decimal
    roi_pct: Decimal | None
    roas: Decimal | None
    leads: int
    customers: int
    opportunities: int
    won: int
    new_customers: int
    cost_per_lead: Decimal | None
    cost_per_opportunity: Decimal | None
    cost_per_win: Decimal | None
    cac: Decimal | None
    funnel: list[FunnelStep]
    reasons: list[RoiReason]
    cost_periods: NotRequired[list[PeriodCost]]

class RoiReport(TypedDict):
    campaigns: list[RoiLine]
    channels: list[RoiLine]
    groups: list[RoiLine]
    periods: list[RoiLine]
    total: RoiLine

def campaign_roi(policy: RoiPolicy | Mapping[str, object], campaigns: Sequence[Campaign | Mapping[str, object]]) -> RoiReport:
    """ROI metrics per campaign / channel / group / period / total; raises ``CrmkitError``."""

@overload
def campaign_roi_frame(
    df: pd.DataFrame,
    policy: RoiPolicy | Mapping[str, object],
    *,
    id: str = "id",  # noqa: A002
    channel: str = "channel",
    cost: str = "cost",
    won_revenue: str | None = None,
    budget: str | None = None,
    expected_revenue: str | None = None,
    start_on: str | None = None,
    end_on: str | None = None,
    leads: str | None = None,
    customers: str | None = None,
    opportunities: str | None = None,
    won: str | None = None,
    new_customers: str | None = None,
    amount_scale: int | None = None,
    money: Literal["decimal", "units"] = "decimal",
) -> pd.DataFrame:
    """``campaign_roi`` over a DataFrame of campaigns: one row per campaign line on ``df``'s
    index; ``attrs["channels"]``, ``attrs["groups"]``, ``attrs["periods"]`` (DataFrames),
    ``attrs["total"]``, ``attrs["report"]`` (a ``RoiReport``); ``money="units"``: money and
    percentages as int64 units (``attrs["money_scale"]``, ``attrs["percent_scale"]``, nullable
    ``Int64`` where the report can say None), the funnel flattened, built by the native module.
    Raises ``CrmkitError``."""

@overload
def campaign_roi_frame(
    df: ArrowStreamExportable,
    policy: RoiPolicy | Mapping[str, object],
    *,
    id: str = "id",  # noqa: A002
    channel: str = "channel",
    cost: str = "cost",
    won_revenue: str | None = None,
    budget: str | None = None,
    expected_revenue: str | None = None,
    start_on: str | None = None,
    end_on: str | None = None,
    leads: str | None = None,
    customers: str | None = None,
    opportunities: str | None = None,
    won: str | None = None,
    new_customers: str | None = None,
    amount_scale: int | None = None,
    money: Literal["decimal", "units"] = "decimal",
) -> Any:
    """``campaign_roi`` over Arrow data: the campaign lines in the caller's library (polars, or
    a pyarrow Table), money as decimal128 (``money="units"``: int64 units with nulls, the scales
    in the schema metadata), the roll-ups and total in the schema metadata; raises
    ``CrmkitError``."""

ModelKind = Literal["first_touch", "last_touch", "last_non_direct", "linear", "u_shaped", "w_shaped", "position", "time_decay", "markov", "shapley"]
CoalitionValue = Literal["conversion_rate", "within", "exact_set"]
Milestone = Literal["lead_created", "deal_created"]
AttributionReason = Literal[
    "first_touch",
    "last_touch",
    "middle_touch",
    "lead_created",
    "lead_created_assumed",
    "deal_created",
    "deal_created_assumed",
    "equal_share",
    "last_non_direct",
    "all_direct",
    "outside_lookback",
    "no_touch_in_lookback",
    "decayed",
    "removal_effect",
    "shapley_value",
    "split_evenly",
    "not_converted",
]

class Model(TypedDict):
    kind: ModelKind
    # position
    first: NotRequired[DecimalInput]
    middle: NotRequired[DecimalInput]
    last: NotRequired[DecimalInput]
    lead_created: NotRequired[DecimalInput]
    deal_created: NotRequired[DecimalInput]
    # last_non_direct
    direct: NotRequired[Sequence[str]]
    # time_decay
    half_life_days: NotRequired[DecimalInput]
    # markov
    order: NotRequired[int]
    # shapley
    value: NotRequired[CoalitionValue]
    samples: NotRequired[int]
    seed: NotRequired[int | str]

class AttributionPolicy(TypedDict):
    model: Model
    channels: NotRequired[Sequence[Channel]]
    rounding: NotRequired[Rounding]
    lookback_days: NotRequired[int]
    cohorts: NotRequired[bool]

class Touch(TypedDict):
    channel: str
    on: DateInput
    milestone: NotRequired[Milestone]

class Journey(TypedDict):
    id: str
    revenue: NotRequired[DecimalInput]
    converted_on: NotRequired[DateInput]
    touches: Sequence[Touch]

class TouchCredit(TypedDict):
    channel: str
    on: datetime.date
    days_before: int | None
    share: Decimal
    credit: Decimal
    reasons: list[AttributionReason]

class JourneyLine(TypedDict):
    id: str
    revenue: Decimal
    converted: bool
    touches: list[TouchCredit]
    reasons: list[AttributionReason]

class ChannelCredit(TypedDict):
    channel: str
    group: str
    credit: Decimal
    share: Decimal
    touches: int
    conversions: int
    removal_effect: Decimal | None

class CohortLine(TypedDict):
    month: str
    channel: str
    group: str
    credit: Decimal
    share: Decimal
    conversions: int

class AttributionReport(TypedDict):
    model: ModelKind
    total: Decimal
    conversions: int
    unattributed: Decimal
    channels: list[ChannelCredit]
    cohorts: list[CohortLine]
    journeys: list[JourneyLine]

def attribute(policy: AttributionPolicy | Mapping[str, object], journeys: Sequence[Journey | Mapping[str, object]]) -> AttributionReport:
    """Attribution of each journey's revenue to its touches, exact Decimal credits; raises ``CrmkitError``."""

class ComparisonPolicy(TypedDict):
    models: NotRequired[Sequence[Model]]
    channels: NotRequired[Sequence[Channel]]
    rounding: NotRequired[Rounding]
    lookback_days: NotRequired[int]

class ComparisonLine(TypedDict):
    channel: str
    group: str
    credits: list[Decimal]
    shares: list[Decimal]

class ComparisonRow(TypedDict):
    channel: str
    group: str
    model: str
    credit: Decimal
    share: Decimal

class Comparison(TypedDict):
    models: list[str]
    total: Decimal
    channels: list[ComparisonLine]
    rows: list[ComparisonRow]

def compare_attribution(policy: ComparisonPolicy | Mapping[str, object], journeys: Sequence[Journey | Mapping[str, object]]) -> pd.DataFrame:
    """All models side by side: one row per channel, one ``Decimal`` column per model;
    ``attrs["total"]``, ``attrs["shares"]``, ``attrs["rows"]``, ``attrs["report"]`` (a
    ``Comparison``). Raises ``CrmkitError``."""

@overload
def attribution_frame(
    df: pd.DataFrame,
    policy: AttributionPolicy | Mapping[str, object],
    *,
    journey: str = "journey",
    channel: str = "channel",
    on: str = "on",
    revenue: str = "revenue",
    converted_on: str = "converted_on",
    milestone: str | None = None,
    revenue_scale: int | None = None,
) -> pd.DataFrame:
    """Attribution over a DataFrame of touches: one row per channel; ``attrs["credits"]`` (int64
    units per row), ``attrs["total"]``, ``attrs["conversions"]``, ``attrs["model"]``. Raises
    ``CrmkitError``."""

@overload
def attribution_frame(
    df: ArrowStreamExportable,
    policy: AttributionPolicy | Mapping[str, object],
    *,
    journey: str = "journey",
    channel: str = "channel",
    on: str = "on",
    revenue: str = "revenue",
    converted_on: str = "converted_on",
    milestone: str | None = None,
    revenue_scale: int = 2,
) -> Any:
    """Attribution over Arrow data: the channel rows in the caller's library (polars, or a
    pyarrow Table), credit as decimal128; raises ``CrmkitError``."""

@overload
def compare_attribution_frame(
    df: pd.DataFrame,
    policy: ComparisonPolicy | Mapping[str, object],
    *,
    journey: str = "journey",
    channel: str = "channel",
    on: str = "on",
    revenue: str = "revenue",
    converted_on: str = "converted_on",
    milestone: str | None = None,
    revenue_scale: int | None = None,
) -> pd.DataFrame:
    """``compare_attribution`` over a DataFrame of touches (read as ``attribution_frame`` reads
    it): one row per channel, one ``Decimal`` column per model; ``attrs["total"]``,
    ``attrs["shares"]``, ``attrs["rows"]``, ``attrs["report"]`` (a ``Comparison``). Raises
    ``CrmkitError``."""

@overload
def compare_attribution_frame(
    df: ArrowStreamExportable,
    policy: ComparisonPolicy | Mapping[str, object],
    *,
    journey: str = "journey",
    channel: str = "channel",
    on: str = "on",
    revenue: str = "revenue",
    converted_on: str = "converted_on",
    milestone: str | None = None,
    revenue_scale: int | None = None,
) -> Any:
    """``compare_attribution`` over Arrow data: ``channel``, ``group`` and one decimal128 column
    per model in the caller's library (polars, or a pyarrow Table); total, models and rows in
    the schema metadata. Raises ``CrmkitError``."""
# ---- Lead scoring (线索评估) ----

Dimension = Literal["fit", "engagement"]
ConditionOp = Literal["equals", "in", "not_in", "range", "contains", "regex", "exists", "missing", "within_days"]
RangeBounds = Literal["[]", "[)", "(]", "()"]
ItemReason = Literal["conditions_met", "events_counted", "events_decayed"]
CutScope = Literal["group", "fit", "engagement", "total"]
#: A number of a scoring policy or model config: a float, an int, a ``Decimal`` or its string.
PolicyNumber = Union[float, int, Decimal, str]

class FieldCondition(TypedDict):
    field: str
    op: ConditionOp
    value: NotRequired[str]
    values: NotRequired[Sequence[str]]
    min: NotRequired[PolicyNumber]
    max: NotRequired[PolicyNumber]
    bounds: NotRequired[RangeBounds]
    pattern: NotRequired[str]
    ignore_case: NotRequired[bool]
    days: NotRequired[int]

class EventRule(TypedDict):
    types: Sequence[str]
    min_count: NotRequired[int]
    within_days: NotRequired[int]
    half_life_days: NotRequired[PolicyNumber]
    per_event: NotRequired[bool]
    max_events: NotRequired[int]

class ScoringRule(TypedDict):
    id: str
    dimension: Dimension
    points: PolicyNumber
    group: NotRequired[str]
    when: NotRequired[Sequence[FieldCondition]]
    event: NotRequired[EventRule]

class RuleGroup(TypedDict):
    id: str
    min: NotRequired[PolicyNumber]
    max: NotRequired[PolicyNumber]

class ScoreBounds(TypedDict):
    min: NotRequired[PolicyNumber]
    max: NotRequired[PolicyNumber]

class GradeBand(TypedDict):
    label: str
    min: NotRequired[PolicyNumber]

class Grades(TypedDict):
    fit: NotRequired[Sequence[GradeBand]]
    engagement: NotRequired[Sequence[GradeBand]]

class PriorityTier(TypedDict):
    id: str
    label: NotRequired[str]
    min_score: NotRequired[PolicyNumber]
    min_fit: NotRequired[PolicyNumber]
    min_engagement: NotRequired[PolicyNumber]
    grades: NotRequired[Sequence[str]]
    when: NotRequired[Sequence[FieldCondition]]

class TieBreak(TypedDict):
    field: str
    descending: NotRequired[bool]

class ScoringPolicy(TypedDict):
    rules: Sequence[ScoringRule]
    groups: NotRequired[Sequence[RuleGroup]]
    fit: NotRequired[ScoreBounds]
    engagement: NotRequired[ScoreBounds]
    total: NotRequired[ScoreBounds]
    grades: NotRequired[Grades]
    tiers: NotRequired[Sequence[PriorityTier]]
    tie_break: NotRequired[Sequence[TieBreak]]
    top_reasons: NotRequired[int]

class LeadEvent(TypedDict):
    type: str
    on: DateInput

class ScoreItem(TypedDict):
    rule: str
    dimension: Dimension
    group: str | None
    points: float
    decayed: float
    events: int | None
    newest_age_days: int | None
    reason: ItemReason

class ScoreCut(TypedDict):
    scope: CutScope
    group: str | None
    before: float
    after: float
    cut: float

class LeadScore(TypedDict):
    id: str
    rank: int
    score: float
    fit: float
    engagement: float
    grade: str | None
    tier: str | None
    tier_label: str | None
    items: list[ScoreItem]
    cuts: list[ScoreCut]
    top_reasons: list[str]

class ScoreCount(TypedDict):
    key: str
    leads: int

class ScoreReport(TypedDict):
    leads: list[LeadScore]
    ranking: list[str]
    tiers: list[ScoreCount]
    grades: list[ScoreCount]

def score_leads(
    policy: ScoringPolicy | Mapping[str, object], leads: Sequence[Mapping[str, object]], as_of: DateInput
) -> ScoreReport:
    """ScoringRule-based lead scoring and ranking; each lead is ``{"id", "events"?, <fields>...}``.
    Raises ``CrmkitError``."""
PeriodKind = Literal["month", "quarter", "year"]
QuotaReason = Literal["quota_set", "no_quota", "quota_met", "zero_quota"]

class QuotaPolicy(TypedDict):
    group_by: NotRequired[Sequence[str]]
    period: NotRequired[PeriodKind]
    groups: NotRequired[Sequence[Mapping[str, str]]]
    rate_dp: NotRequired[int]

class Quota(TypedDict):
    key: Mapping[str, str]
    period: str
    amount: DecimalInput

class WonDeal(TypedDict):
    id: str
    amount: DecimalInput
    closed_on: DateInput
    owner: NotRequired[str]
    team: NotRequired[str]
    product: NotRequired[str]
    attributes: NotRequired[Mapping[str, str]]

class QuotaInput(TypedDict):
    deals: Sequence[Deal]
    quotas: Sequence[Quota]
    won: NotRequired[Sequence[WonDeal]]

class QuotaLine(TypedDict):
    key: dict[str, str | None]
    period: str
    first_month: str
    last_month: str
    quota: Decimal | None
    won: Sums
    open: Sums
    attainment: Decimal | None
    gap: Decimal | None
    coverage: Decimal | None
    weighted_coverage: Decimal | None
    reasons: list[QuotaReason]

class QuotaReport(TypedDict):
    as_of: datetime.date
    period: PeriodKind
    lines: list[QuotaLine]
    totals: list[QuotaLine]
    unscheduled: Sums

def quota_attainment(
    policy: ForecastPolicy | Mapping[str, object],
    quota: QuotaPolicy | Mapping[str, object],
    input: QuotaInput | Mapping[str, object],
    as_of: DateInput,
) -> QuotaReport:
    """Quota attainment, gap and pipeline coverage per key and period; raises ``CrmkitError``."""

@overload
def quota_frame(
    df: pd.DataFrame,
    policy: ForecastPolicy | Mapping[str, object],
    quota: QuotaPolicy | Mapping[str, object],
    quotas: Sequence[Quota | Mapping[str, object]] | pd.DataFrame | Mapping[str, Sequence[object]],
    as_of: DateInput,
    *,
    won: Sequence[WonDeal | Mapping[str, object]] | None = None,
    stage: str = "stage",
    amount: str = "amount",
    entered_stage_on: str | None = None,
    expected_close_on: str | None = None,
    snoozed_until: str | None = None,
    probability: str | None = None,
    category: str | None = None,
    last_activity_on: str | None = None,
    amount_scale: int | None = None,
    money: Literal["decimal", "units"] = "decimal",
) -> pd.DataFrame:
    """Quota attainment, gap and coverage over a DataFrame of deals (the forecast's columnar
    pass): one row per key and period, the report in ``attrs["report"]``; ``money="units"``:
    money and rates as int64 units (``attrs["money_scale"]``, ``attrs["rate_scale"]``),
    nullable ones as ``Int64``. Raises ``CrmkitError``."""

@overload
def quota_frame(
    df: ArrowStreamExportable,
    policy: ForecastPolicy | Mapping[str, object],
    quota: QuotaPolicy | Mapping[str, object],
    quotas: Sequence[Quota | Mapping[str, object]] | pd.DataFrame | Mapping[str, Sequence[object]],
    as_of: DateInput,
    *,
    won: Sequence[WonDeal | Mapping[str, object]] | None = None,
    stage: str = "stage",
    amount: str = "amount",
    entered_stage_on: str | None = None,
    expected_close_on: str | None = None,
    snoozed_until: str | None = None,
    probability: str | None = None,
    category: str | None = None,
    last_activity_on: str | None = None,
    amount_scale: int | None = None,
    money: Literal["decimal", "units"] = "decimal",
) -> Any:
    """``quota_frame`` over Arrow data: the lines in the caller's library, money and rates as
    decimal128 (``money="units"``: int64 units, the scales in the schema metadata)."""

HierarchyReason = Literal["unadjusted", "adjusted", "adjusted_below"]

class OwnerNode(TypedDict):
    owner: str
    manager: NotRequired[str]

class HierarchyPolicy(TypedDict):
    owners: Sequence[OwnerNode]
    period: NotRequired[PeriodKind]

class ForecastAdjustment(TypedDict):
    by: str
    owner: str
    category: ForecastCategory
    period: str
    amount: DecimalInput

class HierarchyInput(TypedDict):
    deals: Sequence[Deal]
    adjustments: NotRequired[Sequence[ForecastAdjustment]]

AppliedAdjustment = TypedDict(
    "AppliedAdjustment", {"by": str, "from": Decimal, "to": Decimal, "delta": Decimal}
)

class CategoryForecast(TypedDict):
    category: ForecastCategory
    own: Decimal
    call: Decimal
    weighted: Decimal
    adjusted: Decimal
    adjustments: list[AppliedAdjustment]
    reasons: list[HierarchyReason]

class HierarchyLine(TypedDict):
    owner: str
    manager: str | None
    level: int
    period: str
    first_month: str
    last_month: str
    deals: int
    forecasts: list[CategoryForecast]

class HierarchyReport(TypedDict):
    as_of: datetime.date
    period: PeriodKind
    lines: list[HierarchyLine]

def forecast_hierarchy(
    policy: ForecastPolicy | Mapping[str, object],
    hierarchy: HierarchyPolicy | Mapping[str, object],
    input: HierarchyInput | Mapping[str, object],
    as_of: DateInput,
) -> HierarchyReport:
    """Owner-tree roll-up of the reps' call, managers' adjustments and the weighted forecast; raises ``CrmkitError``."""
# ---- Lead scoring: the learned model and its evaluation ----

Method = Literal["odoo", "bayes"]
PredictionReason = Literal["scored", "no_stage", "won_stage", "no_history"]

class Feature(TypedDict):
    name: str
    tags: NotRequired[bool]
    bins: NotRequired[Sequence[PolicyNumber]]

class ModelStage(TypedDict):
    name: str
    won: NotRequired[bool]

class ModelConfig(TypedDict):
    method: Method
    fields: Sequence[Feature]
    stages: NotRequired[Sequence[ModelStage]]
    outcome_field: NotRequired[str]
    stage_field: NotRequired[str]
    team_field: NotRequired[str]
    closed_on_field: NotRequired[str]
    smoothing: NotRequired[PolicyNumber]
    min_support: NotRequired[PolicyNumber]
    team_blend: NotRequired[PolicyNumber]
    half_life_days: NotRequired[PolicyNumber]
    top_factors: NotRequired[int]

class ValueCount(TypedDict):
    value: str
    won: float
    lost: float

class FieldTable(TypedDict):
    field: str
    values: list[ValueCount]

class TeamTable(TypedDict):
    team: str | None
    won: float
    lost: float
    stages: list[list[float]]
    fields: list[FieldTable]

# "global" is a Python keyword: the call form.
LeadModel = TypedDict(
    "LeadModel",
    {"config": ModelConfig, "won": float, "lost": float, "teams": list[TeamTable], "global": NotRequired[TeamTable]},
)

class Contribution(TypedDict):
    factor: str
    value: str | None
    log_odds: float
    likelihood_won: float
    likelihood_lost: float

class Prediction(TypedDict):
    id: str
    probability: float | None
    percent: Decimal | None
    logit: float | None
    contributions: list[Contribution]
    top_for: list[Contribution]
    top_against: list[Contribution]
    reason: PredictionReason

class PredictionReport(TypedDict):
    leads: list[Prediction]

ReliabilityBin = TypedDict(
    "ReliabilityBin",
    {"from": float, "to": float, "count": int, "mean_predicted": float | None, "observed": float | None},
)

class CalibrationReport(TypedDict):
    count: int
    won: int
    brier: float
    log_loss: float
    auc: float | None
    bins: list[ReliabilityBin]

class TimeSplit(TypedDict):
    train: list[int]
    test: list[int]

def train_lead_model(
    config: ModelConfig | Mapping[str, object], leads: Sequence[Mapping[str, object]], as_of: DateInput
) -> LeadModel:
    """Trains Odoo's naive Bayes or the improved one on closed leads; raises ``CrmkitError``."""

def train_lead_model_frame(
    df: pd.DataFrame | ArrowStreamExportable, config: ModelConfig | Mapping[str, object], as_of: DateInput
) -> LeadModel:
    """Trains the learned model on a DataFrame (or Arrow data) of closed leads, one row per lead;
    raises ``CrmkitError``."""

def predict_leads(model: LeadModel | Mapping[str, object], leads: Sequence[Mapping[str, object]]) -> PredictionReport:
    """Probabilities of winning with additive log-odds; raises ``CrmkitError``."""

def calibration(probabilities: object, outcomes: object, bins: int = 10) -> CalibrationReport:
    """Brier score, log loss, AUC and reliability bins; raises ``CrmkitError``."""

def time_split(leads: Sequence[Mapping[str, object]], date_field: str, cutoff: DateInput) -> TimeSplit:
    """Indices of the leads closed before ``cutoff`` and on or after it; raises ``CrmkitError``."""

@overload
def score_frame(
    df: pd.DataFrame,
    policy: ScoringPolicy | Mapping[str, object],
    as_of: DateInput,
    *,
    events: pd.DataFrame | None = None,
    event_lead: str = "lead",
    event_type: str = "type",
    event_on: str = "on",
) -> pd.DataFrame:
    """Scores a DataFrame of leads: ``score``, ``fit``, ``engagement``, ``rank``, ``grade``,
    ``tier``, ``reason_1``..; raises ``CrmkitError``."""

@overload
def score_frame(
    df: ArrowStreamExportable,
    policy: ScoringPolicy | Mapping[str, object],
    as_of: DateInput,
    *,
    events: ArrowStreamExportable | pd.DataFrame | None = None,
    event_lead: str = "lead",
    event_type: str = "type",
    event_on: str = "on",
) -> Any:
    """Scores Arrow data (polars, pyarrow, DuckDB...): the same columns in the caller's library
    (polars, or a pyarrow Table); raises ``CrmkitError``."""




DayCount = Literal["actual_365", "actual_360", "actual_actual"]
GraceRule = Literal["deducted", "waived_within"]
InterestKind = Literal["early_bonus", "on_time", "late_penalty", "accrued_penalty"]

class InterestPolicy(TypedDict):
    early_rate: NotRequired[DecimalInput]
    late_rate: NotRequired[DecimalInput]
    day_count: DayCount
    grace_days: NotRequired[int]
    grace: NotRequired[GraceRule]
    currency: NotRequired[str]
    rounding: NotRequired[Rounding]

class Payment(TypedDict):
    on: DateInput
    amount: DecimalInput

class Batch(TypedDict):
    id: str
    customer: NotRequired[str]
    invoice_on: DateInput
    due_on: DateInput
    amount: DecimalInput
    currency: NotRequired[str]
    payments: NotRequired[Sequence[Payment]]

class InterestLine(TypedDict):
    kind: InterestKind
    payment: Union[int, None]
    on: datetime.date
    amount: Decimal
    days: int
    interest_days: int
    rate: Decimal
    year_fraction: Decimal
    exact: Decimal
    interest: Decimal

class InterestTotals(TypedDict):
    collected: Decimal
    outstanding: Decimal
    bonus: Decimal
    penalty: Decimal
    accrued_penalty: Decimal
    net: Decimal

class BatchInterest(TypedDict):
    id: str
    collected: Decimal
    outstanding: Decimal
    bonus: Decimal
    penalty: Decimal
    accrued_penalty: Decimal
    net: Decimal
    lines: list[InterestLine]

class InterestReport(TypedDict):
    currency: Union[str, None]
    day_count: DayCount
    batches: list[BatchInterest]
    totals: InterestTotals

def payment_interest(
    policy: InterestPolicy | Mapping[str, object], batches: Sequence[Batch | Mapping[str, object]], as_of: DateInput
) -> InterestReport: ...

CollectionReason = Literal["paid", "partly_paid", "not_due", "within_grace", "overdue"]
Decision = Literal["auto_approved", "needs_approval", "refused"]

class WarningLevel(TypedDict):
    name: str
    days: int

class Grade(TypedDict):
    name: str
    min_on_time_ratio: DecimalInput
    max_weighted_days_late: DecimalInput
    max_days_past_due: int

class CollectionsPolicy(TypedDict):
    aging: NotRequired[Sequence[int]]
    levels: NotRequired[Sequence[WarningLevel]]
    grace_days: NotRequired[int]
    dso_days: NotRequired[int]
    grades: NotRequired[Sequence[Grade]]
    fallback: NotRequired[str]
    rounding: NotRequired[Rounding]

class OpenItem(TypedDict):
    id: str
    customer: Union[str, None]
    due_on: datetime.date
    amount: Decimal
    collected: Decimal
    outstanding: Decimal
    days_past_due: int
    bucket: str
    level: Union[str, None]
    reasons: list[CollectionReason]

class AgingLine(TypedDict):
    bucket: str
    items: int
    outstanding: Decimal

class CustomerLine(TypedDict):
    customer: str
    outstanding: Decimal
    overdue: Decimal
    on_time_ratio: Decimal
    weighted_days_late: Decimal
    max_days_past_due: int
    grade: str
    failed: list[str]

class Dso(TypedDict):
    days: int
    receivables: Decimal
    sales: Decimal
    value: Union[Decimal, None]

class CollectionsReport(TypedDict):
    batches: list[OpenItem]
    aging: list[AgingLine]
    customers: list[CustomerLine]
    dso: Dso

def collections(
    policy: CollectionsPolicy | Mapping[str, object], batches: Sequence[Batch | Mapping[str, object]], as_of: DateInput
) -> CollectionsReport: ...

def payment_interest_frame(
    batches: Any,
    payments: Any,
    policy: InterestPolicy | Mapping[str, object],
    as_of: DateInput,
    *,
    id: str | None = None,
    invoice_on: str = "invoice_on",
    due_on: str = "due_on",
    amount: str = "amount",
    payment_batch: str = "batch",
    payment_on: str = "on",
    payment_amount: str = "amount",
    amount_scale: int | None = None,
    lines: bool = False,
) -> Any:
    """``payment_interest`` over a batches frame and a payments frame (pandas or Arrow): per
    batch ``collected_units`` ... ``net_units`` (int64, units of 10^-``attrs["scale"]``),
    ``attrs["totals"]``; with ``lines=True`` ``(frame, lines)``. Raises ``CrmkitError``."""

def collections_frame(
    batches: Any,
    payments: Any,
    policy: CollectionsPolicy | Mapping[str, object],
    as_of: DateInput,
    *,
    id: str | None = None,
    customer: str | None = "customer",
    invoice_on: str = "invoice_on",
    due_on: str = "due_on",
    amount: str = "amount",
    payment_batch: str = "batch",
    payment_on: str = "on",
    payment_amount: str = "amount",
    amount_scale: int | None = None,
) -> Any:
    """``collections`` over the frames ``payment_interest_frame`` takes: per batch
    ``collected_units``, ``outstanding_units``, ``days_past_due``, ``bucket``, ``level``,
    ``reasons``; ``attrs["aging"]``, ``attrs["customers"]``, ``attrs["dso"]``. Raises
    ``CrmkitError``."""

class DiscountBand(TypedDict):
    below: DecimalInput
    approvers: Sequence[str]

class DiscountPolicy(TypedDict):
    bands: Sequence[DiscountBand]
    floor: NotRequired[DecimalInput]

class DiscountRequest(TypedDict):
    list_price: DecimalInput
    price: DecimalInput

class ApprovalStep(TypedDict):
    step: int
    approver: str
    band: int
    below: Decimal
    reason: str

class DiscountRoute(TypedDict):
    ratio: Decimal
    discount: Decimal
    decision: Decision
    steps: list[ApprovalStep]

def route_discount(policy: DiscountPolicy | Mapping[str, object], request: DiscountRequest | Mapping[str, object]) -> DiscountRoute: ...
# Duplicate matching (查重)

Verdict = Literal["DUPLICATE", "RELATED", "DISTINCT"]
Script = Literal["zh", "latin"]
FormClass = Literal["limited", "joint_stock", "corporation", "partnership", "sole_proprietorship", "unspecified"]
PhoneKind = Literal["mobile", "landline", "toll_free", "international"]
MatchReason = Literal[
    "name_exact",
    "brand_same",
    "brand_homophone",
    "brand_typo",
    "brand_reordered",
    "brand_differs",
    "script_differs",
    "region_same",
    "region_differs",
    "industry_differs",
    "form_differs",
    "group_differs",
    "branch_differs",
    "equal",
    "extension_differs",
    "same_domain",
    "free_mail_domain",
    "name_reordered",
    "within_tolerance",
    "outside_tolerance",
    "differs",
]

class CompanyName(TypedDict):
    normalized: str
    script: Script
    region: list[str]
    brand: str
    industry: str | None
    legal_form: str | None
    form_class: FormClass | None
    group: bool
    branch: str | None
    pinyin: str | None

class Phone(TypedDict):
    e164: str
    kind: PhoneKind
    country_code: str
    area_code: str | None
    extension: str | None

class Email(TypedDict):
    email: str
    canonical: str
    local: str
    domain: str
    free_mail: bool
    role: bool

class Domain(TypedDict):
    host: str
    domain: str
    free_mail: bool

class PersonName(TypedDict):
    normalized: str
    pinyin: str | None
    key: str

class CreditCode(TypedDict):
    code: str
    authority: str
    category: str
    region_code: str
    organization_code: str

class Comparator(TypedDict):
    type: Literal[
        "exact", "jaro_winkler", "levenshtein", "token_set", "numeric", "date", "company_name", "phone", "email",
        "person_name", "domain", "credit_code",
    ]
    tolerance: NotRequired[DecimalInput]
    tolerance_days: NotRequired[int]
    default_country: NotRequired[str]

class ValueComparison(TypedDict):
    similarity: float
    left: str
    right: str
    verdict: NotRequired[Verdict]
    reasons: list[MatchReason]
    parts: NotRequired[list[CompanyName]]

def normalize_company(name: str) -> CompanyName:
    """A company name in parts (region, 字号, industry, legal form, branch); raises ``CrmkitError``."""

def normalize_phone(phone: str, default_country: str = "86") -> Phone:
    """A phone number in E.164; raises ``CrmkitError``."""

def normalize_email(email: str) -> Email:
    """An e-mail address with its canonical mailbox; raises ``CrmkitError``."""

def normalize_domain(domain: str) -> Domain:
    """The registrable domain of a URL, address or host; raises ``CrmkitError``."""

def normalize_person_name(name: str) -> PersonName:
    """A person's name with pinyin and an order-free key; raises ``CrmkitError``."""

def normalize_credit_code(code: str) -> CreditCode:
    """A checked unified social credit code; raises ``CrmkitError``."""

def compare(comparator: Comparator | Mapping[str, object], a: str, b: str) -> ValueComparison:
    """Compares two values; company names get a verdict; raises ``CrmkitError``."""

Band = Literal["match", "possible", "non_match"]
SurvivorReason = Literal["most_complete", "owned", "lowest_id"]
RefusalReason = Literal["cannot_link", "credit_code_differs", "max_cluster_size", "incoherent", "related"]

class FieldSpec(TypedDict):
    field: str
    comparator: Comparator
    block: NotRequired[bool]

class MatchPolicy(TypedDict):
    fields: Sequence[FieldSpec]
    rules: NotRequired[Mapping[str, object]]
    fellegi_sunter: NotRequired[Mapping[str, object]]
    max_block_size: NotRequired[int]
    threads: NotRequired[int]

class DedupRecord(TypedDict):
    id: str
    owner: NotRequired[str | None]
    fields: Mapping[str, str | None]

class FieldExplanation(TypedDict):
    field: str
    left: str | None
    right: str | None
    similarity: float | None
    level: NotRequired[str]
    weight: NotRequired[float]
    verdict: NotRequired[Verdict]
    reasons: list[MatchReason]

class PairMatch(TypedDict):
    left: str
    right: str
    verdict: Verdict
    score: float
    match_weight: NotRequired[float]
    band: NotRequired[Band]
    rule: NotRequired[str]
    fields: list[FieldExplanation]

class Issue(TypedDict):
    record: str
    field: str
    code: str
    message: str

class Candidate(TypedDict):
    id: str
    owner: str | None
    verdict: Verdict
    score: float
    match_weight: NotRequired[float]
    band: NotRequired[Band]
    rule: NotRequired[str]
    fields: list[FieldExplanation]

class QueryReport(TypedDict):
    verdict: Verdict
    claimed_by: str | None
    candidates: list[Candidate]
    compared: int
    skipped_keys: int
    issues: list[Issue]

class Cluster(TypedDict):
    id: int
    members: list[str]
    survivor: str
    survivor_reason: SurvivorReason
    merged: dict[str, str]
    owners: list[str]
    min_score: float

class RefusedMerge(TypedDict):
    left: str
    right: str
    reason: RefusalReason

class BatchStats(TypedDict):
    records: int
    candidate_pairs: int
    duplicate_pairs: int
    related_pairs: int
    skipped_keys: int

class DedupReport(TypedDict):
    clusters: list[Cluster]
    pairs: list[PairMatch]
    refused: list[RefusedMerge]
    issues: list[Issue]
    stats: BatchStats

class Link(TypedDict):
    right: str
    verdict: Verdict
    left: str | None
    owner: str | None
    candidates: list[Candidate]

class LinkReport(TypedDict):
    links: list[Link]
    issues: list[Issue]

class EstimateReport(TypedDict):
    model: dict
    iterations: int
    converged: bool
    candidate_pairs: int
    random_pairs: int
    issues: list[Issue]

def match_records(policy: MatchPolicy | Mapping[str, object], a: DedupRecord | Mapping[str, object], b: DedupRecord | Mapping[str, object]) -> PairMatch:
    """Two records under a match policy, explained field by field; raises ``CrmkitError``."""

class EstimateSettings(TypedDict, total=False):
    max_iterations: int
    random_pairs: int
    seed: int | str

def estimate_model(
    policy: Mapping[str, object],
    records: Sequence[DedupRecord | Mapping[str, object]],
    settings: EstimateSettings | Mapping[str, object] | None = None,
) -> EstimateReport:
    """Fellegi-Sunter m, u and prior by EM; raises ``CrmkitError``."""

def find_duplicates(
    policy: Mapping[str, object], records: Sequence[DedupRecord | Mapping[str, object]], settings: Mapping[str, object] | None = None
) -> DedupReport:
    """Batch de-duplication: clusters, survivors, merged values; raises ``CrmkitError``."""

def link_records(
    policy: Mapping[str, object],
    left: Sequence[DedupRecord | Mapping[str, object]],
    right: Sequence[DedupRecord | Mapping[str, object]],
    limit: int = 10,
) -> LinkReport:
    """Each right record's matches in the left table; raises ``CrmkitError``."""

@overload
def dedup_frame(
    df: pd.DataFrame,
    policy: Mapping[str, object],
    *,
    id: str = "id",
    owner: str | None = None,
    settings: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """Batch de-duplication over a DataFrame's columns: ``cluster`` and ``is_survivor`` per row;
    ``attrs["clusters"]``, ``attrs["refused"]``, ``attrs["issues"]``, ``attrs["stats"]``."""

@overload
def dedup_frame(
    df: ArrowStreamExportable,
    policy: Mapping[str, object],
    *,
    id: str = "id",
    owner: str | None = None,
    settings: Mapping[str, object] | None = None,
) -> Any:
    """Batch de-duplication over Arrow data (polars, pyarrow, DuckDB): ``cluster`` and
    ``is_survivor`` in the caller's library; the report as JSON in the schema metadata."""

class BlockingKeys(TypedDict):
    row: list[int]
    key: list[str]
    max_block_size: int
    issues: list[Issue]

class BlockPairs(TypedDict):
    left: list[int]
    right: list[int]
    score: list[float]
    verdict: list[Verdict]
    compared: int

def blocking_keys(policy: Mapping[str, object], records: Sequence[DedupRecord | Mapping[str, object]]) -> BlockingKeys:
    """The blocking keys of records (row, key as decimal text); raises ``CrmkitError``."""

def score_block(
    policy: Mapping[str, object], records: Sequence[DedupRecord | Mapping[str, object]], settings: Mapping[str, object]
) -> BlockPairs:
    """One block's DUPLICATE and RELATED pairs (``settings``: ``key``, ``skipped``); raises ``CrmkitError``."""

def cluster_pairs(
    policy: Mapping[str, object],
    records: Sequence[DedupRecord | Mapping[str, object]],
    pairs: Sequence[Sequence[str]],
    settings: Mapping[str, object] | None = None,
) -> DedupReport:
    """One component's clusters from its DUPLICATE pairs of ids; raises ``CrmkitError``."""

def blocking_keys_frame(df: Any, policy: Mapping[str, object], *, id: str = "id") -> Any:
    """Blocking keys of a table: ``row`` and ``key`` (int64) columns; raises ``CrmkitError``."""

def score_block_frame(df: Any, policy: Mapping[str, object], key: int, skipped: Any = (), *, id: str = "id") -> Any:
    """One block's pairs: ``left``, ``right``, ``score``, ``verdict`` columns; raises ``CrmkitError``."""

def cluster_pairs_frame(
    df: Any,
    policy: Mapping[str, object],
    left: Any,
    right: Any,
    *,
    id: str = "id",
    owner: str | None = None,
    settings: Mapping[str, object] | None = None,
) -> Any:
    """One component's clusters over a table and its DUPLICATE row pairs, as ``dedup_frame``; raises ``CrmkitError``."""

class DedupIndex:
    """An indexed book for 查重; raises ``CrmkitError``."""

    def __init__(self, policy: Mapping[str, object], records: Sequence[DedupRecord | Mapping[str, object]] = ()) -> None: ...
    def add(self, record: DedupRecord | Mapping[str, object]) -> list[Issue]: ...
    def update(self, record: DedupRecord | Mapping[str, object]) -> list[Issue]: ...
    def remove(self, id: str) -> bool: ...
    def query(self, record: DedupRecord | Mapping[str, object], limit: int = 10) -> QueryReport: ...
    def to_bytes(self) -> bytes: ...
    @classmethod
    def from_bytes(cls, data: bytes) -> DedupIndex: ...
    def __len__(self) -> int: ...
# ---- public pool (公海池) ----

# Instants: RFC 3339 strings with an offset or aware datetimes (a naive one is refused).
InstantInput = Union[str, datetime.datetime]
DayUnit = Literal["calendar_days", "working_days", "hours"]
DayBoundary = Literal["exclusive", "inclusive"]
FollowUpActor = Literal["owner", "team", "anyone"]
RuleKind = Literal["no_follow_up", "no_won_deal", "no_new_opportunity"]
RuleClock = Literal["since_last_event", "since_claim"]
PoolVerdict = Literal["keep", "warn", "recycle", "exempt"]
RuleStatus = Literal["keep", "warn", "due", "met"]
PoolReasonCode = Literal[
    "no_follow_up",
    "no_won_deal",
    "no_new_opportunity",
    "exempt_locked",
    "exempt_won",
    "exempt_open_contract",
    "exempt_tag",
    "no_rule_applies",
    "ignored_deleted",
    "ignored_type",
    "ignored_actor",
    "ignored_backdated",
    "ignored_future_dated",
]

class HolidayCalendar(TypedDict):
    weekend: NotRequired[list[int]]
    holidays: NotRequired[list[DateInput]]
    workdays: NotRequired[list[DateInput]]

class PoolScope(TypedDict):
    everyone: NotRequired[bool]
    owners: NotRequired[list[str]]
    departments: NotRequired[list[str]]
    regions: NotRequired[list[str]]
    product_lines: NotRequired[list[str]]
    levels: NotRequired[list[str]]

class FollowUpRule(TypedDict):
    types: NotRequired[list[str]]
    actor: NotRequired[FollowUpActor]
    backdate_limit_hours: NotRequired[int]

class PoolExemptions(TypedDict):
    locked: NotRequired[bool]
    won: NotRequired[bool]
    open_contract: NotRequired[bool]
    tags: NotRequired[list[str]]

class RecycleRule(TypedDict):
    id: str
    kind: RuleKind
    limit: int
    clock: NotRequired[RuleClock]
    levels: NotRequired[list[str]]

class Pool(TypedDict):
    id: str
    priority: NotRequired[int]
    scope: PoolScope
    time_zone: NotRequired[str]
    unit: NotRequired[DayUnit]
    calendar: NotRequired[str]
    boundary: NotRequired[DayBoundary]
    warn_before: NotRequired[int]
    follow_up: NotRequired[FollowUpRule]
    exempt: NotRequired[PoolExemptions]
    rules: list[RecycleRule]
    claims: NotRequired["ClaimRules"]

class PoolPolicy(TypedDict):
    time_zone: str
    calendars: NotRequired[dict[str, HolidayCalendar]]
    pools: list[Pool]

class PoolRecord(TypedDict):
    id: str
    owner: str
    claimed_at: InstantInput
    department: NotRequired[str]
    region: NotRequired[str]
    product_line: NotRequired[str]
    level: NotRequired[str]
    team: NotRequired[list[str]]
    tags: NotRequired[list[str]]
    locked: NotRequired[bool]
    open_contract: NotRequired[bool]
    last_won_at: NotRequired[InstantInput]
    last_opportunity_at: NotRequired[InstantInput]

# `type` is a keyword-like name: the functional form.
PoolActivity = TypedDict(
    "PoolActivity",
    {
        "record": str,
        "at": InstantInput,
        "logged_at": NotRequired[InstantInput],
        "updated_at": NotRequired[InstantInput],
        "type": str,
        "actor": str,
        "deleted": NotRequired[bool],
    },
)

class PoolReason(TypedDict):
    code: PoolReasonCode
    rule: NotRequired[str]
    clock: NotRequired[RuleClock]
    since: NotRequired[datetime.datetime]
    unit: NotRequired[DayUnit]
    elapsed: NotRequired[int]
    limit: NotRequired[int]
    remaining: NotRequired[int]
    due_at: NotRequired[datetime.datetime]
    warn_at: NotRequired[datetime.datetime]
    status: NotRequired[RuleStatus]
    tag: NotRequired[str]
    level: NotRequired[str]
    count: NotRequired[int]

class PoolDecision(TypedDict):
    record: str
    owner: str
    pool: str
    decision: PoolVerdict
    due_at: NotRequired[datetime.datetime]
    warn_at: NotRequired[datetime.datetime]
    rule: NotRequired[str]
    last_follow_up_at: NotRequired[datetime.datetime]
    reasons: list[PoolReason]

class PoolCounts(TypedDict):
    records: int
    keep: int
    warn: int
    recycle: int
    exempt: int

class PoolCountsLine(TypedDict):
    pool: str
    records: int
    keep: int
    warn: int
    recycle: int
    exempt: int

class PoolReport(TypedDict):
    as_of: str
    decisions: list[PoolDecision]
    pools: list[PoolCountsLine]
    totals: PoolCounts

def evaluate_pool(
    policy: PoolPolicy | Mapping[str, object],
    records: Sequence[PoolRecord | Mapping[str, object]],
    activities: Sequence[PoolActivity | Mapping[str, object]],
    as_of: DateInput | datetime.datetime,
) -> PoolReport:
    """One decision per record (keep / warn / recycle / exempt) with due_at, warn_at and
    reasons; raises ``CrmkitError``."""

ClaimCount = Literal["all_pools", "this_pool"]

class ClaimRules(TypedDict):
    holdings_limit: NotRequired[int]
    holdings_exclude_won: NotRequired[bool]
    daily_limit: NotRequired[int]
    cooldown: NotRequired[int]
    embargo: NotRequired[int]
    holdings_limit_counts: NotRequired[ClaimCount]
    daily_limit_counts: NotRequired[ClaimCount]
    cooldown_counts: NotRequired[ClaimCount]

LedgerEvent = Literal["claim", "assign", "release", "recycle"]
ClaimReasonCode = Literal["not_in_pool", "embargoed", "cooldown", "holdings_limit", "daily_limit"]

class PooledRecord(TypedDict):
    id: str
    pool: str
    pooled_at: InstantInput

class Holding(TypedDict):
    user: str
    pool: NotRequired[str]
    owned: int
    won: NotRequired[int]

class LedgerEntry(TypedDict):
    at: InstantInput
    user: str
    record: str
    pool: NotRequired[str]
    event: LedgerEvent

class ClaimRequest(TypedDict):
    user: str
    record: str

class ClaimInput(TypedDict):
    pooled: list[PooledRecord]
    holdings: NotRequired[list[Holding]]
    ledger: NotRequired[list[LedgerEntry]]
    requests: list[ClaimRequest]

class ClaimReason(TypedDict):
    code: ClaimReasonCode
    count: NotRequired[int]
    limit: NotRequired[int]
    since: NotRequired[datetime.datetime]
    until: NotRequired[datetime.datetime]
    counts: NotRequired[ClaimCount]

class ClaimDecision(TypedDict):
    user: str
    record: str
    pool: NotRequired[str]
    accepted: bool
    reasons: list[ClaimReason]

class ClaimReport(TypedDict):
    decisions: list[ClaimDecision]
    ledger: list[LedgerEntry]
    holdings: list[Holding]

def check_claims(
    policy: PoolPolicy | Mapping[str, object], input: ClaimInput | Mapping[str, object], as_of: DateInput | datetime.datetime
) -> ClaimReport:
    """Claims decided in order, each refusal explained; raises ``CrmkitError``."""

Strategy = Literal["round_robin", "weighted", "least_loaded"]
AssignReasonCode = Literal[
    "routed", "no_route", "no_available_rep", "round_robin", "weighted_draw", "least_loaded", "skipped_inactive", "skipped_full"
]

class Rep(TypedDict):
    id: str
    weight: NotRequired[int]
    capacity: NotRequired[int]
    active: NotRequired[bool]

class Team(TypedDict):
    id: str
    strategy: Strategy
    reps: list[Rep]

class RouteMatch(TypedDict):
    any: NotRequired[bool]
    regions: NotRequired[list[str]]
    product_lines: NotRequired[list[str]]
    levels: NotRequired[list[str]]
    sources: NotRequired[list[str]]

class Route(TypedDict):
    id: str
    when: RouteMatch
    team: str

class AssignPolicy(TypedDict):
    teams: list[Team]
    routes: list[Route]
    fallback_queue: str

class AssignRecord(TypedDict):
    id: str
    region: NotRequired[str]
    product_line: NotRequired[str]
    level: NotRequired[str]
    source: NotRequired[str]

class RepLoad(TypedDict):
    rep: str
    held: int
    assigned: NotRequired[int]

class AssignInput(TypedDict):
    records: list[AssignRecord]
    load: NotRequired[list[RepLoad]]
    cursors: NotRequired[dict[str, int]]
    seed: NotRequired[int | str]

class AssignReason(TypedDict):
    code: AssignReasonCode
    route: NotRequired[str]
    cursor: NotRequired[int]
    count: NotRequired[int]

class Assignment(TypedDict):
    record: str
    team: NotRequired[str]
    rep: NotRequired[str]
    queue: NotRequired[str]
    reasons: list[AssignReason]

class AssignReport(TypedDict):
    assignments: list[Assignment]
    cursors: dict[str, int]
    load: list[RepLoad]

def assign_records(policy: AssignPolicy | Mapping[str, object], input: AssignInput | Mapping[str, object]) -> AssignReport:
    """Assignment by route and team strategy, deterministic; raises ``CrmkitError``."""

LintCode = Literal[
    "warning_not_before_limit",
    "zero_limit",
    "pool_without_members",
    "overlap_without_priority",
    "unreachable_pool",
    "unreachable_rule",
    "levels_without_rule",
    "calendar_unused",
]

class LintFinding(TypedDict):
    code: LintCode
    path: str
    message: str
    other: NotRequired[str]

class LintReport(TypedDict):
    findings: list[LintFinding]

def lint_pool(policy: PoolPolicy | Mapping[str, object]) -> LintReport:
    """Findings on a valid pool policy; raises ``CrmkitError`` for an invalid one."""

class SimulationLine(TypedDict):
    date: datetime.date
    owner: str
    a: int
    b: int

class SimulationTotal(TypedDict):
    key: str
    a: int
    b: int

class SimulationReport(TypedDict):
    lines: list[SimulationLine]
    days: list[SimulationTotal]
    owners: list[SimulationTotal]
    total: SimulationTotal

def simulate_pool(
    policy_a: PoolPolicy | Mapping[str, object],
    policy_b: PoolPolicy | Mapping[str, object],
    records: Sequence[PoolRecord | Mapping[str, object]],
    activities: Sequence[PoolActivity | Mapping[str, object]],
    start: DateInput,
    end: DateInput,
) -> SimulationReport:
    """Recycled records per owner and day under policy A and policy B; raises ``CrmkitError``."""

def simulate_pool_frame(
    records: pd.DataFrame | ArrowStreamExportable,
    activities: pd.DataFrame | ArrowStreamExportable,
    policy_a: PoolPolicy | Mapping[str, object],
    policy_b: PoolPolicy | Mapping[str, object],
    start: DateInput,
    end: DateInput,
    *,
    teams: pd.DataFrame | ArrowStreamExportable | None = None,
    tags: pd.DataFrame | ArrowStreamExportable | None = None,
) -> SimulationReport:
    """``simulate_pool`` over the columns ``evaluate_pool_frame`` takes (pandas or Arrow data);
    raises ``CrmkitError``."""

@overload
def assign_records_frame(
    records: pd.DataFrame,
    policy: AssignPolicy | Mapping[str, object],
    *,
    load: Sequence[RepLoad | Mapping[str, object]] | None = None,
    cursors: Mapping[str, int] | None = None,
    seed: int | str = 0,
) -> pd.DataFrame:
    """``assign_records`` over a DataFrame's ``region``, ``product_line``, ``level``,
    ``source`` columns: ``team``, ``rep``, ``queue``, ``route``, ``choice``, ``cursor``,
    ``held``, ``skipped_inactive``, ``skipped_full`` per record; ``attrs["cursors"]``,
    ``attrs["load"]``; raises ``CrmkitError``."""

@overload
def assign_records_frame(
    records: ArrowStreamExportable,
    policy: AssignPolicy | Mapping[str, object],
    *,
    load: Sequence[RepLoad | Mapping[str, object]] | None = None,
    cursors: Mapping[str, int] | None = None,
    seed: int | str = 0,
) -> Any:
    """``assign_records`` over Arrow data: the same columns in ``records``' library
    (polars, or a pyarrow Table); raises ``CrmkitError``."""

@overload
def check_claims_frame(
    requests: pd.DataFrame,
    pooled: pd.DataFrame,
    policy: PoolPolicy | Mapping[str, object],
    as_of: DateInput | datetime.datetime,
    *,
    holdings: pd.DataFrame | None = None,
    ledger: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``check_claims`` over DataFrames' columns: ``pool``, ``accepted``, a bool per refusal
    reason with its numbers, ``claimed_at`` per request; ``attrs["holdings"]``,
    ``attrs["pools"]``; raises ``CrmkitError``."""

@overload
def check_claims_frame(
    requests: ArrowStreamExportable,
    pooled: ArrowStreamExportable | pd.DataFrame,
    policy: PoolPolicy | Mapping[str, object],
    as_of: DateInput | datetime.datetime,
    *,
    holdings: ArrowStreamExportable | pd.DataFrame | None = None,
    ledger: ArrowStreamExportable | pd.DataFrame | None = None,
) -> Any:
    """``check_claims`` over Arrow data (polars, pyarrow, DuckDB...): the same columns in
    ``requests``' library; raises ``CrmkitError``."""

@overload
def evaluate_pool_frame(
    records: pd.DataFrame,
    activities: pd.DataFrame,
    policy: PoolPolicy | Mapping[str, object],
    as_of: DateInput | datetime.datetime,
    *,
    teams: pd.DataFrame | None = None,
    tags: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``evaluate_pool`` over DataFrames' columns: ``pool``, ``decision``, ``due_at``,
    ``warn_at``, ``last_follow_up_at``, ``rule`` per record; ``teams`` (``record``, ``user``)
    and ``tags`` (``record``, ``tag``) one row per member or tag; raises ``CrmkitError``."""

@overload
def evaluate_pool_frame(
    records: ArrowStreamExportable,
    activities: ArrowStreamExportable | pd.DataFrame,
    policy: PoolPolicy | Mapping[str, object],
    as_of: DateInput | datetime.datetime,
    *,
    teams: ArrowStreamExportable | pd.DataFrame | None = None,
    tags: ArrowStreamExportable | pd.DataFrame | None = None,
) -> Any:
    """``evaluate_pool`` over Arrow data (polars, pyarrow, DuckDB...): the same columns in
    ``records``' library (polars, or a pyarrow Table); raises ``CrmkitError``."""
