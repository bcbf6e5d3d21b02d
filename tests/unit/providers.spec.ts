import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import type { CommandRunner } from '../../src/machines/hypervisor.ts';
import {
  HyperV,
  hypervCommands,
  parseHyperVState,
  powershellArgs,
  psQuote,
} from '../../src/machines/hyperv.ts';
import { VmMachine } from '../../src/machines/hypervisor.ts';
import {
  Libvirt,
  parseDomIfAddr,
  parseDomState,
  virshCommands,
} from '../../src/machines/libvirt.ts';
import { machineSettingsFromEnv, providerFromEnv } from '../../src/config/machine-settings.ts';
import { scratchDir } from './scratch.ts';

/** A fake command runner: records each call and answers from a script of outputs. */
function fakeRunner(answers: Record<string, string[]>): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = (async (command: string, args: readonly string[]) => {
    const line = `${command} ${args.join(' ')}`;
    calls.push(line);
    const key = Object.keys(answers).find((k) => line.includes(k));
    return { stdout: key ? (answers[key]!.shift() ?? '') : '', stderr: '' };
  }) as unknown as CommandRunner & { calls: string[] };
  run.calls = calls;
  return run;
}

const VM1 =
  "$vm = @(Get-VM | Where-Object { $_.Name -eq 'vm1' }); if ($vm.Count -ne 1) { throw ('No single Hyper-V VM named ' + 'vm1' + ': found ' + $vm.Count) }";

test('PowerShell commands quote names safely, curly quotes included, and select VMs by exact name', () => {
  expect(psQuote("Win11 'test' VM")).toBe("'Win11 ''test'' VM'");
  // PowerShell reads U+2018–U+201B as single quotes too: each is doubled, never closes the literal.
  expect(psQuote('a\u2018b\u2019c\u201Ad\u201Be')).toBe(
    "'a\u2018\u2018b\u2019\u2019c\u201A\u201Ad\u201B\u201Be'",
  );
  expect(psQuote("x'; Remove-VM -Name * ; '")).toBe("'x''; Remove-VM -Name * ; '''");
  // -Name takes wildcards: a VM named "web*" must never reach every web VM.
  expect(hypervCommands.turnOff('vm1')).toBe(`${VM1}; Stop-VM -VM $vm[0] -TurnOff -Force`);
  expect(hypervCommands.start('web*')).toContain("Where-Object { $_.Name -eq 'web*' }");
  expect(hypervCommands.restore("a'b", 'clean')).toContain(
    "Get-VMCheckpoint -VM $vm[0] | Where-Object { $_.Name -eq 'clean' }",
  );
  expect(hypervCommands.state('vm1')).toBe(
    `${VM1}; $vm | Select-Object Name,@{n='State';e={$_.State.ToString()}} | ConvertTo-Json -Compress`,
  );
  expect(powershellArgs('Start-VM -Name x')).toEqual([
    '-NoProfile',
    '-NonInteractive',
    '-ExecutionPolicy',
    'Bypass',
    '-Command',
    "$ErrorActionPreference='Stop'; Start-VM -Name x",
  ]);
});

test('Hyper-V state parsing: by name, by enum number, arrays, and garbage', () => {
  expect(parseHyperVState('{"Name":"vm1","State":"Running"}')).toBe('running');
  expect(parseHyperVState('{"Name":"vm1","State":3}')).toBe('off');
  expect(parseHyperVState('[{"Name":"vm1","State":"Saved"}]')).toBe('saved');
  expect(parseHyperVState('{"Name":"vm1","State":"Starting"}')).toBe('transitioning');
  // Every VMState value is mapped, the storage-critical and fast-saved ones included.
  expect(parseHyperVState('{"State":32785}')).toBe('running');
  expect(parseHyperVState('{"State":"FastSaved"}')).toBe('saved');
  expect(parseHyperVState('{"State":"Hibernated"}')).toBe('saved');
  expect(parseHyperVState('{"State":32781}')).toBe('transitioning');
  expect(parseHyperVState('{"State":"OffCritical"}')).toBe('off');
  expect(parseHyperVState('{"State":1}')).toBe('unknown');
  expect(parseHyperVState('Get-VM : Hyper-V was unable to find a virtual machine')).toBe('unknown');
});

test('virsh commands and domstate parsing', () => {
  expect(virshCommands.revert('qemu:///system', 'win11', 'clean')).toEqual([
    '-c',
    'qemu:///system',
    'snapshot-revert',
    '--domain=win11',
    '--snapshotname=clean',
    '--running',
    '--force',
  ]);
  expect(virshCommands.state(undefined, 'win11')).toEqual([
    'domstate',
    '--domain=win11',
    '--reason',
  ]);
  // A domain named like an option stays a name.
  expect(virshCommands.destroy(undefined, '--all')).toEqual(['destroy', '--domain=--all']);
  expect(parseDomState('blocked (unknown)')).toBe('running');
  expect(parseDomState('running (booted)\n\n')).toBe('running');
  expect(parseDomState('shut off (destroyed)')).toBe('off');
  expect(parseDomState('crashed (panicked)')).toBe('crashed');
  expect(parseDomState('paused (user)')).toBe('paused');
  expect(parseDomState('in shutdown')).toBe('transitioning');
  expect(parseDomState('error: failed to get domain')).toBe('unknown');
});

test('recovering a crashed libvirt VM: destroy, revert, start if needed, wait for the agent', async () => {
  const run = fakeRunner({ domstate: ['crashed (panicked)', 'shut off (destroyed)'] });
  const machine = new VmMachine(
    new Libvirt({ uri: 'qemu:///system', run }),
    {
      vm: 'win11',
      snapshot: 'clean',
      agent: { url: 'http://127.0.0.1:9', token: 'x' },
      runId: 'r',
      bootTimeoutMs: 0,
    },
    async () => {},
  );
  await expect(machine.recover('bugcheck')).rejects.toThrow(
    /libvirt VM win11 reverted to "clean" but its agent at http:\/\/127\.0\.0\.1:9 did not answer/,
  );
  expect(run.calls).toEqual([
    'virsh -c qemu:///system domstate --domain=win11 --reason',
    'virsh -c qemu:///system destroy --domain=win11',
    'virsh -c qemu:///system snapshot-revert --domain=win11 --snapshotname=clean --running --force',
    'virsh -c qemu:///system domstate --domain=win11 --reason',
    'virsh -c qemu:///system start --domain=win11',
  ]);
});

test('reverting a Hyper-V VM whose checkpoint was taken running does not start it again', async () => {
  const run = fakeRunner({ 'ConvertTo-Json': ['{"Name":"vm1","State":"Running"}'] });
  const machine = new VmMachine(
    new HyperV({ shell: 'pwsh', run }),
    {
      vm: 'vm1',
      snapshot: 'clean',
      agent: { url: 'http://127.0.0.1:9', token: 'x' },
      runId: 'r',
      bootTimeoutMs: 0,
    },
    async () => {},
  );
  await machine.revert().catch(() => undefined);
  expect(
    run.calls.map((c) => c.replace(/^pwsh .*-Command \$ErrorActionPreference='Stop'; /, '')),
  ).toEqual([hypervCommands.restore('vm1', 'clean'), hypervCommands.state('vm1')]);
});

test('provider configuration errors say what to set', () => {
  const tokenFile = path.join(scratchDir('drvcycle-providers-'), 'token');
  writeFileSync(tokenFile, `${'t'.repeat(40)}\n`);
  const agents = {
    DRVCYCLE_AGENTS: 'http://10.0.0.1:8765,http://10.0.0.2:8765',
    DRVCYCLE_AGENT_TOKEN_FILE: tokenFile,
  };
  expect(providerFromEnv({})).toBe('lab');
  expect(() => providerFromEnv({ DRVCYCLE_MACHINE: 'vmware' })).toThrow(
    'Unknown DRVCYCLE_MACHINE "vmware".\nUse one of: lab, existing, hyperv, libvirt.',
  );
  expect(() => machineSettingsFromEnv({ ...agents, DRVCYCLE_MACHINE: 'hyperv' })).toThrow(
    /needs DRVCYCLE_VMS/,
  );
  expect(() =>
    machineSettingsFromEnv({ ...agents, DRVCYCLE_MACHINE: 'libvirt', DRVCYCLE_VMS: 'a,b' }),
  ).toThrow(/needs DRVCYCLE_SNAPSHOT/);
  expect(
    machineSettingsFromEnv({
      ...agents,
      DRVCYCLE_MACHINE: 'libvirt',
      DRVCYCLE_VMS: 'a, b',
      DRVCYCLE_SNAPSHOT: 'clean',
      DRVCYCLE_CONSOLE_LOG: '/var/log/{vm}.log',
    }),
  ).toEqual({
    provider: 'libvirt',
    agents: { urls: ['http://10.0.0.1:8765', 'http://10.0.0.2:8765'], token: 't'.repeat(40) },
    vms: ['a', 'b'],
    snapshot: 'clean',
    consoleLog: '/var/log/{vm}.log',
    powershell: 'powershell.exe',
    libvirtUri: undefined,
    machinesPerWorker: 1,
  });
});

test("an agent URL with {ip} is completed with the VM's address after each revert", async () => {
  expect(
    parseDomIfAddr(
      ' Name       MAC address          Protocol     Address\n-------------------------------------------------------------------------------\n vnet0      52:54:00:8a:1b:2c    ipv4         192.168.122.45/24\n',
    ),
  ).toBe('192.168.122.45');
  expect(parseDomIfAddr(' Name MAC address Protocol Address\n----\n')).toBeUndefined();
  expect(virshCommands.address(undefined, 'win11')).toEqual([
    'domifaddr',
    '--domain=win11',
    '--source=lease',
  ]);
  const run = fakeRunner({
    domstate: ['running (booted)'],
    domifaddr: ['', ' vnet0 x ipv4 10.0.0.5/24'],
  });
  const machine = new VmMachine(
    new Libvirt({ run }),
    {
      vm: 'win11',
      snapshot: 'clean',
      agent: { url: 'http://{ip}:9', token: 'x' },
      runId: 'r',
      bootTimeoutMs: 2_000,
    },
    async () => {},
  );
  // The agent never answers here: the message names the address the hypervisor gave.
  await expect(machine.revert()).rejects.toThrow(
    /its agent at http:\/\/10\.0\.0\.5:9 did not answer/,
  );
  expect(run.calls.filter((c) => c.includes('domifaddr'))).toHaveLength(2);
});
