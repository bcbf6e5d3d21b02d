/** Device problem codes (CM_PROB_*, cfg.h), as CM_Get_DevNode_Status and Kernel-PnP 411 give them. */
export const PROBLEM_NAMES: Readonly<Record<number, string>> = {
  1: 'CM_PROB_NOT_CONFIGURED',
  3: 'CM_PROB_OUT_OF_MEMORY',
  10: 'CM_PROB_FAILED_START',
  18: 'CM_PROB_REINSTALL',
  21: 'CM_PROB_WILL_BE_REMOVED',
  22: 'CM_PROB_DISABLED',
  24: 'CM_PROB_DEVICE_NOT_THERE',
  28: 'CM_PROB_FAILED_INSTALL',
  31: 'CM_PROB_FAILED_ADD',
  38: 'CM_PROB_DRIVER_FAILED_PRIOR_UNLOAD',
  39: 'CM_PROB_DRIVER_FAILED_LOAD',
  43: 'CM_PROB_FAILED_POST_START',
  47: 'CM_PROB_HELD_FOR_EJECT',
};

export const problemName = (code: number) => PROBLEM_NAMES[code] ?? `CM_PROB ${code}`;
