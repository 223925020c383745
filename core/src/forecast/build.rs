//! Policies, stages and deals built in Rust code rather than read from JSON: a constructor
//! takes the required fields, `with_*` methods set optional ones, and `Default` fills the
//! rest (so struct-update syntax, `..Deal::default()`, works too).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{
    Deal, DurationUnit, FiscalYear, ForecastCategory, ForecastPolicy, OverduePolicy, Placement, Stage, StageKind,
    UndatedPolicy,
};
use crate::money::Rounding;

impl ForecastPolicy {
    /// A policy with its stages, duration unit and placement; no groups, 2-place half-even
    /// rounding, `overdue: move_on`, `undated: error`, the calendar year.
    ///
    /// # Examples
    ///
    /// ```
    /// use crmkit::prelude::*;
    ///
    /// let policy = ForecastPolicy::new(
    ///     vec![Stage::open("lead", Decimal::new(5, 1), Decimal::from(30)), Stage::won("won")],
    ///     DurationUnit::Days,
    ///     Placement::HalfElapsed,
    /// )
    /// .with_group_by(["owner"]);
    /// let deals = [Deal::new("d1", "lead", Decimal::from(1000)).with_owner("li")];
    /// let report = forecast(&policy, &deals, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())?;
    /// assert_eq!(report.totals.open.weighted.to_string(), "500.00");
    /// assert_eq!(report.groups[0].key["owner"].as_deref(), Some("li"));
    /// # Ok::<(), crmkit::Error>(())
    /// ```
    pub fn new(stages: Vec<Stage>, duration_unit: DurationUnit, placement: Placement) -> Self {
        Self {
            stages,
            duration_unit,
            placement,
            group_by: Vec::new(),
            rounding: Rounding::default(),
            overdue: OverduePolicy::default(),
            undated: UndatedPolicy::default(),
            fiscal_year: FiscalYear::default(),
            horizon_months: None,
            dense: false,
        }
    }

    /// Groups the pipeline by these deal fields (`owner`, `team`, `product`, `stage` or an
    /// attribute key).
    #[must_use]
    pub fn with_group_by<S: Into<String>>(mut self, keys: impl IntoIterator<Item = S>) -> Self {
        self.group_by = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Rounds every money figure of the report this way.
    #[must_use]
    pub fn with_rounding(mut self, rounding: Rounding) -> Self {
        self.rounding = rounding;
        self
    }

    /// What to do with deals past their time.
    #[must_use]
    pub fn with_overdue(mut self, overdue: OverduePolicy) -> Self {
        self.overdue = overdue;
        self
    }

    /// What to do with deals without the date the placement uses.
    #[must_use]
    pub fn with_undated(mut self, undated: UndatedPolicy) -> Self {
        self.undated = undated;
        self
    }

    /// The fiscal year of the report's quarters and years.
    #[must_use]
    pub fn with_fiscal_year(mut self, fiscal_year: FiscalYear) -> Self {
        self.fiscal_year = fiscal_year;
        self
    }

    /// Reports months one by one up to `months` from the month of `as_of`; later ones are
    /// summed apart (see [`ForecastPolicy::horizon_months`]).
    #[must_use]
    pub fn with_horizon_months(mut self, months: u32) -> Self {
        self.horizon_months = Some(months);
        self
    }

    /// Every month of the horizon in `months` and in each group's, zeros included.
    #[must_use]
    pub fn with_dense(mut self, dense: bool) -> Self {
        self.dense = dense;
        self
    }
}

impl Default for Stage {
    /// An open stage with no name and no rates: a base for struct-update syntax.
    fn default() -> Self {
        Self {
            name: String::new(),
            kind: StageKind::Open,
            conversion: None,
            probability: None,
            duration: None,
            category: None,
            stall_after: None,
            idle_after: None,
        }
    }
}

impl Stage {
    /// An open stage with its conversion to the next open stage and its duration.
    ///
    /// # Examples
    ///
    /// ```
    /// use crmkit::prelude::*;
    ///
    /// let stage = Stage::open("proposal", Decimal::new(6, 1), Decimal::from(15)).with_stall_after(Decimal::from(45));
    /// assert_eq!(stage.conversion, Some(Decimal::new(6, 1)));
    /// assert_eq!(Stage::won("won").kind, StageKind::Won);
    /// ```
    pub fn open(name: impl Into<String>, conversion: Decimal, duration: Decimal) -> Self {
        Self { name: name.into(), conversion: Some(conversion), duration: Some(duration), ..Self::default() }
    }

    /// An open stage with its own probability of winning (the Salesforce / HubSpot way)
    /// and its duration.
    pub fn open_with_probability(name: impl Into<String>, probability: Decimal, duration: Decimal) -> Self {
        Self { name: name.into(), probability: Some(probability), duration: Some(duration), ..Self::default() }
    }

    /// A won stage.
    pub fn won(name: impl Into<String>) -> Self {
        Self { name: name.into(), kind: StageKind::Won, ..Self::default() }
    }

    /// A lost stage.
    pub fn lost(name: impl Into<String>) -> Self {
        Self { name: name.into(), kind: StageKind::Lost, ..Self::default() }
    }

    /// The forecast category of its deals.
    #[must_use]
    pub fn with_category(mut self, category: ForecastCategory) -> Self {
        self.category = Some(category);
        self
    }

    /// Flags deals in the stage for longer than this as stalled.
    #[must_use]
    pub fn with_stall_after(mut self, stall_after: Decimal) -> Self {
        self.stall_after = Some(stall_after);
        self
    }

    /// Flags deals of the stage without activity for more than `days` days as idle.
    #[must_use]
    pub fn with_idle_after(mut self, days: u32) -> Self {
        self.idle_after = Some(days);
        self
    }
}

impl Deal {
    /// A deal with its id, stage and amount; no dates, no owner, no attributes.
    ///
    /// # Examples
    ///
    /// ```
    /// use crmkit::prelude::*;
    ///
    /// let on = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    /// let deal = Deal::new("D-17", "proposal", Decimal::new(1_250_000, 2))
    ///     .with_owner("wang")
    ///     .with_entered_stage_on(on(11, 2))
    ///     .with_attribute("region", "华东");
    /// assert_eq!(deal.attributes["region"], "华东");
    /// // Or with struct-update syntax:
    /// let other = Deal { id: "D-18".into(), stage: "lead".into(), amount: Decimal::from(900), ..Deal::default() };
    /// assert_eq!(other.owner, None);
    /// ```
    pub fn new(id: impl Into<String>, stage: impl Into<String>, amount: Decimal) -> Self {
        Self { id: id.into(), stage: stage.into(), amount, ..Self::default() }
    }

    /// When it entered its current stage.
    #[must_use]
    pub fn with_entered_stage_on(mut self, on: NaiveDate) -> Self {
        self.entered_stage_on = Some(on);
        self
    }

    /// When it is expected to close.
    #[must_use]
    pub fn with_expected_close_on(mut self, on: NaiveDate) -> Self {
        self.expected_close_on = Some(on);
        self
    }

    /// Snoozes its stall warning until `until`, for `reason`.
    #[must_use]
    pub fn with_snooze(mut self, until: NaiveDate, reason: impl Into<String>) -> Self {
        self.snoozed_until = Some(until);
        self.snooze_reason = Some(reason.into());
        self
    }

    /// Its owner's own forecast category.
    #[must_use]
    pub fn with_category(mut self, category: ForecastCategory) -> Self {
        self.category = Some(category);
        self
    }

    /// The day of its last activity (a call, a meeting, an email...).
    #[must_use]
    pub fn with_last_activity_on(mut self, on: NaiveDate) -> Self {
        self.last_activity_on = Some(on);
        self
    }

    /// Its owner.
    #[must_use]
    pub fn with_owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = Some(owner.into());
        self
    }

    /// Its team.
    #[must_use]
    pub fn with_team(mut self, team: impl Into<String>) -> Self {
        self.team = Some(team.into());
        self
    }

    /// Its product line.
    #[must_use]
    pub fn with_product(mut self, product: impl Into<String>) -> Self {
        self.product = Some(product.into());
        self
    }

    /// One more attribute to group by.
    #[must_use]
    pub fn with_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(key.into(), value.into());
        self
    }
}
