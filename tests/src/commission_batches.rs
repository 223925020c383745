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

/// A case's columns with their kinds checked and dates read, amounts still as text: what
/// the JS runner hands `paymentInterestColumns` / `collectionsColumns`, which read the policy
/// and then the amounts' digits. Read in the JS runner's order, so that a case wrong in two
/// places names the same one in every runner.
struct Raw {
    customer: Option<Vec<i32>>,
    labels: Vec<String>,
    invoice_on: Vec<i64>,
    due_on: Vec<i64>,
    amount: Vec<String>,
    payment_batch: Vec<i64>,
    payment_on: Vec<i64>,
    payment_amount: Vec<String>,
}

impl Raw {
    fn read(input: &Value) -> crmkit::Result<Self> {
        let json = |v: Option<&Value>| v.map_or_else(|| "null".to_owned(), Value::to_string);
        // No payments (absent or null): an empty table.
        let payments = match input.get("payments") {
            None | Some(Value::Null) => json!({"batch": [], "on": [], "amount": []}),
            Some(p) if p.is_object() => p.clone(),
            Some(_) => {
                return Err(crmkit::Error::Parse {
                    kind: crmkit::ParseKind::Type,
                    path: "payments".into(),
                    message: "expected an object of columns".into(),
                })
            }
        };
        let invoice_on = crate::day_column(input.get("invoice_on"), "invoice_on")?;
        let due_on = crate::day_column(input.get("due_on"), "due_on")?;
        let amount = crate::money_texts(input.get("amount"), "amount")?;
        let payment_on = crate::day_column(payments.get("on"), "payments.on")?;
        let payment_amount = crate::money_texts(payments.get("amount"), "payments.amount")?;
        let payment_batch = crmkit::wire::from_json(&json(payments.get("batch")), "payments.batch")?;
        let customer = match input.get("customer") {
            None | Some(Value::Null) => None,
            Some(v) => Some(crmkit::wire::from_json::<Vec<Option<String>>>(&v.to_string(), "customer")?),
        };
        let (customer, labels) = match customer {
            Some(names) => {
                let (codes, labels) = crate::first_seen_codes(names.iter().map(Option::as_deref), Vec::new());
                (Some(codes), labels)
            }
            None => (None, Vec::new()),
        };
        Ok(Self { customer, labels, invoice_on, due_on, amount, payment_batch, payment_on, payment_amount })
    }

    /// The amounts' digits read (after the policy, as the bindings read them).
    fn parse(self) -> crmkit::Result<Columns> {
        Ok(Columns {
            amount: crate::parse_texts(&self.amount, "amount")?,
            payment_amount: crate::parse_texts(&self.payment_amount, "payments.amount")?,
            customer: self.customer,
            labels: self.labels,
            invoice_on: self.invoice_on,
            due_on: self.due_on,
            payment_batch: self.payment_batch,
            payment_on: self.payment_on,
        })
    }
}

impl Columns {
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
    let raw = Raw::read(input)?;
    let policy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
    let columns = raw.parse()?;
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
    let raw = Raw::read(input)?;
    let policy: crmkit::commission::CollectionsPolicy = crmkit::wire::from_json_arg(&config.to_string(), "policy")?;
    let columns = raw.parse()?;
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
