/*
 * pnp_hang_remove.c - Plug and Play function driver whose REMOVE_DEVICE
 * never returns.
 *
 * What it does: a WDM function driver (FDO on top of the PDO, see
 * pnp_common.h). START_DEVICE succeeds and allocates nothing. At
 * REMOVE_DEVICE, after passing the IRP down, it waits on a notification
 * event that nobody ever signals (KeWaitForSingleObject with no timeout),
 * so the dispatch routine blocks forever and the FDO is never detached or
 * deleted.
 *
 * Real Windows: install -> DriverEntry, AddDevice, START_DEVICE, the device
 * works; removal (DIF_REMOVE) -> QUERY_REMOVE_DEVICE, REMOVE_DEVICE, which
 * never completes: the removal call does not return, the PnP manager's
 * device tree is blocked (other PnP operations stall, Device Manager hangs)
 * and the image is never unloaded; only a reboot clears it (a shutdown may
 * itself hang or bugcheck 0x9F).
 * Wine lab: install -> DriverEntry, AddDevice, START_DEVICE; DIF_REMOVE ->
 * SURPRISE_REMOVAL, REMOVE_DEVICE, then the winedevice.exe thread running
 * it blocks forever; the host process stays alive. Expected, not yet
 * observed: Wine's setupapi sends the removal to the driver's service as a
 * ControlService call, so DIF_REMOVE returns only after that call times out
 * (only logged by setupapi, DIF_REMOVE still succeeds); DriverUnload never
 * runs and ControlService(STOP) afterwards is expected to time out or be
 * refused (hang_in_unload gave 1053, then 1061).
 */
#define DC_NAME "pnp_hang_remove"
#include "pnp_common.h"

static KEVENT g_never;

static NTSTATUS DcPnpOnStart(PDC_PNP_EXTENSION Ext)
{
    UNREFERENCED_PARAMETER(Ext);
    return STATUS_SUCCESS;
}

static VOID DcPnpOnRemove(PDC_PNP_EXTENSION Ext)
{
    UNREFERENCED_PARAMETER(Ext);

    for (;;) {
        KeWaitForSingleObject(&g_never, Executive, KernelMode, FALSE, NULL);
        /* not reached: nothing signals g_never; loop in case of a spurious wake */
    }
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeEvent(&g_never, NotificationEvent, FALSE);
    DC_LOG("DriverEntry");
    DcPnpInitDriver(DriverObject);
    return STATUS_SUCCESS;
}
