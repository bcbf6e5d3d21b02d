/*
 * io_hang_create.c - never completes an open: IRP_MJ_CREATE is marked pending and kept, with a cancel routine that completes it with STATUS_CANCELLED.
 * The device, its codes and the shared code: io_common.h.
 * Real Windows: CreateFileW on \\.\DcIoHangCreate blocks in the I/O manager until the create is cancelled (CancelSynchronousIo on the opening thread).
 * Wine lab: see drivers/BUILD-NOTES.md (what Wine 8 does with a create the driver leaves pending).
 */
#define DC_NAME "io_hang_create"
#define DC_IO_DEVICE L"DcIoHangCreate"
#define DC_IO_DEVICE_A "DcIoHangCreate"
#define DC_IO_PEND_CREATE 1
#include "io_common.h"
