import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { DrvcycleError, ErrorCodes } from '../../src/core/errors.ts';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';

test('every error code is documented in the README', () => {
  const readme = readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
  for (const code of Object.values(ErrorCodes))
    expect(readme, code).toMatch(new RegExp(`\\|\\s*\`${code}\`\\s*\\|`));
});

test('an error with a hint puts the next step on its own line', () => {
  const error = new DrvcycleError(ErrorCodes.CONFIG, 'CYCLES=x is not a number.', {
    hint: 'Set CYCLES=100.',
  });
  expect(error.message).toBe('CYCLES=x is not a number.\nSet CYCLES=100.');
  expect(error.code).toBe('DRVCYCLE_CONFIG');
});

test('every error-path case is in the README table', async () => {
  const { ERROR_PATH_CASES } = await import('../../src/runner/error-paths.ts');
  const readme = readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
  for (const c of ERROR_PATH_CASES) {
    const escaped = c.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(readme, c.title).toMatch(new RegExp(`\\|\\s*${escaped}\\s*\\|`));
  }
});

test('the version the agent reports is the package version', async () => {
  const { DRVCYCLE_VERSION } = await import('../../src/core/version.ts');
  const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  expect(DRVCYCLE_VERSION).toBe(pkg.version);
});
