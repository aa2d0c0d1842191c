//! The analysis driver: from a file's text to its findings.
//!
//! A file is split into statements (never aborting on a bad one), each
//! statement is parsed and walked by a [`checker::Checker`], which keeps the
//! search_path [`State`] up to date and calls the rules. Function bodies, DO
//! blocks and dynamic SQL become nested [`Unit`]s with their own offset maps.

pub mod checker;
pub mod dynamic;
pub mod functions;
mod plpgsql;
mod plpgsql_tree;
mod spans;

use std::borrow::Cow;
use std::cell::OnceCell;

use crate::config::Config;
use crate::finding::{Finding, Severity};
use crate::parse::lexer::{self, Token, TokenKind};
use crate::rules::{self, Rule, RuleCx};
use crate::search_path::State;
use crate::source::SourceFile;
use crate::span::{OffsetMap, Span};

/// A piece of SQL text being analysed: a file, a function body, an
/// expression of a PL/pgSQL body, a dynamic SQL string.
pub struct Unit<'t> {
    /// The text (placeholders neutralised).
    pub text: Cow<'t, str>,
    /// Its tokens (offsets in `text`), lexed when first asked for: most
    /// statements of a script need them only for the spans of findings.
    tokens: OnceCell<Vec<Token>>,
    /// Where each byte of `text` is in the file.
    pub map: OffsetMap,
}

impl<'t> Unit<'t> {
    /// A unit for `text[start..end]`, a contiguous slice of the file.
    pub fn slice(text: &'t str, start: usize, end: usize) -> Unit<'t> {
        Unit {
            text: Cow::Borrowed(&text[start..end]),
            tokens: OnceCell::new(),
            map: OffsetMap::Shift(start),
        }
    }

    /// A unit for text that is not a contiguous slice of the file.
    pub fn owned(text: String, map: OffsetMap) -> Unit<'static> {
        Unit {
            text: Cow::Owned(text),
            tokens: OnceCell::new(),
            map,
        }
    }

    /// The unit's tokens, offsets local to `text`.
    pub fn tokens(&self) -> &[Token] {
        self.tokens.get_or_init(|| lexer::lex(&self.text))
    }

    /// Index of the token at local offset `loc`.
    pub fn token_index(&self, loc: usize) -> Option<usize> {
        lexer::token_at(self.tokens(), loc)
    }

    /// Local byte range of the token at `loc`.
    pub fn token_range(&self, loc: usize) -> (usize, usize) {
        let tokens = self.tokens();
        match self.token_index(loc) {
            Some(i) if tokens[i].start <= loc && loc < tokens[i].end.max(tokens[i].start + 1) => {
                (tokens[i].start, tokens[i].end)
            }
            _ => (loc, (loc + 1).min(self.text.len().max(loc))),
        }
    }

    /// Local byte range of a (possibly qualified) name starting at `loc`: `a`, `s.a`, `"S".a`.
    pub fn name_range(&self, loc: usize) -> (usize, usize) {
        let Some(mut i) = self.token_index(loc) else {
            return self.token_range(loc);
        };
        let tokens = self.tokens();
        if tokens[i].start != loc {
            return self.token_range(loc);
        }
        let text = &self.text;
        let local = |t: &Token| (t.start, t.end);
        let (start, mut end) = local(&tokens[i]);
        while let (Some(dot), Some(next)) = (tokens.get(i + 1), tokens.get(i + 2)) {
            let dot_is_dot = dot.kind == TokenKind::Punct && &text[dot.start..dot.end] == ".";
            if !(dot_is_dot && matches!(next.kind, TokenKind::Word | TokenKind::QuotedIdent)) {
                break;
            }
            end = local(next).1;
            i += 2;
        }
        (start, end)
    }

    pub fn span(&self, range: (usize, usize)) -> Span {
        self.map.span(range.0, range.1)
    }
}

/// Everything one file's analysis reports into.
pub struct Cx<'f> {
    pub file: &'f SourceFile,
    pub cfg: &'f Config,
    pub findings: Vec<Finding>,
    /// Inline `-- extguard: ignore ...` directives.
    pub suppressions: Vec<Suppression>,
    /// Nesting depth of bodies and dynamic SQL, to stop runaway recursion.
    pub depth: usize,
}

/// An inline `-- extguard: ignore CODE, ...` comment and the statement it covers.
pub struct Suppression {
    /// The comment itself (file span).
    pub comment: Span,
    /// The statement that follows it (file span).
    pub covers: Span,
    pub codes: Vec<String>,
}

impl Suppression {
    fn hides(&self, f: &Finding) -> bool {
        self.covers.start <= f.span.start
            && f.span.start <= self.covers.end
            && self.codes.iter().any(|c| c.eq_ignore_ascii_case(f.code))
    }
}

/// Deepest nesting of bodies inside bodies that is analysed.
pub const MAX_DEPTH: usize = 32;

impl<'f> Cx<'f> {
    pub fn new(file: &'f SourceFile, cfg: &'f Config) -> Self {
        Cx {
            file,
            cfg,
            findings: Vec::new(),
            suppressions: Vec::new(),
            depth: 0,
        }
    }

    /// Record a finding for `rule` at a file span.
    pub fn report(
        &mut self,
        rule: &'static Rule,
        severity: Severity,
        span: Span,
        message: String,
        object: Option<String>,
    ) {
        let f = self.finding(rule, severity, span, message, object);
        self.findings.push(f);
    }

    /// Build (without recording) a finding for `rule` at a span of this file:
    /// for checks that can only decide at the end of a script.
    pub fn finding(
        &self,
        rule: &'static Rule,
        severity: Severity,
        span: Span,
        message: String,
        object: Option<String>,
    ) -> Finding {
        let mut f = Finding::at(self.file, rule, span, message, object);
        f.severity = severity;
        f
    }

    /// A body (or dynamic SQL) past [`MAX_DEPTH`] of nesting: left unanalysed.
    pub fn nested_too_deeply(&mut self, unit: &Unit) {
        let span = unit.span((0, unit.text.len().min(1)));
        self.report(
            &rules::EG006,
            Severity::Info,
            span,
            format!("bodies are nested more than {MAX_DEPTH} deep here; this one is not analysed"),
            None,
        );
    }

    /// Apply --select/--ignore/--min-severity and inline suppressions; sort by position.
    ///
    /// Without `inline_ignores` (untrusted input) a suppression hides
    /// nothing: it becomes an EG007 finding of its own, saying what it
    /// would have hidden.
    pub fn finish(mut self) -> Vec<Finding> {
        let cfg = self.cfg;
        let sup = std::mem::take(&mut self.suppressions);
        self.findings.retain(|f| {
            f.is_parse_error() || (cfg.enabled(f.code) && f.severity >= cfg.min_severity)
        });
        if cfg.inline_ignores {
            self.findings.retain(|f| !sup.iter().any(|s| s.hides(f)));
        } else {
            let refused: Vec<Finding> = sup
                .iter()
                .map(|s| {
                    let hidden: Vec<String> = self
                        .findings
                        .iter()
                        .filter(|f| s.hides(f))
                        .map(|f| format!("{} ({}) at line {}", f.code, f.title, f.line))
                        .collect();
                    let what = if hidden.is_empty() {
                        "it would hide nothing here".to_string()
                    } else {
                        format!("it would hide {}", hidden.join(", "))
                    };
                    self.finding(
                        &rules::EG007,
                        rules::EG007.severity,
                        s.comment,
                        format!("suppression comment in untrusted input is not obeyed: {what}"),
                        Some(s.codes.join(", ")),
                    )
                })
                .filter(|f| cfg.enabled(f.code) && f.severity >= cfg.min_severity)
                .collect();
            self.findings.extend(refused);
        }
        // A stable sort of indices, then each finding moved once: sorting the
        // findings themselves moves these large structs many times over.
        let mut order: Vec<usize> = (0..self.findings.len()).collect();
        order.sort_by_key(|&i| {
            let f = &self.findings[i];
            (f.span.start, f.span.end, f.code)
        });
        let mut slots: Vec<Option<Finding>> = std::mem::take(&mut self.findings)
            .into_iter()
            .map(Some)
            .collect();
        self.findings = order.into_iter().filter_map(|i| slots[i].take()).collect();
        self.findings.dedup();
        self.findings
    }

    /// Register `-- extguard: ignore CODE, CODE` comments of a unit: each
    /// covers the statement that follows it. `stmts` has offsets local to the unit.
    fn collect_suppressions(&mut self, unit: &Unit, stmts: &[lexer::StmtRange]) {
        for t in unit
            .tokens()
            .iter()
            .filter(|t| t.kind == TokenKind::Comment)
        {
            let text = &unit.text[t.start..t.end];
            let Some(codes) = crate::source::parse_directive(text) else {
                continue;
            };
            if let Some(next) = stmts.iter().find(|s| s.start >= t.end) {
                self.suppressions.push(Suppression {
                    comment: unit.map.span(t.start, t.end),
                    covers: unit.map.span(next.start, next.end),
                    codes,
                });
            }
        }
    }
}

/// Analyse one file with the given state (fresh, or carried over with
/// --append) as a whole script: the end-of-script checks ([`finish_script`])
/// run after its last statement.
pub fn analyze_file(file: &SourceFile, cfg: &Config, state: &mut State) -> Vec<Finding> {
    analyze_file_with(file, cfg, state, true)
}

/// Analyse one file; `end_of_script` says whether it ends the script (false
/// for a file that more files of the same script follow, such as the base
/// script of an extension's install chain before its update scripts).
pub fn analyze_file_with(
    file: &SourceFile,
    cfg: &Config,
    state: &mut State,
    end_of_script: bool,
) -> Vec<Finding> {
    on_analysis_stack(|| analyze_file_inner(file, cfg, state, end_of_script))
}

/// Stack of the thread a file is analysed on. Parse trees are decoded and
/// walked recursively, up to [`crate::parse::MAX_TREE_DEPTH`] levels, and
/// an unoptimised build needs tens of kilobytes per level; only the pages
/// used are ever committed.
pub const ANALYSIS_STACK: usize = 256 << 20;

thread_local! {
    /// Whether this thread was started with [`ANALYSIS_STACK`] and declared
    /// it ([`analysis_thread_started`]).
    static ON_ANALYSIS_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Declare that the calling thread, just started, has [`ANALYSIS_STACK`]:
/// files are then analysed on it directly. The driver's workers call it
/// first thing, so a file costs no thread of its own (its stack pages, its
/// allocator heap); the parse cache is emptied at each file's start, as a
/// file's own thread did.
pub fn analysis_thread_started() {
    crate::parse::stack_starts_here(ANALYSIS_STACK - (1 << 20));
    ON_ANALYSIS_STACK.with(|s| s.set(true));
}

/// Run `f` on a thread with [`ANALYSIS_STACK`]: this one if it is such a
/// thread, else one of its own (or this one if none can be started); its
/// panic goes on in the caller, which isolates panics per file.
fn on_analysis_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if ON_ANALYSIS_STACK.with(|s| s.get()) {
        crate::parse::forget_shared();
        return f();
    }
    let cell = std::sync::Mutex::new(Some(f));
    let run = || {
        let f = cell.lock().unwrap_or_else(|e| e.into_inner()).take();
        f.map(|f| f())
    };
    let run_here = || {
        crate::parse::stack_starts_here(ANALYSIS_STACK - (1 << 20));
        run()
    };
    let out = std::thread::scope(|s| {
        let spawned = std::thread::Builder::new()
            .name("extguard-analysis".into())
            .stack_size(ANALYSIS_STACK)
            .spawn_scoped(s, run_here);
        match spawned {
            Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Err(_) => None,
        }
    });
    match out {
        Some(r) => r,
        None => {
            // this thread's stack is of unknown size: assume a small one
            crate::parse::stack_starts_here(2 << 20);
            run().expect("the analysis ran on no thread")
        }
    }
}

fn analyze_file_inner(
    file: &SourceFile,
    cfg: &Config,
    state: &mut State,
    end_of_script: bool,
) -> Vec<Finding> {
    crate::test_hook::panic_if_requested(&file.path);
    let mut cx = Cx::new(file, cfg);
    if let Some(at) = file.invalid_utf8_at {
        let span = Span::new(at, at + 1);
        cx.report(
            &rules::EG002,
            Severity::Warning,
            span,
            "the file is not valid UTF-8; invalid bytes were replaced before analysis".into(),
            None,
        );
    }
    rules::diagnostics::check_version_syntax(&mut cx);
    for (comment, codes) in &file.directives {
        if let Some(next) = file.statements.iter().find(|s| s.start >= comment.end) {
            cx.suppressions.push(Suppression {
                comment: Span::new(comment.start, comment.end),
                covers: Span::new(next.start, next.end),
                codes: codes.clone(),
            });
        }
    }
    for r in &file.statements {
        let unit = Unit {
            text: file.prepared(r.start, r.end),
            tokens: OnceCell::new(),
            map: OffsetMap::Shift(r.start),
        };
        analyze_statement(&mut cx, state, &unit);
    }
    if end_of_script {
        finish_script(&mut cx, state);
    }
    cx.finish()
}

/// Checks that need the whole script: run once after its last statement
/// (the end of a file, or of an extension's install chain). Findings kept in
/// the state carry their own file and position, so they may belong to an
/// earlier file of the chain than `cx`'s.
pub fn finish_script(cx: &mut Cx, state: &mut State) {
    let end = Unit::slice("", 0, 0);
    rules::eg117_security_definer_executable_by_public::finish(&mut RuleCx::new(cx, state, &end));
}

/// How statements of a unit affect each other's search_path.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sequencing {
    /// Each statement runs after the previous one finished (scripts, DO and PL/pgSQL).
    Script,
    /// All statements are parsed and resolved before any runs (SQL function
    /// bodies): a SET inside cannot protect the statements after it.
    ResolvedUpFront,
}

/// Split a unit (a body or a dynamic SQL string) into statements and analyse each.
pub fn analyze_statements(cx: &mut Cx, state: &mut State, unit: &Unit, seq: Sequencing) {
    let stmts = lexer::split(&unit.text, unit.tokens().iter().copied());
    cx.collect_suppressions(unit, &stmts);
    let initial = (seq == Sequencing::ResolvedUpFront).then(|| state.clone());
    for r in &stmts {
        let text = &unit.text[r.start..r.end];
        let sub = Unit {
            text: Cow::Borrowed(text),
            tokens: OnceCell::new(),
            map: unit.map.shifted(r.start),
        };
        if let Some(init) = &initial {
            // keep what the statement created, forget its search_path changes
            let mut st = init.clone();
            st.created_schemas = state.created_schemas.clone();
            st.created_functions = state.created_functions.clone();
            st.created_aggregates = state.created_aggregates.clone();
            analyze_statement(cx, &mut st, &sub);
            state.created_schemas = st.created_schemas;
            state.created_functions = st.created_functions;
            state.created_aggregates = st.created_aggregates;
        } else {
            analyze_statement(cx, state, &sub);
        }
    }
}

/// Parse and check one statement's text.
///
/// Returns the parse tree, for callers that look at the statement further
/// (so it is not parsed twice), or `None` when it did not parse (EG001).
pub fn analyze_statement(
    cx: &mut Cx,
    state: &mut State,
    unit: &Unit,
) -> Option<std::rc::Rc<pg_query::protobuf::ParseResult>> {
    // the rows of a data INSERT after the first cannot matter (see there)
    let blanked = crate::parse::blank_constant_rows(&unit.text);
    match crate::parse::parse_shared(blanked.as_deref().unwrap_or(&unit.text)) {
        Ok(tree) => {
            for raw in &tree.stmts {
                if let Some(stmt) = &raw.stmt {
                    let mut ck = checker::Checker::new(cx, state, unit);
                    crate::parse::walk::walk_node(&mut ck, stmt);
                }
            }
            Some(tree)
        }
        Err(e) if e.too_deep => {
            let span = unit.span((0, unit.text.len()));
            cx.report(&rules::EG006, Severity::Info, span, e.message, None);
            None
        }
        Err(e) => {
            let at = e.offset.unwrap_or(0).min(unit.text.len());
            let range = if e.offset.is_some() {
                unit.token_range(at)
            } else {
                (0, unit.text.len())
            };
            let span = unit.span(range);
            cx.report(&rules::EG001, Severity::Error, span, e.message, None);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFINER: &str = "SET search_path = pg_catalog, pg_temp;\n\
        CREATE FUNCTION s.f() RETURNS int LANGUAGE sql SECURITY DEFINER\n\
        SET search_path = pg_catalog, pg_temp AS 'SELECT 1';\n";

    fn eg117(findings: &[Finding]) -> Vec<(String, usize)> {
        findings
            .iter()
            .filter(|f| f.code == "EG117")
            .map(|f| (f.path.clone(), f.line))
            .collect()
    }

    /// An install chain: the base script's definer is only judged at the
    /// end of the last script, and reported where it was created.
    #[test]
    fn end_of_script_checks_span_an_install_chain() {
        let cfg = Config::default();
        let base = SourceFile::new("ext--1.0.sql", DEFINER.as_bytes());
        let revoke = SourceFile::new(
            "ext--1.0--1.1.sql",
            b"REVOKE ALL ON FUNCTION s.f() FROM PUBLIC;\n",
        );
        let other = SourceFile::new("ext--1.0--1.1.sql", b"SELECT 1;\n");

        let mut state = State::default();
        assert!(eg117(&analyze_file_with(&base, &cfg, &mut state, false)).is_empty());
        assert!(eg117(&analyze_file_with(&revoke, &cfg, &mut state, true)).is_empty());

        let mut state = State::default();
        assert!(eg117(&analyze_file_with(&base, &cfg, &mut state, false)).is_empty());
        assert_eq!(
            eg117(&analyze_file_with(&other, &cfg, &mut state, true)),
            vec![("ext--1.0.sql".to_string(), 2)]
        );

        // a lone file is a whole script; with state carried over (--append)
        // a definer is judged once
        let mut state = State::default();
        assert_eq!(eg117(&analyze_file(&base, &cfg, &mut state)).len(), 1);
        assert!(eg117(&analyze_file(&other, &cfg, &mut state)).is_empty());
    }
}
