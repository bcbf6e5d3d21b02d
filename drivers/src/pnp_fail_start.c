/*
 * pnp_fail_start.c - Plug and Play function driver that fails START_DEVICE.
 *
 * What it does: a WDM function driver (FDO on top of the PDO, see
 * pnp_common.h). At START_DEVICE it lets the lower driver start first, then
 * completes the IRP with STATUS_DEVICE_CONFIGURATION_ERROR (0xC0000182).
 * It allocates nothing.
 *
 * Real Windows: install -> DriverEntry, AddDevice, START_DEVICE; the failed
 * start makes the PnP manager send REMOVE_DEVICE at once (no QUERY_REMOVE,
 * no SURPRISE_REMOVAL), which deletes the FDO; with no device left the image
 * is unloaded (DriverUnload). The devnode stays with problem code 10
 * (CM_PROB_FAILED_START, "This device cannot start"); the installing call
 * itself may still report success.
 * Wine lab: install -> DriverEntry, AddDevice, START_DEVICE, but Wine 8's
 * PnP manager ignores the START status (seen in its ntoskrnl.exe: the
 * result of the START IRP is discarded): no REMOVE_DEVICE follows, the FDO
 * stays attached and no problem code is recorded. DIF_REMOVE then sends
 * SURPRISE_REMOVAL and REMOVE_DEVICE as for pnp_clean; the image stays
 * loaded until ControlService(STOP) runs DriverUnload -> STOPPED (1).
 */
#define DC_NAME "pnp_fail_start"
#include "pnp_common.h"

static NTSTATUS DcPnpOnStart(PDC_PNP_EXTENSION Ext)
{
    UNREFERENCED_PARAMETER(Ext);
    return STATUS_DEVICE_CONFIGURATION_ERROR;
}

static VOID DcPnpOnRemove(PDC_PNP_EXTENSION Ext)
{
    UNREFERENCED_PARAMETER(Ext);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    DC_LOG("DriverEntry");
    DcPnpInitDriver(DriverObject);
    return STATUS_SUCCESS;
}
