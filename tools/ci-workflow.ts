/**
 * Reads drvcycle's shipped CI files (ci/github/drvcycle-nightly.yml, the GitLab example) for the
 * tests that check them and run their commands: the YAML subset those files are written in
 * (block mappings and sequences, `|` block scalars, flow lists and maps, quoted and plain
 * scalars, comments), and GitHub's `${{ … }}` expressions of the few kinds they use. drvcycle has
 * no YAML package of its own, and this subset is all the files need: anything else (anchors, tags,
 * multi-document files, `>` folding) is refused with its line, never guessed at. Tooling only.
 */

export type YamlValue =
  string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  readonly number: number;
  readonly indent: number;
  /** The line without its indentation and trailing comment. */
  readonly text: string;
}

/** The text before a comment (` #` outside quotes). */
function withoutComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || text[i - 1] === ' ')) return text.slice(0, i).trimEnd();
  }
  return text.trimEnd();
}

class Parser {
  private index = 0;
  private readonly raw: string[];
  private readonly file: string;
  constructor(raw: string[], file: string) {
    this.raw = raw;
    this.file = file;
  }

  private fail(number: number, why: string): never {
    throw new Error(`${this.file}:${number}: ${why} (drvcycle's YAML subset)`);
  }

  /** The next line that holds something, without consuming it. */
  peek(): Line | undefined {
    for (let i = this.index; i < this.raw.length; i++) {
      const raw = this.raw[i]!;
      if (raw.includes('\t') && /^\s*\t/.test(raw)) this.fail(i + 1, 'a tab in the indentation');
      const text = withoutComment(raw.trim());
      if (text === '') continue;
      this.index = i;
      return { number: i + 1, indent: raw.length - raw.trimStart().length, text };
    }
    this.index = this.raw.length;
    return undefined;
  }

  block(indent: number): YamlValue {
    const line = this.peek();
    if (!line || line.indent < indent) return null;
    return line.text === '-' || line.text.startsWith('- ')
      ? this.sequence(line.indent)
      : this.mapping(line.indent);
  }

  private mapping(indent: number, first?: Line): { [key: string]: YamlValue } {
    const map: { [key: string]: YamlValue } = {};
    for (let line = first ?? this.peek(); line && line.indent === indent; line = this.peek()) {
      if (line.text.startsWith('- ')) break;
      const match = /^("[^"]*"|'[^']*'|[^\s:'"][^:]*?)\s*:(?:\s+(.*))?$/.exec(line.text);
      if (!match) this.fail(line.number, `"${line.text}" is not a key: value`);
      const key = String(scalar(match[1]!, line.number, this.file));
      if (key in map) this.fail(line.number, `the key ${key} twice`);
      this.index++;
      const rest = match[2];
      if (rest === undefined || rest === '') {
        const next = this.peek();
        map[key] =
          next && next.indent === indent && next.text.startsWith('- ')
            ? this.sequence(indent)
            : this.block(indent + 1);
      } else if (rest === '|' || rest === '|-') map[key] = this.literal(indent, rest === '|-');
      else map[key] = scalar(rest, line.number, this.file);
    }
    const next = this.peek();
    if (next && next.indent > indent) this.fail(next.number, 'unexpected indentation');
    return map;
  }

  private sequence(indent: number): YamlValue[] {
    const list: YamlValue[] = [];
    for (let line = this.peek(); line && line.indent === indent; line = this.peek()) {
      if (line.text !== '-' && !line.text.startsWith('- ')) break;
      const content = line.text.slice(1).trimStart();
      if (content === '') {
        this.index++;
        list.push(this.block(indent + 1));
      } else if (content === '|' || content === '|-') {
        this.index++;
        list.push(this.literal(indent, content === '|-'));
      } else if (
        /^[^\s'"[{][^:]*:(\s|$)/.test(content) ||
        /^("[^"]*"|'[^']*'):(\s|$)/.test(content)
      ) {
        // `- key: value`: a mapping whose lines sit two columns further in.
        const inner = indent + (line.text.length - content.length);
        list.push(this.mapping(inner, { number: line.number, indent: inner, text: content }));
      } else {
        this.index++;
        list.push(scalar(content, line.number, this.file));
      }
    }
    return list;
  }

  /** A `|` block scalar: the following lines indented past `indent`, as they are. */
  private literal(indent: number, strip: boolean): string {
    const lines: string[] = [];
    let blockIndent: number | undefined;
    while (this.index < this.raw.length) {
      const raw = this.raw[this.index]!;
      const lineIndent = raw.length - raw.trimStart().length;
      if (raw.trim() !== '' && lineIndent <= indent) break;
      blockIndent ??= raw.trim() === '' ? undefined : lineIndent;
      lines.push(raw.trim() === '' ? '' : raw.slice(blockIndent));
      this.index++;
    }
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const text = lines.join('\n');
    return strip ? text : `${text}\n`;
  }
}

function splitFlow(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = body.slice(start).trim();
  if (last !== '') parts.push(last);
  return parts;
}

function scalar(text: string, number: number, file: string): YamlValue {
  const fail = (why: string): never => {
    throw new Error(`${file}:${number}: ${why} (drvcycle's YAML subset)`);
  };
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) fail(`unterminated ${text}`);
    return text.slice(1, -1).replaceAll("''", "'");
  }
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) fail(`unterminated ${text}`);
    if (text.includes('\\')) fail(`an escape in ${text}`);
    return text.slice(1, -1);
  }
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) fail(`unterminated ${text}`);
    return splitFlow(text.slice(1, -1)).map((part) => scalar(part, number, file));
  }
  if (text.startsWith('{')) {
    if (!text.endsWith('}')) fail(`unterminated ${text}`);
    const map: { [key: string]: YamlValue } = {};
    for (const part of splitFlow(text.slice(1, -1))) {
      const at = part.indexOf(':');
      if (at < 0) fail(`"${part}" is not a key: value`);
      map[String(scalar(part.slice(0, at).trim(), number, file))] = scalar(
        part.slice(at + 1).trim(),
        number,
        file,
      );
    }
    return map;
  }
  if (/^[&*!|>%@`]/.test(text)) fail(`"${text}" (anchors, tags, folding and the like)`);
  if (/^-?\d+$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null' || text === '~') return null;
  return text;
}

export function parseYaml(source: string, file = 'yaml'): YamlValue {
  const raw = source.split(/\r?\n/);
  if (raw.some((line) => line === '---' || line === '...'))
    throw new Error(`${file}: several documents (drvcycle's YAML subset reads one)`);
  const parser = new Parser(raw, file);
  const value = parser.block(0);
  const left = parser.peek();
  if (left) throw new Error(`${file}:${left.number}: unexpected "${left.text}"`);
  return value;
}

/** A mapping's value at `path`, or a clear error naming the path. */
export function at(value: YamlValue, ...path: (string | number)[]): YamlValue {
  let here: YamlValue = value;
  for (const [i, key] of path.entries()) {
    const next =
      typeof key === 'number'
        ? Array.isArray(here)
          ? here[key]
          : undefined
        : here !== null && typeof here === 'object' && !Array.isArray(here)
          ? here[key]
          : undefined;
    if (next === undefined) throw new Error(`no ${path.slice(0, i + 1).join('.')} in the workflow`);
    here = next;
  }
  return here;
}

export interface WorkflowStep {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: { [key: string]: YamlValue };
  readonly env?: { [key: string]: YamlValue };
}

export function stepsOf(workflow: YamlValue, job: string): WorkflowStep[] {
  const steps = at(workflow, 'jobs', job, 'steps');
  if (!Array.isArray(steps)) throw new Error(`jobs.${job}.steps is not a list`);
  return steps as unknown as WorkflowStep[];
}

/**
 * GitHub's `${{ … }}` expressions of the kinds drvcycle's workflow uses: a context value
 * (`matrix.shard`, `github.run_id`), `a || 'literal'`, and `!cancelled()`. An expression of any
 * other kind, or a name `context` does not give, is an error: a test must not run a command it
 * only half understood.
 */
export function evaluate(text: string, context: Record<string, string | undefined>): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expression: string) => {
    const alternatives = expression.split(/\s*\|\|\s*/);
    for (const alternative of alternatives) {
      const literal = /^'([^']*)'$/.exec(alternative);
      if (literal) return literal[1]!;
      if (!/^[a-z_]+(\.[a-z_-]+)+$/.test(alternative))
        throw new Error(`an expression drvcycle's workflow test does not evaluate: ${expression}`);
      if (!(alternative in context))
        throw new Error(`the workflow's ${alternative} has no value in the test's context`);
      const value = context[alternative];
      if (value) return value;
    }
    return '';
  });
}
