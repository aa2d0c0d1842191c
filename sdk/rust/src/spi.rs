//! Read-only queries as the calling role: the `extguard.spi_query` and
//! `extguard.spi_exec` imports (ABI.md, "SPI", "Typed SPI"). Importing
//! them is how a module declares that it queries; a module that never
//! calls [`query`] or [`exec`] has no import.

use crate::json::Json;
use crate::result::Elems;
use crate::unpack;

#[link(wasm_import_module = "extguard")]
extern "C" {
    #[link_name = "spi_query"]
    fn spi_query_raw(sql_ptr: i32, sql_len: i32, params_ptr: i32, params_len: i32) -> i64;
    #[link_name = "spi_exec"]
    fn spi_exec_raw(sql_ptr: i32, sql_len: i32, params_ptr: i32, params_len: i32) -> i64;
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
    call(spi_query_raw, sql, encoded.as_bytes())
}

/// Runs `sql` with typed parameters: a JSON integer is a `bigint`, another
/// number a `numeric`, a string `text`, a boolean `boolean`, an array or
/// object `jsonb`, null a NULL. The rows' values keep their types:
/// integers, finite floats and numerics are JSON numbers (as written by
/// PostgreSQL), booleans `true` / `false`, json and jsonb nested JSON,
/// NULL `null`, anything else its text output as a string.
pub fn exec(sql: &str, params: &[Json]) -> Result<Vec<Json>, Error> {
    let encoded = Json::Array(params.to_vec()).to_string();
    call(spi_exec_raw, sql, encoded.as_bytes())
}

/// Calls a host query import with the query and the encoded parameters.
fn call(
    import: unsafe extern "C" fn(i32, i32, i32, i32) -> i64,
    sql: &str,
    params: &[u8],
) -> Result<Vec<Json>, Error> {
    // SAFETY: the host reads the two ranges (inside our memory) and
    // writes its answer through our `alloc`.
    let packed = unsafe {
        import(
            sql.as_ptr() as usize as i32,
            sql.len() as i32,
            params.as_ptr() as usize as i32,
            params.len() as i32,
        )
    };
    rows(packed)
}

/// The rows (or the error) of a packed host answer.
fn rows(packed: i64) -> Result<Vec<Json>, Error> {
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
            message: "the host returned something other than rows".into(),
        }),
    }
}
