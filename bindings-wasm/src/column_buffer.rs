//! `ColumnBuffer`: a column that lives in the module's own memory, so that `forecastColumns`
//! reads it where it is instead of copying it in.
//!
//! Every typed array `forecastColumns` is given is otherwise copied into WebAssembly memory
//! first: for a million deals about 20 MB, which is most of the call (~2.7 ms of ~6 ms for
//! `half_elapsed` by 200 owners, the machine's copy speed). A caller that fills its columns
//! itself (decoding a file, a fetch, a generator) or forecasts the same columns more than once
//! can hold them here: the buffer's `view()` is a typed array over the module's memory, and a
//! view given back to `forecastColumns` is read in place.
//!
//! Each buffer's vector is kept in a registry under the address of its first element; a view
//! is recognised by its `ArrayBuffer` (the module's memory's) and its byte offset (a live
//! buffer's address) and borrowed through the registry's `Rc`, so a buffer freed while a call
//! reads it stays alive until the call ends. Anything else (a view of freed or foreign memory
//! in the module, any other typed array) is copied, as before.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Deref;
use std::rc::Rc;

use crmkit::{Error, ParseKind};
use js_sys::{ArrayBuffer, BigInt64Array, Float64Array, Int32Array, WebAssembly};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::columns::{safe_integer, type_error};
use crate::convert::{to_js_error, type_of};

/// A live buffer's storage, shared with the calls reading it.
#[derive(Clone)]
enum Lent {
    Int32(Rc<Vec<i32>>),
    Float64(Rc<Vec<f64>>),
    BigInt64(Rc<Vec<i64>>),
}

impl Lent {
    /// Number of values.
    fn len(&self) -> usize {
        match self {
            Self::Int32(v) => v.len(),
            Self::Float64(v) => v.len(),
            Self::BigInt64(v) => v.len(),
        }
    }

    /// The address of the first value (the registry's key, a view's byte offset).
    fn addr(&self) -> usize {
        match self {
            Self::Int32(v) => v.as_ptr() as usize,
            Self::Float64(v) => v.as_ptr() as usize,
            Self::BigInt64(v) => v.as_ptr() as usize,
        }
    }

    /// The `type` JS names it by.
    fn kind(&self) -> &'static str {
        match self {
            Self::Int32(_) => "int32",
            Self::Float64(_) => "float64",
            Self::BigInt64(_) => "bigint64",
        }
    }

    /// A typed array of its kind over `len` values of `buffer` from byte `at`.
    fn view(&self, buffer: &ArrayBuffer, at: u32, len: u32) -> JsValue {
        match self {
            Self::Int32(_) => Int32Array::new_with_byte_offset_and_length(buffer, at, len).into(),
            Self::Float64(_) => Float64Array::new_with_byte_offset_and_length(buffer, at, len).into(),
            Self::BigInt64(_) => BigInt64Array::new_with_byte_offset_and_length(buffer, at, len).into(),
        }
    }

    /// Whether `value` is a typed array of its kind.
    fn viewed_by(&self, value: &JsValue) -> bool {
        match self {
            Self::Int32(_) => value.is_instance_of::<Int32Array>(),
            Self::Float64(_) => value.is_instance_of::<Float64Array>(),
            Self::BigInt64(_) => value.is_instance_of::<BigInt64Array>(),
        }
    }
}

thread_local! {
    /// Live buffers by the address of their first element (wasm32 has one thread).
    static LENT: RefCell<BTreeMap<usize, Lent>> = const { RefCell::new(BTreeMap::new()) };
}

/// A column read from JS: copied into a vector, or a live `ColumnBuffer`'s, read in place.
pub enum Column<T> {
    /// Copied in.
    Owned(Vec<T>),
    /// The first `len` values of a buffer's vector.
    Lent(Rc<Vec<T>>, usize),
}

impl<T> Deref for Column<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            Self::Owned(v) => v,
            Self::Lent(v, len) => &v[..*len],
        }
    }
}

/// The module's memory as an `ArrayBuffer` now (a new one after each growth).
fn memory() -> ArrayBuffer {
    wasm_bindgen::memory().unchecked_into::<WebAssembly::Memory>().buffer().unchecked_into()
}

/// The buffer a view starting at `byte_offset` of `buffer` with `len` values belongs to.
fn lent(buffer: &JsValue, byte_offset: u32, len: u32) -> Option<Lent> {
    if *buffer != JsValue::from(memory()) {
        return None;
    }
    let found = LENT.with(|lent| lent.borrow().get(&(byte_offset as usize)).cloned())?;
    (found.len() >= len as usize).then_some(found)
}

/// A typed array as a call first finds it, with the live buffer of its type it views, if
/// any. A call pins each of its columns before it allocates: an allocation (a column copied
/// in, a `float64` buffer's units, the labels) may grow the memory, which detaches every
/// view of it, so a view looked up after one would be refused.
pub struct Pinned {
    value: JsValue,
    lent: Option<(Lent, usize)>,
}

impl Pinned {
    /// `value`, looked up in the registry when it is a view (no allocation): the buffer at
    /// its byte offset, if it is a typed array of that buffer's kind.
    pub fn new(value: JsValue) -> Self {
        let lent = ArrayBuffer::is_view(&value).then(|| value.unchecked_ref::<AnyView>()).and_then(|view| {
            let len = view.length();
            lent(&view.buffer(), view.byte_offset(), len).filter(|l| l.viewed_by(&value)).map(|l| (l, len as usize))
        });
        Self { value, lent }
    }

    /// The value as given.
    pub fn value(&self) -> &JsValue {
        &self.value
    }

    /// A live `float64` buffer's values, in place.
    pub fn floats(&self) -> Option<Column<f64>> {
        match &self.lent {
            Some((Lent::Float64(v), len)) => Some(Column::Lent(Rc::clone(v), *len)),
            _ => None,
        }
    }

    /// A live `bigint64` buffer's values, in place.
    pub fn bigints(&self) -> Option<Column<i64>> {
        match &self.lent {
            Some((Lent::BigInt64(v), len)) => Some(Column::Lent(Rc::clone(v), *len)),
            _ => None,
        }
    }
}

/// An `Int32Array` as a column: in place when it views a live `int32` buffer.
pub fn int32_column(pinned: Pinned, path: &str) -> Result<Column<i32>, Error> {
    if let Some((Lent::Int32(v), len)) = pinned.lent {
        return Ok(Column::Lent(v, len));
    }
    let Some(array) = pinned.value.dyn_ref::<Int32Array>() else {
        return Err(type_error(path, "an Int32Array", &pinned.value));
    };
    not_detached(&array.buffer(), array.length(), path)?;
    Ok(Column::Owned(array.to_vec()))
}

/// Refuses an empty view of a detached `ArrayBuffer`: a `ColumnBuffer` view taken before the
/// module's memory grew (it then reads as empty, and a forecast of empty columns would be
/// silently empty). A detached buffer cannot be sliced; an empty one can.
pub fn not_detached(buffer: &ArrayBuffer, len: u32, path: &str) -> Result<(), Error> {
    if len == 0 && buffer.byte_length() == 0 && buffer.unchecked_ref::<MaybeDetached>().try_slice().is_err() {
        return Err(Error::Parse {
            kind: ParseKind::Value,
            path: path.to_owned(),
            message: "a typed array over a detached ArrayBuffer (a ColumnBuffer view taken before crmkit's memory grew: take it anew with view() before each call)".to_owned(),
        });
    }
    Ok(())
}

#[wasm_bindgen]
extern "C" {
    /// A typed array of any kind (or a `DataView`, whose `length` reads as 0).
    type AnyView;
    /// Its `ArrayBuffer`.
    #[wasm_bindgen(method, getter)]
    fn buffer(this: &AnyView) -> JsValue;
    /// Its first value's offset in its buffer, in bytes.
    #[wasm_bindgen(method, getter, js_name = byteOffset)]
    fn byte_offset(this: &AnyView) -> u32;
    /// Its number of values.
    #[wasm_bindgen(method, getter)]
    fn length(this: &AnyView) -> u32;
    /// An `ArrayBuffer`, for a `slice` that may throw.
    #[wasm_bindgen(js_name = ArrayBuffer)]
    type MaybeDetached;
    /// `ArrayBuffer.prototype.slice`, which throws on a detached buffer.
    #[wasm_bindgen(catch, method, js_name = slice)]
    fn try_slice(this: &MaybeDetached) -> Result<JsValue, JsValue>;
}

/// A column held in crmkit's WebAssembly memory: fill its `view()` and pass the view to
/// `forecastColumns`, which reads it in place (no copy). Zero-filled when made. Free it with
/// `free()` (or `using`) when done; a view taken before any crmkit call that may have grown
/// the memory is detached (empty): take a view anew before each call.
#[wasm_bindgen]
pub struct ColumnBuffer {
    /// Its vector (also in the registry, under its address, while `length` > 0).
    storage: Lent,
    length: u32,
}

#[wasm_bindgen]
impl ColumnBuffer {
    /// A zero-filled buffer of `length` values of `type`: `"int32"` (codes, days),
    /// `"float64"` (units as safe integers) or `"bigint64"` (units). Throws a `CrmkitError`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = type, unchecked_param_type = "\"int32\" | \"float64\" | \"bigint64\"")] kind: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] length: &JsValue,
    ) -> Result<ColumnBuffer, JsValue> {
        Self::make(kind, length).map_err(|e| to_js_error(&e))
    }

    fn make(kind: &JsValue, length: &JsValue) -> Result<ColumnBuffer, Error> {
        let len = match length.as_f64() {
            Some(v) if safe_integer(v) && (0.0..=f64::from(u32::MAX)).contains(&v) => v as u32,
            _ => return Err(type_error("length", "a whole number of values from 0 to 2^32 - 1", length)),
        };
        let n = len as usize;
        let too_big = || Error::InvalidValue { path: "length".into(), reason: format!("no memory for {len} values") };
        let storage = match kind.as_string().as_deref() {
            Some("int32") => Lent::Int32(Rc::new(zeroed(n).ok_or_else(too_big)?)),
            Some("float64") => Lent::Float64(Rc::new(zeroed(n).ok_or_else(too_big)?)),
            Some("bigint64") => Lent::BigInt64(Rc::new(zeroed(n).ok_or_else(too_big)?)),
            _ => {
                return Err(Error::Parse {
                    kind: ParseKind::Value,
                    path: "type".into(),
                    message: format!(
                        "expected \"int32\", \"float64\" or \"bigint64\", got {}",
                        kind.as_string().map_or_else(|| type_of(kind), |s| format!("{s:?}"))
                    ),
                })
            }
        };
        // An empty vector's address is a dangling constant shared by every empty buffer:
        // those are never registered (an empty view is as cheap to copy).
        if n > 0 {
            LENT.with(|lent| lent.borrow_mut().insert(storage.addr(), storage.clone()));
        }
        Ok(ColumnBuffer { storage, length: len })
    }

    /// Number of values.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        self.length
    }

    /// `"int32"`, `"float64"` or `"bigint64"`.
    #[wasm_bindgen(getter, js_name = type)]
    pub fn kind(&self) -> String {
        self.storage.kind().to_owned()
    }

    /// A typed array over the buffer (`Int32Array`, `Float64Array` or `BigInt64Array`, as its
    /// type), to fill and to pass in `DealColumns`. It is detached when crmkit's memory grows,
    /// which any crmkit call may do: take it anew before each call.
    #[wasm_bindgen(unchecked_return_type = "Int32Array | Float64Array | BigInt64Array")]
    pub fn view(&self) -> JsValue {
        // An empty buffer's view is over an empty `ArrayBuffer` of its own (never detached).
        let (buffer, at, len) = if self.length == 0 {
            (ArrayBuffer::new(0), 0, 0)
        } else {
            (memory(), self.storage.addr() as u32, self.length)
        };
        self.storage.view(&buffer, at, len)
    }
}

impl Drop for ColumnBuffer {
    fn drop(&mut self) {
        if self.length > 0 {
            LENT.with(|lent| lent.borrow_mut().remove(&self.storage.addr()));
        }
    }
}

/// `n` zeros, or `None` when the memory cannot grow that far.
fn zeroed<T: Clone + Default>(n: usize) -> Option<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).ok()?;
    v.resize(n, T::default());
    Some(v)
}
