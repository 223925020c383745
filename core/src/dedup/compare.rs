//! Comparators on Unicode code points (never UTF-8 bytes: one Chinese character substituted
//! is distance 1), each on the normalised values, each symmetric with a similarity in [0, 1].

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::company::{normalize_company_at, CompanyName};
use super::company_match::{match_companies, MatchReason, Reasons, Verdict};
use super::contact::{normalize_domain_at, normalize_email_at, normalize_person_at, Domain, Email, PersonName};
use super::packed::{Prepared, ValueRef};
use super::phone::{normalize_phone_at, Phone};
use super::text::{fold, is_han, non_blank};
use super::uscc::{normalize_credit_code_at, CreditCode};
use crate::error::{Error, Result};

/// A comparator, as data: `{"type": "jaro_winkler"}`, `{"type": "numeric", "tolerance": "5"}`.
///
/// Read strictly (`comparator_de.rs`): an option the type does not take (`{"type": "exact",
/// "tolerance": "5"}`) or any other key is `unknown_field` at its own path
/// (`fields[0].comparator.tolerance`), whatever the order of the keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Comparator {
    /// Equal after folding (NFKC, simplified, lower case, trimmed): 1 or 0.
    Exact,
    /// Jaro-Winkler (prefix scale 0.1, up to 4 characters) on the folded text.
    JaroWinkler,
    /// 1 − Levenshtein distance / the longer length, on the folded text.
    Levenshtein,
    /// Token-set ratio: words (Latin) and single characters (Han) as tokens; the shared
    /// tokens compared with each side's whole, the best of the three Levenshtein ratios.
    TokenSet,
    /// Numbers within `tolerance` (a decimal string ≥ 0): 1 − |a − b| / (2 × tolerance), so
    /// 0.5 at the tolerance, 0 at twice it; with tolerance 0, 1 when equal else 0.
    Numeric {
        /// The tolerance, ≥ 0.
        #[serde(with = "crate::wire::decimal")]
        #[cfg_attr(feature = "typescript", tsify(type = "Decimal"))]
        tolerance: Decimal,
    },
    /// `YYYY-MM-DD` dates within `tolerance_days`, scored as `numeric`.
    Date {
        /// The tolerance in days.
        tolerance_days: u32,
    },
    /// Company names by their parts, with a verdict (DUPLICATE / RELATED / DISTINCT).
    CompanyName,
    /// Phone numbers by E.164: 1 equal, 0.8 equal but for the extension, else 0.
    Phone {
        /// Calling code of numbers written without one (default `86`).
        #[serde(default = "china")]
        default_country: String,
    },
    /// E-mail addresses: 1 same mailbox (canonical), 0.5 same company domain (not free mail), else 0.
    Email,
    /// Person names: 1 equal, 0.95 same words reordered or the same pinyin, else Jaro-Winkler.
    PersonName,
    /// Web domains: 1 same registrable domain, else 0.
    Domain,
    /// Unified social credit codes (checked): 1 equal, else 0.
    CreditCode,
}

pub(crate) fn china() -> String {
    "86".to_owned()
}

/// The comparison of two values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct ValueComparison {
    /// Similarity in [0, 1], rounded to 4 decimals.
    pub similarity: f64,
    /// The values compared, normalised.
    pub left: String,
    /// The values compared, normalised.
    pub right: String,
    /// For company names: DUPLICATE, RELATED or DISTINCT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// The evidence, in order.
    pub reasons: Vec<MatchReason>,
    /// For company names: both parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<[CompanyName; 2]>,
}

/// Compares two values with a comparator.
///
/// # Errors
///
/// `missing_value` at `a` or `b` when blank; the normaliser's `invalid_value` at `a` / `b`
/// (a phone, e-mail, domain or credit code that cannot be read); `invalid_decimal` /
/// `invalid_date` for numeric / date comparators; `out_of_range` at `comparator.tolerance`
/// when negative.
///
/// # Examples
///
/// ```
/// use crmkit::dedup::{compare, Comparator, Verdict};
///
/// let c = compare(&Comparator::CompanyName, "北京字节跳动科技有限公司", "字节跳动（北京）科技有限公司")?;
/// assert_eq!(c.verdict, Some(Verdict::Duplicate));
/// let c = compare(&Comparator::CompanyName, "北京字节跳动科技有限公司", "北京字节跳动科技有限公司上海分公司")?;
/// assert_eq!(c.verdict, Some(Verdict::Related));
/// let c = compare(&Comparator::Levenshtein, "仁科", "仁和")?;
/// assert_eq!(c.similarity, 0.5); // one code point of two, not three UTF-8 bytes
/// # Ok::<(), crmkit::Error>(())
/// ```
#[allow(clippy::many_single_char_names)] // a and b as the docs name them
pub fn compare(comparator: &Comparator, a: &str, b: &str) -> Result<ValueComparison> {
    comparator.validate("comparator")?;
    let (va, vb) = (prepare(comparator, a, "a")?, prepare(comparator, b, "b")?);
    // Compared as the batch and the index compare: packed, read back as borrowed parts.
    let (pa, pb) = (Prepared::pack(&[Some(va.clone())]), Prepared::pack(&[Some(vb.clone())]));
    let (Some(ra), Some(rb)) = (pa.get(0), pb.get(0)) else { unreachable!("one packed value each") };
    let r = compare_values(comparator, ra, rb)?;
    let parts = match (va, vb) {
        (Value::Company(x), Value::Company(y)) => Some([*x, *y]),
        _ => None,
    };
    let (left, right) = match &parts {
        Some([x, y]) => (x.normalized.clone(), y.normalized.clone()),
        None => (display(ra), display(rb)),
    };
    Ok(ValueComparison {
        similarity: round4(r.similarity),
        left,
        right,
        verdict: r.verdict,
        reasons: r.reasons.as_slice().to_vec(),
        parts,
    })
}

impl Comparator {
    /// `out_of_range` at `{path}.tolerance` for a negative tolerance; `invalid_value` at
    /// `{path}.default_country` for a calling code that is not 1 to 3 digits.
    pub(crate) fn validate(&self, path: &str) -> Result<()> {
        match self {
            Self::Numeric { tolerance } if tolerance.is_sign_negative() && !tolerance.is_zero() => {
                Err(Error::out_of_range(format!("{path}.tolerance"), tolerance, 0, "inf"))
            }
            Self::Phone { default_country } => {
                let ok = (1..=3).contains(&default_country.len())
                    && default_country.bytes().all(|b| b.is_ascii_digit())
                    && !default_country.starts_with('0');
                if ok {
                    Ok(())
                } else {
                    Err(Error::InvalidValue {
                        path: format!("{path}.default_country"),
                        reason: format!("{default_country:?} is not a calling code (1 to 3 digits)"),
                    })
                }
            }
            _ => Ok(()),
        }
    }
}

/// A value read once by its comparator's normaliser, ready to be compared many times.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Text(String),
    Number(Decimal),
    Date(NaiveDate),
    Company(Box<CompanyName>),
    Phone(Phone),
    Email(Email),
    Person(PersonName),
    Domain(Domain),
    Credit(CreditCode),
}

/// Most characters (code points) in one value a comparator reads (declared limit: README
/// Limits table). Names, phones and addresses are far shorter; the parsers and edit
/// distances are linear to quadratic in the length, so a pasted document is refused.
pub const MAX_VALUE_CHARS: u64 = 1_000;

/// Reads `raw` for `comparator`; `path` names it in errors.
pub(crate) fn prepare(comparator: &Comparator, raw: &str, path: &str) -> Result<Value> {
    let text = non_blank(raw)
        .ok_or_else(|| Error::MissingValue { path: path.to_owned(), reason: "the value is blank".into() })?;
    // Bytes bound code points from above: count only when the bytes could be too many.
    if text.len() as u64 > MAX_VALUE_CHARS {
        crate::limits::check(path, text.chars().count(), MAX_VALUE_CHARS, "characters")?;
    }
    Ok(match comparator {
        Comparator::Exact | Comparator::JaroWinkler | Comparator::Levenshtein | Comparator::TokenSet => {
            Value::Text(fold(text))
        }
        Comparator::Numeric { .. } => Value::Number(crate::wire::parse_decimal(text, path)?),
        Comparator::Date { .. } => Value::Date(crate::wire::parse_date(text, path)?),
        Comparator::CompanyName => Value::Company(Box::new(normalize_company_at(text, path)?)),
        Comparator::Phone { default_country } => Value::Phone(normalize_phone_at(text, default_country, path)?),
        Comparator::Email => Value::Email(normalize_email_at(text, path)?),
        Comparator::PersonName => Value::Person(normalize_person_at(text, path)?),
        Comparator::Domain => Value::Domain(normalize_domain_at(text, path)?),
        Comparator::CreditCode => Value::Credit(normalize_credit_code_at(text, path)?),
    })
}

/// [`prepare`] with the path written only for an error: reading a table, most values are
/// fine, and a path per cell would be an allocation per cell.
pub(crate) fn prepare_at(comparator: &Comparator, raw: &str, path: impl FnOnce() -> String) -> Result<Value> {
    // The same reading again for the error, now with its path (errors are rare).
    prepare(comparator, raw, "").or_else(|_| prepare(comparator, raw, &path()))
}

/// The normalised form of a value, as explanations show it.
pub(crate) fn display(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Text(t) => t.to_owned(),
        ValueRef::Number(n) => n.to_string(),
        ValueRef::Date(d) => day(d),
        ValueRef::Company(c) => c.normalized.to_owned(),
        ValueRef::Phone { e164, extension } => match extension {
            Some(x) => format!("{e164};ext={x}"),
            None => e164.to_owned(),
        },
        ValueRef::Email { canonical, .. } => canonical.to_owned(),
        ValueRef::Person { normalized, .. } => normalized.to_owned(),
        ValueRef::Domain { domain, .. } => domain.to_owned(),
        ValueRef::Credit { code } => code.to_owned(),
    }
}

/// Whether [`display`] of `v` once packed would be `text`, mostly without building it.
pub(crate) fn value_shows(v: &Value, text: &str) -> bool {
    match v {
        Value::Text(t) => t == text,
        Value::Company(c) => c.normalized == text,
        Value::Phone(p) if p.extension.is_none() => p.e164 == text,
        Value::Email(e) => e.canonical == text,
        Value::Person(p) => p.normalized == text,
        Value::Domain(d) => d.domain == text,
        Value::Credit(c) => c.code == text,
        other => display_value(other) == text,
    }
}

/// [`display`] of an unpacked value.
pub(crate) fn display_value(v: &Value) -> String {
    match v {
        Value::Text(t) => t.clone(),
        Value::Number(n) => n.to_string(),
        Value::Date(d) => day(*d),
        Value::Company(c) => c.normalized.clone(),
        Value::Phone(p) => match &p.extension {
            Some(x) => format!("{};ext={x}", p.e164),
            None => p.e164.clone(),
        },
        Value::Email(e) => e.canonical.clone(),
        Value::Person(p) => p.normalized.clone(),
        Value::Domain(d) => d.domain.clone(),
        Value::Credit(c) => c.code.clone(),
    }
}

/// The outcome of one field's comparison (plain data: comparing allocates nothing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FieldResult {
    pub similarity: f64,
    pub verdict: Option<Verdict>,
    pub reasons: Reasons,
}

/// Compares two prepared values of one comparator.
#[allow(clippy::many_single_char_names)] // x and y: the two sides of every arm
pub(crate) fn compare_values(comparator: &Comparator, a: ValueRef<'_>, b: ValueRef<'_>) -> Result<FieldResult> {
    let plain = |sim: f64, equal: bool| FieldResult {
        similarity: sim,
        verdict: None,
        reasons: Reasons::one(if equal { MatchReason::Equal } else { MatchReason::Differs }),
    };
    Ok(match (comparator, a, b) {
        (Comparator::Exact, ValueRef::Text(x), ValueRef::Text(y)) => plain(if x == y { 1.0 } else { 0.0 }, x == y),
        (Comparator::JaroWinkler, ValueRef::Text(x), ValueRef::Text(y)) => plain(jaro_winkler(x, y), x == y),
        (Comparator::Levenshtein, ValueRef::Text(x), ValueRef::Text(y)) => {
            let (cx, cy): (Vec<char>, Vec<char>) = (x.chars().collect(), y.chars().collect());
            plain(levenshtein_ratio(&cx, &cy), x == y)
        }
        (Comparator::TokenSet, ValueRef::Text(x), ValueRef::Text(y)) => plain(token_set(x, y), x == y),
        (Comparator::Numeric { tolerance }, ValueRef::Number(x), ValueRef::Number(y)) => {
            let diff = x.checked_sub(y).ok_or_else(|| Error::overflow("b"))?.abs();
            tolerance_result(decimal_ratio(diff, *tolerance)?)
        }
        (Comparator::Date { tolerance_days }, ValueRef::Date(x), ValueRef::Date(y)) => {
            let diff = Decimal::from((x - y).num_days().abs());
            tolerance_result(decimal_ratio(diff, Decimal::from(*tolerance_days))?)
        }
        (Comparator::CompanyName, ValueRef::Company(x), ValueRef::Company(y)) => {
            let m = match_companies(&x, &y);
            FieldResult { similarity: m.similarity, verdict: Some(m.verdict), reasons: m.reasons }
        }
        (
            Comparator::Phone { .. },
            ValueRef::Phone { e164: x, extension: xe },
            ValueRef::Phone { e164: y, extension: ye },
        ) => {
            let (sim, reason) = match (x == y, xe == ye) {
                (true, true) => (1.0, MatchReason::Equal),
                (true, false) => (0.8, MatchReason::ExtensionDiffers),
                _ => (0.0, MatchReason::Differs),
            };
            FieldResult { similarity: sim, verdict: None, reasons: Reasons::one(reason) }
        }
        (
            Comparator::Email,
            ValueRef::Email { canonical: x, domain: xd, free_mail },
            ValueRef::Email { canonical: y, domain: yd, .. },
        ) => {
            let (sim, reasons) = if x == y {
                (1.0, Reasons::one(MatchReason::Equal))
            } else if xd == yd && free_mail {
                (0.0, Reasons::two(MatchReason::Differs, MatchReason::FreeMailDomain))
            } else if xd == yd {
                (0.5, Reasons::one(MatchReason::SameDomain))
            } else {
                (0.0, Reasons::one(MatchReason::Differs))
            };
            FieldResult { similarity: sim, verdict: None, reasons }
        }
        (
            Comparator::PersonName,
            ValueRef::Person { normalized: x, key: xk },
            ValueRef::Person { normalized: y, key: yk },
        ) => {
            let (sim, reason) = if x == y {
                (1.0, MatchReason::Equal)
            } else if xk == yk {
                (0.95, MatchReason::NameReordered)
            } else {
                (jaro_winkler(x, y), MatchReason::Differs)
            };
            FieldResult { similarity: sim, verdict: None, reasons: Reasons::one(reason) }
        }
        (Comparator::Domain, ValueRef::Domain { domain: x, .. }, ValueRef::Domain { domain: y, .. })
        | (Comparator::CreditCode, ValueRef::Credit { code: x }, ValueRef::Credit { code: y }) => {
            plain(if x == y { 1.0 } else { 0.0 }, x == y)
        }
        // Values are always prepared by the comparator that compares them.
        _ => plain(0.0, false),
    })
}

fn tolerance_result((sim, within): (f64, bool)) -> FieldResult {
    let reason = if within { MatchReason::WithinTolerance } else { MatchReason::OutsideTolerance };
    FieldResult { similarity: sim, verdict: None, reasons: Reasons::one(reason) }
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// `(1 − diff / (2 × tolerance) floored at 0, diff ≤ tolerance)`.
fn decimal_ratio(diff: Decimal, tolerance: Decimal) -> Result<(f64, bool)> {
    let within = diff <= tolerance;
    if tolerance.is_zero() {
        return Ok((if diff.is_zero() { 1.0 } else { 0.0 }, within));
    }
    let twice = tolerance.checked_mul(Decimal::TWO).ok_or_else(|| Error::overflow("comparator.tolerance"))?;
    if diff >= twice {
        return Ok((0.0, within));
    }
    // diff < twice, so the quotient is in [0, 1) and cannot overflow.
    let q = diff.checked_div(twice).unwrap_or(Decimal::ONE);
    let q: f64 = q.to_string().parse().unwrap_or(1.0);
    Ok((1.0 - q, within))
}

/// Rounded to 4 decimals for output (decisions use the unrounded value).
pub(crate) fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Jaro-Winkler on code points, made symmetric (the greedy match of the Jaro step can
/// depend on the order of its arguments).
pub(crate) fn jaro_winkler(a: &str, b: &str) -> f64 {
    strsim::jaro_winkler(a, b).max(strsim::jaro_winkler(b, a)).clamp(0.0, 1.0)
}

/// 1 − Levenshtein distance / the longer length, on code points; 1 for two empty values.
pub(crate) fn levenshtein_ratio(a: &[char], b: &[char]) -> f64 {
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    1.0 - levenshtein(a, b) as f64 / longest as f64
}

/// Levenshtein distance on code points, one row of memory.
pub(crate) fn levenshtein(a: &[char], b: &[char]) -> usize {
    // On the stack for up to 32 characters: the company comparator scores every pair whose
    // 字号 differ by it, millions in a batch.
    let (mut stack, mut heap) = ([0usize; 33], Vec::new());
    let row: &mut [usize] = if b.len() < 33 {
        &mut stack[..=b.len()]
    } else {
        heap.resize(b.len() + 1, 0);
        &mut heap
    };
    for (j, v) in row.iter_mut().enumerate() {
        *v = j;
    }
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1).min(row[j] + 1).min(diagonal + usize::from(ca != cb));
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Tokens: Latin / digit words, and each Han character on its own (Chinese has no spaces).
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if is_han(c) {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            out.push(c.to_string());
        } else if c.is_alphanumeric() {
            word.push(c);
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The token-set ratio (as fuzzywuzzy / rapidfuzz define it, with the Levenshtein ratio
/// above): 1 when one side's tokens are all among the other's.
pub(crate) fn token_set(a: &str, b: &str) -> f64 {
    let mut ta = tokens(a);
    let mut tb = tokens(b);
    ta.sort_unstable();
    ta.dedup();
    tb.sort_unstable();
    tb.dedup();
    if ta.is_empty() || tb.is_empty() {
        return if ta == tb { 1.0 } else { 0.0 };
    }
    let common: Vec<&String> = ta.iter().filter(|t| tb.contains(t)).collect();
    let only_a: Vec<&String> = ta.iter().filter(|t| !tb.contains(t)).collect();
    let only_b: Vec<&String> = tb.iter().filter(|t| !ta.contains(t)).collect();
    let join = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
    let base = join(&common);
    let with = |rest: &[&String]| {
        let r = join(rest);
        match (base.is_empty(), r.is_empty()) {
            (true, _) => r,
            (_, true) => base.clone(),
            _ => format!("{base} {r}"),
        }
    };
    let (sa, sb) = (with(&only_a), with(&only_b));
    let chars = |s: &str| s.chars().collect::<Vec<char>>();
    let mut best = levenshtein_ratio(&chars(&sa), &chars(&sb));
    if !base.is_empty() {
        best =
            best.max(levenshtein_ratio(&chars(&base), &chars(&sa))).max(levenshtein_ratio(&chars(&base), &chars(&sb)));
    }
    best
}
