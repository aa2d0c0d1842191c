//! ABI versions 3 and 4 (sandbox/ABI.md, "Rows", "Triggers", "NULL
//! elements"): which modules may return rows or serve as triggers, the
//! wasm types they need, how their results come back (JSON text the
//! embedder maps onto columns), and NULL array elements in the flagged
//! nullable form (only for version 4 modules).

mod common;

use common::sandbox;
use extguard_sandbox::{Arg, ArrayValue, ElemType, SandboxError, Signature, Value, ValueType};

/// A module declaring `version` with `f(ptr, len) -> i64` returning the
/// bytes of its data segment (at 16), and `g` with a trailing i64.
fn module(version: u32, data: &str) -> String {
    format!(
        r#"(module
  (func (export "extguard_abi_{version}"))
  (memory (export "memory") 1)
  (data (i32.const 16) "{data}")
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "f") (param i32 i32) (result i64)
    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const {len})))
  (func (export "g") (param i32 i32 i64) (result i64) (i64.const -1)))"#,
        len = wat_string_len(data)
    )
}

/// Bytes of a WAT string literal's contents (`\"` and `\hh` are one byte).
fn wat_string_len(s: &str) -> usize {
    let b = s.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        i += match (b[i], b.get(i + 1)) {
            (b'\\', Some(b'"')) | (b'\\', Some(b'\\')) => 2,
            (b'\\', Some(_)) => 3,
            _ => 1,
        };
        n += 1;
    }
    n
}

#[test]
fn rows_and_triggers_need_version_3() {
    let sb = sandbox();
    for sig in [
        Signature::trigger(),
        Signature::composite([ValueType::Text]),
    ] {
        let err = sb
            .load_function(module(2, "{}").as_bytes(), "f", &sig)
            .unwrap_err();
        assert!(
            matches!(&err, SandboxError::AbiVersion(m) if m.contains("extguard_abi_3")),
            "{err:?}"
        );
        sb.load_function(module(3, "{}").as_bytes(), "f", &sig)
            .expect("version 3 loads");
    }
}

#[test]
fn a_trigger_takes_the_event_and_never_a_null_mask() {
    let sb = sandbox();
    let m = module(3, r#"{\"n\": 1}"#);
    let f = sb
        .load_function(m.as_bytes(), "f", &Signature::trigger())
        .unwrap();
    assert!(!f.accepts_nulls());
    assert_eq!(
        sb.call_once(&f, &[Arg::Text(r#"{"op":"INSERT"}"#)]),
        Ok(Value::Text(r#"{"n": 1}"#.into()))
    );
    // (i32, i32, i64) -> i64 is a non-strict function's shape, not a trigger's.
    let err = sb
        .load_function(m.as_bytes(), "g", &Signature::trigger())
        .unwrap_err();
    assert!(
        matches!(err, SandboxError::WrongSignature { .. }),
        "{err:?}"
    );
    // A composite function of one text argument may take the mask.
    let g = sb
        .load_function(m.as_bytes(), "g", &Signature::composite([ValueType::Text]))
        .unwrap();
    assert!(g.accepts_nulls());
    assert_eq!(
        sb.call_once(&g, &[Arg::Null(ValueType::Text)]),
        Ok(Value::Null(ValueType::Text))
    );
}

#[test]
fn a_set_of_rows_is_a_text_array_of_objects() {
    let sb = sandbox();
    // Two rows: {"a":1} and {}, each a u32 length and the bytes.
    let m = module(3, r#"\07\00\00\00{\"a\":1}\02\00\00\00{}"#);
    let f = sb
        .load_function(
            m.as_bytes(),
            "f",
            &Signature::composite([ValueType::Text]).returning_set(),
        )
        .unwrap();
    assert_eq!(
        sb.call_once(&f, &[Arg::Text("x")]),
        Ok(Value::Array(ArrayValue::Text(vec![
            r#"{"a":1}"#.into(),
            "{}".into()
        ])))
    );
}

/// The `echo` export of corpus/wasm/abi4.wat with `version` declared.
fn echo_module(version: u32) -> String {
    String::from_utf8(common::corpus("abi4.wat"))
        .unwrap()
        .replace("extguard_abi_4", &format!("extguard_abi_{version}"))
}

/// `int[]` in, `int[]` out.
fn int_array_sig() -> Signature {
    Signature::new(
        [ValueType::Array(ElemType::Int4)],
        ValueType::Array(ElemType::Int4),
    )
}

#[test]
fn null_elements_cross_in_the_flagged_nullable_form() {
    let sb = sandbox();
    let m = echo_module(4);
    let echo = sb
        .load_function(m.as_bytes(), "echo_ints", &int_array_sig())
        .unwrap();
    let with_nulls = ArrayValue::Nullable(
        ElemType::Int4,
        vec![Some(Value::Int4(1)), None, Some(Value::Int4(-3))],
    );
    assert_eq!(
        with_nulls.encode(),
        [
            &4u32.to_le_bytes()[..],
            &1i32.to_le_bytes(),
            &u32::MAX.to_le_bytes(),
            &4u32.to_le_bytes(),
            &(-3i32).to_le_bytes()
        ]
        .concat()
    );
    assert_eq!(
        sb.call_once(&echo, &[Arg::Array(&with_nulls)]),
        Ok(Value::Array(with_nulls.clone()))
    );
    // Without NULLs: the plain form, unflagged, as in version 2.
    let plain = ArrayValue::Int4(vec![7, 8]);
    assert_eq!(
        sb.call_once(&echo, &[Arg::Array(&plain)]),
        Ok(Value::Array(plain.clone()))
    );
    let count = sb
        .load_function(
            m.as_bytes(),
            "null_count",
            &Signature::new([ValueType::Array(ElemType::Int4)], ValueType::Int4),
        )
        .unwrap();
    assert_eq!(
        sb.call_once(&count, &[Arg::Array(&with_nulls)]),
        Ok(Value::Int4(1))
    );
    // Text elements and a set with a NULL row.
    let texts = ArrayValue::Nullable(
        ElemType::Text,
        vec![
            None,
            Some(Value::Text("\u{e9}".into())),
            Some(Value::Text(String::new())),
        ],
    );
    let set = Signature::new([ValueType::Array(ElemType::Text)], ValueType::Text).returning_set();
    let rows = sb.load_function(m.as_bytes(), "rows_of", &set).unwrap();
    assert_eq!(
        sb.call_once(&rows, &[Arg::Array(&texts)]),
        Ok(Value::Array(texts.clone()))
    );
    // A bad nullable result.
    let bad = sb
        .load_function(
            m.as_bytes(),
            "bad_nulls",
            &Signature::new([], ValueType::Array(ElemType::Int4)),
        )
        .unwrap();
    assert!(
        matches!(sb.call_once(&bad, &[]), Err(SandboxError::BadResult(m)) if m.contains("has 3 bytes, not 4"))
    );
}

#[test]
fn older_modules_never_see_null_elements() {
    let sb = sandbox();
    let m = echo_module(3);
    let echo = sb
        .load_function(m.as_bytes(), "echo_ints", &int_array_sig())
        .unwrap();
    let with_nulls = ArrayValue::Nullable(ElemType::Int4, vec![None]);
    assert!(matches!(
        sb.call_once(&echo, &[Arg::Array(&with_nulls)]),
        Err(SandboxError::BadArguments(m)) if m.contains("NULL elements need 4")
    ));
    // A flagged result from a version 3 module is a length out of range.
    let bad = sb
        .load_function(
            m.as_bytes(),
            "bad_nulls",
            &Signature::new([], ValueType::Array(ElemType::Int4)),
        )
        .unwrap();
    assert!(matches!(
        sb.call_once(&bad, &[]),
        Err(SandboxError::ResultTooLarge { .. })
    ));
}
