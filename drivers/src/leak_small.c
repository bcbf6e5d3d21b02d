/*
 * leak_small.c - leaks 256 bytes of pool on every load.
 *
 * What it does: DriverEntry allocates 256 bytes of NonPagedPool (tag "DcLs")
 * and deliberately forgets the pointer; DriverUnload exists but frees nothing.
 * Load/unload themselves behave exactly like clean.c.
 *
 * Real Windows: start OK -> RUNNING, stop OK -> STOPPED; pool tag "DcLs"
 * grows by 256 bytes (one allocation) per cycle; Driver Verifier reports
 * outstanding allocations at unload (bugcheck 0xC4/0x62 with Verifier on).
 * Wine lab: start OK -> RUNNING (4), stop OK -> STOPPED (1); with
 * WINEDEBUG=trace+ntoskrnl one unfreed 256-byte allocation per cycle.
 */
#define DC_NAME "leak_small"
#include "common.h"

#define LEAK_SMALL_TAG  DC_TAG('D', 'c', 'L', 's')
#define LEAK_SMALL_SIZE 256

static VOID NTAPI LeakSmallUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    DC_LOG("DriverUnload: leaving %u bytes behind", (unsigned)LEAK_SMALL_SIZE);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PVOID leaked;
    UNREFERENCED_PARAMETER(RegistryPath);

    leaked = ExAllocatePoolWithTag(NonPagedPool, LEAK_SMALL_SIZE, LEAK_SMALL_TAG);
    if (leaked == NULL) {
        DC_LOG("DriverEntry: allocation failed");
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlZeroMemory(leaked, LEAK_SMALL_SIZE);

    DriverObject->DriverUnload = LeakSmallUnload;
    DC_LOG("DriverEntry: leaking %u bytes at %p", (unsigned)LEAK_SMALL_SIZE, leaked);
    return STATUS_SUCCESS;  /* pointer intentionally dropped */
}
