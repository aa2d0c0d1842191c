//! Hostile and odd inputs end in a clear diagnostic (or none), never a crash
//! or a hang, and the statements after them are still analysed.

use extguard_analyzer::{check_text, Config, Finding, SourceFile, State};

fn codes(f: &[Finding]) -> Vec<(&str, usize)> {
    f.iter().map(|f| (f.code, f.line)).collect()
}

const TAIL: &str = "\nSELECT f();\n";

#[test]
fn nesting_past_the_parser_limit_is_a_syntax_error_and_analysis_goes_on() {
    let sql = format!(
        "SELECT {}1{};{TAIL}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let f = check_text("deep.sql", &sql, &Config::default());
    assert_eq!(codes(&f), [("EG001", 1), ("PS016", 2)]);
    assert!(
        f[0].message.contains("memory exhausted"),
        "{}",
        f[0].message
    );
}

/// Long operator chains nest the parse tree one level per operator: deeper
/// than the protobuf decoder's default limit of 100 messages, they are still
/// analysed (here on a test thread's 2 MiB stack); past the analyzer's own
/// bound they are an EG006 (info), never a syntax error.
#[test]
fn deep_expressions_are_analysed_or_reported_incomplete() {
    let chain = |n: usize| vec!["'x'"; n].join(" || ");
    let sql = format!("SELECT {} || f();{TAIL}", chain(600));
    let f = check_text("chain.sql", &sql, &Config::default());
    let found = codes(&f);
    assert!(found.contains(&("PS016", 1)), "{found:?}");
    assert!(
        found.iter().all(|(c, _)| *c != "EG001" && *c != "EG006"),
        "{found:?}"
    );
    // the same inside a PL/pgSQL EXECUTE
    let sql = format!("DO $$ BEGIN EXECUTE {} || g(); END $$;{TAIL}", chain(600));
    let f = check_text("chain.sql", &sql, &Config::default());
    assert!(codes(&f).contains(&("PS016", 1)), "{:?}", codes(&f));
    assert!(f.iter().all(|f| f.code != "EG001"), "{f:?}");

    let sql = format!("SELECT {};{TAIL}", chain(5_000));
    let f = check_text("chain.sql", &sql, &Config::default());
    assert_eq!(codes(&f), [("EG006", 1), ("PS016", 2)]);
    assert_eq!(f[0].severity, extguard_analyzer::Severity::Info);
}

#[test]
fn deep_plpgsql_is_reported_as_too_deep() {
    let sql = format!(
        "DO $$ BEGIN {} PERFORM 1; {} END $$;{TAIL}",
        "IF true THEN ".repeat(300),
        "END IF; ".repeat(300)
    );
    let f = check_text("deep.sql", &sql, &Config::default());
    assert_eq!(codes(&f), [("EG006", 1), ("PS016", 2)]);
}

#[test]
fn unterminated_quotes_and_comments() {
    for opener in ["$$", "'", "\"", "/*", "$tag$", "E'"] {
        let sql = format!("SELECT g();\nSELECT {opener} never closed;\nSELECT h();\n");
        let f = check_text("u.sql", &sql, &Config::default());
        assert_eq!(f[0].code, "PS016", "{opener}: {f:?}");
        assert_eq!(f[1].code, "EG001", "{opener}: {f:?}");
        assert_eq!(f[1].line, 2, "{opener}");
    }
}

#[test]
fn nul_bytes_bom_crlf_and_invalid_utf8() {
    let f = check_text("n.sql", "SELECT 1;\0\0SELECT f();\n", &Config::default());
    assert_eq!(codes(&f), [("PS016", 1)]);
    let f = check_text(
        "b.sql",
        "\u{feff}SELECT f();\r\nSELECT\r\n  g();\r\n",
        &Config::default(),
    );
    assert_eq!(
        f.iter()
            .map(|f| (f.code, f.line, f.column))
            .collect::<Vec<_>>(),
        [("PS016", 1, 8), ("PS016", 3, 3)]
    );
    let file = SourceFile::new("x.sql", b"SELECT '\xff\xfe';\nSELECT f();\n");
    let f =
        extguard_analyzer::analysis::analyze_file(&file, &Config::default(), &mut State::default());
    assert_eq!(codes(&f), [("EG002", 1), ("PS016", 2)]);
}

#[test]
fn very_long_identifiers_and_literals() {
    let name = "a".repeat(1 << 20);
    let sql = format!("SELECT {name}('{}');{TAIL}", "x".repeat(1 << 20));
    let f = check_text("l.sql", &sql, &Config::default());
    assert_eq!(codes(&f), [("PS016", 1), ("PS016", 2)]);
    assert_eq!(f[0].end_column - f[0].column, 1 << 20);
}

#[test]
fn many_statements() {
    let sql = "SELECT 1;\n".repeat(20_000) + "SELECT f();\n";
    let f = check_text("m.sql", &sql, &Config::default());
    assert_eq!(codes(&f), [("PS016", 20_001)]);
}

#[test]
fn bodies_nested_in_bodies_stop_at_the_depth_limit() {
    // DO blocks that EXECUTE nothing but contain DO blocks as static SQL, 40 deep
    let mut sql = "PERFORM f();".to_string();
    for i in 0..40 {
        sql = format!("DO $d{i}$ BEGIN {sql} END $d{i}$;");
    }
    let f = check_text("nest.sql", &sql, &Config::default());
    // analysis stops at the depth limit without crashing
    assert!(f.iter().all(|f| f.code != "EG003"), "{f:?}");
}

#[test]
fn a_million_statements() {
    let sql = "SELECT 1;\n".repeat(1_000_000) + "SELECT f();\n";
    let f = check_text("m.sql", &sql, &Config::default());
    assert_eq!(codes(&f), [("PS016", 1_000_001)]);
}

#[test]
fn a_100_mb_file() {
    // 100,000 statements of 1 kB each, then one finding on the last line.
    let stmt = format!("SELECT '{}';\n", "x".repeat(1_000 - 11));
    assert_eq!(stmt.len(), 1_000);
    let sql = stmt.repeat(100_000) + "SELECT f();\n";
    assert!(sql.len() > 100_000_000);
    let f = check_text("big.sql", &sql, &Config::default());
    assert_eq!(codes(&f), [("PS016", 100_001)]);
}
