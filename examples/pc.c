/*
 * An example VMM's PC devices, described as QEMU 7.2 describes them
 * (hw/intc/i8259_common.c, hw/rtc/mc146818rtc.c, hw/char/serial.c,
 * hw/timer/i8254_common.c, hw/isa/piix3.c, hw/pci/pci.c, hw/net/e1000.c:
 * the facts, not the code). Field names, order, versions, tests and
 * subsections must stay QEMU's: the tests compare them with QEMU's own
 * vmdesc and -dump-vmstate.
 */
#include <stdlib.h>
#include <string.h>
#include "pc.h"

/* QEMU's sizeof of structs whose size its dump reports. */
#define QEMU_SIZEOF_PCIDEVICE 2608
#define QEMU_SIZEOF_SERIALSTATE 656
#define QEMU_SIZEOF_FIFO8 24
#define QEMU_SIZEOF_PITCHANNEL 56

/* ---- i8259 ------------------------------------------------------------- */

#define PIC_FIELDS                                                         \
    VMS_UINT8(last_irr, ex_pic), VMS_UINT8(irr, ex_pic),                   \
    VMS_UINT8(imr, ex_pic), VMS_UINT8(isr, ex_pic),                        \
    VMS_UINT8(priority_add, ex_pic), VMS_UINT8(irq_base, ex_pic),          \
    VMS_UINT8(read_reg_select, ex_pic), VMS_UINT8(poll, ex_pic),           \
    VMS_UINT8(special_mask, ex_pic), VMS_UINT8(init_state, ex_pic),        \
    VMS_UINT8(auto_eoi, ex_pic), VMS_UINT8(rotate_on_auto_eoi, ex_pic),    \
    VMS_UINT8(special_fully_nested_mode, ex_pic),                          \
    VMS_UINT8(init4, ex_pic), VMS_UINT8(single_mode, ex_pic),              \
    VMS_UINT8(elcr, ex_pic)

const vms_desc ex_pic_desc_v1 = {
    .name = "i8259",
    .version_id = 1,
    .minimum_version_id = 1,
    VMS_FIELDS(PIC_FIELDS),
};

static bool pic_irq_count_needed(void *opaque, const vms_desc *self)
{
    const ex_pic *p = opaque;

    (void)self;
    for (int i = 0; i < 8; i++) {
        if (p->irq_count[i]) {
            return true;
        }
    }
    return false;
}

static const vms_desc pic_irq_count = {
    .name = "i8259/irq_count",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = pic_irq_count_needed,
    VMS_FIELDS(VMS_UINT64_ARRAY(irq_count, ex_pic, 8)),
};

/* Variant 2: a subsection, no version bump, so variant 1 still loads it
   whenever the subsection is not needed. */
const vms_desc ex_pic_desc_v2 = {
    .name = "i8259",
    .version_id = 1,
    .minimum_version_id = 1,
    VMS_FIELDS(PIC_FIELDS),
    VMS_SUBSECTIONS(&pic_irq_count),
};

/* ---- mc146818rtc --------------------------------------------------------- */

static bool rtc_reinject_needed(void *opaque, const vms_desc *self)
{
    (void)self;
    return ((ex_rtc *)opaque)->irq_reinject_on_ack_count != 0;
}

static const vms_desc rtc_reinject = {
    .name = "mc146818rtc/irq_reinject_on_ack_count",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = rtc_reinject_needed,
    VMS_FIELDS(VMS_UINT16(irq_reinject_on_ack_count, ex_rtc)),
};

const vms_desc ex_rtc_desc = {
    .name = "mc146818rtc",
    .version_id = 3,
    .minimum_version_id = 1,
    VMS_FIELDS(
        VMS_BUFFER(cmos_data, ex_rtc),
        VMS_UINT8(cmos_index, ex_rtc),
        VMS_UNUSED(7 * 4),
        VMS_TIMER(periodic_timer, ex_rtc),
        VMS_INT64(next_periodic_time, ex_rtc),
        VMS_UNUSED(3 * 8),
        VMS_UINT32_V(irq_coalesced, ex_rtc, 2),
        VMS_UINT32_V(period, ex_rtc, 2),
        VMS_UINT64_V(base_rtc, ex_rtc, 3),
        VMS_UINT64_V(last_update, ex_rtc, 3),
        VMS_INT64_V(offset, ex_rtc, 3),
        VMS_TIMER_V(update_timer, ex_rtc, 3),
        VMS_UINT64_V(next_alarm_time, ex_rtc, 3),
    ),
    VMS_SUBSECTIONS(&rtc_reinject),
};

/* ---- serial (16550A) --------------------------------------------------- */

#define UART_IER_THRI 0x02
#define UART_IIR_ID 0x0e
#define UART_IIR_THRI 0x02

static const vms_desc fifo8_desc = {
    .name = "Fifo8",
    .version_id = 1,
    .minimum_version_id = 1,
    VMS_FIELDS(
        /* QEMU's VMSTATE_VBUFFER_UINT32: sized by the capacity, 16 here. */
        { .name = "data", .type = VMS_TYPE_BUFFER,
          .offset = offsetof(ex_fifo8, data), .size = 16, .version_id = 1,
          .flags = VMS_F_DUMP_SIZE, .dump_size = 0 },
        VMS_UINT32(head, ex_fifo8),
        VMS_UINT32(num, ex_fifo8),
    ),
};

static bool thr_ipending_needed(void *opaque, const vms_desc *self)
{
    const ex_serial_state *s = opaque;

    (void)self;
    if (s->ier & UART_IER_THRI) {
        bool expected = (s->iir & UART_IIR_ID) == UART_IIR_THRI;
        return s->thr_ipending != expected;
    }
    /* Sampled again when the interrupt is enabled: not migrated. */
    return false;
}

static bool tsr_needed(void *opaque, const vms_desc *self)
{
    (void)self;
    return ((ex_serial_state *)opaque)->tsr_retry != 0;
}

static bool recv_fifo_needed(void *opaque, const vms_desc *self)
{
    (void)self;
    return ((ex_serial_state *)opaque)->recv_fifo.num != 0;
}

static bool xmit_fifo_needed(void *opaque, const vms_desc *self)
{
    (void)self;
    return ((ex_serial_state *)opaque)->xmit_fifo.num != 0;
}

static bool fifo_timeout_timer_needed(void *opaque, const vms_desc *self)
{
    (void)self;
    return ((ex_serial_state *)opaque)->fifo_timeout_timer != -1;
}

static bool timeout_ipending_needed(void *opaque, const vms_desc *self)
{
    (void)self;
    return ((ex_serial_state *)opaque)->timeout_ipending != 0;
}

static bool poll_needed(void *opaque, const vms_desc *self)
{
    (void)self;
    return ((ex_serial_state *)opaque)->poll_msl >= 0;
}

/* thr_ipending travels only when it cannot be derived (see post_load). */
static int serial_pre_load(void *opaque, const vms_desc *self)
{
    (void)self;
    ((ex_serial_state *)opaque)->thr_ipending = -1;
    return 0;
}

static int serial_post_load(void *opaque, int version_id,
                            const vms_desc *self)
{
    ex_serial_state *s = opaque;

    (void)self;
    if (version_id < 3) {
        s->fcr_vmstate = 0;
    }
    if (s->thr_ipending == -1) {
        s->thr_ipending = (s->iir & UART_IIR_ID) == UART_IIR_THRI;
    }
    return 0;
}

static const vms_desc serial_thr_ipending = {
    .name = "serial/thr_ipending",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = thr_ipending_needed,
    VMS_FIELDS(VMS_INT32(thr_ipending, ex_serial_state)),
};

static const vms_desc serial_tsr = {
    .name = "serial/tsr",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = tsr_needed,
    VMS_FIELDS(VMS_UINT32(tsr_retry, ex_serial_state),
               VMS_UINT8(thr, ex_serial_state),
               VMS_UINT8(tsr, ex_serial_state)),
};

#define FIFO_FIELD(m)                                                      \
    { .name = #m, .type = VMS_TYPE_STRUCT, .vmsd = &fifo8_desc,            \
      .offset = offsetof(ex_serial_state, m), .size = sizeof(ex_fifo8),    \
      .version_id = 1, .flags = VMS_F_DUMP_SIZE,                           \
      .dump_size = QEMU_SIZEOF_FIFO8 }

static const vms_desc serial_recv_fifo = {
    .name = "serial/recv_fifo",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = recv_fifo_needed,
    VMS_FIELDS(FIFO_FIELD(recv_fifo)),
};

static const vms_desc serial_xmit_fifo = {
    .name = "serial/xmit_fifo",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = xmit_fifo_needed,
    VMS_FIELDS(FIFO_FIELD(xmit_fifo)),
};

static const vms_desc serial_fifo_timeout_timer = {
    .name = "serial/fifo_timeout_timer",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = fifo_timeout_timer_needed,
    VMS_FIELDS(VMS_TIMER(fifo_timeout_timer, ex_serial_state)),
};

static const vms_desc serial_timeout_ipending = {
    .name = "serial/timeout_ipending",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = timeout_ipending_needed,
    VMS_FIELDS(VMS_INT32(timeout_ipending, ex_serial_state)),
};

static const vms_desc serial_poll = {
    .name = "serial/poll",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = poll_needed,
    VMS_FIELDS(VMS_INT32(poll_msl, ex_serial_state),
               VMS_TIMER(modem_status_poll, ex_serial_state)),
};

static const vms_desc serial_state_desc = {
    .name = "serial",
    .version_id = 3,
    .minimum_version_id = 2,
    .pre_load = serial_pre_load,
    .post_load = serial_post_load,
    VMS_FIELDS(
        VMS_UINT16_V(divider, ex_serial_state, 2),
        VMS_UINT8(rbr, ex_serial_state),
        VMS_UINT8(ier, ex_serial_state),
        VMS_UINT8(iir, ex_serial_state),
        VMS_UINT8(lcr, ex_serial_state),
        VMS_UINT8(mcr, ex_serial_state),
        VMS_UINT8(lsr, ex_serial_state),
        VMS_UINT8(msr, ex_serial_state),
        VMS_UINT8(scr, ex_serial_state),
        VMS_UINT8_V(fcr_vmstate, ex_serial_state, 3),
    ),
    VMS_SUBSECTIONS(&serial_thr_ipending, &serial_tsr, &serial_recv_fifo,
                    &serial_xmit_fifo, &serial_fifo_timeout_timer,
                    &serial_timeout_ipending, &serial_poll),
};

const vms_desc ex_serial_desc = {
    .name = "serial",
    .version_id = 3,
    .minimum_version_id = 2,
    VMS_FIELDS(
        { .name = "state", .type = VMS_TYPE_STRUCT,
          .vmsd = &serial_state_desc, .offset = offsetof(ex_serial, state),
          .size = sizeof(ex_serial_state), .flags = VMS_F_DUMP_SIZE,
          .dump_size = QEMU_SIZEOF_SERIALSTATE },
    ),
};

/* ---- i8254 PIT ----------------------------------------------------------- */

static const vms_desc pit_channel_desc = {
    .name = "pit channel",
    .version_id = 2,
    .minimum_version_id = 2,
    VMS_FIELDS(
        VMS_INT32(count, ex_pit_channel),
        VMS_UINT16(latched_count, ex_pit_channel),
        VMS_UINT8(count_latched, ex_pit_channel),
        VMS_UINT8(status_latched, ex_pit_channel),
        VMS_UINT8(status, ex_pit_channel),
        VMS_UINT8(read_state, ex_pit_channel),
        VMS_UINT8(write_state, ex_pit_channel),
        VMS_UINT8(write_latch, ex_pit_channel),
        VMS_UINT8(rw_mode, ex_pit_channel),
        VMS_UINT8(mode, ex_pit_channel),
        VMS_UINT8(bcd, ex_pit_channel),
        VMS_UINT8(gate, ex_pit_channel),
        VMS_INT64(count_load_time, ex_pit_channel),
        VMS_INT64(next_transition_time, ex_pit_channel),
    ),
};

#define PIT_FIELDS                                                         \
    VMS_UINT32_V(channels[0].irq_disabled, ex_pit, 3),                     \
    { .name = "channels", .type = VMS_TYPE_STRUCT,                         \
      .vmsd = &pit_channel_desc, .offset = offsetof(ex_pit, channels),     \
      .size = sizeof(ex_pit_channel), .flags = VMS_F_ARRAY |               \
      VMS_F_DUMP_SIZE, .num = 3, .version_id = 2,                          \
      .dump_size = QEMU_SIZEOF_PITCHANNEL },                               \
    VMS_INT64(channels[0].next_transition_time, ex_pit)

const vms_desc ex_pit_desc_v1 = {
    .name = "i8254",
    .version_id = 3,
    .minimum_version_id = 2,
    VMS_FIELDS(PIT_FIELDS),
};

/* Variant 2: version 4 carries a new field; older streams lack it. */
const vms_desc ex_pit_desc_v2 = {
    .name = "i8254",
    .version_id = 4,
    .minimum_version_id = 2,
    VMS_FIELDS(PIT_FIELDS, VMS_UINT8_V(hpet_legacy, ex_pit, 4)),
};

/* ---- PCIDevice, PIIX3 ------------------------------------------------- */

static bool pci_is_not_pcie(void *opaque, int version_id)
{
    (void)version_id;
    return !((ex_pcidev *)opaque)->is_pcie;
}

static bool pci_is_pcie(void *opaque, int version_id)
{
    (void)version_id;
    return ((ex_pcidev *)opaque)->is_pcie;
}

static const vms_desc pcidev_desc = {
    .name = "PCIDevice",
    .version_id = 2,
    .minimum_version_id = 1,
    VMS_FIELDS(
        VMS_INT32_LE(version_id, ex_pcidev),
        { .name = "config", .type = VMS_TYPE_RAW, .type_name = "pci config",
          .offset = offsetof(ex_pcidev, config), .size = 256,
          .field_exists = pci_is_not_pcie },
        { .name = "config", .type = VMS_TYPE_RAW, .type_name = "pci config",
          .offset = offsetof(ex_pcidev, config), .size = 4096,
          .field_exists = pci_is_pcie },
        { .name = "irq_state", .type = VMS_TYPE_RAW,
          .type_name = "pci irq state",
          .offset = offsetof(ex_pcidev, irq_state), .size = 16,
          .version_id = 2 },
    ),
};

#define PCI_DEVICE_FIELD(m, s)                                             \
    { .name = #m, .type = VMS_TYPE_STRUCT, .vmsd = &pcidev_desc,           \
      .offset = offsetof(s, m), .size = sizeof(ex_pcidev),                 \
      .flags = VMS_F_DUMP_SIZE, .dump_size = QEMU_SIZEOF_PCIDEVICE }

static bool piix3_rcr_needed(void *opaque, const vms_desc *self)
{
    (void)self;
    return ((ex_piix3 *)opaque)->rcr != 0;
}

static const vms_desc piix3_rcr = {
    .name = "PIIX3/rcr",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = piix3_rcr_needed,
    VMS_FIELDS(VMS_UINT8(rcr, ex_piix3)),
};

const vms_desc ex_piix3_desc = {
    .name = "PIIX3",
    .version_id = 3,
    .minimum_version_id = 2,
    VMS_FIELDS(
        PCI_DEVICE_FIELD(dev, ex_piix3),
        VMS_INT32_ARRAY_V(pci_irq_levels_vmstate, ex_piix3, 4, 3),
    ),
    VMS_SUBSECTIONS(&piix3_rcr),
};

/* ---- e1000 --------------------------------------------------------------- */

/* Register indices into mac_reg: QEMU's names, so fields read as QEMU's. */
enum {
    CTRL = 0x0000 >> 2, STATUS = 0x0008 >> 2, EECD = 0x0010 >> 2,
    EERD = 0x0014 >> 2, MDIC = 0x0020 >> 2, VET = 0x0038 >> 2,
    ICR = 0x00c0 >> 2, ITR = 0x00c4 >> 2, ICS = 0x00c8 >> 2,
    IMS = 0x00d0 >> 2, IMC = 0x00d8 >> 2, RCTL = 0x0100 >> 2,
    TCTL = 0x0400 >> 2, LEDCTL = 0x0e00 >> 2, PBA = 0x1000 >> 2,
    RDBAL = 0x2800 >> 2, RDBAH = 0x2804 >> 2, RDLEN = 0x2808 >> 2,
    RDH = 0x2810 >> 2, RDT = 0x2818 >> 2, RDTR = 0x2820 >> 2,
    RADV = 0x282c >> 2, TDBAL = 0x3800 >> 2, TDBAH = 0x3804 >> 2,
    TDLEN = 0x3808 >> 2, TDH = 0x3810 >> 2, TDT = 0x3818 >> 2,
    TXDCTL = 0x3828 >> 2, TADV = 0x382c >> 2, MPC = 0x4010 >> 2,
    GPRC = 0x4074 >> 2, GPTC = 0x4080 >> 2, TORL = 0x40c0 >> 2,
    TORH = 0x40c4 >> 2, TOTL = 0x40c8 >> 2, TOTH = 0x40cc >> 2,
    TPR = 0x40d0 >> 2, TPT = 0x40d4 >> 2, MTA = 0x5200 >> 2,
    RA = 0x5400 >> 2, VFTA = 0x5600 >> 2, WUFC = 0x5808 >> 2,
    MANC = 0x5820 >> 2, SWSM = 0x5b50 >> 2,
};

static bool e1000_is_version_1(void *opaque, int version_id)
{
    (void)opaque;
    return version_id == 1;
}

static bool e1000_mit_needed(void *opaque, const vms_desc *self)
{
    (void)self;
    return ((ex_e1000 *)opaque)->compat_flags & EX_E1000_FLAG_MIT;
}

static bool e1000_full_mac_needed(void *opaque, const vms_desc *self)
{
    (void)self;
    return ((ex_e1000 *)opaque)->compat_flags & EX_E1000_FLAG_MAC;
}

static bool e1000_tso_needed(void *opaque, const vms_desc *self)
{
    (void)self;
    return ((ex_e1000 *)opaque)->compat_flags & EX_E1000_FLAG_TSO;
}

#define MAC(r) VMS_UINT32(mac_reg[r], ex_e1000)
/* QEMU's VMSTATE_UINT32_SUB_ARRAY: part of mac_reg, named "mac_reg". */
#define MAC_SUB(first, n)                                                  \
    { .name = "mac_reg", .type = VMS_TYPE_UINT32,                          \
      .offset = offsetof(ex_e1000, mac_reg) + (first) * sizeof(uint32_t),  \
      .size = sizeof(uint32_t), .flags = VMS_F_ARRAY, .num = (n) }

static const vms_desc e1000_mit_state = {
    .name = "e1000/mit_state",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = e1000_mit_needed,
    VMS_FIELDS(MAC(RDTR), MAC(RADV), MAC(TADV), MAC(ITR),
               VMS_BOOL(mit_irq_level, ex_e1000)),
};

static const vms_desc e1000_full_mac_state = {
    .name = "e1000/full_mac_state",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = e1000_full_mac_needed,
    VMS_FIELDS(VMS_UINT32_ARRAY(mac_reg, ex_e1000, 0x8000)),
};

#define TSO(m) VMS_UINT8(tx.tso_props.m, ex_e1000)
static const vms_desc e1000_tx_tso_state = {
    .name = "e1000/tx_tso_state",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = e1000_tso_needed,
    VMS_FIELDS(TSO(ipcss), TSO(ipcso),
               VMS_UINT16(tx.tso_props.ipcse, ex_e1000),
               TSO(tucss), TSO(tucso),
               VMS_UINT16(tx.tso_props.tucse, ex_e1000),
               VMS_UINT32(tx.tso_props.paylen, ex_e1000),
               TSO(hdr_len),
               VMS_UINT16(tx.tso_props.mss, ex_e1000),
               VMS_INT8(tx.tso_props.ip, ex_e1000),
               VMS_INT8(tx.tso_props.tcp, ex_e1000)),
};

const vms_desc ex_e1000_desc = {
    .name = "e1000",
    .version_id = 2,
    .minimum_version_id = 1,
    VMS_FIELDS(
        PCI_DEVICE_FIELD(parent_obj, ex_e1000),
        { .name = "unused", .type = VMS_TYPE_UNUSED,
          .offset = VMS_NO_STORAGE, .size = 4,
          .field_exists = e1000_is_version_1 },
        VMS_UNUSED(4),
        VMS_UINT32(rxbuf_size, ex_e1000),
        VMS_UINT32(rxbuf_min_shift, ex_e1000),
        VMS_UINT32(eecd_state.val_in, ex_e1000),
        VMS_UINT16(eecd_state.bitnum_in, ex_e1000),
        VMS_UINT16(eecd_state.bitnum_out, ex_e1000),
        VMS_UINT16(eecd_state.reading, ex_e1000),
        VMS_UINT32(eecd_state.old_eecd, ex_e1000),
        VMS_UINT8(mig_props.ipcss, ex_e1000),
        VMS_UINT8(mig_props.ipcso, ex_e1000),
        VMS_UINT16(mig_props.ipcse, ex_e1000),
        VMS_UINT8(mig_props.tucss, ex_e1000),
        VMS_UINT8(mig_props.tucso, ex_e1000),
        VMS_UINT16(mig_props.tucse, ex_e1000),
        VMS_UINT32(mig_props.paylen, ex_e1000),
        VMS_UINT8(mig_props.hdr_len, ex_e1000),
        VMS_UINT16(mig_props.mss, ex_e1000),
        VMS_UINT16(tx.size, ex_e1000),
        VMS_UINT16(tx.tso_frames, ex_e1000),
        VMS_UINT8(tx.sum_needed, ex_e1000),
        VMS_INT8(mig_props.ip, ex_e1000),
        VMS_INT8(mig_props.tcp, ex_e1000),
        VMS_BUFFER(tx.header, ex_e1000),
        VMS_BUFFER(tx.data, ex_e1000),
        VMS_UINT16_ARRAY(eeprom_data, ex_e1000, 64),
        VMS_UINT16_ARRAY(phy_reg, ex_e1000, 32),
        MAC(CTRL), MAC(EECD), MAC(EERD), MAC(GPRC), MAC(GPTC), MAC(ICR),
        MAC(ICS), MAC(IMC), MAC(IMS), MAC(LEDCTL), MAC(MANC), MAC(MDIC),
        MAC(MPC), MAC(PBA), MAC(RCTL), MAC(RDBAH), MAC(RDBAL), MAC(RDH),
        MAC(RDLEN), MAC(RDT), MAC(STATUS), MAC(SWSM), MAC(TCTL), MAC(TDBAH),
        MAC(TDBAL), MAC(TDH), MAC(TDLEN), MAC(TDT), MAC(TORH), MAC(TORL),
        MAC(TOTH), MAC(TOTL), MAC(TPR), MAC(TPT), MAC(TXDCTL), MAC(WUFC),
        MAC(VET),
        MAC_SUB(RA, 32),
        MAC_SUB(MTA, 128),
        MAC_SUB(VFTA, 128),
    ),
    VMS_SUBSECTIONS(&e1000_mit_state, &e1000_full_mac_state,
                    &e1000_tx_tso_state),
};

/* ---- the machine ------------------------------------------------------ */

/*
 * PCI config space as QEMU 7.2 has it once SeaBIOS ran (taken from a real
 * stream): QEMU refuses a config whose read-only bits differ from its own.
 */
typedef struct cfg_byte {
    uint8_t at, value;
} cfg_byte;

static const cfg_byte piix3_config[] = {
    { 0x00, 0x86 }, { 0x01, 0x80 }, { 0x03, 0x70 }, { 0x04, 0x03 },
    { 0x05, 0x01 }, { 0x07, 0x02 }, { 0x0a, 0x01 }, { 0x0b, 0x06 },
    { 0x0e, 0x80 }, { 0x2c, 0xf4 }, { 0x2d, 0x1a }, { 0x2f, 0x11 },
    { 0x4c, 0x4d }, { 0x4e, 0x03 }, { 0x60, 0x0a }, { 0x61, 0x0a },
    { 0x62, 0x0b }, { 0x63, 0x0b }, { 0x69, 0x02 }, { 0x70, 0x80 },
    { 0x76, 0x0c }, { 0x77, 0x0c }, { 0x78, 0x02 }, { 0xa0, 0x08 },
    { 0xa8, 0x0f },
};

static const cfg_byte e1000_config[] = {
    { 0x00, 0x86 }, { 0x01, 0x80 }, { 0x02, 0x0e }, { 0x03, 0x10 },
    { 0x04, 0x07 }, { 0x05, 0x01 }, { 0x08, 0x03 }, { 0x0b, 0x02 },
    { 0x12, 0xbc }, { 0x13, 0xfe }, { 0x14, 0x01 }, { 0x15, 0xc0 },
    { 0x2c, 0xf4 }, { 0x2d, 0x1a }, { 0x2f, 0x11 }, { 0x32, 0xb4 },
    { 0x33, 0xfe }, { 0x3c, 0x0a }, { 0x3d, 0x01 },
};

static void pci_init(ex_pcidev *d, const cfg_byte *cfg, size_t n)
{
    d->version_id = 2;
    for (size_t i = 0; i < n; i++) {
        d->config[cfg[i].at] = cfg[i].value;
    }
}

int ex_pc_init(ex_pc *pc, int variant, uint64_t ram_size, vms_error *err)
{
    memset(pc, 0, sizeof(*pc));
    if (variant != 1 && variant != 2) {
        return vms_error_set(err, VMS_EINVAL, "variant %d is not 1 or 2",
                             variant);
    }
    pc->variant = variant;
    pc->e1000 = calloc(1, sizeof(*pc->e1000));
    pc->ram = ram_size ? calloc(1, ram_size) : NULL;
    if (!pc->e1000 || (ram_size && !pc->ram)) {
        ex_pc_free(pc);
        return vms_error_set(err, VMS_ENOMEM, "out of memory");
    }
    pc->ram_size = ram_size;
    for (int i = 0; i < 2; i++) {
        pc->pic[i].imr = 0xff;
        pc->pic[i].irq_base = i ? 0x70 : 0x08;
    }
    pc->rtc.periodic_timer = -1;
    pc->rtc.update_timer = -1;
    pc->serial.state.divider = 0x0c;
    pc->serial.state.iir = 0x01;
    pc->serial.state.lsr = 0x60;
    pc->serial.state.msr = 0xb0;
    pc->serial.state.fifo_timeout_timer = -1;
    pc->serial.state.modem_status_poll = -1;
    pc->serial.state.poll_msl = -1;
    for (int i = 0; i < 3; i++) {
        pc->pit.channels[i].mode = 3;
        pc->pit.channels[i].gate = i != 2;
        pc->pit.channels[i].count = 0x10000;
    }
    pci_init(&pc->piix3.dev, piix3_config,
             sizeof(piix3_config) / sizeof(piix3_config[0]));
    pci_init(&pc->e1000->parent_obj, e1000_config,
             sizeof(e1000_config) / sizeof(e1000_config[0]));
    pc->e1000->compat_flags = EX_E1000_FLAG_MIT | EX_E1000_FLAG_MAC |
                              EX_E1000_FLAG_TSO;
    pc->e1000->rxbuf_size = 2048;
    pc->e1000->rxbuf_min_shift = 1;
    return 0;
}

void ex_pc_free(ex_pc *pc)
{
    free(pc->e1000);
    free(pc->ram);
    pc->e1000 = NULL;
    pc->ram = NULL;
}

/* xorshift64*: reproducible from the seed the tests print. */
static uint64_t next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static void fill(uint64_t *s, void *p, size_t n)
{
    uint8_t *b = p;

    for (size_t i = 0; i < n; i++) {
        b[i] = (uint8_t)(next(s) >> 32);
    }
}

#define RND(s, x) fill((s), &(x), sizeof(x))

void ex_pc_randomize(ex_pc *pc, uint64_t seed)
{
    uint64_t s = seed ? seed : 1;
    ex_serial_state *ss = &pc->serial.state;
    ex_e1000 *e = pc->e1000;
    bool is_pcie;
    uint32_t flags;

    for (int i = 0; i < 2; i++) {
        uint64_t counts[8];
        memcpy(counts, pc->pic[i].irq_count, sizeof(counts));
        RND(&s, pc->pic[i]);
        /* Only variant 2 migrates the counts. */
        memcpy(pc->pic[i].irq_count, counts, sizeof(counts));
    }
    RND(&s, pc->rtc);
    RND(&s, *ss);
    /* Values a device never holds would not survive post_load. */
    if (ss->thr_ipending < 0) {
        ss->thr_ipending = 0;
    }
    ss->recv_fifo.num &= 15;
    ss->xmit_fifo.num &= 15;
    for (int i = 0; i < 3; i++) {
        RND(&s, pc->pit.channels[i]);
    }
    if (pc->variant == 2) {
        RND(&s, pc->pit.hpet_legacy);
    }
    RND(&s, pc->piix3.dev.config);
    RND(&s, pc->piix3.dev.irq_state);
    RND(&s, pc->piix3.pci_irq_levels_vmstate);
    RND(&s, pc->piix3.rcr);
    is_pcie = e->parent_obj.is_pcie;
    flags = e->compat_flags;
    RND(&s, *e);
    e->parent_obj.is_pcie = is_pcie;
    e->compat_flags = flags;
    {
        /* A bool's byte may only hold 0 or 1. */
        uint8_t raw;
        memcpy(&raw, &e->mit_irq_level, 1);
        e->mit_irq_level = raw & 1;
    }
    /* Not state: QEMU's PCI config layout version, checked on load. */
    pc->piix3.dev.version_id = 2;
    e->parent_obj.version_id = 2;
}

int ex_pc_register(ex_pc *pc, vms_vm *vm, unsigned mask, vms_error *err)
{
    const vms_desc *pic = pc->variant == 2 ? &ex_pic_desc_v2
                                           : &ex_pic_desc_v1;
    const vms_desc *pit = pc->variant == 2 ? &ex_pit_desc_v2
                                           : &ex_pit_desc_v1;
    int e = 0;

    if (mask & EX_DEV_PIC) {
        e = vms_vm_register(vm, "i8259", 0, "isa-i8259", pic, &pc->pic[0],
                            err);
        e = e ? e : vms_vm_register(vm, "i8259", 1, "isa-i8259", pic,
                                    &pc->pic[1], err);
    }
    if (!e && (mask & EX_DEV_RTC)) {
        e = vms_vm_register(vm, "mc146818rtc", 0, "mc146818rtc",
                            &ex_rtc_desc, &pc->rtc, err);
    }
    if (!e && (mask & EX_DEV_PIT)) {
        e = vms_vm_register(vm, "i8254", 0, "isa-pit", pit, &pc->pit, err);
    }
    if (!e && (mask & EX_DEV_PIIX3)) {
        e = vms_vm_register(vm, "0000:00:01.0/PIIX3", 0, "PIIX3",
                            &ex_piix3_desc, &pc->piix3, err);
    }
    if (!e && (mask & EX_DEV_E1000)) {
        e = vms_vm_register(vm, "0000:00:02.0/e1000", 0, "e1000",
                            &ex_e1000_desc, pc->e1000, err);
    }
    if (!e && (mask & EX_DEV_SERIAL)) {
        e = vms_vm_register(vm, "serial", 0, "isa-serial", &ex_serial_desc,
                            &pc->serial, err);
    }
    if (!e && pc->ram_size) {
        e = vms_vm_add_ram(vm, "pc.ram", pc->ram, pc->ram_size, err);
    }
    return e;
}

void ex_pc_demo_state(ex_pc *pc)
{
    static const char hello[] = "libvmstate demo";

    pc->pic[0].imr = 0xb8;
    pc->pic[0].irq_base = 0x08;
    pc->pic[1].imr = 0x8f;
    pc->pic[1].irq_base = 0x70;
    pc->pic[1].priority_add = 3;
    pc->pic[1].read_reg_select = 1;
    pc->pic[1].special_fully_nested_mode = 1;
    pc->pic[1].elcr = 0x0c;
    pc->rtc.cmos_index = 0x0d;
    pc->rtc.cmos_data[0x0d] = 0x80;           /* valid RAM and time */
    pc->serial.state.scr = 0x5a;
    pc->pit.channels[0].count = 0x1234;
    pc->e1000->mac_reg[0x5400 >> 2] = 0x12005452;    /* RA: 52:54:00:12 */
    if (pc->ram_size >= 0x101000) {
        uint32_t *words = (uint32_t *)(pc->ram + 0x100000);
        for (uint32_t i = 0; i < 1024; i++) {
            words[i] = 0x76730000u + i;
        }
        memcpy(pc->ram + 0x2000, hello, sizeof(hello));
    }
}

