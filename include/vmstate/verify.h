#ifndef VMSTATE_VERIFY_H
#define VMSTATE_VERIFY_H
#endif
