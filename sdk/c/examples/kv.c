/* kv_to_json(text) RETURNS jsonb: parses "a=1; b = two" into
 * {"a": "1", "b": "two"} (keys and values trimmed, quotes and backslashes
 * escaped); NULL for NULL input (non-strict, through the NULL mask). */
#include "../extguard.h"

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

static void trim(const char **p, uint32_t *n) {
    while (*n && is_space(**p)) {
        (*p)++;
        (*n)--;
    }
    while (*n && is_space((*p)[*n - 1]))
        (*n)--;
}

EG_EXPORT("kv_to_json")
eg_result kv_to_json(const char *p, uint32_t len, int64_t nulls) {
    if (EG_IS_NULL(nulls, 0))
        return EG_NULL;
    eg_buf out = {0};
    eg_buf_put(&out, "{", 1);
    int first = 1;
    uint32_t i = 0;
    while (i < len) {
        uint32_t start = i;
        while (i < len && p[i] != ';')
            i++;
        const char *item = p + start;
        uint32_t n = i - start, eq = 0;
        i++; /* skip ';' */
        while (eq < n && item[eq] != '=')
            eq++;
        if (eq == n)
            continue; /* no '=': skipped */
        const char *k = item, *v = item + eq + 1;
        uint32_t kn = eq, vn = n - eq - 1;
        trim(&k, &kn);
        trim(&v, &vn);
        if (!first)
            eg_buf_put(&out, ",", 1);
        first = 0;
        eg_buf_put_json_string(&out, k, kn);
        eg_buf_put(&out, ":", 1);
        if (!eg_buf_put_json_string(&out, v, vn))
            EG_FAIL();
    }
    if (!eg_buf_put(&out, "}", 1))
        EG_FAIL();
    return eg_buf_result(&out);
}
