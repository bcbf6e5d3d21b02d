/*
 * host_keeper.c - not a test subject: the lab's driver-host keeper.
 *
 * What it does: nothing. DriverEntry sets an empty DriverUnload and returns
 * STATUS_SUCCESS; it allocates no pool, creates no device and prints nothing.
 *
 * Why: on Wine, drivers with the same load-order group share one
 * winedevice.exe, which lives while any of them runs. The lab starts this
 * driver in the group of the driver under test, so that driver is loaded and
 * unloaded in one long-lived host (as a Windows driver is in one kernel),
 * not in a new process per start. Because it allocates nothing, every pool
 * allocation traced in that host while the driver under test is loaded is
 * the driver under test's (or ntoskrnl's, freed with its IRP).
 *
 * Real Windows: start OK -> RUNNING; stop OK -> STOPPED (never used there).
 * Wine lab: the same.
 */
#define DC_NAME "host_keeper"
#include "common.h"

static VOID NTAPI KeeperUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = KeeperUnload;
    return STATUS_SUCCESS;
}
