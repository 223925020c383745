//! One serde `Serializer` that builds Python objects from any crmkit output type.
//!
//! Structs and maps become `dict`, sequences and tuples `list`, strings `str`, integers `int`,
//! unit enum variants their (snake_case) name, `None`/unit `None`. The newtype structs
//! [`crmkit::wire::DECIMAL`] and [`crmkit::wire::DATE`] around a string become
//! `decimal.Decimal` and `datetime.date`: money never passes through a float.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyType};
use serde::ser::{self, Serialize};

/// Converts `value` to a Python object.
///
/// # Errors
///
/// A Python error raised while building an object (out of memory, `decimal` refusing a
/// string crmkit wrote, which would be a bug).
pub fn to_python<'py, T: Serialize + ?Sized>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let _paused = GcPause::new(py)?;
    let ctx = Ctx::new(py)?;
    value.serialize(ToPython { py, ctx: &ctx }).map_err(|e| e.0)
}

/// Python's cyclic garbage collector paused while a report's objects are built, then enabled
/// again if it was (a caller who had disabled it keeps it disabled). A report's dicts and
/// lists cannot form a cycle, yet each collection the allocations set off walks every object
/// made so far: 131,072 campaign lines (about 1.5 million containers) took 1.36-1.46 s to
/// build with the collector on, 0.71-0.73 s with it paused.
struct GcPause<'py> {
    /// `gc.enable`, to call when the conversion ends; `None`: the collector was off already.
    enable: Option<Bound<'py, PyAny>>,
}

impl<'py> GcPause<'py> {
    fn new(py: Python<'py>) -> PyResult<Self> {
        let gc = py.import(pyo3::intern!(py, "gc"))?;
        if !gc.call_method0(pyo3::intern!(py, "isenabled"))?.is_truthy()? {
            return Ok(Self { enable: None });
        }
        gc.call_method0(pyo3::intern!(py, "disable"))?;
        Ok(Self { enable: Some(gc.getattr(pyo3::intern!(py, "enable"))?) })
    }
}

impl Drop for GcPause<'_> {
    fn drop(&mut self) {
        if let Some(enable) = &self.enable {
            // `gc.enable()` takes no argument and cannot fail; were it to, the error is
            // dropped rather than raised in place of the report.
            drop(enable.call0());
        }
    }
}

/// `values` as a list of `decimal.Decimal`: their texts joined by commas, split and mapped
/// through `Decimal` by Python's own `map` (~0.17 µs a value, where one `Decimal(text)` call
/// from here costs ~0.4 µs: a string, a tuple of arguments and a call each). The same
/// objects as [`to_python`] makes of each value: `Decimal` of its text.
///
/// # Errors
///
/// A Python error raised while building the list (out of memory).
pub fn decimal_list(py: Python<'_>, values: impl Iterator<Item = crmkit::Decimal>) -> PyResult<Bound<'_, PyList>> {
    use std::fmt::Write as _;
    let mut text = String::new();
    for (i, d) in values.enumerate() {
        if i > 0 {
            text.push(',');
        }
        // (Writing to a String cannot fail.)
        let _ = write!(text, "{d}");
    }
    if text.is_empty() {
        return Ok(PyList::empty(py));
    }
    let parts = PyString::new(py, &text).call_method1(pyo3::intern!(py, "split"), (pyo3::intern!(py, ","),))?;
    let mapped = MAP.import(py, "builtins", "map")?.call1((decimal_class(py)?, parts))?;
    Ok(LIST.import(py, "builtins", "list")?.call1((mapped,))?.cast_into()?)
}

/// `values` as a list of `decimal.Decimal` (as [`decimal_list`] makes them) with `None` where
/// a value is `None`.
///
/// # Errors
///
/// A Python error raised while building the list (out of memory).
pub fn optional_decimal_list(
    py: Python<'_>,
    values: impl Iterator<Item = Option<crmkit::Decimal>> + Clone,
) -> PyResult<Bound<'_, PyList>> {
    let decimals = decimal_list(py, values.clone().flatten())?;
    if decimals.len() == values.clone().count() {
        return Ok(decimals);
    }
    let mut some = decimals.iter();
    let list = PyList::empty(py);
    for value in values {
        match value.and_then(|_| some.next()) {
            Some(object) => list.append(object)?,
            None => list.append(py.None())?,
        }
    }
    Ok(list)
}

/// Python's `map` and `list`.
static MAP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static LIST: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `decimal.Decimal`.
fn decimal_class(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    DECIMAL.import(py, "decimal", "Decimal")
}

/// What one conversion looks up once: the `Decimal` class, `date.fromisoformat`, and the
/// Python strings of field and variant names (thousands of lines share a dozen names).
struct Ctx<'py> {
    decimal: Bound<'py, PyType>,
    date_from_iso: Bound<'py, PyAny>,
    datetime_from_iso: Bound<'py, PyAny>,
    names: RefCell<HashMap<&'static str, Bound<'py, PyString>>>,
}

impl<'py> Ctx<'py> {
    fn new(py: Python<'py>) -> PyResult<Self> {
        static DATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        Ok(Self {
            decimal: decimal_class(py)?.clone(),
            date_from_iso: DATE.import(py, "datetime", "date")?.getattr(pyo3::intern!(py, "fromisoformat"))?,
            datetime_from_iso: DATETIME
                .import(py, "datetime", "datetime")?
                .getattr(pyo3::intern!(py, "fromisoformat"))?,
            names: RefCell::new(HashMap::new()),
        })
    }

    fn name(&self, py: Python<'py>, name: &'static str) -> Bound<'py, PyString> {
        self.names.borrow_mut().entry(name).or_insert_with(|| PyString::intern(py, name)).clone()
    }
}

/// A `PyErr` carried through serde.
#[derive(Debug)]
pub struct Error(PyErr);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self(pyo3::exceptions::PyValueError::new_err(msg.to_string()))
    }
}

impl From<PyErr> for Error {
    fn from(e: PyErr) -> Self {
        Self(e)
    }
}

type Result<T> = std::result::Result<T, Error>;

#[derive(Clone, Copy)]
struct ToPython<'a, 'py> {
    py: Python<'py>,
    ctx: &'a Ctx<'py>,
}

impl<'a, 'py> ToPython<'a, 'py> {
    fn object<T: IntoPyObject<'py>>(self, v: T) -> Result<Bound<'py, PyAny>> {
        Ok(v.into_bound_py_any(self.py)?)
    }

    fn list(self, len: Option<usize>) -> Seq<'a, 'py> {
        Seq { to: self, items: Vec::with_capacity(len.unwrap_or(0)) }
    }

    /// `{variant: value}`, serde's external tagging, as serde_json writes it.
    fn tagged(self, variant: &'static str, value: Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>> {
        let dict = PyDict::new(self.py);
        dict.set_item(self.ctx.name(self.py, variant), value)?;
        Ok(dict.into_any())
    }
}

use pyo3::IntoPyObjectExt as _;

impl<'a, 'py> ser::Serializer for ToPython<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    type SerializeSeq = Seq<'a, 'py>;
    type SerializeTuple = Seq<'a, 'py>;
    type SerializeTupleStruct = Seq<'a, 'py>;
    type SerializeTupleVariant = Tagged<Seq<'a, 'py>>;
    type SerializeMap = Map<'a, 'py>;
    type SerializeStruct = Map<'a, 'py>;
    type SerializeStructVariant = Tagged<Map<'a, 'py>>;

    fn serialize_bool(self, v: bool) -> Result<Self::Ok> {
        self.object(v)
    }
    fn serialize_i8(self, v: i8) -> Result<Self::Ok> {
        self.object(v)
    }
    fn serialize_i16(self, v: i16) -> Result<Self::Ok> {
        self.object(v)
    }
    fn serialize_i32(self, v: i32) -> Result<Self::Ok> {
        self.object(v)
    }
    fn serialize_i64(self, v: i64) -> Result<Self::Ok> {
        self.object(v)
    }
    fn serialize_i128(self, v: i128) -> Result<Self::Ok> {
        self.object(v)
    }
    fn serialize_u8(self, v: u8) -> Result<Self::Ok> {
        self.object(v)
    }
    fn serialize_u16(self, v: u16) -> Result<Self::Ok> {
        self.object(v)
    }
    fn serialize_u32(self, v: u32) -> Result<Self::Ok> {
        self.object(v)
    }
    fn serialize_u64(self, v: u64) -> Result<Self::Ok> {
        self.object(v)
    }
    fn serialize_u128(self, v: u128) -> Result<Self::Ok> {
        self.object(v)
    }
    fn serialize_f32(self, v: f32) -> Result<Self::Ok> {
        self.object(v)
    }
    fn serialize_f64(self, v: f64) -> Result<Self::Ok> {
        self.object(v)
    }
    fn serialize_char(self, v: char) -> Result<Self::Ok> {
        self.object(v)
    }
    fn serialize_str(self, v: &str) -> Result<Self::Ok> {
        Ok(PyString::new(self.py, v).into_any())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Self::Ok> {
        self.object(v)
    }
    fn serialize_none(self) -> Result<Self::Ok> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Self::Ok> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Self::Ok> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Self::Ok> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<Self::Ok> {
        Ok(self.ctx.name(self.py, variant).into_any())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Result<Self::Ok> {
        let inner = value.serialize(self)?;
        Ok(match name {
            crmkit::wire::DECIMAL => self.ctx.decimal.call1((inner,))?,
            crmkit::wire::DATE => self.ctx.date_from_iso.call1((inner,))?,
            crmkit::pool::time::INSTANT => self.ctx.datetime_from_iso.call1((inner,))?,
            _ => inner,
        })
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Self::Ok> {
        let inner = value.serialize(self)?;
        self.tagged(variant, inner)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq> {
        Ok(self.list(len))
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple> {
        Ok(self.list(Some(len)))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Self::SerializeTupleStruct> {
        Ok(self.list(Some(len)))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Ok(Tagged { variant, inner: self.list(Some(len)) })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Ok(Map { to: self, dict: PyDict::new(self.py), key: None })
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Ok(Tagged { variant, inner: self.serialize_map(None)? })
    }
}

/// A list being built.
pub struct Seq<'a, 'py> {
    to: ToPython<'a, 'py>,
    items: Vec<Bound<'py, PyAny>>,
}

impl<'py> Seq<'_, 'py> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.items.push(value.serialize(self.to)?);
        Ok(())
    }

    fn finish(self) -> Result<Bound<'py, PyAny>> {
        Ok(PyList::new(self.to.py, self.items)?.into_any())
    }
}

/// The three sequence traits of serde, all building a list.
macro_rules! list_serializer {
    ($($trait:ident :: $method:ident),*) => {$(
        impl<'py> ser::$trait for Seq<'_, 'py> {
            type Ok = Bound<'py, PyAny>;
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
                self.push(value)
            }
            fn end(self) -> Result<Self::Ok> {
                self.finish()
            }
        }
    )*};
}

list_serializer!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

/// A dict being built.
pub struct Map<'a, 'py> {
    to: ToPython<'a, 'py>,
    dict: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyAny>>,
}

impl<'py> ser::SerializeMap for Map<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.key = Some(key.serialize(self.to)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self.key.take().ok_or_else(|| <Error as ser::Error>::custom("map value before its key"))?;
        self.dict.set_item(key, value.serialize(self.to)?)?;
        Ok(())
    }
    fn end(self) -> Result<Self::Ok> {
        Ok(self.dict.into_any())
    }
}

impl<'py> ser::SerializeStruct for Map<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.dict.set_item(self.to.ctx.name(self.to.py, key), value.serialize(self.to)?)?;
        Ok(())
    }
    fn end(self) -> Result<Self::Ok> {
        Ok(self.dict.into_any())
    }
}

/// A tuple or struct variant: `{variant: [..] | {..}}`.
pub struct Tagged<T> {
    variant: &'static str,
    inner: T,
}

impl<'py> ser::SerializeTupleVariant for Tagged<Seq<'_, 'py>> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.inner.push(value)
    }
    fn end(self) -> Result<Self::Ok> {
        let to = self.inner.to;
        to.tagged(self.variant, self.inner.finish()?)
    }
}

impl<'py> ser::SerializeStructVariant for Tagged<Map<'_, 'py>> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }
    fn end(self) -> Result<Self::Ok> {
        let to = self.inner.to;
        to.tagged(self.variant, self.inner.dict.into_any())
    }
}
