//! E-mail addresses, web domains and person names.

use serde::{Deserialize, Serialize};

use super::text::{fold, fold_latin, has_han, is_han, non_blank};
use crate::error::{Error, Result};

/// Free-mail providers: a shared domain there says nothing about the company (Odoo's list for
/// China plus the international ones).
const FREE_MAIL: &[&str] = &[
    "126.com",
    "139.com",
    "163.com",
    "189.cn",
    "21cn.com",
    "aliyun.com",
    "aol.com",
    "foxmail.com",
    "gmail.com",
    "gmx.com",
    "gmx.de",
    "googlemail.com",
    "hotmail.com",
    "icloud.com",
    "live.cn",
    "live.com",
    "mail.ru",
    "me.com",
    "msn.com",
    "outlook.com",
    "proton.me",
    "protonmail.com",
    "qq.com",
    "sina.cn",
    "sina.com",
    "sohu.com",
    "tom.com",
    "vip.163.com",
    "vip.qq.com",
    "vip.sina.com",
    "yahoo.com",
    "yandex.ru",
    "yeah.net",
];

/// Second-level labels under which a registrable domain has three labels (example.com.cn).
const SECOND_LEVEL: &[&str] = &["com", "net", "org", "gov", "edu", "co", "ac", "or", "ne", "go"];

/// Local parts that name a role, not a person (info@, sales@): weak evidence for a contact.
const ROLE_LOCALS: &[&str] = &[
    "admin",
    "contact",
    "hello",
    "hr",
    "info",
    "marketing",
    "noreply",
    "office",
    "sales",
    "service",
    "support",
    "webmaster",
];

/// An e-mail address, normalised.
///
/// # Examples
///
/// ```
/// let e = crmkit::dedup::normalize_email("  Zhang.Wei+crm@GMAIL.com ")?;
/// assert_eq!((e.email.as_str(), e.canonical.as_str(), e.free_mail), ("zhang.wei+crm@gmail.com", "zhangwei@gmail.com", true));
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Email {
    /// Trimmed, NFKC, lower case.
    pub email: String,
    /// With the provider's own rules applied: Gmail ignores dots and `+tags`, Outlook and
    /// iCloud `+tags`. The key two addresses of one mailbox share.
    pub canonical: String,
    /// The part before `@`.
    pub local: String,
    /// The domain.
    pub domain: String,
    /// The domain is a free-mail provider (qq.com, 163.com, gmail.com...).
    pub free_mail: bool,
    /// The local part names a role (info@, sales@), not a person.
    pub role: bool,
}

/// Normalises an e-mail address.
///
/// # Errors
///
/// `missing_value` at `email` when blank; `invalid_value` at `email` without exactly one `@`,
/// with an empty local part, or with a domain that is not dot-separated labels.
///
/// # Examples
///
/// ```
/// let e = crmkit::dedup::normalize_email("zhang@").unwrap_err();
/// assert_eq!((e.code(), e.path()), ("invalid_value", "email"));
/// ```
pub fn normalize_email(email: &str) -> Result<Email> {
    normalize_email_at(email, "email")
}

pub(crate) fn normalize_email_at(email: &str, path: &str) -> Result<Email> {
    let text = non_blank(email)
        .ok_or_else(|| Error::MissingValue { path: path.to_owned(), reason: "the e-mail address is blank".into() })?;
    let text = fold(text);
    let bad = |why: &str| Error::InvalidValue { path: path.to_owned(), reason: format!("{email:?}: {why}") };
    let mut parts = text.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("an e-mail address has exactly one @"));
    };
    if local.is_empty() || local.chars().any(char::is_whitespace) {
        return Err(bad("the part before @ is empty or has spaces"));
    }
    let domain = domain.trim_end_matches('.');
    if !valid_host(domain) {
        return Err(bad("the domain is not dot-separated labels (example.com)"));
    }
    let canonical_local = match domain {
        "gmail.com" | "googlemail.com" => local.split('+').next().unwrap_or(local).replace('.', ""),
        "outlook.com" | "hotmail.com" | "live.com" | "icloud.com" | "me.com" | "protonmail.com" | "proton.me" => {
            local.split('+').next().unwrap_or(local).to_owned()
        }
        _ => local.to_owned(),
    };
    let canonical_domain = if domain == "googlemail.com" { "gmail.com" } else { domain };
    Ok(Email {
        email: format!("{local}@{domain}"),
        canonical: format!("{canonical_local}@{canonical_domain}"),
        local: local.to_owned(),
        domain: domain.to_owned(),
        free_mail: FREE_MAIL.contains(&domain),
        role: ROLE_LOCALS.contains(&local),
    })
}

fn valid_host(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// A web domain: the host of a URL, an e-mail's domain or a bare domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct Domain {
    /// The host, lower case, without `www.`, port or trailing dot.
    pub host: String,
    /// The registrable domain (`example.com`, `example.com.cn`): the company's key.
    pub domain: String,
    /// A free-mail provider's domain: never evidence of one company.
    pub free_mail: bool,
}

/// Normalises a URL, an e-mail address or a bare domain to its registrable domain.
///
/// # Errors
///
/// `missing_value` at `domain` when blank; `invalid_value` at `domain` when no host of
/// dot-separated labels can be read.
///
/// # Examples
///
/// ```
/// let d = crmkit::dedup::normalize_domain("HTTPS://www.Bytedance.com.cn:443/zh/about?x=1")?;
/// assert_eq!((d.host.as_str(), d.domain.as_str()), ("bytedance.com.cn", "bytedance.com.cn"));
/// assert_eq!(crmkit::dedup::normalize_domain("mail.corp.example.com")?.domain, "example.com");
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn normalize_domain(text: &str) -> Result<Domain> {
    normalize_domain_at(text, "domain")
}

pub(crate) fn normalize_domain_at(text: &str, path: &str) -> Result<Domain> {
    let raw = non_blank(text)
        .ok_or_else(|| Error::MissingValue { path: path.to_owned(), reason: "the domain is blank".into() })?;
    let folded = fold(raw);
    let mut host = folded.as_str();
    if let Some(i) = host.find("://") {
        host = &host[i + 3..];
    }
    host = host.split(['/', '?', '#']).next().unwrap_or(host);
    host = host.rsplit('@').next().unwrap_or(host);
    host = host.split(':').next().unwrap_or(host);
    host = host.trim_end_matches('.');
    host = host.strip_prefix("www.").unwrap_or(host);
    if !valid_host(host) {
        return Err(Error::InvalidValue {
            path: path.to_owned(),
            reason: format!("{text:?}: no host of dot-separated labels"),
        });
    }
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    let keep = if n >= 3 && labels[n - 1].len() == 2 && SECOND_LEVEL.contains(&labels[n - 2]) { 3 } else { 2 };
    let domain = labels[n.saturating_sub(keep)..].join(".");
    Ok(Domain { host: host.to_owned(), free_mail: FREE_MAIL.contains(&domain.as_str()), domain })
}

/// A person's name, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct PersonName {
    /// Chinese: Han characters without spaces or dots (张伟, 欧阳娜娜); Latin: words folded
    /// (no accents, lower case) separated by one space.
    pub normalized: String,
    /// Plain pinyin of a Chinese name, one syllable per character.
    pub pinyin: Option<String>,
    /// The words (pinyin syllables for Chinese) sorted: `Zhang Wei`, `Wei Zhang` and 张伟 share it.
    pub key: String,
}

/// Normalises a person's name (Chinese or Latin; pinyin as an extra key).
///
/// # Errors
///
/// `missing_value` at `name` when it has no letter or Han character.
///
/// # Examples
///
/// ```
/// let zh = crmkit::dedup::normalize_person_name("张 伟")?;
/// let en = crmkit::dedup::normalize_person_name("Wei ZHANG")?;
/// assert_eq!((zh.normalized.as_str(), zh.pinyin.as_deref()), ("张伟", Some("zhang wei")));
/// assert_eq!(zh.key, en.key); // "wei zhang": order-free, script-free
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn normalize_person_name(name: &str) -> Result<PersonName> {
    normalize_person_at(name, "name")
}

pub(crate) fn normalize_person_at(name: &str, path: &str) -> Result<PersonName> {
    let blank = || Error::MissingValue { path: path.to_owned(), reason: "the name has no letter".into() };
    let text = non_blank(name).ok_or_else(blank)?;
    if has_han(&fold(text)) {
        let normalized: String = fold(text).chars().filter(|&c| is_han(c) || c.is_alphanumeric()).collect();
        let pinyin = super::company::pinyin_of(&normalized);
        let mut words: Vec<&str> = pinyin.split(' ').collect();
        words.sort_unstable();
        return Ok(PersonName { key: words.join(" "), normalized, pinyin: Some(pinyin) });
    }
    let folded = fold_latin(text);
    let words: Vec<&str> = folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Err(blank());
    }
    let mut sorted = words.clone();
    sorted.sort_unstable();
    Ok(PersonName { normalized: words.join(" "), pinyin: None, key: sorted.join(" ") })
}
