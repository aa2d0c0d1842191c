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
pub(crate) struct StaticLimits {
    pub max_memory_bytes: u64,
    pub max_table_elements: u64,
    pub max_tables: usize,
}

/// Walks the module's sections without compiling it: rejects any import
/// (the runtime offers none), memory64, shared or multiple memories, and
/// memories or tables whose declared minimum is already past the limits.
pub(crate) fn prescan(binary: &[u8], limits: &StaticLimits) -> Result<(), SandboxError> {
    let malformed = |e: wasmparser::BinaryReaderError| SandboxError::Malformed(e.to_string());
    let mut memories = 0usize;
    let mut tables = 0usize;
    for payload in Parser::new(0).parse_all(binary) {
        match payload.map_err(malformed)? {
            Payload::Version { encoding, .. } if encoding != wasmparser::Encoding::Module => {
                return Err(SandboxError::Unsupported(
                    "components are not supported, only core modules".into(),
                ));
            }
            Payload::ImportSection(reader) => {
                if let Some(import) = reader.into_imports().next() {
                    let import = import.map_err(malformed)?;
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
