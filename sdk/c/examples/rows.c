/* Functions returning rows (JSON objects, ABI version 3):
 *   minmax(int[], OUT lo int, OUT hi int)        one row; NULLs for {}
 *   pairs(text) RETURNS TABLE (k text, v text)   "a=1;b=2" as rows */
#include "../extguard.h"

EG_EXPORT("minmax") eg_result minmax(const int32_t *v, uint32_t len) {
    uint32_t n = len / 4;
    eg_buf out = {0};
    if (n == 0) {
        if (!eg_buf_put_str(&out, "{\"lo\":null,\"hi\":null}"))
            EG_FAIL();
        return eg_buf_result(&out);
    }
    int32_t lo = v[0], hi = v[0];
    for (uint32_t i = 1; i < n; i++) {
        if (v[i] < lo)
            lo = v[i];
        if (v[i] > hi)
            hi = v[i];
    }
    if (!eg_buf_put_str(&out, "{\"lo\":") || !eg_buf_put_int(&out, lo) ||
        !eg_buf_put_str(&out, ",\"hi\":") || !eg_buf_put_int(&out, hi) ||
        !eg_buf_put(&out, "}", 1))
        EG_FAIL();
    return eg_buf_result(&out);
}

/* One row per "key=value" item: a set of rows is the flat encoding of
 * JSON objects (eg_buf_put_elem of each). */
EG_EXPORT("pairs") eg_result pairs(const char *s, uint32_t len) {
    eg_buf rows = {0};
    uint32_t start = 0;
    for (uint32_t i = 0; i <= len; i++) {
        if (i < len && s[i] != ';')
            continue;
        const char *item = s + start;
        uint32_t n = i - start, eq = 0;
        start = i + 1;
        while (eq < n && item[eq] != '=')
            eq++;
        eg_buf row = {0};
        if (!eg_buf_put_str(&row, "{\"k\":") || !eg_buf_put_json_string(&row, item, eq) ||
            !eg_buf_put_str(&row, ",\"v\":"))
            EG_FAIL();
        if (eq == n ? !eg_buf_put_str(&row, "null")
                    : !eg_buf_put_json_string(&row, item + eq + 1, n - eq - 1))
            EG_FAIL();
        if (!eg_buf_put(&row, "}", 1) || !eg_buf_put_elem(&rows, row.data, row.len))
            EG_FAIL();
    }
    return eg_buf_result(&rows);
}
