//! `extguard.raise`: messages below ERROR reach the host sanitised and
//! within per-call caps, ERROR ends the call with the guest's SQLSTATE
//! (restricted classes) and message, bad arguments trap. The PostgreSQL
//! side is tested in tests/tests/wasm_raise.rs.

mod common;

use std::sync::{Arc, Mutex};

use common::{corpus, sandbox, sandbox_with, sig};
use extguard_sandbox::{
    Arg, Host, HostError, MessageLevel, SandboxError, TrapKind, Value, ValueType,
    MAX_MESSAGES_PER_CALL, MAX_MESSAGE_BYTES_PER_CALL, MESSAGE_TEXT_CHARS,
};

#[derive(Default)]
struct Inbox(Mutex<Vec<(MessageLevel, String)>>);

impl Host for Inbox {
    fn spi_query(&self, _: &str, _: &[String]) -> Result<String, HostError> {
        Err(HostError::Abort)
    }

    fn message(&self, level: MessageLevel, text: &str) {
        self.0.lock().unwrap().push((level, text.to_string()));
    }
}

impl Inbox {
    fn take(&self) -> Vec<(MessageLevel, String)> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn setup() -> (Arc<Inbox>, extguard_sandbox::Sandbox) {
    let inbox = Arc::new(Inbox::default());
    let host = inbox.clone();
    (inbox, sandbox_with(|c| c.host = Some(host)))
}

fn say_sig() -> extguard_sandbox::Signature {
    sig(
        &[ValueType::Int4, ValueType::Text, ValueType::Text],
        ValueType::Int4,
    )
}

#[test]
fn import_needs_a_host_and_its_type() {
    let err = sandbox().load(&corpus("raise.wat")).unwrap_err();
    assert!(
        matches!(&err, SandboxError::ForbiddenImport { name, .. } if name == "raise"),
        "{err:?}"
    );
    let (_, sb) = setup();
    let err = sb
        .load(b"(module (import \"extguard\" \"raise\" (func (param i32 i32 i32) (result i32))))")
        .unwrap_err();
    assert!(
        matches!(&err, SandboxError::WrongSignature { expected, .. }
            if expected == "(i32, i32, i32, i32, i32) -> i32"),
        "{err:?}"
    );
}

#[test]
fn levels_reach_the_host_sanitised() {
    let (inbox, sb) = setup();
    let say = sb
        .load_function(&corpus("raise.wat"), "say", &say_sig())
        .unwrap();
    let mut inst = sb.instantiate(&say);
    for (level, want) in [
        (0, MessageLevel::Debug),
        (1, MessageLevel::Log),
        (2, MessageLevel::Info),
        (3, MessageLevel::Notice),
        (4, MessageLevel::Warning),
    ] {
        let r = inst.call(&[Arg::Int4(level), Arg::Text("hi"), Arg::Text("")]);
        assert_eq!(r, Ok(Value::Int4(7)));
        assert_eq!(inbox.take(), vec![(want, "hi".to_string())]);
    }
    // Line breaks, a forged audit line and bidi controls are defused.
    let forged = "ok\nEXTGUARD_AUDIT {\"event\":\"x\"}\u{202e}";
    inst.call(&[Arg::Int4(3), Arg::Text(forged), Arg::Text("")])
        .unwrap();
    let got = inbox.take();
    assert_eq!(got.len(), 1);
    let text = &got[0].1;
    assert!(!text.contains('\n') && !text.contains('\u{202e}'), "{text}");
    assert!(!text.to_uppercase().contains("EXTGUARD_AUDIT"), "{text}");
    assert!(text.contains("\\u{a}"), "{text}");
    // A long message is cut.
    let long = "y".repeat(MESSAGE_TEXT_CHARS + 100);
    inst.call(&[Arg::Int4(4), Arg::Text(&long), Arg::Text("")])
        .unwrap();
    let got = inbox.take();
    assert_eq!(got[0].1.chars().count(), MESSAGE_TEXT_CHARS + 3);
    assert!(got[0].1.ends_with("..."));
}

#[test]
fn error_ends_the_call_with_its_sqlstate() {
    let (inbox, sb) = setup();
    let say = sb
        .load_function(&corpus("raise.wat"), "say", &say_sig())
        .unwrap();
    let mut inst = sb.instantiate(&say);
    let r = inst.call(&[Arg::Int4(5), Arg::Text("no\nway"), Arg::Text("")]);
    assert_eq!(
        r,
        Err(SandboxError::Raised {
            sqlstate: "P0001".into(),
            message: "no\\u{a}way".into()
        })
    );
    assert!(inbox.take().is_empty(), "ERROR is not a message");
    for code in ["22023", "23505", "P0004", "22ABC"] {
        let r = inst.call(&[Arg::Int4(5), Arg::Text("bad"), Arg::Text(code)]);
        assert_eq!(
            r,
            Err(SandboxError::Raised {
                sqlstate: code.into(),
                message: "bad".into()
            })
        );
    }
    // Codes that would pass for extguard's or PostgreSQL's own errors,
    // malformed codes and unknown levels trap instead.
    for (level, code) in [
        (5, "54000"),
        (5, "42501"),
        (5, "XX000"),
        (5, "57014"),
        (5, "38000"),
        (5, "00000"),
        (5, "p0001"),
        (5, "P001"),
        (5, "P0001\n"),
        (6, ""),
        (-1, ""),
    ] {
        let r = inst.call(&[Arg::Int4(level), Arg::Text("m"), Arg::Text(code)]);
        assert!(
            matches!(&r, Err(SandboxError::Trap { kind: TrapKind::Other, message })
                if message.starts_with("raise: ")),
            "{level} {code:?}: {r:?}"
        );
    }
    // The instance still works afterwards.
    assert_eq!(
        inst.call(&[Arg::Int4(3), Arg::Text("after"), Arg::Text("")]),
        Ok(Value::Int4(7))
    );
    assert_eq!(inbox.take().len(), 1);
}

#[test]
fn floods_are_capped_per_call() {
    let (inbox, sb) = setup();
    let src = corpus("raise.wat");
    let int = sig(&[ValueType::Int4], ValueType::Int4);
    let flood = sb.load_function(&src, "flood", &int).unwrap();
    let mut inst = sb.instantiate(&flood);
    let cap = MAX_MESSAGES_PER_CALL as i32;
    assert_eq!(inst.call(&[Arg::Int4(cap)]), Ok(Value::Int4(cap)));
    assert_eq!(inbox.take().len(), cap as usize);
    // The caps are per call: the next call starts from zero.
    assert_eq!(inst.call(&[Arg::Int4(cap)]), Ok(Value::Int4(cap)));
    assert_eq!(inbox.take().len(), cap as usize);
    let r = inst.call(&[Arg::Int4(1_000_000)]);
    assert_eq!(
        r,
        Err(SandboxError::MessageLimitExceeded {
            messages: MAX_MESSAGES_PER_CALL + 1,
            bytes: 5 * (MAX_MESSAGES_PER_CALL as u64 + 1),
        })
    );
    assert_eq!(inbox.take().len(), cap as usize, "delivered up to the cap");

    let bulk = sb.load_function(&src, "bulk", &int).unwrap();
    let mut inst = sb.instantiate(&bulk);
    let max = MAX_MESSAGE_BYTES_PER_CALL as i32;
    assert_eq!(inst.call(&[Arg::Int4(max)]), Ok(Value::Int4(0)));
    let got = inbox.take();
    assert!(got[0].1.starts_with("hello\\u{0}"), "NUL escaped");
    assert!(matches!(
        inst.call(&[Arg::Int4(max + 1)]),
        Err(SandboxError::MessageLimitExceeded { messages: 1, .. })
    ));
    assert!(inbox.take().is_empty());
    // A range outside memory traps before anything is delivered.
    let r = inst.call(&[Arg::Int4(1 << 30)]);
    assert!(
        matches!(&r, Err(SandboxError::Trap { message, .. }) if message.contains("outside memory")),
        "{r:?}"
    );
}
