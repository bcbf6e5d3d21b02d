/*
 * pnp_common.h - shared code for the WDM Plug and Play function-driver
 * samples (pnp_*.c).
 *
 * Every PnP sample is the same minimal function driver (FDO): AddDevice
 * creates an unnamed FILE_DEVICE_UNKNOWN device and attaches it on top of the
 * PDO; IRP_MJ_PNP is handled below; IRP_MJ_POWER and every other IRP_MJ_* is
 * passed down untouched. The samples differ only in two hooks, which each .c
 * file defines after including this header:
 *
 *   static NTSTATUS DcPnpOnStart(PDC_PNP_EXTENSION Ext);
 *       IRP_MN_START_DEVICE, after the lower driver completed it with a
 *       success status; the value returned is the status the IRP is
 *       completed with (a failure fails the start).
 *   static VOID DcPnpOnRemove(PDC_PNP_EXTENSION Ext);
 *       IRP_MN_REMOVE_DEVICE, after the IRP was passed down and before
 *       IoDetachDevice / IoDeleteDevice (the extension is still valid).
 *
 * and a DriverEntry that logs "DriverEntry" and calls DcPnpInitDriver().
 *
 * Log lines (DC_LOG, one per callback, fixed text so the runner can count
 * them): "DriverEntry" (in each sample), "AddDevice", "START_DEVICE",
 * "QUERY_REMOVE_DEVICE", "SURPRISE_REMOVAL", "REMOVE_DEVICE",
 * "DriverUnload". Each is logged on entry, before anything can fail, hang
 * or crash. Note that "REMOVE_DEVICE" is also a substring of
 * "QUERY_REMOVE_DEVICE": match ": REMOVE_DEVICE" (the DC_LOG prefix ends
 * with ": "). Error lines use other words and never contain these texts.
 *
 * Imports: only ntoskrnl.exe (IoCreateDevice, IoAttachDeviceToDeviceStack,
 * IoDetachDevice, IoDeleteDevice, IofCallDriver, IofCompleteRequest,
 * KeInitializeEvent, KeSetEvent, KeWaitForSingleObject, PoStartNextPowerIrp,
 * PoCallDriver, DbgPrint; plus what a sample's hooks use). Wine 8.0's
 * ntoskrnl implements all of them (PoStartNextPowerIrp is a no-op there that
 * logs a fixme; PoCallDriver calls IoCallDriver).
 */
#ifndef DRVCYCLE_PNP_COMMON_H
#define DRVCYCLE_PNP_COMMON_H

#ifndef DC_NAME
#error "define DC_NAME before including pnp_common.h"
#endif

#include "common.h"

/* DC_PNP_EXTENSION.Flags */
#define DC_PNP_STARTED          0x1  /* START_DEVICE succeeded */
#define DC_PNP_SURPRISE_REMOVED 0x2  /* SURPRISE_REMOVAL seen */
#define DC_PNP_REMOVED          0x4  /* REMOVE_DEVICE seen */

/* Device extension of every FDO created by DcPnpAddDevice. */
typedef struct _DC_PNP_EXTENSION {
    PDEVICE_OBJECT Self;         /* this FDO */
    PDEVICE_OBJECT Pdo;          /* the PDO given to AddDevice */
    PDEVICE_OBJECT LowerDevice;  /* what IoAttachDeviceToDeviceStack returned */
    ULONG Flags;                 /* DC_PNP_* */
    PVOID Buffer;                /* per-sample data (pnp_clean's pool block) */
    UNICODE_STRING Interface;    /* a device interface the sample registers (pnp_io) */
} DC_PNP_EXTENSION, *PDC_PNP_EXTENSION;

/* The two per-sample hooks (see the top of this file). */
static NTSTATUS DcPnpOnStart(PDC_PNP_EXTENSION Ext);
static VOID DcPnpOnRemove(PDC_PNP_EXTENSION Ext);

/* Completion routine of DcPnpForwardSync: wakes the waiting dispatch routine
 * and keeps the IRP (STATUS_MORE_PROCESSING_REQUIRED) so it can finish it. */
static NTSTATUS NTAPI DcPnpSyncCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);

    KeSetEvent((PKEVENT)Context, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

/*
 * Sends the IRP to the lower driver and waits until it has completed it;
 * returns Irp->IoStatus.Status. The IRP is then ours again: the caller must
 * complete it with IoCompleteRequest.
 */
static NTSTATUS DcPnpForwardSync(PDC_PNP_EXTENSION Ext, PIRP Irp)
{
    KEVENT event;
    NTSTATUS status;

    KeInitializeEvent(&event, NotificationEvent, FALSE);
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, DcPnpSyncCompletion, &event, TRUE, TRUE, TRUE);

    status = IoCallDriver(Ext->LowerDevice, Irp);
    if (status == STATUS_PENDING) {
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
        status = Irp->IoStatus.Status;
    }
    return status;
}

/* Hands the IRP to the lower driver, which completes it; do not touch the
 * IRP afterwards. */
static NTSTATUS DcPnpPassDown(PDC_PNP_EXTENSION Ext, PIRP Irp)
{
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(Ext->LowerDevice, Irp);
}

static NTSTATUS NTAPI DcPnpAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)
{
    PDEVICE_OBJECT fdo = NULL;
    PDC_PNP_EXTENSION ext;
    NTSTATUS status;

    DC_LOG("AddDevice");

    status = IoCreateDevice(DriverObject, sizeof(DC_PNP_EXTENSION), NULL, FILE_DEVICE_UNKNOWN,
                            FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);
    if (!NT_SUCCESS(status)) {
        DC_LOG("IoCreateDevice failed 0x%08lx", (unsigned long)status);
        return status;
    }

    ext = (PDC_PNP_EXTENSION)fdo->DeviceExtension;
    ext->Self = fdo;
    ext->Pdo = Pdo;
    ext->Flags = 0;
    ext->Buffer = NULL;
    RtlZeroMemory(&ext->Interface, sizeof(ext->Interface));
    ext->LowerDevice = IoAttachDeviceToDeviceStack(fdo, Pdo);
    if (ext->LowerDevice == NULL) {
        DC_LOG("IoAttachDeviceToDeviceStack failed");
        IoDeleteDevice(fdo);  /* undo */
        return STATUS_NO_SUCH_DEVICE;
    }

    fdo->Flags |= ext->LowerDevice->Flags & (DO_BUFFERED_IO | DO_POWER_PAGABLE);
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

static NTSTATUS NTAPI DcPnpDispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PDC_PNP_EXTENSION ext = (PDC_PNP_EXTENSION)DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    switch (stack->MinorFunction) {
    case IRP_MN_START_DEVICE:
        DC_LOG("START_DEVICE");
        /* The lower driver (bus driver / PDO) starts first, then we do. */
        status = DcPnpForwardSync(ext, Irp);
        if (NT_SUCCESS(status)) {
            status = DcPnpOnStart(ext);
            if (NT_SUCCESS(status))
                ext->Flags |= DC_PNP_STARTED;
        }
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return status;

    case IRP_MN_QUERY_REMOVE_DEVICE:
        DC_LOG("QUERY_REMOVE_DEVICE");
        Irp->IoStatus.Status = STATUS_SUCCESS;
        return DcPnpPassDown(ext, Irp);

    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
    case IRP_MN_STOP_DEVICE:
        Irp->IoStatus.Status = STATUS_SUCCESS;
        return DcPnpPassDown(ext, Irp);

    case IRP_MN_SURPRISE_REMOVAL:
        DC_LOG("SURPRISE_REMOVAL");
        ext->Flags |= DC_PNP_SURPRISE_REMOVED;
        ext->Flags &= ~DC_PNP_STARTED;
        Irp->IoStatus.Status = STATUS_SUCCESS;
        return DcPnpPassDown(ext, Irp);

    case IRP_MN_REMOVE_DEVICE:
        DC_LOG("REMOVE_DEVICE");
        ext->Flags |= DC_PNP_REMOVED;
        ext->Flags &= ~DC_PNP_STARTED;
        Irp->IoStatus.Status = STATUS_SUCCESS;
        status = DcPnpPassDown(ext, Irp);
        DcPnpOnRemove(ext);
        IoDetachDevice(ext->LowerDevice);
        IoDeleteDevice(DeviceObject);  /* frees ext too */
        return status;

    default:
        return DcPnpPassDown(ext, Irp);
    }
}

static NTSTATUS NTAPI DcPnpDispatchPower(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PDC_PNP_EXTENSION ext = (PDC_PNP_EXTENSION)DeviceObject->DeviceExtension;

    PoStartNextPowerIrp(Irp);  /* required before Vista; a no-op since (and on Wine) */
    IoSkipCurrentIrpStackLocation(Irp);
    return PoCallDriver(ext->LowerDevice, Irp);
}

/* Every IRP_MJ_* other than PNP and POWER: pass it down untouched. */
static NTSTATUS NTAPI DcPnpDispatchDefault(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    return DcPnpPassDown((PDC_PNP_EXTENSION)DeviceObject->DeviceExtension, Irp);
}

/*
 * A PnP driver's devices are all gone (REMOVE_DEVICE deleted them) by the
 * time it is unloaded, so there is nothing left to undo here.
 */
static VOID NTAPI DcPnpUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    DC_LOG("DriverUnload");
}

/* Called by each sample's DriverEntry: AddDevice, the dispatch table and DriverUnload. */
static VOID DcPnpInitDriver(PDRIVER_OBJECT DriverObject)
{
    ULONG i;

    for (i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        DriverObject->MajorFunction[i] = DcPnpDispatchDefault;
    DriverObject->MajorFunction[IRP_MJ_PNP] = DcPnpDispatchPnp;
    DriverObject->MajorFunction[IRP_MJ_POWER] = DcPnpDispatchPower;
    DriverObject->DriverExtension->AddDevice = DcPnpAddDevice;
    DriverObject->DriverUnload = DcPnpUnload;
}

#endif /* DRVCYCLE_PNP_COMMON_H */
