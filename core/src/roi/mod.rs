//! Marketing ROI and attribution (市场营销ROI评估).
//!
//! [`campaign_roi`] reports, per campaign, per channel of a taxonomy given as data, per
//! channel group (online / offline), per period and overall: ROI = (won revenue − cost) ÷ cost,
//! ROAS, cost per lead / opportunity / win, CAC, budget vs actual and expected vs actual
//! revenue, and the funnel converted both from the top (Neocrm's 8.7 % = 260 won of 3000
//! leads) and stage to stage. A ratio over zero is `None` with a reason, never infinite.

mod attribution;
mod campaign_columns;
mod campaign_table;
mod metrics;
mod policy;
mod pro_rata;

pub use attribution::{
    attribute, attribute_columns, attribute_columns_into, compare_attribution, compare_attribution_columns,
    compare_attribution_columns_into, AttributionPolicy, AttributionReason, AttributionReport, ChannelCredit,
    CoalitionValue, CodeColumn, CohortLine, ColumnsAttribution, Comparison, ComparisonLine, ComparisonPolicy,
    ComparisonRow, DayColumn, Journey, JourneyColumns, JourneyLine, Milestone, Model, PositionWeights, Touch,
    TouchCredit, WireDecimal, EXACT_PLAYERS, MAX_PLAYERS, MAX_STATES, MAX_TOUCHES, NOT_CONVERTED,
};
pub use campaign_columns::{campaign_roi_columns, CampaignColumns, SparseAmounts};
pub use campaign_table::{CostPeriods, LabelColumn, RoiTable, ROI_NEVER_NULL, ROI_REASONS};
pub use metrics::{campaign_roi, Campaign, FunnelStep, RoiLine, RoiReason, RoiReport};
pub use policy::{Channel, CostAllocation, FunnelStage, PeriodUnit, RoiPolicy};
pub use pro_rata::{PeriodCost, MAX_COST_PERIODS};
