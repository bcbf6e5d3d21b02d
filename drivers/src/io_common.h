/*
 * io_common.h - the I/O samples' shared driver: a legacy driver with a named
 * device (\Device\<DC_IO_DEVICE>, \DosDevices\<DC_IO_DEVICE>) that answers
 * IOCTLs, reads and writes, so drvcycle's I/O table has something to call
 * between load and unload. Each io_*.c defines DC_NAME, DC_IO_DEVICE and at
 * most one of the faults below, then includes this file:
 *
 *   DC_IO_LEAK_ALLOC   IOCTL_DC_ALLOC keeps its 256-byte block (never freed)
 *   DC_IO_CRASH_SHORT  IOCTL_DC_ALLOC with fewer than 4 input bytes writes
 *                      through a NULL pointer (a page fault in the dispatch)
 *   DC_IO_PEND_READS   IRP_MJ_READ is never completed: the IRP is marked
 *                      pending and waits for a cancel (its cancel routine
 *                      completes it with STATUS_CANCELLED)
 *   DC_IO_SLOW_GET_MS  IOCTL_DC_GET sleeps this many ms before it answers
 *   DC_IO_PEND_CREATE  IRP_MJ_CREATE is never completed: the IRP is marked
 *                      pending and kept, with a cancel routine that
 *                      completes it with STATUS_CANCELLED; DriverUnload
 *                      cancels one still held
 *   DC_IO_SLOW_CLOSE_MS IRP_MJ_CLOSE sleeps this many ms before it completes;
 *                      DriverUnload writes through NULL if it runs while a
 *                      close is still in the driver (what an unload that
 *                      frees state the close uses would meet; Windows never
 *                      unloads a driver during its close)
 *
 * With DC_IO_DISPATCH_ONLY the file stops after the dispatch routines (no
 * legacy device, DriverEntry or DriverUnload): a PnP sample serves the same
 * codes from its own FDO (pnp_io.c).
 *
 * The control codes (FILE_DEVICE_UNKNOWN, FILE_ANY_ACCESS):
 *   0x222000 IOCTL_DC_GET    (0x800, METHOD_BUFFERED) output >= 4: a ULONG
 *            counter; shorter: STATUS_BUFFER_TOO_SMALL
 *   0x222004 IOCTL_DC_ALLOC  (0x801, METHOD_BUFFERED) input >= 4: allocates
 *            256 bytes of pool (tag DcIo), frees it; shorter:
 *            STATUS_INVALID_PARAMETER
 *   0x22200B IOCTL_DC_ECHO   (0x802, METHOD_NEITHER) copies
 *            min(in, out) bytes from Type3InputBuffer to UserBuffer
 *   any other code: STATUS_INVALID_DEVICE_REQUEST
 * Reads return the bytes asked for (0xA5 each); writes take every byte.
 */
#ifndef DRVCYCLE_IO_COMMON_H
#define DRVCYCLE_IO_COMMON_H

#include "common.h"

#define IOCTL_DC_GET   CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_DC_ALLOC CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_DC_ECHO  CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_NEITHER, FILE_ANY_ACCESS)

#define DC_IO_TAG DC_TAG('D', 'c', 'I', 'o')
#define DC_IO_BLOCK 256

static ULONG DcIoCounter;

static NTSTATUS DcComplete(PIRP Irp, NTSTATUS status, ULONG_PTR information)
{
    Irp->IoStatus.Status = status;
    Irp->IoStatus.Information = information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

#ifdef DC_IO_SLOW_CLOSE_MS
static volatile LONG DcClosesInDriver;
#endif

static NTSTATUS NTAPI DcCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
#ifdef DC_IO_SLOW_CLOSE_MS
    if (IoGetCurrentIrpStackLocation(Irp)->MajorFunction == IRP_MJ_CLOSE) {
        InterlockedIncrement(&DcClosesInDriver);
        DcSleepMs(DC_IO_SLOW_CLOSE_MS);
        InterlockedDecrement(&DcClosesInDriver);
    }
#endif
    return DcComplete(Irp, STATUS_SUCCESS, 0);
}

#ifdef DC_IO_PEND_CREATE
/* The create the driver holds (one at a time: a second one fails with STATUS_DEVICE_BUSY). */
static PIRP volatile DcHeldCreate;

static VOID NTAPI DcCancelCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    IoReleaseCancelSpinLock(Irp->CancelIrql);
    InterlockedCompareExchangePointer((PVOID volatile *)&DcHeldCreate, NULL, Irp);
    DC_LOG("create cancelled");
    DcComplete(Irp, STATUS_CANCELLED, 0);
}

/* The bug: the open waits for a resource that never comes (until the create is cancelled). */
static NTSTATUS NTAPI DcCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    if (InterlockedCompareExchangePointer((PVOID volatile *)&DcHeldCreate, Irp, NULL) != NULL)
        return DcComplete(Irp, STATUS_DEVICE_BUSY, 0);
    DC_LOG("create held pending");
    IoMarkIrpPending(Irp);
    IoSetCancelRoutine(Irp, DcCancelCreate);
    if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL) {
        InterlockedCompareExchangePointer((PVOID volatile *)&DcHeldCreate, NULL, Irp);
        DcComplete(Irp, STATUS_CANCELLED, 0);
    }
    return STATUS_PENDING;
}

/* At unload: the create still held is cancelled, so the IRP is not lost with the image. */
static VOID DcReleaseHeldCreate(void)
{
    PIRP irp = (PIRP)InterlockedExchangePointer((PVOID volatile *)&DcHeldCreate, NULL);
    if (irp != NULL && IoSetCancelRoutine(irp, NULL) != NULL) {
        DC_LOG("create still held at unload: cancelled");
        DcComplete(irp, STATUS_CANCELLED, 0);
    }
}
#endif

static NTSTATUS DcAlloc(ULONG inLength)
{
    PVOID block;
#ifdef DC_IO_CRASH_SHORT
    /* The bug: a short request is looked up in a table that has no entry for it. */
    volatile ULONG *request = NULL;
    if (inLength < sizeof(ULONG)) {
        DC_LOG("IOCTL_DC_ALLOC: %lu input bytes, writing through NULL", (unsigned long)inLength);
        *request = inLength;
    }
#endif
    if (inLength < sizeof(ULONG))
        return STATUS_INVALID_PARAMETER;
    block = ExAllocatePoolWithTag(NonPagedPool, DC_IO_BLOCK, DC_IO_TAG);
    if (block == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlZeroMemory(block, DC_IO_BLOCK);
#ifndef DC_IO_LEAK_ALLOC
    ExFreePoolWithTag(block, DC_IO_TAG);
#endif
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI DcDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    ULONG inLength = stack->Parameters.DeviceIoControl.InputBufferLength;
    ULONG outLength = stack->Parameters.DeviceIoControl.OutputBufferLength;
    UNREFERENCED_PARAMETER(DeviceObject);

    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_DC_GET:
#ifdef DC_IO_SLOW_GET_MS
        DcSleepMs(DC_IO_SLOW_GET_MS);
#endif
        if (outLength < sizeof(ULONG))
            return DcComplete(Irp, STATUS_BUFFER_TOO_SMALL, 0);
        *(PULONG)Irp->AssociatedIrp.SystemBuffer = ++DcIoCounter;
        return DcComplete(Irp, STATUS_SUCCESS, sizeof(ULONG));
    case IOCTL_DC_ALLOC:
        return DcComplete(Irp, DcAlloc(inLength), 0);
    case IOCTL_DC_ECHO: {
        ULONG n = inLength < outLength ? inLength : outLength;
        PVOID in = stack->Parameters.DeviceIoControl.Type3InputBuffer;
        if (n > 0 && (in == NULL || Irp->UserBuffer == NULL))
            return DcComplete(Irp, STATUS_INVALID_USER_BUFFER, 0);
        if (n > 0)
            RtlCopyMemory(Irp->UserBuffer, in, n);
        return DcComplete(Irp, STATUS_SUCCESS, n);
    }
    default:
        return DcComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}

#ifdef DC_IO_PEND_READS
static VOID NTAPI DcCancelRead(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    IoReleaseCancelSpinLock(Irp->CancelIrql);
    DC_LOG("read cancelled");
    DcComplete(Irp, STATUS_CANCELLED, 0);
}
#endif

static NTSTATUS NTAPI DcRead(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    ULONG length = IoGetCurrentIrpStackLocation(Irp)->Parameters.Read.Length;
    UNREFERENCED_PARAMETER(DeviceObject);
#ifdef DC_IO_PEND_READS
    /* Nothing ever arrives: the read waits until it is cancelled. */
    UNREFERENCED_PARAMETER(length);
    IoMarkIrpPending(Irp);
    IoSetCancelRoutine(Irp, DcCancelRead);
    if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL)
        DcComplete(Irp, STATUS_CANCELLED, 0);
    return STATUS_PENDING;
#else
    /* Buffered or direct, the driver sees the caller's bytes through its system buffer or MDL. */
    PUCHAR out = Irp->AssociatedIrp.SystemBuffer != NULL
                     ? (PUCHAR)Irp->AssociatedIrp.SystemBuffer
                     : (PUCHAR)Irp->UserBuffer;
    if (length > 0 && out == NULL)
        return DcComplete(Irp, STATUS_INVALID_USER_BUFFER, 0);
    if (length > 0)
        RtlFillMemory(out, length, 0xA5);
    return DcComplete(Irp, STATUS_SUCCESS, length);
#endif
}

static NTSTATUS NTAPI DcWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    return DcComplete(Irp, STATUS_SUCCESS, IoGetCurrentIrpStackLocation(Irp)->Parameters.Write.Length);
}

#ifndef DC_IO_DISPATCH_ONLY
static VOID NTAPI DcUnload(PDRIVER_OBJECT DriverObject)
{
    UNICODE_STRING link;
#ifdef DC_IO_PEND_CREATE
    DcReleaseHeldCreate();
#endif
#ifdef DC_IO_SLOW_CLOSE_MS
    if (DcClosesInDriver > 0) {
        volatile ULONG *state = NULL;
        DC_LOG("DriverUnload while a close is still in the driver: writing through NULL");
        *state = 0;
    }
#endif
    RtlInitUnicodeString(&link, L"\\DosDevices\\" DC_IO_DEVICE);
    IoDeleteSymbolicLink(&link);
    if (DriverObject->DeviceObject != NULL)
        IoDeleteDevice(DriverObject->DeviceObject);
    DC_LOG("DriverUnload");
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING deviceName, link;
    PDEVICE_OBJECT device = NULL;
    NTSTATUS status;
    UNREFERENCED_PARAMETER(RegistryPath);

    RtlInitUnicodeString(&deviceName, L"\\Device\\" DC_IO_DEVICE);
    RtlInitUnicodeString(&link, L"\\DosDevices\\" DC_IO_DEVICE);
    status = IoCreateDevice(DriverObject, 0, &deviceName, FILE_DEVICE_UNKNOWN,
                            FILE_DEVICE_SECURE_OPEN, FALSE, &device);
    if (!NT_SUCCESS(status))
        return status;
    status = IoCreateSymbolicLink(&link, &deviceName);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(device);
        return status;
    }
    device->Flags |= DO_BUFFERED_IO;
#ifdef DC_IO_PEND_CREATE
    DriverObject->MajorFunction[IRP_MJ_CREATE] = DcCreate;
#else
    DriverObject->MajorFunction[IRP_MJ_CREATE] = DcCreateClose;
#endif
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = DcCreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DcDeviceControl;
    DriverObject->MajorFunction[IRP_MJ_READ] = DcRead;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = DcWrite;
    DriverObject->DriverUnload = DcUnload;
    device->Flags &= ~DO_DEVICE_INITIALIZING;
    DC_LOG("DriverEntry: \\Device\\" DC_IO_DEVICE_A " ready");
    return STATUS_SUCCESS;
}
#endif /* DC_IO_DISPATCH_ONLY */

#endif /* DRVCYCLE_IO_COMMON_H */
