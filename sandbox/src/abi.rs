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

use std::fmt;

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
}

impl ValueType {
    /// True for the types passed through linear memory.
    pub fn is_varlena(self) -> bool {
        matches!(self, ValueType::Text | ValueType::Bytea | ValueType::Jsonb)
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
        }
    }

    /// The wasm value types one parameter of this type takes.
    pub(crate) fn wasm_params(self) -> &'static [WasmType] {
        match self {
            ValueType::Int2 | ValueType::Int4 | ValueType::Bool => &[WasmType::I32],
            ValueType::Int8 => &[WasmType::I64],
            ValueType::Float4 => &[WasmType::F32],
            ValueType::Float8 => &[WasmType::F64],
            ValueType::Text | ValueType::Bytea | ValueType::Jsonb => {
                &[WasmType::I32, WasmType::I32]
            }
        }
    }

    /// The wasm value type a result of this type is returned as.
    pub(crate) fn wasm_result(self) -> WasmType {
        match self {
            ValueType::Int2 | ValueType::Int4 | ValueType::Bool => WasmType::I32,
            ValueType::Int8 => WasmType::I64,
            ValueType::Float4 => WasmType::F32,
            ValueType::Float8 => WasmType::F64,
            ValueType::Text | ValueType::Bytea | ValueType::Jsonb => WasmType::I64,
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

/// The SQL-level signature of a function: its argument types and result type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Signature {
    /// Argument types, in order.
    pub params: Vec<ValueType>,
    /// Result type.
    pub result: ValueType,
}

impl Signature {
    /// A signature from argument types and a result type.
    pub fn new(params: impl Into<Vec<ValueType>>, result: ValueType) -> Self {
        Signature {
            params: params.into(),
            result,
        }
    }

    /// The wasm function type this signature requires, e.g. `(i32, i32) -> i64`.
    pub fn wasm_type(&self) -> String {
        let params: Vec<&str> = self
            .params
            .iter()
            .flat_map(|p| p.wasm_params().iter().map(|w| w.name()))
            .collect();
        format!(
            "({}) -> {}",
            params.join(", "),
            self.result.wasm_result().name()
        )
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
}

impl Arg<'_> {
    /// The type of this argument.
    pub fn value_type(&self) -> ValueType {
        match self {
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
}

impl Value {
    /// This value as an argument (borrowing varlena data).
    pub fn as_arg(&self) -> Arg<'_> {
        match self {
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
