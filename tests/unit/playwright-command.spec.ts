import { realpathSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { playwrightCommand } from '../../src/cli/playwright-command.ts';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import { scratchDir } from './scratch.ts';

test("the project's own Playwright CLI runs on this Node, without npx", () => {
  const { command, args } = playwrightCommand(['test', '--project=lab'], PACKAGE_ROOT);
  expect(command).toBe(process.execPath);
  expect(realpathSync(args[0]!)).toBe(
    realpathSync(path.join(PACKAGE_ROOT, 'node_modules/@playwright/test/cli.js')),
  );
  expect(args.slice(1)).toEqual(['test', '--project=lab']);
});

test('a folder with no Playwright of its own goes through npx', () => {
  const bare = scratchDir('drvcycle-no-playwright-');
  expect(playwrightCommand(['merge-reports', 'x'], bare)).toEqual({
    command: 'npx',
    args: ['playwright', 'merge-reports', 'x'],
  });
});
