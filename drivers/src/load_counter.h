/*
 * load_counter.h - a DWORD kept across loads in the driver's own service key
 * (the RegistryPath DriverEntry gets), read with RtlQueryRegistryValues and
 * written with RtlWriteRegistryValue. drvcycle deletes the key with the
 * service, so every test starts from zero.
 */
#ifndef DRVCYCLE_LOAD_COUNTER_H
#define DRVCYCLE_LOAD_COUNTER_H

#include "common.h"

#define DC_KEY_CHARS 260

/* RegistryPath as a NUL-terminated string (UNICODE_STRINGs need not be). */
static inline BOOLEAN DcKeyPath(PCUNICODE_STRING registryPath, WCHAR *out)
{
    USHORT chars = registryPath->Length / sizeof(WCHAR);
    if (chars >= DC_KEY_CHARS)
        return FALSE;
    RtlCopyMemory(out, registryPath->Buffer, chars * sizeof(WCHAR));
    out[chars] = L'\0';
    return TRUE;
}

/* The DWORD value `name` under the key, or `fallback` when it is absent. */
static inline ULONG DcReadDword(WCHAR *key, PWSTR name, ULONG fallback)
{
    RTL_QUERY_REGISTRY_TABLE table[2];
    ULONG value = fallback;

    RtlZeroMemory(table, sizeof(table));
    table[0].Flags = RTL_QUERY_REGISTRY_DIRECT;
    table[0].Name = name;
    table[0].EntryContext = &value;
    table[0].DefaultType = REG_DWORD;
    table[0].DefaultData = &fallback;
    table[0].DefaultLength = sizeof(ULONG);
    if (!NT_SUCCESS(RtlQueryRegistryValues(RTL_REGISTRY_ABSOLUTE, key, table, NULL, NULL)))
        return fallback;
    return value;
}

static inline NTSTATUS DcWriteDword(WCHAR *key, PWSTR name, ULONG value)
{
    return RtlWriteRegistryValue(RTL_REGISTRY_ABSOLUTE, key, name, REG_DWORD, &value,
                                 sizeof(value));
}

#endif /* DRVCYCLE_LOAD_COUNTER_H */
