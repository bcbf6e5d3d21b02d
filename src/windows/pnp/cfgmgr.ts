/**
 * The Configuration Manager calls of the Windows disable/enable strategy (cfgmgr32.dll), as HLK
 * and `pnputil /disable-device` / `/enable-device` (Windows 10 2004+) do it. On Wine 8 every one
 * of these is a stub that returns an error or does nothing (CM_Locate_DevNodeW gives
 * CR_NO_SUCH_DEVNODE, CM_Disable_DevNode / CM_Enable_DevNode / CM_Get_DevNode_Status are
 * unimplemented): the bindings refuse to run there, and the lab uses remove/re-add instead.
 */
import { DrvcycleError, ErrorCodes } from '../../core/errors.ts';
import { windowsLibrary } from '../native/library.ts';
export { PROBLEM_NAMES, problemName } from '../../core/cm-problems.ts';

/**
 * Every CONFIGRET value (cfgmgr32.h, 0x00 CR_SUCCESS to 0x3B CR_INVALID_STRUCTURE_SIZE), from
 * mingw-w64's public-domain header, checked against Wine's include/cfgmgr32.h and the Windows SDK's
 * (0x1E CR_INVALID_DEVICE_ID, 0x1F CR_INVALID_DATA, 0x21 CR_DEVLOADER_NOT_READY, 0x28
 * CR_NOT_DISABLEABLE). Aliases (CR_INVALID_DEVINST, CR_NO_SUCH_DEVINST, …) share a value and are
 * named by their DEVNODE spelling.
 */
export const CONFIGRET_NAMES: Readonly<Record<number, string>> = {
  0x00: 'CR_SUCCESS',
  0x01: 'CR_DEFAULT',
  0x02: 'CR_OUT_OF_MEMORY',
  0x03: 'CR_INVALID_POINTER',
  0x04: 'CR_INVALID_FLAG',
  0x05: 'CR_INVALID_DEVNODE',
  0x06: 'CR_INVALID_RES_DES',
  0x07: 'CR_INVALID_LOG_CONF',
  0x08: 'CR_INVALID_ARBITRATOR',
  0x09: 'CR_INVALID_NODELIST',
  0x0a: 'CR_DEVNODE_HAS_REQS',
  0x0b: 'CR_INVALID_RESOURCEID',
  0x0c: 'CR_DLVXD_NOT_FOUND',
  0x0d: 'CR_NO_SUCH_DEVNODE',
  0x0e: 'CR_NO_MORE_LOG_CONF',
  0x0f: 'CR_NO_MORE_RES_DES',
  0x10: 'CR_ALREADY_SUCH_DEVNODE',
  0x11: 'CR_INVALID_RANGE_LIST',
  0x12: 'CR_INVALID_RANGE',
  0x13: 'CR_FAILURE',
  0x14: 'CR_NO_SUCH_LOGICAL_DEV',
  0x15: 'CR_CREATE_BLOCKED',
  0x16: 'CR_NOT_SYSTEM_VM',
  0x17: 'CR_REMOVE_VETOED',
  0x18: 'CR_APM_VETOED',
  0x19: 'CR_INVALID_LOAD_TYPE',
  0x1a: 'CR_BUFFER_SMALL',
  0x1b: 'CR_NO_ARBITRATOR',
  0x1c: 'CR_NO_REGISTRY_HANDLE',
  0x1d: 'CR_REGISTRY_ERROR',
  0x1e: 'CR_INVALID_DEVICE_ID',
  0x1f: 'CR_INVALID_DATA',
  0x20: 'CR_INVALID_API',
  0x21: 'CR_DEVLOADER_NOT_READY',
  0x22: 'CR_NEED_RESTART',
  0x23: 'CR_NO_MORE_HW_PROFILES',
  0x24: 'CR_DEVICE_NOT_THERE',
  0x25: 'CR_NO_SUCH_VALUE',
  0x26: 'CR_WRONG_TYPE',
  0x27: 'CR_INVALID_PRIORITY',
  0x28: 'CR_NOT_DISABLEABLE',
  0x29: 'CR_FREE_RESOURCES',
  0x2a: 'CR_QUERY_VETOED',
  0x2b: 'CR_CANT_SHARE_IRQ',
  0x2c: 'CR_NO_DEPENDENT',
  0x2d: 'CR_SAME_RESOURCES',
  0x2e: 'CR_NO_SUCH_REGISTRY_KEY',
  0x2f: 'CR_INVALID_MACHINENAME',
  0x30: 'CR_REMOTE_COMM_FAILURE',
  0x31: 'CR_MACHINE_UNAVAILABLE',
  0x32: 'CR_NO_CM_SERVICES',
  0x33: 'CR_ACCESS_DENIED',
  0x34: 'CR_CALL_NOT_IMPLEMENTED',
  0x35: 'CR_INVALID_PROPERTY',
  0x36: 'CR_DEVICE_INTERFACE_ACTIVE',
  0x37: 'CR_NO_SUCH_DEVICE_INTERFACE',
  0x38: 'CR_INVALID_REFERENCE_STRING',
  0x39: 'CR_INVALID_CONFLICT_LIST',
  0x3a: 'CR_INVALID_INDEX',
  0x3b: 'CR_INVALID_STRUCTURE_SIZE',
};

export const CR_SUCCESS = 0;
export const CM_LOCATE_DEVNODE_NORMAL = 0x0;
/** Fail rather than show UI when something vetoes the disable. */
export const CM_DISABLE_UI_NOT_OK = 0x4;
export const DN_DRIVER_LOADED = 0x2;
export const DN_STARTED = 0x8;
export const DN_DISABLEABLE = 0x2000;
export const DN_HAS_PROBLEM = 0x400;

export const configretName = (code: number) =>
  CONFIGRET_NAMES[code] ?? `CONFIGRET 0x${code.toString(16).padStart(2, '0')}`;

/** What the disable/enable strategy needs of cfgmgr32: an interface, so its logic is testable. */
export interface ConfigManager {
  locate(instanceId: string): { cr: number; devInst: number };
  disable(devInst: number, flags: number): number;
  enable(devInst: number, flags: number): number;
  status(devInst: number): { cr: number; status: number; problem: number };
}

type Fn = (...args: unknown[]) => unknown;

/** The real cfgmgr32, refused on Wine (see above). */
export function windowsConfigManager(onWine: boolean): ConfigManager {
  if (onWine)
    throw new DrvcycleError(
      ErrorCodes.CONFIG,
      'The disable/enable strategy needs the Windows Configuration Manager; on Wine 8 its calls are stubs, so drvcycle never makes them on the lab.',
      {
        hint: 'On the lab a PnP driver is cycled by removing and re-adding its device (the default there).',
      },
    );
  const cfgmgr = windowsLibrary('cfgmgr32.dll');
  const fn = (proto: string) => cfgmgr.func(proto) as Fn;
  /** https://learn.microsoft.com/windows/win32/api/cfgmgr32/nf-cfgmgr32-cm_locate_devnodew */
  const locate = fn(
    'uint32 __stdcall CM_Locate_DevNodeW(_Out_ uint32* devInst, str16 id, uint32 flags)',
  );
  /** https://learn.microsoft.com/windows/win32/api/cfgmgr32/nf-cfgmgr32-cm_disable_devnode */
  const disable = fn('uint32 __stdcall CM_Disable_DevNode(uint32 devInst, uint32 flags)');
  /** https://learn.microsoft.com/windows/win32/api/cfgmgr32/nf-cfgmgr32-cm_enable_devnode */
  const enable = fn('uint32 __stdcall CM_Enable_DevNode(uint32 devInst, uint32 flags)');
  /** https://learn.microsoft.com/windows/win32/api/cfgmgr32/nf-cfgmgr32-cm_get_devnode_status */
  const status = fn(
    'uint32 __stdcall CM_Get_DevNode_Status(_Out_ uint32* status, _Out_ uint32* problem, uint32 devInst, uint32 flags)',
  );
  return {
    locate(instanceId) {
      const devInst = [0];
      const cr = locate(devInst, instanceId, CM_LOCATE_DEVNODE_NORMAL) as number;
      return { cr, devInst: devInst[0]! };
    },
    disable: (devInst, flags) => disable(devInst, flags) as number,
    enable: (devInst, flags) => enable(devInst, flags) as number,
    status(devInst) {
      const out = [0];
      const problem = [0];
      const cr = status(out, problem, devInst, 0) as number;
      return { cr, status: out[0]!, problem: problem[0]! };
    },
  };
}
