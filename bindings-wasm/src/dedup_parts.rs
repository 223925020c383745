//! The batch de-duplication in parts, for a run spread over many machines: blocking keys, one
//! block's pairs, one component's clusters ([`crmkit::dedup::blocking_keys`] and its
//! siblings). Keys are decimal strings: a JS number loses a 64-bit key's digits.

use wasm_bindgen::prelude::*;

use crmkit::dedup::{BatchSettings, BlockSettings, DedupRecord};

use crate::convert::{from_js, from_js_arg, reply};
use crate::dedup::optional;

/// The blocking keys of records: `row` and `key` (decimal strings) long columns, the policy's
/// `max_block_size` and the values that could not be read. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = blockingKeys, unchecked_return_type = "BlockingKeys")]
pub fn blocking_keys(
    #[wasm_bindgen(unchecked_param_type = "MatchPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "DedupRecord[]")] records: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let records: Vec<DedupRecord> = from_js(records, "records")?;
        crmkit::dedup::blocking_keys(&policy, &records)
    };
    reply(run())
}

/// The DUPLICATE and RELATED pairs of one block (`settings.key`; `settings.skipped`, the keys
/// over `max_block_size`): a pair sharing several keys is scored by the block of its smallest
/// shared key only. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = scoreBlock, unchecked_return_type = "BlockPairs")]
pub fn score_block(
    #[wasm_bindgen(unchecked_param_type = "MatchPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "DedupRecord[]")] records: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "BlockSettings")] settings: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let settings: BlockSettings = from_js(settings, "settings")?;
        let records: Vec<DedupRecord> = from_js(records, "records")?;
        crmkit::dedup::score_block(&policy, &settings, &records)
    };
    reply(run())
}

/// The clusters of one connected component of DUPLICATE pairs (`pairs` of ids), under
/// `findDuplicates`' guards. Throws a `CrmkitError`.
#[wasm_bindgen(js_name = clusterPairs, unchecked_return_type = "DedupReport")]
pub fn cluster_pairs(
    #[wasm_bindgen(unchecked_param_type = "MatchPolicy")] policy: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "DedupRecord[]")] records: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "[string, string][]")] pairs: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "BatchSettings")] settings: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let policy = from_js_arg(policy, "policy")?;
        let settings: BatchSettings = optional(settings, "settings", Default::default)?;
        let records: Vec<DedupRecord> = from_js(records, "records")?;
        let pairs: Vec<[String; 2]> = from_js(pairs, "pairs")?;
        crmkit::dedup::cluster_pairs(&policy, &settings, &records, &pairs)
    };
    reply(run())
}
