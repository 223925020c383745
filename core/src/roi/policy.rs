//! The ROI policy: channel taxonomy as data, period, funnel stages, roundings.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::money::{Rounding, RoundingStrategy};

/// How [`campaign_roi`](super::campaign_roi) reads and rounds campaigns.
///
/// # Examples
///
/// ```
/// let policy: crmkit::roi::RoiPolicy = crmkit::wire::from_json(r#"{
///     "channels": [{"name": "search", "group": "online"}, {"name": "events", "group": "offline"}],
///     "period": "quarter"
/// }"#, "")?;
/// policy.validate()?;
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct RoiPolicy {
    /// The channel taxonomy: every campaign's `channel` must be one of these names. Default:
    /// online `web_ads`, `search`, `mobile`, `email`; offline `events`, `print`, `tv`.
    #[serde(default = "Channel::defaults")]
    pub channels: Vec<Channel>,
    /// Calendar period of the `periods` roll-up, by each campaign's `start_on`.
    #[serde(default)]
    pub period: PeriodUnit,
    /// How a campaign's cost (and budget) reaches the period lines: all in the period of its
    /// `start_on` (`as_entered`, the default), or spread over the days of its run
    /// (`pro_rata`).
    #[serde(default, skip_serializing_if = "CostAllocation::is_as_entered")]
    pub cost_allocation: CostAllocation,
    /// The funnel stages reported, in funnel order (a subset of `leads`, `customers`,
    /// `opportunities`, `won`, in that order). Default: all four.
    #[serde(default = "FunnelStage::all")]
    pub funnel: Vec<FunnelStage>,
    /// Rounding of money (costs per lead / opportunity / win, CAC, variances) and of ROAS
    /// (default 2 places, half-even).
    #[serde(default)]
    pub rounding: Rounding,
    /// Rounding of every percentage (ROI, conversion rates, budget used, revenue attained);
    /// default 1 place, half-even.
    #[serde(default = "RoiPolicy::percent_default")]
    pub percent_rounding: Rounding,
}

impl Default for RoiPolicy {
    fn default() -> Self {
        Self {
            channels: Channel::defaults(),
            period: PeriodUnit::default(),
            cost_allocation: CostAllocation::default(),
            funnel: FunnelStage::all(),
            rounding: Rounding::default(),
            percent_rounding: Self::percent_default(),
        }
    }
}

impl RoiPolicy {
    fn percent_default() -> Rounding {
        Rounding { dp: 1, strategy: RoundingStrategy::HalfEven }
    }

    /// Checks the taxonomy (names unique and non-empty), the funnel (non-empty, no repeats,
    /// in funnel order) and both roundings.
    ///
    /// # Errors
    ///
    /// `invalid_value` at `channels[i].name` (empty), `duplicate_name` at `channels[i].name`,
    /// `invalid_value` at `funnel` / `funnel[i]`, rounding errors at `rounding.dp` /
    /// `percent_rounding.dp`.
    pub fn validate(&self) -> Result<()> {
        self.index().map(|_| ())
    }

    /// Channel name → its position in the taxonomy, after validating.
    pub(crate) fn index(&self) -> Result<HashMap<&str, usize>> {
        self.rounding.validate("rounding")?;
        self.percent_rounding.validate("percent_rounding")?;
        let index = taxonomy_index(&self.channels)?;
        if self.funnel.is_empty() {
            return Err(Error::InvalidValue { path: "funnel".into(), reason: "the funnel needs a stage".into() });
        }
        for (i, pair) in self.funnel.windows(2).enumerate() {
            if pair[1] <= pair[0] {
                return Err(Error::InvalidValue {
                    path: format!("funnel[{}]", i + 1),
                    reason: "stages go once each, in the order leads, customers, opportunities, won".into(),
                });
            }
        }
        Ok(index)
    }
}

/// One channel of the taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// Name, as campaigns and touches spell it.
    pub name: String,
    /// The group it rolls up into (`online`, `offline`, or any grouping of the caller's).
    pub group: String,
}

impl Channel {
    /// The issue's taxonomy: online web ads, search, mobile, e-mail; offline events, print, TV.
    pub fn defaults() -> Vec<Self> {
        [
            ("web_ads", "online"),
            ("search", "online"),
            ("mobile", "online"),
            ("email", "online"),
            ("events", "offline"),
            ("print", "offline"),
            ("tv", "offline"),
        ]
        .into_iter()
        .map(|(name, group)| Self { name: name.into(), group: group.into() })
        .collect()
    }
}

/// The calendar period campaigns roll up into, by their `start_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum PeriodUnit {
    /// `2026-09`.
    #[default]
    Month,
    /// `2026-Q3`.
    Quarter,
    /// `2026`.
    Year,
}

/// How a campaign's cost reaches the period lines of [`campaign_roi`](super::campaign_roi).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum CostAllocation {
    /// The whole cost and budget in the period of `start_on` (Salesforce: cost as entered).
    #[default]
    AsEntered,
    /// A campaign with `start_on` and `end_on` spreads its cost and budget over the days of
    /// its run, both ends included: each period gets `cost × its days ÷ run days`, split by
    /// the largest remainder so the pieces sum exactly to the cost (listed on the campaign's
    /// line, `cost_periods`). Revenue, counts and expected revenue carry no date of their own
    /// and stay in the period of `start_on`; a campaign without `end_on` is as entered.
    ProRata,
}

impl CostAllocation {
    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
    fn is_as_entered(&self) -> bool {
        *self == Self::AsEntered
    }
}

/// A funnel stage counted on each campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum FunnelStage {
    /// Leads (线索) the campaign brought.
    Leads,
    /// Leads converted to customers (客户).
    Customers,
    /// Opportunities (商机).
    Opportunities,
    /// Won deals (赢单).
    Won,
}

impl FunnelStage {
    /// All four, in funnel order.
    pub fn all() -> Vec<Self> {
        vec![Self::Leads, Self::Customers, Self::Opportunities, Self::Won]
    }
}

/// Channel name → its position in the taxonomy; names non-empty and unique.
pub(crate) fn taxonomy_index(channels: &[Channel]) -> Result<HashMap<&str, usize>> {
    let mut index = HashMap::with_capacity(channels.len());
    for (i, c) in channels.iter().enumerate() {
        if c.name.is_empty() {
            return Err(Error::InvalidValue {
                path: format!("channels[{i}].name"),
                reason: "a channel needs a name".into(),
            });
        }
        if let Some(first) = index.insert(c.name.as_str(), i) {
            return Err(Error::DuplicateName {
                path: format!("channels[{i}].name"),
                name: c.name.clone(),
                first: format!("channels[{first}].name"),
            });
        }
    }
    Ok(index)
}
