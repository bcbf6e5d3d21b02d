import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { resolveSettings } from '../../src/config/settings.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { driverImageProblem, IMAGE_FILE_MACHINE, readPeFacts } from '../../src/core/pe-image.ts';
import { notAnImage, withMachineType } from '../../src/families/images.ts';
import { peImage } from './pe-fixtures.ts';
import { scratchDir } from './scratch.ts';

test('an x64 native-subsystem image is a kernel driver', () => {
  expect(readPeFacts(peImage())).toEqual({
    machine: 0x8664,
    machineName: 'x64 (AMD64)',
    subsystem: 1,
    dll: false,
    pe32Plus: true,
  });
  expect(driverImageProblem(peImage())).toBeUndefined();
});

test('an i386 or ARM64 build, a DLL, a program and a text file are not x64 drivers, each saying why', () => {
  expect(driverImageProblem(peImage({ machine: 0x14c, pe32Plus: false }))).toBe(
    'it is built for i386 (x86), not x64 (AMD64)',
  );
  expect(driverImageProblem(peImage({ machine: 0xaa64 }))).toBe(
    'it is built for ARM64, not x64 (AMD64)',
  );
  expect(driverImageProblem(peImage({ dll: true, subsystem: 2 }))).toBe(
    'it is a user-mode DLL (subsystem 2), not a kernel driver (native subsystem, 1)',
  );
  expect(driverImageProblem(peImage({ subsystem: 3 }))).toBe(
    'it is a user-mode program (subsystem 3), not a kernel driver (native subsystem, 1)',
  );
  // Export drivers (and mingw-w64's -shared driver builds) carry the DLL flag: still drivers.
  expect(driverImageProblem(peImage({ dll: true, subsystem: 1 }))).toBeUndefined();
  expect(driverImageProblem(new TextEncoder().encode('#include <ntddk.h>\n'.repeat(10)))).toBe(
    'it is not a driver image: it does not start with the "MZ" of a Windows executable image',
  );
  expect(driverImageProblem(peImage().slice(0, 100))).toBe(
    'it is not a driver image: its DOS header points at no "PE" signature (a truncated or damaged image)',
  );
});

test('DRIVER pointing at a text file, an empty file or an i386 build stops the run before any machine boots', () => {
  const dir = scratchDir('drvcycle-pe-');
  const file = (name: string, bytes: Uint8Array) => {
    writeFileSync(path.join(dir, name), bytes);
    return path.join(dir, name);
  };
  const refuse = (driver: string) => {
    try {
      resolveSettings({}, { DRIVER: driver });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problem;
    }
    throw new Error(`${driver} was accepted`);
  };
  const text = file('notes.sys', new TextEncoder().encode('not a driver'));
  expect(refuse(text)).toBe(
    `DRIVER=${text}: ${text} cannot be loaded as a kernel driver: it is not a driver image: it does not start with the "MZ" of a Windows executable image.`,
  );
  expect(refuse(file('empty.sys', new Uint8Array()))).toMatch(/it is not a driver image/);
  expect(refuse(file('x86.sys', peImage({ machine: 0x14c, pe32Plus: false })))).toMatch(
    /it is built for i386 \(x86\), not x64/,
  );
});

test('the error-path catalog’s i386 image is derived through the same PE parser, which reads it back', () => {
  const i386 = withMachineType(peImage(), IMAGE_FILE_MACHINE.I386);
  expect(readPeFacts(i386)).toMatchObject({ machine: IMAGE_FILE_MACHINE.I386 });
  expect(driverImageProblem(i386)).toBe('it is built for i386 (x86), not x64 (AMD64)');
  expect(readPeFacts(peImage())).toMatchObject({ machine: IMAGE_FILE_MACHINE.AMD64 });
  expect(() => withMachineType(notAnImage(), IMAGE_FILE_MACHINE.I386)).toThrow(
    'Not a PE image: it does not start with the "MZ" of a Windows executable image.',
  );
});
