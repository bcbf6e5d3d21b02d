/*
 * io_crash_short.c - writes through NULL when IOCTL_DC_ALLOC (0x222004) gets fewer than 4 input bytes; a 4-byte input is fine.
 * The device, its codes and the shared code: io_common.h.
 * Real Windows: bugcheck (0x7E/0x3B, access violation in the dispatch routine).
 * Wine lab: the driver host (winedevice.exe) dies with 'Unhandled page fault on write access to 0000000000000000'.
 */
#define DC_NAME "io_crash_short"
#define DC_IO_DEVICE L"DcIoCrash"
#define DC_IO_DEVICE_A "DcIoCrash"
#define DC_IO_CRASH_SHORT 1
#include "io_common.h"
