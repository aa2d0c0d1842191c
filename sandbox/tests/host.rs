//! Host imports (`extguard.spi_query`): offered only when the embedder
//! gives a `Host`, checked by name and type at load, bounds-checked at
//! call time; a host failure reaches the guest as text with the error
//! bit, an abort stops the call. The host here answers from a table of
//! canned rows: the PostgreSQL side is tested in tests/tests/wasm_spi.rs.

mod common;

use std::sync::Arc;

use common::{corpus, sandbox, sandbox_with, sig};
use extguard_sandbox::{Arg, Host, HostError, SandboxError, Value, ValueType};

struct Table;

impl Host for Table {
    fn spi_query(&self, sql: &str, params: &[String]) -> Result<String, HostError> {
        match sql {
            "rows" => Ok(format!("[{{\"p\":{:?}}}]", params.join("|"))),
            "fail" => Err(HostError::Failed("22012: division by zero".into())),
            _ => Err(HostError::Abort),
        }
    }
}

fn with_host() -> extguard_sandbox::Sandbox {
    sandbox_with(|c| c.host = Some(Arc::new(Table)))
}

#[test]
fn imports_need_a_host() {
    let err = sandbox().load(&corpus("spi.wat")).unwrap_err();
    assert!(
        matches!(&err, SandboxError::ForbiddenImport { name, .. } if name == "spi_query"),
        "{err:?}"
    );
    // With a host, other imports and other types stay refused.
    let sb = with_host();
    let err = sb
        .load(b"(module (import \"extguard\" \"exec\" (func)))")
        .unwrap_err();
    assert!(
        matches!(err, SandboxError::ForbiddenImport { .. }),
        "{err:?}"
    );
    let err = sb
        .load(b"(module (import \"extguard\" \"spi_query\" (func (param i32) (result i64))))")
        .unwrap_err();
    assert!(
        matches!(err, SandboxError::WrongSignature { .. }),
        "{err:?}"
    );
    let err = sb
        .load(b"(module (import \"extguard\" \"spi_query\" (memory 1)))")
        .unwrap_err();
    assert!(
        matches!(err, SandboxError::ForbiddenImport { .. }),
        "{err:?}"
    );
}

#[test]
fn rows_errors_and_aborts() {
    let sb = with_host();
    let src = corpus("spi.wat");
    let q = sb
        .load_function(&src, "q", &sig(&[ValueType::Text], ValueType::Text))
        .unwrap();
    let qp = sb
        .load_function(
            &src,
            "qp",
            &sig(&[ValueType::Text, ValueType::Text], ValueType::Text),
        )
        .unwrap();
    let mut inst = sb.instantiate(&q);
    assert_eq!(
        inst.call(&[Arg::Text("rows")]),
        Ok(Value::Text("[{\"p\":\"\"}]".into()))
    );
    assert_eq!(
        sb.call_once(&qp, &[Arg::Text("rows"), Arg::Text("h\u{e9}")]),
        Ok(Value::Text("[{\"p\":\"h\u{e9}\"}]".into()))
    );
    // spi.wat clears the error bit and returns the text.
    assert_eq!(
        inst.call(&[Arg::Text("fail")]),
        Ok(Value::Text("22012: division by zero".into()))
    );
    assert_eq!(
        inst.call(&[Arg::Text("abort")]),
        Err(SandboxError::HostAborted)
    );
    // The instance was discarded; a fresh one works.
    assert!(inst.call(&[Arg::Text("rows")]).is_ok());
}

#[test]
fn hostile_ranges_trap() {
    let sb = with_host();
    for (what, args, says) in [
        (
            "sql outside memory",
            "(i32.const 70000) (i32.const 10) (i32.const 0) (i32.const 0)",
            "spi_query: a range outside memory",
        ),
        (
            "length wraps",
            "(i32.const 1) (i32.const -1) (i32.const 0) (i32.const 0)",
            "spi_query: a range outside memory",
        ),
        (
            "params outside memory",
            "(i32.const 0) (i32.const 0) (i32.const 65530) (i32.const 100)",
            "spi_query: a range outside memory",
        ),
        (
            "bad param encoding",
            "(i32.const 0) (i32.const 0) (i32.const 0) (i32.const 3)",
            "spi_query parameters:",
        ),
    ] {
        let wat = format!(
            "(module (import \"extguard\" \"spi_query\" (func $s (param i32 i32 i32 i32) (result i64)))
              (memory (export \"memory\") 1)
              (func (export \"alloc\") (param i32) (result i32) (i32.const 0))
              (func (export \"f\") (result i64) (call $s {args})))"
        );
        let f = sb
            .load_function(wat.as_bytes(), "f", &sig(&[], ValueType::Int8))
            .unwrap();
        let err = sb.call_once(&f, &[]).unwrap_err();
        // the host's reason reaches the caller, with the wasm frames after it
        match &err {
            SandboxError::Trap { message, .. } => assert!(
                message.starts_with(says) && message.contains("wasm backtrace: func"),
                "{what}: {message}"
            ),
            _ => panic!("{what}: {err:?}"),
        }
    }
    // alloc returning a range outside memory for the rows is a trap too.
    let wat = "(module (import \"extguard\" \"spi_query\" (func $s (param i32 i32 i32 i32) (result i64)))
          (memory (export \"memory\") 1)
          (data (i32.const 0) \"rows\")
          (func (export \"alloc\") (param i32) (result i32) (i32.const 65535))
          (func (export \"f\") (result i64) (call $s (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0))))";
    let f = sb
        .load_function(wat.as_bytes(), "f", &sig(&[], ValueType::Int8))
        .unwrap();
    assert!(matches!(
        sb.call_once(&f, &[]),
        Err(SandboxError::Trap { .. })
    ));
}
