//! Phone numbers to E.164, with the Chinese rules a CRM meets: +86 / 0086 / 86 prefixes,
//! the trunk 0, mobiles (11 digits from 13-19), landlines with their area code (010, 021,
//! 0755...), extensions (转 / ext / 分机 / #), and 400 / 800 numbers.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// What a number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    /// A Chinese mobile (1[3-9] + 9 digits).
    Mobile,
    /// A Chinese landline with its area code.
    Landline,
    /// A Chinese 400 / 800 number: shared by a whole company, weak evidence for a contact.
    TollFree,
    /// Any number outside mainland China, checked for length only.
    International,
}

/// A phone number in E.164 form.
///
/// # Examples
///
/// ```
/// let p = crmkit::dedup::normalize_phone("(0755) 8676-5432 转 8001", "86")?;
/// assert_eq!((p.e164.as_str(), p.area_code.as_deref(), p.extension.as_deref()), ("+8675586765432", Some("755"), Some("8001")));
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Phone {
    /// `+` and up to 15 digits, without the extension.
    pub e164: String,
    /// What it is.
    pub kind: PhoneKind,
    /// Country calling code (`86`).
    pub country_code: String,
    /// Chinese area code without the trunk 0 (`10`, `21`, `755`), for landlines.
    pub area_code: Option<String>,
    /// The extension (分机), digits only.
    pub extension: Option<String>,
}

/// Normalises a phone number to E.164. `default_country` is the calling code assumed when
/// the number carries none (`"86"`).
///
/// # Errors
///
/// `missing_value` at `phone` when it is blank; `invalid_value` at `phone` when it cannot be
/// read as a number (a landline without its area code, too few or too many digits, letters),
/// and at `default_country` when that is not 1 to 3 digits.
///
/// # Examples
///
/// ```
/// assert_eq!(crmkit::dedup::normalize_phone("0086 138-1234-5678", "86")?.e164, "+8613812345678");
/// assert_eq!(crmkit::dedup::normalize_phone("400-810-8888", "86")?.kind, crmkit::dedup::PhoneKind::TollFree);
/// let e = crmkit::dedup::normalize_phone("8676543", "86").unwrap_err();
/// assert_eq!((e.code(), e.path()), ("invalid_value", "phone"));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn normalize_phone(phone: &str, default_country: &str) -> Result<Phone> {
    normalize_phone_at(phone, default_country, "phone")
}

pub(crate) fn normalize_phone_at(phone: &str, default_country: &str, path: &str) -> Result<Phone> {
    let cc_ok = (1..=3).contains(&default_country.len()) && default_country.bytes().all(|b| b.is_ascii_digit());
    if !cc_ok || default_country.starts_with('0') {
        return Err(Error::InvalidValue {
            path: "default_country".into(),
            reason: format!("{default_country:?} is not a calling code (1 to 3 digits, e.g. \"86\")"),
        });
    }
    // ASCII is NFKC already (most phones are): no normalisation pass, no copy.
    let text: std::borrow::Cow<'_, str> =
        if phone.is_ascii() { std::borrow::Cow::Borrowed(phone) } else { phone.nfkc().collect::<String>().into() };
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::MissingValue { path: path.to_owned(), reason: "the phone number is blank".into() });
    }
    let bad = |why: &str| Error::InvalidValue { path: path.to_owned(), reason: format!("{phone:?}: {why}") };
    let (main, extension) = split_extension(text);
    let mut digits = String::with_capacity(main.len());
    let mut plus = false;
    for (i, c) in main.char_indices() {
        match c {
            '0'..='9' => digits.push(c),
            // A leading +, also in brackets: "(+86) 138 1234 5678" as forms and cards write it.
            '+' if !plus && main[..i].chars().all(|c| c.is_whitespace() || c == '(') => plus = true,
            ' ' | '-' | '(' | ')' | '.' | '/' | '\u{3000}' | '—' => {}
            _ => return Err(bad("not a phone number (unexpected characters)")),
        }
    }
    if let Some(ext) = &extension
        && (ext.is_empty() || ext.len() > 8)
    {
        return Err(bad("an extension has 1 to 8 digits"));
    }
    let international = if plus {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00").filter(|_| default_country != "1" || !digits.starts_with("011"))
    };
    let (country, national) = match international {
        Some(rest) if rest.starts_with("86") => ("86".to_owned(), rest[2..].to_owned()),
        Some(rest) => return international_number(rest, extension, &bad),
        None if default_country == "86" => {
            // 86 + a mobile, written without + or 00.
            if digits.len() == 13 && digits.starts_with("861") {
                ("86".to_owned(), digits[2..].to_owned())
            } else {
                ("86".to_owned(), digits.clone())
            }
        }
        None => {
            let national = digits.strip_prefix('0').unwrap_or(&digits);
            return international_number(&format!("{default_country}{national}"), extension, &bad);
        }
    };
    china_number(&country, &national, extension.as_deref(), &bad)
}

fn china_number(country: &str, national: &str, extension: Option<&str>, bad: &dyn Fn(&str) -> Error) -> Result<Phone> {
    // +86 0755...: the trunk 0 written after the country code all the same.
    let trunkless = national.strip_prefix('0').unwrap_or(national);
    let phone = |kind, area: Option<&str>, number: &str| Phone {
        e164: format!("+{country}{number}"),
        kind,
        country_code: country.to_owned(),
        area_code: area.map(str::to_owned),
        extension: extension.map(str::to_owned),
    };
    let first = trunkless.as_bytes().first().copied();
    if trunkless.len() == 11 && first == Some(b'1') && matches!(trunkless.as_bytes()[1], b'3'..=b'9') {
        return Ok(phone(PhoneKind::Mobile, None, trunkless));
    }
    if trunkless.len() == 10 && (trunkless.starts_with("400") || trunkless.starts_with("800")) {
        return Ok(phone(PhoneKind::TollFree, None, trunkless));
    }
    if national.starts_with('0') || national.len() >= 9 {
        // Area codes: 10 and 20-29 have two digits, every other has three.
        let area_len = if trunkless.starts_with("10") || trunkless.starts_with('2') { 2 } else { 3 };
        let subscriber = trunkless.get(area_len..).unwrap_or("");
        if (7..=8).contains(&subscriber.len()) && !subscriber.starts_with('0') && (area_len == 2 || first != Some(b'1'))
        {
            return Ok(phone(PhoneKind::Landline, Some(&trunkless[..area_len]), trunkless));
        }
        return Err(bad("not a Chinese mobile (11 digits from 13) or landline (area code + 7 or 8 digits)"));
    }
    Err(bad("a landline needs its area code (010, 021, 0755...)"))
}

fn international_number(digits: &str, extension: Option<String>, bad: &dyn Fn(&str) -> Error) -> Result<Phone> {
    // E.164 allows up to 15 digits; fewer than 8 cannot be a full international number.
    if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(bad("an international number has 8 to 15 digits after the country code's +"));
    }
    let cc_len = country_code_len(digits);
    Ok(Phone {
        e164: format!("+{digits}"),
        kind: PhoneKind::International,
        country_code: digits[..cc_len].to_owned(),
        area_code: None,
        extension,
    })
}

/// Length of the country calling code a number starts with (ITU-T E.164 assignments: 1 and
/// 7 alone, the two-digit codes listed, three digits otherwise).
fn country_code_len(digits: &str) -> usize {
    const TWO: &[&str] = &[
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49",
        "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66", "81", "82", "84",
        "86", "90", "91", "92", "93", "94", "95", "98",
    ];
    if digits.starts_with('1') || digits.starts_with('7') {
        1
    } else if TWO.iter().any(|c| digits.starts_with(c)) {
        2
    } else {
        3
    }
}

/// `(number, extension digits)`: the extension follows 转, 分机, ext, x or #.
fn split_extension(text: &str) -> (&str, Option<String>) {
    // Only the ASCII markers are lowered (ext, X): most numbers have no capital to lower.
    let lower: std::borrow::Cow<'_, str> =
        if text.bytes().any(|b| b.is_ascii_uppercase()) { text.to_ascii_lowercase().into() } else { text.into() };
    // Most numbers are digits and separators only, which no marker is: nine substring
    // searches per phone were a twentieth of a batch's reading.
    let plain = |b: u8| b.is_ascii_digit() || matches!(b, b' ' | b'+' | b'-' | b'(' | b')' | b'.' | b'/');
    let markers: &[&str] = if text.bytes().all(plain) {
        &[]
    } else {
        &["分机", "转", "extension", "ext.", "ext", "x", "#", ",", "，"]
    };
    for &marker in markers {
        if let Some(i) = lower.find(marker) {
            // ASCII lower-casing keeps byte offsets, so `i` is valid in `text` too.
            let ext: String = text[i + marker.len()..].chars().filter(char::is_ascii_digit).collect();
            let junk = text[i + marker.len()..]
                .chars()
                .any(|c| !(c.is_ascii_digit() || c.is_whitespace() || c == '.' || c == ':' || c == '-'));
            if junk {
                return (text, Some(String::new()));
            }
            return (&text[..i], Some(ext));
        }
    }
    // 010-12345678-123: a third dash-separated group after a full landline is an extension.
    if text.bytes().filter(|&b| b == b'-').count() != 2 {
        return (text, None);
    }
    let groups: Vec<&str> = text.split('-').map(str::trim).collect();
    if groups.len() == 3 && groups[0].starts_with('0') && groups[1].len() >= 7 && (1..=6).contains(&groups[2].len()) {
        let cut = text.rfind('-').unwrap_or(text.len());
        return (&text[..cut], Some(groups[2].to_owned()));
    }
    (text, None)
}
