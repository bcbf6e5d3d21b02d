/*
 * no_unload.c - a driver that cannot be unloaded (no DriverUnload).
 *
 * What it does: DriverEntry returns STATUS_SUCCESS without setting
 * DriverObject->DriverUnload.
 *
 * Real Windows: start OK -> RUNNING; ControlService(STOP) is refused with
 * 1052 (ERROR_INVALID_SERVICE_CONTROL); the driver stays loaded until reboot.
 * Wine lab: start OK -> RUNNING (4); ControlService(STOP) "succeeds" but the
 * service stays RUNNING (4) and the host process stays alive; a later
 * StartService gives 1056 (already running).
 */
#define DC_NAME "no_unload"
#include "common.h"

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    DriverObject->DriverUnload = NULL;  /* explicit: not unloadable */
    DC_LOG("DriverEntry: loaded without DriverUnload");
    return STATUS_SUCCESS;
}
