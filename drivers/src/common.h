/*
 * common.h - shared helpers for the drvcycle sample driver corpus.
 *
 * Every sample is a minimal legacy (non-PnP) kernel driver built with
 * mingw-w64 against its ddk/ headers; see ../BUILD-NOTES.md.
 */
#ifndef DRVCYCLE_COMMON_H
#define DRVCYCLE_COMMON_H

#include <ntddk.h>

/*
 * Pool tag as a little-endian ULONG: DC_TAG('D','c','C','l') is stored in
 * memory as the bytes "DcCl", which is how poolmon / SystemPoolTagInformation
 * show it (same value MSVC gives for the multichar literal 'lCcD').
 * Built from single chars so it compiles cleanly with -Werror (no -Wmultichar).
 */
#define DC_TAG(a, b, c, d) \
    ((ULONG)(UCHAR)(a) | ((ULONG)(UCHAR)(b) << 8) | \
     ((ULONG)(UCHAR)(c) << 16) | ((ULONG)(UCHAR)(d) << 24))

/* DbgPrint with the "drvcycle:<name>: " prefix; DC_NAME is defined per driver. */
#define DC_LOG(fmt, ...) DbgPrint("drvcycle:" DC_NAME ": " fmt "\n", ##__VA_ARGS__)

/* Relative interval for KeDelayExecutionThread, in milliseconds. */
static inline NTSTATUS DcSleepMs(LONG ms)
{
    LARGE_INTEGER interval;
    interval.QuadPart = -(LONGLONG)ms * 10000;  /* 100 ns units, negative = relative */
    return KeDelayExecutionThread(KernelMode, FALSE, &interval);
}

/* DriverEntry prototype (also the image entry point, see BUILD-NOTES.md). */
NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

#endif /* DRVCYCLE_COMMON_H */
