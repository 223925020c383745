//! Quota attainment, gap and pipeline coverage per group and period: a second pass over the
//! forecast's deal lines, so the columnar loop stays exactly as fast as without quotas.
//!
//! For each (key, period): `attainment = won ÷ quota`, `gap = quota − won` (below 0 once the
//! quota is beaten), `coverage = open pipeline ÷ gap` and `weighted_coverage = weighted open
//! pipeline ÷ gap`, the open pipeline being the deals the forecast places in that period.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::book::{self, Exact};
use super::calendar::{month_label, PeriodId, PeriodKind, Periods};
use super::policy::{ForecastPolicy, StageKind};
use super::{Deal, Sums};
use crate::error::{Error, Result};
use crate::money::{self, Rounding, RoundingStrategy};

/// How quotas are read: the key they are set by and the length of their periods.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct QuotaPolicy {
    /// Deal fields quotas are set by: `owner`, `team`, `product` or any attribute; empty: one
    /// company quota per period.
    #[serde(default)]
    pub group_by: Vec<String>,
    /// Month, quarter (default) or year of the forecast policy's fiscal year.
    #[serde(default)]
    pub period: PeriodKind,
    /// The groups that exist (a team's roster). When given, a quota for any other key is an
    /// error, and every listed group gets a line in every quota period, deals or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Record<string, string>[]"))]
    pub groups: Option<Vec<BTreeMap<String, String>>>,
    /// Decimal places of attainment and coverage (default 4, half-even).
    #[serde(default = "QuotaPolicy::rate_places")]
    pub rate_dp: u32,
}

impl QuotaPolicy {
    fn rate_places() -> u32 {
        4
    }
}

/// The quota of one key in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// A value for each of the policy's `group_by` fields.
    #[cfg_attr(feature = "typescript", tsify(type = "Record<string, string>"))]
    pub key: BTreeMap<String, String>,
    /// The period's label, as the forecast report writes it: `2026-11`, `2026-Q4`,
    /// `FY2027-Q3`, `FY2027`.
    pub period: String,
    /// The quota, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
}

/// A deal won outside the forecast's deal list (from the books, another system...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct WonDeal {
    /// Unique id, also among the deals.
    pub id: String,
    /// Amount won, ≥ 0.
    #[serde(with = "crate::wire::decimal")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
    pub amount: Decimal,
    /// When it was won, ≤ `as_of`.
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub closed_on: NaiveDate,
    /// Owning salesperson.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub owner: Option<String>,
    /// Team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub team: Option<String>,
    /// Product line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub product: Option<String>,
    /// Any other field quotas are set by.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional, type = "Record<string, string>"))]
    pub attributes: BTreeMap<String, String>,
}

impl WonDeal {
    /// The value of the field `key` (`id`, `owner`, `team`, `product` or an attribute), as
    /// a quota's `group_by` reads it; `None` when the deal has none.
    #[must_use]
    pub fn field(&self, key: &str) -> Option<&str> {
        match key {
            "id" => Some(&self.id),
            other => super::group_field(other, [&self.owner, &self.team, &self.product], &self.attributes),
        }
    }
}

/// The deals and quotas of [`quota_attainment`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(deny_unknown_fields)]
pub struct QuotaInput {
    /// The pipeline, as [`forecast`](super::forecast) takes it; its won deals count with their
    /// `expected_close_on` as the close date.
    pub deals: Vec<Deal>,
    /// Quotas per key and period.
    pub quotas: Vec<Quota>,
    /// Won deals given apart from `deals` (default none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub won: Vec<WonDeal>,
}

/// What [`quota_attainment`] returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct QuotaReport {
    /// The caller's "now".
    #[serde(with = "crate::wire::date")]
    #[cfg_attr(feature = "typescript", tsify(type = "IsoDate"))]
    pub as_of: NaiveDate,
    /// The kind of the periods.
    pub period: PeriodKind,
    /// One line per key and period that has a quota, won deals or placed pipeline (and per
    /// listed group and quota period), sorted by key, then period.
    pub lines: Vec<QuotaLine>,
    /// One line per period over all keys (key `{}`): the quotas summed, all won deals and all
    /// placed pipeline.
    pub totals: Vec<QuotaLine>,
    /// Open deals in no period (overdue excluded, undated unscheduled): in no coverage.
    pub unscheduled: Sums,
}

/// One key in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct QuotaLine {
    /// The `group_by` values (`null`: deals without the field), one map shared by the key's
    /// lines (a map per line was half of a 4,500-line report's time).
    #[serde(serialize_with = "shared_map")]
    #[cfg_attr(feature = "typescript", tsify(type = "Record<string, string | null>"))]
    pub key: Arc<BTreeMap<String, Option<String>>>,
    /// The period's label (one string shared by the period's lines, as the key's map is).
    #[serde(serialize_with = "shared_str")]
    #[cfg_attr(feature = "typescript", tsify(type = "string"))]
    pub period: Arc<str>,
    /// Its first calendar month, `YYYY-MM`.
    #[serde(serialize_with = "shared_str")]
    #[cfg_attr(feature = "typescript", tsify(type = "string"))]
    pub first_month: Arc<str>,
    /// Its last calendar month.
    #[serde(serialize_with = "shared_str")]
    #[cfg_attr(feature = "typescript", tsify(type = "string"))]
    pub last_month: Arc<str>,
    /// The quota (`null`: none set).
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub quota: Option<Decimal>,
    /// Deals won in the period (weighted = amount).
    pub won: Sums,
    /// Open deals the forecast places in the period.
    pub open: Sums,
    /// `won ÷ quota` (`null`: no quota, or a quota of 0).
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub attainment: Option<Decimal>,
    /// `quota − won`, below 0 once beaten (`null`: no quota).
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub gap: Option<Decimal>,
    /// `open.amount ÷ gap` (`null`: no quota, or nothing left to cover).
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub coverage: Option<Decimal>,
    /// `open.weighted ÷ gap`.
    #[serde(with = "crate::wire::decimal_opt")]
    #[cfg_attr(feature = "typescript", tsify(type = "Decimal | null"))]
    pub weighted_coverage: Option<Decimal>,
    /// Why: `quota_set`, `no_quota`, `quota_met`, `zero_quota` (one of a few fixed lists:
    /// no list allocated per line).
    #[cfg_attr(feature = "typescript", tsify(type = "QuotaReason[]"))]
    pub reasons: &'static [QuotaReason],
}

/// A shared key written as its map.
fn shared_map<S: serde::Serializer>(key: &Arc<BTreeMap<String, Option<String>>>, s: S) -> Result<S::Ok, S::Error> {
    key.as_ref().serialize(s)
}

/// A shared label written as its text.
fn shared_str<S: serde::Serializer>(label: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(label)
}

/// Why a quota line says what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum QuotaReason {
    /// A quota is set: attainment, gap and coverage follow from it.
    QuotaSet,
    /// No quota for this key and period: only won and open figures.
    NoQuota,
    /// Won ≥ quota: nothing left to cover, coverage `null`.
    QuotaMet,
    /// The quota is 0: attainment `null`.
    ZeroQuota,
}

impl QuotaReason {
    /// The reason's code, as the wire writes it (`quota_set`...).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::QuotaSet => "quota_set",
            Self::NoQuota => "no_quota",
            Self::QuotaMet => "quota_met",
            Self::ZeroQuota => "zero_quota",
        }
    }
}

pub(super) type Key = Vec<Option<String>>;

/// Attainment, gap and pipeline coverage per `quota.group_by` key and period.
///
/// # Errors
///
/// Those of [`forecast`](super::forecast) for `input.deals` (paths `deals[i]...`); for a won
/// deal of `deals`, `missing_value` or `date_after_as_of` at `deals[i].expected_close_on`;
/// for `won[i]`: `negative_amount` at `.amount`, `date_after_as_of` at `.closed_on`,
/// `duplicate_name` at `.id` (also against `deals`); for `quotas[i]`: `invalid_value` at
/// `.key` unless it gives exactly the `group_by` fields, `unknown_key` there for a key not in
/// the policy's `groups`, `invalid_value` at `.period` for a label that is not a period of
/// the policy's kind and fiscal year, `negative_amount` at `.amount`, `duplicate_name` at
/// `.period` for a second quota of one key and period; `duplicate_name` at `group_by[i]` and
/// `groups[i]`, `out_of_range` at `rate_dp`.
///
/// # Examples
///
/// ```
/// use crmkit::forecast::{quota_attainment, ForecastPolicy, QuotaInput, QuotaPolicy};
/// use crmkit::wire::from_json;
///
/// let policy: ForecastPolicy = from_json(r#"{"stages": [
///     {"name": "proposal", "conversion": "0.5", "duration": "20"}, {"name": "won", "kind": "won"}],
///     "duration_unit": "days", "placement": "remaining_full"}"#, "")?;
/// let quota: QuotaPolicy = from_json(r#"{"group_by": ["owner"], "period": "quarter"}"#, "")?;
/// let input: QuotaInput = from_json(r#"{
///   "deals": [{"id": "a", "stage": "won", "amount": "30000", "owner": "li", "expected_close_on": "2026-10-15"},
///             {"id": "b", "stage": "proposal", "amount": "80000", "owner": "li"}],
///   "quotas": [{"key": {"owner": "li"}, "period": "2026-Q4", "amount": "100000"}]}"#, "")?;
/// let r = quota_attainment(&policy, &quota, &input, chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap())?;
/// let li = &r.lines[0];
/// assert_eq!((li.attainment.unwrap().to_string(), li.gap.unwrap().to_string()), ("0.3000".into(), "70000.00".into()));
/// // 80,000 open for 70,000 to go; 40,000 of it weighted.
/// assert_eq!(li.coverage.unwrap().to_string(), "1.1429");
/// assert_eq!(li.weighted_coverage.unwrap().to_string(), "0.5714");
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn quota_attainment(
    policy: &ForecastPolicy,
    quota: &QuotaPolicy,
    input: &QuotaInput,
    as_of: NaiveDate,
) -> Result<QuotaReport> {
    let setup = Setup::new(policy, quota)?;
    let (_, rows) = book::place(policy, &input.deals, as_of, setup.periods, &quota.group_by)?;
    let mut cells = Cells::default();
    for (i, row) in rows.iter().enumerate() {
        let path = || format!("deals[{i}].amount");
        match (row.kind, row.period) {
            (StageKind::Won, Some(p)) => {
                let id = cells.id(&row.key);
                cells.cell(id, p).won.add(1, row.amount, &path)?;
            }
            (StageKind::Open, Some(p)) => {
                let id = cells.id(&row.key);
                cells.cell(id, p).open.add(row.amount, row.weighted, &path)?;
            }
            (StageKind::Open, None) => cells.unscheduled.add(row.amount, row.weighted, &path)?,
            _ => {}
        }
    }
    let ids = input.deals.iter().enumerate().map(|(i, d)| (d.id.as_str(), format!("deals[{i}].id"))).collect();
    setup.finish(policy.rounding, cells, (&input.won, &input.quotas), ids, as_of)
}

/// The quota's validated settings, read before any deal.
pub(super) struct Setup<'q> {
    quota: &'q QuotaPolicy,
    pub periods: Periods,
    roster: Option<BTreeSet<Key>>,
}

/// Per (key, period), the won and placed sums and the quota; open deals in no period. Each
/// distinct key is stored once and known by its id (the order of first sight); the report
/// sorts the ids by key once, not every cell by its key's text.
#[derive(Default)]
pub(super) struct Cells {
    /// The keys, by id.
    keys: Vec<Key>,
    ids: HashMap<Key, usize>,
    /// Per key id, its cells in period order.
    by_key: Vec<PeriodMap<Cell>>,
    pub unscheduled: Exact,
}

impl Cells {
    /// No cells, with room for `keys` keys.
    pub fn with_capacity(keys: usize) -> Self {
        Self {
            keys: Vec::with_capacity(keys),
            ids: HashMap::with_capacity(keys),
            by_key: Vec::with_capacity(keys),
            unscheduled: Exact::default(),
        }
    }

    /// The id of `key` (a new one on first sight), the key moved in.
    pub fn id_owned(&mut self, key: Key) -> usize {
        // One hash of the key, whether it is known or not.
        match self.ids.entry(key) {
            Entry::Occupied(known) => *known.get(),
            Entry::Vacant(new) => {
                let id = self.keys.len();
                self.keys.push(new.key().clone());
                self.by_key.push(PeriodMap::default());
                new.insert(id);
                id
            }
        }
    }

    /// A new id for `key` (not known yet), with no cells.
    fn insert(&mut self, key: Key) -> usize {
        let id = self.keys.len();
        self.ids.insert(key.clone(), id);
        self.keys.push(key);
        self.by_key.push(PeriodMap::default());
        id
    }

    /// Adds `cells` (in period order, one per period, without quotas) to key `id`'s: taken
    /// as they are when it has none yet (a key of one group), else added cell by cell (an
    /// open or won part without deals is none: not added).
    pub fn put(&mut self, id: usize, cells: Vec<(PeriodId, Cell)>) -> Result<()> {
        if self.by_key[id].len() == 0 {
            self.by_key[id] = PeriodMap::Sorted(cells);
            return Ok(());
        }
        for (p, cell) in cells {
            let mine = self.cell(id, p);
            if cell.open.deals > 0 {
                mine.open.merge(&cell.open, &|| "totals".into())?;
            }
            if cell.won.deals > 0 {
                mine.won.add(cell.won.deals, cell.won.amount, &|| "totals".into())?;
            }
        }
        Ok(())
    }

    /// The id of `key` (a new one on first sight).
    pub fn id(&mut self, key: &Key) -> usize {
        match self.ids.get(key) {
            Some(&id) => id,
            None => self.insert(key.clone()),
        }
    }

    /// The cell of key `id` in period `p` (an empty one on first use).
    pub fn cell(&mut self, id: usize, p: PeriodId) -> &mut Cell {
        self.by_key[id].entry(p, Cell::default)
    }
}

/// Values by period, in period order. A book has a few periods, mostly visited in
/// increasing order: a sorted `Vec` then, the last entry tried first and a new last one
/// appended. A period that lands before others once there are [`PeriodMap::FEW`] turns it
/// into a B-tree, so that many periods in any order (10^5 months visited backwards) cost
/// a logarithm each, not a shift of the `Vec`.
pub(super) enum PeriodMap<V> {
    Sorted(Vec<(PeriodId, V)>),
    Tree(BTreeMap<PeriodId, V>),
}

impl<V> Default for PeriodMap<V> {
    fn default() -> Self {
        Self::Sorted(Vec::new())
    }
}

impl<V> PeriodMap<V> {
    /// Periods a sorted `Vec` may hold before an insertion in its middle makes it a tree.
    const FEW: usize = 32;

    /// The value of `p` (`new()` on first use).
    pub fn entry(&mut self, p: PeriodId, new: impl FnOnce() -> V) -> &mut V {
        if let Self::Sorted(v) = self {
            let inside = v.len() >= Self::FEW && v.last().is_some_and(|(last, _)| *last > p);
            if inside && v.binary_search_by_key(&p, |e| e.0).is_err() {
                *self = Self::Tree(std::mem::take(v).into_iter().collect());
            }
        }
        match self {
            Self::Sorted(v) => {
                // Where `p` is when the periods run without gaps (a key's quarters): tried first.
                let guess = v.first().and_then(|(first, _)| usize::try_from(p.wrapping_sub(*first)).ok());
                let at = match v.last() {
                    Some((last, _)) if *last == p => v.len() - 1,
                    _ if guess.is_some_and(|g| v.get(g).is_some_and(|e| e.0 == p)) => guess.unwrap_or_default(),
                    Some((last, _)) if *last > p => match v.binary_search_by_key(&p, |e| e.0) {
                        Ok(at) => at,
                        Err(at) => {
                            v.insert(at, (p, new()));
                            at
                        }
                    },
                    _ => {
                        v.push((p, new()));
                        v.len() - 1
                    }
                };
                &mut v[at].1
            }
            Self::Tree(t) => t.entry(p).or_insert_with(new),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Self::Sorted(v) => v.len(),
            Self::Tree(t) => t.len(),
        }
    }

    /// The periods and their values, in period order.
    pub fn iter(&self) -> impl Iterator<Item = (PeriodId, &V)> {
        let (sorted, tree) = match self {
            Self::Sorted(v) => (Some(v.iter().map(|(p, v)| (*p, v))), None),
            Self::Tree(t) => (None, Some(t.iter().map(|(p, v)| (*p, v)))),
        };
        sorted.into_iter().flatten().chain(tree.into_iter().flatten())
    }
}

/// The period of each quota label read so far: a book's quotas repeat a few labels (a
/// search among them), and past [`Labels::FEW`] distinct ones a hash map.
#[derive(Default)]
struct Labels<'a> {
    few: Vec<(&'a str, PeriodId)>,
    /// Where in `few` the next label is looked for first.
    next: usize,
    many: HashMap<&'a str, PeriodId>,
}

impl<'a> Labels<'a> {
    const FEW: usize = 32;

    /// The period of `label`, if read before. Quotas that come key by key give the labels
    /// in one order for each key: the label after the last one found is tried first.
    fn get(&mut self, label: &str) -> Option<PeriodId> {
        if !self.many.is_empty() {
            return self.many.get(label).copied();
        }
        let next = self.few.get(self.next).filter(|(l, _)| *l == label).map(|_| self.next);
        let at = next.or_else(|| self.few.iter().position(|(l, _)| *l == label))?;
        self.next = at + 1;
        Some(self.few[at].1)
    }

    fn insert(&mut self, label: &'a str, p: PeriodId) {
        if self.few.len() < Self::FEW {
            self.next = self.few.len() + 1;
            self.few.push((label, p));
        } else {
            self.many.extend(self.few.drain(..));
            self.many.insert(label, p);
        }
    }
}

impl<'q> Setup<'q> {
    /// `out_of_range` at `rate_dp`, `duplicate_name` at `group_by[i]`, the fiscal year's
    /// errors, the roster's (`groups[i]`).
    pub fn new(policy: &ForecastPolicy, quota: &'q QuotaPolicy) -> Result<Self> {
        if quota.rate_dp > Rounding::MAX_DP {
            return Err(Error::out_of_range("rate_dp", quota.rate_dp, 0, Rounding::MAX_DP));
        }
        unique(quota.group_by.iter(), "group_by")?;
        policy.fiscal_year.validate("fiscal_year")?;
        let periods = Periods { fiscal_year: policy.fiscal_year, kind: quota.period };
        let roster = quota.groups.as_ref().map(|g| roster(g, &quota.group_by)).transpose()?;
        Ok(Self { quota, periods, roster })
    }

    /// The report from the deals' `cells`: adds the won deals given apart (`ids`: the deals'
    /// ids so far, each with its path) and the quotas, then one line per key and period and
    /// the totals. The one place both entry points (records and columns) compute a quota.
    pub fn finish<'a>(
        &self,
        rounding: Rounding,
        cells: Cells,
        (won, quotas): (&'a [WonDeal], &[Quota]),
        mut ids: HashMap<&'a str, String>,
        as_of: NaiveDate,
    ) -> Result<QuotaReport> {
        let (quota, periods) = (self.quota, self.periods);
        let mut cells = cells;
        for (i, w) in won.iter().enumerate() {
            if let Some(first) = ids.insert(w.id.as_str(), format!("won[{i}].id")) {
                return Err(Error::DuplicateName { path: format!("won[{i}].id"), name: w.id.clone(), first });
            }
            if w.amount.is_sign_negative() && !w.amount.is_zero() {
                return Err(Error::NegativeAmount { path: format!("won[{i}].amount"), value: w.amount.to_string() });
            }
            let on = book::won_on(Some(w.closed_on), as_of, &|| format!("won[{i}].closed_on"))?;
            let key: Key = quota.group_by.iter().map(|k| w.field(k).map(str::to_owned)).collect();
            let id = cells.id(&key);
            cells.cell(id, periods.of_day(on)).won.add(1, w.amount, &|| format!("won[{i}].amount"))?;
        }
        // The periods with a quota: each listed group gets a line in them.
        let mut quota_periods = BTreeSet::new();
        // A book's quotas repeat a few period labels, and often come key by key: each label
        // is read once, and a quota of the previous quota's key reuses its checked id.
        let mut labels = Labels::default();
        let mut previous: Option<(&BTreeMap<String, String>, usize)> = None;
        for (i, q) in quotas.iter().enumerate() {
            let at = |field: &str| format!("quotas[{i}].{field}");
            let id = match previous {
                Some((key, id)) if same_key(key, &q.key) => id,
                _ => {
                    let key = quota_key(&q.key, &quota.group_by, &|| at("key"))?;
                    if self.roster.as_ref().is_some_and(|r| !r.contains(&key)) {
                        return Err(Error::UnknownKey { path: at("key"), name: describe(&q.key) });
                    }
                    cells.id(&key)
                }
            };
            previous = Some((&q.key, id));
            let period = if let Some(p) = labels.get(&q.period) {
                p
            } else {
                let p = periods.parse(&q.period, &at("period"))?;
                labels.insert(&q.period, p);
                p
            };
            if q.amount.is_sign_negative() && !q.amount.is_zero() {
                return Err(Error::NegativeAmount { path: at("amount"), value: q.amount.to_string() });
            }
            let cell = cells.cell(id, period);
            if let Some((first, _)) = cell.quota {
                return Err(Error::DuplicateName {
                    path: at("period"),
                    name: format!("{} {}", describe(&q.key), q.period),
                    first: format!("quotas[{first}].period"),
                });
            }
            cell.quota = Some((i, q.amount));
            if self.roster.is_some() {
                quota_periods.insert(period);
            }
        }
        for key in self.roster.iter().flatten() {
            let id = cells.id(key);
            for &p in &quota_periods {
                cells.cell(id, p);
            }
        }
        let rates = Rounding { dp: quota.rate_dp, strategy: RoundingStrategy::HalfEven };
        let Cells { mut keys, by_key, unscheduled, .. } = cells;
        // Lines by key, then period: the ids sorted by their keys once.
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_unstable_by(|&a, &b| keys[a].cmp(&keys[b]));
        // Per period, in order: its labels and its cells over the keys (in key order).
        let mut by_period = ByPeriod { periods, known: PeriodMap::default() };
        let mut lines = Vec::with_capacity(by_key.iter().map(PeriodMap::len).sum());
        for id in order {
            // The key's values moved into its map (the ids are sorted: no key is read again).
            let mut named = BTreeMap::new();
            for (field, value) in quota.group_by.iter().zip(std::mem::take(&mut keys[id])) {
                named.insert(field.clone(), value);
            }
            let named = Arc::new(named);
            for (p, cell) in by_key[id].iter() {
                let (labels, cells) = by_period.of(p);
                cells.push(cell);
                cell.push_line(&mut lines, &named, labels, rounding, rates)?;
            }
        }
        let everyone = Arc::new(BTreeMap::new());
        let mut totals = Vec::with_capacity(by_period.known.len());
        for (_, (labels, cells)) in by_period.known.iter() {
            Cell::total(cells)?.push_line(&mut totals, &everyone, labels, rounding, rates)?;
        }
        Ok(QuotaReport { as_of, period: quota.period, lines, totals, unscheduled: unscheduled.sums(rounding) })
    }
}

/// A period's label, first and last month (written once per period and shared by its
/// lines), and its keys' cells, which its totals sum; the periods in order.
struct ByPeriod<'c> {
    periods: Periods,
    known: PeriodMap<([Arc<str>; 3], Vec<&'c Cell>)>,
}

impl<'c> ByPeriod<'c> {
    /// The labels and cells of `p`.
    fn of(&mut self, p: PeriodId) -> (&[Arc<str>; 3], &mut Vec<&'c Cell>) {
        let periods = self.periods;
        let (labels, cells) = self.known.entry(p, || {
            let (first, last) = periods.months(p);
            ([periods.label(p), month_label(first), month_label(last)].map(Arc::from), Vec::new())
        });
        (labels, cells)
    }
}

/// `Decimal::ZERO + x₁ + x₂ + …`, one `Decimal` addition after another, as the terms come
/// (`None` when one overflows). Fast where a report's figures allow it: when every term is
/// non-negative and of one scale (amounts in cents summed in cents), their mantissas added
/// as one integer give that very sum while it fits a `Decimal`'s 96 bits (no partial sum
/// exceeds the last, so none was rounded; a zero term, which a `Decimal` addition returns
/// the other operand for, has that scale too). Else the additions one by one.
pub(super) fn decimal_sum<I: Iterator<Item = Decimal> + Clone>(mut terms: I) -> Option<Decimal> {
    let mut scale = None;
    let mut units: i128 = 0;
    let fast = terms.clone().try_for_each(|x| {
        let same = *scale.get_or_insert(x.scale()) == x.scale();
        units = units.checked_add(x.mantissa()).filter(|_| same && !x.is_sign_negative())?;
        Some(())
    });
    if let (Some(()), Some(scale)) = (fast, scale)
        && let Ok(sum) = Decimal::try_from_i128_with_scale(units, scale)
    {
        return Some(sum);
    }
    terms.try_fold(Decimal::ZERO, Decimal::checked_add)
}

#[derive(Default)]
pub(super) struct Cell {
    pub won: Won,
    pub open: Exact,
    /// The quota and the index of the first quota that set it.
    quota: Option<(usize, Decimal)>,
}

/// Won deals and their amount (a won deal's weighted amount is its amount: not summed twice).
#[derive(Default)]
pub(super) struct Won {
    pub deals: u64,
    pub amount: Decimal,
}

impl Won {
    pub fn add(&mut self, deals: u64, amount: Decimal, path: &dyn Fn() -> String) -> Result<()> {
        self.deals = self.deals.saturating_add(deals);
        self.amount = money::add(self.amount, amount, path)?;
        Ok(())
    }
}

impl Cell {
    /// A cell of deals, without a quota.
    pub fn of(won: Won, open: Exact) -> Self {
        Self { won, open, quota: None }
    }

    /// The totals of `cells` (a period's, in key order): their won and open deals and sums,
    /// and their quotas summed, if any has one.
    fn total(cells: &[&Cell]) -> Result<Cell> {
        let sum = |x: fn(&Cell) -> Decimal, path: &str| {
            decimal_sum(cells.iter().map(|c| x(c))).ok_or_else(|| Error::overflow(path))
        };
        let deals = |x: fn(&Cell) -> u64| cells.iter().fold(0u64, |d, c| d.saturating_add(x(c)));
        let quotas = cells.iter().filter_map(|c| c.quota);
        let quota = match quotas.clone().next_back() {
            Some((i, _)) => Some((i, decimal_sum(quotas.map(|q| q.1)).ok_or_else(|| Error::overflow("quotas"))?)),
            None => None,
        };
        Ok(Cell {
            won: Won { deals: deals(|c| c.won.deals), amount: sum(|c| c.won.amount, "won")? },
            open: Exact {
                deals: deals(|c| c.open.deals),
                amount: sum(|c| c.open.amount, "deals")?,
                weighted: sum(|c| c.open.weighted, "deals")?,
            },
            quota,
        })
    }

    /// Pushes the cell's line onto `out` (built where it lands: a line is 256 bytes).
    fn push_line(
        &self,
        out: &mut Vec<QuotaLine>,
        key: &Arc<BTreeMap<String, Option<String>>>,
        [period, first_month, last_month]: &[Arc<str>; 3],
        rounding: Rounding,
        rates: Rounding,
    ) -> Result<()> {
        use QuotaReason::{NoQuota, QuotaMet, QuotaSet, ZeroQuota};
        // A won deal's weighted amount is its amount: one rounding for both.
        let won = shown(self.won.amount, rounding);
        let (open_amount, open_weighted) = (shown(self.open.amount, rounding), shown(self.open.weighted, rounding));
        let (mut quota, mut gap, mut attainment, mut coverage, mut weighted_coverage) = (None, None, None, None, None);
        let mut reasons: &'static [QuotaReason] = &[NoQuota];
        if let Some((_, q)) = self.quota {
            quota = Some(shown(q, rounding));
            let left = difference(q, self.won.amount).ok_or_else(|| Error::overflow("quotas"))?;
            gap = Some(shown(left, rounding));
            if !q.is_zero() {
                attainment = Some(rate(self.won.amount, q, rates)?);
            }
            // `left <= 0` without a `Decimal` comparison (−0 is negative).
            let met = left.is_sign_negative() || left.is_zero();
            if !met {
                coverage = Some(rate(self.open.amount, left, rates)?);
                weighted_coverage = Some(rate(self.open.weighted, left, rates)?);
            }
            reasons = match (q.is_zero(), met) {
                (false, false) => &[QuotaSet],
                (false, true) => &[QuotaSet, QuotaMet],
                (true, false) => &[QuotaSet, ZeroQuota],
                (true, true) => &[QuotaSet, ZeroQuota, QuotaMet],
            };
        }
        out.push(QuotaLine {
            key: Arc::clone(key),
            period: Arc::clone(period),
            first_month: Arc::clone(first_month),
            last_month: Arc::clone(last_month),
            quota,
            won: super::Sums { deals: self.won.deals, amount: won, weighted: won },
            open: super::Sums { deals: self.open.deals, amount: open_amount, weighted: open_weighted },
            attainment,
            gap,
            coverage,
            weighted_coverage,
            reasons,
        });
        Ok(())
    }
}

/// `x` rounded by `rounding`, as [`Rounding::round`] gives it; in 64-bit integers where
/// `x`'s units allow (see [`Units`]).
fn shown(x: Decimal, rounding: Rounding) -> Decimal {
    Units::of(x).and_then(|u| u.shown(rounding)).unwrap_or_else(|| rounding.round(x))
}

/// `a − b`, as `Decimal::checked_sub` gives it (value and scale); in 64-bit integers where
/// the operands allow ([`Units::minus`]).
fn difference(a: Decimal, b: Decimal) -> Option<Decimal> {
    if let (Some(x), Some(y)) = (Units::of(a), Units::of(b))
        && let Some(d) = x.minus(y)
    {
        return Some(d);
    }
    a.checked_sub(b)
}

/// `a ÷ b` (b > 0) rounded half-even to `rates`' places: the `Decimal` quotient rounded,
/// or the same figure from one integer division where that is sure to agree with it (see
/// [`money::ratio_half_even`]); a ratio too large for a `Decimal` is an `overflow` error.
fn rate(a: Decimal, b: Decimal, rates: Rounding) -> Result<Decimal> {
    if let Some(r) = money::ratio_half_even(a, b, rates.dp) {
        return Ok(r);
    }
    Ok(rates.round(a.checked_div(b).ok_or_else(|| Error::overflow("quotas"))?))
}

/// A non-negative figure whose mantissa fits 64 bits (a report's cents, weighted cents and
/// whole units: nearly every figure of a quota line), as its mantissa and scale: a line's
/// figures are worked out from these in 64-bit integers, each giving the very `Decimal` (value,
/// scale and sign) its `Decimal` operation gives, which stays for any other figure.
#[derive(Clone, Copy)]
struct Units {
    m: u64,
    scale: u32,
}

impl Units {
    /// `x`'s, unless it is negative (or −0) or its mantissa passes 64 bits.
    fn of(x: Decimal) -> Option<Self> {
        if x.is_sign_negative() {
            return None;
        }
        u64::try_from(x.mantissa()).ok().map(|m| Self { m, scale: x.scale() })
    }

    /// The `Decimal` of the mantissa `m` at `scale` places, negative if asked (never 0).
    fn decimal(m: u64, scale: u32, negative: bool) -> Option<Decimal> {
        let m = i128::from(m);
        Decimal::try_from_i128_with_scale(if negative { -m } else { m }, scale).ok()
    }

    /// [`Rounding::round`] of the figure: padded with zeros, or rounded, to `rounding.dp`
    /// places (`None` past 64 bits).
    fn shown(self, rounding: Rounding) -> Option<Decimal> {
        let m = match rounding.dp.checked_sub(self.scale) {
            Some(pad) if pad > 0 => self.m.checked_mul(*money::POW10.get(pad as usize)?)?,
            _ => rounding.round_mantissa(self.m, self.scale)?,
        };
        Self::decimal(m, rounding.dp, false)
    }

    /// `self − b` as `Decimal::checked_sub` gives it: for two non-zero figures, their
    /// mantissas brought to the larger scale (within 64 bits) subtracted, when they differ
    /// (`Decimal`'s subtraction is exact there, at that scale); `self` as it is when `b` is 0
    /// and `self` is not. `None` for the rest (the `Decimal` subtraction).
    fn minus(self, b: Self) -> Option<Decimal> {
        if self.m == 0 {
            return None;
        }
        if b.m == 0 {
            return Self::decimal(self.m, self.scale, false);
        }
        let scale = self.scale.max(b.scale);
        let at = |u: Self| u.m.checked_mul(*money::POW10.get((scale - u.scale) as usize)?);
        let (x, y) = (at(self)?, at(b)?);
        match x.cmp(&y) {
            std::cmp::Ordering::Greater => Self::decimal(x - y, scale, false),
            std::cmp::Ordering::Less => Self::decimal(y - x, scale, true),
            std::cmp::Ordering::Equal => None,
        }
    }
}

/// A quota's key as the policy's `group_by` values, in order.
fn quota_key(key: &BTreeMap<String, String>, group_by: &[String], path: &dyn Fn() -> String) -> Result<Key> {
    if key.len() != group_by.len() || !group_by.iter().all(|g| key.contains_key(g)) {
        return Err(Error::InvalidValue {
            path: path(),
            reason: format!("a key gives exactly the group_by fields {group_by:?}"),
        });
    }
    Ok(group_by.iter().map(|g| key.get(g).cloned()).collect())
}

/// `a == b`; a key of one field (a quota by owner) compared without walking the maps.
fn same_key(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> bool {
    if a.len() == 1 && b.len() == 1 {
        return a.first_key_value() == b.first_key_value();
    }
    a == b
}

fn roster(groups: &[BTreeMap<String, String>], group_by: &[String]) -> Result<BTreeSet<Key>> {
    let mut seen = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        let key = quota_key(g, group_by, &|| format!("groups[{i}]"))?;
        if let Some(first) = seen.insert(key, i) {
            return Err(Error::DuplicateName {
                path: format!("groups[{i}]"),
                name: describe(g),
                first: format!("groups[{first}]"),
            });
        }
    }
    Ok(seen.into_keys().collect())
}

fn describe(key: &BTreeMap<String, String>) -> String {
    key.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// `duplicate_name` at `{path}[i]` for a name given twice.
pub(crate) fn unique<'a>(names: impl Iterator<Item = &'a String>, path: &str) -> Result<()> {
    let mut seen = HashMap::new();
    for (i, name) in names.enumerate() {
        if let Some(first) = seen.insert(name.as_str(), i) {
            return Err(Error::DuplicateName {
                path: format!("{path}[{i}]"),
                name: name.clone(),
                first: format!("{path}[{first}]"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::{decimal_sum, difference, shown, QuotaReason};
    use crate::money::{Rounding, RoundingStrategy};

    /// A seeded figure: mantissas small, mid-sized, near 2^64 and near 2^96, scales 0 to 28,
    /// zeros, -0 and negatives.
    fn figure(next: &mut impl FnMut() -> u64) -> Decimal {
        let r = next();
        let m = match r % 6 {
            0 => 0,
            1 => i128::from(next() % 1_000),
            2 => i128::from(next() % 10_000_000_000),
            3 => i128::from(next()),
            4 => (1_i128 << 95) + i128::from(next()),
            _ => (i128::from(next()) << 30) | i128::from(next() % (1 << 30)),
        };
        let scale = if (r >> 8).is_multiple_of(3) { ((r >> 12) % 29) as u32 } else { ((r >> 12) % 5) as u32 };
        let mut d = Decimal::from_i128_with_scale(m.min((1_i128 << 96) - 1), scale);
        d.set_sign_negative((r >> 20).is_multiple_of(11));
        d
    }

    /// `difference` against `Decimal::checked_sub`, bit for bit (value, scale and sign,
    /// `None` alike), on seeded pairs; `shown` against `Rounding::round` at every place count.
    #[test]
    fn difference_and_shown_are_the_decimal_operations() {
        let mut next = crate::money::xorshift(0x2545_f491_4f6c_dd1d);
        let mut fast = 0;
        for _ in 0..60_000 {
            let (a, b) = (figure(&mut next), figure(&mut next));
            let want = a.checked_sub(b);
            assert_eq!(difference(a, b).map(|d| d.serialize()), want.map(|d| d.serialize()), "{a} - {b}");
            // The integer way taken: both positive, neither zero.
            fast += usize::from(a.is_sign_positive() && b.is_sign_positive() && !a.is_zero() && !b.is_zero());
            let dp = (next() % 13) as u32;
            let rounding = Rounding { dp, strategy: RoundingStrategy::HalfEven };
            assert_eq!(shown(a, rounding).serialize(), rounding.round(a).serialize(), "{a} at {dp}");
        }
        assert!(fast > 20_000, "{fast}");
        // A quota in units less the won cents, and the zero operands returned as they are.
        let (q, w) = (Decimal::from(1_000_000), Decimal::new(35_000_050, 2));
        assert_eq!(difference(q, w).unwrap().to_string(), "649999.50");
        assert_eq!(difference(q, Decimal::new(0, 2)).unwrap().to_string(), "1000000");
        assert_eq!(difference(w, w).unwrap().serialize(), w.checked_sub(w).unwrap().serialize());
    }

    /// A quota line's figures in 64 bits (`Units`) against the `Decimal` operations, bit for
    /// bit (value, scale and sign; errors alike), on seeded cells: cents, weighted cents and
    /// whole units as a report has them, zero and missing quotas, quotas met exactly and beaten,
    /// won sums of 0 at any scale, and the edges (mantissas near 2^64 and 2^96, 28 places,
    /// negatives and −0), at every rounding and rate place count.
    #[test]
    fn a_line_in_64_bits_is_the_decimal_line() {
        use std::collections::BTreeMap;
        use std::sync::Arc;

        use super::{Cell, Exact, QuotaLine, Won};

        let mut next = crate::money::xorshift(0x6a09_e667_f3bc_c909);
        // Reference: every figure by the `Decimal` operations (`None`: an overflow error).
        let reference = |c: &Cell, rounding: Rounding, rates: Rounding| -> Option<[Option<Decimal>; 8]> {
            let rate = |a: Decimal, b: Decimal| a.checked_div(b).map(|r| rates.round(r));
            let (w, a, wt) = (c.won.amount, c.open.amount, c.open.weighted);
            let mut out = [
                Some(rounding.round(w)),
                Some(rounding.round(a)),
                Some(rounding.round(wt)),
                None,
                None,
                None,
                None,
                None,
            ];
            if let Some((_, q)) = c.quota {
                let left = q.checked_sub(w)?;
                out[3] = Some(rounding.round(q));
                out[4] = Some(rounding.round(left));
                if !q.is_zero() {
                    out[5] = Some(rate(w, q)?);
                }
                if left > Decimal::ZERO {
                    out[6] = Some(rate(a, left)?);
                    out[7] = Some(rate(wt, left)?);
                }
            }
            Some(out)
        };
        let shown = |l: &QuotaLine| {
            [
                Some(l.won.amount),
                Some(l.open.amount),
                Some(l.open.weighted),
                l.quota,
                l.gap,
                l.attainment,
                l.coverage,
                l.weighted_coverage,
            ]
        };
        let labels: [Arc<str>; 3] = ["2026-Q4", "2026-10", "2026-12"].map(Arc::from);
        let key = Arc::new(BTreeMap::new());
        let (mut lines, mut edges) = (0, 0);
        for case in 0..60_000 {
            let ordinary = case % 4 != 0;
            let fig = |next: &mut dyn FnMut() -> u64, scale: u32| {
                if ordinary {
                    let m = match next() % 5 {
                        0 => 0,
                        1 => next() % 1_000,
                        _ => next() % 100_000_000_000,
                    };
                    Decimal::from_i128_with_scale(i128::from(m), scale)
                } else {
                    figure(&mut || next())
                }
            };
            let (won, amount) = (fig(&mut next, 2), fig(&mut next, 2));
            let weighted = fig(&mut next, 2 + (case % 5) as u32);
            let quota = match next() % 6 {
                0 => None,
                1 => Some((0, won)),
                2 => Some((0, Decimal::ZERO)),
                _ => {
                    let scale = (next() % 3) as u32;
                    Some((0, fig(&mut next, scale)))
                }
            };
            let cell = Cell { won: Won { deals: 1, amount: won }, open: Exact { deals: 2, amount, weighted }, quota };
            let strategy = [RoundingStrategy::HalfEven, RoundingStrategy::HalfUp, RoundingStrategy::Down][case % 3];
            let rounding = Rounding { dp: (next() % 5) as u32, strategy };
            let rates = Rounding { dp: (next() % 9) as u32, strategy: RoundingStrategy::HalfEven };
            let mut out = Vec::new();
            let got = cell.push_line(&mut out, &key, &labels, rounding, rates).ok().map(|()| shown(&out[0]));
            let want = reference(&cell, rounding, rates);
            let bits = |f: Option<[Option<Decimal>; 8]>| f.map(|f| f.map(|x| x.map(|d| d.serialize())));
            assert_eq!(bits(got), bits(want), "{won} {amount} {weighted} {quota:?} at {rounding:?} {rates:?}");
            lines += usize::from(got.is_some());
            edges += usize::from(!ordinary);
        }
        assert!(lines > 50_000 && edges > 10_000, "{lines} {edges}");
    }

    #[test]
    fn a_reason_code_is_its_wire_name() {
        for reason in [QuotaReason::QuotaSet, QuotaReason::NoQuota, QuotaReason::QuotaMet, QuotaReason::ZeroQuota] {
            assert_eq!(serde_json::to_string(&reason).unwrap(), format!("\"{}\"", reason.code()));
        }
    }

    /// `decimal_sum` against the additions one by one, bit for bit (value, scale and sign),
    /// on seeded terms: one scale or several, zeros, negatives and -0, mantissas near 2^96
    /// (whose sums overflow: rounded by the additions, or an error at scale 0).
    #[test]
    fn decimal_sum_is_the_additions_one_by_one() {
        let mut next = crate::money::xorshift(0x9e37_79b9_7f4a_7c15);
        let (mut fast, mut slow) = (0, 0);
        for case in 0..30_000 {
            let count = (next() % 12) as usize;
            let terms: Vec<Decimal> = (0..count)
                .map(|_| {
                    let r = next();
                    let scale = if case % 3 == 0 { (r % 4) as u32 } else { 2 };
                    let m = match (r >> 8) % 8 {
                        0 => 0,
                        1 => (1_i128 << 95) + i128::from(next()),
                        2 => i128::from(next()) << 20,
                        _ => i128::from(next() % 10_000_000),
                    };
                    let mut d = Decimal::from_i128_with_scale(m, scale);
                    d.set_sign_negative((r >> 16).is_multiple_of(13));
                    d
                })
                .collect();
            let one_by_one = terms.iter().try_fold(Decimal::ZERO, |a, b| a.checked_add(*b));
            let summed = decimal_sum(terms.iter().copied());
            assert_eq!(summed.map(|d| d.serialize()), one_by_one.map(|d| d.serialize()), "{terms:?}");
            let same_scale = terms.windows(2).all(|w| w[0].scale() == w[1].scale());
            if same_scale && terms.iter().all(|t| !t.is_sign_negative()) && summed.is_some() {
                fast += 1;
            } else {
                slow += 1;
            }
        }
        // Both ways taken often.
        assert!(fast > 5_000 && slow > 5_000, "{fast} {slow}");
    }
}
