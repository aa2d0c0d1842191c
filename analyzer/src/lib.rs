//! extguard-analyzer: static analysis of PostgreSQL extension SQL.
//!
//! The pipeline: [`source`] (decode, neutralise placeholders) →
//! [`parse`] (lex, split, pg_query) → [`analysis`] (walk with search_path
//! [`search_path::State`], call [`rules`]) → [`finding::Finding`]s →
//! [`driver`] (inputs, extensions, archives, in parallel) →
//! [`outcome::Outcome`] → [`report`] (every output format).

pub mod analysis;
/// Sealing and verification of extguard audit records: the very file the
/// extension seals records with, so the two can never disagree.
#[path = "../../pg_ext/src/audit_mac.rs"]
pub mod audit_mac;
pub mod catalog;
pub mod config;
pub mod diff;
pub mod driver;
pub mod extension;
pub mod finding;
pub mod inventory;
pub mod outcome;
pub mod parse;
pub mod policy;
pub mod report;
pub mod rules;
pub mod search_path;
pub mod source;
pub mod span;
pub mod test_hook;
pub mod verdict;
pub mod wasm;

pub use config::Config;
pub use finding::{Finding, Severity};
pub use search_path::State;
pub use source::SourceFile;

/// Analyse one SQL text as a file of its own (fresh state).
pub fn check_text(path: &str, text: &str, cfg: &Config) -> Vec<Finding> {
    let file = SourceFile::new(path, text.as_bytes());
    let mut state = State::new(cfg.trusted_schema.iter().cloned());
    analysis::analyze_file(&file, cfg, &mut state)
}

/// A hash map keyed by short strings the analysis looks up many times per
/// statement (PL/pgSQL variables, cached parse texts): FxHash, which is several
/// times cheaper than std's SipHash on such keys. Keys come from the analysed
/// code but only ever index per-file maps, so hash flooding costs at most time
/// on that file.
pub type FastMap<K, V> = std::collections::HashMap<K, V, rustc_hash::FxBuildHasher>;
