/*
 * Independent layout data for drvcycle's decoders: the structures drvcycle reads, filled with
 * known values by a C compiler (mingw-w64, whose headers follow Microsoft's) and written out as
 * the raw bytes Windows would return. tests/e2e/layouts.spec.ts decodes them with drvcycle's own
 * decoders and compares the values. Structures the headers lack are defined below from their
 * published layouts (named at each).
 */
#include <windows.h>
#include <psapi.h>
#include <winternl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

/* SYSTEM_POOLTAG and SYSTEM_POOLTAG_INFORMATION: not in the SDK headers; the layout published in
 * the Process Hacker / System Informer phnt headers (ntexapi.h). */
typedef struct {
    union { UCHAR Tag[4]; ULONG TagUlong; };
    ULONG PagedAllocs;
    ULONG PagedFrees;
    SIZE_T PagedUsed;
    ULONG NonPagedAllocs;
    ULONG NonPagedFrees;
    SIZE_T NonPagedUsed;
} SYSTEM_POOLTAG;
typedef struct {
    ULONG Count;
    SYSTEM_POOLTAG TagInfo[2];
} SYSTEM_POOLTAG_INFORMATION2;

/* SYSTEM_VERIFIER_INFORMATION: not in the SDK headers; the layout published in phnt's ntexapi.h.
 * Windows 10 19H1 (build 18362) added RuleClasses, TriageContext and AreAllSpecificRulesEnabled
 * after Level; the older layout lacks them. The counters drvcycle reads follow DriverName. */
#define VERIFIER_COUNTERS \
    UNICODE_STRING DriverName; \
    ULONG RaiseIrqls, AcquireSpinLocks, SynchronizeExecutions, AllocationsAttempted; \
    ULONG AllocationsSucceeded, AllocationsSucceededSpecialPool, AllocationsWithNoTag; \
    ULONG TrimRequests, Trims, AllocationsFailed, AllocationsFailedDeliberately; \
    ULONG Loads, Unloads, UnTrackedPool; \
    ULONG CurrentPagedPoolAllocations, CurrentNonPagedPoolAllocations; \
    ULONG PeakPagedPoolAllocations, PeakNonPagedPoolAllocations; \
    SIZE_T PagedPoolUsageInBytes, NonPagedPoolUsageInBytes; \
    SIZE_T PeakPagedPoolUsageInBytes, PeakNonPagedPoolUsageInBytes;
typedef struct {
    ULONG NextEntryOffset;
    ULONG Level;
    ULONG RuleClasses[2];
    ULONG TriageContext;
    ULONG AreAllSpecificRulesEnabled;
    VERIFIER_COUNTERS
} SYSTEM_VERIFIER_INFORMATION_19H1;
typedef struct {
    ULONG NextEntryOffset;
    ULONG Level;
    VERIFIER_COUNTERS
} SYSTEM_VERIFIER_INFORMATION_OLD;

static char dir[MAX_PATH];

static void dump(const char *name, const void *data, size_t size, const void *base) {
    char path[MAX_PATH * 2];
    snprintf(path, sizeof path, "%s\\%s.bin", dir, name);
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, size, f);
    fclose(f);
    snprintf(path, sizeof path, "%s\\%s.base", dir, name);
    f = fopen(path, "w");
    fprintf(f, "%llu", (unsigned long long)(ULONG_PTR)base);
    fclose(f);
}

/* Copies a wide string into the buffer's string area and returns where it went. */
static WCHAR *put(BYTE *area, size_t *used, const WCHAR *text) {
    WCHAR *at = (WCHAR *)(area + *used);
    size_t bytes = (wcslen(text) + 1) * sizeof(WCHAR);
    memcpy(at, text, bytes);
    *used += bytes;
    return at;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    snprintf(dir, sizeof dir, "%s", argv[1]);

    SERVICE_STATUS_PROCESS ssp = {1, 4, 5, 1450, 7, 3, 2000, 1234, 1};
    dump("service_status_process", &ssp, sizeof ssp, &ssp);

    static BYTE qsc_buffer[1024];
    QUERY_SERVICE_CONFIGW *qsc = (QUERY_SERVICE_CONFIGW *)qsc_buffer;
    size_t used = sizeof *qsc;
    qsc->dwServiceType = 1;
    qsc->dwStartType = 3;
    qsc->dwErrorControl = 1;
    qsc->lpBinaryPathName = put(qsc_buffer, &used, L"C:\\drvcycle\\images\\ab\\x.sys");
    qsc->lpLoadOrderGroup = put(qsc_buffer, &used, L"Group A");
    qsc->dwTagId = 9;
    /* A multi-string: "dep1\0dep2\0\0". */
    qsc->lpDependencies = put(qsc_buffer, &used, L"dep1");
    put(qsc_buffer, &used, L"dep2");
    put(qsc_buffer, &used, L"");
    qsc->lpServiceStartName = put(qsc_buffer, &used, L"LocalSystem");
    qsc->lpDisplayName = put(qsc_buffer, &used, L"dc_x (drvcycle:run=r1)");
    dump("query_service_config", qsc_buffer, used, qsc_buffer);

    static BYTE enum_buffer[1024];
    ENUM_SERVICE_STATUS_PROCESSW *entries = (ENUM_SERVICE_STATUS_PROCESSW *)enum_buffer;
    used = 2 * sizeof *entries;
    entries[0].lpServiceName = put(enum_buffer, &used, L"dc_a");
    entries[0].lpDisplayName = put(enum_buffer, &used, L"A (drvcycle:run=r1)");
    entries[0].ServiceStatusProcess = (SERVICE_STATUS_PROCESS){1, 1, 0, 0, 0, 0, 0, 0, 0};
    entries[1].lpServiceName = put(enum_buffer, &used, L"dc_b");
    entries[1].lpDisplayName = put(enum_buffer, &used, L"B");
    entries[1].ServiceStatusProcess = (SERVICE_STATUS_PROCESS){1, 4, 1, 0, 0, 0, 0, 0, 0};
    dump("enum_service_status_process", enum_buffer, used, enum_buffer);

    PERFORMANCE_INFORMATION perf = {0};
    perf.cb = sizeof perf;
    perf.CommitTotal = 100;
    perf.CommitLimit = 200;
    perf.PhysicalTotal = 300;
    perf.PhysicalAvailable = 150;
    perf.KernelTotal = 40;
    perf.KernelPaged = 25;
    perf.KernelNonpaged = 15;
    perf.PageSize = 4096;
    perf.HandleCount = 5000;
    perf.ProcessCount = 60;
    perf.ThreadCount = 700;
    dump("performance_information", &perf, sizeof perf, &perf);

    /* Two processes, chained, names after the entries: as NtQuerySystemInformation(5) returns. */
    static BYTE spi_buffer[2048];
    SYSTEM_PROCESS_INFORMATION *first = (SYSTEM_PROCESS_INFORMATION *)spi_buffer;
    SYSTEM_PROCESS_INFORMATION *second = (SYSTEM_PROCESS_INFORMATION *)(spi_buffer + 512);
    used = 1024;
    first->NextEntryOffset = 512;
    first->ImageName.Buffer = put(spi_buffer, &used, L"winedevice.exe");
    first->ImageName.Length = (USHORT)(wcslen(L"winedevice.exe") * sizeof(WCHAR));
    first->UniqueProcessId = (HANDLE)(ULONG_PTR)1234;
    first->HandleCount = 77;
    first->VirtualMemoryCounters.WorkingSetSize = 11 * 4096;
    first->PrivatePageCount = 33 * 4096;
    second->NextEntryOffset = 0;
    second->ImageName.Buffer = put(spi_buffer, &used, L"WUDFHost.exe");
    second->ImageName.Length = (USHORT)(wcslen(L"WUDFHost.exe") * sizeof(WCHAR));
    second->UniqueProcessId = (HANDLE)(ULONG_PTR)5678;
    second->HandleCount = 5;
    second->VirtualMemoryCounters.WorkingSetSize = 4096;
    second->PrivatePageCount = 8192;
    dump("system_process_information", spi_buffer, used, spi_buffer);

    SYSTEM_POOLTAG_INFORMATION2 tags = {0};
    tags.Count = 2;
    memcpy(tags.TagInfo[0].Tag, "DcLs", 4);
    tags.TagInfo[0].PagedAllocs = 1;
    tags.TagInfo[0].PagedFrees = 0;
    tags.TagInfo[0].PagedUsed = 256;
    tags.TagInfo[0].NonPagedAllocs = 12;
    tags.TagInfo[0].NonPagedFrees = 10;
    tags.TagInfo[0].NonPagedUsed = 512;
    memcpy(tags.TagInfo[1].Tag, "Abcd", 4);
    tags.TagInfo[1].NonPagedUsed = 4096;
    dump("system_pooltag_information", &tags, sizeof tags, &tags);

    /* One verified driver in each layout, its name after the entry, as class 51 returns it. */
    static BYTE v19_buffer[512];
    SYSTEM_VERIFIER_INFORMATION_19H1 *v19 = (SYSTEM_VERIFIER_INFORMATION_19H1 *)v19_buffer;
    used = sizeof *v19;
    v19->DriverName.Buffer = put(v19_buffer, &used, L"leak_small.sys");
    v19->DriverName.Length = (USHORT)(wcslen(L"leak_small.sys") * sizeof(WCHAR));
    v19->Loads = 12;
    v19->Unloads = 11;
    v19->CurrentNonPagedPoolAllocations = 12;
    v19->NonPagedPoolUsageInBytes = 3072;
    v19->PeakNonPagedPoolUsageInBytes = 3072;
    dump("verifier_19h1", v19_buffer, used, v19_buffer);
    static BYTE vold_buffer[512];
    SYSTEM_VERIFIER_INFORMATION_OLD *vold = (SYSTEM_VERIFIER_INFORMATION_OLD *)vold_buffer;
    used = sizeof *vold;
    vold->DriverName.Buffer = put(vold_buffer, &used, L"old.sys");
    vold->DriverName.Length = (USHORT)(wcslen(L"old.sys") * sizeof(WCHAR));
    vold->Loads = 5;
    vold->Unloads = 4;
    vold->CurrentPagedPoolAllocations = 2;
    vold->CurrentNonPagedPoolAllocations = 3;
    vold->PagedPoolUsageInBytes = 512;
    vold->NonPagedPoolUsageInBytes = 768;
    dump("verifier_old", vold_buffer, used, vold_buffer);
    printf("{\"VERIFIER_19H1\":%u,\"VERIFIER_OLD\":%u,\"OLD_Loads\":%u,\"OLD_DriverName\":%u,",
           (unsigned)sizeof(SYSTEM_VERIFIER_INFORMATION_19H1), (unsigned)sizeof(SYSTEM_VERIFIER_INFORMATION_OLD),
           (unsigned)offsetof(SYSTEM_VERIFIER_INFORMATION_OLD, Loads),
           (unsigned)offsetof(SYSTEM_VERIFIER_INFORMATION_OLD, DriverName));
    printf("\"SERVICE_STATUS_PROCESS\":%u,\"QUERY_SERVICE_CONFIGW\":%u,\"ENUM_SERVICE_STATUS_PROCESSW\":%u,"
           "\"PERFORMANCE_INFORMATION\":%u,\"SYSTEM_PROCESS_INFORMATION\":%u,\"SYSTEM_POOLTAG\":%u,"
           "\"WorkingSetSize\":%u,\"PrivatePageCount\":%u,\"KernelPaged\":%u,\"HandleCount\":%u,"
           "\"lpBinaryPathName\":%u,\"dwTagId\":%u,\"lpDisplayName\":%u,\"NonPagedUsed\":%u}\n",
           (unsigned)sizeof(SERVICE_STATUS_PROCESS), (unsigned)sizeof(QUERY_SERVICE_CONFIGW),
           (unsigned)sizeof(ENUM_SERVICE_STATUS_PROCESSW), (unsigned)sizeof(PERFORMANCE_INFORMATION),
           (unsigned)sizeof(SYSTEM_PROCESS_INFORMATION), (unsigned)sizeof(SYSTEM_POOLTAG),
           (unsigned)offsetof(SYSTEM_PROCESS_INFORMATION, VirtualMemoryCounters.WorkingSetSize),
           (unsigned)offsetof(SYSTEM_PROCESS_INFORMATION, PrivatePageCount),
           (unsigned)offsetof(PERFORMANCE_INFORMATION, KernelPaged),
           (unsigned)offsetof(PERFORMANCE_INFORMATION, HandleCount),
           (unsigned)offsetof(QUERY_SERVICE_CONFIGW, lpBinaryPathName),
           (unsigned)offsetof(QUERY_SERVICE_CONFIGW, dwTagId),
           (unsigned)offsetof(QUERY_SERVICE_CONFIGW, lpDisplayName),
           (unsigned)offsetof(SYSTEM_POOLTAG, NonPagedUsed));
    return 0;
}
