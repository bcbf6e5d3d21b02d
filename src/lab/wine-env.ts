/** The environment Wine commands run in: one prefix, its debug channels, no display. */
export function wineEnv(prefix: string, winedebug = '-all'): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WINEPREFIX: prefix,
    WINEDEBUG: winedebug,
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
  };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  return env;
}
