//! What most programs need, in one import: `use crmkit::prelude::*;`.
//!
//! The verbs of every domain, their policy and record types, the shared money types, the
//! JSON reader, and the [`Decimal`] and [`NaiveDate`] types crmkit's API is written in, so a
//! crate depending only on crmkit can call it. Report line types stay in their domain's
//! module (`crmkit::forecast::MonthLine`...). `Result` is not here: it would shadow `std`'s.
//!
//! # Examples
//!
//! ```
//! use crmkit::prelude::*;
//!
//! let policy: ForecastPolicy = from_json(
//!     r#"{"stages": [{"name": "open", "conversion": "0.25", "duration": "10"}, {"name": "won", "kind": "won"}],
//!        "duration_unit": "days", "placement": "remaining_full"}"#,
//!     "",
//! )?;
//! let deals = [Deal::new("d1", "open", Decimal::new(10_000, 2))];
//! let report = forecast(&policy, &deals, NaiveDate::from_ymd_opt(2026, 1, 5).unwrap())?;
//! assert_eq!(report.totals.open.weighted, Decimal::new(2_500, 2));
//! # Ok::<(), Error>(())
//! ```

pub use chrono::NaiveDate;
pub use rust_decimal::Decimal;

pub use crate::error::Error;
pub use crate::money::{split_largest_remainder, Rounding, RoundingStrategy};
pub use crate::wire::from_json;

// Duplicate matching (查重).
pub use crate::dedup::{
    compare, estimate_model, find_duplicates, find_duplicates_columns, link_records, match_records, normalize_company,
    normalize_credit_code, normalize_domain, normalize_email, normalize_person_name, normalize_phone, BatchSettings,
    Comparator, DedupIndex, DedupRecord, EstimateSettings, MatchPolicy, RecordColumns, Verdict,
};

// Forecast (销售漏斗).
pub use crate::forecast::{
    allocate_target, forecast, forecast_columns, forecast_columns_parallel, forecast_ranges, funnel_history,
    AllocationInput, AllocationPolicy, AmountColumn, DateColumn, Deal, DealColumns, DurationUnit, FiscalYear,
    ForecastCategory, ForecastPolicy, ForecastReport, GroupColumn, KeyColumn, OverduePolicy, Placement, RangeSettings,
    Stage, StageCodes, StageEvent, StageKind, UndatedPolicy,
};
pub use crate::forecast::{
    forecast_hierarchy, quota_attainment, HierarchyInput, HierarchyPolicy, PeriodKind, QuotaInput, QuotaPolicy,
};

// Marketing ROI and attribution (市场营销ROI评估).
pub use crate::roi::{attribute, campaign_roi, AttributionPolicy, Campaign, Channel, Journey, Model, RoiPolicy, Touch};
// Lead scoring (线索评估).
pub use crate::scoring::{
    calibration, predict_leads, score_columns, score_leads, time_split, train_lead_model, Dimension, EventRule,
    FieldCondition, Lead, LeadColumns, LeadEvent, LeadModel, ModelConfig, PriorityTier, ScoreReport, ScoringPolicy,
    ScoringRule,
};

// Commission (提成 / 计提) and payment interest (回款奖息 / 罚息).
pub use crate::commission::{
    collections, compute_commission, payment_interest, route_discount, Accrual, Batch, Bounds, CollectionsPolicy,
    CommissionInput, CommissionPlan, DayCount, DiscountPolicy, DiscountRequest, Draw, Event, InterestPolicy, Payment,
    PlanKind, RepInput, Split, SplitKind, Tier, Transaction, TransactionKind,
};

// Public pool (公海池).
pub use crate::pool::{
    assign_records, check_claims, evaluate_pool, AsOf, AssignInput, AssignPolicy, ClaimInput, PoolActivity, PoolPolicy,
    PoolRecord,
};
