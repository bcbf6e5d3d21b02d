/*
 * entry_fail_resources.c - DriverEntry fails with STATUS_INSUFFICIENT_RESOURCES.
 *
 * What it does: DriverEntry allocates a 512-byte scratch block (tag "DcFr"),
 * then "decides" it cannot continue: it frees the block and returns
 * STATUS_INSUFFICIENT_RESOURCES (0xC000009A). Nothing is left behind, so
 * repeated failed starts must not leak.
 *
 * Real Windows: StartService fails with 1450 (ERROR_NO_SYSTEM_RESOURCES =
 * RtlNtStatusToDosError(0xC000009A)); the driver is unloaded, service STOPPED;
 * SCM event 7000.
 * Wine lab: StartService fails with 1450; service stays STOPPED (1).
 */
#define DC_NAME "entry_fail_resources"
#include "common.h"

#define FAIL_RES_TAG  DC_TAG('D', 'c', 'F', 'r')
#define FAIL_RES_SIZE 512

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PVOID scratch;
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);

    scratch = ExAllocatePoolWithTag(NonPagedPool, FAIL_RES_SIZE, FAIL_RES_TAG);
    if (scratch != NULL) {
        RtlZeroMemory(scratch, FAIL_RES_SIZE);
        ExFreePoolWithTag(scratch, FAIL_RES_TAG);  /* undo before failing */
    }

    DC_LOG("DriverEntry: failing with STATUS_INSUFFICIENT_RESOURCES (0x%08lx)",
           (unsigned long)STATUS_INSUFFICIENT_RESOURCES);
    return STATUS_INSUFFICIENT_RESOURCES;
}
