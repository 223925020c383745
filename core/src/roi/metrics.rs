//! ROI metrics per campaign, channel, channel group, period and overall, with the funnel in
//! both views.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::policy::{CostAllocation, FunnelStage, PeriodUnit, RoiPolicy};
use super::pro_rata::{self, PeriodCost};
use crate::error::{Error, Result};
use crate::money::{self, Rounding};

/// One marketing campaign (activity, 市场活动) with its cost and what it brought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A channel of the policy's taxonomy.
    pub channel: String,
    /// Owner, kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Budgeted cost, ≥ 0 (absent: budget lines stay `null`).
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub budget: Option<Decimal>,
    /// Actual cost, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub cost: Decimal,
    /// Expected revenue, ≥ 0 (absent: the expected-vs-actual lines stay `null`).
    #[serde(default, with = "crate::wire::decimal_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub expected_revenue: Option<Decimal>,
    /// Revenue of the won deals credited to the campaign (Salesforce: whose primary campaign
    /// source it is), ≥ 0.
    #[serde(default, with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub won_revenue: Decimal,
    /// First day; gives the campaign's period.
    #[serde(default, with = "crate::wire::date_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub start_on: Option<NaiveDate>,
    /// Last day, ≥ `start_on`.
    #[serde(default, with = "crate::wire::date_opt", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub end_on: Option<NaiveDate>,
    /// Leads it brought.
    #[serde(default)]
    pub leads: u64,
    /// Of them, converted to customers.
    #[serde(default)]
    pub customers: u64,
    /// Opportunities.
    #[serde(default)]
    pub opportunities: u64,
    /// Won deals.
    #[serde(default)]
    pub won: u64,
    /// New customers acquired, for CAC (absent: `won`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_customers: Option<u64>,
}

/// What [`campaign_roi`] returns: the same [`RoiLine`] at every level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct RoiReport {
    /// One line per campaign, in input order.
    pub campaigns: Vec<RoiLine>,
    /// One line per channel with campaigns, in taxonomy order.
    pub channels: Vec<RoiLine>,
    /// One line per channel group (`online`, `offline`...), in order of first appearance in
    /// the taxonomy.
    pub groups: Vec<RoiLine>,
    /// One line per period of the campaigns' `start_on`, in time order (undated campaigns
    /// are in no period).
    pub periods: Vec<RoiLine>,
    /// All campaigns.
    pub total: RoiLine,
}

/// ROI metrics of one campaign or roll-up. Undefined values (a ratio over zero) are `null`,
/// with a reason saying why; every figure is computed from exact sums and rounded once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct RoiLine {
    /// Campaign id, channel, group, period or `total`.
    pub key: String,
    /// The channel (campaign and channel lines).
    pub channel: Option<String>,
    /// The channel group (campaign, channel and group lines).
    pub group: Option<String>,
    /// The period (campaign lines with a `start_on`, period lines).
    pub period: Option<String>,
    /// Campaigns summed.
    pub campaigns: u64,
    /// Budgeted cost; `null` unless every campaign summed has one.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub budget: Option<Decimal>,
    /// Actual cost.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub cost: Decimal,
    /// `budget − cost` (negative: over budget).
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub budget_variance: Option<Decimal>,
    /// `cost ÷ budget × 100`; `null` without a budget or with a zero one.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub budget_used_pct: Option<Decimal>,
    /// Expected revenue; `null` unless every campaign summed has one.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub expected_revenue: Option<Decimal>,
    /// Won revenue.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub won_revenue: Decimal,
    /// `won_revenue − expected_revenue`.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub revenue_variance: Option<Decimal>,
    /// `won_revenue ÷ expected_revenue × 100`.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub revenue_attained_pct: Option<Decimal>,
    /// `won_revenue − cost`: what some tools (Mapp) call "campaign ROI", an amount.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub net_return: Decimal,
    /// `(won_revenue − cost) ÷ cost × 100`; `null` at zero cost (reason `zero_cost`).
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub roi_pct: Option<Decimal>,
    /// `won_revenue ÷ cost`, a ratio; `null` at zero cost.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub roas: Option<Decimal>,
    /// Leads.
    pub leads: u64,
    /// Customers.
    pub customers: u64,
    /// Opportunities.
    pub opportunities: u64,
    /// Won deals.
    pub won: u64,
    /// New customers (CAC's denominator).
    pub new_customers: u64,
    /// `cost ÷ leads`; `null` without leads.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub cost_per_lead: Option<Decimal>,
    /// `cost ÷ opportunities`.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub cost_per_opportunity: Option<Decimal>,
    /// `cost ÷ won`.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub cost_per_win: Option<Decimal>,
    /// Customer acquisition cost, `cost ÷ new_customers`.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub cac: Option<Decimal>,
    /// The policy's funnel stages, each with both conversion views.
    pub funnel: Vec<FunnelStep>,
    /// Why values are what they are (`zero_cost`, `no_leads`, `over_budget`...).
    pub reasons: Vec<RoiReason>,
    /// A campaign line's cost per period under `cost_allocation: pro_rata` (absent
    /// otherwise): the pieces sum exactly to its cost.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub cost_periods: Vec<PeriodCost>,
}

/// One funnel stage of a line, converted from the top and from the stage before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct FunnelStep {
    /// The stage.
    pub stage: FunnelStage,
    /// How many reached it.
    pub count: u64,
    /// `count ÷ first stage's count × 100` (the Neocrm view: 260 won of 3000 leads = 8.7 %);
    /// `null` when the first stage is empty.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub from_top_pct: Option<Decimal>,
    /// `count ÷ previous stage's count × 100`; `null` for the first stage or after an empty one.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub from_previous_pct: Option<Decimal>,
}

/// Why an ROI line's values are what they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RoiReason {
    /// Cost is zero: ROI, ROAS and every cost per X are undefined (`null`), never infinite.
    ZeroCost,
    /// No leads: cost per lead and the from-top rates are undefined.
    NoLeads,
    /// No opportunities: cost per opportunity is undefined.
    NoOpportunities,
    /// No wins: cost per win is undefined.
    NoWins,
    /// No new customers: CAC is undefined.
    NoNewCustomers,
    /// Some campaign summed has no budget: budget figures are `null`.
    BudgetMissing,
    /// Cost above budget.
    OverBudget,
    /// Some campaign summed has no expected revenue: expected-vs-actual figures are `null`.
    ExpectedRevenueMissing,
    /// Won revenue below the expected revenue.
    BelowExpectedRevenue,
    /// Cost above won revenue: ROI is negative.
    NegativeReturn,
    /// A campaign without `start_on`: in no period line.
    Undated,
    /// Under `cost_allocation: pro_rata`, a campaign whose run crosses a period end: its
    /// cost and budget are spread over its periods by days (`cost_periods`); on a period
    /// line, it holds such a piece.
    ProRated,
}

impl RoiReason {
    /// The reason's code, as the wire writes it (`zero_cost`...).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::ZeroCost => "zero_cost",
            Self::NoLeads => "no_leads",
            Self::NoOpportunities => "no_opportunities",
            Self::NoWins => "no_wins",
            Self::NoNewCustomers => "no_new_customers",
            Self::BudgetMissing => "budget_missing",
            Self::OverBudget => "over_budget",
            Self::ExpectedRevenueMissing => "expected_revenue_missing",
            Self::BelowExpectedRevenue => "below_expected_revenue",
            Self::NegativeReturn => "negative_return",
            Self::Undated => "undated",
            Self::ProRated => "pro_rated",
        }
    }
}

/// Exact sums behind one line.
#[derive(Default, Clone)]
#[allow(clippy::struct_excessive_bools)] // flags that each add a reason to the line
struct Acc {
    campaigns: u64,
    budget: Option<Decimal>,
    budget_missing: bool,
    cost: Decimal,
    expected: Option<Decimal>,
    expected_missing: bool,
    won_revenue: Decimal,
    counts: [u64; 4],
    new_customers: u64,
    undated: bool,
    pro_rated: bool,
}

impl Acc {
    fn add(&mut self, c: &Campaign, i: usize) -> Result<()> {
        let at = |f: &'static str| move || format!("campaigns[{i}].{f}");
        let count = |a: u64, b: u64, f: &'static str| a.checked_add(b).ok_or_else(|| Error::overflow(at(f)()));
        self.campaigns += 1;
        match c.budget {
            Some(b) => self.budget = Some(money::add(self.budget.unwrap_or_default(), b, at("budget"))?),
            None => self.budget_missing = true,
        }
        match c.expected_revenue {
            Some(e) => self.expected = Some(money::add(self.expected.unwrap_or_default(), e, at("expected_revenue"))?),
            None => self.expected_missing = true,
        }
        self.cost = money::add(self.cost, c.cost, at("cost"))?;
        self.won_revenue = money::add(self.won_revenue, c.won_revenue, at("won_revenue"))?;
        let fields = ["leads", "customers", "opportunities", "won"];
        for (k, v) in [c.leads, c.customers, c.opportunities, c.won].into_iter().enumerate() {
            self.counts[k] = count(self.counts[k], v, fields[k])?;
        }
        self.new_customers = count(self.new_customers, c.new_customers.unwrap_or(c.won), "new_customers")?;
        self.undated |= c.start_on.is_none();
        Ok(())
    }

    /// A later period's piece of a pro-rated campaign: its cost and budget, nothing else (a
    /// campaign without expected revenue lacks it there too).
    fn add_piece(&mut self, c: &Campaign, cost: Decimal, budget: Option<Decimal>, i: usize) -> Result<()> {
        let at = |f: &'static str| move || format!("campaigns[{i}].{f}");
        self.campaigns += 1;
        match budget {
            Some(b) => self.budget = Some(money::add(self.budget.unwrap_or_default(), b, at("budget"))?),
            None => self.budget_missing = true,
        }
        self.cost = money::add(self.cost, cost, at("cost"))?;
        self.expected_missing |= c.expected_revenue.is_none();
        self.pro_rated = true;
        Ok(())
    }
}

/// `a ÷ b`, rounded; `None` when `b` is zero.
fn ratio(a: Decimal, b: Decimal, scale: Decimal, rounding: Rounding, path: &str) -> Result<Option<Decimal>> {
    if b.is_zero() {
        return Ok(None);
    }
    let a = a.checked_mul(scale).ok_or_else(|| Error::overflow(path))?;
    if let Some(r) = half_even(a, b, rounding) {
        return Ok(Some(r));
    }
    let x = a.checked_div(b).ok_or_else(|| Error::overflow(path))?;
    Ok(Some(rounding.round(x)))
}

/// `a ÷ b` (`b` > 0) rounded half-even from one integer division, where that is sure to be the
/// very `Decimal` (value, scale and sign) that rounding the `Decimal` quotient gives (see
/// [`money::ratio_half_even`]): a negative `a` (a loss over its cost) as the negated quotient
/// of `-a`, as a `Decimal` division and a half-even rounding are symmetric, unless that
/// rounds to zero (whose sign the `Decimal` steps decide). `None`: divide the `Decimal`s.
fn half_even(a: Decimal, b: Decimal, rounding: Rounding) -> Option<Decimal> {
    if rounding.strategy != money::RoundingStrategy::HalfEven {
        return None;
    }
    if !a.is_sign_negative() {
        return money::ratio_half_even(a, b, rounding.dp);
    }
    money::ratio_half_even(-a, b, rounding.dp).filter(|r| !r.is_zero()).map(|r| -r)
}

fn line(policy: &RoiPolicy, key: String, acc: &Acc, path: &str) -> Result<RoiLine> {
    let (money_r, pct) = (policy.rounding, policy.percent_rounding);
    let hundred = Decimal::ONE_HUNDRED;
    let mut reasons = Vec::new();
    let budget = if acc.budget_missing { None } else { acc.budget.or(Some(Decimal::ZERO)) };
    let expected = if acc.expected_missing { None } else { acc.expected.or(Some(Decimal::ZERO)) };
    let sub = |a: Decimal, b: Decimal| a.checked_sub(b).ok_or_else(|| Error::overflow(path));
    let net = sub(acc.won_revenue, acc.cost)?;
    let cost = acc.cost;
    let per = |n: u64| ratio(cost, Decimal::from(n), Decimal::ONE, money_r, path);
    let [leads, customers, opportunities, won] = acc.counts;
    // Pushed in the order of `ROI_REASONS` (campaign_table.rs: a line's bits read back as its list).
    if cost.is_zero() {
        reasons.push(RoiReason::ZeroCost);
    } else if net.is_sign_negative() && !net.is_zero() {
        reasons.push(RoiReason::NegativeReturn);
    }
    for (n, why) in [
        (leads, RoiReason::NoLeads),
        (opportunities, RoiReason::NoOpportunities),
        (won, RoiReason::NoWins),
        (acc.new_customers, RoiReason::NoNewCustomers),
    ] {
        if n == 0 {
            reasons.push(why);
        }
    }
    match budget {
        None => reasons.push(RoiReason::BudgetMissing),
        Some(b) if cost > b => reasons.push(RoiReason::OverBudget),
        Some(_) => {}
    }
    match expected {
        None => reasons.push(RoiReason::ExpectedRevenueMissing),
        Some(e) if acc.won_revenue < e => reasons.push(RoiReason::BelowExpectedRevenue),
        Some(_) => {}
    }
    if acc.undated {
        reasons.push(RoiReason::Undated);
    }
    if acc.pro_rated {
        reasons.push(RoiReason::ProRated);
    }
    let counts = |s: FunnelStage| acc.counts[s as usize];
    let top = counts(policy.funnel[0]);
    let mut funnel = Vec::with_capacity(policy.funnel.len());
    for (k, &stage) in policy.funnel.iter().enumerate() {
        let count = counts(stage);
        let from_previous = match k.checked_sub(1) {
            Some(p) => ratio(Decimal::from(count), Decimal::from(counts(policy.funnel[p])), hundred, pct, path)?,
            None => None,
        };
        funnel.push(FunnelStep {
            stage,
            count,
            from_top_pct: ratio(Decimal::from(count), Decimal::from(top), hundred, pct, path)?,
            from_previous_pct: from_previous,
        });
    }
    Ok(RoiLine {
        key,
        channel: None,
        group: None,
        period: None,
        campaigns: acc.campaigns,
        budget: budget.map(|b| money_r.round(b)),
        cost: money_r.round(cost),
        budget_variance: budget.map(|b| sub(b, cost).map(|v| money_r.round(v))).transpose()?,
        budget_used_pct: match budget {
            Some(b) => ratio(cost, b, hundred, pct, path)?,
            None => None,
        },
        expected_revenue: expected.map(|e| money_r.round(e)),
        won_revenue: money_r.round(acc.won_revenue),
        revenue_variance: expected.map(|e| sub(acc.won_revenue, e).map(|v| money_r.round(v))).transpose()?,
        revenue_attained_pct: match expected {
            Some(e) => ratio(acc.won_revenue, e, hundred, pct, path)?,
            None => None,
        },
        net_return: money_r.round(net),
        roi_pct: ratio(net, cost, hundred, pct, path)?,
        roas: ratio(acc.won_revenue, cost, Decimal::ONE, money_r, path)?,
        leads,
        customers,
        opportunities,
        won,
        new_customers: acc.new_customers,
        cost_per_lead: per(leads)?,
        cost_per_opportunity: per(opportunities)?,
        cost_per_win: per(won)?,
        cac: per(acc.new_customers)?,
        funnel,
        reasons,
        cost_periods: Vec::new(),
    })
}

fn period_key(unit: PeriodUnit, d: NaiveDate) -> String {
    match unit {
        PeriodUnit::Month => format!("{:04}-{:02}", d.year(), d.month()),
        PeriodUnit::Quarter => format!("{:04}-Q{}", d.year(), (d.month() - 1) / 3 + 1),
        PeriodUnit::Year => format!("{:04}", d.year()),
    }
}

/// ROI metrics per campaign, per channel, per channel group, per period and overall: ROI,
/// ROAS, cost per lead / opportunity / win, CAC, budget vs actual, expected vs actual revenue
/// and the funnel converted from the top and stage to stage. A ratio over zero (zero cost, no
/// leads...) is `None` with a reason, never infinite.
///
/// # Errors
///
/// Policy errors as [`RoiPolicy::validate`]; for campaign `i`: `duplicate_name` at
/// `campaigns[i].id`, `unknown_channel` at `campaigns[i].channel`, `negative_amount` at
/// `campaigns[i].cost` / `budget` / `expected_revenue` / `won_revenue`, `out_of_range` at
/// `campaigns[i].end_on` before `start_on`; `overflow` when sums leave `Decimal`'s range.
///
/// # Examples
///
/// The Neocrm example: 3000 leads → 1200 customers → 800 opportunities → 260 won.
///
/// ```
/// use crmkit::roi::{campaign_roi, Campaign, RoiPolicy};
///
/// let campaigns: Vec<Campaign> = crmkit::wire::from_json(r#"[{"id": "c1", "channel": "events",
///     "cost": "11400", "won_revenue": "20000",
///     "leads": 3000, "customers": 1200, "opportunities": 800, "won": 260}]"#, "campaigns")?;
/// let report = campaign_roi(&RoiPolicy::default(), &campaigns)?;
/// let t = &report.total;
/// assert_eq!(t.roi_pct.unwrap().to_string(), "75.4");
/// let top: Vec<String> = t.funnel.iter().map(|s| s.from_top_pct.unwrap().to_string()).collect();
/// assert_eq!(top, ["100.0", "40.0", "26.7", "8.7"]);
/// let step: Vec<String> = t.funnel[1..].iter().map(|s| s.from_previous_pct.unwrap().to_string()).collect();
/// assert_eq!(step, ["40.0", "66.7", "32.5"]);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn campaign_roi(policy: &RoiPolicy, campaigns: &[Campaign]) -> Result<RoiReport> {
    let index = policy.index()?;
    let mut ids = HashMap::with_capacity(campaigns.len());
    let mut lines = Vec::with_capacity(campaigns.len());
    let mut channels: BTreeMap<usize, Acc> = BTreeMap::new();
    let mut periods: BTreeMap<String, Acc> = BTreeMap::new();
    let mut total = Acc::default();
    for (i, c) in campaigns.iter().enumerate() {
        if let Some(first) = ids.insert(c.id.as_str(), i) {
            return Err(Error::DuplicateName {
                path: format!("campaigns[{i}].id"),
                name: c.id.clone(),
                first: format!("campaigns[{first}].id"),
            });
        }
        let ch = *index.get(c.channel.as_str()).ok_or_else(|| Error::UnknownChannel {
            path: format!("campaigns[{i}].channel"),
            name: c.channel.clone(),
        })?;
        for (field, v) in [
            ("budget", c.budget),
            ("cost", Some(c.cost)),
            ("expected_revenue", c.expected_revenue),
            ("won_revenue", Some(c.won_revenue)),
        ] {
            if let Some(v) = v.filter(|v| v.is_sign_negative() && !v.is_zero()) {
                return Err(Error::NegativeAmount { path: format!("campaigns[{i}].{field}"), value: v.to_string() });
            }
        }
        if let (Some(s), Some(e)) = (c.start_on, c.end_on)
            && e < s
        {
            return Err(Error::out_of_range(format!("campaigns[{i}].end_on"), e, s, "inf"));
        }
        let mut own = Acc::default();
        own.add(c, i)?;
        total.add(c, i)?;
        channels.entry(ch).or_default().add(c, i)?;
        let period = c.start_on.map(|d| period_key(policy.period, d));
        let cost_periods =
            if let (CostAllocation::ProRata, Some(s), Some(e)) = (policy.cost_allocation, c.start_on, c.end_on) {
                let pieces = pro_rate(policy, c, i, s, e, &mut periods)?;
                own.pro_rated = pieces.len() > 1;
                pieces
            } else {
                if let Some(p) = &period {
                    periods.entry(p.clone()).or_default().add(c, i)?;
                }
                Vec::new()
            };
        let mut l = line(policy, c.id.clone(), &own, &format!("campaigns[{i}]"))?;
        l.channel = Some(c.channel.clone());
        l.group = Some(policy.channels[ch].group.clone());
        l.period = period;
        l.cost_periods = cost_periods;
        lines.push(l);
    }
    let mut groups: Vec<(String, Acc)> = Vec::new();
    let mut channel_lines = Vec::with_capacity(channels.len());
    for (ch, acc) in &channels {
        let c = &policy.channels[*ch];
        let mut l = line(policy, c.name.clone(), acc, "campaigns")?;
        l.channel = Some(c.name.clone());
        l.group = Some(c.group.clone());
        channel_lines.push(l);
        match groups.iter_mut().find(|(g, _)| *g == c.group) {
            Some((_, g)) => g.merge(acc, "campaigns")?,
            None => groups.push((c.group.clone(), acc.clone())),
        }
    }
    let group_lines = groups
        .iter()
        .map(|(g, acc)| {
            let mut l = line(policy, g.clone(), acc, "campaigns")?;
            l.group = Some(g.clone());
            Ok(l)
        })
        .collect::<Result<_>>()?;
    let period_lines = periods
        .iter()
        .map(|(p, acc)| {
            let mut l = line(policy, p.clone(), acc, "campaigns")?;
            l.period = Some(p.clone());
            Ok(l)
        })
        .collect::<Result<_>>()?;
    Ok(RoiReport {
        campaigns: lines,
        channels: channel_lines,
        groups: group_lines,
        periods: period_lines,
        total: line(policy, "total".into(), &total, "campaigns")?,
    })
}

/// Campaign `c`'s run `s..=e` spread over the period lines: the first period takes the
/// campaign with its piece of the cost and budget, each later one only its piece.
fn pro_rate(
    policy: &RoiPolicy,
    c: &Campaign,
    i: usize,
    s: NaiveDate,
    e: NaiveDate,
    periods: &mut BTreeMap<String, Acc>,
) -> Result<Vec<PeriodCost>> {
    let days =
        pro_rata::run_days(policy.period, s, e, |d| period_key(policy.period, d), &format!("campaigns[{i}].end_on"))?;
    let dp = policy.rounding.dp;
    let cost = pro_rata::spread(c.cost, &days, dp, &format!("campaigns[{i}].cost"))?;
    let budget = c.budget.map(|b| pro_rata::spread(b, &days, dp, &format!("campaigns[{i}].budget"))).transpose()?;
    let cut = days.len() > 1;
    let mut out = Vec::with_capacity(days.len());
    for (k, (period, days)) in days.into_iter().enumerate() {
        let piece = budget.as_ref().map(|b| b[k]);
        let acc = periods.entry(period.clone()).or_default();
        if k == 0 {
            let first = Campaign { cost: cost[0], budget: piece, ..c.clone() };
            acc.add(&first, i)?;
            acc.pro_rated |= cut;
        } else {
            acc.add_piece(c, cost[k], piece, i)?;
        }
        out.push(PeriodCost { period, days, cost: cost[k], budget: piece });
    }
    Ok(out)
}

impl Acc {
    fn merge(&mut self, o: &Self, path: &str) -> Result<()> {
        let add = |a: Decimal, b: Decimal| money::add(a, b, || path.to_owned());
        let count = |a: u64, b: u64| a.checked_add(b).ok_or_else(|| Error::overflow(path));
        self.campaigns = count(self.campaigns, o.campaigns)?;
        self.budget = match (self.budget, o.budget) {
            (Some(a), Some(b)) => Some(add(a, b)?),
            (a, b) => a.or(b),
        };
        self.expected = match (self.expected, o.expected) {
            (Some(a), Some(b)) => Some(add(a, b)?),
            (a, b) => a.or(b),
        };
        self.budget_missing |= o.budget_missing;
        self.expected_missing |= o.expected_missing;
        self.cost = add(self.cost, o.cost)?;
        self.won_revenue = add(self.won_revenue, o.won_revenue)?;
        for k in 0..4 {
            self.counts[k] = count(self.counts[k], o.counts[k])?;
        }
        self.new_customers = count(self.new_customers, o.new_customers)?;
        self.undated |= o.undated;
        self.pro_rated |= o.pro_rated;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::RoundingStrategy;

    /// `ratio` against the `Decimal` steps it replaces (the scaled dividend divided, the
    /// quotient rounded): the same text, scale and sign on seeded figures, losses included.
    #[test]
    fn ratio_is_the_rounded_decimal_quotient() {
        let slow = |a: Decimal, b: Decimal, scale: Decimal, r: Rounding| r.round(a * scale / b);
        let mut next = crate::money::xorshift(0x5eed_1234_abcd_0001);
        let mut checked = 0;
        for k in 0..20_000 {
            let sign = if next().is_multiple_of(2) { 1 } else { -1 };
            let a = Decimal::from_i128_with_scale(sign * i128::from(next() % 10_000_000_000), (next() % 5) as u32);
            let b = Decimal::from_i128_with_scale(i128::from(next() % 100_000_000 + 1), (next() % 4) as u32);
            let scale = if k % 2 == 0 { Decimal::ONE } else { Decimal::ONE_HUNDRED };
            let strategy = if k % 7 == 0 { RoundingStrategy::HalfUp } else { RoundingStrategy::HalfEven };
            let r = Rounding { dp: (next() % 5) as u32, strategy };
            let fast = ratio(a, b, scale, r, "x").unwrap().unwrap();
            let want = slow(a, b, scale, r);
            assert_eq!(
                (fast.to_string(), fast.scale(), fast.is_sign_negative()),
                (want.to_string(), want.scale(), want.is_sign_negative()),
                "{a} x {scale} / {b} at {r:?}"
            );
            checked += 1;
        }
        assert_eq!(checked, 20_000);
        // Ties go to the even neighbour either side of zero; a loss rounding to zero keeps
        // the sign the Decimal steps give it.
        let even = Rounding { dp: 1, strategy: RoundingStrategy::HalfEven };
        let at = |a: i64, b: i64| ratio(Decimal::from(a), Decimal::from(b), Decimal::ONE_HUNDRED, even, "x");
        assert_eq!(
            at(-1, 4000).unwrap().map(|r| r.to_string()),
            Some(slow(Decimal::from(-1), Decimal::from(4000), Decimal::ONE_HUNDRED, even).to_string())
        );
        assert_eq!(at(1, 16).unwrap().unwrap().to_string(), "6.2");
        assert_eq!(at(-1, 16).unwrap().unwrap().to_string(), "-6.2");
        assert_eq!(at(3, 16).unwrap().unwrap().to_string(), "18.8");
        assert_eq!(at(1, 0).unwrap(), None);
    }
}
