/*
 * hang_in_unload.c - DriverUnload never returns.
 *
 * What it does: DriverEntry sets DriverUnload and succeeds; DriverUnload
 * waits on a notification event that nobody ever signals (KeWaitForSingleObject
 * with no timeout), so it blocks forever.
 *
 * Real Windows: start OK -> RUNNING; ControlService(STOP) is accepted but the
 * service stays STOP_PENDING forever and the driver image cannot be reloaded
 * until reboot (a start gives 1056/1061-style errors).
 * Wine lab: start OK -> RUNNING (4); ControlService(STOP) blocks ~10 s, then
 * fails with 1053 (ERROR_SERVICE_REQUEST_TIMEOUT); state stays STOP_PENDING (3)
 * until the host process is killed; meanwhile a second stop gives 1061 and
 * StartService gives 1056.
 */
#define DC_NAME "hang_in_unload"
#include "common.h"

static KEVENT g_never;

static VOID NTAPI HangUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);

    DC_LOG("DriverUnload: waiting forever");
    for (;;) {
        KeWaitForSingleObject(&g_never, Executive, KernelMode, FALSE, NULL);
        /* not reached: nothing signals g_never; loop in case of a spurious wake */
    }
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeEvent(&g_never, NotificationEvent, FALSE);
    DriverObject->DriverUnload = HangUnload;
    DC_LOG("DriverEntry: loaded; unload will hang");
    return STATUS_SUCCESS;
}
