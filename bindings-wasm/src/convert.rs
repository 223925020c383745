//! JS values in and out of crmkit's types, and crmkit errors as JS `Error`s.

use std::cell::RefCell;

use crmkit::{Error, ParseKind};
use js_sys::{Array, Function, Reflect, JSON};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

// `JSON.stringify` with crmkit's JS number rule, run in JS (one native pass, no crossing per
// value): NaN and ±Infinity are `invalid_type` (JSON would write them as null, i.e. "absent");
// integers beyond 2^53 are written as the floats they are (JS already rounded them:
// 9007199254740993 is 9007199254740992 here), so money refuses them as `invalid_decimal`; a
// BigInt is written as the exact integer (a decimal string beyond 64 bits). Paths are tracked per object so that an error names the field, the way
// `crmkit::wire::from_json` does. Cycles and nesting too deep for the JS stack are reported
// rather than thrown.
#[wasm_bindgen(inline_js = r#"
export function crmkit_json(value, root) {
  // Each object's holder and key; a path is only spelled out for an error (spelling every
  // path would cost memory quadratic in the nesting).
  const parents = new Map();
  const path = (holder, key) => {
    const steps = [];
    for (let h = holder, k = key; parents.has(h); [h, k] = parents.get(h)) steps.push([h, k]);
    let out = root;
    for (const [h, k] of steps.reverse()) {
      out = Array.isArray(h) ? `${out}[${k}]` : out === "" ? k : `${out}.${k}`;
    }
    return out;
  };
  const fail = (code, at, message) => ({ crmkitError: true, code, path: at, message });
  const mark = `\u0000crmkit-bigint-${Math.random().toString(36).slice(2)}:`;
  let raw = false;
  let problem = null;
  let text;
  try {
    text = JSON.stringify(value, function (key, v) {
      if (problem !== null) return undefined;
      if (typeof v === "number") {
        if (!Number.isFinite(v)) {
          problem = fail("invalid_type", path(this, key), `${v} is not a value crmkit accepts; leave the field out (or null) when it is missing`);
        } else if (Number.isInteger(v) && !Number.isSafeInteger(v)) {
          // Not the integer the caller wrote (JS rounded it): pass it on as the binary float
          // it is, so it gets the code a float gets there, as in Python and Rust
          // (invalid_decimal for money, invalid_type for an integer field).
          raw = true;
          const s = String(v);
          return mark + (/[e.]/.test(s) ? s : `${s}.0`);
        }
      } else if (typeof v === "bigint") {
        if (v >= -(2n ** 63n) && v < 2n ** 64n) {
          raw = true;
          return mark + v.toString();
        }
        return v.toString();
      } else if (v !== null && typeof v === "object") {
        parents.set(v, [this, key]);
      }
      return v;
    });
  } catch (e) {
    if (e instanceof RangeError) return fail("limit_exceeded", root, "the value is nested too deeply");
    return fail("invalid_value", root, `the value cannot be read: ${e && e.message}`);
  }
  if (problem !== null) return problem;
  if (text === undefined) return "null";
  if (raw) {
    // "<mark>123" (as JSON writes the mark) -> 123, the number itself in the JSON text
    const quoted = JSON.stringify(mark).slice(0, -1).replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
    text = text.replace(new RegExp(`${quoted}([-+.e0-9]+)"`, "g"), "$1");
  }
  return text;
}
"#)]
extern "C" {
    fn crmkit_json(value: &JsValue, root: &str) -> JsValue;
}

/// Reads a crmkit input type from a plain JS value through its JSON text, so that parsing
/// and error paths are exactly those of [`crmkit::wire::from_json`] (`root` as there).
///
/// The JS number rule holds for every field of every domain: NaN and ±Infinity are
/// `invalid_type` (never "absent"); fractional numbers and integers beyond 2^53 reach the core
/// as floats, which money and rates refuse (`invalid_decimal`) as they do from Python and
/// JSON; a `BigInt` is read as its exact integer.
pub fn from_js<T: DeserializeOwned>(value: &JsValue, root: &str) -> Result<T, Error> {
    let text = crmkit_json(value, root);
    if let Some(text) = text.as_string() {
        return crmkit::wire::from_json(&text, root);
    }
    Err(refused(&text, root))
}

/// Reads an argument that is one object whose fields are reported bare (a policy, settings,
/// an input object), as [`crmkit::wire::from_json_arg`]: what is wrong with the value as a
/// whole (an array, a string, `null`, `NaN` where the object belongs) is reported at `name`.
pub fn from_js_arg<T: DeserializeOwned>(value: &JsValue, name: &str) -> Result<T, Error> {
    let text = crmkit_json(value, "");
    if let Some(text) = text.as_string() {
        return crmkit::wire::from_json_arg(&text, name);
    }
    Err(refused(&text, "").named(name))
}

/// The error `crmkit_json` reported instead of JSON text.
fn refused(text: &JsValue, root: &str) -> Error {
    let field = |name: &str| Reflect::get(text, &JsValue::from_str(name)).ok().and_then(|v| v.as_string());
    let (code, path, message) = (field("code"), field("path"), field("message"));
    let path = path.unwrap_or_else(|| root.to_owned());
    let message = message.unwrap_or_default();
    match code.as_deref() {
        Some("limit_exceeded") => {
            crmkit::limits::exceeded(&path, "deeper nesting", crmkit::limits::MAX_NESTING, "levels of nesting")
        }
        Some("invalid_value") => Error::Parse { kind: ParseKind::Value, path, message },
        _ => Error::Parse { kind: ParseKind::Type, path, message },
    }
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
    if let Some(class) = class
        && let Ok(err) = Reflect::construct(&class, &Array::of3(&message, &code, &path))
    {
        return err;
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
