/*
 * pnp_io.c - a Plug and Play function driver found by its device interface:
 * the FDO of pnp_common.h that registers the interface class
 * {5C0F3A52-7D1E-4B8C-9E2A-1D3C5B7A9F01} for its PDO
 * (IoRegisterDeviceInterface) and enables it at START_DEVICE
 * (IoSetDeviceInterfaceState TRUE), disables and frees it at REMOVE_DEVICE.
 * Its FDO answers IRP_MJ_CREATE/CLOSE, the I/O samples' IOCTLs, reads and
 * writes itself (io_common.h's dispatch routines: IOCTL_DC_GET 0x222000,
 * IOCTL_DC_ALLOC 0x222004, IOCTL_DC_ECHO 0x22200B); every other IRP goes down
 * to the PDO as in the other PnP samples. An I/O table names it by its
 * interface GUID (drivers/io/pnp_io.json): drvcycle opens the first present
 * interface of the class (SetupAPI), not a \\.\ name. No pool is kept:
 * nothing leaks per cycle.
 *
 * Real Windows: installing the device loads the image, AddDevice, START_DEVICE;
 * the interface appears under DeviceClasses\{5C0F3A52-…} and its path opens
 * the device stack, whose top (this FDO) gets the IRPs.
 * Wine lab: see drivers/BUILD-NOTES.md (device interfaces on Wine 8).
 */
#define DC_NAME "pnp_io"
#include "pnp_common.h"
#define DC_IO_DISPATCH_ONLY 1
#include "io_common.h"

/* {5C0F3A52-7D1E-4B8C-9E2A-1D3C5B7A9F01} */
static const GUID DC_PNP_IO_INTERFACE = {
    0x5c0f3a52, 0x7d1e, 0x4b8c, {0x9e, 0x2a, 0x1d, 0x3c, 0x5b, 0x7a, 0x9f, 0x01}};

static NTSTATUS DcPnpOnStart(PDC_PNP_EXTENSION Ext)
{
    NTSTATUS status;

    if (Ext->Interface.Buffer == NULL) {
        status = IoRegisterDeviceInterface(Ext->Pdo, &DC_PNP_IO_INTERFACE, NULL, &Ext->Interface);
        if (!NT_SUCCESS(status)) {
            DC_LOG("IoRegisterDeviceInterface failed 0x%08lx", (unsigned long)status);
            return status;
        }
    }
    status = IoSetDeviceInterfaceState(&Ext->Interface, TRUE);
    if (!NT_SUCCESS(status)) {
        DC_LOG("IoSetDeviceInterfaceState(TRUE) failed 0x%08lx", (unsigned long)status);
        return status;
    }
    DC_LOG("interface enabled: %.*ws", (int)(Ext->Interface.Length / sizeof(WCHAR)), Ext->Interface.Buffer);
    return STATUS_SUCCESS;
}

static VOID DcPnpOnRemove(PDC_PNP_EXTENSION Ext)
{
    if (Ext->Interface.Buffer == NULL)
        return;
    IoSetDeviceInterfaceState(&Ext->Interface, FALSE);
    RtlFreeUnicodeString(&Ext->Interface);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    DC_LOG("DriverEntry");
    DcPnpInitDriver(DriverObject);
    /* The FDO serves the I/O itself instead of passing it down to the PDO. */
    DriverObject->MajorFunction[IRP_MJ_CREATE] = DcCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = DcCreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DcDeviceControl;
    DriverObject->MajorFunction[IRP_MJ_READ] = DcRead;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = DcWrite;
    return STATUS_SUCCESS;
}
