import { expect, test } from '@playwright/test';
import {
  decodeInf,
  deployedImagePath,
  encodeInf,
  imageDestination,
  ownedTeamInf,
  readTeamInf,
  teamInfNeedsRewrite,
} from '../../src/core/team-inf.ts';
import { firstModel, infSections } from '../../src/core/inf.ts';
import { teamInfRefusal } from './team-inf-refusal.ts';

/** The layout of the KMDF echo sample's INF (Windows-driver-samples), after stampinf for amd64. */
const ECHO = [
  ';',
  '; ECHO.INF',
  ';',
  '[Version]',
  'Signature="$WINDOWS NT$"',
  'Class=Sample',
  'ClassGuid={78A1C341-4539-11d3-B88D-00C04FAD5171}',
  'Provider=%ProviderString%',
  'DriverVer=03/20/2003,5.00.3788',
  'CatalogFile=KmdfSamples.cat',
  'PnpLockdown=1',
  '',
  '[DestinationDirs]',
  'DefaultDestDir = 12',
  '',
  '[SourceDisksNames]',
  '1 = %DiskId1%,,,""',
  '',
  '[SourceDisksFiles]',
  'echo.sys  = 1,,',
  '',
  '[Manufacturer]',
  '%StdMfg%=Standard,NTamd64.10.0...16299',
  '',
  '[Standard.NTamd64.10.0...16299]',
  '%Echo.DeviceDesc%=Echo_Device, root\\ECHO',
  '',
  '[Echo_Device.NT]',
  'CopyFiles=Drivers_Dir',
  '',
  '[Drivers_Dir]',
  'echo.sys',
  '',
  '[Echo_Device.NT.Services]',
  'AddService = %ServiceName%,%SPSVCINST_ASSOCSERVICE%, echo_Service_Inst',
  '',
  '[echo_Service_Inst]',
  'DisplayName    = %ECHO.SVCDESC%',
  'ServiceType    = 1               ; SERVICE_KERNEL_DRIVER',
  'StartType      = 3               ; SERVICE_DEMAND_START',
  'ErrorControl   = 1               ; SERVICE_ERROR_NORMAL',
  'ServiceBinary  = %12%\\echo.sys',
  '',
  '[Strings]',
  'SPSVCINST_ASSOCSERVICE= 0x00000002',
  'ServiceName = "ECHO"',
  'ProviderString = "TODO-Set-Provider"',
  'StdMfg = "(Standard system devices)"',
  'DiskId1 = "WDF Sample Echo Installation Disk #1"',
  'Echo.DeviceDesc = "Sample WDF Echo Driver"',
  'ECHO.SVCDESC = "Sample WDF Echo Service"',
].join('\r\n');

const problem = (fn: () => unknown) => teamInfRefusal(fn).message;

test('a team INF gives its hardware id, service (through [Strings]), class and image', () => {
  expect(readTeamInf(ECHO, 'echo.sys')).toEqual({
    hardwareId: 'root\\ECHO',
    service: 'ECHO',
    classGuid: '{78A1C341-4539-11d3-B88D-00C04FAD5171}',
    className: 'Sample',
    serviceSection: 'echo_Service_Inst',
    imageFile: 'echo.sys',
    serviceBinary: '%12%\\echo.sys',
    imageDirid: '12',
    catalogFile: 'KmdfSamples.cat',
  });
  // The image name is compared as Windows does: without case.
  expect(readTeamInf(ECHO, 'ECHO.SYS').hardwareId).toBe('root\\ECHO');
});

test('an INF drvcycle cannot install is refused with the reason and what to do', () => {
  expect(problem(() => readTeamInf(ECHO, 'other.sys'))).toBe(
    'its install section copies echo.sys, not the driver image other.sys: the INF is for a file drvcycle was not given',
  );
  expect(
    problem(() => readTeamInf(ECHO.replace('root\\ECHO', 'PCI\\VEN_8086&DEV_1234'), 'echo.sys')),
  ).toMatch(/^its first model line is for the hardware id PCI\\VEN_8086&DEV_1234, which a bus/);
  expect(problem(() => readTeamInf(ECHO.replace('[Manufacturer]', '[Nothing]'), 'echo.sys'))).toBe(
    'it has no usable model line: the INF has no [Manufacturer] section',
  );
  expect(
    problem(() =>
      readTeamInf(
        ECHO.replace('echo.sys\r\n\r\n[Echo', 'echo.sys\r\nEchoCoInstaller.dll\r\n\r\n[Echo'),
        'echo.sys',
      ),
    ),
  ).toBe(
    'it copies EchoCoInstaller.dll besides echo.sys; drvcycle sends only the driver image to the machine',
  );
  expect(
    problem(() =>
      readTeamInf(ECHO.replace('AddService = %ServiceName%,', 'AddService = ../x,'), 'echo.sys'),
    ),
  ).toMatch(/^its service name "..\/x" is not one drvcycle can own/);
  expect(
    problem(() => readTeamInf(ECHO.replace('ServiceBinary  = %12%\\echo.sys', ''), 'echo.sys')),
  ).toBe('[echo_Service_Inst] has no ServiceBinary');
  expect(
    problem(() =>
      readTeamInf(
        ECHO.replace('[Echo_Device.NT.Services]\r\nAddService', '[Echo_Device.NT.Services]\r\n;'),
        'echo.sys',
      ),
    ),
  ).toBe('[Echo_Device.NT.Services] has no AddService line');
});

test('ServiceBinary puts the image in the drivers folder or the driver store, and nowhere else', () => {
  expect(deployedImagePath('%12%\\echo.sys')).toBe('C:\\windows\\system32\\drivers\\echo.sys');
  expect(deployedImagePath('"%12%\\echo.sys"', 'D:\\Win')).toBe(
    'D:\\Win\\system32\\drivers\\echo.sys',
  );
  // system32 and the Windows folder hold the system's own files: a team INF never writes there.
  expect(problem(() => deployedImagePath('"%11%\\echo.sys"'))).toBe(
    'its ServiceBinary "%11%\\echo.sys" is not a file in the drivers folder (%12%) or the driver store (%13%)',
  );
  expect(problem(() => deployedImagePath('%10%\\echo.sys'))).toMatch(/not a file in the drivers/);
  expect(problem(() => deployedImagePath('%12%\\..\\..\\evil.sys'))).toMatch(/not a file in/);
  // A subfolder the drivers folder does not have (the agent answered 500 when copying there).
  expect(problem(() => deployedImagePath('%12%\\sub\\echo.sys'))).toMatch(/not a file in/);
  expect(problem(() => deployedImagePath('%13%\\sub\\echo.sys'))).toMatch(/not a file in/);
  // The driver store (13, Windows 10 1709+): its folder is chosen at install time, not known before.
  expect(imageDestination('"%13%\\echo.sys"')).toEqual({ dirid: '13', file: 'echo.sys' });
  expect(problem(() => deployedImagePath('%13%\\echo.sys'))).toBe(
    'its ServiceBinary %13%\\echo.sys is in the driver store, whose folder Windows picks at install time',
  );
});

/** ECHO run from the driver store: DefaultDestDir and ServiceBinary both 13. */
const ECHO_STORE = ECHO.replace('DefaultDestDir = 12', 'DefaultDestDir = 13').replace(
  '%12%\\echo.sys',
  '%13%\\echo.sys',
);

test('a team INF that runs its image from the driver store (DIRID 13) is read as such', () => {
  expect(readTeamInf(ECHO_STORE, 'echo.sys')).toMatchObject({
    imageDirid: '13',
    serviceBinary: '%13%\\echo.sys',
  });
  // Only with a ServiceBinary in the same place: a service that starts a file the INF did not copy.
  expect(
    problem(() => readTeamInf(ECHO_STORE.replace('%13%\\echo', '%12%\\echo'), 'echo.sys')),
  ).toBe(
    '[DestinationDirs] "DefaultDestDir = 13" is refused: it copies the image to DIRID 13, but its ServiceBinary runs it from %12%: the service would start a file the INF did not install',
  );
  expect(problem(() => readTeamInf(ECHO.replace('%12%\\echo', '%13%\\echo'), 'echo.sys'))).toBe(
    '[DestinationDirs] "DefaultDestDir = 12" is refused: it copies the image to DIRID 12, but its ServiceBinary runs it from %13%: the service would start a file the INF did not install',
  );
  expect(
    problem(() =>
      readTeamInf(ECHO_STORE.replace('DefaultDestDir = 13', 'DefaultDestDir = 13,sub'), 'echo.sys'),
    ),
  ).toMatch(
    /it copies the image to 13,sub: drvcycle installs a driver image into the drivers folder \(12\) or the driver store \(13\) only/,
  );
});

test('the catalog a team INF names for amd64: the most specific CatalogFile decoration, a plain .cat', () => {
  const version = (lines: string) => ECHO.replace('CatalogFile=KmdfSamples.cat', lines);
  expect(readTeamInf(version(''), 'echo.sys').catalogFile).toBeUndefined();
  expect(
    readTeamInf(
      version('CatalogFile=all.cat\r\nCatalogFile.NTamd64=x64.cat\r\nCatalogFile.NTx86=x86.cat'),
      'echo.sys',
    ).catalogFile,
  ).toBe('x64.cat');
  expect(
    readTeamInf(version('CatalogFile.NT = "nt.cat"\r\nCatalogFile=all.cat'), 'echo.sys')
      .catalogFile,
  ).toBe('nt.cat');
  expect(
    readTeamInf(`${version('CatalogFile=%Cat%')}\r\nCat = "echo.cat"`, 'echo.sys').catalogFile,
  ).toBe('echo.cat');
  expect(problem(() => readTeamInf(version('CatalogFile=..\\other\\x.cat'), 'echo.sys'))).toBe(
    'its [Version] CatalogFile "..\\other\\x.cat" is not a catalog file name beside the INF (<name>.cat, no folder)',
  );
  expect(problem(() => readTeamInf(version('CatalogFile=echo.sys'), 'echo.sys'))).toMatch(
    /is not a catalog file name/,
  );
  expect(problem(() => readTeamInf(version('CatalogFile=nul.cat'), 'echo.sys'))).toMatch(
    /is not a catalog file name/,
  );
});

test('the team’s INF is installed as written unless its service section sets what the marker owns', () => {
  const inf = readTeamInf(ECHO, 'echo.sys');
  // ECHO sets DisplayName: it would replace the marker drvcycle created the service with.
  expect(teamInfNeedsRewrite(ECHO, inf, {})).toBe(true);
  const bare = ECHO.replace('DisplayName    = %ECHO.SVCDESC%\r\n', '');
  expect(teamInfNeedsRewrite(bare, readTeamInf(bare, 'echo.sys'), {})).toBe(false);
  const described = bare.replace('ServiceType ', 'Description = "x"\r\nServiceType ');
  expect(teamInfNeedsRewrite(described, readTeamInf(described, 'echo.sys'), {})).toBe(true);
  // Its own LoadOrderGroup stands on Windows; the lab needs its host's group instead.
  const grouped = bare.replace('ServiceType ', 'LoadOrderGroup = "Extended Base"\r\nServiceType ');
  const groupedInf = readTeamInf(grouped, 'echo.sys');
  expect(teamInfNeedsRewrite(grouped, groupedInf, {})).toBe(false);
  expect(teamInfNeedsRewrite(grouped, groupedInf, { loadOrderGroup: 'drvcycle-host' })).toBe(true);
  // Without one, the lab's group set at creation stays (AddService leaves what it does not give).
  expect(
    teamInfNeedsRewrite(bare, readTeamInf(bare, 'echo.sys'), { loadOrderGroup: 'drvcycle-host' }),
  ).toBe(false);
});

test('the INF drvcycle installs is the team’s, its service section carrying drvcycle’s marker', () => {
  const inf = readTeamInf(ECHO, 'echo.sys');
  const owned = ownedTeamInf(ECHO, inf, {
    displayName: 'ECHO (drvcycle:run=r1)',
    description: 'drvcycle:run=r1 "at" 2026-11-26',
    loadOrderGroup: 'drvcycle-host',
  });
  expect(owned.split('\r\n')).toHaveLength(ECHO.split('\r\n').length + 2); // 3 added, 1 replaced
  const sections = infSections(owned);
  expect(sections.get('echo_service_inst')).toEqual([
    'DisplayName = "ECHO (drvcycle:run=r1)"',
    'Description = "drvcycle:run=r1 ""at"" 2026-11-26"',
    'LoadOrderGroup = "drvcycle-host"',
    'ServiceType    = 1',
    'StartType      = 3',
    'ErrorControl   = 1',
    'ServiceBinary  = %12%\\echo.sys',
  ]);
  // Everything else is untouched: the same model, files and strings.
  expect(firstModel(owned)).toEqual(firstModel(ECHO));
  expect(sections.get('strings')).toEqual(infSections(ECHO).get('strings'));
  // Without a group (Windows), no LoadOrderGroup line.
  expect(
    ownedTeamInf(ECHO, inf, { displayName: 'd', description: 'e' }).includes('LoadOrderGroup'),
  ).toBe(false);
});

test('an INF is read in the encoding it was written in, and written so SetupAPI reads it back', () => {
  const unicode = '[Strings]\r\nDesc = "Gerät für Tests"';
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(unicode, 'utf16le')]);
  expect(decodeInf(utf16)).toBe(unicode);
  expect(decodeInf(Buffer.from(`\uFEFF${ECHO}`, 'utf8'))).toBe(ECHO);
  expect(decodeInf(Buffer.from(ECHO, 'latin1'))).toBe(ECHO);
  // ASCII stays ASCII; anything else becomes UTF-16LE with its byte-order mark.
  expect(encodeInf(ECHO).equals(Buffer.from(ECHO, 'latin1'))).toBe(true);
  expect(encodeInf(unicode).equals(utf16)).toBe(true);
  expect(decodeInf(encodeInf(unicode))).toBe(unicode);
});

test('an INF in UTF-16 without a byte-order mark, big-endian, or in the ANSI code page reads as written', () => {
  const text = '[Strings]\r\nDesc = "Gerät für Tests"';
  expect(decodeInf(Buffer.from(text, 'utf16le'))).toBe(text);
  const bigEndian = Buffer.from(text, 'utf16le').swap16();
  expect(decodeInf(bigEndian)).toBe(text);
  expect(decodeInf(Buffer.concat([Buffer.from([0xfe, 0xff]), bigEndian]))).toBe(text);
  // Latin-1 (Windows-1252) bytes are not UTF-8: read in the code page, not mangled into U+FFFD.
  expect(decodeInf(Buffer.from(text, 'latin1'))).toBe(text);
  expect(decodeInf(Buffer.from(text, 'utf8'))).toBe(text);
});

test('an INF over 1 MiB is refused before it is parsed', () => {
  const huge = Buffer.alloc(1024 * 1024 + 1, 0x20);
  expect(() => decodeInf(huge)).toThrow(
    'it is 1048577 bytes long, over the 1048576 bytes drvcycle reads from an INF',
  );
});
