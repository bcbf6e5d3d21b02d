/*
 * host_keeper.c - not a test subject: the lab's driver-host keeper.
 *
 * What it does: DriverEntry creates one device named after its service
 * (\Device\<service>, \DosDevices\<service>) that completes every create,
 * close and IOCTL at once with STATUS_SUCCESS; DriverUnload deletes both. It
 * allocates no pool and prints nothing.
 *
 * Why it exists: on Wine, drivers with the same load-order group share one
 * winedevice.exe, which lives while any of them runs. The lab starts this
 * driver in the group of the driver under test, so that driver is loaded and
 * unloaded in one long-lived host (as a Windows driver is in one kernel),
 * not in a new process per start. Because it allocates nothing, every pool
 * allocation traced in that host while the driver under test is loaded is
 * the driver under test's (or ntoskrnl's, freed with its IRP).
 *
 * Why the device: Wine's CloseHandle does not wait for the driver's
 * IRP_MJ_CLOSE, and the host runs a stop's DriverUnload on its service
 * thread while its one IRP thread may still be dispatching that close (on
 * Windows the unload waits for the device's last reference). The host's IRP
 * thread takes requests in order, so an IOCTL to this device, made after the
 * driver's handle is closed, comes back only once the driver's close
 * routine has returned: the lab's agent makes it before every stop
 * (src/target/io-run.ts, hostBarrier).
 *
 * Real Windows: start OK -> RUNNING; stop OK -> STOPPED (never used there).
 * Wine lab: the same.
 */
#define DC_NAME "host_keeper"
#include "common.h"

#define KEEPER_NAME_CHARS 64

static WCHAR KeeperDeviceBuffer[sizeof(L"\\Device\\") / sizeof(WCHAR) + KEEPER_NAME_CHARS];
static WCHAR KeeperLinkBuffer[sizeof(L"\\DosDevices\\") / sizeof(WCHAR) + KEEPER_NAME_CHARS];
static UNICODE_STRING KeeperDevice;
static UNICODE_STRING KeeperLink;

/* prefix + the last component of the service's registry path, into buffer. */
static BOOLEAN KeeperName(UNICODE_STRING *out, WCHAR *buffer, USHORT capacity, const WCHAR *prefix,
                          const UNICODE_STRING *registryPath)
{
    USHORT chars = registryPath->Length / sizeof(WCHAR);
    USHORT start = chars;
    USHORT used = 0;
    while (start > 0 && registryPath->Buffer[start - 1] != L'\\')
        start--;
    if (start == chars || chars - start > KEEPER_NAME_CHARS)
        return FALSE;
    for (; prefix[used] != 0; used++)
        buffer[used] = prefix[used];
    for (USHORT i = start; i < chars; i++)
        buffer[used++] = registryPath->Buffer[i];
    if (used >= capacity)
        return FALSE;
    buffer[used] = 0;
    out->Buffer = buffer;
    out->Length = used * sizeof(WCHAR);
    out->MaximumLength = capacity * sizeof(WCHAR);
    return TRUE;
}

static NTSTATUS NTAPI KeeperComplete(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static VOID NTAPI KeeperUnload(PDRIVER_OBJECT DriverObject)
{
    IoDeleteSymbolicLink(&KeeperLink);
    if (DriverObject->DeviceObject != NULL)
        IoDeleteDevice(DriverObject->DeviceObject);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PDEVICE_OBJECT device = NULL;
    NTSTATUS status;
    if (!KeeperName(&KeeperDevice, KeeperDeviceBuffer, ARRAYSIZE(KeeperDeviceBuffer), L"\\Device\\",
                    RegistryPath) ||
        !KeeperName(&KeeperLink, KeeperLinkBuffer, ARRAYSIZE(KeeperLinkBuffer), L"\\DosDevices\\",
                    RegistryPath))
        return STATUS_INVALID_PARAMETER;
    status = IoCreateDevice(DriverObject, 0, &KeeperDevice, FILE_DEVICE_UNKNOWN, 0, FALSE, &device);
    if (!NT_SUCCESS(status))
        return status;
    status = IoCreateSymbolicLink(&KeeperLink, &KeeperDevice);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(device);
        return status;
    }
    DriverObject->MajorFunction[IRP_MJ_CREATE] = KeeperComplete;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = KeeperComplete;
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = KeeperComplete;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = KeeperComplete;
    DriverObject->DriverUnload = KeeperUnload;
    device->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
