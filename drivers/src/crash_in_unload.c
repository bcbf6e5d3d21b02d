/*
 * crash_in_unload.c - loads fine, NULL dereference in DriverUnload.
 *
 * What it does: DriverEntry sets DriverUnload and returns STATUS_SUCCESS;
 * DriverUnload writes through a NULL pointer (volatile, kept by the compiler).
 *
 * Real Windows: start OK -> RUNNING; ControlService(STOP) -> bugcheck
 * (0x7E / 0x50 / 0xCE), machine crashes and reboots.
 * Wine lab: start OK -> RUNNING (4); ControlService(STOP) fails with 109
 * (ERROR_BROKEN_PIPE) after ~1.1 s as the winedevice.exe host dies (Wine
 * prints "Unhandled page fault on write access to 0000000000000000").
 * Observed on Wine 8.0: the state then stays STOP_PENDING (3) - still 3 after
 * 44 s of polling - yet a new StartService succeeds (fresh host process).
 */
#define DC_NAME "crash_in_unload"
#include "common.h"

static VOID NTAPI CrashUnload(PDRIVER_OBJECT DriverObject)
{
    volatile ULONG *volatile target = NULL;
    UNREFERENCED_PARAMETER(DriverObject);

    DC_LOG("DriverUnload: writing through a NULL pointer");
    *target = 0xDEADBEEF;
    DC_LOG("DriverUnload: still alive (should not happen)");
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    DriverObject->DriverUnload = CrashUnload;
    DC_LOG("DriverEntry: loaded; unload will crash");
    return STATUS_SUCCESS;
}
