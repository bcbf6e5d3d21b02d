/*
 * late_free.c - frees each load's buffer one load late: not a leak.
 *
 * What it does: DriverEntry allocates 64 bytes of NonPagedPool (tag "DcLf")
 * and keeps its address in the DWORDs "CarryLow"/"CarryHigh" of its own
 * service key, with the id of the process it ran in ("CarryPid"); the next
 * DriverEntry frees that buffer first. DriverUnload frees nothing, so one
 * buffer is alive after every unload, and each is freed by the next load.
 * A buffer is freed only by a load in the same process (kernel pool is one
 * address space on Windows, where DriverEntry always runs in the System
 * process; in the lab's own-host mode each load has its own process and the
 * buffer goes with it).
 *
 * Real Windows: start OK -> RUNNING, stop OK -> STOPPED; pool tag "DcLf"
 * stays at one 64-byte allocation; Driver Verifier would bugcheck 0xC4/0x62
 * at the first unload (it checks at each unload).
 * Wine lab (shared host): start OK -> RUNNING (4), stop OK -> STOPPED (1);
 * the pool trace shows each allocation freed by the next load: pass.
 */
#define DC_NAME "late_free"
#include "load_counter.h"

#define LATE_FREE_TAG  DC_TAG('D', 'c', 'L', 'f')
#define LATE_FREE_SIZE 64

static VOID NTAPI LateFreeUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    DC_LOG("DriverUnload: the next load frees this load's buffer");
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WCHAR key[DC_KEY_CHARS];
    ULONG pid = (ULONG)(ULONG_PTR)PsGetCurrentProcessId();
    ULONG64 previous;
    PVOID buffer;

    if (!DcKeyPath(RegistryPath, key))
        return STATUS_NAME_TOO_LONG;
    previous = ((ULONG64)DcReadDword(key, L"CarryHigh", 0) << 32) | DcReadDword(key, L"CarryLow", 0);
    if (previous != 0 && DcReadDword(key, L"CarryPid", 0) == pid) {
        ExFreePoolWithTag((PVOID)(ULONG_PTR)previous, LATE_FREE_TAG);
        DC_LOG("DriverEntry: freed the previous load's buffer at %p", (PVOID)(ULONG_PTR)previous);
    }
    buffer = ExAllocatePoolWithTag(NonPagedPool, LATE_FREE_SIZE, LATE_FREE_TAG);
    if (buffer == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlZeroMemory(buffer, LATE_FREE_SIZE);
    DcWriteDword(key, L"CarryLow", (ULONG)(ULONG_PTR)buffer);
    DcWriteDword(key, L"CarryHigh", (ULONG)((ULONG64)(ULONG_PTR)buffer >> 32));
    DcWriteDword(key, L"CarryPid", pid);
    DriverObject->DriverUnload = LateFreeUnload;
    DC_LOG("DriverEntry: allocated %u bytes at %p", (unsigned)LATE_FREE_SIZE, buffer);
    return STATUS_SUCCESS;
}
