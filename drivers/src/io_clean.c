/*
 * io_clean.c - answers every IOCTL, read and write of io_common.h correctly; frees all it allocates.
 * The device, its codes and the shared code: io_common.h.
 * Real Windows: every call of drivers/io/io_clean.json ends with its expected status; no pool grows.
 * Wine lab: same (see drivers/BUILD-NOTES.md).
 */
#define DC_NAME "io_clean"
#define DC_IO_DEVICE L"DcIoClean"
#define DC_IO_DEVICE_A "DcIoClean"

#include "io_common.h"
