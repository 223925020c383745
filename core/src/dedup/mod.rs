//! Duplicate matching (查重, 客户报备): normalisers, comparators and the verdicts DUPLICATE /
//! RELATED / DISTINCT.
//!
//! The same company reaches a CRM through several channels and salespeople; two reps must
//! not work the same account (撞单). This module reads the values a record is matched on:
//!
//! - company names into parts ([`normalize_company`]): for a Chinese name the region
//!   (leading, or in full- or half-width brackets after the 字号), the 字号, industry words,
//!   legal form and branch, after NFKC (full-width → half-width) and traditional →
//!   simplified; for a Latin name the core words and legal form (Inc, Ltd, GmbH, Co., S.A.)
//!   after case and accent folding;
//! - phones to E.164 ([`normalize_phone`]), e-mail addresses ([`normalize_email`]), web
//!   domains ([`normalize_domain`]), person names with a pinyin key
//!   ([`normalize_person_name`]), unified social credit codes checked by their check
//!   character ([`normalize_credit_code`]);
//!
//! and compares two values with a [`Comparator`] ([`compare`]): exact, Jaro-Winkler,
//! Levenshtein ratio and token-set on code points, numeric and date tolerance, and the
//! company-name comparator that weighs the parts:
//!
//! ```
//! use crmkit::dedup::{compare, Comparator, Verdict};
//!
//! let base = "北京字节跳动科技有限公司";
//! let verdict = |other: &str| compare(&Comparator::CompanyName, base, other).map(|c| c.verdict);
//! assert_eq!(verdict("字节跳动（北京）科技有限公司")?, Some(Verdict::Duplicate)); // region in brackets
//! assert_eq!(verdict("北京字節跳動科技有限公司")?, Some(Verdict::Duplicate)); // traditional
//! assert_eq!(verdict("北京字节跳动科技有限公司上海分公司")?, Some(Verdict::Related)); // a branch
//! assert_eq!(verdict("北京字节跳动网络技术有限公司")?, Some(Verdict::Related)); // a sibling entity
//! assert_eq!(verdict("北京字节科技有限公司")?, Some(Verdict::Distinct));
//! # Ok::<(), crmkit::Error>(())
//! ```

mod blocking;
mod cluster;
mod company;
mod company_match;
mod comparator_de;
mod compare;
mod contact;
mod estimate;
mod index;
mod link;
mod packed;
mod parts;
mod phone;
mod pinyin_table;
mod policy;
mod score;
mod t2s_table;
mod text;
mod threads;
mod uscc;
mod words;

pub use blocking::MAX_CANDIDATE_PAIRS;
pub use cluster::{
    find_duplicates, BatchSettings, BatchStats, Cluster, DedupReport, RefusalReason, RefusedMerge, SurvivorReason,
    MAX_BATCH_RECORDS,
};
pub use company::{normalize_company, CompanyName, Script};
pub use company_match::{MatchReason, Verdict};
pub use compare::{compare, Comparator, ValueComparison, MAX_VALUE_CHARS};
pub use contact::{normalize_domain, normalize_email, normalize_person_name, Domain, Email, PersonName};
pub use estimate::{estimate_model, EstimateReport, EstimateSettings, MAX_ESTIMATE_RECORDS};
pub use index::{Candidate, DedupIndex, QueryReport, INDEX_FORMAT_VERSION, MAX_INDEX_RECORDS};
pub use link::{find_duplicates_columns, link_records, ColumnsReport, Link, LinkReport, RecordColumns};
pub use parts::{
    blocking_keys, blocking_keys_columns, cluster_pairs, cluster_pairs_columns, score_block, score_block_columns,
    BlockPairs, BlockSettings, BlockingKeys,
};
pub use phone::{normalize_phone, Phone, PhoneKind};
pub use policy::{Bands, Condition, FieldSpec, FsField, FsModel, MatchPolicy, Rule, RuleSet};
pub use score::{match_records, Band, DedupRecord, FieldExplanation, Issue, PairMatch};
pub use uscc::{normalize_credit_code, CreditCode};
pub use words::FormClass;
