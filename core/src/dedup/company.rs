//! Company names parsed into parts: a Chinese name by 《企业名称登记管理规定》 第六条
//! (行政区划 + 字号 + 行业或经营特点 + 组织形式, the region possibly in brackets after the 字号,
//! then a branch), a Latin name into its core words and legal form.
//!
//! Nothing is deleted: the region, industry, form and branch become fields that the company
//! comparator weighs separately (same 字号 + different branch = RELATED, not DUPLICATE).

use serde::{Deserialize, Serialize};

use super::text::{fold, fold_latin, has_han, is_name_char, non_blank};
use super::words::{
    FormClass, BRACKET_ONLY, BRANCH_MARKERS, CITIES, INDUSTRY, LATIN_FORMS, LATIN_FRONT_FORMS, LATIN_GROUP, PROVINCES,
    REGION_SUFFIXES, ZH_FORMS, ZONES,
};
use crate::error::{Error, Result};

/// The script a name is parsed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum Script {
    /// Any Han character: parsed as a Chinese name.
    Zh,
    /// Otherwise: parsed as a Latin name.
    Latin,
}

/// A company name in parts.
///
/// # Examples
///
/// ```
/// let n = crmkit::dedup::normalize_company("字节跳动（北京）科技有限公司")?;
/// assert_eq!((n.brand.as_str(), n.region.as_slice(), n.industry.as_deref()), ("字节跳动", &["北京".to_string()][..], Some("科技")));
/// assert_eq!(n.legal_form.as_deref(), Some("有限公司"));
/// # Ok::<(), crmkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
pub struct CompanyName {
    /// The whole name folded (NFKC, simplified, lower case; for Chinese without spaces or
    /// punctuation, for Latin words separated by one space). Normalising it again gives it back.
    pub normalized: String,
    /// How it was parsed.
    pub script: Script,
    /// Region levels by short name (`["深圳", "南山"]` for 深圳市南山区), leading or in brackets.
    pub region: Vec<String>,
    /// The 字号 / core name: what identifies the company once region, industry, form and
    /// branch are set aside. Never empty.
    pub brand: String,
    /// Industry / business words after the 字号 (`科技`, `网络技术`).
    pub industry: Option<String>,
    /// The legal form as written, folded (`有限公司`, `股份有限公司`, `co ltd`).
    pub legal_form: Option<String>,
    /// Its class: different classes are different legal entities.
    pub form_class: Option<FormClass>,
    /// A group / holding (集团, Group, Holdings).
    pub group: bool,
    /// The branch (分公司, 办事处, 分店...), region folded to its short name (`上海分公司`).
    pub branch: Option<String>,
    /// Plain pinyin of a Chinese brand, one syllable per character (`zi jie tiao dong`);
    /// homophone typos (仁科 / 人科) share it.
    pub pinyin: Option<String>,
}

/// Parses a company name into parts.
///
/// # Errors
///
/// `missing_value` at `name` when it is empty or has no letter, digit or Han character.
///
/// # Examples
///
/// ```
/// let n = crmkit::dedup::normalize_company("北京字节跳动科技有限公司上海分公司")?;
/// assert_eq!(n.brand, "字节跳动");
/// assert_eq!(n.branch.as_deref(), Some("上海分公司"));
/// let latin = crmkit::dedup::normalize_company("ACME Holdings Co., Ltd.")?;
/// assert_eq!((latin.brand.as_str(), latin.legal_form.as_deref(), latin.group), ("acme", Some("co ltd"), true));
/// # Ok::<(), crmkit::Error>(())
/// ```
pub fn normalize_company(name: &str) -> Result<CompanyName> {
    normalize_company_at(name, "name")
}

pub(crate) fn normalize_company_at(name: &str, path: &str) -> Result<CompanyName> {
    let blank = || Error::MissingValue {
        path: path.to_owned(),
        reason: "a company name needs a letter, digit or Han character".into(),
    };
    let name = non_blank(name).ok_or_else(blank)?;
    // Decided after folding: NFKC turns some symbols into Han characters (🈐 → 手).
    let folded = fold(name);
    let parsed = if has_han(&folded) { parse_zh(&folded) } else { parse_latin(name) };
    parsed.ok_or_else(blank)
}

/// `folded`: the name through [`fold`] already.
fn parse_zh(folded: &str) -> Option<CompanyName> {
    let normalized: String = folded
        .chars()
        .map(|c| match c {
            '【' | '〔' | '[' | '{' | '〈' | '《' => '(',
            '】' | '〕' | ']' | '}' | '〉' | '》' => ')',
            c => c,
        })
        .filter(|&c| is_name_char(c) || c == '(' || c == ')')
        .collect();
    if !normalized.chars().any(is_name_char) {
        return None;
    }
    let mut name = CompanyName {
        normalized: String::new(), // set at the end, from `normalized`
        script: super::company::Script::Zh,
        region: Vec::new(),
        brand: String::new(),
        industry: None,
        legal_form: None,
        form_class: None,
        group: false,
        branch: None,
        pinyin: None,
    };
    let (parent, branch) = split_branch(&normalized);
    name.branch = branch;
    let mut rest = parent.to_owned();
    // The legal form, then 集团 before it (集团有限公司), possibly bracketed: （集团）有限公司.
    if let Some((form, class)) =
        ZH_FORMS.iter().filter(|(f, _)| ends(&rest, f) && rest.len() > f.len()).max_by_key(|(f, _)| f.len())
    {
        rest.truncate(rest.len() - form.len());
        name.legal_form = Some((*form).to_owned());
        name.form_class = Some(*class);
    }
    rest = take_brackets(rest, &mut name);
    let mut region = Vec::new();
    let taken = rest.len() - take_leading_regions(&rest, &mut region).len();
    rest.drain(..taken);
    name.region.splice(0..0, region);
    // 北京字节跳动（北京）…: a region written twice is one level (the first kept).
    for i in (1..name.region.len()).rev() {
        if name.region[..i].contains(&name.region[i]) {
            name.region.remove(i);
        }
    }
    let mut industry: Vec<&str> = Vec::new();
    loop {
        if rest.ends_with("集团") && rest.chars().count() >= 4 {
            name.group = true;
            rest.truncate(rest.len() - "集团".len());
            continue;
        }
        let Some(word) = industry_words(&rest)
            .iter()
            .filter(|w| rest.ends_with(*w) && rest[..rest.len() - w.len()].chars().count() >= 2)
            .max_by_key(|w| w.len())
        else {
            break;
        };
        rest.truncate(rest.len() - word.len());
        industry.insert(0, word);
    }
    name.industry = (!industry.is_empty()).then(|| industry.concat());
    rest.retain(|c| c != '(' && c != ')');
    name.brand = if rest.is_empty() { normalized.replace(['(', ')'], "") } else { rest };
    name.pinyin = Some(pinyin_of(&name.brand));
    name.normalized = normalized;
    Some(name)
}

/// `(parent, branch)`: `北京字节跳动科技有限公司上海分公司` → the company and `上海分公司`.
fn split_branch(name: &str) -> (&str, Option<String>) {
    let Some(marker) = BRANCH_MARKERS.iter().find(|m| name.ends_with(*m) && name.len() > m.len()) else {
        return (name, None);
    };
    let head = &name[..name.len() - marker.len()];
    // After the parent's legal form: everything from there on names the branch.
    let form_end = ZH_FORMS.iter().filter_map(|(f, _)| head.rfind(f).map(|i| i + f.len())).filter(|&end| end > 0).max();
    let split = form_end.or_else(|| {
        // No form: a region right before the marker names the branch (字节跳动上海分公司).
        (1..head.len()).filter(|&i| head.is_char_boundary(i)).find(|&i| {
            let mut levels = Vec::new();
            head[..i].chars().count() >= 2
                && take_leading_regions_any(&head[i..], &mut levels).is_empty()
                && !levels.is_empty()
        })
    });
    let split = split.unwrap_or(head.len());
    let mut levels = Vec::new();
    let tail = take_leading_regions(&name[split..], &mut levels);
    let branch = format!("{}{tail}", levels.concat());
    (&name[..split], Some(branch))
}

/// Bracketed parts: a region (（北京）), 集团, or a partnership form; other qualifiers are
/// dropped from the brand.
fn take_brackets(text: String, name: &mut CompanyName) -> String {
    if !text.contains('(') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('(') {
        let Some(close) = rest[open..].find(')').map(|c| open + c) else { break };
        out.push_str(&rest[..open]);
        let inner = &rest[open + 1..close];
        let mut levels = Vec::new();
        if inner == "集团" {
            name.group = true;
        } else if BRACKET_ONLY.contains(&inner) {
            name.region.push(inner.to_owned());
        } else if take_leading_regions_any(inner, &mut levels).is_empty() && !levels.is_empty() {
            name.region.extend(levels);
        } else if let Some((form, class)) = ZH_FORMS.iter().find(|(f, _)| f.trim_matches(['(', ')']) == inner)
            && name.legal_form.is_none()
        {
            name.legal_form = Some((*form).to_owned());
            name.form_class = Some(*class);
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Leading region levels (北京市, 广东省深圳市南山区), keeping at least two characters after.
fn take_leading_regions<'t>(text: &'t str, levels: &mut Vec<String>) -> &'t str {
    take_regions(text, levels, 2)
}

/// Region levels covering the whole of `text` when possible (inside brackets).
fn take_leading_regions_any<'t>(text: &'t str, levels: &mut Vec<String>) -> &'t str {
    take_regions(text, levels, 0)
}

fn take_regions<'t>(text: &'t str, levels: &mut Vec<String>, keep: usize) -> &'t str {
    let mut rest = text;
    let mut suffixed = false;
    for _ in 0..3 {
        let known = longest_region(rest);
        let zone =
            if levels.is_empty() { None } else { ZONES.iter().filter(|z| starts(rest, z)).max_by_key(|z| z.len()) };
        let (short, after) = match (zone, known) {
            (Some(z), _) => (*z, &rest[z.len()..]),
            (None, Some(r)) => (r, &rest[r.len()..]),
            // After 北京市 / 广东省, any two or three characters ending in 区 or 县 are a district.
            (None, None) if suffixed => match generic_district(rest) {
                Some(len) => (&rest[..len], &rest[len..]),
                None => break,
            },
            (None, None) => break,
        };
        let suffix =
            REGION_SUFFIXES.iter().filter(|s| after.starts_with(*s)).max_by_key(|s| s.len()).copied().unwrap_or("");
        let after = &after[suffix.len()..];
        if after.chars().count() < keep {
            break;
        }
        levels.push(short.to_owned());
        suffixed = suffix == "市" || suffix == "省" || suffix.ends_with("自治区");
        rest = after;
    }
    rest
}

/// The provinces and cities, for a lookup by prefix: every name read probes its first few
/// characters here instead of scanning the ~400 names (a memcmp each, most of the cost of
/// reading a Chinese name otherwise).
/// Hashed by FNV (the blocking keys' hasher): a few short probes per name, for which SipHash
/// costs more than the lookup.
type RegionSet = std::collections::HashSet<&'static str, crate::hash::FxBuild>;

static REGIONS: std::sync::LazyLock<(RegionSet, usize)> = std::sync::LazyLock::new(|| {
    let set: RegionSet = PROVINCES.iter().chain(CITIES).copied().collect();
    let longest = set.iter().map(|r| r.chars().count()).max().unwrap_or(0);
    (set, longest)
});

/// The longest province or city `text` starts with.
fn longest_region(text: &str) -> Option<&'static str> {
    let (set, longest) = &*REGIONS;
    let mut ends = [0usize; 8];
    let mut n = 0;
    for end in text.char_indices().skip(1).map(|(i, _)| i).chain(std::iter::once(text.len())) {
        if n == (*longest).min(ends.len()) {
            break;
        }
        ends[n] = end;
        n += 1;
    }
    ends[..n].iter().rev().find_map(|&end| set.get(&text[..end]).copied())
}

/// The industry words by their last character: a name's last character picks the few words
/// it can end with (scanning the whole list for every peeled word was a tenth of reading a
/// name). The words of one character are in the order of `INDUSTRY`.
static INDUSTRY_BY_LAST: std::sync::LazyLock<IndustryMap> = std::sync::LazyLock::new(|| {
    let mut map = IndustryMap::default();
    for w in INDUSTRY {
        if let Some(last) = w.chars().next_back() {
            map.entry(last).or_default().push(w);
        }
    }
    map
});

type IndustryMap = std::collections::HashMap<char, Vec<&'static str>, crate::hash::FxBuild>;

/// The industry words `text` may end with (those ending in its last character).
fn industry_words(text: &str) -> &'static [&'static str] {
    text.chars().next_back().and_then(|c| INDUSTRY_BY_LAST.get(&c)).map_or(&[], Vec::as_slice)
}

/// `text.starts_with(word)`, the first byte compared inline: the word lists are scanned for
/// every name, and most words differ from the first byte (a call to memcmp each is most of
/// the cost of reading a name otherwise).
fn starts(text: &str, word: &str) -> bool {
    text.as_bytes().first() == word.as_bytes().first() && text.starts_with(word)
}

/// `text.ends_with(word)`, the last byte compared inline.
fn ends(text: &str, word: &str) -> bool {
    text.as_bytes().last() == word.as_bytes().last() && text.ends_with(word)
}

/// Byte length of a district's name before its 区 / 县 (two or three Han characters).
fn generic_district(text: &str) -> Option<usize> {
    let chars: Vec<(usize, char)> = text.char_indices().take(5).collect();
    [2, 3].into_iter().find_map(|n| {
        let (i, c) = *chars.get(n)?;
        let enough_left = text[i..].chars().count() >= 3;
        (matches!(c, '区' | '县') && enough_left && chars[..n].iter().all(|&(_, c)| super::text::is_han(c)))
            .then_some(i)
    })
}

/// Plain pinyin of each character, space-separated; a character without a reading (Latin,
/// digits, rare Han) stands for itself.
pub(crate) fn pinyin_of(text: &str) -> String {
    use super::pinyin_table::{FIRST, READINGS, SYLLABLES};
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if !out.is_empty() {
            out.push(' ');
        }
        let reading = (c as u32)
            .checked_sub(FIRST)
            .and_then(|i| READINGS.get(i as usize))
            .and_then(|&r| SYLLABLES.get(usize::from(r).checked_sub(1)?));
        match reading {
            Some(p) => out.push_str(p),
            None => out.push(c),
        }
    }
    out
}

fn parse_latin(name: &str) -> Option<CompanyName> {
    let folded = fold_latin(name);
    let mut spaced = String::with_capacity(folded.len() + 8);
    for c in folded.chars() {
        match c {
            '.' | '\'' | '’' => {}
            '&' | '+' => spaced.push_str(" and "),
            c if is_name_char(c) => spaced.push(c),
            _ => spaced.push(' '),
        }
    }
    let all: Vec<&str> = spaced.split_whitespace().collect();
    if all.is_empty() {
        return None;
    }
    let mut words: &[&str] = &all;
    if words.len() > 1 && words[0] == "the" {
        words = &words[1..];
    }
    let mut forms: Vec<String> = Vec::new();
    let mut class = None;
    if let Some((front, c)) = LATIN_FRONT_FORMS.iter().find(|(f, _)| words.len() > 1 && words[0] == *f) {
        forms.push((*front).to_owned());
        class = Some(*c);
        words = &words[1..];
    }
    let mut group = false;
    loop {
        if words.len() > 1 && words.last() == Some(&"and") {
            words = &words[..words.len() - 1];
            continue;
        }
        if let Some((form, c)) = LATIN_FORMS.iter().find(|(f, _)| words.len() > f.len() && words.ends_with(f)) {
            words = &words[..words.len() - form.len()];
            forms.insert(0, form.join(" "));
            // The most specific class wins: `Co., Ltd.` is Limited, not the bare `Co.`.
            if class.is_none_or(|k| k == FormClass::Unspecified) {
                class = Some(*c);
            }
            continue;
        }
        if words.len() > 1 && words.last().is_some_and(|w| LATIN_GROUP.contains(w)) {
            group = true;
            words = &words[..words.len() - 1];
            continue;
        }
        break;
    }
    Some(CompanyName {
        normalized: all.join(" "),
        script: Script::Latin,
        region: Vec::new(),
        brand: words.join(" "),
        industry: None,
        legal_form: (!forms.is_empty()).then(|| forms.join(" ")),
        form_class: class,
        group,
        branch: None,
        pinyin: None,
    })
}
