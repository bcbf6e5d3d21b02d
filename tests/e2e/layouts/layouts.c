/*
 * Independent layout data for drvcycle's decoders: the structures drvcycle reads, filled with
 * known values by a C compiler (mingw-w64, whose headers follow Microsoft's) and written out as
 * the raw bytes Windows would return. tests/e2e/layouts.spec.ts decodes them with drvcycle's own
 * decoders and compares the values. Structures the headers lack are defined below from their
 * published layouts (named at each).
 */
#include <windows.h>
#include <setupapi.h>
#include <psapi.h>
#include <winternl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

/*
 * SYSTEM_POOLTAG and the two SYSTEM_VERIFIER_INFORMATION layouts are not in the SDK headers. The
 * definitions below are copied from phnt's ntexapi.h (https://github.com/winsiderss/phnt, MIT,
 * commit 7e097448b3a2dc3d1b43f9d0e396bbf49f2655a1, 2025-03-15), field for field, not derived from
 * drvcycle's offsets. SYSTEM_VERIFIER_INFORMATION_LEGACY is phnt's name for the layout before
 * Windows 10 19H1 (build 18362), which added RuleClasses, TriageContext and
 * AreAllDriversBeingVerified after Level.
 */
typedef struct _SYSTEM_POOLTAG
{
    union
    {
        UCHAR Tag[4];
        ULONG TagUlong;
    } DUMMYUNIONNAME;
    ULONG PagedAllocs;
    ULONG PagedFrees;
    SIZE_T PagedUsed;
    ULONG NonPagedAllocs;
    ULONG NonPagedFrees;
    SIZE_T NonPagedUsed;
} SYSTEM_POOLTAG, *PSYSTEM_POOLTAG;

typedef struct _SYSTEM_POOLTAG_INFORMATION
{
    ULONG Count;
    SYSTEM_POOLTAG TagInfo[1];
} SYSTEM_POOLTAG_INFORMATION, *PSYSTEM_POOLTAG_INFORMATION;

typedef struct _SYSTEM_VERIFIER_INFORMATION_LEGACY // pre-19H1
{
    ULONG NextEntryOffset;
    ULONG Level;
    UNICODE_STRING DriverName;

    ULONG RaiseIrqls;
    ULONG AcquireSpinLocks;
    ULONG SynchronizeExecutions;
    ULONG AllocationsAttempted;

    ULONG AllocationsSucceeded;
    ULONG AllocationsSucceededSpecialPool;
    ULONG AllocationsWithNoTag;
    ULONG TrimRequests;

    ULONG Trims;
    ULONG AllocationsFailed;
    ULONG AllocationsFailedDeliberately;
    ULONG Loads;

    ULONG Unloads;
    ULONG UnTrackedPool;
    ULONG CurrentPagedPoolAllocations;
    ULONG CurrentNonPagedPoolAllocations;

    ULONG PeakPagedPoolAllocations;
    ULONG PeakNonPagedPoolAllocations;

    SIZE_T PagedPoolUsageInBytes;
    SIZE_T NonPagedPoolUsageInBytes;
    SIZE_T PeakPagedPoolUsageInBytes;
    SIZE_T PeakNonPagedPoolUsageInBytes;
} SYSTEM_VERIFIER_INFORMATION_LEGACY, *PSYSTEM_VERIFIER_INFORMATION_LEGACY;

typedef struct _SYSTEM_VERIFIER_INFORMATION
{
    ULONG NextEntryOffset;
    ULONG Level;
    ULONG RuleClasses[2];
    ULONG TriageContext;
    ULONG AreAllDriversBeingVerified;

    UNICODE_STRING DriverName;

    ULONG RaiseIrqls;
    ULONG AcquireSpinLocks;
    ULONG SynchronizeExecutions;
    ULONG AllocationsAttempted;

    ULONG AllocationsSucceeded;
    ULONG AllocationsSucceededSpecialPool;
    ULONG AllocationsWithNoTag;
    ULONG TrimRequests;

    ULONG Trims;
    ULONG AllocationsFailed;
    ULONG AllocationsFailedDeliberately;
    ULONG Loads;

    ULONG Unloads;
    ULONG UnTrackedPool;
    ULONG CurrentPagedPoolAllocations;
    ULONG CurrentNonPagedPoolAllocations;

    ULONG PeakPagedPoolAllocations;
    ULONG PeakNonPagedPoolAllocations;

    SIZE_T PagedPoolUsageInBytes;
    SIZE_T NonPagedPoolUsageInBytes;
    SIZE_T PeakPagedPoolUsageInBytes;
    SIZE_T PeakNonPagedPoolUsageInBytes;
} SYSTEM_VERIFIER_INFORMATION, *PSYSTEM_VERIFIER_INFORMATION;

/*
 * DUMP_HEADER64: not in mingw-w64's headers; the definition of the Windows SDK's mindumpdef.h
 * (Windows Kits 10, Include/<version>/shared/mindumpdef.h, "Basic Windows Crash Dump File
 * Definitions"), field for field.
 */
#define DMP_PHYSICAL_MEMORY_BLOCK_SIZE_64 (700)
#define DMP_CONTEXT_RECORD_SIZE_64 (3000)
#define DMP_RESERVED_0_SIZE_64 (4008)
#define DMP_HEADER_COMMENT_SIZE (128)
typedef struct _PHYSICAL_MEMORY_RUN64 {
    ULONG64 BasePage;
    ULONG64 PageCount;
} PHYSICAL_MEMORY_RUN64;
typedef struct _PHYSICAL_MEMORY_DESCRIPTOR64 {
    ULONG NumberOfRuns;
    ULONG64 NumberOfPages;
    PHYSICAL_MEMORY_RUN64 Run[1];
} PHYSICAL_MEMORY_DESCRIPTOR64;
typedef struct _DUMP_HEADER64 {
    ULONG Signature;
    ULONG ValidDump;
    ULONG MajorVersion;
    ULONG MinorVersion;
    ULONG64 DirectoryTableBase;
    ULONG64 PfnDataBase;
    ULONG64 PsLoadedModuleList;
    ULONG64 PsActiveProcessHead;
    ULONG MachineImageType;
    ULONG NumberProcessors;
    ULONG BugCheckCode;
    ULONG64 BugCheckParameter1;
    ULONG64 BugCheckParameter2;
    ULONG64 BugCheckParameter3;
    ULONG64 BugCheckParameter4;
    CHAR VersionUser[32];
    ULONG64 KdDebuggerDataBlock;
    union {
        PHYSICAL_MEMORY_DESCRIPTOR64 PhysicalMemoryBlock;
        UCHAR PhysicalMemoryBlockBuffer[DMP_PHYSICAL_MEMORY_BLOCK_SIZE_64];
    };
    UCHAR ContextRecord[DMP_CONTEXT_RECORD_SIZE_64];
    EXCEPTION_RECORD64 Exception;
    ULONG DumpType;
    LARGE_INTEGER RequiredDumpSpace;
    LARGE_INTEGER SystemTime;
    CHAR Comment[DMP_HEADER_COMMENT_SIZE];
    LARGE_INTEGER SystemUpTime;
    ULONG MiniDumpFields;
    ULONG SecondaryDataState;
    ULONG ProductType;
    ULONG SuiteMask;
    ULONG WriterStatus;
    UCHAR Unused1;
    UCHAR KdSecondaryVersion;
    UCHAR Unused[2];
    ULONG Attributes; /* DUMP_FILE_ATTRIBUTES: a union of bit fields and this ULONG */
    ULONG BootId;
    UCHAR _reserved0[DMP_RESERVED_0_SIZE_64];
} DUMP_HEADER64;

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

    /* SYSTEM_POOLTAG_INFORMATION with two tags: Count, then the array (TagInfo[1] in phnt). */
    static BYTE tag_buffer[sizeof(SYSTEM_POOLTAG_INFORMATION) + sizeof(SYSTEM_POOLTAG)];
    SYSTEM_POOLTAG_INFORMATION *tags = (SYSTEM_POOLTAG_INFORMATION *)tag_buffer;
    tags->Count = 2;
    memcpy(tags->TagInfo[0].Tag, "DcLs", 4);
    tags->TagInfo[0].PagedAllocs = 1;
    tags->TagInfo[0].PagedFrees = 0;
    tags->TagInfo[0].PagedUsed = 256;
    tags->TagInfo[0].NonPagedAllocs = 12;
    tags->TagInfo[0].NonPagedFrees = 10;
    tags->TagInfo[0].NonPagedUsed = 512;
    SYSTEM_POOLTAG *second_tag = (SYSTEM_POOLTAG *)(tag_buffer + offsetof(SYSTEM_POOLTAG_INFORMATION, TagInfo) + sizeof(SYSTEM_POOLTAG));
    memcpy(second_tag->Tag, "Abcd", 4);
    second_tag->NonPagedUsed = 4096;
    dump("system_pooltag_information", tag_buffer, sizeof tag_buffer, tag_buffer);

    /* Two verified drivers in each layout, chained, their names after the entries, as class 51
     * returns them; every counter drvcycle reads has a value of its own. */
#define FILL_VERIFIER(e, name, base) do { \
        (e)->DriverName.Buffer = put(buffer, &used, name); \
        (e)->DriverName.Length = (USHORT)(wcslen(name) * sizeof(WCHAR)); \
        (e)->DriverName.MaximumLength = (e)->DriverName.Length + sizeof(WCHAR); \
        (e)->Level = 0x209BB; \
        (e)->Loads = (base) + 1; \
        (e)->Unloads = (base) + 2; \
        (e)->UnTrackedPool = 999; \
        (e)->CurrentPagedPoolAllocations = (base) + 3; \
        (e)->CurrentNonPagedPoolAllocations = (base) + 4; \
        (e)->PeakPagedPoolAllocations = 998; \
        (e)->PeakNonPagedPoolAllocations = 997; \
        (e)->PagedPoolUsageInBytes = ((base) + 5) * 64; \
        (e)->NonPagedPoolUsageInBytes = ((base) + 6) * 64; \
        (e)->PeakPagedPoolUsageInBytes = ((base) + 7) * 64; \
        (e)->PeakNonPagedPoolUsageInBytes = ((base) + 8) * 64; \
    } while (0)
    {
        static BYTE buffer[1024];
        SYSTEM_VERIFIER_INFORMATION *v = (SYSTEM_VERIFIER_INFORMATION *)buffer;
        used = 2 * sizeof *v;
        v[0].NextEntryOffset = sizeof *v;
        v[0].RuleClasses[0] = 0xFFFFFFFF;
        v[0].TriageContext = 0xEEEEEEEE;
        FILL_VERIFIER(&v[0], L"leak_small.sys", 10);
        FILL_VERIFIER(&v[1], L"clean.sys", 20);
        dump("verifier_19h1", buffer, used, buffer);
    }
    {
        static BYTE buffer[1024];
        SYSTEM_VERIFIER_INFORMATION_LEGACY *v = (SYSTEM_VERIFIER_INFORMATION_LEGACY *)buffer;
        used = 2 * sizeof *v;
        v[0].NextEntryOffset = sizeof *v;
        FILL_VERIFIER(&v[0], L"old.sys", 30);
        FILL_VERIFIER(&v[1], L"older.sys", 40);
        dump("verifier_legacy", buffer, used, buffer);
    }

    /* TOKEN_PRIVILEGES with one privilege, as AdjustTokenPrivileges reads it: SeDebugPrivilege's
     * LUID with a HighPart that shows its sign, enabled. */
    TOKEN_PRIVILEGES privileges = {0};
    privileges.PrivilegeCount = 1;
    privileges.Privileges[0].Luid.LowPart = 20;
    privileges.Privileges[0].Luid.HighPart = -2;
    privileges.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    dump("token_privileges", &privileges, sizeof privileges, &privileges);

    /* A crash dump's first 0x2000 bytes: bugcheck 0xC4 (0x62, …), a kernel summary dump. */
    static DUMP_HEADER64 header;
    memset(&header, 'P', sizeof header);
    memcpy(&header.Signature, "PAGE", 4);
    memcpy(&header.ValidDump, "DU64", 4);
    header.BugCheckCode = 0xC4;
    header.BugCheckParameter1 = 0x62;
    header.BugCheckParameter2 = 0xFFFFF80012345678ULL;
    header.BugCheckParameter3 = 0xFFFFC00012340000ULL;
    header.BugCheckParameter4 = 3;
    header.DumpType = 2;
    dump("dump_header64", &header, sizeof header, &header);

#define OFF(type, field) (unsigned)offsetof(type, field)
    printf("{\"VERIFIER_19H1\":%u,\"VERIFIER_LEGACY\":%u,\"SYSTEM_POOLTAG\":%u,",
           (unsigned)sizeof(SYSTEM_VERIFIER_INFORMATION), (unsigned)sizeof(SYSTEM_VERIFIER_INFORMATION_LEGACY),
           (unsigned)sizeof(SYSTEM_POOLTAG));
    printf("\"SP_DEVINFO_DATA\":{\"size\":%u,\"cbSize\":%u,\"ClassGuid\":%u,\"DevInst\":%u,\"Reserved\":%u},",
           (unsigned)sizeof(SP_DEVINFO_DATA), OFF(SP_DEVINFO_DATA, cbSize), OFF(SP_DEVINFO_DATA, ClassGuid),
           OFF(SP_DEVINFO_DATA, DevInst), OFF(SP_DEVINFO_DATA, Reserved));
    printf("\"SP_DEVINSTALL_PARAMS_W\":{\"size\":%u,\"cbSize\":%u,\"Flags\":%u,\"FlagsEx\":%u,\"hwndParent\":%u,"
           "\"InstallMsgHandler\":%u,\"InstallMsgHandlerContext\":%u,\"FileQueue\":%u,\"ClassInstallReserved\":%u,"
           "\"Reserved\":%u,\"DriverPath\":%u},",
           (unsigned)sizeof(SP_DEVINSTALL_PARAMS_W), OFF(SP_DEVINSTALL_PARAMS_W, cbSize), OFF(SP_DEVINSTALL_PARAMS_W, Flags),
           OFF(SP_DEVINSTALL_PARAMS_W, FlagsEx), OFF(SP_DEVINSTALL_PARAMS_W, hwndParent),
           OFF(SP_DEVINSTALL_PARAMS_W, InstallMsgHandler), OFF(SP_DEVINSTALL_PARAMS_W, InstallMsgHandlerContext),
           OFF(SP_DEVINSTALL_PARAMS_W, FileQueue), OFF(SP_DEVINSTALL_PARAMS_W, ClassInstallReserved),
           OFF(SP_DEVINSTALL_PARAMS_W, Reserved), OFF(SP_DEVINSTALL_PARAMS_W, DriverPath));
    printf("\"SERVICE_STATUS\":{\"size\":%u,\"dwServiceType\":%u,\"dwCurrentState\":%u,\"dwControlsAccepted\":%u,"
           "\"dwWin32ExitCode\":%u,\"dwServiceSpecificExitCode\":%u,\"dwCheckPoint\":%u,\"dwWaitHint\":%u},",
           (unsigned)sizeof(SERVICE_STATUS), OFF(SERVICE_STATUS, dwServiceType), OFF(SERVICE_STATUS, dwCurrentState),
           OFF(SERVICE_STATUS, dwControlsAccepted), OFF(SERVICE_STATUS, dwWin32ExitCode),
           OFF(SERVICE_STATUS, dwServiceSpecificExitCode), OFF(SERVICE_STATUS, dwCheckPoint),
           OFF(SERVICE_STATUS, dwWaitHint));
    printf("\"TOKEN_PRIVILEGES\":%u,\"DUMP_HEADER64\":{\"size\":%u,\"BugCheckCode\":%u,\"BugCheckParameter1\":%u,"
           "\"BugCheckParameter4\":%u,\"DumpType\":%u},",
           (unsigned)sizeof(TOKEN_PRIVILEGES), (unsigned)sizeof(DUMP_HEADER64), OFF(DUMP_HEADER64, BugCheckCode),
           OFF(DUMP_HEADER64, BugCheckParameter1), OFF(DUMP_HEADER64, BugCheckParameter4), OFF(DUMP_HEADER64, DumpType));
    printf("\"SERVICE_STATUS_PROCESS\":%u,\"QUERY_SERVICE_CONFIGW\":%u,\"ENUM_SERVICE_STATUS_PROCESSW\":%u,"
           "\"PERFORMANCE_INFORMATION\":%u,\"SYSTEM_PROCESS_INFORMATION\":%u,"
           "\"WorkingSetSize\":%u,\"PrivatePageCount\":%u,\"KernelPaged\":%u,\"HandleCount\":%u,"
           "\"lpBinaryPathName\":%u,\"dwTagId\":%u,\"lpDisplayName\":%u,\"NonPagedUsed\":%u}\n",
           (unsigned)sizeof(SERVICE_STATUS_PROCESS), (unsigned)sizeof(QUERY_SERVICE_CONFIGW),
           (unsigned)sizeof(ENUM_SERVICE_STATUS_PROCESSW), (unsigned)sizeof(PERFORMANCE_INFORMATION),
           (unsigned)sizeof(SYSTEM_PROCESS_INFORMATION),
           OFF(SYSTEM_PROCESS_INFORMATION, VirtualMemoryCounters.WorkingSetSize),
           OFF(SYSTEM_PROCESS_INFORMATION, PrivatePageCount),
           OFF(PERFORMANCE_INFORMATION, KernelPaged),
           OFF(PERFORMANCE_INFORMATION, HandleCount),
           OFF(QUERY_SERVICE_CONFIGW, lpBinaryPathName),
           OFF(QUERY_SERVICE_CONFIGW, dwTagId),
           OFF(QUERY_SERVICE_CONFIGW, lpDisplayName),
           OFF(SYSTEM_POOLTAG, NonPagedUsed));
    return 0;
}
