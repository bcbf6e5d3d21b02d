/*
 * io_leak_ioctl.c - leaks 256 bytes of pool (tag DcIo) on each IOCTL_DC_ALLOC (0x222004); every other call is clean.
 * The device, its codes and the shared code: io_common.h.
 * Real Windows: pool tag DcIo grows 256 bytes per ALLOC call; Verifier bugchecks 0xC4/0x62 at unload.
 * Wine lab: one unfreed 256-byte allocation per ALLOC call in the pool trace.
 */
#define DC_NAME "io_leak_ioctl"
#define DC_IO_DEVICE L"DcIoLeak"
#define DC_IO_DEVICE_A "DcIoLeak"
#define DC_IO_LEAK_ALLOC 1
#include "io_common.h"
