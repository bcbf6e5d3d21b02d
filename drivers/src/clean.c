/*
 * clean.c - the well-behaved baseline driver.
 *
 * What it does: DriverEntry allocates 4 KiB of NonPagedPool (tag "DcCl"),
 * sets DriverUnload and returns STATUS_SUCCESS; DriverUnload frees the block.
 * Net pool change per load/unload cycle: zero.
 *
 * Real Windows: StartService succeeds (RUNNING), ControlService(STOP)
 * succeeds (STOPPED); pool tag "DcCl" returns to 0 bytes after each unload.
 * Wine lab: the same - start OK -> RUNNING (4), stop OK -> STOPPED (1).
 * With WINEDEBUG=trace+ntoskrnl one 4096-byte allocation and its free are
 * traced per cycle.
 */
#define DC_NAME "clean"
#include "common.h"

#define CLEAN_TAG  DC_TAG('D', 'c', 'C', 'l')
#define CLEAN_SIZE 4096

static PVOID g_buffer;

static VOID NTAPI CleanUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (g_buffer != NULL) {
        ExFreePoolWithTag(g_buffer, CLEAN_TAG);
        g_buffer = NULL;
    }
    DC_LOG("DriverUnload: freed %u bytes", (unsigned)CLEAN_SIZE);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    g_buffer = ExAllocatePoolWithTag(NonPagedPool, CLEAN_SIZE, CLEAN_TAG);
    if (g_buffer == NULL) {
        DC_LOG("DriverEntry: allocation failed");
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlZeroMemory(g_buffer, CLEAN_SIZE);

    DriverObject->DriverUnload = CleanUnload;
    DC_LOG("DriverEntry: allocated %u bytes at %p", (unsigned)CLEAN_SIZE, g_buffer);
    return STATUS_SUCCESS;
}
