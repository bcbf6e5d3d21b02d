/*
 * pnp_crash_remove.c - Plug and Play function driver, NULL dereference in
 * REMOVE_DEVICE.
 *
 * What it does: a WDM function driver (FDO on top of the PDO, see
 * pnp_common.h). START_DEVICE succeeds and allocates nothing. At
 * REMOVE_DEVICE, after passing the IRP down, it writes through a NULL
 * pointer (volatile, kept by the compiler), so it never detaches or deletes
 * its FDO.
 *
 * Real Windows: install -> DriverEntry, AddDevice, START_DEVICE, the device
 * works; removal (DIF_REMOVE) -> QUERY_REMOVE_DEVICE, REMOVE_DEVICE ->
 * bugcheck (typically 0x7E SYSTEM_THREAD_EXCEPTION_NOT_HANDLED or 0x50),
 * the machine crashes and reboots.
 * Wine lab: install -> DriverEntry, AddDevice, START_DEVICE; DIF_REMOVE ->
 * SURPRISE_REMOVAL, REMOVE_DEVICE, then Wine prints "Unhandled page fault on
 * write access to 0000000000000000" and the winedevice.exe host dies.
 * Expected, not yet observed: Wine's setupapi sends the removal to the
 * driver's service as a ControlService call, whose failure it only logs
 * (ERR "Failed to control service ..."), so DIF_REMOVE itself still
 * succeeds; DriverUnload never runs and the service state afterwards is to
 * be checked (crash_in_unload left it at STOP_PENDING).
 */
#define DC_NAME "pnp_crash_remove"
#include "pnp_common.h"

static NTSTATUS DcPnpOnStart(PDC_PNP_EXTENSION Ext)
{
    UNREFERENCED_PARAMETER(Ext);
    return STATUS_SUCCESS;
}

static VOID DcPnpOnRemove(PDC_PNP_EXTENSION Ext)
{
    volatile ULONG *volatile target = NULL;
    UNREFERENCED_PARAMETER(Ext);

    *target = 0xDEADBEEF;
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    DC_LOG("DriverEntry");
    DcPnpInitDriver(DriverObject);
    return STATUS_SUCCESS;
}
