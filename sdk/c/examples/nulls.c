/* NULL array elements (ABI version 4):
 *   fill_nulls(int[], int) RETURNS int[]     NULL elements replaced
 *   nullify(text[], text) RETURNS text[]     elements equal to the second
 *                                            argument become NULL */
#define EG_ABI_VERSION 4
#include "../extguard.h"

EG_EXPORT("fill_nulls")
eg_result fill_nulls(const unsigned char *p, uint32_t len, int32_t fill) {
    if (!EG_HAS_NULLS(len))
        return eg_return(p, len); /* plain form: no NULLs, nothing to do */
    eg_buf out = {0};
    eg_elems e = eg_elems_of(p, len);
    const char *item;
    uint32_t n;
    while (eg_elems_next(&e, &item, &n)) {
        int32_t v = fill;
        if (item)
            memcpy(&v, item, 4);
        if (!eg_buf_put(&out, &v, 4))
            EG_FAIL();
    }
    return eg_buf_result(&out); /* plain form */
}

EG_EXPORT("nullify")
eg_result nullify(const char *p, uint32_t len, const char *x, uint32_t xn) {
    eg_buf out = {0};
    eg_elems e = eg_elems_of(p, len);
    const char *item;
    uint32_t n;
    while (eg_elems_next(&e, &item, &n)) {
        int same = item && n == xn;
        for (uint32_t i = 0; same && i < n; i++)
            same = item[i] == x[i];
        if (!item || same) {
            if (!eg_buf_put_null_elem(&out))
                EG_FAIL();
        } else if (!eg_buf_put_elem(&out, item, n)) {
            EG_FAIL();
        }
    }
    return eg_buf_result_nullable(&out);
}
