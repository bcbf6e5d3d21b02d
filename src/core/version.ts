/** drvcycle's version, as package.json states it (tests/unit/errors.spec.ts keeps them equal). */
export const DRVCYCLE_VERSION = '0.1.0';
