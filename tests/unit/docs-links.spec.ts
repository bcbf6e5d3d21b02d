/**
 * The README and the pages under docs/ link to each other and to the code: every relative link
 * must lead to a file that exists, and every anchor (`#section`, `page.md#section`) to a heading
 * of its target, named as GitHub names it. Every page under docs/ must be reachable from the
 * README. The last tests run the checker on a broken sample, so it is known to fail.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';

/** What the checker needs of a file system: paths are relative to the project root, with '/'. */
interface DocFiles {
  exists(file: string): boolean;
  /** The text of a Markdown file that exists. */
  read(file: string): string;
}

interface Link {
  /** The file the link is written in. */
  from: string;
  line: number;
  target: string;
}

/** The lines of a Markdown text outside fenced code blocks, numbered from 1. */
function proseLines(markdown: string): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, index) => {
    const opening = /^\s{0,3}(`{3,}|~{3,})/.exec(text);
    if (fence !== undefined) {
      if (opening && opening[1]![0] === fence[0] && opening[1]!.length >= fence.length) {
        fence = undefined;
      }
      return;
    }
    if (opening) fence = opening[1];
    else lines.push({ text, line: index + 1 });
  });
  return lines;
}

/** One heading's anchor as GitHub makes it (github-slugger), before duplicates are numbered. */
function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link in a heading: its text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown text's headings: a repeated one gets -1, -2, … as on GitHub. */
function anchors(markdown: string): Set<string> {
  const occurrences = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(text);
    if (!heading) continue;
    const base = slug(heading[1]!);
    let anchor = base;
    while (occurrences.has(anchor)) {
      occurrences.set(base, occurrences.get(base)! + 1);
      anchor = `${base}-${occurrences.get(base)}`;
    }
    occurrences.set(anchor, 0);
  }
  return new Set(occurrences.keys());
}

/** The inline links and images of a Markdown file, outside code blocks and code spans. */
function links(from: string, markdown: string): Link[] {
  const found: Link[] = [];
  for (const { text, line } of proseLines(markdown)) {
    const prose = text.replace(/(`+)[^`]*?\1/g, '');
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) {
      found.push({ from, line, target: match[1]! });
    }
  }
  return found;
}

/** The project file a relative link leads to, or undefined for a link that leaves the project. */
function resolve(from: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return undefined;
  const file = decodeURIComponent(target.split('#')[0]!);
  if (file === '') return from;
  return path.posix.normalize(
    file.startsWith('/') ? file.slice(1) : path.posix.join(path.posix.dirname(from), file),
  );
}

/** Every broken relative link or anchor in the given Markdown files, one line each. */
function brokenLinks(sources: string[], files: DocFiles): string[] {
  const broken: string[] = [];
  const anchorsOf = new Map<string, Set<string>>();
  for (const from of sources) {
    for (const link of links(from, files.read(from))) {
      const where = `${link.from}:${link.line}: (${link.target})`;
      const file = resolve(link.from, link.target);
      if (file === undefined) continue;
      if (file.startsWith('../') || !files.exists(file)) {
        broken.push(`${where} ${file} does not exist`);
        continue;
      }
      const hash = link.target.indexOf('#');
      if (hash < 0 || !file.endsWith('.md')) continue;
      const anchor = decodeURIComponent(link.target.slice(hash + 1));
      if (!anchorsOf.has(file)) anchorsOf.set(file, anchors(files.read(file)));
      if (!anchorsOf.get(file)!.has(anchor)) {
        broken.push(`${where} ${file} has no heading #${anchor}`);
      }
    }
  }
  return broken;
}

/** The Markdown files reachable from `start` through relative links. */
function reachable(start: string, files: DocFiles): Set<string> {
  const seen = new Set([start]);
  const queue = [start];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const link of links(file, files.read(file))) {
      const target = resolve(file, link.target);
      if (target?.endsWith('.md') && !seen.has(target) && files.exists(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return seen;
}

const projectFiles: DocFiles = {
  exists: (file) => existsSync(path.join(PACKAGE_ROOT, file)),
  read: (file) => readFileSync(path.join(PACKAGE_ROOT, file), 'utf8'),
};

const docPages = readdirSync(path.join(PACKAGE_ROOT, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);

test('every relative link and anchor in the README and docs/ leads somewhere', () => {
  expect(brokenLinks(['README.md', ...docPages], projectFiles)).toEqual([]);
});

test('every page under docs/ is reachable from the README', () => {
  const fromReadme = reachable('README.md', projectFiles);
  expect(docPages.filter((page) => !fromReadme.has(page))).toEqual([]);
});

/** A fake file system of a few Markdown files, for the checker's own tests. */
function fakeFiles(contents: Record<string, string>): DocFiles {
  return {
    exists: (file) => file in contents,
    read: (file) => {
      if (!(file in contents)) throw new Error(`no file ${file}`);
      return contents[file]!;
    },
  };
}

test("anchors follow GitHub's slugs", () => {
  expect(slug('Projects: dev, nightly, certify')).toBe('projects-dev-nightly-certify');
  expect(slug("Use drvcycle in your driver's repository")).toBe(
    'use-drvcycle-in-your-drivers-repository',
  );
  expect(slug('The `DRIVER` path: settings → SCM')).toBe('the-driver-path-settings--scm');
  expect(slug('snake_case and kebab-case')).toBe('snake_case-and-kebab-case');
  expect(slug('See [Machines](machines.md)')).toBe('see-machines');
  expect([...anchors('# A\n## A\n### A\n```sh\n# A\n```\n## B ##\n')]).toEqual([
    'a',
    'a-1',
    'a-2',
    'b',
  ]);
});

test('the checker finds broken files and anchors, and passes good ones', () => {
  const files = fakeFiles({
    'README.md': [
      '# Title',
      '## Two words',
      'Good: [a](docs/a.md), [b](docs/a.md#first-section), [c](#two-words), [d](#title),',
      '[web](https://example.com/x.md#nowhere), `[code](missing.md)`.',
      'Bad: [e](docs/missing.md), [f](docs/a.md#no-such-section), [g](#two_words).',
      '```md',
      '[in a fence](fenced.md)',
      '```',
    ].join('\n'),
    'docs/a.md':
      '# A\n## First section\n## First section\nBack: [r](../README.md#title), [s](#first-section-1), [t](#first-section-2), [u](../../outside.md)\n',
  });
  expect(brokenLinks(['README.md', 'docs/a.md'], files)).toEqual([
    'README.md:5: (docs/missing.md) docs/missing.md does not exist',
    'README.md:5: (docs/a.md#no-such-section) docs/a.md has no heading #no-such-section',
    'README.md:5: (#two_words) README.md has no heading #two_words',
    'docs/a.md:4: (#first-section-2) docs/a.md has no heading #first-section-2',
    'docs/a.md:4: (../../outside.md) ../outside.md does not exist',
  ]);
});

test('a page no link reaches is found', () => {
  const files = fakeFiles({
    'README.md': '[a](docs/a.md)\n',
    'docs/a.md': '[b](b.md)\n',
    'docs/b.md': 'a leaf\n',
    'docs/orphan.md': '[a](a.md)\n',
  });
  expect([...reachable('README.md', files)].sort()).toEqual([
    'README.md',
    'docs/a.md',
    'docs/b.md',
  ]);
});
