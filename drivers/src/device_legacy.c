/*
 * device_legacy.c - legacy (non-PnP) driver with a named device and symlink.
 *
 * What it does: DriverEntry creates \Device\DrvcycleSample (FILE_DEVICE_UNKNOWN)
 * and the symbolic link \DosDevices\DrvcycleSample, and handles IRP_MJ_CREATE
 * and IRP_MJ_CLOSE by completing them with STATUS_SUCCESS (so
 * CreateFile("\\\\.\\DrvcycleSample") / CloseHandle work from user mode).
 * If any step fails, what was already done is undone before returning the
 * error. DriverUnload deletes the symbolic link and the device.
 *
 * Real Windows: start OK -> RUNNING, \\.\DrvcycleSample opens; stop OK ->
 * STOPPED and the link is gone. A second load while the first is still
 * loaded would fail with STATUS_OBJECT_NAME_COLLISION (Win32 183), which is
 * what a leaked device/link would cause.
 * Wine lab: start OK -> RUNNING (4); stop OK -> STOPPED (1).
 */
#define DC_NAME "device_legacy"
#include "common.h"

#define DEVICE_NAME L"\\Device\\DrvcycleSample"
#define LINK_NAME   L"\\DosDevices\\DrvcycleSample"

static NTSTATUS NTAPI DeviceCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);

    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static VOID NTAPI DeviceUnload(PDRIVER_OBJECT DriverObject)
{
    UNICODE_STRING link;

    RtlInitUnicodeString(&link, LINK_NAME);
    IoDeleteSymbolicLink(&link);
    if (DriverObject->DeviceObject != NULL)
        IoDeleteDevice(DriverObject->DeviceObject);
    DC_LOG("DriverUnload: symbolic link and device deleted");
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING deviceName, link;
    PDEVICE_OBJECT device = NULL;
    NTSTATUS status;
    UNREFERENCED_PARAMETER(RegistryPath);

    RtlInitUnicodeString(&deviceName, DEVICE_NAME);
    RtlInitUnicodeString(&link, LINK_NAME);

    status = IoCreateDevice(DriverObject, 0, &deviceName, FILE_DEVICE_UNKNOWN,
                            FILE_DEVICE_SECURE_OPEN, FALSE, &device);
    if (!NT_SUCCESS(status)) {
        DC_LOG("DriverEntry: IoCreateDevice failed 0x%08lx", (unsigned long)status);
        return status;
    }

    status = IoCreateSymbolicLink(&link, &deviceName);
    if (!NT_SUCCESS(status)) {
        DC_LOG("DriverEntry: IoCreateSymbolicLink failed 0x%08lx", (unsigned long)status);
        IoDeleteDevice(device);  /* undo */
        return status;
    }

    DriverObject->MajorFunction[IRP_MJ_CREATE] = DeviceCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = DeviceCreateClose;
    DriverObject->DriverUnload = DeviceUnload;
    device->Flags &= ~DO_DEVICE_INITIALIZING;

    DC_LOG("DriverEntry: created \\Device\\DrvcycleSample and \\DosDevices\\DrvcycleSample");
    return STATUS_SUCCESS;
}
