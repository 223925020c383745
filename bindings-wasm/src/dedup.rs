//! Duplicate matching (查重): the normalisers and `compare`. Values are read through their
//! JSON text like every other input, so a wrong type gets the core's `invalid_type` and path.

use wasm_bindgen::prelude::*;

use crmkit::dedup::{BatchSettings, DedupIndex, DedupRecord, EstimateSettings, RecordColumns};

use crate::convert::{from_js, from_js_arg, reply, to_js_error};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** A table as columns for `findDuplicatesColumns`: row `i` is one record. */
export interface RecordColumnsInput {
    ids: string[];
    owners?: (string | null)[];
    /** One column per policy field, by the field's name. */
    fields: { [field: string]: (string | null)[] };
}
"#;

/// An optional argument: `default()` when `undefined`, else read as [`from_js`] reads it at
/// `path` (every optional argument of this module and of `dedup_parts`).
pub(crate) fn optional<T: serde::de::DeserializeOwned>(
    value: &JsValue,
    path: &str,
    default: impl FnOnce() -> T,
) -> Result<T, crmkit::Error> {
    if value.is_undefined() {
        Ok(default())
    } else {
        from_js(value, path)
    }
}

/// A company name in parts: region (leading or in brackets), 字号 (`brand`), industry, legal
/// form, group, branch, pinyin. Throws a `CrmkitError` (`missing_value` at `name` when blank).
#[wasm_bindgen(js_name = normalizeCompany, unchecked_return_type = "CompanyName")]
pub fn normalize_company(#[wasm_bindgen(unchecked_param_type = "string")] name: &JsValue) -> Result<JsValue, JsValue> {
    reply(from_js::<String>(name, "name").and_then(|n| crmkit::dedup::normalize_company(&n)))
}

/// A phone number in E.164; `defaultCountry` (default `"86"`) is the calling code of numbers
/// written without one. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = normalizePhone, unchecked_return_type = "Phone")]
pub fn normalize_phone(
    #[wasm_bindgen(unchecked_param_type = "string")] phone: &JsValue,
    #[wasm_bindgen(js_name = defaultCountry, unchecked_optional_param_type = "string")] default_country: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let phone: String = from_js(phone, "phone")?;
        let country = optional(default_country, "default_country", || "86".to_owned())?;
        crmkit::dedup::normalize_phone(&phone, &country)
    };
    reply(run())
}

/// An e-mail address with its canonical mailbox, free-mail and role flags. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = normalizeEmail, unchecked_return_type = "Email")]
pub fn normalize_email(#[wasm_bindgen(unchecked_param_type = "string")] email: &JsValue) -> Result<JsValue, JsValue> {
    reply(from_js::<String>(email, "email").and_then(|e| crmkit::dedup::normalize_email(&e)))
}

/// The registrable domain of a URL, e-mail address or host. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = normalizeDomain, unchecked_return_type = "Domain")]
pub fn normalize_domain(#[wasm_bindgen(unchecked_param_type = "string")] domain: &JsValue) -> Result<JsValue, JsValue> {
    reply(from_js::<String>(domain, "domain").and_then(|d| crmkit::dedup::normalize_domain(&d)))
}

/// A person's name with pinyin and an order-free key. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = normalizePersonName, unchecked_return_type = "PersonName")]
pub fn normalize_person_name(
    #[wasm_bindgen(unchecked_param_type = "string")] name: &JsValue,
) -> Result<JsValue, JsValue> {
    reply(from_js::<String>(name, "name").and_then(|n| crmkit::dedup::normalize_person_name(&n)))
}

/// A unified social credit code checked by its check character. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = normalizeCreditCode, unchecked_return_type = "CreditCode")]
pub fn normalize_credit_code(
    #[wasm_bindgen(unchecked_param_type = "string")] code: &JsValue,
) -> Result<JsValue, JsValue> {
    reply(from_js::<String>(code, "credit_code").and_then(|c| crmkit::dedup::normalize_credit_code(&c)))
}

/// Compares two values with a comparator (`{type: "company_name"}` gives a verdict). Throws
/// a `CrmkitError`.
#[wasm_bindgen(js_name = compare, unchecked_return_type = "ValueComparison")]
pub fn compare(
    #[wasm_bindgen(unchecked_param_type = "Comparator")] comparator: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] a: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] b: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let comparator = from_js(comparator, "comparator")?;
        let (a, b): (String, String) = (from_js(a, "a")?, from_js(b, "b")?);
        crmkit::dedup::compare(&comparator, &a, &b)
    };
    reply(run())
}

/// Compares two records under a policy: every field, the rule set or Fellegi-Sunter model,
/// explained field by field. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = matchRecords, unchecked_return_type = "PairMatch")]
pub fn match_records(
    #[wasm_bindgen(unchecked_param_type = "MatchPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "DedupRecord")] a: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "DedupRecord")] b: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let (a, b) = (from_js(a, "a")?, from_js(b, "b")?);
        crmkit::dedup::match_records(&policy, &a, &b)
    };
    reply(run())
}

/// Estimates a Fellegi-Sunter model from unlabelled records (EM; u from seeded random
/// pairs). Throws a `CrmkitError`.
#[wasm_bindgen(js_name = estimateModel, unchecked_return_type = "EstimateReport")]
pub fn estimate_model(
    #[wasm_bindgen(unchecked_param_type = "MatchPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "DedupRecord[]")] records: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "EstimateSettings")] settings: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let settings: EstimateSettings = optional(settings, "settings", Default::default)?;
        let records: Vec<DedupRecord> = from_js(records, "records")?;
        crmkit::dedup::estimate_model(&policy, &settings, &records)
    };
    reply(run())
}

/// De-duplicates a table of records: clusters, survivors, merged values. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = findDuplicates, unchecked_return_type = "DedupReport")]
pub fn find_duplicates(
    #[wasm_bindgen(unchecked_param_type = "MatchPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "DedupRecord[]")] records: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "BatchSettings")] settings: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        // Policy, settings, then the data: the order the native and Python bindings read them
        // in, so an input wrong in two places names the same one everywhere.
        let policy = from_js_arg(policy, "policy")?;
        let settings: BatchSettings = optional(settings, "settings", Default::default)?;
        let records: Vec<DedupRecord> = from_js(records, "records")?;
        crmkit::dedup::find_duplicates(&policy, &settings, &records)
    };
    reply(run())
}

/// De-duplicates a table given as columns (`{ids, owners?, fields: {name: column}}`): per
/// row its cluster (-1: none) and survivor flag, and the clusters. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = findDuplicatesColumns, unchecked_return_type = "ColumnsReport")]
pub fn find_duplicates_columns(
    #[wasm_bindgen(unchecked_param_type = "MatchPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "RecordColumnsInput")] columns: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "BatchSettings")] settings: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let settings: BatchSettings = optional(settings, "settings", Default::default)?;
        let input: ColumnsInput = from_js_arg(columns, "columns")?;
        let fields: Vec<(String, Vec<Option<String>>)> = input.fields.into_iter().collect();
        let columns = RecordColumns { ids: &input.ids, owners: input.owners.as_deref(), fields: &fields };
        crmkit::dedup::find_duplicates_columns(&policy, &settings, &columns)
    };
    reply(run())
}

/// The columns `findDuplicatesColumns` reads.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnsInput {
    ids: Vec<String>,
    #[serde(default)]
    owners: Option<Vec<Option<String>>>,
    fields: std::collections::BTreeMap<String, Vec<Option<String>>>,
}

/// Links the right table to the left one. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = linkRecords, unchecked_return_type = "LinkReport")]
pub fn link_records(
    #[wasm_bindgen(unchecked_param_type = "MatchPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "DedupRecord[]")] left: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "DedupRecord[]")] right: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "number")] limit: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let left: Vec<DedupRecord> = from_js(left, "records")?;
        let right: Vec<DedupRecord> = from_js(right, "right")?;
        let limit = optional(limit, "limit", || 10)?;
        crmkit::dedup::link_records(&policy, &left, &right, limit)
    };
    reply(run())
}

/// An indexed book for 查重: build it once, keep it up to date record by record, persist it
/// with `toBytes`, and `query` one incoming record for its duplicates and their owners.
#[wasm_bindgen(js_name = DedupIndex)]
pub struct JsDedupIndex {
    inner: DedupIndex,
}

#[wasm_bindgen(js_class = DedupIndex)]
impl JsDedupIndex {
    /// An index of `records` under `policy`. Throws a `CrmkitError`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "MatchPolicy")] policy: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "DedupRecord[]")] records: &JsValue,
    ) -> Result<JsDedupIndex, JsValue> {
        let run = || {
            let policy = from_js_arg(policy, "policy")?;
            let records: Vec<DedupRecord> = optional(records, "records", Vec::new)?;
            DedupIndex::build(&policy, &records)
        };
        run().map(|inner| Self { inner }).map_err(|e| to_js_error(&e))
    }

    /// Adds a record; returns the values that could not be read. Throws a `CrmkitError`.
    #[wasm_bindgen(unchecked_return_type = "Issue[]")]
    pub fn add(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "DedupRecord")] record: &JsValue,
    ) -> Result<JsValue, JsValue> {
        reply(from_js::<DedupRecord>(record, "record").and_then(|r| self.inner.add(&r)))
    }

    /// Replaces the record with the same id (or adds it). Throws a `CrmkitError`.
    #[wasm_bindgen(unchecked_return_type = "Issue[]")]
    pub fn update(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "DedupRecord")] record: &JsValue,
    ) -> Result<JsValue, JsValue> {
        reply(from_js::<DedupRecord>(record, "record").and_then(|r| self.inner.update(&r)))
    }

    /// Removes the record with this id; false when there is none. Throws a `CrmkitError`
    /// (`invalid_type` at `id`) when `id` is not a string.
    pub fn remove(&mut self, #[wasm_bindgen(unchecked_param_type = "string")] id: &JsValue) -> Result<bool, JsValue> {
        let id: String = from_js(id, "id").map_err(|e| to_js_error(&e))?;
        Ok(self.inner.remove(&id))
    }

    /// The book's DUPLICATE and RELATED records for `record`, best first, with owners.
    /// Throws a `CrmkitError`.
    #[wasm_bindgen(unchecked_return_type = "QueryReport")]
    pub fn query(
        &self,
        #[wasm_bindgen(unchecked_param_type = "DedupRecord")] record: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] limit: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let run = || {
            let record: DedupRecord = from_js(record, "record")?;
            let limit = optional(limit, "limit", || 10)?;
            self.inner.query(&record, limit)
        };
        reply(run())
    }

    /// The index as bytes (version header, checksum).
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// An index from `toBytes`. Throws a `CrmkitError` (`corrupt_data`, `unsupported_version`).
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<JsDedupIndex, JsValue> {
        DedupIndex::from_bytes(bytes).map(|inner| Self { inner }).map_err(|e| to_js_error(&e))
    }

    /// Number of records held.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.inner.len()
    }
}
