//! The `score_columns` vectors: `input.rows`, `input.fields` (name → `{"number": [...]}`,
//! `{"text": [...]}` or `{"date": [...]}`, null for missing) and the long events table
//! `input.events` (`lead`, `type`, `on`), read as a caller's typed columns would hold them (the
//! fields in name order, texts coded in order of first appearance, dates as days since
//! 1970-01-01), grouped and scored as `scoreLeadsColumns` does; the result in the shape every
//! runner writes (grades, tiers and reasons as labels, none as null).
//!
//! What a typed column cannot hold is refused here, in the order and with the code and path
//! the JS and Python runners use: `columns.rows` that is not a whole number within
//! `0..=u32::MAX`, a column that is not `{kind: [cells]}` (`invalid_type` at `columns.<name>`),
//! a cell of another type (`columns.<name>[i]`), a date that is not `YYYY-MM-DD` or a day
//! number beyond `i32` (`invalid_date`), the same for the events' cells.

use serde_json::{json, Map, Value};

use crmkit::scoring::{FieldColumn, GroupedEvents, OwnedLeadColumns, NO_DATE};
use crmkit::{Error, ParseKind};

/// Events as read: lead rows, type codes and labels, days.
type Events = (Vec<i64>, Vec<i32>, Vec<String>, Vec<i32>);

fn refused(kind: ParseKind, path: String, message: &str) -> Error {
    Error::Parse { kind, path, message: message.to_owned() }
}

/// A number with no fractional part, as a JS runner sees one (`3.0` is 3).
#[allow(clippy::float_cmp)] // a whole number, exactly
fn whole(v: &Value) -> Option<f64> {
    v.as_f64().filter(|x| x.is_finite() && x.trunc() == *x)
}

fn list<'a>(v: Option<&'a Value>, path: &str) -> crmkit::Result<&'a Vec<Value>> {
    v.and_then(Value::as_array).ok_or_else(|| refused(ParseKind::Type, path.to_owned(), "expected a list"))
}

/// A date cell: null (none), `YYYY-MM-DD`, or a whole day number (beyond `i32`: invalid_date).
fn day(v: &Value, path: String) -> crmkit::Result<i32> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    match v {
        Value::Null => Ok(NO_DATE),
        Value::String(s) => Ok(crmkit::wire::parse_date(s, &path)?.signed_duration_since(epoch).num_days() as i32),
        Value::Number(_) => match whole(v) {
            Some(x) if x >= f64::from(i32::MIN) + 1.0 && x <= f64::from(i32::MAX) => Ok(x as i32),
            Some(_) => Err(refused(ParseKind::Date, path, "a day number beyond 32 bits")),
            None => Err(refused(ParseKind::Type, path, "a day number is whole")),
        },
        _ => Err(refused(ParseKind::Type, path, "expected a date")),
    }
}

/// Texts (null: none) as codes into labels in first-appearance order.
fn texts(cells: &[Value], path: &str) -> crmkit::Result<(Vec<i32>, Vec<String>)> {
    let mut names = Vec::with_capacity(cells.len());
    for (i, c) in cells.iter().enumerate() {
        match c {
            Value::Null => names.push(None),
            Value::String(s) => names.push(Some(s.as_str())),
            _ => return Err(refused(ParseKind::Type, format!("{path}[{i}]"), "expected text")),
        }
    }
    Ok(crate::first_seen_codes(names, Vec::new()))
}

fn field(name: &str, column: &Value) -> crmkit::Result<FieldColumn> {
    let path = format!("columns.{name}");
    let (kind, cells) = match column.as_object().map(|o| o.iter().collect::<Vec<_>>()).as_deref() {
        Some([(kind, Value::Array(cells))]) => (kind.as_str(), cells),
        _ => return Err(refused(ParseKind::Type, path, "expected {\"number\" | \"text\" | \"date\": [...]}")),
    };
    Ok(match kind {
        "number" => FieldColumn::Number(
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Value::Null => Ok(f64::NAN),
                    Value::Number(_) => Ok(c.as_f64().unwrap_or(f64::NAN)),
                    _ => Err(refused(ParseKind::Type, format!("{path}[{i}]"), "expected a number")),
                })
                .collect::<crmkit::Result<_>>()?,
        ),
        "text" => {
            let (codes, labels) = texts(cells, &path)?;
            FieldColumn::Text { codes, labels }
        }
        "date" => FieldColumn::Date(
            cells.iter().enumerate().map(|(i, c)| day(c, format!("{path}[{i}]"))).collect::<crmkit::Result<_>>()?,
        ),
        _ => return Err(refused(ParseKind::Type, path, "expected {\"number\" | \"text\" | \"date\": [...]}")),
    })
}

fn events(ev: &Value) -> crmkit::Result<Events> {
    if !ev.is_object() {
        return Err(refused(ParseKind::Type, "events".into(), "expected a table of lists"));
    }
    let lead = list(ev.get("lead"), "events.lead")?
        .iter()
        .enumerate()
        .map(|(i, c)| match (c, whole(c)) {
            // Beyond i64 is out of range as much as -1 is.
            (Value::Number(_), Some(x)) => Ok(x as i64),
            _ => Err(refused(ParseKind::Type, format!("events.lead[{i}]"), "expected a lead row")),
        })
        .collect::<crmkit::Result<Vec<i64>>>()?;
    let (types, labels) = texts(list(ev.get("type"), "events.type")?, "events.type")?;
    let on = list(ev.get("on"), "events.on")?
        .iter()
        .enumerate()
        .map(|(i, c)| day(c, format!("events.on[{i}]")))
        .collect::<crmkit::Result<Vec<i32>>>()?;
    Ok((lead, types, labels, on))
}

/// The answer as every runner writes it.
fn answer(out: &crmkit::scoring::ScoreColumns) -> Value {
    let label = |labels: &[String], code: i32| {
        usize::try_from(code).ok().and_then(|c| labels.get(c)).map_or(Value::Null, |l| json!(l))
    };
    let reasons: Vec<Vec<&str>> = (0..out.score.len())
        .map(|i| {
            out.reasons
                .iter()
                .filter_map(|column| {
                    usize::try_from(column[i]).ok().and_then(|r| out.rule_ids.get(r)).map(String::as_str)
                })
                .collect()
        })
        .collect();
    json!({
        "score": out.score,
        "fit": out.fit,
        "engagement": out.engagement,
        "rank": out.rank,
        "grade": out.grade.iter().map(|&g| label(&out.grade_labels, g)).collect::<Vec<_>>(),
        "tier": out.tier.iter().map(|&t| label(&out.tier_labels, t)).collect::<Vec<_>>(),
        "reasons": reasons,
    })
}

/// `score_columns` over the vector's columns, read as described in the module's doc.
pub(crate) fn score_columns(config: &Value, input: &Value, as_of: &str) -> crmkit::Result<serde_json::Result<Value>> {
    let empty = Map::new();
    let input = input.as_object().unwrap_or(&empty);
    let rows = input
        .get("rows")
        .and_then(whole)
        .filter(|r| (0.0..=f64::from(u32::MAX)).contains(r))
        .ok_or_else(|| refused(ParseKind::Type, "columns.rows".into(), "expected a whole number of rows"))?
        as usize;
    let mut fields = Vec::new();
    match input.get("fields") {
        None | Some(Value::Null) => {}
        Some(Value::Object(columns)) => {
            // serde_json's map iterates in name order, as the JS and Python runners sort.
            for (name, column) in columns {
                fields.push((name.clone(), field(name, column)?));
            }
        }
        Some(_) => return Err(refused(ParseKind::Type, "columns.fields".into(), "expected an object of columns")),
    }
    let events = match input.get("events") {
        None | Some(Value::Null) => None,
        Some(ev) => Some(events(ev)?),
    };
    // Then as `scoreLeadsColumns`: the policy, the events grouped, as_of, the scoring.
    let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
    let events = match events {
        Some((lead, types, labels, on)) => Some((GroupedEvents::group(&lead, &types, &on, rows)?, labels)),
        None => None,
    };
    let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
    let columns = OwnedLeadColumns { rows, fields, events };
    Ok(Ok(answer(&crmkit::scoring::score_columns(&policy, &columns.view(), as_of)?)))
}
