/**
 * A team INF touches only what is its own: the probe's hostile INFs (issue 22) are each refused
 * with the section and the line, before anything is installed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import { readTeamInf } from '../../src/core/team-inf.ts';
import { teamInfRefusal } from './team-inf-refusal.ts';

/** The sample team INF of drivers/src: a Windows-driver-samples layout with HKR parameters. */
const TEAM = readFileSync(path.join(PACKAGE_ROOT, 'drivers/src/pnp_team.inf'), 'utf8');
const IMAGE = 'pnp_clean.sys';

const refusal = (text: string, image = IMAGE) => teamInfRefusal(() => readTeamInf(text, image));
const refused = (text: string, image = IMAGE) => refusal(text, image).message;

/** The team INF with `extra` appended to a section (created when the INF has none). */
function withLines(section: string, ...extra: string[]): string {
  const header = new RegExp(`^\\[${section.replaceAll('.', '\\.')}\\][ \\t]*$`, 'm');
  return header.test(TEAM)
    ? TEAM.replace(header, (found) => [found, ...extra].join('\n'))
    : `${TEAM}\n[${section}]\n${extra.join('\n')}\n`;
}

test('the sample team INF, its own HKR and service keys, passes', () => {
  expect(readTeamInf(TEAM, IMAGE).service).toBe('DcTeamPnp');
  // Its own service key written through HKLM is its own too, as is an interface's HKR.
  const own = withLines(
    'DcTeamPnp_Parameters',
    'HKLM,System\\CurrentControlSet\\Services\\DcTeamPnp\\Parameters,Mode,0x00010001,1',
  );
  expect(readTeamInf(own, IMAGE).service).toBe('DcTeamPnp');
  const iface = withLines(
    'DcTeamPnp_Device.NT.Interfaces',
    'AddInterface = {6a1b2c3d-0000-4000-8000-000000000001},,DcTeamPnp_Iface',
  ).concat(
    '\n[DcTeamPnp_Iface]\nAddReg = DcTeamPnp_IfaceReg\n[DcTeamPnp_IfaceReg]\nHKR,,FriendlyName,,"x"\n',
  );
  expect(readTeamInf(iface, IMAGE).service).toBe('DcTeamPnp');
});

test('a destination outside the drivers folder is refused: an absolute path, a climb, system32', () => {
  expect(refused(TEAM.replace('DefaultDestDir = 12', 'DefaultDestDir = -1,C:\\somewhere'))).toBe(
    '[DestinationDirs] "DefaultDestDir = -1,C:\\somewhere" is refused: it copies the image to -1,C:\\somewhere: drvcycle installs a driver image into the drivers folder (12) or the driver store (13) only, never over a file it does not own',
  );
  expect(refused(TEAM.replace('DefaultDestDir = 12', 'DefaultDestDir = 12,..\\..\\..\\x'))).toMatch(
    /^\[DestinationDirs\] "DefaultDestDir = 12,..\\..\\..\\x" is refused: it copies the image to 12,/,
  );
  expect(refused(TEAM.replace('DefaultDestDir = 12', 'DefaultDestDir = 11'))).toMatch(
    /it copies the image to DIRID 11/,
  );
  // A file list's own entry wins over DefaultDestDir, as in SetupAPI.
  expect(refused(withLines('DestinationDirs', 'Drivers_Dir = 10'))).toMatch(
    /^\[DestinationDirs\] "Drivers_Dir = 10" is refused/,
  );
  // Through [Strings] too.
  expect(
    refused(
      withLines('Strings', 'Dest = "11"').replace('DefaultDestDir = 12', 'DefaultDestDir = %Dest%'),
    ),
  ).toMatch(/DIRID 11/);
  // No destination at all: SetupAPI's default is system32.
  const { message, hint } = refusal(TEAM.replace('DefaultDestDir = 12', ''));
  expect(message).toMatch(
    /names no folder for Drivers_Dir: an INF that copies a file must name its folder/,
  );
  expect(hint).toBe(
    'Send the image where its ServiceBinary (%12%) runs it: "[DestinationDirs] Drivers_Dir = 12".',
  );
});

test('an image that is not a driver file, or is renamed on its way, is refused', () => {
  const notepad = TEAM.replaceAll('pnp_clean.sys', 'notepad.exe');
  expect(refused(notepad, 'notepad.exe')).toMatch(
    /^the driver image "notepad.exe" is not a driver file name/,
  );
  expect(refused(TEAM.replaceAll('pnp_clean.sys', 'nul.sys'), 'nul.sys')).toMatch(
    /not a name Windows reserves for a device such as con or nul/,
  );
  // Copied under another name (destination, source): fltmgr.sys from the image.
  expect(
    refused(
      TEAM.replace('[Drivers_Dir]\npnp_clean.sys', '[Drivers_Dir]\nfltmgr.sys,pnp_clean.sys'),
    ),
  ).toMatch(/copies fltmgr.sys/);
  // ServiceBinary anywhere but the drivers folder (fltmgr.sys to system32 by ServiceBinary).
  expect(refused(TEAM.replace('%12%\\pnp_clean.sys', '%11%\\pnp_clean.sys'))).toMatch(
    /its ServiceBinary %11%\\pnp_clean.sys is not a file in the drivers folder/,
  );
});

test('a registry line outside the driver’s own keys is refused, naming the line', () => {
  const foreign = withLines(
    'DcTeamPnp_Parameters',
    'HKLM,System\\CurrentControlSet\\Services\\Beep,ImagePath,0x00020000,"%12%\\pnp_clean.sys"',
  );
  const { message, hint } = refusal(foreign);
  expect(message).toBe(
    '[DcTeamPnp_Parameters] "HKLM,System\\CurrentControlSet\\Services\\Beep,ImagePath,0x00020000,"%12%\\pnp_clean.sys"" is refused: it writes HKLM\\System\\CurrentControlSet\\Services\\Beep, which is not the driver’s own key',
  );
  expect(hint).toMatch(/^drvcycle lets a team INF write only the driver’s own keys: HKR/);
  // A service whose name starts like the driver's is not the driver's.
  expect(
    refused(
      withLines(
        'DcTeamPnp_Parameters',
        'HKLM,System\\CurrentControlSet\\Services\\DcTeamPnpX,Start,0x00010001,2',
      ),
    ),
  ).toMatch(/Services\\DcTeamPnpX, which is not/);
  // Through [Strings], another root, DelReg and BitReg, in the .HW section.
  expect(
    refused(
      withLines('Strings', 'Key = "Software\\Microsoft\\Windows\\CurrentVersion\\Run"').replace(
        'HKR,Parameters',
        'HKLM,%Key%',
      ),
    ),
  ).toMatch(/it writes HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run/);
  for (const directive of ['AddReg', 'DelReg', 'BitReg'])
    expect(
      refused(
        withLines('DcTeamPnp_Device.NT.HW', `${directive} = Hw_Reg`).concat(
          '\n[Hw_Reg]\nHKCR,.sys,,,"x"\n',
        ),
      ),
    ).toMatch(/^\[Hw_Reg\] "HKCR,.sys,,,"x"" is refused: it writes HKCR\\.sys/);
  // The class installer (SetupAPI runs it for a class not yet installed) and an interface.
  expect(
    refused(`${TEAM}\n[ClassInstall32]\nAddReg = Cls\n[Cls]\nHKLM,System\\Setup,x,,1\n`),
  ).toMatch(/it writes HKLM\\System\\Setup/);
  expect(
    refused(
      withLines(
        'DcTeamPnp_Device.NT.Interfaces',
        'AddInterface = {6a1b2c3d-0000-4000-8000-000000000001},,If',
      ).concat('\n[If]\nAddReg = IfReg\n[IfReg]\nHKU,.DEFAULT\\x,y,,1\n'),
    ),
  ).toMatch(/it writes HKU\\.DEFAULT\\x/);
});

test('another service, another INF’s sections or a file operation is refused', () => {
  expect(
    refused(
      TEAM.replace(
        'DcTeamPnp_Service_Inst\n',
        'DcTeamPnp_Service_Inst\nAddService = Beep,0,DcTeamPnp_Service_Inst\n',
      ),
    ),
  ).toMatch(
    /^\[DcTeamPnp_Device.NT.Services\] "AddService = Beep,0,DcTeamPnp_Service_Inst" is refused: it installs the service "Beep" besides/,
  );
  expect(refused(withLines('DcTeamPnp_Device.NT.Services', 'DelService = Beep'))).toMatch(
    /DelService names the service "Beep", not the driver’s own "DcTeamPnp"/,
  );
  expect(
    refused(withLines('DcTeamPnp_Device.NT', 'Include = machine.inf', 'Needs = PCI_DRV')),
  ).toMatch(/"Include = machine.inf" is refused: Include pulls in sections of other INFs/);
  for (const [line, what] of [
    ['DelFiles = Drivers_Dir', 'deletes files'],
    ['RenFiles = Drivers_Dir', 'renames files'],
    ['RegisterDlls = Dlls', 'registers and runs DLLs'],
  ])
    expect(refused(withLines('DcTeamPnp_Device.NT', line!))).toContain(
      `is refused: ${line!.split(' ')[0]} ${what}`,
    );
  // A co-installer's files are files drvcycle was not given.
  expect(
    refused(
      withLines('DcTeamPnp_Device.NT.CoInstallers', 'CopyFiles = Co_Files').concat(
        '\n[Co_Files]\nWdfCoInstaller01011.dll\n',
      ),
    ),
  ).toMatch(
    /^\[Co_Files\] "WdfCoInstaller01011.dll" is refused: it copies WdfCoInstaller01011.dll, not the driver image pnp_clean.sys/,
  );
  // An event-log source under another name.
  expect(
    refused(
      TEAM.replace(
        'AddService = DcTeamPnp,%SPSVCINST_ASSOCSERVICE%, DcTeamPnp_Service_Inst',
        'AddService = DcTeamPnp,%SPSVCINST_ASSOCSERVICE%, DcTeamPnp_Service_Inst, Ev, System, Beep',
      ).concat('\n[Ev]\nAddReg = EvReg\n[EvReg]\nHKR,,TypesSupported,0x00010001,7\n'),
    ),
  ).toMatch(/registers the event-log source "Beep"/);
});
