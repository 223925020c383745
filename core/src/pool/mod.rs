//! Public pool (公海池): which records go back to the pool, when, and why.
//!
//! A [`PoolPolicy`] holds pools chosen by scope (department, region, product line, level,
//! owner; first match by declared priority; a record no pool takes is an error, never
//! skipped). Each pool counts in its own IANA time zone, in calendar days, working days of a
//! [`HolidayCalendar`] given as data (China's 调休 make-up days included) or hours, and has
//! recycle rules: N units without an *effective* follow-up (a declared predicate over the
//! activity log), without a won deal, without a new opportunity, per customer level, with
//! exemptions and an advance warning.
//!
//! [`evaluate_pool`] gives one [`PoolDecision`] per record: keep, warn, recycle or exempt,
//! with `due_at`, `warn_at` and the reasons (stable codes and the numbers behind them). The
//! same inputs and `as_of` give the same decisions, whenever the job runs.
//!
//! `as_of` ([`AsOf`]) is an instant with its offset, or a date standing for the end of that
//! day in each pool's zone.
//!
//! ```
//! use crmkit::pool::{evaluate_pool, AsOf, PoolPolicy, PoolRecord, PoolActivity, PoolVerdict};
//! use crmkit::wire::from_json;
//!
//! let policy: PoolPolicy = from_json(r#"{
//!   "time_zone": "Asia/Shanghai",
//!   "pools": [{"id": "all", "scope": {"everyone": true}, "warn_before": 3,
//!              "rules": [{"id": "30d", "kind": "no_follow_up", "limit": 30}]}]
//! }"#, "")?;
//! let records: Vec<PoolRecord> = from_json(r#"[
//!   {"id": "c1", "owner": "wang", "claimed_at": "2026-10-01T10:00:00+08:00"},
//!   {"id": "c2", "owner": "li", "claimed_at": "2026-10-01T10:00:00+08:00"}
//! ]"#, "records")?;
//! let activities: Vec<PoolActivity> = from_json(r#"[
//!   {"record": "c2", "at": "2026-10-25T15:00:00+08:00", "type": "call", "actor": "li"}
//! ]"#, "activities")?;
//! let report = evaluate_pool(&policy, &records, &activities, AsOf::parse("2026-11-01")?)?;
//! // c1: 31 days since the claim, more than 30: back to the pool from 2026-11-01 00:00.
//! assert_eq!(report.decisions[0].decision, PoolVerdict::Recycle);
//! assert_eq!(report.decisions[0].due_at.as_ref().unwrap().0, "2026-11-01T00:00:00+08:00");
//! // c2: followed up on 10-25, due 11-25, warned from 11-22.
//! assert_eq!(report.decisions[1].decision, PoolVerdict::Keep);
//! assert_eq!(report.decisions[1].warn_at.as_ref().unwrap().0, "2026-11-22T00:00:00+08:00");
//! # Ok::<(), crmkit::Error>(())
//! ```

mod assign;
mod assign_columns;
mod calendar;
mod claim_check;
mod claim_columns;
mod claim_rows;
mod claims;
mod clock;
mod columns;
mod eval;
mod follow;
mod lint;
mod policy;
mod simulate;
mod simulate_columns;
pub mod time;

pub use assign::{
    AssignInput, AssignPolicy, AssignReason, AssignReasonCode, AssignRecord, AssignReport, Assignment, Rep, RepLoad,
    Route, RouteMatch, Strategy, Team,
};
pub use assign_columns::{AssignColumns, AssignState, AssignmentColumns, ASSIGN_CHOICES, MAX_ASSIGN_ROWS};
pub use calendar::{Day, HolidayCalendar};
pub use claim_columns::{
    ClaimColumns, ClaimDecisionColumns, HoldingColumns, LedgerColumns, PooledColumns, RequestColumns, CLAIM_REASONS,
};
pub use claims::{
    ClaimDecision, ClaimInput, ClaimReason, ClaimReasonCode, ClaimReport, ClaimRequest, Holding, LedgerEntry,
    LedgerEvent, PooledRecord,
};
pub use clock::RuleStatus;
pub use columns::{ActivityColumns, CodeColumn, DecisionColumns, MemberColumns, RecordColumns, NONE};
pub use eval::{
    PoolActivity, PoolCounts, PoolCountsLine, PoolDecision, PoolReason, PoolReasonCode, PoolRecord, PoolReport,
    PoolVerdict,
};
pub use lint::{LintCode, LintFinding, LintReport};
pub use policy::{
    ClaimCount, ClaimRules, DayBoundary, DayUnit, FollowUpActor, FollowUpRule, Pool, PoolExemptions, PoolPolicy,
    PoolScope, RecycleRule, RuleClock, RuleKind, MAX_LIMIT, MAX_POOLS,
};
pub use simulate::{SimulationLine, SimulationReport, SimulationTotal, MAX_SIMULATION_DAYS};
pub use time::{AsOf, Instant, ZonedInstant};

use chrono::NaiveDate;

use crate::error::Result;

/// Evaluates every record against the pool that governs it: one explained decision each.
///
/// # Errors
///
/// Policy errors as [`PoolPolicy::validate`]; for record `i`: `duplicate_name` at
/// `records[i].id`, `no_pool` at `records[i]` when no pool's scope takes it,
/// `date_after_as_of` at `records[i].claimed_at` (`.last_won_at`, `.last_opportunity_at`);
/// for activity `j`: `invalid_value` at `activities[j].record` for a record not given,
/// `date_after_as_of` at `activities[j].at` or `.logged_at`.
///
/// # Examples
///
/// See the [module documentation](self).
pub fn evaluate_pool(
    policy: &PoolPolicy,
    records: &[PoolRecord],
    activities: &[PoolActivity],
    as_of: AsOf,
) -> Result<PoolReport> {
    eval::evaluate(policy, records, activities, as_of)
}

/// Decides claims (领取) on pooled records, in the order they arrived: holdings limit
/// (optionally without won customers), daily claim limit counted from the ledger's `claim`
/// events in the pool's zone, cool-down after any earlier ownership of the record by the same
/// user, embargo on freshly pooled records. Each limit counts across all pools or in the pool
/// claimed from only, as the pool's [`ClaimRules`] declare (`*_counts`). Every failing check is
/// a reason; a refused claim changes nothing (no quota spent, no ledger entry).
///
/// # Errors
///
/// Policy errors as [`PoolPolicy::validate`]; `invalid_value` at `pooled[i].pool`,
/// `holdings[i].pool` or `ledger[j].pool` for a pool the policy lacks; `missing_value` at
/// `ledger[j].pool` or `holdings[i].pool` where a `this_pool` count needs the pool (or another
/// holdings line names one); `duplicate_name` at `pooled[i].id`, `holdings[i].user` or
/// `holdings[i].pool` (a user and pool given twice);
/// `out_of_range` at `holdings[i].owned` (negative) or `holdings[i].won` (outside 0 to
/// `owned`); `invalid_value` at `ledger[j].at` when the ledger is out of time order;
/// `date_after_as_of` at `ledger[j].at` or `pooled[i].pooled_at`.
///
/// # Examples
///
/// ```
/// use crmkit::pool::{check_claims, AsOf, ClaimInput, PoolPolicy};
/// use crmkit::wire::from_json;
///
/// let policy: PoolPolicy = from_json(r#"{"time_zone": "Asia/Shanghai", "pools": [{"id": "p",
///   "scope": {"everyone": true}, "rules": [{"id": "r", "kind": "no_follow_up", "limit": 30}],
///   "claims": {"daily_limit": 1}}]}"#, "")?;
/// let input: ClaimInput = from_json(r#"{
///   "pooled": [{"id": "c1", "pool": "p", "pooled_at": "2026-11-01T00:00:00+08:00"},
///              {"id": "c2", "pool": "p", "pooled_at": "2026-11-01T00:00:00+08:00"}],
///   "requests": [{"user": "wang", "record": "c1"}, {"user": "wang", "record": "c2"}]
/// }"#, "")?;
/// let report = check_claims(&policy, &input, AsOf::parse("2026-11-02T09:00:00+08:00")?)?;
/// assert!(report.decisions[0].accepted && !report.decisions[1].accepted);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn check_claims(policy: &PoolPolicy, input: &ClaimInput, as_of: AsOf) -> Result<ClaimReport> {
    claim_check::report(policy, input, as_of)
}

/// Assigns records (分配): each goes to the team of the first route that takes it (territory,
/// product line, level, source), then to a rep by the team's strategy (round robin from the
/// cursor passed in, weighted draws from the seed, least loaded), skipping inactive reps and
/// reps at capacity; or to the fallback queue. The cursors after the run are returned for the
/// next one. Same input, same assignments.
///
/// # Errors
///
/// `duplicate_name` for a team, a rep within a team, a record or a load entry given twice;
/// `out_of_range` for a weight outside 0 to 1000, a negative capacity or load;
/// `invalid_value` at `routes[i].team` for a team the policy lacks, at `routes[i].when.any`
/// beside lists, at `cursors.<team>` for an unknown team.
///
/// # Examples
///
/// ```
/// use crmkit::pool::{assign_records, AssignInput, AssignPolicy};
/// use crmkit::wire::from_json;
///
/// let policy: AssignPolicy = from_json(r#"{
///   "teams": [{"id": "t", "strategy": "round_robin", "reps": [{"id": "li"}, {"id": "wang"}]}],
///   "routes": [{"id": "all", "when": {"any": true}, "team": "t"}],
///   "fallback_queue": "queue"
/// }"#, "")?;
/// let input: AssignInput = from_json(r#"{"records": [{"id": "a"}, {"id": "b"}, {"id": "c"}], "cursors": {"t": 1}}"#, "")?;
/// let report = assign_records(&policy, &input)?;
/// let reps: Vec<_> = report.assignments.iter().map(|a| a.rep.as_deref().unwrap()).collect();
/// assert_eq!(reps, ["wang", "li", "wang"]);
/// assert_eq!(report.cursors["t"], 0); // the next run starts at li
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn assign_records(policy: &AssignPolicy, input: &AssignInput) -> Result<AssignReport> {
    assign::run(policy, input)
}

/// Lints a pool policy: settings that validate but probably do not do what was meant —
/// warnings reaching back to the clock start, limits of 0, pools with no members, overlapping
/// scopes without a priority to choose, pools and rules no record can reach, per-level rules
/// leaving other levels without any, calendars not used.
///
/// # Errors
///
/// The policy's errors, as [`PoolPolicy::validate`]: lint runs on valid policies.
///
/// # Examples
///
/// ```
/// use crmkit::pool::{lint_pool, LintCode, PoolPolicy};
///
/// let policy: PoolPolicy = crmkit::wire::from_json(r#"{"time_zone": "Asia/Shanghai", "pools": [
///   {"id": "all", "scope": {"everyone": true}, "rules": [{"id": "r", "kind": "no_follow_up", "limit": 30}]},
///   {"id": "east", "scope": {"departments": ["east"]}, "rules": [{"id": "r", "kind": "no_follow_up", "limit": 15}]}
/// ]}"#, "")?;
/// let report = lint_pool(&policy)?;
/// assert_eq!(report.findings[0].code, LintCode::UnreachablePool);
/// assert_eq!(report.findings[0].path, "pools[1].scope");
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn lint_pool(policy: &PoolPolicy) -> Result<LintReport> {
    lint::lint(policy)
}

/// Replays a historical book from `from` to `to` under policy `a` and policy `b`: each night
/// sees the activities logged by then, and each record counts once, on the day it would first
/// be recycled. Returns the recycled records per owner and day side by side, per day, per
/// owner and in total. `records` and `activities` are as for [`evaluate_pool`]; flags
/// (locked, open contract) are read as they are now, won deals and opportunities from the day
/// they happened.
///
/// # Errors
///
/// Errors of policy `b` have their paths under `b.` (`b.pools[0].warn_before`), those of `a`
/// under `a.`; `out_of_range` at `from` when `from` is after `to`, `limit_exceeded` when the
/// replay is longer than [`MAX_SIMULATION_DAYS`]; record and activity errors as [`evaluate_pool`] gives them.
///
/// # Examples
///
/// ```
/// use crmkit::pool::{simulate_pool, PoolPolicy, PoolRecord};
/// use crmkit::wire::from_json;
///
/// let policy = |days: u32| -> Result<PoolPolicy, crmkit::Error> { from_json(&format!(r#"{{"time_zone": "Asia/Shanghai",
///   "pools": [{{"id": "all", "scope": {{"everyone": true}}, "rules": [{{"id": "r", "kind": "no_follow_up", "limit": {days}}}]}}]}}"#), "") };
/// let records: Vec<PoolRecord> = from_json(r#"[{"id": "c1", "owner": "wang", "claimed_at": "2026-10-01T10:00:00+08:00"}]"#, "records")?;
/// let from = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
/// let to = chrono::NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
/// let report = simulate_pool(&policy(30)?, &policy(15)?, &records, &[], from, to)?;
/// assert_eq!((report.total.a, report.total.b), (0, 1));
/// assert_eq!(report.lines[0].date.to_string(), "2026-10-17");
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn simulate_pool(
    a: &PoolPolicy,
    b: &PoolPolicy,
    records: &[PoolRecord],
    activities: &[PoolActivity],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<SimulationReport> {
    simulate::simulate(a, b, records, activities, from, to)
}

/// [`evaluate_pool`] over columns, for large books: keys as integer codes into labels,
/// instants as milliseconds since 1970-01-01 UTC ([`NONE`] for none), activities pointing at
/// their record's row. Decisions come back as columns, without reasons (ask
/// [`evaluate_pool`] about the records you want explained). Teams (for `actor: team`) and
/// tags (for exempt tags) come as long tables, one row per (record, user) or (record, tag).
///
/// # Errors
///
/// Policy errors as [`PoolPolicy::validate`]; `invalid_value` at a column whose length differs
/// from the records' (or activities', or its table's) count; `out_of_range` at `owner[i]`
/// (`level[i]`, `activity_type[j]`, `team_user[k]`, `tag[k]`...) for a code outside its
/// labels, at `activity_record[j]` (`team_record[k]`, `tag_record[k]`) for a row that is not
/// a record; `no_pool` at `records[i]`;
/// `date_after_as_of` at `claimed_at[i]`, `activity_at[j]` or `activity_logged_at[j]`.
///
/// # Examples
///
/// ```
/// use crmkit::pool::{evaluate_pool_columns, ActivityColumns, AsOf, CodeColumn, PoolPolicy, RecordColumns, NONE};
///
/// let policy: PoolPolicy = crmkit::wire::from_json(r#"{"time_zone": "Asia/Shanghai", "pools": [{"id": "all",
///   "scope": {"everyone": true}, "rules": [{"id": "30d", "kind": "no_follow_up", "limit": 30}]}]}"#, "")?;
/// let users = vec!["wang".to_string(), "li".to_string()];
/// let types = vec!["call".to_string()];
/// // Two records claimed 2026-10-01T10:00+08:00; li called the second one on 10-25.
/// let claimed = [1_790_820_000_000, 1_790_820_000_000];
/// let records = RecordColumns {
///     owner: CodeColumn { codes: &[0, 1], labels: &users }, claimed_at: &claimed,
///     department: None, region: None, product_line: None, level: None,
///     locked: None, open_contract: None, last_won_at: None, last_opportunity_at: None,
///     team: None, tags: None,
/// };
/// let activities = ActivityColumns {
///     record: &[1], at: &[1_792_911_600_000], logged_at: None,
///     kind: CodeColumn { codes: &[0], labels: &types }, actor: CodeColumn { codes: &[1], labels: &users }, deleted: None,
/// };
/// let out = evaluate_pool_columns(&policy, &records, &activities, AsOf::parse("2026-11-01")?)?;
/// assert_eq!(out.decision, [2, 0]); // recycle, keep
/// assert_eq!(out.last_follow_up_at, [NONE, 1_792_911_600_000]);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn evaluate_pool_columns(
    policy: &PoolPolicy,
    records: &RecordColumns,
    activities: &ActivityColumns,
    as_of: AsOf,
) -> Result<DecisionColumns> {
    columns::evaluate(policy, records, activities, as_of)
}

/// [`simulate_pool`] over columns: the book as [`evaluate_pool_columns`] reads it (keys as
/// integer codes into labels, instants as ms since 1970-01-01 UTC, activities pointing at their
/// record's row; teams and tags as long tables), replayed under policies `a` and `b` from `from`
/// to `to`. The report is [`simulate_pool`]'s, owners by label.
///
/// # Errors
///
/// As [`simulate_pool`] for the span and the policies; the column errors of
/// [`evaluate_pool_columns`] (`invalid_value` at a column of the wrong length, `out_of_range`
/// at `owner[i]`, `activity_record[j]`... for a code or row outside its range, `invalid_date`
/// at an instant outside years 1 to 9999); `date_after_as_of` at `activity_at[j]` or
/// `activity_logged_at[j]` after the end of `to`; `no_pool` at `records[i]`.
///
/// # Examples
///
/// ```
/// use crmkit::pool::{simulate_pool_columns, ActivityColumns, CodeColumn, PoolPolicy, RecordColumns};
///
/// let policy = |days: u32| -> Result<PoolPolicy, crmkit::Error> { crmkit::wire::from_json(&format!(r#"{{"time_zone": "Asia/Shanghai",
///   "pools": [{{"id": "all", "scope": {{"everyone": true}}, "rules": [{{"id": "r", "kind": "no_follow_up", "limit": {days}}}]}}]}}"#), "") };
/// let users = vec!["wang".to_string()];
/// let types = vec!["call".to_string()];
/// // One record claimed 2026-10-01T10:00+08:00, never followed up.
/// let records = RecordColumns {
///     owner: CodeColumn { codes: &[0], labels: &users }, claimed_at: &[1_790_820_000_000],
///     department: None, region: None, product_line: None, level: None,
///     locked: None, open_contract: None, last_won_at: None, last_opportunity_at: None,
///     team: None, tags: None,
/// };
/// let activities = ActivityColumns {
///     record: &[], at: &[], logged_at: None,
///     kind: CodeColumn { codes: &[], labels: &types }, actor: CodeColumn { codes: &[], labels: &users }, deleted: None,
/// };
/// let from = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
/// let to = chrono::NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
/// let report = simulate_pool_columns(&policy(30)?, &policy(15)?, &records, &activities, from, to)?;
/// assert_eq!((report.total.a, report.total.b), (0, 1));
/// assert_eq!(report.lines[0].date.to_string(), "2026-10-17");
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn simulate_pool_columns(
    a: &PoolPolicy,
    b: &PoolPolicy,
    records: &RecordColumns,
    activities: &ActivityColumns,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<SimulationReport> {
    simulate_columns::simulate(a, b, records, activities, from, to)
}

/// [`assign_records`] over columns, for large batches: the records' routing keys as integer
/// codes into labels (-1: none), assigned in row order; the load, cursors and seed as
/// [`AssignState`]. Each row is placed exactly as the same record by [`assign_records`]
/// (same route, team, rep, reasons, cursors and load); the assignments come back as columns
/// (see [`AssignmentColumns`]: the rep as an index into the load, the choice as a code into
/// [`ASSIGN_CHOICES`] with its number). Rows have no ids: a row is its record.
///
/// # Errors
///
/// The policy, load and cursor errors of [`assign_records`]; `limit_exceeded` at `rows` above
/// [`MAX_ASSIGN_ROWS`]; `invalid_value` at a key column
/// (`region`, `product_line`, `level`, `source`) whose length is not `rows`, `out_of_range`
/// at `region[i]` (...) for a code outside -1 to its last label.
///
/// # Examples
///
/// ```
/// use crmkit::pool::{assign_records_columns, AssignColumns, AssignPolicy, AssignState, CodeColumn};
/// use crmkit::wire::from_json;
///
/// let policy: AssignPolicy = from_json(r#"{
///   "teams": [{"id": "t", "strategy": "round_robin", "reps": [{"id": "li"}, {"id": "wang"}]}],
///   "routes": [{"id": "north", "when": {"regions": ["north"]}, "team": "t"}],
///   "fallback_queue": "queue"
/// }"#, "")?;
/// let regions = vec!["north".to_string(), "south".to_string()];
/// let records = AssignColumns {
///     rows: 3, region: Some(CodeColumn { codes: &[0, 1, 0], labels: &regions }),
///     product_line: None, level: None, source: None,
/// };
/// let out = assign_records_columns(&policy, &records, &AssignState::default())?;
/// assert_eq!(out.rep, [0, -1, 1]); // li, the fallback queue, wang
/// assert_eq!(out.reps, ["li", "wang"]);
/// assert_eq!(out.cursors["t"], 0);
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn assign_records_columns(
    policy: &AssignPolicy,
    records: &AssignColumns,
    state: &AssignState,
) -> Result<AssignmentColumns> {
    assign_columns::assign(policy, records, state)
}

/// [`check_claims`] over columns, for large ledgers: the pooled records, holdings, ledger and
/// requests as tables of columns ([`ClaimColumns`]), ids as integer codes into labels (matched
/// across tables by name), instants as ms since 1970-01-01 UTC. The answers are those of
/// [`check_claims`] on the same rows, as columns ([`ClaimDecisionColumns`]: reasons as bits of
/// [`CLAIM_REASONS`], each with its numbers; the claim's ledger instant).
///
/// # Errors
///
/// The errors of [`check_claims`], their rows named as columns (`ledger.at[j]`,
/// `pooled.pool[i]`, `holdings.owned[i]`); `invalid_value` at a column whose length differs
/// from its table's; `out_of_range` at `ledger.user[j]` (`pooled.id[i]`, `requests.record[k]`...)
/// for a code outside its labels; `invalid_date` at an instant outside years 1 to 9999;
/// `invalid_value` at `ledger.event[j]` for an event other than `claim`, `assign`, `release`,
/// `recycle`.
///
/// # Examples
///
/// ```
/// use crmkit::pool::{check_claims_columns, AsOf, ClaimColumns, CodeColumn, PoolPolicy, PooledColumns, RequestColumns};
///
/// let policy: PoolPolicy = crmkit::wire::from_json(r#"{"time_zone": "Asia/Shanghai", "pools": [{"id": "p",
///   "scope": {"everyone": true}, "rules": [{"id": "r", "kind": "no_follow_up", "limit": 30}],
///   "claims": {"daily_limit": 1}}]}"#, "")?;
/// let (ids, pools, users) = (vec!["c1".to_string(), "c2".to_string()], vec!["p".to_string()], vec!["wang".to_string()]);
/// // Both pooled 2026-11-01T00:00+08:00; wang asks for both.
/// let input = ClaimColumns {
///     pooled: PooledColumns { id: CodeColumn { codes: &[0, 1], labels: &ids }, pool: CodeColumn { codes: &[0, 0], labels: &pools },
///                             pooled_at: &[1_793_462_400_000, 1_793_462_400_000] },
///     holdings: None,
///     ledger: None,
///     requests: RequestColumns { user: CodeColumn { codes: &[0, 0], labels: &users }, record: CodeColumn { codes: &[0, 1], labels: &ids } },
/// };
/// let out = check_claims_columns(&policy, &input, AsOf::parse("2026-11-02T09:00:00+08:00")?)?;
/// assert_eq!(out.accepted, [true, false]);
/// assert_eq!((out.reasons[1], out.daily_count[1], out.daily_limit[1]), (1 << 4, 1, 1)); // daily_limit
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn check_claims_columns(policy: &PoolPolicy, input: &ClaimColumns, as_of: AsOf) -> Result<ClaimDecisionColumns> {
    claim_columns::check_columns(policy, input, as_of)
}
