/* Trigger functions (RETURNS trigger): each gets the event as JSON and
 * returns the row to use.
 *   keep_event   BEFORE ROW: stores the whole event in the row's "ev" column
 *   stamp        BEFORE ROW: sets "note" to its first trigger argument (or
 *                "wasm"), "n" to 42 and "gone" to NULL
 *   skip_row     BEFORE ROW: skips the row
 *   remember     any: keeps the event in the setting wasm.last_event
 *                (a read-only SPI query) and leaves the row unchanged */
#include "../extguard.h"

EG_EXPORT("keep_event") eg_result keep_event(const char *ev, uint32_t len) {
    eg_buf out = {0};
    if (!eg_buf_put_str(&out, "{\"ev\":") || !eg_buf_put(&out, ev, len) ||
        !eg_buf_put(&out, "}", 1))
        EG_FAIL();
    return eg_buf_result(&out);
}

/* The first element of the event's "args" (trigger arguments carry no
 * quotes or backslashes in this example), or "wasm". */
static void first_arg(const char *ev, uint32_t len, const char **p, uint32_t *n) {
    static const char key[] = "\"args\":[\"";
    const uint32_t klen = sizeof key - 1;
    *p = "wasm";
    *n = 4;
    for (uint32_t i = 0; i + klen <= len; i++) {
        uint32_t k = 0;
        while (k < klen && ev[i + k] == key[k])
            k++;
        if (k < klen)
            continue;
        uint32_t start = i + klen, end = start;
        while (end < len && ev[end] != '"')
            end++;
        *p = ev + start;
        *n = end - start;
        return;
    }
}

EG_EXPORT("stamp") eg_result stamp(const char *ev, uint32_t len) {
    const char *arg;
    uint32_t arg_len;
    first_arg(ev, len, &arg, &arg_len);
    eg_buf out = {0};
    if (!eg_buf_put_str(&out, "{\"note\":") || !eg_buf_put_json_string(&out, arg, arg_len) ||
        !eg_buf_put_str(&out, ",\"n\":") || !eg_buf_put_int(&out, 42) ||
        !eg_buf_put_str(&out, ",\"gone\":null}"))
        EG_FAIL();
    return eg_buf_result(&out);
}

EG_EXPORT("skip_row") eg_result skip_row(const char *ev, uint32_t len) {
    (void)ev;
    (void)len;
    return EG_NULL;
}

static const char REMEMBER[] = "SELECT set_config('wasm.last_event', $1, false)";

EG_EXPORT("remember") eg_result remember(const char *ev, uint32_t len) {
    eg_buf params = {0};
    if (!eg_buf_put_elem(&params, ev, len))
        EG_FAIL();
    int failed;
    eg_spi_query(REMEMBER, sizeof REMEMBER - 1, &params, &failed);
    if (failed)
        EG_FAIL();
    return EG_UNCHANGED;
}
