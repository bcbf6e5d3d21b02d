/** Service states, types and status records as the SCM reports them (winsvc.h). */
export const ServiceState = {
  STOPPED: 1,
  START_PENDING: 2,
  STOP_PENDING: 3,
  RUNNING: 4,
  CONTINUE_PENDING: 5,
  PAUSE_PENDING: 6,
  PAUSED: 7,
} as const;
export type ServiceStateName = keyof typeof ServiceState;

export const ServiceType = {
  KERNEL_DRIVER: 0x1,
  FILE_SYSTEM_DRIVER: 0x2,
  WIN32_OWN_PROCESS: 0x10,
  WIN32_SHARE_PROCESS: 0x20,
} as const;
export type DriverType = 'kernel' | 'filesystem';

export const SERVICE_DRIVER = 0x0b;
export const SERVICE_STATE_ALL = 3;

export function driverTypeCode(type: DriverType): number {
  return type === 'filesystem' ? ServiceType.FILE_SYSTEM_DRIVER : ServiceType.KERNEL_DRIVER;
}

export function stateName(state: number): ServiceStateName | `UNKNOWN(${number})` {
  for (const [name, value] of Object.entries(ServiceState)) {
    if (value === state) return name as ServiceStateName;
  }
  return `UNKNOWN(${state})`;
}

export function serviceTypeNames(type: number): string[] {
  const names = Object.entries(ServiceType)
    .filter(([, bit]) => (type & bit) !== 0)
    .map(([name]) => name);
  return names.length > 0 ? names : [`UNKNOWN(0x${type.toString(16)})`];
}

const CONTROLS_ACCEPTED: ReadonlyArray<[number, string]> = [
  [0x1, 'STOP'],
  [0x2, 'PAUSE_CONTINUE'],
  [0x4, 'SHUTDOWN'],
  [0x8, 'PARAMCHANGE'],
  [0x10, 'NETBINDCHANGE'],
  [0x20, 'HARDWAREPROFILECHANGE'],
  [0x40, 'POWEREVENT'],
  [0x80, 'SESSIONCHANGE'],
  [0x100, 'PRESHUTDOWN'],
];

export function controlsAcceptedNames(mask: number): string[] {
  return CONTROLS_ACCEPTED.filter(([bit]) => (mask & bit) !== 0).map(([, name]) => name);
}

/** SERVICE_STATUS_PROCESS, decoded. */
export interface ServiceStatus {
  readonly type: number;
  readonly state: number;
  readonly stateName: string;
  readonly controlsAccepted: number;
  readonly win32ExitCode: number;
  readonly serviceSpecificExitCode: number;
  readonly checkPoint: number;
  readonly waitHint: number;
  readonly processId: number;
  readonly serviceFlags: number;
}

export function isPending(state: number): boolean {
  return (
    state === ServiceState.START_PENDING ||
    state === ServiceState.STOP_PENDING ||
    state === ServiceState.CONTINUE_PENDING ||
    state === ServiceState.PAUSE_PENDING
  );
}
