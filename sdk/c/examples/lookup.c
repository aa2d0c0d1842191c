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
    /* quote the error text as a JSON string */
    const char *msg = (const char *)(uintptr_t)(rows >> 32);
    uint32_t n = (uint32_t)rows;
    eg_buf out = {0};
    eg_buf_put(&out, "\"", 1);
    for (uint32_t i = 0; i < n; i++) {
        char c = msg[i];
        if (c == '"' || c == '\\')
            eg_buf_put(&out, "\\", 1);
        if ((unsigned char)c >= 0x20)
            eg_buf_put(&out, &c, 1);
    }
    if (!eg_buf_put(&out, "\"", 1))
        EG_FAIL();
    return eg_buf_result(&out);
}
