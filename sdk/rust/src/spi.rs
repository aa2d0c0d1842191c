//! Read-only queries as the calling role: the `extguard.spi_query` import
//! (ABI.md, "SPI"). Importing it is how a module declares that it queries;
//! a module that never calls [`query`] has no import.

use crate::json::Json;
use crate::result::Elems;
use crate::unpack;

#[link(wasm_import_module = "extguard")]
extern "C" {
    #[link_name = "spi_query"]
    fn spi_query_raw(sql_ptr: i32, sql_len: i32, params_ptr: i32, params_len: i32) -> i64;
}

/// A failed query: its SQLSTATE and message. The caller's transaction
/// goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Five characters, `42501` for a missing privilege.
    pub sqlstate: String,
    /// PostgreSQL's message.
    pub message: String,
}

/// Runs `sql` with text parameters (`$1`, `$2`, ...: cast them in the
/// query, `$1::int`) and returns its rows: a JSON array of objects,
/// column name to the value's text output (or null).
pub fn query(sql: &str, params: &[&str]) -> Result<Vec<Json>, Error> {
    let encoded: Elems = params.iter().collect();
    let p = encoded.as_bytes();
    // SAFETY: the host reads the two ranges (inside our memory) and
    // writes its answer through our `alloc`.
    let packed = unsafe {
        spi_query_raw(
            sql.as_ptr() as usize as i32,
            sql.len() as i32,
            p.as_ptr() as usize as i32,
            p.len() as i32,
        )
    };
    let failed = packed < 0;
    let (ptr, len) = unpack(packed & i64::MAX);
    // SAFETY: the host placed `len` bytes of UTF-8 at `ptr`.
    let text = unsafe { crate::args::text(ptr as i32, len as i32) };
    if failed {
        let (state, message) = text.split_once(": ").unwrap_or(("XX000", text));
        return Err(Error {
            sqlstate: state.to_string(),
            message: message.to_string(),
        });
    }
    match Json::parse(text) {
        Ok(Json::Array(rows)) => Ok(rows),
        _ => Err(Error {
            sqlstate: "XX000".into(),
            message: "spi_query returned something other than rows".into(),
        }),
    }
}
