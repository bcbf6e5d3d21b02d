/*
 * leak_large.c - leaks 1 MiB of pool on every load.
 *
 * What it does: DriverEntry allocates 1 MiB (1048576 bytes) of NonPagedPool
 * (tag "DcLl"), fills it (so the pages are committed and count in the host's
 * working set on Wine) and drops the pointer; DriverUnload frees nothing.
 *
 * Real Windows: start OK -> RUNNING, stop OK -> STOPPED; pool tag "DcLl"
 * (non-paged bytes) grows by 1 MiB per cycle.
 * Wine lab: start OK -> RUNNING (4), stop OK -> STOPPED (1); in a group
 * host kept alive by another driver, the winedevice.exe RSS grows ~1 MiB per
 * cycle; WINEDEBUG=trace+ntoskrnl shows one unfreed 1048576-byte allocation.
 */
#define DC_NAME "leak_large"
#include "common.h"

#define LEAK_LARGE_TAG  DC_TAG('D', 'c', 'L', 'l')
#define LEAK_LARGE_SIZE (1024 * 1024)

static VOID NTAPI LeakLargeUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    DC_LOG("DriverUnload: leaving %u bytes behind", (unsigned)LEAK_LARGE_SIZE);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PVOID leaked;
    UNREFERENCED_PARAMETER(RegistryPath);

    leaked = ExAllocatePoolWithTag(NonPagedPool, LEAK_LARGE_SIZE, LEAK_LARGE_TAG);
    if (leaked == NULL) {
        DC_LOG("DriverEntry: allocation failed");
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlFillMemory(leaked, LEAK_LARGE_SIZE, 0xA5);  /* touch every page */

    DriverObject->DriverUnload = LeakLargeUnload;
    DC_LOG("DriverEntry: leaking %u bytes at %p", (unsigned)LEAK_LARGE_SIZE, leaked);
    return STATUS_SUCCESS;  /* pointer intentionally dropped */
}
