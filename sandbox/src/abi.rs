//! The value ABI between the host (PostgreSQL) and a guest module.
//!
//! See `ABI.md` in the crate root for the full description. In short:
//!
//! * `int2`, `int4`, `bool` travel as `i32`; `int8` as `i64`; `float4` as
//!   `f32`; `float8` as `f64`.
//! * `text`, `bytea` and `jsonb` arguments travel as two `i32`: a pointer
//!   into the guest's exported `memory` and a length in bytes. The host gets
//!   the pointer by calling the guest's `alloc(len: i32) -> i32` export and
//!   copies the bytes there (bounds-checked).
//! * A `text`, `bytea` or `jsonb` result is one `i64`: the pointer in the
//!   high 32 bits and the length in the low 32 bits. The host copies the
//!   bytes out (bounds-checked).
//! * Version 2 adds `numeric` (as its decimal text), one-dimensional arrays
//!   and sets (`RETURNS SETOF`) in one flat encoding ([`ArrayValue`]), NULL
//!   arguments through a trailing `i64` mask and NULL results through the
//!   packed value `-1`.
//! * Version 3 adds rows ([`RowKind`]): composite results (`RETURNS TABLE`
//!   of several columns, OUT parameters, composite types) and trigger
//!   functions, both as JSON text the embedder reads and writes.
//! * Version 4 adds NULL array elements: an array (or set) with NULLs
//!   travels in the nullable form ([`ArrayValue::Nullable`]), flagged by
//!   bit 31 of its length ([`NULLS_FLAG`]); arrays without NULLs are
//!   unchanged.
//! * Version 5 adds the `extguard.raise` host import (messages and
//!   errors); values cross as in version 4.

use std::fmt;

/// The newest ABI version this host implements (`ABI.md`'s title).
pub const ABI_VERSION: u32 = 5;

/// The oldest ABI version this host still runs.
pub const MIN_ABI_VERSION: u32 = 1;

/// A module declares the ABI version it targets by exporting a function
/// named this prefix followed by the version number (`extguard_abi_2`);
/// a module without such an export targets version 1.
pub const ABI_EXPORT_PREFIX: &str = "extguard_abi_";

/// The packed result meaning SQL NULL (version 2): pointer and length both
/// `0xffff_ffff`.
pub const NULL_RESULT: i64 = -1;

/// Bit 31 of an array's (or set's) byte length (version 4): the bytes are
/// the nullable form, every element length-prefixed and `u32::MAX` for a
/// NULL element. Set on the `len` parameter of an argument and in the
/// low word of a packed result.
pub const NULLS_FLAG: u32 = 1 << 31;

/// The first ABI version with NULL array elements.
pub const NULL_ELEMENTS_VERSION: u32 = 4;

/// A PostgreSQL type the ABI knows how to pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// `smallint`, as wasm `i32` (results must fit in 16 bits).
    Int2,
    /// `integer`, as wasm `i32`.
    Int4,
    /// `bigint`, as wasm `i64`.
    Int8,
    /// `real`, as wasm `f32`.
    Float4,
    /// `double precision`, as wasm `f64`.
    Float8,
    /// `boolean`, as wasm `i32` (0 is false, anything else true).
    Bool,
    /// `text` (UTF-8), through linear memory.
    Text,
    /// `bytea`, through linear memory.
    Bytea,
    /// `jsonb`, as its JSON text (UTF-8), through linear memory.
    Jsonb,
    /// `numeric`, as its decimal text (`numeric_out` / `numeric_in`),
    /// through linear memory (version 2).
    Numeric,
    /// A one-dimensional array without NULL elements, in the flat encoding
    /// of [`ArrayValue`], through linear memory (version 2).
    Array(ElemType),
}

/// The element types of arrays and sets: every scalar [`ValueType`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElemType {
    /// `smallint`: 2 bytes little-endian per element.
    Int2,
    /// `integer`: 4 bytes.
    Int4,
    /// `bigint`: 8 bytes.
    Int8,
    /// `real`: 4 bytes (IEEE bits).
    Float4,
    /// `double precision`: 8 bytes.
    Float8,
    /// `boolean`: 1 byte (0 false, anything else true).
    Bool,
    /// `text`: `u32` length, then UTF-8 bytes.
    Text,
    /// `bytea`: `u32` length, then bytes.
    Bytea,
    /// `jsonb`: `u32` length, then JSON text.
    Jsonb,
    /// `numeric`: `u32` length, then decimal text.
    Numeric,
}

impl ElemType {
    /// The scalar type of one element.
    pub fn value_type(self) -> ValueType {
        match self {
            ElemType::Int2 => ValueType::Int2,
            ElemType::Int4 => ValueType::Int4,
            ElemType::Int8 => ValueType::Int8,
            ElemType::Float4 => ValueType::Float4,
            ElemType::Float8 => ValueType::Float8,
            ElemType::Bool => ValueType::Bool,
            ElemType::Text => ValueType::Text,
            ElemType::Bytea => ValueType::Bytea,
            ElemType::Jsonb => ValueType::Jsonb,
            ElemType::Numeric => ValueType::Numeric,
        }
    }

    /// Bytes of one element, or `None` for length-prefixed elements.
    pub fn width(self) -> Option<usize> {
        match self {
            ElemType::Bool => Some(1),
            ElemType::Int2 => Some(2),
            ElemType::Int4 | ElemType::Float4 => Some(4),
            ElemType::Int8 | ElemType::Float8 => Some(8),
            ElemType::Text | ElemType::Bytea | ElemType::Jsonb | ElemType::Numeric => None,
        }
    }
}

impl ValueType {
    /// The element type of arrays (and sets) of this type, for scalars.
    pub fn as_elem(self) -> Option<ElemType> {
        Some(match self {
            ValueType::Int2 => ElemType::Int2,
            ValueType::Int4 => ElemType::Int4,
            ValueType::Int8 => ElemType::Int8,
            ValueType::Float4 => ElemType::Float4,
            ValueType::Float8 => ElemType::Float8,
            ValueType::Bool => ElemType::Bool,
            ValueType::Text => ElemType::Text,
            ValueType::Bytea => ElemType::Bytea,
            ValueType::Jsonb => ElemType::Jsonb,
            ValueType::Numeric => ElemType::Numeric,
            ValueType::Array(_) => return None,
        })
    }

    /// True for the types passed through linear memory.
    pub fn is_varlena(self) -> bool {
        matches!(
            self,
            ValueType::Text
                | ValueType::Bytea
                | ValueType::Jsonb
                | ValueType::Numeric
                | ValueType::Array(_)
        )
    }

    /// The first ABI version that has this type.
    pub fn since_version(self) -> u32 {
        match self {
            ValueType::Numeric | ValueType::Array(_) => 2,
            _ => 1,
        }
    }

    /// The PostgreSQL name of the type.
    pub fn sql_name(self) -> &'static str {
        match self {
            ValueType::Int2 => "smallint",
            ValueType::Int4 => "integer",
            ValueType::Int8 => "bigint",
            ValueType::Float4 => "real",
            ValueType::Float8 => "double precision",
            ValueType::Bool => "boolean",
            ValueType::Text => "text",
            ValueType::Bytea => "bytea",
            ValueType::Jsonb => "jsonb",
            ValueType::Numeric => "numeric",
            ValueType::Array(e) => match e {
                ElemType::Int2 => "smallint[]",
                ElemType::Int4 => "integer[]",
                ElemType::Int8 => "bigint[]",
                ElemType::Float4 => "real[]",
                ElemType::Float8 => "double precision[]",
                ElemType::Bool => "boolean[]",
                ElemType::Text => "text[]",
                ElemType::Bytea => "bytea[]",
                ElemType::Jsonb => "jsonb[]",
                ElemType::Numeric => "numeric[]",
            },
        }
    }

    /// The wasm value types one parameter of this type takes.
    pub(crate) fn wasm_params(self) -> &'static [WasmType] {
        match self {
            ValueType::Int2 | ValueType::Int4 | ValueType::Bool => &[WasmType::I32],
            ValueType::Int8 => &[WasmType::I64],
            ValueType::Float4 => &[WasmType::F32],
            ValueType::Float8 => &[WasmType::F64],
            ValueType::Text
            | ValueType::Bytea
            | ValueType::Jsonb
            | ValueType::Numeric
            | ValueType::Array(_) => &[WasmType::I32, WasmType::I32],
        }
    }

    /// The wasm value type a result of this type is returned as.
    pub(crate) fn wasm_result(self) -> WasmType {
        match self {
            ValueType::Int2 | ValueType::Int4 | ValueType::Bool => WasmType::I32,
            ValueType::Int8 => WasmType::I64,
            ValueType::Float4 => WasmType::F32,
            ValueType::Float8 => WasmType::F64,
            ValueType::Text
            | ValueType::Bytea
            | ValueType::Jsonb
            | ValueType::Numeric
            | ValueType::Array(_) => WasmType::I64,
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sql_name())
    }
}

/// The wasm number types the ABI uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WasmType {
    I32,
    I64,
    F32,
    F64,
}

impl WasmType {
    pub(crate) fn name(self) -> &'static str {
        match self {
            WasmType::I32 => "i32",
            WasmType::I64 => "i64",
            WasmType::F32 => "f32",
            WasmType::F64 => "f64",
        }
    }

    pub(crate) fn of(t: &wasmtime::ValType) -> Option<WasmType> {
        match t {
            wasmtime::ValType::I32 => Some(WasmType::I32),
            wasmtime::ValType::I64 => Some(WasmType::I64),
            wasmtime::ValType::F32 => Some(WasmType::F32),
            wasmtime::ValType::F64 => Some(WasmType::F64),
            _ => None,
        }
    }
}

/// Functions whose result is a row rather than a value (version 3). For
/// both the wasm result is text (a JSON object; for a set of rows, the
/// flat encoding of a `text[]` of JSON objects): the sandbox checks it is
/// UTF-8 without NUL, the embedder maps it onto the row's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    /// A composite result: `RETURNS TABLE (a, b, ...)`, OUT parameters, a
    /// composite type; with `returns_set`, a set of them.
    Composite,
    /// A trigger function: one `text` parameter (the event as JSON), a
    /// `text` result (the row to use, `""` for the row unchanged, NULL to
    /// skip it). Never a NULL mask.
    Trigger,
}

/// The SQL-level signature of a function: its argument types and result type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Signature {
    /// Argument types, in order.
    pub params: Vec<ValueType>,
    /// Result type (of each row, for a set); `Text` for a [`RowKind`].
    pub result: ValueType,
    /// `RETURNS SETOF result` (version 2): the guest returns all rows at
    /// once in the flat array encoding of `result`.
    pub returns_set: bool,
    /// The result is a row (version 3).
    pub row: Option<RowKind>,
}

impl Signature {
    /// A signature from argument types and a result type.
    pub fn new(params: impl Into<Vec<ValueType>>, result: ValueType) -> Self {
        Signature {
            params: params.into(),
            result,
            returns_set: false,
            row: None,
        }
    }

    /// A function of `params` returning a row (a JSON object as text).
    pub fn composite(params: impl Into<Vec<ValueType>>) -> Self {
        Signature {
            row: Some(RowKind::Composite),
            ..Signature::new(params, ValueType::Text)
        }
    }

    /// A trigger function: the event in, the row to use out (JSON text).
    pub fn trigger() -> Self {
        Signature {
            row: Some(RowKind::Trigger),
            ..Signature::new([ValueType::Text], ValueType::Text)
        }
    }

    /// The same signature returning a set of `result`.
    pub fn returning_set(mut self) -> Self {
        self.returns_set = true;
        self
    }

    /// The ABI version this signature needs at least.
    pub fn since_version(&self) -> u32 {
        self.params
            .iter()
            .chain(std::iter::once(&self.result))
            .map(|t| t.since_version())
            .chain(self.returns_set.then_some(2))
            .chain(self.row.map(|_| 3))
            .max()
            .unwrap_or(1)
    }

    /// The wasm parameter types, without the NULL mask.
    pub(crate) fn wasm_params(&self) -> Vec<WasmType> {
        self.params
            .iter()
            .flat_map(|p| p.wasm_params().iter().copied())
            .collect()
    }

    /// The wasm result type: a set comes back like an array.
    pub(crate) fn wasm_result(&self) -> WasmType {
        if self.returns_set {
            WasmType::I64
        } else {
            self.result.wasm_result()
        }
    }

    /// The wasm function type this signature requires, e.g. `(i32, i32) -> i64`.
    pub fn wasm_type(&self) -> String {
        let params: Vec<&str> = self.wasm_params().iter().map(|w| w.name()).collect();
        format!("({}) -> {}", params.join(", "), self.wasm_result().name())
    }
}

/// An argument passed into a wasm function; varlena types are borrowed so the
/// host copies them only once, straight into guest memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arg<'a> {
    /// `smallint`
    Int2(i16),
    /// `integer`
    Int4(i32),
    /// `bigint`
    Int8(i64),
    /// `real`
    Float4(f32),
    /// `double precision`
    Float8(f64),
    /// `boolean`
    Bool(bool),
    /// `text`
    Text(&'a str),
    /// `bytea`
    Bytea(&'a [u8]),
    /// `jsonb` as JSON text
    Jsonb(&'a str),
    /// `numeric` as decimal text
    Numeric(&'a str),
    /// An array (one-dimensional, no NULL elements; version 2), copied to
    /// the guest in the flat encoding of [`ArrayValue::encode`].
    Array(&'a ArrayValue),
    /// SQL NULL of the given type: only for functions whose export takes
    /// the NULL mask (version 2).
    Null(ValueType),
}

impl Arg<'_> {
    /// The type of this argument.
    pub fn value_type(&self) -> ValueType {
        match self {
            Arg::Numeric(_) => ValueType::Numeric,
            Arg::Array(a) => ValueType::Array(a.elem_type()),
            Arg::Null(t) => *t,
            Arg::Int2(_) => ValueType::Int2,
            Arg::Int4(_) => ValueType::Int4,
            Arg::Int8(_) => ValueType::Int8,
            Arg::Float4(_) => ValueType::Float4,
            Arg::Float8(_) => ValueType::Float8,
            Arg::Bool(_) => ValueType::Bool,
            Arg::Text(_) => ValueType::Text,
            Arg::Bytea(_) => ValueType::Bytea,
            Arg::Jsonb(_) => ValueType::Jsonb,
        }
    }
}

impl Arg<'_> {
    /// An owned copy of this argument.
    pub fn to_value(&self) -> Value {
        match *self {
            Arg::Int2(v) => Value::Int2(v),
            Arg::Int4(v) => Value::Int4(v),
            Arg::Int8(v) => Value::Int8(v),
            Arg::Float4(v) => Value::Float4(v),
            Arg::Float8(v) => Value::Float8(v),
            Arg::Bool(v) => Value::Bool(v),
            Arg::Text(v) => Value::Text(v.to_string()),
            Arg::Bytea(v) => Value::Bytea(v.to_vec()),
            Arg::Jsonb(v) => Value::Jsonb(v.to_string()),
            Arg::Numeric(v) => Value::Numeric(v.to_string()),
            Arg::Array(a) => Value::Array(a.clone()),
            Arg::Null(t) => Value::Null(t),
        }
    }
}

/// A value returned by a wasm function.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `smallint`
    Int2(i16),
    /// `integer`
    Int4(i32),
    /// `bigint`
    Int8(i64),
    /// `real`
    Float4(f32),
    /// `double precision`
    Float8(f64),
    /// `boolean`
    Bool(bool),
    /// `text`
    Text(String),
    /// `bytea`
    Bytea(Vec<u8>),
    /// `jsonb` as JSON text (PostgreSQL parses it with `jsonb_in`)
    Jsonb(String),
    /// `numeric` as decimal text (PostgreSQL parses it with `numeric_in`)
    Numeric(String),
    /// An array, or the rows of a set
    Array(ArrayValue),
    /// SQL NULL (version 2: a varlena, array or set result of `-1`)
    Null(ValueType),
}

impl Value {
    /// This value as an argument (borrowing varlena data).
    pub fn as_arg(&self) -> Arg<'_> {
        match self {
            Value::Numeric(v) => Arg::Numeric(v),
            Value::Array(a) => Arg::Array(a),
            Value::Null(t) => Arg::Null(*t),
            Value::Int2(v) => Arg::Int2(*v),
            Value::Int4(v) => Arg::Int4(*v),
            Value::Int8(v) => Arg::Int8(*v),
            Value::Float4(v) => Arg::Float4(*v),
            Value::Float8(v) => Arg::Float8(*v),
            Value::Bool(v) => Arg::Bool(*v),
            Value::Text(v) => Arg::Text(v),
            Value::Bytea(v) => Arg::Bytea(v),
            Value::Jsonb(v) => Arg::Jsonb(v),
        }
    }

    /// The type of this value.
    pub fn value_type(&self) -> ValueType {
        self.as_arg().value_type()
    }
}

/// Packs a (pointer, length) pair the way a guest returns it: pointer in the
/// high 32 bits, length in the low 32 bits.
pub fn pack_ptr_len(ptr: u32, len: u32) -> i64 {
    (((ptr as u64) << 32) | len as u64) as i64
}

/// Splits a packed result into (pointer, length).
pub fn unpack_ptr_len(packed: i64) -> (u32, u32) {
    let v = packed as u64;
    ((v >> 32) as u32, v as u32)
}

/// The elements of an array, or the rows of a set, of one [`ElemType`].
///
/// Flat encoding (version 2), the same for arguments, array results and
/// set results: fixed-width elements back to back, little-endian (`bool`
/// one byte); text, bytea, jsonb and numeric elements each as a `u32`
/// little-endian byte length followed by the bytes. No header, no
/// padding, no NULL elements.
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayValue {
    /// `smallint[]`
    Int2(Vec<i16>),
    /// `integer[]`
    Int4(Vec<i32>),
    /// `bigint[]`
    Int8(Vec<i64>),
    /// `real[]`
    Float4(Vec<f32>),
    /// `double precision[]`
    Float8(Vec<f64>),
    /// `boolean[]`
    Bool(Vec<bool>),
    /// `text[]`
    Text(Vec<String>),
    /// `bytea[]`
    Bytea(Vec<Vec<u8>>),
    /// `jsonb[]`
    Jsonb(Vec<String>),
    /// `numeric[]`
    Numeric(Vec<String>),
    /// An array of `elem` with NULL elements (version 4): each element a
    /// scalar [`Value`] of the element type, or `None`.
    Nullable(ElemType, Vec<Option<Value>>),
}

/// The bytes of one scalar element in the flat encoding (without a length).
fn element_bytes(v: &Value) -> Vec<u8> {
    match v {
        Value::Int2(x) => x.to_le_bytes().to_vec(),
        Value::Int4(x) => x.to_le_bytes().to_vec(),
        Value::Int8(x) => x.to_le_bytes().to_vec(),
        Value::Float4(x) => x.to_bits().to_le_bytes().to_vec(),
        Value::Float8(x) => x.to_bits().to_le_bytes().to_vec(),
        Value::Bool(x) => vec![*x as u8],
        Value::Text(x) | Value::Jsonb(x) | Value::Numeric(x) => x.as_bytes().to_vec(),
        Value::Bytea(x) => x.clone(),
        Value::Array(_) | Value::Null(_) => Vec::new(),
    }
}

impl ArrayValue {
    /// True for the nullable form (version 4).
    pub fn has_nulls(&self) -> bool {
        matches!(self, ArrayValue::Nullable(..))
    }

    /// Decodes the nullable form (version 4): every element a `u32`
    /// length and its bytes (a fixed-width element's length must be its
    /// width), `u32::MAX` for NULL.
    pub fn decode_nullable(elem: ElemType, bytes: &[u8]) -> Result<ArrayValue, String> {
        let mut items = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let k = items.len() + 1;
            let Some((len, tail)) = rest.split_first_chunk::<4>() else {
                return Err(format!("element {k} has a partial length"));
            };
            let len = u32::from_le_bytes(*len);
            rest = tail;
            if len == u32::MAX {
                items.push(None);
                continue;
            }
            let len = len as usize;
            if len > rest.len() {
                return Err(format!(
                    "element {k} claims {len} bytes, {} are left",
                    rest.len()
                ));
            }
            let (item, tail) = rest.split_at(len);
            rest = tail;
            let one = match elem.width() {
                Some(w) if w != len => {
                    return Err(format!(
                        "element {k} of {} has {len} bytes, not {w}",
                        elem.value_type()
                    ))
                }
                Some(_) => ArrayValue::decode(elem, item),
                None => {
                    let mut prefixed = (len as u32).to_le_bytes().to_vec();
                    prefixed.extend_from_slice(item);
                    ArrayValue::decode(elem, &prefixed)
                }
            }
            .map_err(|m| format!("element {k}: {m}"))?;
            items.push(one.into_values().pop());
        }
        Ok(ArrayValue::Nullable(elem, items))
    }

    /// The element type.
    pub fn elem_type(&self) -> ElemType {
        match self {
            ArrayValue::Int2(_) => ElemType::Int2,
            ArrayValue::Int4(_) => ElemType::Int4,
            ArrayValue::Int8(_) => ElemType::Int8,
            ArrayValue::Float4(_) => ElemType::Float4,
            ArrayValue::Float8(_) => ElemType::Float8,
            ArrayValue::Bool(_) => ElemType::Bool,
            ArrayValue::Text(_) => ElemType::Text,
            ArrayValue::Bytea(_) => ElemType::Bytea,
            ArrayValue::Jsonb(_) => ElemType::Jsonb,
            ArrayValue::Numeric(_) => ElemType::Numeric,
            ArrayValue::Nullable(e, _) => *e,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            ArrayValue::Int2(v) => v.len(),
            ArrayValue::Int4(v) => v.len(),
            ArrayValue::Int8(v) => v.len(),
            ArrayValue::Float4(v) => v.len(),
            ArrayValue::Float8(v) => v.len(),
            ArrayValue::Bool(v) => v.len(),
            ArrayValue::Text(v) | ArrayValue::Jsonb(v) | ArrayValue::Numeric(v) => v.len(),
            ArrayValue::Bytea(v) => v.len(),
            ArrayValue::Nullable(_, v) => v.len(),
        }
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements as scalar values, in order.
    pub fn into_values(self) -> Vec<Value> {
        match self {
            ArrayValue::Int2(v) => v.into_iter().map(Value::Int2).collect(),
            ArrayValue::Int4(v) => v.into_iter().map(Value::Int4).collect(),
            ArrayValue::Int8(v) => v.into_iter().map(Value::Int8).collect(),
            ArrayValue::Float4(v) => v.into_iter().map(Value::Float4).collect(),
            ArrayValue::Float8(v) => v.into_iter().map(Value::Float8).collect(),
            ArrayValue::Bool(v) => v.into_iter().map(Value::Bool).collect(),
            ArrayValue::Text(v) => v.into_iter().map(Value::Text).collect(),
            ArrayValue::Bytea(v) => v.into_iter().map(Value::Bytea).collect(),
            ArrayValue::Jsonb(v) => v.into_iter().map(Value::Jsonb).collect(),
            ArrayValue::Numeric(v) => v.into_iter().map(Value::Numeric).collect(),
            ArrayValue::Nullable(e, v) => v
                .into_iter()
                .map(|x| x.unwrap_or(Value::Null(e.value_type())))
                .collect(),
        }
    }

    /// The flat encoding (for [`ArrayValue::Nullable`], the nullable form).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = ArrayWriter::new(self.elem_type());
        match self {
            ArrayValue::Int2(v) => v.iter().for_each(|x| out.push_fixed(&x.to_le_bytes())),
            ArrayValue::Int4(v) => v.iter().for_each(|x| out.push_fixed(&x.to_le_bytes())),
            ArrayValue::Int8(v) => v.iter().for_each(|x| out.push_fixed(&x.to_le_bytes())),
            ArrayValue::Float4(v) => v
                .iter()
                .for_each(|x| out.push_fixed(&x.to_bits().to_le_bytes())),
            ArrayValue::Float8(v) => v
                .iter()
                .for_each(|x| out.push_fixed(&x.to_bits().to_le_bytes())),
            ArrayValue::Bool(v) => v.iter().for_each(|x| out.push_fixed(&[*x as u8])),
            ArrayValue::Text(v) | ArrayValue::Jsonb(v) | ArrayValue::Numeric(v) => {
                v.iter().for_each(|x| out.push_bytes(x.as_bytes()))
            }
            ArrayValue::Bytea(v) => v.iter().for_each(|x| out.push_bytes(x)),
            ArrayValue::Nullable(_, v) => {
                let mut bytes = Vec::new();
                for x in v {
                    match x {
                        None => bytes.extend_from_slice(&u32::MAX.to_le_bytes()),
                        Some(x) => {
                            let b = element_bytes(x);
                            bytes.extend_from_slice(&(b.len() as u32).to_le_bytes());
                            bytes.extend_from_slice(&b);
                        }
                    }
                }
                return bytes;
            }
        }
        out.finish()
    }

    /// Decodes the flat encoding of `elem` elements; `Err` names the
    /// problem (a partial element, a length past the end, text that is not
    /// UTF-8 or holds NUL).
    pub fn decode(elem: ElemType, bytes: &[u8]) -> Result<ArrayValue, String> {
        if let Some(width) = elem.width() {
            if !bytes.len().is_multiple_of(width) {
                return Err(format!(
                    "{} bytes is not a whole number of {}-byte {} elements",
                    bytes.len(),
                    width,
                    elem.value_type()
                ));
            }
            let chunks = bytes.chunks_exact(width);
            let arr = |c: &[u8]| -> [u8; 8] {
                let mut a = [0u8; 8];
                a[..c.len()].copy_from_slice(c);
                a
            };
            return Ok(match elem {
                ElemType::Int2 => {
                    ArrayValue::Int2(chunks.map(|c| i16::from_le_bytes([c[0], c[1]])).collect())
                }
                ElemType::Int4 => ArrayValue::Int4(
                    chunks
                        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect(),
                ),
                ElemType::Int8 => {
                    ArrayValue::Int8(chunks.map(|c| i64::from_le_bytes(arr(c))).collect())
                }
                ElemType::Float4 => ArrayValue::Float4(
                    chunks
                        .map(|c| f32::from_bits(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                        .collect(),
                ),
                ElemType::Float8 => ArrayValue::Float8(
                    chunks
                        .map(|c| f64::from_bits(u64::from_le_bytes(arr(c))))
                        .collect(),
                ),
                ElemType::Bool => ArrayValue::Bool(chunks.map(|c| c[0] != 0).collect()),
                _ => unreachable!("fixed-width types only"),
            });
        }
        let mut items: Vec<&[u8]> = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            if rest.len() < 4 {
                return Err(format!(
                    "element {} has a partial length ({} bytes left)",
                    items.len() + 1,
                    rest.len()
                ));
            }
            let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            rest = &rest[4..];
            if len > rest.len() {
                return Err(format!(
                    "element {} claims {len} bytes, {} are left",
                    items.len() + 1,
                    rest.len()
                ));
            }
            items.push(&rest[..len]);
            rest = &rest[len..];
        }
        if elem == ElemType::Bytea {
            return Ok(ArrayValue::Bytea(
                items.iter().map(|b| b.to_vec()).collect(),
            ));
        }
        let strings = items
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let s = std::str::from_utf8(b).map_err(|e| {
                    format!(
                        "{} element {} is not valid UTF-8 ({e})",
                        elem.value_type(),
                        i + 1
                    )
                })?;
                if s.contains('\0') {
                    return Err(format!(
                        "{} element {} contains a NUL byte",
                        elem.value_type(),
                        i + 1
                    ));
                }
                Ok(s.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(match elem {
            ElemType::Text => ArrayValue::Text(strings),
            ElemType::Jsonb => ArrayValue::Jsonb(strings),
            _ => ArrayValue::Numeric(strings),
        })
    }
}

/// Builds the flat encoding element by element.
#[derive(Debug)]
struct ArrayWriter {
    elem: ElemType,
    bytes: Vec<u8>,
}

impl ArrayWriter {
    /// An empty array of `elem`.
    fn new(elem: ElemType) -> Self {
        ArrayWriter {
            elem,
            bytes: Vec::new(),
        }
    }

    /// Appends one fixed-width element's little-endian bytes.
    fn push_fixed(&mut self, le_bytes: &[u8]) {
        debug_assert_eq!(Some(le_bytes.len()), self.elem.width());
        self.bytes.extend_from_slice(le_bytes);
    }

    /// Appends one length-prefixed element.
    fn push_bytes(&mut self, bytes: &[u8]) {
        debug_assert!(self.elem.width().is_none());
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(bytes);
    }

    /// The encoded bytes.
    fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// The ABI version a module declares by its exports: `Ok(1)` without a
/// declaration, `Err` for an unsupported version or several declarations.
pub fn declared_version<'a>(exports: impl Iterator<Item = &'a str>) -> Result<u32, String> {
    let mut found: Option<(u32, &str)> = None;
    for name in exports {
        let Some(rest) = name.strip_prefix(ABI_EXPORT_PREFIX) else {
            continue;
        };
        let version = rest
            .parse::<u32>()
            .ok()
            .filter(|v| (MIN_ABI_VERSION..=ABI_VERSION).contains(v) && rest == v.to_string())
            .ok_or_else(|| {
                format!(
                    "export {:?} declares an ABI version this host does not run \
                     (supported: {MIN_ABI_VERSION} to {ABI_VERSION})",
                    crate::sanitize(name, crate::NAME_CHARS)
                )
            })?;
        if let Some((_, first)) = found {
            return Err(format!(
                "the module declares two ABI versions ({:?} and {:?})",
                crate::sanitize(first, crate::NAME_CHARS),
                crate::sanitize(name, crate::NAME_CHARS)
            ));
        }
        found = Some((version, name));
    }
    Ok(found.map_or(1, |(v, _)| v))
}
