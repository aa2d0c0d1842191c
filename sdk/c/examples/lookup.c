/* columns_of(text) RETURNS jsonb: the columns of a table the caller can
 * see, from an SPI query with a parameter, as JSON rows; the error text
 * as a JSON string when the query fails. */
#include "../extguard.h"

static const char SQL[] = "SELECT attname AS name, format_type(atttypid, atttypmod) AS type "
                          "FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 "
                          "AND NOT attisdropped ORDER BY attnum";

EG_EXPORT("columns_of") eg_result columns_of(const char *table, uint32_t len) {
    eg_buf params = {0};
    if (!eg_buf_put_elem(&params, table, len))
        EG_FAIL();
    int failed;
    eg_result rows = eg_spi_query(SQL, sizeof SQL - 1, &params, &failed);
    if (!failed)
        return rows;
    /* the error text as a JSON string */
    eg_buf out = {0};
    if (!eg_buf_put_json_string(&out, (const char *)(uintptr_t)(rows >> 32), (uint32_t)rows))
        EG_FAIL();
    return eg_buf_result(&out);
}
