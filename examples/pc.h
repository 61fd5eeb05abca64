/*
 * An example VMM's PC devices, described for libvmstate with QEMU 7.2's
 * exact field lists, versions and subsections (pc-i440fx-7.2): two i8259,
 * mc146818rtc, isa-serial (16550A), the i8254 PIT, PIIX3 with its
 * PCIDevice, e1000 with its subsections.
 *
 * Variant 1 is QEMU 7.2 exactly. Variant 2 is this VMM's next release:
 * the PIT goes to version 4 with a new field "hpet_legacy", and the i8259
 * gains the subsection "i8259/irq_count" (sent only when a count is not
 * zero), without a version bump, as QEMU evolves devices.
 */
#ifndef EX_PC_H
#define EX_PC_H

#include <stdbool.h>
#include <stdint.h>
#include "vmstate/vmstate.h"

typedef struct ex_pic {
    uint8_t last_irr, irr, imr, isr, priority_add, irq_base;
    uint8_t read_reg_select, poll, special_mask, init_state, auto_eoi;
    uint8_t rotate_on_auto_eoi, special_fully_nested_mode, init4;
    uint8_t single_mode, elcr;
    uint64_t irq_count[8];           /* variant 2 */
} ex_pic;

typedef struct ex_rtc {
    uint8_t cmos_data[128];
    uint8_t cmos_index;
    int64_t periodic_timer;          /* expiry in ns, -1 when idle */
    int64_t next_periodic_time;
    uint32_t irq_coalesced, period;
    uint64_t base_rtc, last_update;
    int64_t offset;
    int64_t update_timer;
    uint64_t next_alarm_time;
    uint16_t irq_reinject_on_ack_count;
} ex_rtc;

typedef struct ex_fifo8 {
    uint8_t data[16];                /* the 16550A's FIFO depth */
    uint32_t head, num;
} ex_fifo8;

typedef struct ex_serial_state {
    uint16_t divider;
    uint8_t rbr, ier, iir, lcr, mcr, lsr, msr, scr, fcr_vmstate;
    int32_t thr_ipending;
    uint32_t tsr_retry;
    uint8_t thr, tsr;
    ex_fifo8 recv_fifo, xmit_fifo;
    int64_t fifo_timeout_timer;
    int32_t timeout_ipending;
    int32_t poll_msl;
    int64_t modem_status_poll;
} ex_serial_state;

typedef struct ex_serial {
    ex_serial_state state;
} ex_serial;

typedef struct ex_pit_channel {
    int32_t count;
    uint16_t latched_count;
    uint8_t count_latched, status_latched, status, read_state, write_state;
    uint8_t write_latch, rw_mode, mode, bcd, gate;
    int64_t count_load_time, next_transition_time;
    uint32_t irq_disabled;
} ex_pit_channel;

typedef struct ex_pit {
    ex_pit_channel channels[3];
    uint8_t hpet_legacy;             /* variant 2 */
} ex_pit;

typedef struct ex_pcidev {
    int32_t version_id;
    bool is_pcie;
    uint8_t config[4096];
    uint8_t irq_state[16];           /* QEMU's 4 x be32 "pci irq state" */
} ex_pcidev;

typedef struct ex_piix3 {
    ex_pcidev dev;
    int32_t pci_irq_levels_vmstate[4];
    uint8_t rcr;
} ex_piix3;

typedef struct ex_e1000_props {
    uint8_t ipcss, ipcso;
    uint16_t ipcse;
    uint8_t tucss, tucso;
    uint16_t tucse;
    uint32_t paylen;
    uint8_t hdr_len;
    uint16_t mss;
    int8_t ip, tcp;
} ex_e1000_props;

typedef struct ex_e1000 {
    ex_pcidev parent_obj;
    uint32_t rxbuf_size, rxbuf_min_shift;
    struct {
        uint32_t val_in;
        uint16_t bitnum_in, bitnum_out, reading;
        uint32_t old_eecd;
    } eecd_state;
    ex_e1000_props mig_props;
    struct {
        uint16_t size, tso_frames;
        uint8_t sum_needed;
        uint8_t header[256];
        uint8_t data[65536];
        ex_e1000_props tso_props;
    } tx;
    uint16_t eeprom_data[64];
    uint16_t phy_reg[32];
    uint32_t mac_reg[0x8000];
    bool mit_irq_level;
    uint32_t compat_flags;           /* EX_E1000_FLAG_* */
} ex_e1000;

enum {
    EX_E1000_FLAG_MIT = 1u << 1,
    EX_E1000_FLAG_MAC = 1u << 2,
    EX_E1000_FLAG_TSO = 1u << 3,
};

/* Which devices a VM carries (ex_pc_register). */
enum {
    EX_DEV_PIC = 1u << 0,
    EX_DEV_RTC = 1u << 1,
    EX_DEV_SERIAL = 1u << 2,
    EX_DEV_PIT = 1u << 3,
    EX_DEV_PIIX3 = 1u << 4,
    EX_DEV_E1000 = 1u << 5,
    EX_DEV_ALL = 0x3f,
};

typedef struct ex_pc {
    int variant;                     /* 1 or 2 */
    ex_pic pic[2];
    ex_rtc rtc;
    ex_serial serial;
    ex_pit pit;
    ex_piix3 piix3;
    ex_e1000 *e1000;                 /* large: on the heap */
    uint8_t *ram;
    uint64_t ram_size;
} ex_pc;

/* The descriptions, for tests and tools that want one directly. */
extern const vms_desc ex_pic_desc_v1, ex_pic_desc_v2;
extern const vms_desc ex_rtc_desc, ex_serial_desc, ex_piix3_desc;
extern const vms_desc ex_pit_desc_v1, ex_pit_desc_v2, ex_e1000_desc;

/*
 * Reset state as QEMU's devices have it after reset (PCI config of PIIX3
 * and e1000 as QEMU 7.2 builds it), ram_size bytes of zeroed RAM.
 */
int ex_pc_init(ex_pc *pc, int variant, uint64_t ram_size, vms_error *err);
void ex_pc_free(ex_pc *pc);
/*
 * Recognisable values a test can read back from QEMU's monitor: both
 * i8259 (info pic: pic0 imr=b8, pic1 imr=8f hprio=3 rr_sel=1 elcr=0c
 * fnm=1), and with RAM of at least 1 MiB + 4 KiB the words 0x76730000 +
 * i at 1 MiB and "libvmstate demo" at 0x2000.
 */
void ex_pc_demo_state(ex_pc *pc);
/* Random values in every migrated field (that the descriptions allow). */
void ex_pc_randomize(ex_pc *pc, uint64_t seed);
/*
 * Register the devices in mask with vm under QEMU's idstrs
 * ("i8259" 0 and 1, "mc146818rtc", "serial", "i8254",
 * "0000:00:01.0/PIIX3", "0000:00:02.0/e1000") and type names, and the RAM
 * as "pc.ram".
 */
int ex_pc_register(ex_pc *pc, vms_vm *vm, unsigned mask, vms_error *err);

#endif
