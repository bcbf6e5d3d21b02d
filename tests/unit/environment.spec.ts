/**
 * drvcycle's environment variables are read in src/config only, each name in one place: a file
 * of src or fixtures outside src/config that mentions process.env is one of the uses listed here,
 * each with why it is not a read of a drvcycle setting by name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import {
  labDir,
  manifestFile,
  reportsDir,
  runLockHolder,
  setRunLockHolder,
  verdictsFile,
} from '../../src/config/environment.ts';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';

interface AllowedUse {
  file: string;
  /** The code of the line, as written (whitespace-trimmed). */
  code: string;
  why: string;
}

const PASS_THROUGH = 'the whole environment, handed on';

/** Every mention of process.env outside src/config, with why it is allowed. */
const ALLOWED: AllowedUse[] = [
  {
    file: 'src/core/child-process.ts',
    code: 'env: options.env ?? process.env,',
    why: `${PASS_THROUGH} to a child process when its caller gives none`,
  },
  {
    file: 'src/lab/wine-env.ts',
    code: '...process.env,',
    why: `${PASS_THROUGH} to Wine for a prefix (the Wine variables it adds are Wine's)`,
  },
  {
    file: 'src/lab/provision.ts',
    code: "env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },",
    why: `${PASS_THROUGH} to apt-get, with apt's own DEBIAN_FRONTEND`,
  },
  {
    file: 'src/report/generate.ts',
    code: 'env: { ...process.env, [REPORTS_DIR_ENV]: reportsDir() },',
    why: `${PASS_THROUGH} to Allure, with the reports folder under config's name`,
  },
  {
    file: 'src/cli/merge-shards.ts',
    code: "env: { ...process.env, PLAYWRIGHT_HTML_OUTPUT_DIR: html, PLAYWRIGHT_HTML_OPEN: 'never' },",
    why: `${PASS_THROUGH} to Playwright's merge-reports, with Playwright's own variables`,
  },
  {
    file: 'src/cli/resume-command.ts',
    code: 'env: { ...process.env, ...settings.env, [RUN_ID_ENV]: runId },',
    why: `${PASS_THROUGH} to the resumed run, with the run id under config's name`,
  },
  {
    file: 'src/cli/resume-command.ts',
    code: 'const settings = restoreSettings(record, process.env, args);',
    why: `${PASS_THROUGH} to the resume plan, which restores the recorded settings`,
  },
  {
    file: 'src/report/run-record.ts',
    code: 'env: NodeJS.ProcessEnv = process.env,',
    why: `${PASS_THROUGH}: it records the variables config names (RECORDED_SETTINGS)`,
  },
  {
    file: 'src/report/run-lock.ts',
    code: 'env: NodeJS.ProcessEnv = process.env,',
    why: "isTestRunner reads Playwright's TEST_WORKER_INDEX, not a drvcycle variable",
  },
  {
    file: 'fixtures/options.ts',
    code: 'settings = resolveSettings(options, process.env);',
    why: `${PASS_THROUGH} to src/config, which reads the settings`,
  },
  {
    file: 'fixtures/global-setup.ts',
    code: 'resolveSettings(project.use as DrvcycleOptions, process.env, {',
    why: `${PASS_THROUGH} to src/config, which reads the settings`,
  },
  {
    file: 'fixtures/global-setup.ts',
    code: 'const machines = machineSettingsFromEnv(process.env);',
    why: `${PASS_THROUGH} to src/config, which reads the machine settings`,
  },
  {
    file: 'fixtures/worker-machine.ts',
    code: 'refuseLockedEnv(process.env);',
    why: `${PASS_THROUGH} to src/config, which checks it`,
  },
  {
    file: 'fixtures/worker-machine.ts',
    code: 'const settings = machineSettingsFromEnv(process.env);',
    why: `${PASS_THROUGH} to src/config, which reads the machine settings`,
  },
  {
    file: 'fixtures/test-verdict.ts',
    code: 'machineSettings: machineSettingsFromEnv(process.env),',
    why: `${PASS_THROUGH} to src/config, which reads the machine settings (for the repro record)`,
  },
  {
    file: 'src/cli/repro-command.ts',
    code: 'const restored = restoreSettings({ settings: repro.environment, args: [] }, process.env, []);',
    why: `${PASS_THROUGH} to the resume plan, which restores the failed run's machine settings`,
  },
  {
    file: 'src/cli/repro-command.ts',
    code: 'const machineSettings = machineSettingsFromEnv({ ...process.env, ...restored.env });',
    why: `${PASS_THROUGH} to src/config, which reads the machine settings`,
  },
  {
    file: 'src/windows/scm/binary-path.ts',
    code: "export const systemRoot = (): string => process.env.SystemRoot ?? 'C:\\\\Windows';",
    why: "Windows' own SystemRoot on the target machine, not a drvcycle setting",
  },
  {
    file: 'src/agent/agent-command.ts',
    code: "path.win32.join(process.env.ProgramData ?? 'C:\\\\ProgramData', 'drvcycle', 'images');",
    why: "Windows' own ProgramData on the target machine, not a drvcycle setting",
  },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(PACKAGE_ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|js|mjs)$/.test(entry.name))
    .map((entry) =>
      path.relative(PACKAGE_ROOT, path.join(entry.parentPath, entry.name)).replaceAll('\\', '/'),
    );
}

/** The mentions of process.env in `files`, each as the file and its line's code. */
function envUses(files: string[]): { file: string; line: number; code: string }[] {
  return files.flatMap((file) =>
    readFileSync(path.join(PACKAGE_ROOT, file), 'utf8')
      .split('\n')
      .flatMap((text, index) =>
        /\bprocess\.env\b/.test(text) ? [{ file, line: index + 1, code: text.trim() }] : [],
      ),
  );
}

const isAllowed = (use: { file: string; code: string }) =>
  ALLOWED.some((allowed) => allowed.file === use.file && allowed.code === use.code);

test('no file outside src/config reads an environment variable by name', () => {
  const files = [...sourceFiles('src'), ...sourceFiles('fixtures')].filter(
    (file) => !file.startsWith('src/config/'),
  );
  const uses = envUses(files);
  const unexpected = uses
    .filter((use) => !isAllowed(use))
    .map((use) => `${use.file}:${use.line}: ${use.code}`);
  expect(
    unexpected,
    'read it through src/config/environment.ts (or list a pass-through here)',
  ).toEqual([]);
  const stale = ALLOWED.filter(
    (allowed) => !uses.some((use) => use.file === allowed.file && use.code === allowed.code),
  ).map((allowed) => `${allowed.file}: ${allowed.code}`);
  expect(stale, 'allowed uses that are gone: remove them from ALLOWED').toEqual([]);
});

test('the check flags a named read, and passes the listed pass-through', () => {
  const named = {
    file: 'src/report/generate.ts',
    code: 'const dir = process.env.DRVCYCLE_REPORTS_DIR;',
  };
  const listed = { file: 'src/core/child-process.ts', code: 'env: options.env ?? process.env,' };
  expect(isAllowed(named)).toBe(false);
  expect(isAllowed(listed)).toBe(true);
});

test("drvcycle's environment readers and their documented defaults", () => {
  const env: NodeJS.ProcessEnv = {};
  expect(reportsDir(env)).toBe(path.resolve('reports'));
  expect(verdictsFile(env)).toBe(path.resolve('reports', 'verdicts.json'));
  expect(labDir(env)).toMatch(/[\\/]\.cache[\\/]drvcycle[\\/]lab$/);
  expect(manifestFile(env)).toBeUndefined();
  expect(runLockHolder(env)).toBeUndefined();

  env.DRVCYCLE_REPORTS_DIR = '/tmp/r';
  env.DRVCYCLE_LAB_DIR = '/tmp/lab';
  env.DRVCYCLE_MANIFEST = 'drivers.jsonl';
  expect(reportsDir(env)).toBe(path.resolve('/tmp/r'));
  expect(verdictsFile(env)).toBe(path.resolve('/tmp/r', 'verdicts.json'));
  env.DRVCYCLE_VERDICTS_FILE = '/tmp/v.json';
  expect(verdictsFile(env)).toBe(path.resolve('/tmp/v.json'));
  expect(labDir(env)).toBe(path.resolve('/tmp/lab'));
  expect(manifestFile(env)).toBe('drivers.jsonl');
  setRunLockHolder(4242, env);
  expect(env.DRVCYCLE_RUN_LOCK_PID).toBe('4242');
  expect(runLockHolder(env)).toBe('4242');
});
