/** INF files for PnP drivers: the one drvcycle writes, and reading a driver team's own. */
import { expect, test } from '@playwright/test';
import { firstModel, GUID_DEVCLASS_SYSTEM, rootDeviceInf } from '../../src/core/inf.ts';
import { guidStruct, multiSz, parseMultiSz } from '../../src/windows/pnp/setupapi.ts';

/** In the layout of the WDK's KMDF samples (echo.inx after stampinf), with a vendor's quirks. */
const VENDOR_INF = `;
; ECHO.INF - Installation file for the KMDF echo sample
;
[Version]
Signature="$WINDOWS NT$"
Class=Sample ; TODO: edit Class
ClassGuid={78A1C341-4539-11d3-B88D-00C04FAD5171}
Provider=%ProviderString%
DriverVer = 11/02/2025,10.0.26100.1
CatalogFile=KmdfSamples.cat
PnpLockdown=1

[DestinationDirs]
DefaultDestDir = 13

[SourceDisksNames]
1 = %DiskId1%,,,""

[SourceDisksFiles]
echo.sys  = 1,,

[Manufacturer]
%StdMfg%=Standard,NTamd64.10.0...16299

[Standard.NTamd64.10.0...16299]
%ECHO.DeviceDesc%=ECHO_Device, root\\ECHO ; root-enumerated
%ECHO.DeviceDesc%=ECHO_Device, PCI\\VEN_1234&DEV_5678

[ECHO_Device.NT]
CopyFiles=Drivers_Dir

[Drivers_Dir]
echo.sys

[ECHO_Device.NT.Services]
AddService = ECHO,%SPSVCINST_ASSOCSERVICE%, ECHO_Service_Inst

[ECHO_Service_Inst]
DisplayName    = %ECHO.SVCDESC%
ServiceType    = 1               ; SERVICE_KERNEL_DRIVER
StartType      = 3               ; SERVICE_DEMAND_START
ErrorControl   = 1               ; SERVICE_ERROR_NORMAL
ServiceBinary  = %13%\\echo.sys

[Strings]
SPSVCINST_ASSOCSERVICE= 0x00000002
ProviderString = "TODO-Set-Provider"
StdMfg = "(Standard system devices)"
DiskId1 = "WDF Sample ECHO Installation Disk #1"
ECHO.DeviceDesc = "Sample WDF ECHO Driver"
ECHO.SVCDESC = "Sample WDF ECHO Service"
`;

test("a driver team's INF: the first amd64 model line gives the hardware id, service, class and files", () => {
  expect(firstModel(VENDOR_INF)).toEqual({
    hardwareId: 'root\\ECHO',
    installSection: 'ECHO_Device.NT',
    service: 'ECHO',
    classGuid: '{78A1C341-4539-11d3-B88D-00C04FAD5171}',
    className: 'Sample',
    files: ['echo.sys'],
  });
  expect(() => firstModel('[Version]\nSignature="$WINDOWS NT$"\n')).toThrow(
    'the INF has no [Manufacturer] section',
  );
});

test('the INF drvcycle writes for a root-enumerated device reads back as that device', () => {
  const inf = rootDeviceInf({
    service: 'dc_pnp_clean',
    hardwareId: 'root\\dc_pnp_clean',
    imageFile: 'pnp_clean.sys',
    displayName: 'drvcycle:run=r1 dc_pnp_clean',
    description: 'drvcycle:run=r1 owned by drvcycle',
  });
  expect(inf).toContain('\r\n');
  expect(inf).toContain('DisplayName = "drvcycle:run=r1 dc_pnp_clean"');
  expect(inf).toContain('ServiceBinary = %12%\\pnp_clean.sys');
  expect(firstModel(inf)).toEqual({
    hardwareId: 'root\\dc_pnp_clean',
    installSection: 'DrvcycleInstall.NT',
    service: 'dc_pnp_clean',
    classGuid: GUID_DEVCLASS_SYSTEM,
    className: 'System',
    files: ['pnp_clean.sys'],
  });
});

test('GUIDs and REG_MULTI_SZ values as SetupAPI takes them', () => {
  expect(guidStruct(GUID_DEVCLASS_SYSTEM)).toEqual({
    Data1: 0x4d36e97d,
    Data2: 0xe325,
    Data3: 0x11ce,
    Data4: [0xbf, 0xc1, 0x08, 0x00, 0x2b, 0xe1, 0x03, 0x18],
  });
  expect(() => guidStruct('4d36e97d')).toThrow(TypeError);
  const bytes = multiSz(['root\\dc_pnp_clean', 'root\\other']);
  expect(bytes.byteLength).toBe(
    2 * ('root\\dc_pnp_clean'.length + 1 + 'root\\other'.length + 1 + 1),
  );
  expect(parseMultiSz(bytes)).toEqual(['root\\dc_pnp_clean', 'root\\other']);
});
