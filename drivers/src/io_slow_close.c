/*
 * io_slow_close.c - io_clean's device and codes under its own name (\\.\DcIoSlowClose), with an
 * IRP_MJ_CLOSE that sleeps 300 ms; its DriverUnload writes through NULL if it runs while a close
 * is still in the driver. The device, its codes and the shared code: io_common.h.
 * Real Windows: the unload never overtakes the close (the I/O manager holds it until the device's
 * last reference is gone): every cycle passes.
 * Wine lab: CloseHandle does not wait for IRP_MJ_CLOSE and the host would run DriverUnload during
 * the close; the lab's agent waits for the host's IRP thread before each stop (the keeper's
 * device, src/target/host-barrier.ts), so every cycle passes there too. Without that wait the
 * first unload crashes the host.
 */
#define DC_NAME "io_slow_close"
#define DC_IO_DEVICE L"DcIoSlowClose"
#define DC_IO_DEVICE_A "DcIoSlowClose"
#define DC_IO_SLOW_CLOSE_MS 300
#include "io_common.h"
