/*
 * crash_in_entry.c - NULL pointer write in DriverEntry.
 *
 * What it does: DriverEntry logs, then writes through a NULL pointer
 * (volatile, so the store cannot be optimised away or turned into a trap
 * instruction by the compiler).
 *
 * Real Windows: bugcheck (0x7E SYSTEM_THREAD_EXCEPTION_NOT_HANDLED or 0x50),
 * the machine crashes and reboots; a crash dump names crash_in_entry.sys.
 * Wine lab: StartService fails with 1053 (ERROR_SERVICE_REQUEST_TIMEOUT)
 * after ~0.1-1.3 s (winedbg is launched for the page fault); the
 * winedevice.exe host process dies; service STOPPED (1).
 */
#define DC_NAME "crash_in_entry"
#include "common.h"

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    volatile ULONG *volatile target = NULL;
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);

    DC_LOG("DriverEntry: writing through a NULL pointer");
    *target = 0xDEADBEEF;

    DC_LOG("DriverEntry: still alive (should not happen)");
    return STATUS_SUCCESS;
}
