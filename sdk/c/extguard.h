/*
 * extguard.h: guest SDK for LANGUAGE wasm (sandbox/ABI.md, version 3).
 *
 * One header, no libc: include it in exactly one .c file per module and
 * build with
 *
 *   clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -o m.wasm m.c
 *
 * It declares the ABI version, exports the bump allocator the host uses
 * (`alloc`, `reset`), and gives types and helpers for values that cross
 * through memory (text, bytea, jsonb, numeric, arrays, sets, NULL).
 * Export a SQL function with EG_EXPORT("name"); its C type follows the
 * ABI: text-like arguments are (const char *ptr, uint32_t len), results
 * of those types are eg_result (build them with eg_return / EG_NULL).
 * Rows (composite results, trigger functions) are JSON objects: build
 * them with eg_buf_put_json_string / eg_buf_put_int.
 */
#ifndef EXTGUARD_H
#define EXTGUARD_H

#include <stdint.h>
#include <stddef.h>

#define EG_EXPORT(name) __attribute__((export_name(name), used))

/* Declares the ABI version the module targets (an `extguard_abi_N` export). */
#define EXTGUARD_ABI_VERSION(n) \
    EG_EXPORT("extguard_abi_" #n) void extguard_abi_##n(void) {}

/* The version this module targets: 3 unless EG_ABI_VERSION is defined
 * (as 4, for NULL array elements) before including this header. */
#ifndef EG_ABI_VERSION
#define EG_ABI_VERSION 3
#endif
#define EG_ABI_DECLARE_(n) EXTGUARD_ABI_VERSION(n)
EG_ABI_DECLARE_(EG_ABI_VERSION)

/* A packed (ptr << 32 | len) result; EG_NULL is SQL NULL. */
typedef int64_t eg_result;
#define EG_NULL ((eg_result)-1)

/* Bit i of a NULL mask (the trailing int64_t of a non-strict function). */
#define EG_IS_NULL(mask, i) ((((uint64_t)(mask)) >> (i)) & 1u)

/* ---- memory: a bump allocator the host resets before each call ---- */

extern unsigned char __heap_base;
static uintptr_t eg_top;

/* 8-byte aligned memory that lives until the next call; grows memory as
 * needed. Returns 0 when memory cannot grow (the limit is reached). */
EG_EXPORT("alloc") void *eg_alloc(uint32_t len) {
    if (eg_top == 0)
        eg_top = (uintptr_t)&__heap_base;
    uintptr_t p = (eg_top + 7) & ~(uintptr_t)7;
    uintptr_t end = p + len;
    uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
    if (end > have) {
        uintptr_t pages = (end - have + 65535u) / 65536u;
        if (__builtin_wasm_memory_grow(0, pages) == (uintptr_t)-1)
            return 0;
    }
    eg_top = end;
    return (void *)p;
}

EG_EXPORT("reset") void eg_reset(void) { eg_top = (uintptr_t)&__heap_base; }

/* The compiler may emit calls to these for loops and struct copies. */
void *memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}
void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

/* ---- results ---- */

static inline eg_result eg_return(const void *ptr, uint32_t len) {
    return (eg_result)(((uint64_t)(uintptr_t)ptr << 32) | len);
}

/* A growable output buffer (results, array and set encodings). */
typedef struct {
    unsigned char *data;
    uint32_t len, cap;
} eg_buf;

static inline int eg_buf_reserve(eg_buf *b, uint32_t more) {
    if (b->len + more <= b->cap)
        return 1;
    uint32_t cap = b->cap ? b->cap * 2 : 64;
    while (cap < b->len + more)
        cap *= 2;
    unsigned char *d = eg_alloc(cap);
    if (!d)
        return 0;
    if (b->len)
        memcpy(d, b->data, b->len);
    b->data = d;
    b->cap = cap;
    return 1;
}

static inline int eg_buf_put(eg_buf *b, const void *p, uint32_t n) {
    if (!eg_buf_reserve(b, n))
        return 0;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 1;
}

/* Appends one length-prefixed element (text, bytea, jsonb, numeric arrays
 * and sets). */
static inline int eg_buf_put_elem(eg_buf *b, const void *p, uint32_t n) {
    return eg_buf_put(b, &n, 4) && eg_buf_put(b, p, n);
}

/* Appends a NUL-terminated string. */
static inline int eg_buf_put_str(eg_buf *b, const char *s) {
    uint32_t n = 0;
    while (s[n])
        n++;
    return eg_buf_put(b, s, n);
}

/* Appends bytes as a JSON string: quotes and backslashes escaped, other
 * control characters as \u00XX. */
static inline int eg_buf_put_json_string(eg_buf *b, const char *p, uint32_t n) {
    static const char hex[] = "0123456789abcdef";
    if (!eg_buf_put(b, "\"", 1))
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            if (!eg_buf_put(b, esc, 2))
                return 0;
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            if (!eg_buf_put(b, esc, 6))
                return 0;
        } else if (!eg_buf_put(b, &c, 1)) {
            return 0;
        }
    }
    return eg_buf_put(b, "\"", 1);
}

/* Appends a signed integer in decimal (a JSON number). */
static inline int eg_buf_put_int(eg_buf *b, int64_t v) {
    char digits[20];
    int n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0 && !eg_buf_put(b, "-", 1))
        return 0;
    while (n)
        if (!eg_buf_put(b, &digits[--n], 1))
            return 0;
    return 1;
}

static inline eg_result eg_buf_result(const eg_buf *b) {
    return eg_return(b->data, b->len);
}

/* ---- NULL array elements (version 4; ABI.md, "NULL elements") ----
 * An array (or set) with NULL elements travels in the nullable form:
 * every element length-prefixed (fixed-width ones too), EG_NULL_ELEM for
 * NULL, and bit 31 of the length set (EG_HAS_NULLS). */
#define EG_NULLS_FLAG 0x80000000u
#define EG_NULL_ELEM 0xffffffffu
#define EG_HAS_NULLS(len) ((((uint32_t)(len)) & EG_NULLS_FLAG) != 0)

/* Appends a NULL element (nullable form). */
static inline int eg_buf_put_null_elem(eg_buf *b) {
    uint32_t n = EG_NULL_ELEM;
    return eg_buf_put(b, &n, 4);
}

/* A result in the nullable form (flagged). */
static inline eg_result eg_buf_result_nullable(const eg_buf *b) {
    return eg_return(b->data, b->len | EG_NULLS_FLAG);
}

/* ---- reading length-prefixed array elements ---- */

typedef struct {
    const unsigned char *pos, *end;
} eg_elems;

/* The elements of a text-like array, or of any array in the nullable form
 * (the flag in len is ignored). */
static inline eg_elems eg_elems_of(const void *ptr, uint32_t len) {
    len &= ~EG_NULLS_FLAG;
    eg_elems e = {(const unsigned char *)ptr, (const unsigned char *)ptr + len};
    return e;
}

/* Next element into (*ptr, *len); 0 at the end. A NULL element (nullable
 * form) gives *ptr == 0 and *len == 0. */
static inline int eg_elems_next(eg_elems *e, const char **ptr, uint32_t *len) {
    if (e->end - e->pos < 4)
        return 0;
    uint32_t n;
    memcpy(&n, e->pos, 4);
    e->pos += 4;
    if (n == EG_NULL_ELEM) {
        *ptr = 0;
        *len = 0;
        return 1;
    }
    *ptr = (const char *)e->pos;
    *len = n;
    e->pos += n;
    return 1;
}

/* ---- SPI: extguard.spi_query (ABI.md, "SPI") ---- */

__attribute__((import_module("extguard"), import_name("spi_query"))) int64_t
eg_spi_query_raw(const char *sql, uint32_t sql_len, const void *params, uint32_t params_len);

/* Runs a read-only query as the calling role; params is the flat text[]
 * encoding (build it with eg_buf_put_elem, or pass an empty eg_buf).
 * On success *failed is 0 and the result is the rows as JSON text; on
 * failure *failed is 1 and the result is "SQLSTATE: message". */
static inline eg_result eg_spi_query(const char *sql, uint32_t sql_len, const eg_buf *params,
                                     int *failed) {
    int64_t r = eg_spi_query_raw(sql, sql_len, params ? params->data : 0,
                                 params ? params->len : 0);
    *failed = r < 0;
    return r & INT64_MAX;
}

/* ---- triggers (ABI.md, "Triggers") ----
 *
 * A trigger function is exported as
 *   eg_result name(const char *event, uint32_t event_len)
 * and gets the event as JSON ({"op":"INSERT","when":"BEFORE","level":"ROW",
 * "name":..,"table":..,"schema":..,"args":[..],"old":{..}|null,"new":{..}|null}).
 * It returns EG_UNCHANGED to go on with the row as it is, EG_NULL to skip
 * the row (BEFORE ROW), or a JSON object of the columns to change. */
#define EG_UNCHANGED ((eg_result)0)

/* Typed SPI: extguard.spi_exec (ABI.md, "Typed SPI"). The parameters are
 * a JSON array (1 is a bigint, 1.5 a numeric, "x" text, true a boolean,
 * an array or object jsonb, null NULL); the rows' values keep their types
 * (numbers, booleans and JSON as such, other types as strings). */
__attribute__((import_module("extguard"), import_name("spi_exec"))) int64_t
eg_spi_exec_raw(const char *sql, uint32_t sql_len, const char *params_json, uint32_t params_len);

static inline eg_result eg_spi_exec(const char *sql, uint32_t sql_len, const char *params_json,
                                    uint32_t params_len, int *failed) {
    int64_t r = eg_spi_exec_raw(sql, sql_len, params_json, params_len);
    *failed = r < 0;
    return r & INT64_MAX;
}

/* ---- Messages: extguard.raise (ABI.md, "Messages") ----
 *
 * eg_notice / eg_warning / eg_info / eg_log / eg_debug send a message
 * (PostgreSQL reports it once the call returns, filtered by
 * client_min_messages and log_min_messages); eg_error ends the call with
 * a PostgreSQL ERROR, SQLSTATE P0001 and the message (like PL/pgSQL's
 * RAISE EXCEPTION), eg_error_code with a SQLSTATE of class 22, 23 or P0.
 * At most 100 messages and 64 KiB of them per call (more: 54000). */
#define EG_DEBUG 0
#define EG_LOG 1
#define EG_INFO 2
#define EG_NOTICE 3
#define EG_WARNING 4
#define EG_ERROR 5

__attribute__((import_module("extguard"), import_name("raise"))) int32_t
eg_raise_raw(int32_t level, const char *msg, uint32_t msg_len, const char *sqlstate,
             uint32_t sqlstate_len);

static inline uint32_t eg_strlen_(const char *s) {
    uint32_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* A message of len bytes at a level below EG_ERROR. */
static inline void eg_raise(int32_t level, const char *msg, uint32_t len) {
    (void)eg_raise_raw(level, msg, len, 0, 0);
}

static inline void eg_debug(const char *msg) { eg_raise(EG_DEBUG, msg, eg_strlen_(msg)); }
static inline void eg_log(const char *msg) { eg_raise(EG_LOG, msg, eg_strlen_(msg)); }
static inline void eg_info(const char *msg) { eg_raise(EG_INFO, msg, eg_strlen_(msg)); }
static inline void eg_notice(const char *msg) { eg_raise(EG_NOTICE, msg, eg_strlen_(msg)); }
static inline void eg_warning(const char *msg) { eg_raise(EG_WARNING, msg, eg_strlen_(msg)); }

/* Ends the call with an ERROR: SQLSTATE sqlstate (five characters, class
 * 22, 23 or P0; NULL for P0001) and len bytes of message. Never returns. */
__attribute__((noreturn)) static inline void eg_error_code(const char *sqlstate, const char *msg,
                                                           uint32_t len) {
    (void)eg_raise_raw(EG_ERROR, msg, len, sqlstate, sqlstate ? eg_strlen_(sqlstate) : 0);
    __builtin_trap();
}

/* Ends the call with an ERROR, SQLSTATE P0001. Never returns. */
__attribute__((noreturn)) static inline void eg_error(const char *msg) {
    eg_error_code(0, msg, eg_strlen_(msg));
}

/* Stops the call with a trap (PostgreSQL: 38000, the wasm backtrace as
 * detail). */
#define EG_FAIL() __builtin_trap()

#endif
