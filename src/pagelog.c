/*
 * libvmstate: the page log of an unpacked stream (pagelog.h): one
 * fixed-size little-endian entry per RAM record, so that pack replays the
 * RAM section record by record.
 */
#include <string.h>
#include "pagelog.h"

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++, v >>= 8) {
        p[i] = (uint8_t)v;
    }
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;

    for (int i = n; i-- > 0;) {
        v = (v << 8) | p[i];
    }
    return v;
}

void vms__log_encode(const vms__log_entry *l, uint8_t *p)
{
    put_le(p, l->word, 8);
    put_le(p + 8, l->extra_off, 8);
    put_le(p + 16, l->extra_len, 8);
    put_le(p + 24, l->aux, 8);
    put_le(p + 32, l->aux2, 8);
    put_le(p + 40, l->block, 4);
    p[44] = l->kind;
    p[45] = l->named;
    p[46] = l->fill;
    p[47] = l->flags;
}

void vms__log_decode(const uint8_t *p, vms__log_entry *l)
{
    l->word = get_le(p, 8);
    l->extra_off = get_le(p + 8, 8);
    l->extra_len = get_le(p + 16, 8);
    l->aux = get_le(p + 24, 8);
    l->aux2 = get_le(p + 32, 8);
    l->block = (uint32_t)get_le(p + 40, 4);
    l->kind = p[44];
    l->named = p[45];
    l->fill = p[46];
    l->flags = p[47];
}

uint64_t vms__page_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x736f6d6570736575ull ^ n;

    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    for (size_t i = n & ~(size_t)7; i < n; i++) {
        h = (h ^ p[i]) * 0x100000001b3ull;
    }
    return h;
}

void vms__log_header(uint8_t hdr[VMS__LOG_HEADER])
{
    memcpy(hdr, VMS__LOG_MAGIC, 8);
    put_le(hdr + 8, VMS__LOG_VERSION, 4);
    put_le(hdr + 12, VMS__LOG_ENTRY, 4);
}

bool vms__log_check(const uint8_t *p, uint64_t size, size_t *n)
{
    if (size < VMS__LOG_HEADER || memcmp(p, VMS__LOG_MAGIC, 8) != 0 ||
        get_le(p + 8, 4) != VMS__LOG_VERSION ||
        get_le(p + 12, 4) != VMS__LOG_ENTRY ||
        (size - VMS__LOG_HEADER) % VMS__LOG_ENTRY) {
        return false;
    }
    *n = (size_t)((size - VMS__LOG_HEADER) / VMS__LOG_ENTRY);
    return true;
}
