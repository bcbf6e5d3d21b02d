/*
 * pnp_leak_start.c - Plug and Play function driver that leaks at every start.
 *
 * What it does: a WDM function driver (FDO on top of the PDO, see
 * pnp_common.h). At every START_DEVICE, once the lower driver has started,
 * it allocates 256 bytes of NonPagedPool (tag "DcPl") and drops the pointer;
 * nothing ever frees them. REMOVE_DEVICE and DriverUnload free nothing.
 * Net pool change: +256 bytes per START_DEVICE.
 *
 * Real Windows: install -> DriverEntry, AddDevice, START_DEVICE, the device
 * works (no problem code); removal (DIF_REMOVE) -> QUERY_REMOVE_DEVICE,
 * REMOVE_DEVICE, then the PnP manager unloads the image (DriverUnload).
 * Pool tag "DcPl" grows by 256 bytes per start (each install/enable, and each
 * STOP/START rebalance) and never returns to 0. With Driver Verifier pool
 * tracking on, the unload with outstanding allocations bugchecks
 * (0xC4, DRIVER_VERIFIER_DETECTED_VIOLATION, parameter 1 = 0x62).
 * Wine lab: install -> DriverEntry, AddDevice, START_DEVICE with one
 * ExAllocatePoolWithTag 256 and no free (trace+ntoskrnl); DIF_REMOVE ->
 * SURPRISE_REMOVAL, REMOVE_DEVICE; the image stays loaded after its last
 * device goes; ControlService(STOP) runs DriverUnload -> STOPPED (1).
 */
#define DC_NAME "pnp_leak_start"
#include "pnp_common.h"

#define PNP_LEAK_TAG  DC_TAG('D', 'c', 'P', 'l')
#define PNP_LEAK_SIZE 256

static NTSTATUS DcPnpOnStart(PDC_PNP_EXTENSION Ext)
{
    PVOID block;
    UNREFERENCED_PARAMETER(Ext);

    block = ExAllocatePoolWithTag(NonPagedPool, PNP_LEAK_SIZE, PNP_LEAK_TAG);
    if (block == NULL) {
        DC_LOG("allocation failed");
        return STATUS_INSUFFICIENT_RESOURCES;  /* fails the start */
    }
    RtlZeroMemory(block, PNP_LEAK_SIZE);
    return STATUS_SUCCESS;  /* block is deliberately lost */
}

static VOID DcPnpOnRemove(PDC_PNP_EXTENSION Ext)
{
    UNREFERENCED_PARAMETER(Ext);  /* frees nothing */
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    DC_LOG("DriverEntry");
    DcPnpInitDriver(DriverObject);
    return STATUS_SUCCESS;
}
