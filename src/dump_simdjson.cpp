/*
 * libvmstate: simdjson as an event source for the dump reader.
 *
 * simdjson's DOM parser validates the whole document (every number,
 * literal and string, unescaped control characters, UTF-8) before a single
 * event is replayed, and it is stricter than yajl as the reader configures
 * it (yajl also takes \v and \f as blanks and invalid UTF-8 in strings):
 * whatever it accepts, yajl accepts with the same events. Everything it
 * refuses goes back to yajl, which decides and words the error, so there is
 * one model builder (the yajl callbacks in dump.c) and one set of messages.
 */
#include <cstdint>
#include <simdjson.h>
#include "dump_simdjson.h"

namespace {

struct replay {
    const yajl_callbacks *cb;
    int (*integer)(void *ctx, int64_t v);
    void *ctx;
};

/*
 * Above INT64_MAX: back to text for cb_number, which refuses it where a
 * value is modelled (and yajl's parse then words the refusal).
 */
bool big_number(const replay &r, uint64_t v)
{
    char buf[24];
    char *p = buf + sizeof(buf);

    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return r.cb->yajl_number(r.ctx, p, (size_t)(buf + sizeof(buf) - p));
}

bool walk(const replay &r, simdjson::dom::element e)
{
    using simdjson::dom::element_type;
    simdjson::dom::object obj;
    simdjson::dom::array arr;

    switch (e.type()) {
    case element_type::OBJECT:
        if (e.get_object().get(obj) || !r.cb->yajl_start_map(r.ctx)) {
            return false;
        }
        for (simdjson::dom::key_value_pair kv : obj) {
            if (!r.cb->yajl_map_key(r.ctx,
                                    (const unsigned char *)kv.key.data(),
                                    kv.key.size()) ||
                !walk(r, kv.value)) {
                return false;
            }
        }
        return r.cb->yajl_end_map(r.ctx);
    case element_type::ARRAY:
        if (e.get_array().get(arr) || !r.cb->yajl_start_array(r.ctx)) {
            return false;
        }
        for (simdjson::dom::element v : arr) {
            if (!walk(r, v)) {
                return false;
            }
        }
        return r.cb->yajl_end_array(r.ctx);
    case element_type::STRING: {
        std::string_view s;

        return !e.get_string().get(s) &&
               r.cb->yajl_string(r.ctx, (const unsigned char *)s.data(),
                                 s.size());
    }
    case element_type::INT64: {
        int64_t v = 0;

        return !e.get_int64().get(v) && r.integer(r.ctx, v);
    }
    case element_type::UINT64: {
        uint64_t v = 0;

        return !e.get_uint64().get(v) && big_number(r, v);
    }
    case element_type::DOUBLE:
        /*
         * Not an integer: only where a value is ignored is that accepted,
         * and a refusal is worded by yajl's parse, so no text is needed
         * beyond one that is not an integer either.
         */
        return r.cb->yajl_number(r.ctx, "0.5", 3);
    case element_type::BOOL: {
        bool v = false;

        return !e.get_bool().get(v) && r.cb->yajl_boolean(r.ctx, v);
    }
    case element_type::NULL_VALUE:
        return r.cb->yajl_null(r.ctx);
    }
    return false;
}

} // namespace

int vms__dump_simdjson(const void *data, size_t len, bool padded,
                       const yajl_callbacks *cb,
                       int (*integer)(void *ctx, int64_t v), void *ctx)
{
    /*
     * Kept for the thread's next dump: its buffers (about 8 bytes per
     * byte of the largest text, a few MB of them touched) are then
     * already faulted in, which is half the cost of a fresh parser.
     */
    static thread_local simdjson::dom::parser parser;
    simdjson::dom::element doc;
    replay r = { cb, integer, ctx };

    if (parser.parse(static_cast<const uint8_t *>(data), len, !padded)
            .get(doc)) {
        return -1;
    }
    return walk(r, doc) ? 0 : -1;
}
