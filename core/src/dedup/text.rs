//! Text folding shared by every normaliser: NFKC (full-width → half-width, compatibility
//! forms such as ㈱ → (株)), traditional → simplified, lower case, accents.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

use super::t2s_table::T2S;

/// The simplified form of one character (itself when the table has no entry).
pub(crate) fn simplified(c: char) -> char {
    // Most characters of a name are common ideographs with no traditional form: a bit each
    // says so without the binary search.
    let i = (c as u32).wrapping_sub(0x4E00) as usize;
    if i < COMMON_HAN && TRADITIONAL[i / 64] & (1 << (i % 64)) == 0 {
        return c;
    }
    T2S.binary_search_by_key(&c, |&(t, _)| t).map_or(c, |i| T2S[i].1)
}

/// The CJK Unified Ideographs block, U+4E00..=U+9FFF.
const COMMON_HAN: usize = 0x9FFF - 0x4E00 + 1;

/// A bit per ideograph of [`COMMON_HAN`]: set when [`T2S`] maps it.
static TRADITIONAL: [u64; COMMON_HAN.div_ceil(64)] = {
    let mut bits = [0u64; COMMON_HAN.div_ceil(64)];
    let mut k = 0;
    while k < T2S.len() {
        let i = (T2S[k].0 as u32).wrapping_sub(0x4E00) as usize;
        if i < COMMON_HAN {
            bits[i / 64] |= 1 << (i % 64);
        }
        k += 1;
    }
    bits
};

/// NFKC, then traditional → simplified, then lower case: the form every comparison of
/// text starts from. Applying it twice changes nothing (proptest `normalisation_idempotent`).
pub(crate) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // The common case, a name of ASCII and CJK Unified Ideographs (U+4E00..U+9FFF, all NFKC
    // already, none with a case): only the ASCII lowered and the traditional forms mapped,
    // whose simplified forms are in that block too. No normalisation pass at all.
    if s.chars().all(|c| c.is_ascii() || ('\u{4E00}'..='\u{9FFF}').contains(&c)) {
        out.extend(s.chars().map(|c| if c.is_ascii() { c.to_ascii_lowercase() } else { simplified(c) }));
        if out.chars().all(|c| c.is_ascii() || ('\u{4E00}'..='\u{9FFF}').contains(&c)) {
            return out;
        }
        out.clear();
    }
    // Most names are already NFKC (plain Han and ASCII): the quick check skips the
    // decomposition for them, which is most of the cost of reading a name.
    let push = |out: &mut String, c: char| {
        // to_lowercase, not only for is_uppercase: titlecase letters (ǅ, ᾈ) lower too.
        let c = simplified(c);
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    };
    if is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        s.chars().for_each(|c| push(&mut out, c));
    } else {
        s.nfkc().for_each(|c| push(&mut out, c));
    }
    // Lower-casing can produce a sequence NFKC would write differently (İ → i + U+0307);
    // normalise again so that folding is idempotent.
    if !out.is_ascii() && is_nfkc_quick(out.chars()) != IsNormalized::Yes && !out.nfkc().eq(out.chars()) {
        out = out.nfkc().collect();
    }
    out
}

/// `fold` without accents: NFD, combining marks dropped, NFC (Müller → muller, café → cafe).
pub(crate) fn fold_latin(s: &str) -> String {
    let mut folded = fold(s);
    // Dropping a mark can leave a letter that folds further (ᾈ → Α → α), and NFKC can bring
    // a mark back (᾿ → space + U+0313): repeat to a fixed point, which comes within a few rounds.
    for _ in 0..4 {
        if folded.is_ascii() {
            break;
        }
        let next = fold(&folded.nfd().filter(|&c| !is_combining_mark(c)).collect::<String>());
        if next == folded {
            break;
        }
        folded = next;
    }
    folded
}

/// A Han ideograph (the CJK Unified Ideographs blocks and their extensions, compatibility
/// ideographs included).
pub(crate) fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF | 0x2A700..=0x2EBEF | 0x30000..=0x3134F)
}

/// Whether a name is written in Chinese (any Han character).
pub(crate) fn has_han(s: &str) -> bool {
    s.chars().any(is_han)
}

/// Characters kept inside names: letters, digits and Han; everything else (spaces,
/// punctuation, symbols) separates or disappears.
pub(crate) fn is_name_char(c: char) -> bool {
    // Every common ideograph is a letter: asked directly, each went through the slow table.
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || c.is_alphanumeric()
}

/// Whitespace trimmed; `None` when nothing is left (an empty key is never evidence).
pub(crate) fn non_blank(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_sorted_and_without_chains() {
        assert!(T2S.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(T2S.iter().all(|&(_, s)| simplified(s) == s));
    }

    /// The bit table's answer is the binary search's for every character around the block.
    #[test]
    fn simplified_as_the_table_says() {
        for c in ('\u{3000}'..='\u{A000}').chain(['a', '華', '\u{20000}']) {
            let plain = T2S.binary_search_by_key(&c, |&(t, _)| t).map_or(c, |i| T2S[i].1);
            assert_eq!(simplified(c), plain, "{c}");
            assert_eq!(is_name_char(c), c.is_alphanumeric(), "{c}");
        }
    }

    #[test]
    fn folds_width_script_and_case() {
        assert_eq!(fold("北京仁科互動網絡技術有限公司"), "北京仁科互动网络技术有限公司");
        assert_eq!(fold("字节跳动（北京）ＡＢＣ　１２"), "字节跳动(北京)abc 12");
        assert_eq!(fold_latin("Müller Café GmbH"), "muller cafe gmbh");
        assert_eq!(fold("İ"), fold(&fold("İ")));
    }
}
