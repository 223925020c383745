//! 统一社会信用代码 (unified social credit code, GB 32100-2015): 18 characters, the last a
//! check character; characters 9 to 17 are the organisation code (组织机构代码, GB 11714),
//! whose last is a check character of its own. A valid, equal code is the strongest evidence
//! two records are one legal entity; two valid, different codes are two entities whatever
//! their names say. A code either check refuses is no identifier at all: never an exact
//! match, never a "different entity".

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// The 31 characters a code uses (no I, O, S, V, Z), in value order.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weight of position i: 3^i mod 31.
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/// GB 11714 weights of the organisation code's eight characters (digits 0-9, letters A=10 to
/// Z=35); its check is 11 − (Σ mod 11), 10 written X and 11 written 0.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// A checked unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct CreditCode {
    /// The 18 characters, upper case, half-width, without spaces.
    pub code: String,
    /// 登记管理部门码 (9 = 工商 / market regulation).
    pub authority: String,
    /// 机构类别码 (1 = enterprise under 工商...).
    pub category: String,
    /// 登记管理机关行政区划码: the six-digit region code (110108 = 北京市海淀区).
    pub region_code: String,
    /// 主体标识码: the nine-character organisation code (组织机构代码) with its own check.
    pub organization_code: String,
}

/// Checks and normalises a unified social credit code.
///
/// # Errors
///
/// `missing_value` at `credit_code` when blank; `invalid_value` at `credit_code` when it is
/// not 18 characters of the code's alphabet, its check character is wrong, or the check
/// character of the organisation code inside it (character 17, GB 11714) is.
///
/// # Examples
///
/// ```
/// let c = crmkit::dedup::normalize_credit_code("９１１１ ０１０８ ５５１３ ８５０８２ｑ")?;
/// assert_eq!((c.code.as_str(), c.region_code.as_str()), ("91110108551385082Q", "110108"));
/// let e = crmkit::dedup::normalize_credit_code("91110108551385082A").unwrap_err();
/// assert_eq!((e.code(), e.path()), ("invalid_value", "credit_code"));
/// // The GB 32100 check holds, the organisation code's (551385083: should end in 2) does not.
/// let e = crmkit::dedup::normalize_credit_code("91110108551385083U").unwrap_err();
/// assert_eq!((e.code(), e.path()), ("invalid_value", "credit_code"));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn normalize_credit_code(code: &str) -> Result<CreditCode> {
    normalize_credit_code_at(code, "credit_code")
}

pub(crate) fn normalize_credit_code_at(code: &str, path: &str) -> Result<CreditCode> {
    let text: String = code.nfkc().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_ascii_uppercase();
    if text.is_empty() {
        return Err(Error::MissingValue { path: path.to_owned(), reason: "the credit code is blank".into() });
    }
    let bad = |why: String| Error::InvalidValue { path: path.to_owned(), reason: format!("{code:?}: {why}") };
    let values: Vec<u32> = text
        .bytes()
        .map(|b| ALPHABET.iter().position(|&a| a == b).map(|v| v as u32))
        .collect::<Option<_>>()
        .ok_or_else(|| bad("a credit code uses only 0-9 and A-Y without I, O, S, V, Z".into()))?;
    if values.len() != 18 {
        return Err(bad(format!("a credit code has 18 characters, not {}", values.len())));
    }
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    if values[17] != check {
        let want = char::from(ALPHABET[check as usize]);
        return Err(bad(format!("the check character should be {want}")));
    }
    if !text[2..8].bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("characters 3 to 8 are a six-digit region code".into()));
    }
    // Letters and digits are 0-35 in GB 11714 (I, O, S, V, Z never occur here).
    let org = |b: u8| if b.is_ascii_digit() { u32::from(b - b'0') } else { u32::from(b - b'A') + 10 };
    let sum: u32 = text.as_bytes()[8..16].iter().zip(ORG_WEIGHTS).map(|(&b, w)| org(b) * w).sum();
    let want = match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        c => b'0' + c as u8,
    };
    if text.as_bytes()[16] != want {
        return Err(bad(format!(
            "the organisation code {} (characters 9 to 17, GB 11714) should end in {}",
            &text[8..17],
            char::from(want)
        )));
    }
    Ok(CreditCode {
        authority: text[..1].to_owned(),
        category: text[1..2].to_owned(),
        region_code: text[2..8].to_owned(),
        organization_code: text[8..17].to_owned(),
        code: text,
    })
}
