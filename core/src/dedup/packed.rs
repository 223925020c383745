//! A record's prepared values packed into one string, and borrowed views of them.
//!
//! An index of a million records used to keep every record's values as the public
//! `CompanyName` / `Phone` / `Email` structs: some 25 small allocations and 1.2 KB a record.
//! Here a record's values are one `Box<str>`: per field a tag, its byte length, then its
//! parts, each string behind its byte length written as one `char` below U+8000 (one byte
//! while the length is under 128; a longer length as U+8000 and two such `char`s).
//! Comparators read them back as [`ValueRef`]s that borrow from it: reading allocates nothing.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::company::{CompanyName, Script};
use super::compare::Value;
use super::words::FormClass;

/// The prepared values of one record, packed (see the module's docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prepared {
    data: Box<str>,
    fields: u16,
}

/// A company name's parts, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CompanyRef<'a> {
    pub normalized: &'a str,
    pub script: Script,
    /// The region levels, packed: read them with [`CompanyRef::regions`].
    regions: &'a str,
    pub brand: &'a str,
    pub industry: Option<&'a str>,
    pub legal_form: Option<&'a str>,
    pub form_class: Option<FormClass>,
    pub group: bool,
    pub branch: Option<&'a str>,
    pub pinyin: Option<&'a str>,
}

/// A prepared value, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ValueRef<'a> {
    Text(&'a str),
    Number(Decimal),
    Date(NaiveDate),
    Company(CompanyRef<'a>),
    Phone { e164: &'a str, extension: Option<&'a str> },
    Email { canonical: &'a str, domain: &'a str, free_mail: bool },
    Person { normalized: &'a str, key: &'a str },
    Domain { domain: &'a str, free_mail: bool },
    Credit { code: &'a str },
}

const FORMS: [FormClass; 6] = [
    FormClass::Limited,
    FormClass::JointStock,
    FormClass::Corporation,
    FormClass::Partnership,
    FormClass::SoleProprietorship,
    FormClass::Unspecified,
];

/// Writes a length: one char below U+8000 (one byte below 128, as most are), or U+8000
/// then two chars below U+8000 for a longer one.
fn push_len(out: &mut String, n: usize) {
    let n = u32::try_from(n).unwrap_or(u32::MAX).min((1 << 30) - 1);
    if n < LONG {
        out.push(char::from_u32(n).unwrap_or('\0'));
        return;
    }
    out.push(char::from_u32(LONG).unwrap_or('\0'));
    out.push(char::from_u32(n >> 15).unwrap_or('\0'));
    out.push(char::from_u32(n & 0x7FFF).unwrap_or('\0'));
}

/// The char before a length of two chars (lengths below it are one char).
const LONG: u32 = 0x8000;

fn push_str(out: &mut String, s: &str) {
    push_len(out, s.len());
    out.push_str(s);
}

/// `None` as length 0, `Some(s)` as length `len + 1`.
fn push_opt(out: &mut String, s: Option<&str>) {
    match s {
        None => push_len(out, 0),
        Some(s) => {
            push_len(out, s.len() + 1);
            out.push_str(s);
        }
    }
}

fn push_flag(out: &mut String, b: bool) {
    out.push(if b { '1' } else { '0' });
}

/// Appends one field's value to `out`.
fn push_value(out: &mut String, body: &mut String, v: Option<&Value>) {
    let Some(v) = v else {
        out.push('-');
        return;
    };
    body.clear();
    let body = &mut *body;
    let tag = match v {
        Value::Text(t) => {
            push_str(body, t);
            'T'
        }
        Value::Number(n) => {
            push_str(body, &n.to_string());
            'N'
        }
        Value::Date(d) => {
            push_str(body, &d.format("%Y-%m-%d").to_string());
            'D'
        }
        Value::Company(c) => {
            push_company(body, c);
            'C'
        }
        Value::Phone(p) => {
            push_str(body, &p.e164);
            push_opt(body, p.extension.as_deref());
            'P'
        }
        Value::Email(e) => {
            push_str(body, &e.canonical);
            push_str(body, &e.domain);
            push_flag(body, e.free_mail);
            'E'
        }
        Value::Person(p) => {
            push_str(body, &p.normalized);
            push_str(body, &p.key);
            'H'
        }
        Value::Domain(d) => {
            push_str(body, &d.domain);
            push_flag(body, d.free_mail);
            'W'
        }
        Value::Credit(c) => {
            push_str(body, &c.code);
            'U'
        }
    };
    out.push(tag);
    push_str(out, body);
}

fn push_company(out: &mut String, c: &CompanyName) {
    push_str(out, &c.normalized);
    push_flag(out, c.script == Script::Zh);
    let mut regions = String::new();
    for r in &c.region {
        push_str(&mut regions, r);
    }
    push_str(out, &regions);
    push_str(out, &c.brand);
    push_opt(out, c.industry.as_deref());
    push_opt(out, c.legal_form.as_deref());
    out.push(match c.form_class {
        None => '-',
        Some(f) => char::from(b'0' + FORMS.iter().position(|x| *x == f).unwrap_or(5) as u8),
    });
    push_flag(out, c.group);
    push_opt(out, c.branch.as_deref());
    push_opt(out, c.pinyin.as_deref());
}

/// Reads what the `push_*` functions wrote. Data that is not such (it cannot be: only this
/// module writes it) reads as empty strings rather than a panic.
#[derive(Clone, Copy)]
struct Reader<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    #[inline]
    fn char(&mut self) -> char {
        // Tags, flags and lengths under 128 are ASCII: one byte, read without decoding (a
        // batch reads two records' values for every candidate pair).
        if let Some(&b) = self.s.as_bytes().get(self.at)
            && b.is_ascii()
        {
            self.at += 1;
            return char::from(b);
        }
        let c = self.s.get(self.at..).and_then(|r| r.chars().next()).unwrap_or('\0');
        self.at += c.len_utf8();
        c
    }

    #[inline]
    fn len(&mut self) -> usize {
        let n = self.char() as u32;
        if n < LONG {
            return n as usize;
        }
        let hi = self.char() as usize;
        let lo = self.char() as usize;
        (hi << 15) | lo
    }

    #[inline]
    fn take(&mut self, n: usize) -> &'a str {
        let out = self.s.get(self.at..self.at + n).unwrap_or("");
        self.at += n;
        out
    }

    #[inline]
    fn str(&mut self) -> &'a str {
        let n = self.len();
        self.take(n)
    }

    #[inline]
    fn opt(&mut self) -> Option<&'a str> {
        match self.len() {
            0 => None,
            n => Some(self.take(n - 1)),
        }
    }

    #[inline]
    fn flag(&mut self) -> bool {
        self.char() == '1'
    }
}

impl Prepared {
    /// Packs a record's values (one per policy field).
    pub(crate) fn pack(values: &[Option<Value>]) -> Self {
        Self::pack_with(values, std::iter::empty(), &mut (String::new(), String::new()))
    }

    /// The fields' values in policy order, into `out` (cleared first).
    pub(crate) fn read_into<'p>(&'p self, out: &mut Vec<Option<ValueRef<'p>>>) {
        out.clear();
        out.extend(self.iter());
    }

    /// Number of fields.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        usize::from(self.fields)
    }

    /// The fields' values in policy order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Option<ValueRef<'_>>> + '_ {
        let mut r = Reader { s: &self.data, at: 0 };
        (0..self.fields).map(move |_| read_value(&mut r))
    }

    /// The value of field `i` (`None` when blank or unreadable).
    pub(crate) fn get(&self, i: usize) -> Option<ValueRef<'_>> {
        let mut r = Reader { s: &self.data, at: 0 };
        for _ in 0..i {
            if r.char() != '-' {
                let n = r.len();
                r.at += n;
            }
        }
        read_value(&mut r)
    }

    /// Number of fields with a value (their tags read, not their values).
    pub(crate) fn filled(&self) -> usize {
        let mut r = Reader { s: &self.data, at: 0 };
        (0..self.fields)
            .filter(|_| {
                let blank = r.char() == '-';
                if !blank {
                    let n = r.len();
                    r.at += n;
                }
                !blank
            })
            .count()
    }

    /// The values packed with strings after them, in the same allocation (an index keeps a
    /// record's id, owner and raw values there: one allocation a record). `scratch` is
    /// reused from record to record; the result is allocated once, at its size.
    pub(crate) fn pack_with<'s>(
        values: &[Option<Value>],
        extras: impl IntoIterator<Item = Option<&'s str>>,
        scratch: &mut (String, String),
    ) -> Self {
        let (out, body) = scratch;
        out.clear();
        for v in values {
            push_value(out, body, v.as_ref());
        }
        for s in extras {
            push_opt(out, s);
        }
        Self { data: Box::from(out.as_str()), fields: u16::try_from(values.len()).unwrap_or(u16::MAX) }
    }

    /// The strings [`Prepared::with_extras`] added, in order.
    pub(crate) fn extras(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        let mut r = Reader { s: &self.data, at: 0 };
        for _ in 0..self.fields {
            if r.char() != '-' {
                let n = r.len();
                r.at += n;
            }
        }
        std::iter::from_fn(move || (r.at < r.s.len()).then(|| r.opt()))
    }
}

fn read_value<'a>(r: &mut Reader<'a>) -> Option<ValueRef<'a>> {
    let tag = r.char();
    if tag == '-' {
        return None;
    }
    let mut b = Reader { s: r.str(), at: 0 };
    Some(match tag {
        'N' => ValueRef::Number(b.str().parse().unwrap_or_default()),
        'D' => ValueRef::Date(NaiveDate::parse_from_str(b.str(), "%Y-%m-%d").unwrap_or_default()),
        'C' => ValueRef::Company(read_company(&mut b)),
        'P' => ValueRef::Phone { e164: b.str(), extension: b.opt() },
        'E' => ValueRef::Email { canonical: b.str(), domain: b.str(), free_mail: b.flag() },
        'H' => ValueRef::Person { normalized: b.str(), key: b.str() },
        'W' => ValueRef::Domain { domain: b.str(), free_mail: b.flag() },
        'U' => ValueRef::Credit { code: b.str() },
        _ => ValueRef::Text(b.str()),
    })
}

#[inline]
fn read_company<'a>(b: &mut Reader<'a>) -> CompanyRef<'a> {
    let normalized = b.str();
    let script = if b.flag() { Script::Zh } else { Script::Latin };
    let regions = b.str();
    let brand = b.str();
    let industry = b.opt();
    let legal_form = b.opt();
    let form_class = match b.char() {
        c @ '0'..='5' => Some(FORMS[c as usize - '0' as usize]),
        _ => None,
    };
    let group = b.flag();
    let branch = b.opt();
    let pinyin = b.opt();
    CompanyRef { normalized, script, regions, brand, industry, legal_form, form_class, group, branch, pinyin }
}

impl<'a> CompanyRef<'a> {
    /// The region levels, in order.
    pub(crate) fn regions(&self) -> impl Iterator<Item = &'a str> + Clone + use<'a> {
        let mut r = Reader { s: self.regions, at: 0 };
        std::iter::from_fn(move || (r.at < r.s.len()).then(|| r.str()))
    }

    /// Whether it names no region.
    pub(crate) fn no_region(&self) -> bool {
        self.regions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::compare::{prepare, Comparator};

    #[test]
    fn values_read_back_as_written() {
        let comparators = [
            (Comparator::CompanyName, "字节跳动（北京）科技有限公司上海分公司"),
            (Comparator::CompanyName, "ACME Holdings Co., Ltd."),
            (Comparator::Phone { default_country: "86".into() }, "(0755) 8676-5432 转 8001"),
            (Comparator::Email, "Zhang.Wei+x@Gmail.com"),
            (Comparator::PersonName, "张伟"),
            (Comparator::Domain, "www.bytedance.com"),
            (Comparator::CreditCode, "91110108551385082Q"),
            (Comparator::Numeric { tolerance: Decimal::ONE }, "12.50"),
            (Comparator::Date { tolerance_days: 3 }, "2026-11-30"),
            (Comparator::Exact, "Ｈello"),
        ];
        let values: Vec<Option<Value>> =
            comparators.iter().flat_map(|(c, raw)| [Some(prepare(c, raw, "x").expect("value")), None]).collect();
        let p = Prepared::pack(&values);
        assert_eq!(p.len(), values.len());
        for (i, v) in values.iter().enumerate() {
            let got = p.get(i);
            assert_eq!(got.is_some(), v.is_some(), "field {i}");
            if let (Some(v), Some(got)) = (v, got) {
                assert_eq!(super::super::compare::display(got), super::super::compare::display_value(v), "field {i}");
            }
        }
        let Some(ValueRef::Company(c)) = p.get(0) else { panic!("company") };
        let name = crate::dedup::normalize_company("字节跳动（北京）科技有限公司上海分公司").expect("name");
        assert_eq!(c.regions().collect::<Vec<_>>(), name.region.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(
            (c.brand, c.industry, c.branch, c.pinyin),
            (name.brand.as_str(), name.industry.as_deref(), name.branch.as_deref(), name.pinyin.as_deref())
        );
        assert_eq!((c.form_class, c.group, c.script), (name.form_class, name.group, name.script));
        assert_eq!(p.iter().count(), values.len());
    }

    /// Lengths of one byte, of one wider char and of three chars (U+8000 and two) read back.
    #[test]
    fn strings_of_every_length_read_back() {
        let texts: Vec<String> = [0, 1, 127, 128, 0x7FFF, 0x8000, 40_000].iter().map(|&n| "a".repeat(n)).collect();
        let company = prepare(&Comparator::CompanyName, "北京字节跳动科技有限公司", "x").expect("value");
        let p = Prepared::pack_with(
            &[Some(company), None],
            texts.iter().map(|t| Some(t.as_str())).chain([None, Some("é")]),
            &mut (String::new(), String::new()),
        );
        let extras: Vec<Option<&str>> = p.extras().collect();
        let expected: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).chain([None, Some("é")]).collect();
        assert_eq!(extras, expected);
        let Some(ValueRef::Company(c)) = p.get(0) else { panic!("company") };
        assert_eq!(c.brand, "字节跳动");
        assert_eq!(p.get(1), None);
    }
}
