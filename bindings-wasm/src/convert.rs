//! JS values in and out of crmkit's types, and crmkit errors as JS `Error`s.

use std::cell::RefCell;

use crmkit::{Error, ParseKind};
use js_sys::{Array, Function, Reflect, JSON};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Reads a crmkit input type from a plain JS value through its JSON text, so that parsing
/// and error paths are exactly those of [`crmkit::wire::from_json`] (`root` as there).
pub fn from_js<T: DeserializeOwned>(value: &JsValue, root: &str) -> Result<T, Error> {
    let text = JSON::stringify(value).map_err(|e| Error::Parse {
        // BigInt values and cycles: the value has no JSON form.
        kind: ParseKind::Json,
        path: root.to_owned(),
        message: js_message(&e),
    })?;
    // `undefined`, functions and symbols stringify to `undefined`: read them as `null`, the way
    // the Rust runner reads an absent field, so they get crmkit's own `invalid_type` error.
    let text = JsValue::from(text).as_string().unwrap_or_else(|| "null".to_owned());
    crmkit::wire::from_json(&text, root)
}

/// A crmkit output as a plain JS object (money as decimal strings, dates as `YYYY-MM-DD`).
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    // Cannot fail for crmkit's outputs (string keys, infallible serialisers); kept as a JS
    // `Error` rather than a panic all the same.
    let text = serde_json::to_string(value).map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))?;
    JSON::parse(&text)
}

/// What an export returns: the report as a plain object, or its error thrown as a JS `Error`.
pub fn reply<T: Serialize>(result: Result<T, Error>) -> Result<JsValue, JsValue> {
    to_js(&result.map_err(|e| to_js_error(&e))?)
}

/// The text of a string argument (`asOf`); `path` names it. The core parses it.
pub fn string_arg(value: &JsValue, path: &str) -> Result<String, Error> {
    value.as_string().ok_or_else(|| Error::Parse {
        kind: ParseKind::Type,
        path: path.to_owned(),
        message: format!("expected a YYYY-MM-DD date string, got {}", type_of(value)),
    })
}

thread_local! {
    /// The package's `CrmkitError` class (js/node.cjs, js/web.mjs), registered once when the
    /// package loads, so that errors are instances of the class users import.
    static ERROR_CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Registers the JS class every error is thrown as: `new Class(message, code, path)`. Called
/// by the package's entry points (js/), not by users; until then errors are plain `Error`s
/// named "CrmkitError" with the same `code` and `path`.
#[wasm_bindgen(js_name = "__setErrorClass", skip_typescript)]
pub fn set_error_class(class: Function) {
    ERROR_CLASS.with(|c| *c.borrow_mut() = Some(class));
}

/// The JS `Error` thrown for a crmkit error: an instance of the registered `CrmkitError`
/// class (`name` "CrmkitError", `message` the Display, own properties `code` and `path`).
pub fn to_js_error(e: &Error) -> JsValue {
    let (message, code, path) =
        (JsValue::from_str(&e.to_string()), JsValue::from_str(e.code()), JsValue::from_str(e.path()));
    let class = ERROR_CLASS.with(|c| c.borrow().clone());
    if let Some(class) = class {
        if let Ok(err) = Reflect::construct(&class, &Array::of3(&message, &code, &path)) {
            return err;
        }
    }
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("CrmkitError");
    // Setting a property on a fresh, extensible Error cannot fail.
    let _ = Reflect::set(&err, &JsValue::from_str("code"), &code);
    let _ = Reflect::set(&err, &JsValue::from_str("path"), &path);
    err.into()
}

/// `typeof`-like name of a value, for messages.
pub fn type_of(value: &JsValue) -> String {
    if value.is_null() {
        "null".to_owned()
    } else if js_sys::Array::is_array(value) {
        "an array".to_owned()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}

fn js_message(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map_or_else(|| format!("{e:?}"), |e| String::from(e.message()))
}
