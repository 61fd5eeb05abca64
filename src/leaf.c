/*
 * libvmstate: scalar conversions shared by every visitor (visitor.h:
 * vms_leaf_to_wire, vms_leaf_from_wire): a leaf in its C form in memory
 * to and from its big-endian wire bytes.
 */
#include <string.h>
#include "vmstate/visitor.h"

static uint64_t load_native(const void *elem, size_t size)
{
    switch (size) {
    case 1: { uint8_t x; memcpy(&x, elem, 1); return x; }
    case 2: { uint16_t x; memcpy(&x, elem, 2); return x; }
    case 4: { uint32_t x; memcpy(&x, elem, 4); return x; }
    default: { uint64_t x; memcpy(&x, elem, 8); return x; }
    }
}

static void store_native(void *elem, size_t size, uint64_t v)
{
    switch (size) {
    case 1: { uint8_t x = (uint8_t)v; memcpy(elem, &x, 1); break; }
    case 2: { uint16_t x = (uint16_t)v; memcpy(elem, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)v; memcpy(elem, &x, 4); break; }
    default: memcpy(elem, &v, 8); break;
    }
}

static void put_be(uint8_t *wire, size_t size, uint64_t v)
{
    for (size_t i = size; i-- > 0; v >>= 8) {
        wire[i] = (uint8_t)v;
    }
}

static uint64_t get_be(const uint8_t *wire, size_t size)
{
    uint64_t v = 0;

    for (size_t i = 0; i < size; i++) {
        v = (v << 8) | wire[i];
    }
    return v;
}

void vms_leaf_to_wire(const vms_field *f, const void *elem, size_t size,
                      uint8_t *wire)
{
    switch (f->type) {
    case VMS_TYPE_BOOL: {
        bool b;
        memcpy(&b, elem, sizeof(b));
        wire[0] = b ? 1 : 0;
        break;
    }
    case VMS_TYPE_BITMAP:
        for (size_t i = 0; i + 8 <= size; i += 8) {
            put_be(wire + i, 8, load_native((const uint8_t *)elem + i, 8));
        }
        break;
    case VMS_TYPE_INT8: case VMS_TYPE_INT16: case VMS_TYPE_INT32:
    case VMS_TYPE_INT64: case VMS_TYPE_UINT8: case VMS_TYPE_UINT16:
    case VMS_TYPE_UINT32: case VMS_TYPE_UINT64: case VMS_TYPE_FLOAT64:
    case VMS_TYPE_TIMER: case VMS_TYPE_INT32_LE:
        /* A double's bits travel as a be64, like every 64-bit integer. */
        put_be(wire, size, load_native(elem, size));
        break;
    default:
        memcpy(wire, elem, size);
        break;
    }
}

void vms_leaf_from_wire(const vms_field *f, const uint8_t *wire, size_t size,
                        void *elem)
{
    switch (f->type) {
    case VMS_TYPE_BOOL: {
        /* QEMU takes any non-zero byte as true; a C bool holds only 0/1. */
        bool b = wire[0] != 0;
        memcpy(elem, &b, sizeof(b));
        break;
    }
    case VMS_TYPE_BITMAP:
        for (size_t i = 0; i + 8 <= size; i += 8) {
            store_native((uint8_t *)elem + i, 8, get_be(wire + i, 8));
        }
        break;
    case VMS_TYPE_INT8: case VMS_TYPE_INT16: case VMS_TYPE_INT32:
    case VMS_TYPE_INT64: case VMS_TYPE_UINT8: case VMS_TYPE_UINT16:
    case VMS_TYPE_UINT32: case VMS_TYPE_UINT64: case VMS_TYPE_FLOAT64:
    case VMS_TYPE_TIMER: case VMS_TYPE_INT32_LE:
        store_native(elem, size, get_be(wire, size));
        break;
    default:
        memcpy(elem, wire, size);
        break;
    }
}
