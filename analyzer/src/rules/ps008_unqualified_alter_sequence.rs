//! PS008: unqualified ALTER SEQUENCE (documented, never emitted).

declare_rule! {
    /// ## What it flags
    /// Nothing: pgspot documents this code but never emits it, and extguard
    /// keeps it reserved for compatibility. Unqualified sequence names in
    /// `ALTER SEQUENCE` are reported as PS017 like other relation references.
    ///
    /// ## Why it would matter
    /// An unqualified sequence name is resolved through the search_path.
    ///
    /// ## Example
    /// ```sql
    /// ALTER SEQUENCE sq OWNED BY s.t.id;
    /// ```
    ///
    /// ## Fix
    /// Qualify the sequence: `ALTER SEQUENCE s.sq ...`.
    pub static RULE = { code: "PS008", name: "unqualified-alter-sequence", title: "Unqualified alter sequence", severity: Warning };
}
