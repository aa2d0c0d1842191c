/* checked_div(label text, a int, b int) RETURNS int: messages and errors
 * (extguard.raise). A NOTICE names the division, a WARNING says when it
 * rounds; dividing by zero is an ERROR with SQLSTATE 22012, a negative
 * divisor one with P0001 (PL/pgSQL's RAISE EXCEPTION). The text argument
 * also makes the host call `reset` before each call, so the message
 * buffers do not pile up. */
#include "../extguard.h"

EG_EXPORT("checked_div") int32_t checked_div(const char *label, uint32_t label_len, int32_t a,
                                             int32_t b) {
    if (b == 0)
        eg_error_code("22012", "checked_div: division by zero", 29);
    if (b < 0)
        eg_error("checked_div: the divisor must be positive");
    eg_buf msg = {0};
    if (!(eg_buf_put(&msg, label, label_len) && eg_buf_put_str(&msg, ": ") &&
          eg_buf_put_int(&msg, a) && eg_buf_put_str(&msg, " / ") && eg_buf_put_int(&msg, b)))
        EG_FAIL();
    eg_raise(EG_NOTICE, (const char *)msg.data, msg.len);
    if (a % b != 0)
        eg_warning("checked_div: the result is rounded toward zero");
    return a / b;
}
