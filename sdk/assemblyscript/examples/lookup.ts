// columns_of(text) RETURNS jsonb: the columns of a table the caller can
// see, from an SPI query with a parameter, as JSON rows; the error text as
// a JSON string when the query fails.
import { Result, jsonString, spiQuery, spiExec, text, textArg } from "../assembly/index";
export { alloc, reset, extguard_abi_4 } from "../assembly/index";

const SQL =
  "SELECT attname AS name, format_type(atttypid, atttypmod) AS type " +
  "FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 " +
  "AND NOT attisdropped ORDER BY attnum";

export function columns_of(ptr: usize, len: i32): Result {
  const r = spiQuery(SQL, [textArg(ptr, len)]);
  return text(r.ok ? r.text : jsonString(r.text));
}

// count_like(text) RETURNS bigint: how many tables whose name is LIKE the
// argument the caller may read, through typed SPI (spi_exec: the parameter
// is a JSON array, the count comes back as a JSON number); -1 on failure.
export function count_like(ptr: usize, len: i32): i64 {
  const r = spiExec(
    "SELECT count(*) AS n FROM pg_catalog.pg_class WHERE relkind = 'r' " +
      "AND relname LIKE $1 AND has_table_privilege(oid, 'SELECT')",
    "[" + jsonString(textArg(ptr, len)) + "]",
  );
  if (!r.ok) return -1;
  // [{"n": 3}]
  const at = r.text.indexOf(":");
  return I64.parseInt(r.text.substring(at + 1, r.text.indexOf("}")).trim());
}
