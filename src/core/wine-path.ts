/**
 * Wine's debugstr_w escapes a backslash as `\\` and any character past ASCII as `\XXXX` (four hex
 * digits: `Dr\00efver` is `Drïver`); compare on the unescaped, lower-cased path.
 */
export function unescapeWinePath(text: string): string {
  return text
    .replace(/\\(\\|"|n|r|t|[0-9a-fA-F]{4})/g, (_, escape: string) => {
      if (escape.length === 4) return String.fromCharCode(parseInt(escape, 16));
      return { '\\': '\\', '"': '"', n: '\n', r: '\r', t: '\t' }[escape]!;
    })
    .toLowerCase();
}
