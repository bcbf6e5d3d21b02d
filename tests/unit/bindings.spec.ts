/**
 * The Windows bindings as declared: only x64 (every layout is x64's), and every Win32 function
 * bound with its calling convention spelled the same way (`__stdcall`, WINAPI). The sources are
 * read as text: a new binding that forgets the spelling, or loads a DLL around the x64 check,
 * fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ConfigError } from '../../src/core/errors.ts';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import { architectureProblem, assertX64 } from '../../src/windows/native/library.ts';

function sources(folder: string): string[] {
  return readdirSync(path.join(PACKAGE_ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(folder, f));
}
const BOUND_FOLDERS = ['src/windows', 'src/agent', 'src/target'];

test('other architectures are refused with a ConfigError naming the one found and what to run', () => {
  expect(architectureProblem('x64')).toBeUndefined();
  for (const arch of ['arm64', 'ia32']) {
    const problem = architectureProblem(arch)!;
    expect(problem).toBeInstanceOf(ConfigError);
    expect(problem.problem).toMatch(
      new RegExp(`^drvcycle's Windows bindings are for x64; this is ${arch}:`),
    );
    expect(problem.hint).toMatch(/x64 build of Node\.js.*node -p process\.arch/);
    expect(() => assertX64(arch)).toThrow(ConfigError);
  }
  expect(() => assertX64('x64')).not.toThrow();
});

test('every koffi function declaration spells the calling convention __stdcall', () => {
  const found: string[] = [];
  const wrong: string[] = [];
  for (const file of BOUND_FOLDERS.flatMap(sources)) {
    const text = readFileSync(path.join(PACKAGE_ROOT, file), 'utf8');
    // Prototype form: 'ret [__convention] Name(params)', wherever the string is (most bindings
    // pass it through a small helper to lib.func).
    for (const m of text.matchAll(/'((?:const )?[\w]+\*{0,2}(?: __\w+)? \w+\([^'()]*\))'/g)) {
      found.push(`${file}: ${m[1]}`);
      if (!/^(?:const )?\w+\*{0,2} __stdcall \w+\(/.test(m[1]!)) wrong.push(`${file}: ${m[1]}`);
    }
    // Classic form: lib.func('__stdcall', 'Name', ret, params), the convention first.
    for (const m of text.matchAll(/\.func\(\s*'(\w+)',\s*'/g)) {
      found.push(`${file}: classic ${m[1]}`);
      if (m[1] !== '__stdcall') wrong.push(`${file}: classic form without __stdcall (${m[1]})`);
    }
  }
  // The bindings are found at all (a regex that matches nothing would pass vacuously).
  expect(found.length).toBeGreaterThan(40);
  expect(wrong).toEqual([]);
});

test('DLLs are loaded through windowsLibrary (x64 check, one load per DLL)', () => {
  const direct = BOUND_FOLDERS.flatMap(sources).filter(
    (file) =>
      file !== path.join('src/windows', 'native/library.ts') &&
      /koffi\.load\(/.test(readFileSync(path.join(PACKAGE_ROOT, file), 'utf8')),
  );
  expect(direct).toEqual([]);
});
