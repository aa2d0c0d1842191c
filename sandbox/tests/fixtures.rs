//! Well-behaved modules from corpus/wasm: results, the ABI round trip of
//! every type, source encodings, the module cache, instance reuse.

mod common;

use base64::Engine as _;
use common::{corpus, sandbox, sig};
use extguard_sandbox::ValueType::*;
use extguard_sandbox::{Arg, SandboxError, Value};

#[test]
fn add_adds_and_wraps() {
    let sb = sandbox();
    let f = sb
        .load_function(&corpus("add.wat"), "add", &sig(&[Int4, Int4], Int4))
        .unwrap();
    assert_eq!(
        sb.call_once(&f, &[Arg::Int4(40), Arg::Int4(2)]),
        Ok(Value::Int4(42))
    );
    assert_eq!(
        sb.call_once(&f, &[Arg::Int4(i32::MAX), Arg::Int4(1)]),
        Ok(Value::Int4(i32::MIN))
    );
}

#[test]
fn sum_loops() {
    let sb = sandbox();
    let f = sb
        .load_function(&corpus("sum.wat"), "sum", &sig(&[Int8], Int8))
        .unwrap();
    let mut inst = sb.instantiate(&f);
    for n in [0i64, 1, 10, 100_000, -5] {
        let expected = if n > 0 { n * (n + 1) / 2 } else { 0 };
        assert_eq!(
            inst.call(&[Arg::Int8(n)]),
            Ok(Value::Int8(expected)),
            "n={n}"
        );
    }
}

fn fnv1a(bytes: &[u8]) -> i64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h as i64
}

#[test]
fn hash_matches_fnv1a() {
    let sb = sandbox();
    let f = sb
        .load_function(&corpus("hash.wat"), "hash", &sig(&[Bytea], Int8))
        .unwrap();
    let mut inst = sb.instantiate(&f);
    let big: Vec<u8> = (0..200_000u32).map(|i| (i * 31 % 251) as u8).collect();
    for input in [&b""[..], b"a", b"hello world", &[0u8, 255, 0, 1], &big[..]] {
        assert_eq!(
            inst.call(&[Arg::Bytea(input)]),
            Ok(Value::Int8(fnv1a(input))),
            "len {}",
            input.len()
        );
    }
}

#[test]
fn reverse_reverses_characters() {
    let sb = sandbox();
    let f = sb
        .load_function(&corpus("reverse.wat"), "reverse", &sig(&[Text], Text))
        .unwrap();
    let mut inst = sb.instantiate(&f);
    for s in ["", "a", "hello", "héllo wörld", "日本語テキスト", "a😀b"] {
        let expected: String = s.chars().rev().collect();
        assert_eq!(inst.call(&[Arg::Text(s)]), Ok(Value::Text(expected)), "{s}");
    }
}

#[test]
fn reset_lets_a_bump_allocator_serve_many_calls() {
    // 2000 calls x 2 x 10 KB = 40 MB allocated in total, far past the 16 MiB
    // memory limit: it only works because the host calls reset() first.
    let sb = sandbox();
    let f = sb
        .load_function(&corpus("reverse.wat"), "reverse", &sig(&[Text], Text))
        .unwrap();
    let mut inst = sb.instantiate(&f);
    let s = "abcdefghij".repeat(1000);
    for _ in 0..2000 {
        assert!(matches!(inst.call(&[Arg::Text(&s)]), Ok(Value::Text(t)) if t.len() == s.len()));
    }
}

/// `reset` matters only to functions that move text, bytea or jsonb: a
/// function of numbers loads whatever type an export called `reset` has,
/// and may be that export (found by the `sandbox` fuzz target:
/// corpus/fuzz-regressions/sandbox/reset-*).
#[test]
fn reset_of_another_type_only_concerns_varlena_functions() {
    let sb = sandbox();
    let wat = br#"(module
        (memory (export "memory") 1)
        (func (export "alloc") (param i32) (result i32) (i32.const 0))
        (func (export "reset") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
        (func (export "len") (param i32 i32) (result i32) (local.get 1)))"#;
    let reset = sb.load_function(wat, "reset", &sig(&[Int4], Int4)).unwrap();
    assert_eq!(sb.call_once(&reset, &[Arg::Int4(41)]), Ok(Value::Int4(42)));
    let len = sb
        .load_function(wat, "len", &sig(&[Int4, Int4], Int4))
        .unwrap();
    assert_eq!(
        sb.call_once(&len, &[Arg::Int4(0), Arg::Int4(3)]),
        Ok(Value::Int4(3))
    );
    // With text, reset is called before the call: its type must be () -> ().
    let err = sb
        .load_function(wat, "len", &sig(&[Text], Int4))
        .unwrap_err();
    assert_eq!(
        err,
        SandboxError::WrongSignature {
            name: "reset".into(),
            expected: "() -> ()".into(),
            found: "(i32) -> i32".into(),
        }
    );
}

#[test]
fn jsonb_field_count_counts_top_level_keys() {
    let sb = sandbox();
    let f = sb
        .load_function(
            &corpus("jsonb_field_count.wat"),
            "jsonb_field_count",
            &sig(&[Jsonb], Int4),
        )
        .unwrap();
    let mut inst = sb.instantiate(&f);
    for (json, n) in [
        ("{}", 0),
        (r#"{"a": 1}"#, 1),
        (r#"{"a": 1, "b": {"c": 2, "d": [1, 2]}, "e": "x:y"}"#, 3),
        (r#"{"q\"uote:": true, "k": null}"#, 2),
        ("[1, 2, 3]", 0),
        ("42", 0),
    ] {
        assert_eq!(inst.call(&[Arg::Jsonb(json)]), Ok(Value::Int4(n)), "{json}");
    }
}

#[test]
fn every_type_round_trips() {
    let sb = sandbox();
    let module = sb.load(&corpus("types.wat")).unwrap();
    let all_bytes: Vec<u8> = (0..=255u8).collect();
    let long_text = "ü".repeat(50_000);
    let cases: Vec<(&str, Vec<Value>)> = vec![
        (
            "id_int2",
            vec![
                Value::Int2(0),
                Value::Int2(i16::MIN),
                Value::Int2(i16::MAX),
                Value::Int2(-1),
            ],
        ),
        (
            "id_int4",
            vec![Value::Int4(i32::MIN), Value::Int4(i32::MAX), Value::Int4(7)],
        ),
        (
            "id_int8",
            vec![
                Value::Int8(i64::MIN),
                Value::Int8(i64::MAX),
                Value::Int8(-9),
            ],
        ),
        (
            "id_float4",
            vec![
                Value::Float4(1.5),
                Value::Float4(f32::MIN_POSITIVE),
                Value::Float4(f32::INFINITY),
                Value::Float4(-0.0),
            ],
        ),
        (
            "id_float8",
            vec![
                Value::Float8(std::f64::consts::PI),
                Value::Float8(f64::NEG_INFINITY),
                Value::Float8(1e-300),
            ],
        ),
        ("id_bool", vec![Value::Bool(true), Value::Bool(false)]),
        (
            "id_text",
            vec![
                Value::Text(String::new()),
                Value::Text("héllo".into()),
                Value::Text(long_text),
            ],
        ),
        (
            "id_bytea",
            vec![Value::Bytea(vec![]), Value::Bytea(all_bytes)],
        ),
        (
            "id_jsonb",
            vec![
                Value::Jsonb("{}".into()),
                Value::Jsonb(r#"{"a": [1, 2.5, "ü"], "b": null}"#.into()),
            ],
        ),
    ];
    for (name, values) in cases {
        let ty = values[0].value_type();
        let f = module.function(name, &sig(&[ty], ty)).unwrap();
        let mut inst = sb.instantiate(&f);
        for v in values {
            let out = inst.call(&[v.as_arg()]).unwrap();
            match (&v, &out) {
                // Compare floats bitwise so -0.0 and infinities are exact.
                (Value::Float4(a), Value::Float4(b)) => assert_eq!(a.to_bits(), b.to_bits()),
                (Value::Float8(a), Value::Float8(b)) => assert_eq!(a.to_bits(), b.to_bits()),
                _ => assert_eq!(out, v, "{name}"),
            }
        }
    }
    // NaN keeps its bit pattern too.
    let f = module
        .function("id_float8", &sig(&[Float8], Float8))
        .unwrap();
    match sb.call_once(&f, &[Arg::Float8(f64::NAN)]).unwrap() {
        Value::Float8(x) => assert!(x.is_nan()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn mixed_signature_passes_each_argument_in_order() {
    let sb = sandbox();
    let f = sb
        .load_function(
            &corpus("types.wat"),
            "mixed",
            &sig(&[Int4, Text, Float8, Bytea], Int8),
        )
        .unwrap();
    // 10 + len("abc") + len([1,2,3,4,5]) + trunc(2.9) = 10 + 3 + 5 + 2
    assert_eq!(
        sb.call_once(
            &f,
            &[
                Arg::Int4(10),
                Arg::Text("abc"),
                Arg::Float8(2.9),
                Arg::Bytea(&[1, 2, 3, 4, 5])
            ]
        ),
        Ok(Value::Int8(20))
    );
}

#[test]
fn wat_binary_and_base64_load_the_same_cached_module() {
    let sb = sandbox();
    let wat = corpus("add.wat");
    let binary = wat::parse_bytes(&wat).unwrap().into_owned();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&binary);
    // Line-wrapped base64 without padding is accepted too.
    let wrapped: String = b64
        .trim_end_matches('=')
        .as_bytes()
        .chunks(8)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let a = sb.load(&wat).unwrap();
    let b = sb.load(&binary).unwrap();
    let c = sb.load(b64.as_bytes()).unwrap();
    let d = sb.load(wrapped.as_bytes()).unwrap();
    assert_eq!(a.hash(), b.hash());
    assert_eq!(a.hash(), c.hash());
    assert_eq!(a.hash(), d.hash());
    assert_eq!(sb.cached_modules(), 1);
    assert_eq!(a.size(), binary.len());
    assert_eq!(a.exported_functions(), vec!["add".to_string()]);
    let f = c.function("add", &sig(&[Int4, Int4], Int4)).unwrap();
    assert_eq!(
        sb.call_once(&f, &[Arg::Int4(1), Arg::Int4(1)]),
        Ok(Value::Int4(2))
    );
}

#[test]
fn cache_evicts_oldest_modules() {
    let sb = common::sandbox_with(|c| c.max_cached_modules = 3);
    for i in 0..5 {
        let src = format!("(module (func (export \"f\") (result i32) (i32.const {i})))");
        sb.load(src.as_bytes()).unwrap();
    }
    assert_eq!(sb.cached_modules(), 3);
}

#[test]
fn instance_keeps_state_until_an_error() {
    let sb = sandbox();
    let module = sb.load(&corpus("counter.wat")).unwrap();
    let next = module.function("next", &sig(&[], Int4)).unwrap();
    let mut inst = sb.instantiate(&next);
    assert_eq!(inst.call(&[]), Ok(Value::Int4(1)));
    assert_eq!(inst.call(&[]), Ok(Value::Int4(2)));
    assert_eq!(inst.call(&[]), Ok(Value::Int4(3)));
    inst.reset();
    assert_eq!(inst.call(&[]), Ok(Value::Int4(1)));
    // call_once never shares state.
    assert_eq!(sb.call_once(&next, &[]), Ok(Value::Int4(1)));
    assert_eq!(sb.call_once(&next, &[]), Ok(Value::Int4(1)));
    // Two instances of the same function are independent.
    let mut other = sb.instantiate(&next);
    assert_eq!(other.call(&[]), Ok(Value::Int4(1)));
    assert_eq!(inst.call(&[]), Ok(Value::Int4(2)));
}

#[test]
fn an_error_discards_the_instance() {
    // Boolean function over the counter module: after "fail" traps in one
    // instance, that instance starts over.
    let sb = sandbox();
    let src = br#"(module
        (global $n (mut i32) (i32.const 0))
        (func (export "step") (param $fail i32) (result i32)
          (global.set $n (i32.add (global.get $n) (i32.const 1)))
          (if (local.get $fail) (then unreachable))
          (global.get $n)))"#;
    let f = sb.load_function(src, "step", &sig(&[Bool], Int4)).unwrap();
    let mut inst = sb.instantiate(&f);
    assert_eq!(inst.call(&[Arg::Bool(false)]), Ok(Value::Int4(1)));
    assert_eq!(inst.call(&[Arg::Bool(false)]), Ok(Value::Int4(2)));
    assert!(matches!(
        inst.call(&[Arg::Bool(true)]),
        Err(SandboxError::Trap { .. })
    ));
    assert_eq!(inst.call(&[Arg::Bool(false)]), Ok(Value::Int4(1)));
}

#[test]
fn ticker_thread_starts_with_the_first_call_not_before() {
    let sb = sandbox();
    let f = sb
        .load_function(&corpus("add.wat"), "add", &sig(&[Int4, Int4], Int4))
        .unwrap();
    assert!(
        !sb.ticker_started(),
        "creating and loading must not start threads"
    );
    sb.call_once(&f, &[Arg::Int4(1), Arg::Int4(2)]).unwrap();
    assert!(sb.ticker_started());
}

#[test]
fn bool_results_follow_c_truthiness() {
    let sb = sandbox();
    let f = sb
        .load_function(
            b"(module (func (export \"f\") (param i32) (result i32) (local.get 0)))",
            "f",
            &sig(&[Int4], Bool),
        )
        .unwrap();
    assert_eq!(sb.call_once(&f, &[Arg::Int4(0)]), Ok(Value::Bool(false)));
    assert_eq!(sb.call_once(&f, &[Arg::Int4(1)]), Ok(Value::Bool(true)));
    assert_eq!(sb.call_once(&f, &[Arg::Int4(-7)]), Ok(Value::Bool(true)));
}
