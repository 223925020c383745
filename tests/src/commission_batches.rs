//! The `payment_interest_columns` and `collections_columns` vectors: `input` holds the batch
//! columns (`customer` names or null, `invoice_on`, `due_on`, `amount`) and `input.payments`
//! the payment columns (`batch` rows, `on`, `amount`); the result in the shape every runner
//! writes (money as decimal strings, codes as their labels).

use serde_json::{json, Value};

use crmkit::commission::{BatchColumns, COLLECTION_REASONS, INTEREST_KINDS};
use crmkit::forecast::AmountColumn;

/// The columns a case gives, owned.
struct Columns {
    customer: Option<Vec<i32>>,
    labels: Vec<String>,
    invoice_on: Vec<i64>,
    due_on: Vec<i64>,
    amount: Vec<rust_decimal::Decimal>,
    payment_batch: Vec<i64>,
    payment_on: Vec<i64>,
    payment_amount: Vec<rust_decimal::Decimal>,
}

impl Columns {
    fn read(input: &Value) -> crmkit::Result<Self> {
        let json = |v: Option<&Value>| v.map_or_else(|| "null".to_owned(), Value::to_string);
        let payments = input.get("payments").cloned().unwrap_or_else(|| json!({"batch": [], "on": [], "amount": []}));
        let customer = match input.get("customer") {
            None | Some(Value::Null) => None,
            Some(v) => Some(crmkit::wire::from_json::<Vec<Option<String>>>(&v.to_string(), "customer")?),
        };
        let mut labels: Vec<String> = Vec::new();
        let customer = customer.map(|names| {
            names
                .iter()
                .map(|n| {
                    n.as_ref().map_or(-1, |n| {
                        labels.iter().position(|l| l == n).unwrap_or_else(|| {
                            labels.push(n.clone());
                            labels.len() - 1
                        }) as i32
                    })
                })
                .collect()
        });
        let days = |v: Option<&Value>, name: &str| -> crmkit::Result<Vec<i64>> {
            let dates: Vec<Option<String>> = crmkit::wire::from_json(&json(v), name)?;
            let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
            dates
                .iter()
                .enumerate()
                .map(|(i, d)| match d {
                    Some(d) => Ok((crmkit::wire::parse_date(d, &format!("{name}[{i}]"))? - epoch).num_days()),
                    None => Ok(i64::MIN),
                })
                .collect()
        };
        let money = |v: Option<&Value>, name: &str| -> crmkit::Result<Vec<rust_decimal::Decimal>> {
            let texts: Vec<String> = crmkit::wire::from_json(&json(v), name)?;
            texts.iter().enumerate().map(|(i, t)| crmkit::wire::parse_decimal(t, &format!("{name}[{i}]"))).collect()
        };
        Ok(Self {
            customer,
            labels,
            invoice_on: days(input.get("invoice_on"), "invoice_on")?,
            due_on: days(input.get("due_on"), "due_on")?,
            amount: money(input.get("amount"), "amount")?,
            payment_batch: crmkit::wire::from_json(&json(payments.get("batch")), "payments.batch")?,
            payment_on: days(payments.get("on"), "payments.on")?,
            payment_amount: money(payments.get("amount"), "payments.amount")?,
        })
    }

    fn columns(&self) -> BatchColumns<'_> {
        BatchColumns {
            customer: self.customer.as_deref(),
            customer_labels: &self.labels,
            invoice_on: &self.invoice_on,
            due_on: &self.due_on,
            amount: AmountColumn::Decimal(&self.amount),
            payment_batch: &self.payment_batch,
            payment_on: &self.payment_on,
            payment_amount: AmountColumn::Decimal(&self.payment_amount),
        }
    }
}

fn money(units: &[i64], scale: u32) -> Vec<String> {
    units.iter().map(|&u| rust_decimal::Decimal::new(u, scale).to_string()).collect()
}

/// `payment_interest_columns(config, columns, as_of)`.
pub fn interest(config: &Value, input: &Value, as_of: &str) -> crmkit::Result<serde_json::Result<Value>> {
    let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
    let columns = Columns::read(input)?;
    let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
    let out = crmkit::commission::payment_interest_columns(&policy, &columns.columns(), as_of)?;
    let (b, l, s) = (&out.batches, &out.lines, out.scale);
    let lines: Vec<Value> = (0..l.batch.len())
        .map(|j| {
            json!({"batch": l.batch[j], "payment": l.payment[j], "kind": INTEREST_KINDS[usize::from(l.kind[j])],
                   "days": l.days[j], "interest_days": l.interest_days[j],
                   "interest": rust_decimal::Decimal::new(l.interest[j], s).to_string()})
        })
        .collect();
    Ok(serde_json::to_value(json!({
        "scale": s, "currency": out.currency, "day_count": out.day_count, "totals": out.totals,
        "collected": money(&b.collected, s), "outstanding": money(&b.outstanding, s), "bonus": money(&b.bonus, s),
        "penalty": money(&b.penalty, s), "accrued_penalty": money(&b.accrued_penalty, s), "net": money(&b.net, s),
        "lines": lines,
    })))
}

/// `collections_columns(config, columns, as_of)`.
pub fn collections(config: &Value, input: &Value, as_of: &str) -> crmkit::Result<serde_json::Result<Value>> {
    let policy: crmkit::commission::CollectionsPolicy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
    let columns = Columns::read(input)?;
    let as_of = crmkit::wire::parse_date(as_of, "as_of")?;
    let out = crmkit::commission::collections_columns(&policy, &columns.columns(), as_of)?;
    let s = out.scale;
    let reasons: Vec<Vec<_>> = out
        .reasons
        .iter()
        .map(|&bits| {
            COLLECTION_REASONS.iter().enumerate().filter(|(k, _)| bits & (1 << k) != 0).map(|(_, r)| *r).collect()
        })
        .collect();
    let level: Vec<Option<&str>> =
        out.level.iter().map(|&k| usize::try_from(k).ok().map(|k| policy.levels[k].name.as_str())).collect();
    let bucket: Vec<&str> = out.bucket.iter().map(|&k| out.bucket_labels[usize::from(k)].as_str()).collect();
    Ok(serde_json::to_value(json!({
        "scale": s, "collected": money(&out.collected, s), "outstanding": money(&out.outstanding, s),
        "days_past_due": out.days_past_due, "bucket": bucket, "level": level, "reasons": reasons,
        "aging": out.aging, "customers": out.customers, "dso": out.dso,
    })))
}
