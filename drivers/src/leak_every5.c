/*
 * leak_every5.c - leaks 128 bytes of pool on every 5th load.
 *
 * What it does: DriverEntry counts its loads in the DWORD "LoadCount" under
 * its own service key (load_counter.h) and, on loads 5, 10, 15, ...,
 * allocates 128 bytes of NonPagedPool (tag "DcE5") and drops the pointer.
 * DriverUnload frees nothing. Loads 1-4, 6-9, ... leave nothing behind.
 *
 * Real Windows: start OK -> RUNNING, stop OK -> STOPPED; pool tag "DcE5"
 * grows by 128 bytes every 5th cycle; with Driver Verifier the 5th unload
 * bugchecks 0xC4/0x62.
 * Wine lab: start OK -> RUNNING (4), stop OK -> STOPPED (1); the pool trace
 * shows one unfreed 128-byte allocation at loads 5, 10, ...: leak@5.
 */
#define DC_NAME "leak_every5"
#include "load_counter.h"

#define LEAK_EVERY5_TAG  DC_TAG('D', 'c', 'E', '5')
#define LEAK_EVERY5_SIZE 128

static VOID NTAPI LeakEvery5Unload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    DC_LOG("DriverUnload");
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    WCHAR key[DC_KEY_CHARS];
    ULONG load;
    NTSTATUS status;

    if (!DcKeyPath(RegistryPath, key))
        return STATUS_NAME_TOO_LONG;
    load = DcReadDword(key, L"LoadCount", 0) + 1;
    status = DcWriteDword(key, L"LoadCount", load);
    if (!NT_SUCCESS(status)) {
        DC_LOG("DriverEntry: cannot write LoadCount: 0x%08lx", (unsigned long)status);
        return status;
    }
    if (load % 5 == 0) {
        PVOID leaked = ExAllocatePoolWithTag(NonPagedPool, LEAK_EVERY5_SIZE, LEAK_EVERY5_TAG);
        if (leaked == NULL)
            return STATUS_INSUFFICIENT_RESOURCES;
        RtlZeroMemory(leaked, LEAK_EVERY5_SIZE);
        DC_LOG("DriverEntry: load %lu, leaking %u bytes at %p", (unsigned long)load,
               (unsigned)LEAK_EVERY5_SIZE, leaked);
    } else {
        DC_LOG("DriverEntry: load %lu", (unsigned long)load);
    }
    DriverObject->DriverUnload = LeakEvery5Unload;
    return STATUS_SUCCESS;
}
