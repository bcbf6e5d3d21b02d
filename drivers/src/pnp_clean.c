/*
 * pnp_clean.c - the well-behaved Plug and Play function driver.
 *
 * What it does: a WDM function driver (FDO on top of the PDO, see
 * pnp_common.h). At START_DEVICE, once the lower driver has started, it
 * allocates 4 KiB of NonPagedPool (tag "DcPc") into the device extension
 * (kept across a STOP_DEVICE/START_DEVICE rebalance, not allocated twice);
 * at REMOVE_DEVICE it frees the block. SURPRISE_REMOVAL does nothing else
 * than pass the IRP down. Net pool change per install/remove cycle: zero.
 *
 * Real Windows: installing the device (SetupDi + UpdateDriverForPlugAndPlayDevices,
 * or pnputil / devcon) loads the image: DriverEntry, AddDevice, START_DEVICE;
 * the device has no problem code. Removing it (DIF_REMOVE) sends
 * QUERY_REMOVE_DEVICE then REMOVE_DEVICE (no SURPRISE_REMOVAL for an orderly
 * removal); once its last device is gone the PnP manager unloads the image
 * on its own (DriverUnload), no ControlService needed. Pool tag "DcPc" is at
 * 4096 bytes while the device is started and back to 0 after the removal.
 * Wine lab: install -> DriverEntry, AddDevice, START_DEVICE (ExAllocatePoolWithTag 4096
 * with trace+ntoskrnl). DIF_REMOVE -> SURPRISE_REMOVAL then REMOVE_DEVICE
 * (and the matching ExFreePoolWithTag); Wine sends no QUERY_REMOVE_DEVICE.
 * The image stays loaded after its last device goes; ControlService(STOP)
 * then runs DriverUnload -> STOPPED (1).
 */
#define DC_NAME "pnp_clean"
#include "pnp_common.h"

#define PNP_CLEAN_TAG  DC_TAG('D', 'c', 'P', 'c')
#define PNP_CLEAN_SIZE 4096

static NTSTATUS DcPnpOnStart(PDC_PNP_EXTENSION Ext)
{
    if (Ext->Buffer != NULL)
        return STATUS_SUCCESS;  /* restart after STOP_DEVICE: keep the block we have */

    Ext->Buffer = ExAllocatePoolWithTag(NonPagedPool, PNP_CLEAN_SIZE, PNP_CLEAN_TAG);
    if (Ext->Buffer == NULL) {
        DC_LOG("allocation failed");
        return STATUS_INSUFFICIENT_RESOURCES;  /* fails the start */
    }
    RtlZeroMemory(Ext->Buffer, PNP_CLEAN_SIZE);
    return STATUS_SUCCESS;
}

static VOID DcPnpOnRemove(PDC_PNP_EXTENSION Ext)
{
    if (Ext->Buffer != NULL) {
        ExFreePoolWithTag(Ext->Buffer, PNP_CLEAN_TAG);
        Ext->Buffer = NULL;
    }
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    DC_LOG("DriverEntry");
    DcPnpInitDriver(DriverObject);
    return STATUS_SUCCESS;
}
