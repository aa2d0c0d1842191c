//! EG140–EG142: WebAssembly modules (`.wasm`, `.wat`) checked by `extguard check`.

declare_rule! {
    /// ## What it flags
    /// An import of a WebAssembly module (a function, memory, table, global
    /// or tag it asks the host for), other than the functions
    /// `extguard.spi_query` and `extguard.spi_exec` (read-only SPI as the
    /// calling role) and `extguard.raise` (messages and errors), which
    /// `LANGUAGE wasm` offers; EG142 lists them.
    ///
    /// ## Why it is dangerous
    /// Imports are a module's capabilities. extguard's sandbox is
    /// deny-by-default and offers nothing else (no WASI, no other host
    /// functions), so a module that imports anything else asks for access
    /// it will not get — or expects a runtime that would give it files,
    /// network or processes.
    ///
    /// ## Example
    /// ```wat
    /// (module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))))
    /// ```
    ///
    /// ## Fix
    /// Remove the import; compute inside the module and exchange data only
    /// through the documented ABI (arguments, results, linear memory).
    pub static EG140 = { code: "EG140", name: "wasm-forbidden-import", title: "Forbidden Wasm import", severity: Error };
}

declare_rule! {
    /// ## What it flags
    /// A `.wasm` file that is not a valid WebAssembly module, or a `.wat`
    /// file that is not valid WebAssembly text.
    ///
    /// ## Why it matters
    /// The sandbox rejects it at CREATE FUNCTION; nothing in it can be checked.
    ///
    /// ## Example
    /// A truncated binary, or `(module (func (result i32)))` (type mismatch).
    ///
    /// ## Fix
    /// Rebuild the module.
    pub static EG141 = { code: "EG141", name: "wasm-invalid-module", title: "Invalid Wasm module", severity: Error };
}

declare_rule! {
    /// ## What it flags
    /// Nothing wrong: a note listing a module's imports (its capabilities)
    /// and exports, so a reviewer sees what it asks for.
    ///
    /// ## Why it matters
    /// A module with no imports can only compute; every import widens that.
    ///
    /// ## Example
    /// `imports: none (no capabilities); exports: add, memory`
    ///
    /// ## Fix
    /// None needed. Hide notes with `--min-severity warning`.
    pub static EG142 = { code: "EG142", name: "wasm-module-summary", title: "Wasm module capabilities", severity: Info };
}
