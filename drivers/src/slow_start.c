/*
 * slow_start.c - DriverEntry takes ~2 s, then succeeds.
 *
 * What it does: DriverEntry sleeps 2000 ms (KeDelayExecutionThread with a
 * relative interval of -2000*10000 in 100 ns units), sets DriverUnload and
 * returns STATUS_SUCCESS. DriverUnload only logs.
 *
 * Real Windows: StartService returns success after ~2 s (it waits for
 * DriverEntry); RUNNING; stop OK -> STOPPED.
 * Wine lab: StartService returns success after ~2 s; RUNNING (4);
 * stop OK -> STOPPED (1).
 */
#define DC_NAME "slow_start"
#include "common.h"

#define SLOW_START_MS 2000

static VOID NTAPI SlowUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    DC_LOG("DriverUnload");
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    DC_LOG("DriverEntry: sleeping %d ms", SLOW_START_MS);
    DcSleepMs(SLOW_START_MS);

    DriverObject->DriverUnload = SlowUnload;
    DC_LOG("DriverEntry: done");
    return STATUS_SUCCESS;
}
