/*
 * entry_fail_config.c - DriverEntry fails with STATUS_DEVICE_CONFIGURATION_ERROR.
 *
 * What it does: DriverEntry allocates nothing and returns
 * STATUS_DEVICE_CONFIGURATION_ERROR (0xC0000182) - a failure whose Win32
 * translation is lossy (it maps to ERROR_INVALID_PARAMETER).
 *
 * Real Windows: StartService fails with 87 (ERROR_INVALID_PARAMETER);
 * service STOPPED; SCM event 7000. NtLoadDriver would return 0xC0000182.
 * Wine lab: StartService fails with 87; service stays STOPPED (1).
 */
#define DC_NAME "entry_fail_config"
#include "common.h"

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(DriverObject);
    UNREFERENCED_PARAMETER(RegistryPath);

    DC_LOG("DriverEntry: failing with STATUS_DEVICE_CONFIGURATION_ERROR (0x%08lx)",
           (unsigned long)STATUS_DEVICE_CONFIGURATION_ERROR);
    return STATUS_DEVICE_CONFIGURATION_ERROR;
}
