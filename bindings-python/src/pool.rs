//! The public pool (公海池) functions.

use std::borrow::Cow;

use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::{run, slice};
use crmkit::pool::{ActivityColumns, CodeColumn, MemberColumns, RecordColumns};
use crmkit::pool::{AsOf, PoolActivity, PoolRecord};
use crmkit::pool::{AssignColumns, ClaimColumns, HoldingColumns, LedgerColumns, PooledColumns, RequestColumns};
use crmkit::wire::{from_json, parse_date};

/// `evaluate_pool(policy_json, records_json, activities_json, as_of) -> dict`:
/// [`crmkit::pool::evaluate_pool`] over JSON text; `as_of` a `YYYY-MM-DD` date or an RFC 3339
/// timestamp with an offset.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn evaluate_pool(
    py: Python<'_>,
    policy_json: String,
    records_json: String,
    activities_json: String,
    as_of: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let policy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        let records: Vec<PoolRecord> = from_json(&records_json, "records")?;
        let activities: Vec<PoolActivity> = from_json(&activities_json, "activities")?;
        crmkit::pool::evaluate_pool(&policy, &records, &activities, AsOf::parse(&as_of)?)
    })
}

/// `check_claims(policy_json, input_json, as_of) -> dict`: [`crmkit::pool::check_claims`] over
/// JSON text.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn check_claims(
    py: Python<'_>,
    policy_json: String,
    input_json: String,
    as_of: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let (policy, input) =
            (crmkit::wire::from_json_arg(&policy_json, "policy")?, crmkit::wire::from_json_arg(&input_json, "input")?);
        crmkit::pool::check_claims(&policy, &input, AsOf::parse(&as_of)?)
    })
}

/// `assign_records(policy_json, input_json) -> dict`: [`crmkit::pool::assign_records`] over JSON
/// text.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn assign_records(py: Python<'_>, policy_json: String, input_json: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let (policy, input) =
            (crmkit::wire::from_json_arg(&policy_json, "policy")?, crmkit::wire::from_json_arg(&input_json, "input")?);
        crmkit::pool::assign_records(&policy, &input)
    })
}

/// `lint_pool(policy_json) -> dict`: [`crmkit::pool::lint_pool`] over JSON text.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn lint_pool(py: Python<'_>, policy_json: String) -> PyResult<Bound<'_, PyAny>> {
    run(py, || crmkit::pool::lint_pool(&crmkit::wire::from_json_arg(&policy_json, "policy")?))
}

/// `simulate_pool(a_json, b_json, records_json, activities_json, start, end) -> dict`:
/// [`crmkit::pool::simulate_pool`] over JSON text, days as `YYYY-MM-DD`.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned strings under abi3-py39
pub fn simulate_pool(
    py: Python<'_>,
    a_json: String,
    b_json: String,
    records_json: String,
    activities_json: String,
    start: String,
    end: String,
) -> PyResult<Bound<'_, PyAny>> {
    run(py, || {
        let a = from_json(&a_json, "a")?;
        let b = from_json(&b_json, "b")?;
        let records: Vec<PoolRecord> = from_json(&records_json, "records")?;
        let activities: Vec<PoolActivity> = from_json(&activities_json, "activities")?;
        let (start, end) = (parse_date(&start, "from")?, parse_date(&end, "as_of")?);
        crmkit::pool::simulate_pool(&a, &b, &records, &activities, start, end)
    })
}

/// A member table: record rows, int32 codes, labels.
type Members<'py> = (PyReadonlyArray1<'py, i32>, PyReadonlyArray1<'py, i32>, Vec<String>);

/// The record columns as `crmkit.evaluate_pool_frame` writes them: owner codes and labels,
/// `claimed_at`, `keys` (`(name, int32 codes, labels)` for `department`, `region`,
/// `product_line`, `level`), `flags` (`(name, bool array)` for `locked`, `open_contract`),
/// `times` (`(name, int64 ms)` for `last_won_at`, `last_opportunity_at`), `team`, `tags`
/// (`(int32 record rows, int32 codes, labels)`, one row per (record, user) or (record, tag)).
type RecordArgs<'py> = (
    PyReadonlyArray1<'py, i32>,
    Vec<String>,
    PyReadonlyArray1<'py, i64>,
    Vec<(String, PyReadonlyArray1<'py, i32>, Vec<String>)>,
    Vec<(String, PyReadonlyArray1<'py, bool>)>,
    Vec<(String, PyReadonlyArray1<'py, i64>)>,
    Option<Members<'py>>,
    Option<Members<'py>>,
);

/// The activity columns: record rows, `at`, `logged_at`, type codes and labels, actor codes and
/// labels, `deleted`.
type ActivityArgs<'py> = (
    PyReadonlyArray1<'py, i32>,
    PyReadonlyArray1<'py, i64>,
    Option<PyReadonlyArray1<'py, i64>>,
    PyReadonlyArray1<'py, i32>,
    Vec<String>,
    PyReadonlyArray1<'py, i32>,
    Vec<String>,
    Option<PyReadonlyArray1<'py, bool>>,
);

/// Runs `f` on the columns, the GIL released. Instants are int64 ms since 1970 UTC,
/// `i64::MIN` for none.
fn with_columns<T: Send>(
    py: Python<'_>,
    records: &RecordArgs<'_>,
    activities: &ActivityArgs<'_>,
    f: impl FnOnce(&RecordColumns, &ActivityColumns) -> crmkit::Result<T> + Send,
) -> PyResult<T> {
    let (owner, owner_labels, claimed_at, keys, flags, times, team, tags) = records;
    let (act_record, act_at, act_logged, act_type, type_labels, act_actor, actor_labels, act_deleted) = activities;
    let (owner, claimed) = (slice(owner), slice(claimed_at));
    let key_data: Vec<(String, Cow<[i32]>, Vec<String>)> =
        keys.iter().map(|(n, c, l)| (n.clone(), slice(c), l.clone())).collect();
    let flag_data: Vec<(String, Cow<[bool]>)> = flags.iter().map(|(n, c)| (n.clone(), slice(c))).collect();
    let time_data: Vec<(String, Cow<[i64]>)> = times.iter().map(|(n, c)| (n.clone(), slice(c))).collect();
    let (record, at, kind, actor) = (slice(act_record), slice(act_at), slice(act_type), slice(act_actor));
    let logged = act_logged.as_ref().map(slice);
    let deleted = act_deleted.as_ref().map(slice);
    let team = team.as_ref().map(|(r, c, l)| (slice(r), slice(c), l));
    let tags = tags.as_ref().map(|(r, c, l)| (slice(r), slice(c), l));
    py.detach(|| {
        let key =
            |name: &str| key_data.iter().find(|k| k.0 == name).map(|(_, codes, labels)| CodeColumn { codes, labels });
        let flag = |name: &str| flag_data.iter().find(|k| k.0 == name).map(|(_, v)| &**v);
        let time = |name: &str| time_data.iter().find(|k| k.0 == name).map(|(_, v)| &**v);
        let records = RecordColumns {
            owner: CodeColumn { codes: &owner, labels: owner_labels },
            claimed_at: &claimed,
            department: key("department"),
            region: key("region"),
            product_line: key("product_line"),
            level: key("level"),
            locked: flag("locked"),
            open_contract: flag("open_contract"),
            last_won_at: time("last_won_at"),
            last_opportunity_at: time("last_opportunity_at"),
            team: team
                .as_ref()
                .map(|(record, codes, labels)| MemberColumns { record, value: CodeColumn { codes, labels } }),
            tags: tags
                .as_ref()
                .map(|(record, codes, labels)| MemberColumns { record, value: CodeColumn { codes, labels } }),
        };
        let activities = ActivityColumns {
            record: &record,
            at: &at,
            logged_at: logged.as_deref(),
            kind: CodeColumn { codes: &kind, labels: type_labels },
            actor: CodeColumn { codes: &actor, labels: actor_labels },
            deleted: deleted.as_deref(),
        };
        f(&records, &activities)
    })
    .map_err(crate::to_py_err)
}

/// `evaluate_pool_columns(...) -> dict`: [`crmkit::pool::evaluate_pool_columns`] over numpy
/// arrays (written by `crmkit.evaluate_pool_frame`; see [`RecordArgs`] and [`ActivityArgs`]),
/// the GIL released; the decision columns come back as numpy arrays built here.
#[pyfunction]
#[pyo3(signature = (policy_json, owner, owner_labels, claimed_at, keys, flags, times, act_record, act_at, act_logged, act_type, type_labels, act_actor, actor_labels, act_deleted, as_of, team=None, tags=None))]
#[allow(clippy::too_many_arguments, clippy::needless_pass_by_value)] // one argument per column
pub fn evaluate_pool_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    owner: PyReadonlyArray1<'py, i32>,
    owner_labels: Vec<String>,
    claimed_at: PyReadonlyArray1<'py, i64>,
    keys: Vec<(String, PyReadonlyArray1<'py, i32>, Vec<String>)>,
    flags: Vec<(String, PyReadonlyArray1<'py, bool>)>,
    times: Vec<(String, PyReadonlyArray1<'py, i64>)>,
    act_record: PyReadonlyArray1<'py, i32>,
    act_at: PyReadonlyArray1<'py, i64>,
    act_logged: Option<PyReadonlyArray1<'py, i64>>,
    act_type: PyReadonlyArray1<'py, i32>,
    type_labels: Vec<String>,
    act_actor: PyReadonlyArray1<'py, i32>,
    actor_labels: Vec<String>,
    act_deleted: Option<PyReadonlyArray1<'py, bool>>,
    as_of: String,
    team: Option<Members<'py>>,
    tags: Option<Members<'py>>,
) -> PyResult<Bound<'py, PyAny>> {
    let records = (owner, owner_labels, claimed_at, keys, flags, times, team, tags);
    let activities = (act_record, act_at, act_logged, act_type, type_labels, act_actor, actor_labels, act_deleted);
    let out = with_columns(py, &records, &activities, |records, activities| {
        let policy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
        crmkit::pool::evaluate_pool_columns(&policy, records, activities, AsOf::parse(&as_of)?)
    })?;
    let dict = PyDict::new(py);
    dict.set_item("pool", out.pool.into_pyarray(py))?;
    dict.set_item("decision", out.decision.into_pyarray(py))?;
    dict.set_item("due_at", out.due_at.into_pyarray(py))?;
    dict.set_item("warn_at", out.warn_at.into_pyarray(py))?;
    dict.set_item("rule", out.rule.into_pyarray(py))?;
    dict.set_item("last_follow_up_at", out.last_follow_up_at.into_pyarray(py))?;
    dict.set_item("pools", out.pools)?;
    dict.set_item("counts", crate::to_python(py, &out.counts)?)?;
    dict.set_item("totals", crate::to_python(py, &out.totals)?)?;
    Ok(dict.into_any())
}

/// `simulate_pool_columns(a_json, b_json, records, activities, start, end) -> dict`:
/// [`crmkit::pool::simulate_pool_columns`] over the columns `evaluate_pool_columns` takes,
/// grouped as two tuples ([`RecordArgs`], [`ActivityArgs`]), the GIL released; days as
/// `YYYY-MM-DD`.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned values under abi3-py39
pub fn simulate_pool_columns<'py>(
    py: Python<'py>,
    a_json: String,
    b_json: String,
    records: RecordArgs<'py>,
    activities: ActivityArgs<'py>,
    start: String,
    end: String,
) -> PyResult<Bound<'py, PyAny>> {
    let report = with_columns(py, &records, &activities, |records, activities| {
        let a = crmkit::wire::from_json_arg(&a_json, "a")?;
        let b = crmkit::wire::from_json_arg(&b_json, "b")?;
        let (start, end) = (parse_date(&start, "from")?, parse_date(&end, "as_of")?);
        crmkit::pool::simulate_pool_columns(&a, &b, records, activities, start, end)
    })?;
    crate::to_python(py, &report)
}

/// A key column: int32 codes (-1: none) and labels.
type Codes<'py> = (PyReadonlyArray1<'py, i32>, Vec<String>);

/// `assign_records_columns(policy_json, rows, keys, state_json) -> dict`:
/// [`crmkit::pool::assign_records_columns`] over numpy arrays, the GIL released. `keys` are
/// `(name, int32 codes, labels)` for `region`, `product_line`, `level`, `source`; `state_json`
/// the load, cursors and seed. The assignment columns come back as numpy arrays built here.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned values under abi3-py39
pub fn assign_records_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    rows: usize,
    keys: Vec<(String, PyReadonlyArray1<'py, i32>, Vec<String>)>,
    state_json: String,
) -> PyResult<Bound<'py, PyAny>> {
    let key_data: Vec<(String, Cow<[i32]>, Vec<String>)> =
        keys.iter().map(|(n, c, l)| (n.clone(), slice(c), l.clone())).collect();
    let out = py
        .detach(|| {
            let policy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
            let state = crmkit::wire::from_json_arg(&state_json, "state")?;
            let key = |name: &str| {
                key_data.iter().find(|k| k.0 == name).map(|(_, codes, labels)| CodeColumn { codes, labels })
            };
            let records = AssignColumns {
                rows,
                region: key("region"),
                product_line: key("product_line"),
                level: key("level"),
                source: key("source"),
            };
            crmkit::pool::assign_records_columns(&policy, &records, &state)
        })
        .map_err(crate::to_py_err)?;
    let dict = PyDict::new(py);
    dict.set_item("route", out.route.into_pyarray(py))?;
    dict.set_item("team", out.team.into_pyarray(py))?;
    dict.set_item("rep", out.rep.into_pyarray(py))?;
    dict.set_item("choice", out.choice.into_pyarray(py))?;
    dict.set_item("cursor", out.cursor.into_pyarray(py))?;
    dict.set_item("held", out.held.into_pyarray(py))?;
    dict.set_item("skipped_inactive", out.skipped_inactive.into_pyarray(py))?;
    dict.set_item("skipped_full", out.skipped_full.into_pyarray(py))?;
    dict.set_item("routes", out.routes)?;
    dict.set_item("teams", out.teams)?;
    dict.set_item("reps", out.reps)?;
    dict.set_item("choices", crmkit::pool::ASSIGN_CHOICES.to_vec())?;
    dict.set_item("cursors", crate::to_python(py, &out.cursors)?)?;
    dict.set_item("load", crate::to_python(py, &out.load)?)?;
    Ok(dict.into_any())
}

/// A key column's codes, borrowed (or copied once when not contiguous), and its labels.
fn own<'a>(c: &'a Codes<'_>) -> (Cow<'a, [i32]>, &'a [String]) {
    (slice(&c.0), &c.1)
}

fn col<'a>(c: &'a (Cow<'_, [i32]>, &'a [String])) -> CodeColumn<'a> {
    CodeColumn { codes: &c.0, labels: c.1 }
}

/// The pooled records: id codes and labels, pool codes and labels, `pooled_at` (int64 ms).
type PooledArgs<'py> = (Codes<'py>, Codes<'py>, PyReadonlyArray1<'py, i64>);
/// Holdings: user codes and labels, pool codes and labels (or None), `owned`, `won` (or None).
type HoldingArgs<'py> =
    (Codes<'py>, Option<Codes<'py>>, PyReadonlyArray1<'py, i64>, Option<PyReadonlyArray1<'py, i64>>);
/// The ledger: `at` (int64 ms), user, record, pool (or None) and event codes and labels.
type LedgerArgs<'py> = (PyReadonlyArray1<'py, i64>, Codes<'py>, Codes<'py>, Option<Codes<'py>>, Codes<'py>);
/// The requests: user and record codes and labels.
type RequestArgs<'py> = (Codes<'py>, Codes<'py>);

/// `check_claims_columns(policy_json, pooled, holdings, ledger, requests, as_of) -> dict`:
/// [`crmkit::pool::check_claims_columns`] over numpy arrays grouped per table
/// ([`PooledArgs`], [`HoldingArgs`], [`LedgerArgs`], [`RequestArgs`]), the GIL released; the
/// answer columns come back as numpy arrays built here.
#[pyfunction]
#[allow(clippy::needless_pass_by_value)] // pyo3 extracts owned values under abi3-py39
pub fn check_claims_columns<'py>(
    py: Python<'py>,
    policy_json: String,
    pooled: PooledArgs<'py>,
    holdings: Option<HoldingArgs<'py>>,
    ledger: Option<LedgerArgs<'py>>,
    requests: RequestArgs<'py>,
    as_of: String,
) -> PyResult<Bound<'py, PyAny>> {
    let p = (own(&pooled.0), own(&pooled.1), slice(&pooled.2));
    let h = holdings
        .as_ref()
        .map(|(u, pool, owned, won)| (own(u), pool.as_ref().map(own), slice(owned), won.as_ref().map(slice)));
    let l = ledger.as_ref().map(|(at, u, r, pool, e)| (slice(at), own(u), own(r), pool.as_ref().map(own), own(e)));
    let r = (own(&requests.0), own(&requests.1));
    let out = py
        .detach(|| {
            let input = ClaimColumns {
                pooled: PooledColumns { id: col(&p.0), pool: col(&p.1), pooled_at: &p.2 },
                holdings: h.as_ref().map(|(u, pool, owned, won)| HoldingColumns {
                    user: col(u),
                    pool: pool.as_ref().map(col),
                    owned,
                    won: won.as_deref(),
                }),
                ledger: l.as_ref().map(|(at, u, r, pool, e)| LedgerColumns {
                    at,
                    user: col(u),
                    record: col(r),
                    pool: pool.as_ref().map(col),
                    event: col(e),
                }),
                requests: RequestColumns { user: col(&r.0), record: col(&r.1) },
            };
            let policy = crmkit::wire::from_json_arg(&policy_json, "policy")?;
            crmkit::pool::check_claims_columns(&policy, &input, AsOf::parse(&as_of)?)
        })
        .map_err(crate::to_py_err)?;
    let dict = PyDict::new(py);
    dict.set_item("pool", out.pool.into_pyarray(py))?;
    dict.set_item("accepted", out.accepted.into_pyarray(py))?;
    dict.set_item("reasons", out.reasons.into_pyarray(py))?;
    dict.set_item("embargo_since", out.embargo_since.into_pyarray(py))?;
    dict.set_item("embargo_until", out.embargo_until.into_pyarray(py))?;
    dict.set_item("cooldown_since", out.cooldown_since.into_pyarray(py))?;
    dict.set_item("cooldown_until", out.cooldown_until.into_pyarray(py))?;
    dict.set_item("holdings_count", out.holdings_count.into_pyarray(py))?;
    dict.set_item("holdings_limit", out.holdings_limit.into_pyarray(py))?;
    dict.set_item("daily_count", out.daily_count.into_pyarray(py))?;
    dict.set_item("daily_limit", out.daily_limit.into_pyarray(py))?;
    dict.set_item("claimed_at", out.claimed_at.into_pyarray(py))?;
    dict.set_item("pools", out.pools)?;
    dict.set_item("reason_labels", crmkit::pool::CLAIM_REASONS.to_vec())?;
    dict.set_item("holdings", crate::to_python(py, &out.holdings)?)?;
    Ok(dict.into_any())
}
