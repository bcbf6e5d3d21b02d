/** A Windows machine the specs can use: the lab's Wine prefix, a VM, or an existing host. */
import type { Target } from '../target/types.ts';

export interface Machine {
  /** How the reports and messages name it. */
  readonly name: string;
  /** The machine's Target; stable across reverts. */
  target(): Target;
  healthy(): Promise<boolean>;
  /** Back to a clean state: a fresh prefix copy, a checkpoint, or (no control) our services removed. */
  revert(): Promise<void>;
  release(): Promise<void>;
}
