//! Turning what a user wrote (a wasm binary, WAT text, or base64 of a
//! binary) into a wasm binary, with size limits applied before any parsing
//! work, and a cheap pre-scan that rejects forbidden imports and oversized
//! declarations before Cranelift spends time compiling the module.

use std::borrow::Cow;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use wasmparser::{Parser, Payload, TypeRef};

use crate::error::SandboxError;

const WASM_MAGIC: &[u8] = b"\0asm";
const WASM_PAGE: u64 = 65536;

/// How many bytes of source text are accepted per byte of binary limit: WAT
/// is several times larger than the binary it describes.
const TEXT_FACTOR: usize = 4;

const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes `source` into a wasm binary. `max_binary` limits the binary; the
/// source text may be up to `TEXT_FACTOR` times larger.
pub(crate) fn decode(source: &[u8], max_binary: usize) -> Result<Cow<'_, [u8]>, SandboxError> {
    if source.starts_with(WASM_MAGIC) {
        check_size(source.len(), max_binary)?;
        return Ok(Cow::Borrowed(source));
    }
    let max_text = max_binary.saturating_mul(TEXT_FACTOR);
    if source.len() > max_text {
        return Err(SandboxError::ModuleTooLarge {
            size: source.len(),
            limit: max_text,
        });
    }
    let text = std::str::from_utf8(source).map_err(|_| {
        SandboxError::BadEncoding(
            "neither a wasm binary (no \\0asm header) nor UTF-8 text (WAT or base64)".into(),
        )
    })?;
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(SandboxError::BadEncoding("empty module source".into()));
    }
    if trimmed.starts_with('(') || trimmed.starts_with(";;") || trimmed.starts_with("(;") {
        let binary = wat::parse_str(text).map_err(|e| SandboxError::InvalidWat(e.to_string()))?;
        check_size(binary.len(), max_binary)?;
        return Ok(Cow::Owned(binary));
    }
    let compact: Vec<u8> = source
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let binary = BASE64.decode(&compact).map_err(|e| {
        SandboxError::BadEncoding(format!(
            "not WAT text (which starts with '('), not a wasm binary, and not valid base64 ({e})"
        ))
    })?;
    if !binary.starts_with(WASM_MAGIC) {
        return Err(SandboxError::BadEncoding(format!(
            "base64 decoded to {} bytes that are not a wasm module (no \\0asm header)",
            binary.len()
        )));
    }
    check_size(binary.len(), max_binary)?;
    Ok(Cow::Owned(binary))
}

fn check_size(size: usize, limit: usize) -> Result<(), SandboxError> {
    if size > limit {
        Err(SandboxError::ModuleTooLarge { size, limit })
    } else {
        Ok(())
    }
}

/// Static limits checked by [`prescan`].
pub(crate) struct StaticLimits<'a> {
    pub max_memory_bytes: u64,
    pub max_table_elements: u64,
    pub max_tables: usize,
    pub compile: &'a CompileLimits,
    /// Function imports that are offered: (module, name).
    pub host_imports: &'a [(&'a str, &'a str)],
}

/// Caps on the shape of a module, checked in one linear pass before
/// compiling, so that Cranelift's work (which grows faster than linearly
/// in nesting depth and live locals) stays bounded whatever the module.
/// Each is far above what compilers emit for ordinary code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompileLimits {
    /// Functions defined by the module.
    pub max_functions: u32,
    /// Bytes of one function body (locals and code).
    pub max_function_bytes: u32,
    /// Declared locals of one function.
    pub max_locals: u32,
    /// Nesting of `block` / `loop` / `if` / `try_table` in one function.
    pub max_nesting: u32,
    /// Globals.
    pub max_globals: u32,
    /// Type definitions.
    pub max_types: u32,
    /// Data plus element segments.
    pub max_segments: u32,
    /// Exports.
    pub max_exports: u32,
    /// Control-flow work: the sum over functions of w * (w + 320), where w
    /// is loops + other blocks / 8. Cranelift's time grows with the square of a
    /// function's loop count (4,000 loops: ~1.6 s; 10,000: ~12 s) and, far
    /// more slowly, of its block count; this bounds the whole module.
    pub max_control_work: u64,
}

impl Default for CompileLimits {
    fn default() -> Self {
        CompileLimits {
            max_functions: 10_000,
            max_function_bytes: 256 << 10,
            max_locals: 10_000,
            max_nesting: 256,
            max_globals: 10_000,
            max_types: 10_000,
            max_segments: 10_000,
            max_exports: 10_000,
            max_control_work: 16_000_000,
        }
    }
}

/// The linear part of the control-flow work per weighted loop: a loop
/// costs Cranelift about 36 µs even in small functions, so 50,000 of them
/// spread over many functions are as much work as 4,000 in one.
const LINEAR_WORK: u64 = 320;

fn over(what: &str, count: u64, limit: u32) -> Result<(), SandboxError> {
    if count > limit as u64 {
        Err(SandboxError::ModuleLimitExceeded(format!(
            "{what}: {count}, the limit is {limit}"
        )))
    } else {
        Ok(())
    }
}

/// Checks one function body against the caps: its size, its locals and
/// how deeply its blocks nest. Linear in the body's size.
fn check_body(
    index: u32,
    body: &wasmparser::FunctionBody<'_>,
    limits: &CompileLimits,
) -> Result<u64, SandboxError> {
    let malformed = |e: wasmparser::BinaryReaderError| SandboxError::Malformed(e.to_string());
    let size = body.range().len() as u64;
    over(
        &format!("bytes in function {index}"),
        size,
        limits.max_function_bytes,
    )?;
    let mut locals = 0u64;
    for local in body.get_locals_reader().map_err(malformed)? {
        let (count, _) = local.map_err(malformed)?;
        locals += count as u64;
        over(
            &format!("locals in function {index}"),
            locals,
            limits.max_locals,
        )?;
    }
    let mut depth = 0u64;
    let (mut loops, mut blocks) = (0u64, 0u64);
    let mut ops = body.get_operators_reader().map_err(malformed)?;
    while !ops.eof() {
        use wasmparser::Operator::*;
        let op = ops.read().map_err(malformed)?;
        match op {
            Loop { .. } => loops += 1,
            Block { .. } | If { .. } | TryTable { .. } | Try { .. } => blocks += 1,
            _ => {}
        }
        match op {
            Block { .. } | Loop { .. } | If { .. } | TryTable { .. } | Try { .. } => {
                depth += 1;
                over(
                    &format!("nested blocks in function {index}"),
                    depth,
                    limits.max_nesting,
                )?;
            }
            End => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let weight = loops + blocks / 8;
    Ok(weight.saturating_mul(weight + LINEAR_WORK))
}

/// Walks the module's sections without compiling it: rejects any import
/// but the offered host functions, memory64, shared or multiple memories, and
/// memories or tables whose declared minimum is already past the limits.
pub(crate) fn prescan(binary: &[u8], limits: &StaticLimits) -> Result<(), SandboxError> {
    let malformed = |e: wasmparser::BinaryReaderError| SandboxError::Malformed(e.to_string());
    let mut memories = 0usize;
    let mut tables = 0usize;
    let mut segments = 0u64;
    let mut function_index = 0u32;
    let mut control_work = 0u64;
    let caps = limits.compile;
    for payload in Parser::new(0).parse_all(binary) {
        match payload.map_err(malformed)? {
            Payload::Version { encoding, .. } if encoding != wasmparser::Encoding::Module => {
                return Err(SandboxError::Unsupported(
                    "components are not supported, only core modules".into(),
                ));
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(malformed)?;
                    if matches!(import.ty, TypeRef::Func(_))
                        && limits
                            .host_imports
                            .iter()
                            .any(|(m, n)| *m == import.module && *n == import.name)
                    {
                        continue;
                    }
                    let kind = match import.ty {
                        TypeRef::Func(_) | TypeRef::FuncExact(_) => "function",
                        TypeRef::Table(_) => "table",
                        TypeRef::Memory(_) => "memory",
                        TypeRef::Global(_) => "global",
                        TypeRef::Tag(_) => "tag",
                    };
                    return Err(SandboxError::ForbiddenImport {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        kind,
                    });
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory.map_err(malformed)?;
                    memories += 1;
                    if memory.memory64 {
                        return Err(SandboxError::Unsupported("64-bit memories".into()));
                    }
                    if memory.shared {
                        return Err(SandboxError::Unsupported("shared memories".into()));
                    }
                    if memories > 1 {
                        return Err(SandboxError::Unsupported("more than one memory".into()));
                    }
                    let page = memory
                        .page_size_log2
                        .map(|l| 1u64 << l.min(63))
                        .unwrap_or(WASM_PAGE);
                    let requested = memory.initial.saturating_mul(page);
                    if requested > limits.max_memory_bytes {
                        return Err(SandboxError::MemoryLimitExceeded {
                            requested,
                            limit: limits.max_memory_bytes,
                        });
                    }
                }
            }
            Payload::TypeSection(reader) => over("types", reader.count() as u64, caps.max_types)?,
            Payload::FunctionSection(reader) => {
                over("functions", reader.count() as u64, caps.max_functions)?
            }
            Payload::GlobalSection(reader) => {
                over("globals", reader.count() as u64, caps.max_globals)?
            }
            Payload::ExportSection(reader) => {
                over("exports", reader.count() as u64, caps.max_exports)?
            }
            Payload::DataSection(reader) => {
                segments += reader.count() as u64;
                over("data and element segments", segments, caps.max_segments)?;
            }
            Payload::ElementSection(reader) => {
                segments += reader.count() as u64;
                over("data and element segments", segments, caps.max_segments)?;
            }
            Payload::CodeSectionStart { count, .. } => {
                over("functions", count as u64, caps.max_functions)?
            }
            Payload::CodeSectionEntry(body) => {
                control_work =
                    control_work.saturating_add(check_body(function_index, &body, caps)?);
                if control_work > caps.max_control_work {
                    return Err(SandboxError::ModuleLimitExceeded(format!(
                        "control-flow work (loops and blocks, weighted) past the limit of {}",
                        caps.max_control_work
                    )));
                }
                function_index += 1;
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    let table = table.map_err(malformed)?;
                    tables += 1;
                    if tables > limits.max_tables {
                        return Err(SandboxError::ResourceCountExceeded(format!(
                            "more than {} tables",
                            limits.max_tables
                        )));
                    }
                    if table.ty.initial > limits.max_table_elements {
                        return Err(SandboxError::TableLimitExceeded {
                            requested: table.ty.initial,
                            limit: limits.max_table_elements,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}
