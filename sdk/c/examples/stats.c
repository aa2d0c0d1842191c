/* Arrays: mean(double precision[]) RETURNS double precision (NaN for an
 * empty array), and top_n(integer[], integer) RETURNS integer[] (the n
 * largest, largest first). */
#include "../extguard.h"

EG_EXPORT("mean") double mean(const double *v, uint32_t len) {
    uint32_t n = len / 8;
    double sum = 0;
    for (uint32_t i = 0; i < n; i++)
        sum += v[i];
    return n ? sum / n : __builtin_nan("");
}

EG_EXPORT("top_n") eg_result top_n(const int32_t *v, uint32_t len, int32_t n) {
    uint32_t count = len / 4;
    if (n < 0)
        n = 0;
    if ((uint32_t)n > count)
        n = (int32_t)count;
    int32_t *out = eg_alloc((uint32_t)n * 4);
    if (!out && n)
        EG_FAIL();
    /* out[0..have) stays sorted, largest first */
    int32_t have = 0;
    for (uint32_t i = 0; i < count; i++) {
        int32_t x = v[i], j;
        if (have < n)
            j = have++;
        else if (n > 0 && x > out[n - 1])
            j = n - 1;
        else
            continue;
        while (j > 0 && out[j - 1] < x) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = x;
    }
    return eg_return(out, (uint32_t)have * 4);
}
