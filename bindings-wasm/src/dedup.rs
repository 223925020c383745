//! Duplicate matching (查重): the normalisers and `compare`. Values are read through their
//! JSON text like every other input, so a wrong type gets the core's `invalid_type` and path.

use wasm_bindgen::prelude::*;

use crate::convert::{from_js, reply};

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
    #[wasm_bindgen(js_name = defaultCountry, unchecked_param_type = "string | undefined")] default_country: &JsValue,
) -> Result<JsValue, JsValue> {
    let run = || {
        let phone: String = from_js(phone, "phone")?;
        let country: String =
            if default_country.is_undefined() { "86".to_owned() } else { from_js(default_country, "default_country")? };
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
