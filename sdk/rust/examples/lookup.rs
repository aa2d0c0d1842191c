//! SPI:
//! * `count_like(text) RETURNS bigint` counts the tables the caller can
//!   see whose name matches a LIKE pattern (a query with a parameter);
//!   `-1` when the query fails; `count_rs() RETURNS bigint` the same for
//!   `rs\_%` (numbers only: it calls `start_call`);
//! * `typed(int) RETURNS jsonb`: typed parameters and values (spi_exec),
//!   the rows as they come back;
//! * `try_sql(text) RETURNS text`: runs a statement, returns the error
//!   (`SQLSTATE: message`) or `ok`.

use extguard_guest::{args, result, spi, start_call, Json};

/// Tables matching `pattern` that the caller may read, or -1.
fn count(pattern: &str) -> i64 {
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

#[no_mangle]
pub extern "C" fn count_like(ptr: i32, len: i32) -> i64 {
    // SAFETY: the text argument (the host reset memory before placing it).
    count(unsafe { args::text(ptr, len) })
}

/// `count_rs() RETURNS bigint`: numbers only, so the host does not reset
/// memory for this call: `start_call` does, before anything is allocated.
#[no_mangle]
pub extern "C" fn count_rs() -> i64 {
    start_call();
    count("rs\\_%")
}

#[no_mangle]
pub extern "C" fn typed(n: i32) -> i64 {
    let rows = spi::exec(
        "SELECT $1 + 1 AS n, $2 AS s, $3 AS b, $4 AS j, $5::int AS z, $6 * 2 AS x, \
         1.5::float8 AS f, 'NaN'::numeric AS nan, now() IS NOT NULL AS t",
        &[
            Json::from(n),
            Json::from("s\u{e9}"),
            Json::from(true),
            Json::parse(r#"{"k": [1, null]}"#).unwrap_or(Json::Null),
            Json::Null,
            Json::Number("0.25".into()),
        ],
    );
    match rows {
        Ok(rows) => result::text(Json::Array(rows).to_string()),
        Err(e) => result::text(Json::from(format!("{}: {}", e.sqlstate, e.message)).to_string()),
    }
}

#[no_mangle]
pub extern "C" fn try_sql(ptr: i32, len: i32) -> i64 {
    // SAFETY: the text argument.
    let sql = unsafe { args::text(ptr, len) };
    match spi::exec(sql, &[]) {
        Ok(_) => result::text("ok"),
        Err(e) => result::text(format!("{}: {}", e.sqlstate, e.message)),
    }
}
