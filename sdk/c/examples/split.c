/* split(text, text) RETURNS SETOF text: the parts of the first argument
 * between occurrences of the one-byte separator in the second. */
#include "../extguard.h"

EG_EXPORT("split")
eg_result split(const char *s, uint32_t len, const char *sep, uint32_t sep_len) {
    eg_buf rows = {0};
    char c = sep_len ? sep[0] : ',';
    uint32_t start = 0;
    for (uint32_t i = 0; i <= len; i++) {
        if (i == len || s[i] == c) {
            if (!eg_buf_put_elem(&rows, s + start, i - start))
                EG_FAIL();
            start = i + 1;
        }
    }
    return eg_buf_result(&rows);
}
