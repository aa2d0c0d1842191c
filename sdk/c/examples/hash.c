/* fnv1a(bytea) RETURNS bigint: FNV-1a 64-bit over the bytes. */
#include "../extguard.h"

EG_EXPORT("fnv1a") int64_t fnv1a(const unsigned char *p, uint32_t len) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint32_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return (int64_t)h;
}
