//! The analyzer reads libpg_query's C parse tree directly; the protobuf
//! output it replaced must give the very same trees. With
//! `ParsePath::Compare` every parse of an analysis (statements, PL/pgSQL
//! expressions, dynamic SQL, bodies) goes through both paths and records
//! each text on which the trees or errors differ. Run here over all of the
//! local PostgreSQL's contrib; `debian_corpus` runs its scan of the 40 real
//! Debian extension packages the same way.

use extguard_analyzer::parse::{self, ParsePath};
use extguard_analyzer::{extension, Config};
use extguard_e2e::contrib_extensions;

fn assert_no_mismatch(what: &str, parses_before: usize) {
    let m = parse::path_mismatches();
    let total = parse::compared_parses() - parses_before;
    assert!(total > 0, "{what}: nothing was parsed");
    assert!(
        m.is_empty(),
        "{what}: the C and protobuf parse paths differ on {} of {total} texts; the first:\n{}",
        m.len(),
        m.iter().take(3).cloned().collect::<Vec<_>>().join("\n\n")
    );
    eprintln!("{what}: {total} parses, identical on both paths");
}

#[test]
fn both_parse_paths_give_the_same_trees_on_contrib() {
    parse::set_parse_path(ParsePath::Compare);

    let before = parse::compared_parses();
    let cfg = Config::default();
    for e in &contrib_extensions() {
        extension::analyze(e, &cfg);
    }
    assert_no_mismatch("contrib", before);
}
