//! The `assign_records_columns` and `check_claims_columns` vectors: `input` holds the columns
//! as JSON lists (names, or null for none; instants as RFC 3339 text), coded here in
//! first-appearance order as a caller's categoricals would be; the result in the shape every
//! runner writes (codes as their labels, instants as ms since 1970 UTC, none as null).

use serde_json::{json, Map, Value};

use crmkit::pool::{CodeColumn, Instant, ASSIGN_CHOICES, CLAIM_REASONS, NONE};

fn text(v: Option<&Value>) -> String {
    v.map_or_else(|| "null".to_owned(), Value::to_string)
}

/// A list of names (null: none) as codes into labels in first-appearance order.
fn coded(value: Option<&Value>, path: &str) -> crmkit::Result<(Vec<i32>, Vec<String>)> {
    let names: Vec<Option<String>> = crmkit::wire::from_json(&text(value), path)?;
    Ok(crate::first_seen_codes(names.iter().map(Option::as_deref), Vec::new()))
}

fn column(c: &(Vec<i32>, Vec<String>)) -> CodeColumn<'_> {
    CodeColumn { codes: &c.0, labels: &c.1 }
}

/// A list of instants as ms.
fn instants(value: Option<&Value>, path: &str) -> crmkit::Result<Vec<i64>> {
    let at: Vec<Value> = crmkit::wire::from_json(&text(value), path)?;
    at.iter()
        .enumerate()
        .map(|(i, v)| crmkit::wire::from_json::<InstantText>(&v.to_string(), &format!("{path}[{i}]")).map(|t| t.0 .0))
        .collect()
}

#[derive(serde::Deserialize)]
struct InstantText(#[serde(with = "crmkit::pool::time::instant")] Instant);

fn label(labels: &[String], code: i64) -> Value {
    usize::try_from(code).ok().and_then(|k| labels.get(k)).map_or(Value::Null, |l| json!(l))
}

fn ms(v: i64) -> Value {
    if v == NONE {
        Value::Null
    } else {
        json!(v)
    }
}

fn count(v: i64) -> Value {
    if v < 0 {
        Value::Null
    } else {
        json!(v)
    }
}

/// `assign_records_columns`: `input.rows` and the key lists (`region`, `product_line`,
/// `level`, `source`); `load`, `cursors` and `seed` as the state.
pub(crate) fn assign(config: &Value, input: &Value) -> crmkit::Result<serde_json::Result<Value>> {
    // In the JS runner's order: the key lists (read by the runner), then the policy, `rows`
    // and the state (read by `assignRecordsColumns`).
    let mut keys = Vec::new();
    for name in ["region", "product_line", "level", "source"] {
        keys.push(input.get(name).filter(|v| !v.is_null()).map(|v| coded(Some(v), name)).transpose()?);
    }
    let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
    // A whole number a JS number holds exactly, as `assignRecordsColumns` reads it.
    let rows =
        input.get("rows").and_then(Value::as_u64).filter(|&n| n < 1 << 53).ok_or_else(|| crmkit::Error::Parse {
            kind: crmkit::ParseKind::Type,
            path: "rows".into(),
            message: "expected a whole number of rows".into(),
        })?;
    let rows = usize::try_from(rows).unwrap_or(usize::MAX);
    let mut state = Map::new();
    for name in ["load", "cursors", "seed"] {
        if let Some(v) = input.get(name) {
            state.insert(name.to_owned(), v.clone());
        }
    }
    let state = crmkit::wire::from_json_arg(&Value::Object(state).to_string(), "state")?;
    let records = crmkit::pool::AssignColumns {
        rows,
        region: keys[0].as_ref().map(column),
        product_line: keys[1].as_ref().map(column),
        level: keys[2].as_ref().map(column),
        source: keys[3].as_ref().map(column),
    };
    let out = crmkit::pool::assign_records_columns(&policy, &records, &state)?;
    let labels = |codes: &[i32], labels: &[String]| codes.iter().map(|&c| label(labels, c.into())).collect::<Vec<_>>();
    Ok(Ok(json!({
        "route": labels(&out.route, &out.routes),
        "team": labels(&out.team, &out.teams),
        "rep": labels(&out.rep, &out.reps),
        "choice": out.choice.iter().map(|&c| ASSIGN_CHOICES[c as usize]).collect::<Vec<_>>(),
        "cursor": out.cursor,
        "held": out.held,
        "skipped_inactive": out.skipped_inactive,
        "skipped_full": out.skipped_full,
        "cursors": out.cursors,
        "load": out.load,
    })))
}

/// `check_claims_columns`: `input.pooled`, `holdings`, `ledger` and `requests` as tables of
/// columns.
pub(crate) fn claims(config: &Value, input: &Value, as_of: &str) -> crmkit::Result<serde_json::Result<Value>> {
    use crmkit::pool::{ClaimColumns, HoldingColumns, LedgerColumns, PooledColumns, RequestColumns};
    // In the JS runner's order: the tables (read by the runner), then the policy and the as_of
    // (read by `checkClaimsColumns`).
    let table = |name: &str| input.get(name).filter(|v| !v.is_null());
    for name in ["pooled", "holdings", "ledger", "requests"] {
        if table(name).is_some_and(|t| !t.is_object()) {
            return Err(crmkit::Error::Parse {
                kind: crmkit::ParseKind::Type,
                path: name.into(),
                message: "expected an object of columns".into(),
            });
        }
    }
    let field = |t: &str, f: &str| table(t).and_then(|v| v.get(f));
    let optional = |t: &str, f: &str| -> crmkit::Result<Option<(Vec<i32>, Vec<String>)>> {
        field(t, f).filter(|v| !v.is_null()).map(|v| coded(Some(v), &format!("{t}.{f}"))).transpose()
    };
    let ints = |t: &str, f: &str| -> crmkit::Result<Vec<i64>> {
        crmkit::wire::from_json(&text(field(t, f)), &format!("{t}.{f}"))
    };
    let pooled = (
        coded(field("pooled", "id"), "pooled.id")?,
        coded(field("pooled", "pool"), "pooled.pool")?,
        instants(field("pooled", "pooled_at"), "pooled.pooled_at")?,
    );
    let holdings = match table("holdings") {
        None => None,
        Some(_) => Some((
            coded(field("holdings", "user"), "holdings.user")?,
            optional("holdings", "pool")?,
            ints("holdings", "owned")?,
            field("holdings", "won").filter(|v| !v.is_null()).map(|_| ints("holdings", "won")).transpose()?,
        )),
    };
    let ledger = match table("ledger") {
        None => None,
        Some(_) => Some((
            instants(field("ledger", "at"), "ledger.at")?,
            coded(field("ledger", "user"), "ledger.user")?,
            coded(field("ledger", "record"), "ledger.record")?,
            optional("ledger", "pool")?,
            coded(field("ledger", "event"), "ledger.event")?,
        )),
    };
    let requests =
        (coded(field("requests", "user"), "requests.user")?, coded(field("requests", "record"), "requests.record")?);
    let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
    let columns = ClaimColumns {
        pooled: PooledColumns { id: column(&pooled.0), pool: column(&pooled.1), pooled_at: &pooled.2 },
        holdings: holdings.as_ref().map(|(user, pool, owned, won)| HoldingColumns {
            user: column(user),
            pool: pool.as_ref().map(column),
            owned,
            won: won.as_deref(),
        }),
        ledger: ledger.as_ref().map(|(at, user, record, pool, event)| LedgerColumns {
            at,
            user: column(user),
            record: column(record),
            pool: pool.as_ref().map(column),
            event: column(event),
        }),
        requests: RequestColumns { user: column(&requests.0), record: column(&requests.1) },
    };
    let out = crmkit::pool::check_claims_columns(&policy, &columns, crmkit::pool::AsOf::parse(as_of)?)?;
    let reasons: Vec<Vec<&str>> = out
        .reasons
        .iter()
        .map(|&bits| CLAIM_REASONS.iter().enumerate().filter(|(k, _)| bits >> k & 1 == 1).map(|(_, r)| *r).collect())
        .collect();
    let each = |v: &[i64], f: fn(i64) -> Value| v.iter().map(|&x| f(x)).collect::<Vec<_>>();
    Ok(Ok(json!({
        "pool": out.pool.iter().map(|&p| label(&out.pools, p.into())).collect::<Vec<_>>(),
        "accepted": out.accepted,
        "reasons": reasons,
        "embargo_since": each(&out.embargo_since, ms),
        "embargo_until": each(&out.embargo_until, ms),
        "cooldown_since": each(&out.cooldown_since, ms),
        "cooldown_until": each(&out.cooldown_until, ms),
        "holdings_count": each(&out.holdings_count, count),
        "holdings_limit": each(&out.holdings_limit, count),
        "daily_count": each(&out.daily_count, count),
        "daily_limit": each(&out.daily_limit, count),
        "claimed_at": each(&out.claimed_at, ms),
        "holdings": out.holdings,
    })))
}
