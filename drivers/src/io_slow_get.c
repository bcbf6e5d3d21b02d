/*
 * io_slow_get.c - a later build of io_clean (the same device, \\.\DcIoClean): IOCTL_DC_GET
 * (0x222000) sleeps 500 ms before it answers; everything else as io_clean.
 * The device, its codes and the shared code: io_common.h.
 * Real Windows: get takes ~500 ms; every call ends with its expected status; no pool grows.
 * Wine lab: same (KeDelayExecutionThread in the dispatch routine, see drivers/BUILD-NOTES.md).
 */
#define DC_NAME "io_slow_get"
#define DC_IO_DEVICE L"DcIoClean"
#define DC_IO_DEVICE_A "DcIoClean"
#define DC_IO_SLOW_GET_MS 500
#include "io_common.h"
