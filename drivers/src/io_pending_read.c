/*
 * io_pending_read.c - never completes a read: IRP_MJ_READ is marked pending with a cancel routine, which completes it with STATUS_CANCELLED.
 * The device, its codes and the shared code: io_common.h.
 * Real Windows: ReadFile stays pending until CancelIoEx (or CloseHandle); then STATUS_CANCELLED.
 * Wine lab: see drivers/BUILD-NOTES.md (what Wine does with CancelIoEx on a driver's pending IRP).
 */
#define DC_NAME "io_pending_read"
#define DC_IO_DEVICE L"DcIoPend"
#define DC_IO_DEVICE_A "DcIoPend"
#define DC_IO_PEND_READS 1
#include "io_common.h"
