//! SPI: `count_like(text) RETURNS bigint` counts the tables the caller
//! can see whose name matches a LIKE pattern (a query with a parameter);
//! `-1` when the query fails.

use extguard_guest::{args, spi, start_call};

#[no_mangle]
pub extern "C" fn count_like(ptr: i32, len: i32) -> i64 {
    // A bigint result: the host does not reset memory for this call.
    start_call();
    // SAFETY: the text argument.
    let pattern = unsafe { args::text(ptr, len) };
    let rows = spi::query(
        "SELECT count(*) AS n FROM pg_class WHERE relkind = 'r' AND relname LIKE $1 \
         AND has_table_privilege(oid, 'SELECT')",
        &[pattern],
    );
    match rows {
        Ok(rows) => rows
            .first()
            .and_then(|r| r.get("n"))
            .and_then(|n| n.as_str())
            .and_then(|n| n.parse().ok())
            .unwrap_or(-1),
        Err(_) => -1,
    }
}
