/*
 * The VM engine with the example devices: whole-stream round trips with
 * random state, cross-release loads (variant 1 <-> 2), malformed section
 * data (error with offset and path, device unmodified), the vmdesc
 * layout of arrays QEMU cannot fold.
 *
 * The stream is walked by a minimal reader kept here on purpose: the
 * library's stream reader is the analyzer's (stream.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "vmstate/vmstate.h"
#include "fixture.h"

#define PAGE 4096u
#define RAM_SIZE (2u << 20)

static void save_vm(vms_vm *vm, vms_buf *out)
{
    vms_error err = { 0 };
    vms_writer *w = vms_writer_buf(out, &err);

    assert_non_null(w);
    assert_int_equal(vms_vm_save(vm, w, 0, &err), 0);
    assert_int_equal(vms_writer_close(w, &err), 0);
}

/* The stream goes through a file: vms_vm_load reads streams as QEMU does. */
static int load_stream(vms_vm *vm, ex_pc *pc, const vms_buf *s,
                       vms_error *err)
{
    char path[] = "/tmp/vms-test-vm-XXXXXX";
    int fd = mkstemp(path);
    int e;

    (void)pc;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, s->data, s->len), (ssize_t)s->len);
    close(fd);
    e = vms_vm_load(vm, path, err);
    unlink(path);
    return e;
}

typedef fx_machine machine;

static void machine_init(machine *m, int variant, unsigned mask)
{
    fx_machine_init_reset(m, variant, mask, RAM_SIZE);
}

static void random_ram(ex_pc *pc, uint64_t seed)
{
    for (size_t p = 0; p < RAM_SIZE / PAGE; p++) {
        uint8_t *page = pc->ram + p * PAGE;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        switch ((seed >> 33) % 4) {
        case 0:
            break;                          /* zero */
        case 1:
            memset(page, (int)(seed >> 40), PAGE);   /* one byte value */
            break;
        default:
            for (size_t i = 0; i < PAGE; i++) {
                seed = seed * 6364136223846793005ull + 1;
                page[i] = (uint8_t)(seed >> 56);
            }
            page[PAGE - 1] ^= 1;            /* never uniform */
        }
    }
}

static void test_round_trips(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        for (int variant = 1; variant <= 2; variant++) {
            machine a, b;
            vms_buf s1 = { 0 }, s2 = { 0 };
            vms_error err = { 0 };

            machine_init(&a, variant, EX_DEV_ALL);
            machine_init(&b, variant, EX_DEV_ALL);
            ex_pc_randomize(&a.pc, seed);
            if (variant == 2 && seed % 2) {
                a.pc.pic[seed % 2].irq_count[seed % 8] = seed;
            }
            random_ram(&a.pc, seed);
            save_vm(a.vm, &s1);
            if (load_stream(b.vm, &b.pc, &s1, &err)) {
                char buf[1024];
                fail_msg("seed %llu: %s", (unsigned long long)seed,
                         vms_error_format(&err, buf, sizeof(buf)));
            }
            save_vm(b.vm, &s2);
            assert_int_equal(s1.len, s2.len);
            assert_memory_equal(s1.data, s2.data, s1.len);
            assert_memory_equal(a.pc.ram, b.pc.ram, RAM_SIZE);
            vms_buf_free(&s1);
            vms_buf_free(&s2);
            fx_machine_free(&a);
            fx_machine_free(&b);
        }
    }
}

static void test_ram_records(void **state)
{
    machine a;
    vms_buf s = { 0 };
    size_t zero_records = 0;

    (void)state;
    machine_init(&a, 1, 0);
    memset(a.pc.ram + PAGE, 0xab, PAGE);
    a.pc.ram[2 * PAGE + 5] = 1;
    save_vm(a.vm, &s);
    /* header 8, configuration 1+4+13, START: 1+4+4+4+4 + 8 + 7+8 + 8 +
       footer 5, END: 1+4 */
    size_t at = 8 + 18 + 17 + 8 + 15 + 8 + 5 + 5;
    const uint8_t *p = (const uint8_t *)s.data + at;
    /* first page: zero, names its block */
    assert_int_equal(p[7], 0x02);
    assert_int_equal(p[8], 6);
    assert_memory_equal(p + 9, "pc.ram", 6);
    assert_int_equal(p[15], 0);
    p += 16;
    /* second page: 0xab throughout, a ZERO record carrying 0xab */
    assert_int_equal(p[6], 0x10);
    assert_int_equal(p[7], 0x22);
    assert_int_equal(p[8], 0xab);
    p += 9;
    /* third page: data */
    assert_int_equal(p[6], 0x20);
    assert_int_equal(p[7], 0x28);
    assert_int_equal(p[8 + 5], 1);
    p += 8 + PAGE;
    for (; p[7] == 0x22; p += 9) {
        zero_records++;
    }
    assert_int_equal(zero_records, RAM_SIZE / PAGE - 3);
    assert_int_equal(p[7], 0x10);            /* EOS */
    vms_buf_free(&s);
    fx_machine_free(&a);
}

static void test_v1_into_v2(void **state)
{
    machine a, b;
    vms_buf s = { 0 };
    vms_error err = { 0 };

    (void)state;
    machine_init(&a, 1, EX_DEV_ALL);
    machine_init(&b, 2, EX_DEV_ALL);
    ex_pc_randomize(&a.pc, 77);
    b.pc.pit.hpet_legacy = 0x5a;
    save_vm(a.vm, &s);
    assert_int_equal(load_stream(b.vm, &b.pc, &s, &err), 0);
    assert_int_equal(b.pc.pit.hpet_legacy, 0x5a);   /* kept its default */
    for (int i = 0; i < 3; i++) {
        const ex_pit_channel *x = &a.pc.pit.channels[i];
        const ex_pit_channel *y = &b.pc.pit.channels[i];
        assert_int_equal(x->count, y->count);
        assert_int_equal(x->gate, y->gate);
        assert_int_equal(x->next_transition_time, y->next_transition_time);
    }
    assert_int_equal(a.pc.pit.channels[0].irq_disabled,
                     b.pc.pit.channels[0].irq_disabled);
    assert_memory_equal(&b.pc.pic[1], &a.pc.pic[1], sizeof(a.pc.pic[1]));
    vms_buf_free(&s);
    fx_machine_free(&a);
    fx_machine_free(&b);
}

static void test_v2_into_v1(void **state)
{
    machine a, b;
    vms_buf s = { 0 };
    vms_error err = { 0 };
    ex_pic before;

    (void)state;
    /* Without a needed subsection, the i8259 of release 2 loads in 1. */
    machine_init(&a, 2, EX_DEV_PIC);
    machine_init(&b, 1, EX_DEV_PIC);
    ex_pc_randomize(&a.pc, 5);
    save_vm(a.vm, &s);
    assert_int_equal(load_stream(b.vm, &b.pc, &s, &err), 0);
    assert_memory_equal(&b.pc.pic[0], &a.pc.pic[0], sizeof(ex_pic));
    vms_buf_free(&s);

    /* With it, release 1 refuses, naming the subsection. */
    a.pc.pic[0].irq_count[2] = 3;
    save_vm(a.vm, &s);
    ex_pc_randomize(&b.pc, 6);
    before = b.pc.pic[0];
    assert_int_equal(load_stream(b.vm, &b.pc, &s, &err), VMS_ENOTFOUND);
    assert_non_null(strstr(err.message, "\"i8259/irq_count\""));
    assert_string_equal(err.path, "i8259");
    assert_true(err.has_offset);
    assert_int_equal(s.data[err.offset], 0x05);   /* its header */
    assert_memory_equal(&b.pc.pic[0], &before, sizeof(before));
    vms_buf_free(&s);
    fx_machine_free(&a);
    fx_machine_free(&b);

    /* The PIT of release 2 is version 4: too new for release 1. */
    machine_init(&a, 2, EX_DEV_PIT);
    machine_init(&b, 1, EX_DEV_PIT);
    save_vm(a.vm, &s);
    vms_error_clear(&err);
    assert_int_equal(load_stream(b.vm, &b.pc, &s, &err), VMS_EVERSION);
    assert_non_null(strstr(err.message, "version 4 is newer than 3"));
    vms_buf_free(&s);
    fx_machine_free(&a);
    fx_machine_free(&b);
}

/* The e1000's section data alone, as the walk writes it. */
static void e1000_data(ex_pc *pc, vms_buf *out)
{
    vms_error err = { 0 };
    vms_writer *w = vms_writer_buf(out, &err);
    vms_visitor *v = vms_wire_output_new(w, &err);

    assert_int_equal(vms_walk(v, &ex_e1000_desc, pc->e1000, 0, &err), 0);
    assert_int_equal(vms_writer_close(w, &err), 0);
    vms_visitor_free(v);
}

static int load_e1000(machine *m, const void *p, size_t len, int version,
                      vms_error *err)
{
    vms_reader *r = vms_reader_mem(p, len, "e1000.bin", err);
    int e = vms_vm_load_section(m->vm, "0000:00:02.0/e1000", 0, version, r,
                                err);

    vms_reader_close(r);
    return e;
}

static size_t find(const vms_buf *b, const char *s)
{
    size_t n = strlen(s);

    for (size_t i = 0; i + n <= b->len; i++) {
        if (memcmp(b->data + i, s, n) == 0) {
            return i;
        }
    }
    fail_msg("\"%s\" not found", s);
    return 0;
}

static void test_malformed(void **state)
{
    machine a, b;
    vms_buf s = { 0 };
    vms_error err = { 0 };
    ex_e1000 *before = malloc(sizeof(*before));
    uint8_t *bad;
    size_t at;

    (void)state;
    machine_init(&a, 1, EX_DEV_E1000);
    machine_init(&b, 1, EX_DEV_E1000);
    ex_pc_randomize(&a.pc, 9);
    ex_pc_randomize(&b.pc, 10);
    memcpy(before, b.pc.e1000, sizeof(*before));
    e1000_data(&a.pc, &s);

    /* Short input anywhere: ETRUNC at the end, a path, device intact. */
    for (size_t cut = 0; cut < s.len; cut += 997) {
        vms_error_clear(&err);
        assert_int_equal(load_e1000(&b, s.data, cut, 2, &err), VMS_ETRUNC);
        assert_true(err.has_offset);
        assert_true(err.offset <= cut);
        assert_true(err.path[0] != 0);
        assert_string_equal(err.file, "e1000.bin");
        assert_memory_equal(b.pc.e1000, before, sizeof(*before));
    }
    /* exactly where: inside tx.data */
    vms_error_clear(&err);
    assert_int_equal(load_e1000(&b, s.data, 1000, 2, &err), VMS_ETRUNC);
    assert_string_equal(err.path, "e1000.tx.data");
    assert_memory_equal(b.pc.e1000, before, sizeof(*before));

    /* A subsection name e1000 does not have. */
    bad = malloc(s.len);
    memcpy(bad, s.data, s.len);
    at = find(&s, "e1000/mit_state");
    memcpy(bad + at, "e1000/mit_stat3", 15);
    vms_error_clear(&err);
    assert_int_equal(load_e1000(&b, bad, s.len, 2, &err), VMS_ENOTFOUND);
    assert_non_null(strstr(err.message, "\"e1000/mit_stat3\""));
    assert_true(err.has_offset);
    assert_int_equal(err.offset, at - 2);
    assert_string_equal(err.path, "e1000");
    assert_memory_equal(b.pc.e1000, before, sizeof(*before));

    /*
     * A subsection header cut short is no subsection, as for QEMU: the
     * section ends there and the caller's footer check meets the rest.
     */
    vms_error_clear(&err);
    assert_int_equal(load_e1000(&b, s.data, at + 3, 2, &err), 0);
    memcpy(b.pc.e1000, before, sizeof(*before));

    /* Section versions outside minimum..current. */
    vms_error_clear(&err);
    assert_int_equal(load_e1000(&b, s.data, s.len, 3, &err), VMS_EVERSION);
    assert_string_equal(err.path, "e1000");
    assert_true(err.has_offset);
    assert_int_equal(err.offset, 0);
    vms_error_clear(&err);
    assert_int_equal(load_e1000(&b, s.data, s.len, 0, &err), VMS_EVERSION);
    assert_non_null(strstr(err.message, "older than 1"));
    assert_memory_equal(b.pc.e1000, before, sizeof(*before));

    /* A subsection version above the description's. */
    memcpy(bad, s.data, s.len);
    bad[at + 15 + 3] = 2;
    vms_error_clear(&err);
    assert_int_equal(load_e1000(&b, bad, s.len, 2, &err), VMS_EVERSION);
    assert_string_equal(err.path, "e1000.e1000/mit_state");
    assert_int_equal(err.offset, at + 15 + 4);
    assert_memory_equal(b.pc.e1000, before, sizeof(*before));

    /* PCI config layout version above ours ("int32 le"). */
    memcpy(bad, s.data, s.len);
    bad[3] = 3;
    vms_error_clear(&err);
    assert_int_equal(load_e1000(&b, bad, s.len, 2, &err), VMS_EFORMAT);
    assert_string_equal(err.path, "e1000.parent_obj.version_id");
    assert_int_equal(err.offset, 0);
    assert_memory_equal(b.pc.e1000, before, sizeof(*before));

    /* Unknown section. */
    vms_error_clear(&err);
    assert_int_equal(vms_vm_load_section(b.vm, "nope", 0, 1, NULL, &err),
                     VMS_ENOTFOUND);

    /* And the good data loads, equal to the source. */
    vms_error_clear(&err);
    assert_int_equal(load_e1000(&b, s.data, s.len, 2, &err), 0);
    assert_memory_equal(b.pc.e1000->mac_reg, a.pc.e1000->mac_reg,
                        sizeof(a.pc.e1000->mac_reg));
    free(bad);
    free(before);
    vms_buf_free(&s);
    fx_machine_free(&a);
    fx_machine_free(&b);
}

/* Arrays with a field_exists test are described element by element. */
typedef struct item {
    uint16_t a;
    uint8_t b;
} item;

typedef struct holder {
    item items[2];
    uint32_t words[3];
    item *ptrs[2];
} holder;

static bool always(void *opaque, int version_id)
{
    (void)opaque;
    (void)version_id;
    return true;
}

static const vms_desc item_desc = {
    .name = "item",
    .version_id = 1,
    .minimum_version_id = 1,
    VMS_FIELDS(VMS_UINT16(a, item), VMS_UINT8(b, item)),
};

static const vms_desc holder_desc = {
    .name = "holder",
    .version_id = 1,
    .minimum_version_id = 1,
    VMS_FIELDS(
        VMS_STRUCT_ARRAY(items, holder, 2, item_desc, item),
        { .name = "words", .type = VMS_TYPE_UINT32,
          .offset = offsetof(holder, words), .size = 4,
          .flags = VMS_F_ARRAY, .num = 3, .field_exists = always },
        { .name = "ptrs", .type = VMS_TYPE_STRUCT, .vmsd = &item_desc,
          .offset = offsetof(holder, ptrs), .size = sizeof(item),
          .flags = VMS_F_ARRAY | VMS_F_ARRAY_OF_POINTER, .num = 2 },
    ),
};

static void test_vmdesc_layout(void **state)
{
    static const char want[] =
        "{\"page_size\": 4096, \"devices\": [{\"name\": \"h\", "
        "\"instance_id\": 7, \"vmsd_name\": \"holder\", \"version\": 1, "
        "\"fields\": [{\"name\": \"items\", \"array_len\": 2, "
        "\"type\": \"struct\", \"struct\": {\"vmsd_name\": \"item\", "
        "\"version\": 1, \"fields\": [{\"name\": \"a\", \"type\": "
        "\"uint16\", \"size\": 2}, {\"name\": \"b\", \"type\": \"uint8\", "
        "\"size\": 1}]}, \"size\": 3}, "
        "{\"name\": \"words\", \"index\": 0, \"type\": \"uint32\", "
        "\"size\": 4}, "
        "{\"name\": \"words\", \"index\": 1, \"type\": \"uint32\", "
        "\"size\": 4}, "
        "{\"name\": \"words\", \"index\": 2, \"type\": \"uint32\", "
        "\"size\": 4}, "
        "{\"name\": \"ptrs\", \"array_len\": 2, \"type\": \"struct\", "
        "\"struct\": {\"vmsd_name\": \"item\", \"version\": 1, "
        "\"fields\": [{\"name\": \"a\", \"type\": \"uint16\", \"size\": 2}, "
        "{\"name\": \"b\", \"type\": \"uint8\", \"size\": 1}]}, "
        "\"size\": 3}]}]}";
    item one = { 0x1234, 5 };
    holder h = { .ptrs = { &one, NULL } };
    vms_error err = { 0 };
    vms_buf s = { 0 };
    vms_vm *vm = vms_vm_new("m", PAGE, &err);
    size_t at;

    (void)state;
    assert_int_equal(vms_vm_register(vm, "h", 7, NULL, &holder_desc, &h,
                                     &err), 0);
    save_vm(vm, &s);
    /* magic, version, configuration (1+4+1), FULL header, data, footer,
       EOF, vmdesc record */
    at = 8 + 6 + (1 + 4 + 2 + 4 + 4) + 6 + 12 + 3 + 1 + 5 + 1;
    assert_int_equal(s.data[at], 0x06);
    assert_int_equal(s.len - at - 5, strlen(want));
    assert_memory_equal(s.data + at + 5, want, strlen(want));
    vms_buf_free(&s);
    vms_vm_free(vm);
}

/* Old machine types: no configuration section, no vmdesc after EOF. */
static void test_save_flags(void **state)
{
    vms_error err = { 0 };
    vms_buf s = { 0 };
    item one = { 1, 2 };
    holder h = { .ptrs = { &one, &one } };
    vms_vm *vm = vms_vm_new("pc-i440fx-2.0", PAGE, &err);
    vms_writer *w;

    (void)state;
    assert_int_equal(vms_vm_register(vm, "h", 0, NULL, &holder_desc, &h,
                                     &err), 0);
    w = vms_writer_buf(&s, &err);
    assert_int_equal(vms_vm_save(vm, w, VMS_SAVE_NO_CONFIGURATION |
                                 VMS_SAVE_NO_VMDESC, &err), 0);
    assert_int_equal(vms_writer_close(w, &err), 0);
    assert_int_equal(s.data[8], 0x04);          /* straight to the device */
    assert_int_equal(s.data[s.len - 1], 0x00);  /* ends at EOF */
    assert_int_equal(s.data[s.len - 6], 0x7e);  /* after the footer */
    vms_buf_free(&s);
    vms_vm_free(vm);
}

static void test_registry_errors(void **state)
{
    vms_error err = { 0 };
    vms_vm *vm;
    holder h;
    uint8_t ram[PAGE];

    (void)state;
    assert_null(vms_vm_new("m", 1000, &err));
    assert_null(vms_vm_new("", PAGE, &err));
    vm = vms_vm_new("m", PAGE, &err);
    assert_int_equal(vms_vm_register(vm, "h", 0, NULL, &holder_desc, &h,
                                     &err), 0);
    assert_int_equal(vms_vm_register(vm, "h", 0, NULL, &holder_desc, &h,
                                     &err), VMS_EEXIST);
    assert_int_equal(vms_vm_add_ram(vm, "r", ram, 100, &err), VMS_EINVAL);
    assert_int_equal(vms_vm_add_ram(vm, "r", ram, PAGE, &err), 0);
    assert_int_equal(vms_vm_add_ram(vm, "r", ram, PAGE, &err), VMS_EEXIST);
    vms_vm_free(vm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_ram_records),
        cmocka_unit_test(test_v1_into_v2),
        cmocka_unit_test(test_v2_into_v1),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_vmdesc_layout),
        cmocka_unit_test(test_save_flags),
        cmocka_unit_test(test_registry_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
