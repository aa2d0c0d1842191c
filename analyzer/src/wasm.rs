//! Wasm modules (`.wasm` binaries, `.wat` text): their imports are their
//! capabilities. extguard's sandbox offers three host functions (the
//! read-only SPI imports `extguard.spi_query` and `extguard.spi_exec`, and
//! `extguard.raise` for NOTICE / WARNING / ERROR messages), so
//! every other import is a finding; a module that does not validate is one
//! too.

use wasmparser::{Parser, Payload, TypeRef, Validator, WasmFeatures};

/// The functions the sandbox offers in module `extguard` (sandbox/ABI.md,
/// "SPI", "Typed SPI", "Messages").
const OFFERED: &[&str] = &["spi_query", "spi_exec", "raise"];

use crate::finding::Finding;
use crate::rules::eg140_wasm::{EG140, EG141, EG142};
use crate::rules::Rule;
use crate::source::SourceFile;
use crate::span::Span;

/// Is this path a Wasm module extguard reads?
pub fn is_wasm_path(path: &std::path::Path) -> bool {
    path.extension().is_some_and(|e| e == "wasm" || e == "wat")
}

/// One import of a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub module: String,
    pub name: String,
    /// `func`, `memory`, `table`, `global` or `tag`.
    pub kind: &'static str,
    /// Byte offset of the import entry in the binary.
    pub offset: usize,
}

/// What a module imports and exports, or why it could not be read.
#[derive(Debug, Clone, Default)]
pub struct ModuleSummary {
    pub imports: Vec<Import>,
    pub exports: Vec<String>,
}

/// Read a binary module: validate it (features of the sandbox: MVP plus
/// common extensions, no threads or GC) and list imports and exports.
pub fn summarize(bytes: &[u8]) -> Result<ModuleSummary, (String, usize)> {
    let features = WasmFeatures::default()
        & !(WasmFeatures::THREADS | WasmFeatures::SHARED_EVERYTHING_THREADS);
    let mut validator = Validator::new_with_features(features);
    validator
        .validate_all(bytes)
        .map_err(|e| (e.message().to_string(), e.offset()))?;
    let mut s = ModuleSummary::default();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(|e| (e.message().to_string(), e.offset()))? {
            Payload::ImportSection(reader) => {
                for imp in reader.into_imports_with_offsets() {
                    let (offset, imp) = imp.map_err(|e| (e.message().to_string(), e.offset()))?;
                    let kind = match imp.ty {
                        TypeRef::Func(_) | TypeRef::FuncExact(_) => "func",
                        TypeRef::Memory(_) => "memory",
                        TypeRef::Table(_) => "table",
                        TypeRef::Global(_) => "global",
                        TypeRef::Tag(_) => "tag",
                    };
                    s.imports.push(Import {
                        module: imp.module.to_string(),
                        name: imp.name.to_string(),
                        kind,
                        offset,
                    });
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e.map_err(|e| (e.message().to_string(), e.offset()))?;
                    s.exports.push(e.name.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(s)
}

/// Analyse a `.wasm` or `.wat` file: EG141 if it is not a valid module,
/// EG140 for each import, and an EG142 note listing its exports.
pub fn analyze(file: &SourceFile, bytes: &[u8]) -> Vec<Finding> {
    let is_text = file.path.ends_with(".wat");
    let binary = if is_text {
        match wat::parse_bytes(bytes) {
            Ok(b) => b.into_owned(),
            Err(e) => {
                let text = e.to_string();
                let at = wat_error_offset(file, &text);
                let message = text.lines().next().unwrap_or("invalid text").to_string();
                return vec![finding(
                    file,
                    &EG141,
                    // Never past the end of the file (an error at the very end is empty).
                    Span::new(at, (at + 1).min(file.text.len())),
                    format!("not a valid WebAssembly text module: {message}"),
                    None,
                )];
            }
        }
    } else {
        bytes.to_vec()
    };
    let summary = match summarize(&binary) {
        Ok(s) => s,
        Err((msg, offset)) => {
            // Validation errors are byte offsets in the binary: name it in the message.
            return vec![finding(
                file,
                &EG141,
                Span::new(0, 0),
                format!("not a valid WebAssembly module: {msg} (at byte {offset})"),
                None,
            )];
        }
    };
    let mut out = Vec::new();
    for imp in &summary.imports {
        if imp.kind == "func" && imp.module == "extguard" && OFFERED.contains(&imp.name.as_str()) {
            continue;
        }
        let span = if is_text {
            import_span(&file.text, imp).unwrap_or(Span::new(0, 0))
        } else {
            Span::new(0, 0)
        };
        let at = if is_text {
            String::new()
        } else {
            format!(" (import entry at byte {})", imp.offset)
        };
        out.push(finding(
            file,
            &EG140,
            span,
            format!("imports {} \"{}\" \"{}\"{at}: the extguard sandbox offers no such import (only extguard.spi_query, extguard.spi_exec and extguard.raise), so this module cannot be instantiated and asks for a capability", imp.kind, imp.module, imp.name),
            Some(format!("{}.{}", imp.module, imp.name)),
        ));
    }
    let exports = if summary.exports.is_empty() {
        "none".to_string()
    } else {
        summary.exports.join(", ")
    };
    let imports = if summary.imports.is_empty() {
        "none (no capabilities)".to_string()
    } else {
        summary
            .imports
            .iter()
            .map(|i| format!("{}.{}", i.module, i.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    out.push(finding(
        file,
        &EG142,
        Span::new(0, 0),
        format!("imports: {imports}; exports: {exports}"),
        None,
    ));
    out.sort_by(|a, b| (a.span.start, a.code).cmp(&(b.span.start, b.code)));
    out
}

fn finding(
    file: &SourceFile,
    rule: &'static Rule,
    span: Span,
    message: String,
    object: Option<String>,
) -> Finding {
    Finding::at(file, rule, span, message, object)
}

/// Where a `(import "m" "n" ...)` is written in a .wat text.
fn import_span(text: &str, imp: &Import) -> Option<Span> {
    let needle = format!("\"{}\" \"{}\"", imp.module, imp.name);
    let at = text.find(&needle)?;
    let start = text[..at].rfind("(import").unwrap_or(at);
    Some(Span::new(start, at + needle.len()))
}

/// The offset of wat's `--> file:LINE:COL` position in the text.
fn wat_error_offset(file: &SourceFile, rendered: &str) -> usize {
    let pos = rendered
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("--> "))
        .and_then(|p| {
            let mut it = p.rsplitn(3, ':');
            let col: usize = it.next()?.trim().parse().ok()?;
            let line: usize = it.next()?.trim().parse().ok()?;
            Some((line, col))
        });
    match pos {
        Some((l, c)) => {
            file.text
                .split_inclusive('\n')
                .take(l.saturating_sub(1))
                .map(str::len)
                .sum::<usize>()
                + c.saturating_sub(1)
        }
        None => 0,
    }
    .min(file.text.len())
}
