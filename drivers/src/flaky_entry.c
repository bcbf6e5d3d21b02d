/*
 * flaky_entry.c - DriverEntry fails about once in 500 loads, at random.
 *
 * What it does: DriverEntry seeds RtlRandomEx from KeQueryPerformanceCounter
 * (both halves of the counter, XORed) and draws one number; when the draw
 * modulo 500 is 0 it returns STATUS_INSUFFICIENT_RESOURCES (0xC000009A),
 * allocating nothing. Otherwise it behaves like clean.c: 4 KiB of
 * NonPagedPool (tag "DcFk") allocated in DriverEntry, freed in DriverUnload.
 * The draw is not reproducible by design: it stands for the intermittent
 * failure (a race, a rare resource shortage) a nightly run meets at cycle
 * 8,123 and nobody sees again by hand.
 *
 * Randomness on Wine: KeQueryPerformanceCounter is hal.dll's, which Wine
 * forwards to NtQueryPerformanceCounter (100 ns ticks of the host's
 * monotonic clock); RtlRandomEx is ntoskrnl's, forwarded to ntdll. A new seed
 * for every load, so the draws of successive loads are independent.
 *
 * Real Windows: StartService fails with 1450 (ERROR_NO_SYSTEM_RESOURCES) on
 * the failing loads, succeeds on the others.
 * Wine lab: the same (1450 on about 1 load in 500).
 */
#define DC_NAME "flaky_entry"
#include "common.h"

#define FLAKY_TAG  DC_TAG('D', 'c', 'F', 'k')
#define FLAKY_SIZE 4096
#define FLAKY_ONE_IN 500

/* Declared in ntifs.h, which a legacy driver does not otherwise need. */
NTSYSAPI ULONG NTAPI RtlRandomEx(PULONG Seed);

static PVOID g_buffer;

static VOID NTAPI FlakyUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (g_buffer != NULL) {
        ExFreePoolWithTag(g_buffer, FLAKY_TAG);
        g_buffer = NULL;
    }
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    LARGE_INTEGER counter;
    ULONG seed;
    ULONG draw;
    UNREFERENCED_PARAMETER(RegistryPath);

    counter = KeQueryPerformanceCounter(NULL);
    seed = counter.LowPart ^ (ULONG)counter.HighPart;
    draw = RtlRandomEx(&seed);
    if (draw % FLAKY_ONE_IN == 0) {
        DC_LOG("DriverEntry: draw %lu hit 1 in %u: failing with STATUS_INSUFFICIENT_RESOURCES",
               (unsigned long)draw, (unsigned)FLAKY_ONE_IN);
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    g_buffer = ExAllocatePoolWithTag(NonPagedPool, FLAKY_SIZE, FLAKY_TAG);
    if (g_buffer == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlZeroMemory(g_buffer, FLAKY_SIZE);
    DriverObject->DriverUnload = FlakyUnload;
    return STATUS_SUCCESS;
}
