//! The company-name comparator: the parts of two names weighed separately.
//!
//! The 字号 decides whether two names can be one company at all: equal, a homophone (仁科 /
//! 人科, one pinyin), or one typing slip (a dropped, added or swapped character; a substituted
//! one only in long names, since 仁科 / 仁和 are different firms). When it agrees, any part
//! that disagrees on both sides makes the pair RELATED rather than DUPLICATE: another branch,
//! another region, another industry word (字节跳动科技 / 字节跳动网络技术 are two entities),
//! another legal-form class (股份有限公司 / 有限公司), a group against an operating company.
//! A part missing on one side is no evidence either way (仁科互动 vs its full legal name).
//! A two-character 字号 shared by names of another region that differ in another part too is
//! a common word, not a group: DISTINCT.

use serde::{Deserialize, Serialize};

use super::company::Script;
use super::packed::CompanyRef;
use super::words::FormClass;

/// The verdict on a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// The same entity: merge, or refuse a second claim on it (撞单).
    Duplicate,
    /// The same group, brand or family but another entity: a branch, a subsidiary, the same
    /// brand in another region or legal form. Warn, do not merge.
    Related,
    /// Different.
    Distinct,
}

/// Why a comparison came out as it did: stable codes, one per piece of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "snake_case")]
pub enum MatchReason {
    /// The normalised names are equal.
    NameExact,
    /// The 字号 / core names are equal.
    BrandSame,
    /// The 字号 differ only in characters of the same pinyin (an input-method slip).
    BrandHomophone,
    /// The 字号 differ by one typing slip.
    BrandTypo,
    /// The core words are the same in another order or spacing.
    BrandReordered,
    /// The 字号 / core names differ.
    BrandDiffers,
    /// One name is Chinese, the other Latin: nothing to compare them by.
    ScriptDiffers,
    /// Both name a region and the regions agree.
    RegionSame,
    /// Both name a region and the regions differ (北京 / 上海).
    RegionDiffers,
    /// Both have an industry word and they differ (科技 / 网络技术): sibling entities.
    IndustryDiffers,
    /// Both have a legal form of a different class (股份有限公司 / 有限公司).
    FormDiffers,
    /// One is a group (集团) and the other an operating company.
    GroupDiffers,
    /// One is a branch (分公司...) of the other, or they are different branches.
    BranchDiffers,
    /// The values are equal after normalisation.
    Equal,
    /// Equal phone numbers with different extensions (one switchboard).
    ExtensionDiffers,
    /// Different mailboxes at one company domain.
    SameDomain,
    /// The shared domain is a free-mail provider's: no evidence.
    FreeMailDomain,
    /// The same words in another order (Zhang Wei / Wei Zhang, 张伟 / Zhang Wei).
    NameReordered,
    /// Within the comparator's tolerance.
    WithinTolerance,
    /// Outside the comparator's tolerance.
    OutsideTolerance,
    /// The values differ.
    Differs,
}

/// A comparison's reasons, kept inline: a company comparison gives at most seven (its 字号,
/// region and five conflicts), and a batch compares millions of pairs, most of which are
/// never explained — a vector per comparison was an allocation per field per pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reasons {
    items: [MatchReason; 7],
    len: u8,
}

impl Reasons {
    /// One reason.
    pub(crate) const fn one(r: MatchReason) -> Self {
        Self { items: [r; 7], len: 1 }
    }

    /// Two reasons.
    pub(crate) const fn two(r: MatchReason, s: MatchReason) -> Self {
        let mut out = Self::one(r);
        out.items[1] = s;
        out.len = 2;
        out
    }

    /// Appends a reason (beyond seven, which no comparator gives, it is dropped).
    pub(crate) fn push(&mut self, r: MatchReason) {
        if let Some(slot) = self.items.get_mut(usize::from(self.len)) {
            *slot = r;
            self.len += 1;
        }
    }

    /// The reasons in order.
    pub(crate) fn as_slice(&self) -> &[MatchReason] {
        &self.items[..usize::from(self.len)]
    }
}

/// The outcome of comparing two company names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CompanyMatch {
    pub verdict: Verdict,
    pub similarity: f64,
    pub reasons: Reasons,
}

/// Compares two parsed company names. Symmetric.
pub(crate) fn match_companies(a: &CompanyRef<'_>, b: &CompanyRef<'_>) -> CompanyMatch {
    if a.normalized == b.normalized {
        return CompanyMatch {
            verdict: Verdict::Duplicate,
            similarity: 1.0,
            reasons: Reasons::one(MatchReason::NameExact),
        };
    }
    let (brand_sim, brand_reason) = compare_brands(a, b);
    if matches!(brand_reason, MatchReason::BrandDiffers | MatchReason::ScriptDiffers) {
        return CompanyMatch {
            verdict: Verdict::Distinct,
            similarity: brand_sim * 0.5,
            reasons: Reasons::one(brand_reason),
        };
    }
    let mut reasons = Reasons::one(brand_reason);
    let mut conflicts = 0;
    let mut conflict = |r: MatchReason, reasons: &mut Reasons| {
        conflicts += 1;
        reasons.push(r);
    };
    if a.branch != b.branch {
        conflict(MatchReason::BranchDiffers, &mut reasons);
    }
    if !a.no_region() && !b.no_region() {
        if regions_compatible(a, b) {
            reasons.push(MatchReason::RegionSame);
        } else {
            conflict(MatchReason::RegionDiffers, &mut reasons);
        }
    }
    // Two full legal names (both with a form) that differ in their industry words are two
    // registered names (阿里巴巴（中国）有限公司 / 阿里巴巴（中国）网络技术有限公司); a short
    // name without one may mean either.
    let full = a.legal_form.is_some() && b.legal_form.is_some();
    let industry_conflict = match (&a.industry, &b.industry) {
        (Some(x), Some(y)) => x != y,
        (None, None) => false,
        _ => full,
    };
    if industry_conflict {
        conflict(MatchReason::IndustryDiffers, &mut reasons);
    }
    if let (Some(x), Some(y)) = (a.form_class, b.form_class)
        && x != y
        && x != FormClass::Unspecified
        && y != FormClass::Unspecified
    {
        conflict(MatchReason::FormDiffers, &mut reasons);
    }
    // A group against an operating company (one with a form or an industry word); a bare
    // short name (字节跳动) may mean either.
    let operating = |n: &CompanyRef<'_>| !n.group && (n.legal_form.is_some() || n.industry.is_some());
    if (a.group && operating(b)) || (b.group && operating(a)) {
        conflict(MatchReason::GroupDiffers, &mut reasons);
    }
    // A two-character 字号 is most often a common word (东方, 华信, 中科: thousands of firms
    // each): two names that share only it, in another region and differing in another part
    // too (industry, legal form, group), are two firms, not one group. A longer 字号
    // (字节跳动) links them still; so does a common one in one region (小米科技 / 小米通讯技术).
    let common_brand = a.script == Script::Zh && a.brand.chars().count() <= 2;
    let apart = reasons.as_slice().contains(&MatchReason::RegionDiffers) && conflicts >= 2;
    let verdict = match conflicts {
        0 => Verdict::Duplicate,
        _ if common_brand && apart => Verdict::Distinct,
        _ => Verdict::Related,
    };
    let similarity = brand_sim * 0.85_f64.powi(conflicts);
    CompanyMatch { verdict, similarity, reasons }
}

/// Region levels agree when one side's levels all appear in the other's
/// (深圳 / 广东 深圳 / 深圳 南山).
fn regions_compatible(a: &CompanyRef<'_>, b: &CompanyRef<'_>) -> bool {
    let within = |x: &CompanyRef<'_>, y: &CompanyRef<'_>| x.regions().all(|r| y.regions().any(|s| s == r));
    within(a, b) || within(b, a)
}

fn compare_brands(a: &CompanyRef<'_>, b: &CompanyRef<'_>) -> (f64, MatchReason) {
    if a.script != b.script {
        return (0.0, MatchReason::ScriptDiffers);
    }
    if a.brand == b.brand {
        return (1.0, MatchReason::BrandSame);
    }
    let (left, right) = (Chars::new(a.brand), Chars::new(b.brand));
    let (left, right) = (left.as_slice(), right.as_slice());
    let longest = left.len().max(right.len()) as f64;
    match a.script {
        Script::Zh => {
            // Two-character homophones are too often two firms (华为 / 华维): three at least, one slip.
            let differing = left.iter().zip(right).filter(|(p, q)| p != q).count();
            if left.len() == right.len()
                && left.len() >= 3
                && differing == 1
                && a.pinyin.is_some()
                && a.pinyin == b.pinyin
            {
                return (0.95, MatchReason::BrandHomophone);
            }
            let shortest = left.len().min(right.len());
            let substitution = left.len() == right.len() && differing == 1;
            // A character more on one side is a slip when it repeats its neighbour (a key
            // pressed twice: 华华信达); any other character makes another name (宏科万 /
            // 宏科思万, 凯兴通 / 凯瑞兴通 are two firms: a 1,000,000-record book held thousands
            // of such pairs, every one two entities).
            let extra_ok = left.len() == right.len() || doubled_extra(left, right);
            if osa(left, right) == 1 && shortest >= 3 && (!substitution || shortest >= 6) && extra_ok {
                return (1.0 - 1.0 / longest, MatchReason::BrandTypo);
            }
        }
        Script::Latin => {
            if reordered(a.brand, b.brand) {
                return (0.95, MatchReason::BrandReordered);
            }
            // A slip is judged word by word, as for a 字号: the words in order, all equal but
            // one (two in a long name), each differing word one slip from the other — a
            // dropped, added or swapped letter from five letters, a substituted one only from
            // eight (Acbex / Acbel, Torsol / Vorsol are other firms; Glbex is Globex). Judged
            // on the whole name, a shared "Systems" or "Trading" made room for a second edit
            // in the part that names the firm (Vercor / Vorvor Systems).
            if a.brand.split(' ').count() == b.brand.split(' ').count() {
                let letters =
                    left.iter().filter(|c| **c != ' ').count().max(right.iter().filter(|c| **c != ' ').count());
                let most: u32 = if letters >= 16 { 2 } else { 1 };
                let mut differing = 0u32;
                let mut slips = true;
                for (x, y) in a.brand.split(' ').zip(b.brand.split(' ')).filter(|(x, y)| x != y) {
                    differing += 1;
                    slips = differing <= most && one_latin_slip(x, y);
                    if !slips {
                        break;
                    }
                }
                if slips {
                    return (1.0 - f64::from(differing) / letters as f64, MatchReason::BrandTypo);
                }
            }
        }
    }
    (super::compare::levenshtein_ratio(left, right), MatchReason::BrandDiffers)
}

/// The same words in another order, or the same letters spaced otherwise (`acme glo` /
/// `acmeglo`).
fn reordered(a: &str, b: &str) -> bool {
    let letters = |s: &str| s.bytes().filter(|&c| c != b' ').count();
    if a.bytes().filter(|&c| c != b' ').eq(b.bytes().filter(|&c| c != b' ')) {
        return true;
    }
    // The same words reordered have the same letters, so the same length without spaces
    // (checked first: most pairs differ there, and need no sorting).
    if letters(a) != letters(b) {
        return false;
    }
    let mut wa: Vec<&str> = a.split(' ').collect();
    let mut wb: Vec<&str> = b.split(' ').collect();
    wa.sort_unstable();
    wb.sort_unstable();
    wa == wb
}

/// A name's characters, on the stack when it has up to 32 of them (a 字号 or a Latin core
/// name nearly always does; a batch compares millions of pairs), else on the heap.
pub(crate) struct Chars {
    stack: [char; 32],
    len: usize,
    heap: Vec<char>,
}

impl Chars {
    pub(crate) fn new(s: &str) -> Self {
        let mut out = Self { stack: ['\0'; 32], len: 0, heap: Vec::new() };
        for c in s.chars() {
            if out.len < 32 {
                out.stack[out.len] = c;
            } else {
                if out.heap.is_empty() {
                    out.heap.extend_from_slice(&out.stack);
                }
                out.heap.push(c);
            }
            out.len += 1;
        }
        out
    }

    pub(crate) fn as_slice(&self) -> &[char] {
        if self.len <= 32 {
            &self.stack[..self.len]
        } else {
            &self.heap
        }
    }
}

/// Whether two words are one typing slip apart: a dropped, added or swapped letter when the
/// shorter has five letters or more, a substituted one when it has eight or more and the two
/// letters are a slip of the finger or the ear — neighbours on a QWERTY keyboard, or two
/// vowels (Continentel) — and not the first letter, which is rarely mistyped. Any other
/// substitution makes another name: in a 1,000,000-record book, Umcorton / Umtorton,
/// Acvertor / Acvercor and Vortechver / Cortechver were all two firms, and such pairs were
/// nine in ten of its false pairs.
fn one_latin_slip(x: &str, y: &str) -> bool {
    let (cx, cy) = (Chars::new(x), Chars::new(y));
    let (cx, cy) = (cx.as_slice(), cy.as_slice());
    let shortest = cx.len().min(cy.len());
    let mut differing = (0..shortest).filter(|&i| cx[i] != cy[i]);
    let (first, second) = (differing.next(), differing.next());
    if let (true, Some(i), None) = (cx.len() == cy.len(), first, second) {
        return shortest >= 8 && i > 0 && likely_slip(cx[i], cy[i]);
    }
    osa(cx, cy) == 1 && shortest >= 5
}

/// Two letters one is typed for the other by mistake: QWERTY neighbours, or two vowels.
fn likely_slip(a: char, b: char) -> bool {
    const ROWS: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
    const VOWELS: &str = "aeiouy";
    let at = |c: char| ROWS.iter().enumerate().find_map(|(r, row)| row.find(c).map(|k| (r as i32, k as i32)));
    if VOWELS.contains(a) && VOWELS.contains(b) {
        return true;
    }
    match (at(a), at(b)) {
        // Same row, next key; or the row above / below, the key up-left / up-right (a row
        // is shifted half a key from the next).
        (Some((ra, ka)), Some((rb, kb))) => {
            (ra == rb && (ka - kb).abs() == 1)
                || (ra + 1 == rb && (kb == ka || kb == ka - 1))
                || (rb + 1 == ra && (ka == kb || ka == kb - 1))
        }
        _ => false,
    }
}

/// Whether the longer of two names one character apart has that character twice in a row
/// (华信达 / 华华信达).
fn doubled_extra(a: &[char], b: &[char]) -> bool {
    let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
    if long.len() != short.len() + 1 {
        return false;
    }
    let at = (0..short.len()).find(|&i| short[i] != long[i]).unwrap_or(short.len());
    (at > 0 && long[at] == long[at - 1]) || (at + 1 < long.len() && long[at] == long[at + 1])
}

/// Optimal-string-alignment distance (Levenshtein with adjacent transpositions) on code points.
pub(crate) fn osa(a: &[char], b: &[char]) -> usize {
    if a.is_empty() || b.is_empty() {
        return a.len().max(b.len());
    }
    let w = b.len() + 1;
    // Three rows: on the stack for names of up to 32 characters (no allocation per pair).
    let (mut stack, mut heap) = ([[0usize; 33]; 3], Vec::new());
    let [prev2, prev, cur] = if w <= 33 {
        let [r0, r1, r2] = &mut stack;
        [&mut r0[..w], &mut r1[..w], &mut r2[..w]]
    } else {
        heap.resize(3 * w, 0);
        let (r0, rest) = heap.split_at_mut(w);
        let (r1, r2) = rest.split_at_mut(w);
        [r0, r1, r2]
    };
    let (mut prev2, mut prev, mut cur) = (prev2, prev, cur);
    for (j, v) in prev.iter_mut().enumerate() {
        *v = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..w {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[w - 1]
}
