//! ABI version 2 (sandbox/ABI.md): the version a module declares, arrays,
//! sets, numeric, NULL arguments and results, and the documented version
//! number against the one the code checks.

mod common;

use common::{corpus, sandbox, sig};
use extguard_sandbox::{
    Arg, ArrayValue, ElemType, SandboxError, Value, ValueType, ABI_VERSION, MIN_ABI_VERSION,
};

const ABI2: &str = "abi2.wat";

#[test]
fn the_documented_abi_version_is_the_one_the_code_checks() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/ABI.md")).unwrap();
    let title = doc.lines().next().unwrap();
    assert_eq!(
        title,
        format!("# extguard wasm ABI (version {ABI_VERSION})"),
        "ABI.md's title names another version than abi::ABI_VERSION"
    );
    assert!(
        doc.contains(&format!(
            "runs modules of versions {MIN_ABI_VERSION} to {ABI_VERSION}"
        )),
        "ABI.md does not state the supported range {MIN_ABI_VERSION}..={ABI_VERSION}"
    );
    // The declaration the document shows is the one the loader reads.
    let export = format!("(func (export \"extguard_abi_{ABI_VERSION}\"))");
    assert!(doc.contains(&export), "ABI.md does not show {export}");
    let sb = sandbox();
    let m = sb
        .load(format!("(module {export})").as_bytes())
        .expect("declared version loads");
    assert_eq!(m.abi_version(), ABI_VERSION);
    let undeclared = sb.load(b"(module (func (export \"f\")))").unwrap();
    assert_eq!(undeclared.abi_version(), 1);
}

#[test]
fn unsupported_or_repeated_declarations_are_refused() {
    let sb = sandbox();
    for (module, why) in [
        (
            format!(
                "(module (func (export \"extguard_abi_{}\")))",
                ABI_VERSION + 1
            ),
            "supported: 1 to",
        ),
        (
            "(module (func (export \"extguard_abi_0\")))".to_string(),
            "supported: 1 to",
        ),
        (
            "(module (func (export \"extguard_abi_02\")))".to_string(),
            "supported: 1 to",
        ),
        (
            "(module (func (export \"extguard_abi_1\")) (func (export \"extguard_abi_2\")))"
                .to_string(),
            "two ABI versions",
        ),
    ] {
        match sb.load(module.as_bytes()) {
            Err(SandboxError::AbiVersion(m)) => assert!(m.contains(why), "{module}: {m}"),
            other => panic!("{module}: {other:?}"),
        }
    }
}

#[test]
fn version_2_types_need_a_version_2_module() {
    let sb = sandbox();
    let v1 = "(module (memory (export \"memory\") 1)
        (func (export \"alloc\") (param i32) (result i32) (i32.const 0))
        (func (export \"sum_int4\") (param i32 i32) (result i64) (i64.const 0)))";
    let err = sb
        .load_function(
            v1.as_bytes(),
            "sum_int4",
            &sig(&[ValueType::Array(ElemType::Int4)], ValueType::Int8),
        )
        .unwrap_err();
    assert!(
        matches!(&err, SandboxError::AbiVersion(m) if m.contains("extguard_abi_2")),
        "{err:?}"
    );
}

#[test]
fn arrays_in_and_out() {
    let sb = sandbox();
    let src = corpus(ABI2);
    let sum = sb
        .load_function(
            &src,
            "sum_int4",
            &sig(&[ValueType::Array(ElemType::Int4)], ValueType::Int8),
        )
        .unwrap();
    let mut inst = sb.instantiate(&sum);
    let big = ArrayValue::Int4((1..=100_000).collect());
    assert_eq!(
        inst.call(&[Arg::Array(&big)]),
        Ok(Value::Int8(5_000_050_000))
    );
    assert_eq!(
        inst.call(&[Arg::Array(&ArrayValue::Int4(vec![]))]),
        Ok(Value::Int8(0))
    );
    assert_eq!(
        inst.call(&[Arg::Array(&ArrayValue::Int4(vec![-5, i32::MAX]))]),
        Ok(Value::Int8(i32::MAX as i64 - 5))
    );

    let rev = sb
        .load_function(
            &src,
            "reverse_int8",
            &sig(
                &[ValueType::Array(ElemType::Int8)],
                ValueType::Array(ElemType::Int8),
            ),
        )
        .unwrap();
    let a = ArrayValue::Int8(vec![1, i64::MIN, 3]);
    assert_eq!(
        sb.call_once(&rev, &[Arg::Array(&a)]),
        Ok(Value::Array(ArrayValue::Int8(vec![3, i64::MIN, 1])))
    );

    let scale = sb
        .load_function(
            &src,
            "scale",
            &sig(
                &[ValueType::Array(ElemType::Float8), ValueType::Float8],
                ValueType::Array(ElemType::Float8),
            ),
        )
        .unwrap();
    let a = ArrayValue::Float8(vec![1.5, -2.0, f64::INFINITY]);
    assert_eq!(
        sb.call_once(&scale, &[Arg::Array(&a), Arg::Float8(2.0)]),
        Ok(Value::Array(ArrayValue::Float8(vec![
            3.0,
            -4.0,
            f64::INFINITY
        ])))
    );

    // text[] through the length-prefixed encoding, unchanged both ways.
    let echo = sb
        .load_function(
            &src,
            "echo",
            &sig(
                &[ValueType::Array(ElemType::Text)],
                ValueType::Array(ElemType::Text),
            ),
        )
        .unwrap();
    let t = ArrayValue::Text(vec!["".into(), "h\u{e9}llo".into(), "x".repeat(70_000)]);
    assert_eq!(
        sb.call_once(&echo, &[Arg::Array(&t)]),
        Ok(Value::Array(t.clone()))
    );
}

#[test]
fn encoding_round_trips_and_rejects_bad_bytes() {
    for a in [
        ArrayValue::Int2(vec![-1, 2]),
        ArrayValue::Int4(vec![7]),
        ArrayValue::Int8(vec![i64::MAX]),
        ArrayValue::Float4(vec![0.5, -0.0]),
        ArrayValue::Float8(vec![1e300]),
        ArrayValue::Bool(vec![true, false]),
        ArrayValue::Text(vec!["a".into(), "".into()]),
        ArrayValue::Bytea(vec![vec![0, 255], vec![]]),
        ArrayValue::Jsonb(vec!["{}".into()]),
        ArrayValue::Numeric(vec!["-1.50".into(), "NaN".into()]),
    ] {
        let bytes = a.encode();
        assert_eq!(ArrayValue::decode(a.elem_type(), &bytes), Ok(a.clone()));
    }
    assert_eq!(
        ArrayValue::Int4(vec![1, 2]).encode(),
        [1, 0, 0, 0, 2, 0, 0, 0]
    );
    assert_eq!(
        ArrayValue::Text(vec!["ab".into()]).encode(),
        [2, 0, 0, 0, b'a', b'b']
    );
    assert!(ArrayValue::decode(ElemType::Int8, &[0; 12]).is_err());
    assert!(ArrayValue::decode(ElemType::Text, &[1, 0, 0]).is_err());
    assert!(ArrayValue::decode(ElemType::Text, &[9, 0, 0, 0, b'a']).is_err());
    assert!(ArrayValue::decode(ElemType::Text, &[1, 0, 0, 0, 0xff]).is_err());
    assert!(ArrayValue::decode(ElemType::Jsonb, &[1, 0, 0, 0, 0]).is_err());
}

#[test]
fn bad_array_results_are_errors() {
    let sb = sandbox();
    let src = corpus(ABI2);
    for (name, ty) in [
        ("partial", ValueType::Array(ElemType::Int4)),
        ("overlong", ValueType::Array(ElemType::Text)),
    ] {
        let f = sb.load_function(&src, name, &sig(&[], ty)).unwrap();
        let err = sb.call_once(&f, &[]).unwrap_err();
        assert!(matches!(err, SandboxError::BadResult(_)), "{name}: {err:?}");
    }
}

#[test]
fn sets_come_back_as_all_rows() {
    let sb = sandbox();
    let series = sb
        .load_function(
            &corpus(ABI2),
            "series",
            &sig(&[ValueType::Int4], ValueType::Int4).returning_set(),
        )
        .unwrap();
    let mut inst = sb.instantiate(&series);
    assert_eq!(
        inst.call(&[Arg::Int4(5)]),
        Ok(Value::Array(ArrayValue::Int4(vec![1, 2, 3, 4, 5])))
    );
    assert_eq!(
        inst.call(&[Arg::Int4(0)]),
        Ok(Value::Array(ArrayValue::Int4(vec![])))
    );
    // A million rows fit in the default 16 MiB; 5 million do not.
    match inst.call(&[Arg::Int4(1_000_000)]) {
        Ok(Value::Array(ArrayValue::Int4(v))) => assert_eq!(v.len(), 1_000_000),
        other => panic!("{other:?}"),
    }
    let err = inst.call(&[Arg::Int4(5_000_000)]).unwrap_err();
    assert!(
        matches!(err, SandboxError::MemoryLimitExceeded { .. }),
        "{err:?}"
    );
    // Sets of arrays are not in the ABI.
    let err = sb
        .load_function(
            &corpus(ABI2),
            "echo",
            &sig(
                &[ValueType::Array(ElemType::Int4)],
                ValueType::Array(ElemType::Int4),
            )
            .returning_set(),
        )
        .unwrap_err();
    assert!(matches!(err, SandboxError::Unsupported(_)), "{err:?}");
}

#[test]
fn null_mask_and_null_results() {
    let sb = sandbox();
    let src = corpus(ABI2);
    let pick = sb
        .load_function(
            &src,
            "pick",
            &sig(&[ValueType::Int4, ValueType::Int4], ValueType::Int4),
        )
        .unwrap();
    assert!(pick.accepts_nulls());
    let mut inst = sb.instantiate(&pick);
    assert_eq!(inst.call(&[Arg::Int4(1), Arg::Int4(2)]), Ok(Value::Int4(1)));
    assert_eq!(
        inst.call(&[Arg::Null(ValueType::Int4), Arg::Int4(2)]),
        Ok(Value::Int4(2))
    );
    // A NULL of the wrong type is refused by the host.
    assert!(matches!(
        inst.call(&[Arg::Null(ValueType::Int8), Arg::Int4(2)]),
        Err(SandboxError::BadArguments(_))
    ));
    let first = sb
        .load_function(
            &src,
            "first",
            &sig(&[ValueType::Array(ElemType::Text)], ValueType::Text),
        )
        .unwrap();
    let mut inst = sb.instantiate(&first);
    let a = ArrayValue::Text(vec!["one".into(), "two".into()]);
    assert_eq!(inst.call(&[Arg::Array(&a)]), Ok(Value::Text("one".into())));
    assert_eq!(
        inst.call(&[Arg::Null(ValueType::Array(ElemType::Text))]),
        Ok(Value::Null(ValueType::Text))
    );
    assert_eq!(
        inst.call(&[Arg::Array(&ArrayValue::Text(vec![]))]),
        Ok(Value::Null(ValueType::Text))
    );
    // Without the mask parameter a NULL cannot be passed.
    let sum = sb
        .load_function(
            &src,
            "sum_int4",
            &sig(&[ValueType::Array(ElemType::Int4)], ValueType::Int8),
        )
        .unwrap();
    assert!(!sum.accepts_nulls());
    assert!(matches!(
        sb.call_once(&sum, &[Arg::Null(ValueType::Array(ElemType::Int4))]),
        Err(SandboxError::BadArguments(_))
    ));
    // In a version 1 module, -1 is not NULL but a range outside memory.
    let v1 = "(module (memory (export \"memory\") 1)
        (func (export \"f\") (result i64) (i64.const -1)))";
    let f = sb
        .load_function(v1.as_bytes(), "f", &sig(&[], ValueType::Text))
        .unwrap();
    assert!(matches!(
        sb.call_once(&f, &[]),
        Err(SandboxError::ResultTooLarge { .. } | SandboxError::BadResult(_))
    ));
}

#[test]
fn numeric_travels_as_decimal_text() {
    let sb = sandbox();
    let echo = sb
        .load_function(
            &corpus(ABI2),
            "echo",
            &sig(&[ValueType::Numeric], ValueType::Numeric),
        )
        .unwrap();
    let v = "-12345678901234567890.000000000000000001";
    assert_eq!(
        sb.call_once(&echo, &[Arg::Numeric(v)]),
        Ok(Value::Numeric(v.into()))
    );
}
