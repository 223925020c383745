//! Campaigns as columns: the batch entry point behind `campaign_roi_frame` (pandas, Arrow) and
//! `campaignRoiColumns` (typed arrays). Row `i` is one campaign; the answer is
//! [`campaign_roi`](super::campaign_roi)'s on the same campaigns, with errors at the column
//! and row (`cost[3]`, `end_on[7]`) instead of `campaigns[3].cost`.

use rust_decimal::Decimal;

use super::metrics::{campaign_roi, Campaign, RoiReport};
use super::policy::RoiPolicy;
use crate::commission::batch_columns::{date, decimals};
use crate::error::{Error, Result};
use crate::forecast::{AmountColumn, KeyColumn};

/// An amount column whose rows may be empty (a campaign without a budget).
#[derive(Debug, Clone, Copy)]
pub struct SparseAmounts<'a> {
    /// The amounts (a missing row's value is not read).
    pub amounts: AmountColumn<'a>,
    /// Per row: `true` where the row has no amount. `None`: every row has one.
    pub missing: Option<&'a [bool]>,
}

/// Campaigns as columns: row `i` is one campaign, the fields of [`Campaign`] (without the
/// display-only `name` and `owner`). An optional column left out (`None`) is the record
/// field left out.
#[derive(Debug, Clone, Copy)]
pub struct CampaignColumns<'a> {
    /// Each campaign's id as a code into its labels (-1: none); ids are unique.
    pub id: KeyColumn<'a>,
    /// Each campaign's channel as a code into its labels (each a channel of the taxonomy).
    pub channel: KeyColumn<'a>,
    /// Actual cost, ≥ 0.
    pub cost: AmountColumn<'a>,
    /// Won revenue, ≥ 0 (`None`: 0).
    pub won_revenue: Option<AmountColumn<'a>>,
    /// Budgeted cost, ≥ 0, empty where a campaign has none.
    pub budget: Option<SparseAmounts<'a>>,
    /// Expected revenue, ≥ 0, empty where a campaign has none.
    pub expected_revenue: Option<SparseAmounts<'a>>,
    /// First day, days since 1970-01-01; `i64::MIN` (numpy's NaT) for none.
    pub start_on: Option<&'a [i64]>,
    /// Last day, likewise.
    pub end_on: Option<&'a [i64]>,
    /// Leads (`None`: 0 each), ≥ 0.
    pub leads: Option<&'a [i64]>,
    /// Customers.
    pub customers: Option<&'a [i64]>,
    /// Opportunities.
    pub opportunities: Option<&'a [i64]>,
    /// Won deals.
    pub won: Option<&'a [i64]>,
    /// New customers for CAC; `i64::MIN` for none (the row's wins count).
    pub new_customers: Option<&'a [i64]>,
}

/// [`campaign_roi`] over campaigns given as columns: the same report as the record API on the
/// same campaigns (a campaign line's `key` is its id's label).
///
/// # Errors
///
/// As [`campaign_roi`], at the column and row: `duplicate_name` at `id[i]` (first `id[j]`),
/// `unknown_channel` at `channel[i]`, `negative_amount` at `cost[i]` / `budget[i]` /
/// `expected_revenue[i]` / `won_revenue[i]`, `out_of_range` at `end_on[i]`; besides,
/// `invalid_value` at a column whose length differs from `id`'s, `missing_value` at `id[i]` /
/// `channel[i]` (code -1), `invalid_value` there for a code without a label, `invalid_date` at
/// a day outside the years 0001–9999, `invalid_value` at a negative count (`leads[i]`),
/// `invalid_type` at a NaN amount (an empty budget is `missing`, not NaN).
///
/// # Examples
///
/// ```
/// use crmkit::forecast::{AmountColumn, KeyColumn};
/// use crmkit::roi::{campaign_roi_columns, CampaignColumns, RoiPolicy};
///
/// let ids = ["c1".to_string(), "c2".to_string()];
/// let channels = ["events".to_string(), "search".to_string()];
/// let columns = CampaignColumns {
///     id: KeyColumn { codes: &[0, 1], labels: &ids },
///     channel: KeyColumn { codes: &[0, 1], labels: &channels },
///     cost: AmountColumn::Units { units: &[11_400, 0], scale: 0 },
///     won_revenue: Some(AmountColumn::Units { units: &[20_000, 500], scale: 0 }),
///     budget: None,
///     expected_revenue: None,
///     start_on: None,
///     end_on: None,
///     leads: Some(&[3000, 10]),
///     customers: None,
///     opportunities: None,
///     won: Some(&[260, 1]),
///     new_customers: None,
/// };
/// let report = campaign_roi_columns(&RoiPolicy::default(), &columns)?;
/// assert_eq!(report.campaigns[0].roi_pct.unwrap().to_string(), "75.4");
/// assert_eq!(report.campaigns[1].roi_pct, None); // zero cost: undefined, never infinite
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn campaign_roi_columns(policy: &RoiPolicy, columns: &CampaignColumns) -> Result<RoiReport> {
    policy.validate()?;
    let campaigns = records(columns)?;
    campaign_roi(policy, &campaigns).map_err(|e| {
        e.relocated(|path| {
            // `campaigns[i].field` → `field[i]`; a line's own path (`campaigns[i]`) → `cost[i]`
            // (an overflow of its sums).
            let (i, rest) = path.strip_prefix("campaigns[")?.split_once(']')?;
            let field = rest.strip_prefix('.').unwrap_or("cost");
            Some(format!("{field}[{i}]"))
        })
    })
}

/// The campaigns as records, each checked at its column and row.
fn records(c: &CampaignColumns) -> Result<Vec<Campaign>> {
    let n = c.id.codes.len();
    let sparse_len = |s: &Option<SparseAmounts>| s.map_or(n, |s| s.amounts.len());
    let lengths = [
        ("id", c.id.codes.len()),
        ("channel", c.channel.codes.len()),
        ("cost", c.cost.len()),
        ("won_revenue", c.won_revenue.as_ref().map_or(n, AmountColumn::len)),
        ("budget", sparse_len(&c.budget)),
        ("budget", c.budget.and_then(|b| b.missing).map_or(n, <[bool]>::len)),
        ("expected_revenue", sparse_len(&c.expected_revenue)),
        ("expected_revenue", c.expected_revenue.and_then(|b| b.missing).map_or(n, <[bool]>::len)),
        ("start_on", c.start_on.map_or(n, <[i64]>::len)),
        ("end_on", c.end_on.map_or(n, <[i64]>::len)),
        ("leads", c.leads.map_or(n, <[i64]>::len)),
        ("customers", c.customers.map_or(n, <[i64]>::len)),
        ("opportunities", c.opportunities.map_or(n, <[i64]>::len)),
        ("won", c.won.map_or(n, <[i64]>::len)),
        ("new_customers", c.new_customers.map_or(n, <[i64]>::len)),
    ];
    if let Some((name, len)) = lengths.iter().find(|(_, len)| *len != n) {
        return Err(Error::InvalidValue { path: (*name).into(), reason: format!("{len} rows, the id column has {n}") });
    }
    let cost = decimals(&c.cost, "cost")?;
    let won_revenue = c.won_revenue.map(|w| decimals(&w, "won_revenue")).transpose()?;
    let budget = c.budget.map(|b| sparse(&b, "budget")).transpose()?;
    let expected = c.expected_revenue.map(|e| sparse(&e, "expected_revenue")).transpose()?;
    let mut first = vec![usize::MAX; c.id.labels.len()];
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let id = label(c.id, i, "id")?;
        let code = c.id.codes[i] as usize; // a label: not negative
        if first[code] != usize::MAX {
            return Err(Error::DuplicateName {
                path: format!("id[{i}]"),
                name: id.to_owned(),
                first: format!("id[{}]", first[code]),
            });
        }
        first[code] = i;
        let day = |column: Option<&[i64]>, name: &str| {
            column.map(|d| d[i]).filter(|&d| d != i64::MIN).map(|d| date(d, || format!("{name}[{i}]"))).transpose()
        };
        let count = |column: Option<&[i64]>, name: &str| -> Result<Option<u64>> {
            match column.map(|v| v[i]) {
                None => Ok(None),
                Some(v) => u64::try_from(v).map(Some).map_err(|_| Error::InvalidValue {
                    path: format!("{name}[{i}]"),
                    reason: format!("{v} is not a count (counts are not negative)"),
                }),
            }
        };
        let new_customers = match c.new_customers.map(|v| v[i]) {
            Some(i64::MIN) | None => None,
            Some(_) => count(c.new_customers, "new_customers")?,
        };
        out.push(Campaign {
            id: id.to_owned(),
            name: None,
            channel: label(c.channel, i, "channel")?.to_owned(),
            owner: None,
            budget: budget.as_ref().and_then(|b| b[i]),
            cost: cost[i],
            expected_revenue: expected.as_ref().and_then(|e| e[i]),
            won_revenue: won_revenue.as_ref().map_or(Decimal::ZERO, |w| w[i]),
            start_on: day(c.start_on, "start_on")?,
            end_on: day(c.end_on, "end_on")?,
            leads: count(c.leads, "leads")?.unwrap_or(0),
            customers: count(c.customers, "customers")?.unwrap_or(0),
            opportunities: count(c.opportunities, "opportunities")?.unwrap_or(0),
            won: count(c.won, "won")?.unwrap_or(0),
            new_customers,
        });
    }
    Ok(out)
}

/// Row `i`'s label of a key column.
fn label<'a>(key: KeyColumn<'a>, i: usize, name: &str) -> Result<&'a str> {
    let code = key.codes[i];
    if code == -1 {
        return Err(Error::MissingValue {
            path: format!("{name}[{i}]"),
            reason: format!("every campaign needs its {name}"),
        });
    }
    usize::try_from(code).ok().and_then(|k| key.labels.get(k)).map(String::as_str).ok_or_else(|| Error::InvalidValue {
        path: format!("{name}[{i}]"),
        reason: format!("code {code} has no label ({} labels)", key.labels.len()),
    })
}

/// A sparse column's amounts, `None` where missing (their values are not read).
fn sparse(s: &SparseAmounts, name: &str) -> Result<Vec<Option<Decimal>>> {
    let Some(missing) = s.missing else {
        return Ok(decimals(&s.amounts, name)?.into_iter().map(Some).collect());
    };
    // Missing rows' values may be anything (NaN, a placeholder): read the others only.
    let mut out = Vec::with_capacity(missing.len());
    for (i, &m) in missing.iter().enumerate() {
        out.push(if m { None } else { Some(one(&s.amounts, i, name)?) });
    }
    Ok(out)
}

/// Row `i` of an amount column, read as [`decimals`] reads every row.
fn one(amounts: &AmountColumn, i: usize, name: &str) -> Result<Decimal> {
    let row = match *amounts {
        AmountColumn::Decimal(d) => AmountColumn::Decimal(&d[i..=i]),
        AmountColumn::Units { units, scale } => AmountColumn::Units { units: &units[i..=i], scale },
        AmountColumn::Float { values, scale } => AmountColumn::Float { values: &values[i..=i], scale },
        AmountColumn::WholeFloats { values, scale } => AmountColumn::WholeFloats { values: &values[i..=i], scale },
    };
    decimals(&row, name).map(|d| d[0]).map_err(|e| e.relocated(|_| Some(format!("{name}[{i}]"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns<'a>(ids: &'a [String], channels: &'a [String], cost: &'a [i64]) -> CampaignColumns<'a> {
        CampaignColumns {
            id: KeyColumn { codes: &[0, 1], labels: ids },
            channel: KeyColumn { codes: &[0, 1], labels: channels },
            cost: AmountColumn::Units { units: cost, scale: 0 },
            won_revenue: None,
            budget: None,
            expected_revenue: None,
            start_on: None,
            end_on: None,
            leads: None,
            customers: None,
            opportunities: None,
            won: None,
            new_customers: None,
        }
    }

    #[test]
    fn errors_name_the_column_and_row() {
        let ids = ["a".to_string(), "b".to_string()];
        let channels = ["search".to_string(), "nope".to_string()];
        let ok = ["search".to_string(), "tv".to_string()];
        let p = RoiPolicy::default();
        let run =
            |c: &CampaignColumns| campaign_roi_columns(&p, c).map(|_| ()).map_err(|e| (e.code(), e.path().to_owned()));
        assert_eq!(run(&columns(&ids, &channels, &[1, 2])), Err(("unknown_channel", "channel[1]".into())));
        assert_eq!(run(&columns(&ids, &ok, &[1, -2])), Err(("negative_amount", "cost[1]".into())));
        let mut c = columns(&ids, &ok, &[1, 2]);
        c.id = KeyColumn { codes: &[0, 0], labels: &ids };
        assert_eq!(run(&c), Err(("duplicate_name", "id[1]".into())));
        let mut c = columns(&ids, &ok, &[1, 2]);
        c.leads = Some(&[1, -1]);
        assert_eq!(run(&c), Err(("invalid_value", "leads[1]".into())));
        let mut c = columns(&ids, &ok, &[1, 2]);
        c.start_on = Some(&[20_500, 20_500]);
        c.end_on = Some(&[20_500, 20_499]);
        assert_eq!(run(&c), Err(("out_of_range", "end_on[1]".into())));
        let mut c = columns(&ids, &ok, &[1, 2]);
        let nan = [f64::NAN, 5.0];
        c.budget = Some(SparseAmounts {
            amounts: AmountColumn::Float { values: &nan, scale: 2 },
            missing: Some(&[true, false]),
        });
        let report = campaign_roi_columns(&p, &c).unwrap();
        assert_eq!(
            (report.campaigns[0].budget, report.campaigns[1].budget.map(|b| b.to_string())),
            (None, Some("5.00".into()))
        );
        c.budget = Some(SparseAmounts { amounts: AmountColumn::Float { values: &nan, scale: 2 }, missing: None });
        assert_eq!(run(&c), Err(("invalid_type", "budget[0]".into())));
    }

    #[test]
    fn whole_float_amounts_are_the_integer_units_they_hold() {
        let ids = ["a".to_string(), "b".to_string()];
        let channels = ["search".to_string(), "tv".to_string()];
        let p = RoiPolicy::default();
        let want = campaign_roi_columns(&p, &columns(&ids, &channels, &[1_000, 2_000])).unwrap();
        let mut c = columns(&ids, &channels, &[0, 0]);
        c.cost = AmountColumn::WholeFloats { values: &[1_000.0, 2_000.0], scale: 0 };
        assert_eq!(campaign_roi_columns(&p, &c).unwrap(), want);
        for (bad, code) in [
            (2_000.5, "invalid_decimal"),
            (9_007_199_254_740_992.0, "invalid_decimal"),
            (f64::INFINITY, "invalid_type"),
        ] {
            let values = [1_000.0, bad];
            let mut c = columns(&ids, &channels, &[0, 0]);
            c.cost = AmountColumn::WholeFloats { values: &values, scale: 0 };
            let e = campaign_roi_columns(&p, &c).unwrap_err();
            assert_eq!((e.code(), e.path()), (code, "cost[1]"), "{bad}");
        }
    }
}
