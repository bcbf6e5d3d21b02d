/**
 * How a PnP driver is cycled. On Windows the default is what HLK does: disable the device (its
 * driver gets QUERY_REMOVE then REMOVE_DEVICE and is unloaded with its last device) and enable it
 * again (the driver is loaded: DriverEntry, AddDevice, START_DEVICE). Remove/re-add (DIF_REMOVE,
 * then the device is added again from the INF) works on Windows and is the only way on the Wine
 * lab, where the Configuration Manager's disable and enable are stubs.
 */
import { DrvcycleError, ErrorCodes } from '../../core/errors.ts';
import {
  CM_DISABLE_UI_NOT_OK,
  configretName,
  CR_SUCCESS,
  DN_DRIVER_LOADED,
  DN_HAS_PROBLEM,
  DN_STARTED,
  problemName,
  type ConfigManager,
} from './cfgmgr.ts';

export const PNP_STRATEGIES = ['remove-readd', 'disable-enable'] as const;
export type PnpStrategy = (typeof PNP_STRATEGIES)[number];

export function pnpStrategyFor(onWine: boolean, requested?: PnpStrategy): PnpStrategy {
  if (requested === 'disable-enable' && onWine)
    throw new DrvcycleError(
      ErrorCodes.CONFIG,
      'The disable-enable strategy cannot run on the Wine lab: Wine 8 stubs CM_Disable_DevNode and CM_Enable_DevNode.',
      {
        hint: 'Leave the strategy unset (the lab removes and re-adds the device), or run on Windows.',
      },
    );
  return requested ?? (onWine ? 'remove-readd' : 'disable-enable');
}

export interface DeviceNodeState {
  readonly started: boolean;
  readonly driverLoaded: boolean;
  /** The device's problem code and its name, when it has one (22 CM_PROB_DISABLED after a disable). */
  readonly problem: { readonly code: number; readonly name: string } | undefined;
}

export function decodeDevNodeStatus(status: number, problem: number): DeviceNodeState {
  return {
    started: (status & DN_STARTED) !== 0,
    driverLoaded: (status & DN_DRIVER_LOADED) !== 0,
    problem: status & DN_HAS_PROBLEM ? { code: problem, name: problemName(problem) } : undefined,
  };
}

/** A Configuration Manager call that failed, or a device left with a problem after a cycle step. */
export class PnpDeviceError extends DrvcycleError {
  readonly operation: string;
  readonly configret: number | undefined;
  /** The device's CM_PROB_* code after the step. */
  readonly problemCode: number | undefined;

  constructor(details: {
    operation: string;
    service: string;
    configret?: number;
    problem?: number;
    cycle?: number;
  }) {
    const what =
      details.configret !== undefined
        ? `failed: ${configretName(details.configret)} (0x${details.configret.toString(16)})`
        : `left the device with problem ${details.problem} ${problemName(details.problem ?? 0)}`;
    super(
      ErrorCodes.PNP,
      `${details.operation} on the device of "${details.service}"${details.cycle ? ` at cycle ${details.cycle}` : ''} ${what}.`,
    );
    this.name = 'PnpDeviceError';
    this.operation = details.operation;
    this.configret = details.configret;
    this.problemCode = details.problem;
  }

  protected override details(): Record<string, unknown> {
    return { operation: this.operation, configret: this.configret, problemCode: this.problemCode };
  }
}

/**
 * The disable/enable cycle over a ConfigManager: locate the device once, then disable (down)
 * and enable (up), each checked by the device's status afterwards.
 */
export class DisableEnableCycle {
  private devInst: number | undefined;
  private readonly cm: ConfigManager;
  private readonly instanceId: string;
  private readonly service: string;

  constructor(cm: ConfigManager, instanceId: string, service: string) {
    this.cm = cm;
    this.instanceId = instanceId;
    this.service = service;
  }

  private node(): number {
    if (this.devInst !== undefined) return this.devInst;
    const { cr, devInst } = this.cm.locate(this.instanceId);
    if (cr !== CR_SUCCESS)
      throw new PnpDeviceError({
        operation: 'CM_Locate_DevNode',
        service: this.service,
        configret: cr,
      });
    this.devInst = devInst;
    return devInst;
  }

  private state(cycle: number | undefined): DeviceNodeState {
    const { cr, status, problem } = this.cm.status(this.node());
    if (cr !== CR_SUCCESS)
      throw new PnpDeviceError({
        operation: 'CM_Get_DevNode_Status',
        service: this.service,
        configret: cr,
        ...(cycle ? { cycle } : {}),
      });
    return decodeDevNodeStatus(status, problem);
  }

  /** Disable: the driver gets QUERY_REMOVE and REMOVE_DEVICE; the device ends disabled (22). */
  down(cycle?: number): DeviceNodeState {
    const cr = this.cm.disable(this.node(), CM_DISABLE_UI_NOT_OK);
    if (cr !== CR_SUCCESS)
      throw new PnpDeviceError({
        operation: 'CM_Disable_DevNode',
        service: this.service,
        configret: cr,
        ...(cycle ? { cycle } : {}),
      });
    const state = this.state(cycle);
    if (state.problem?.code !== 22)
      throw new PnpDeviceError({
        operation: 'CM_Disable_DevNode',
        service: this.service,
        problem: state.problem?.code ?? 0,
        ...(cycle ? { cycle } : {}),
      });
    return state;
  }

  /** Enable: the driver is loaded and the device started, with no problem code. */
  up(cycle?: number): DeviceNodeState {
    const cr = this.cm.enable(this.node(), 0);
    if (cr !== CR_SUCCESS)
      throw new PnpDeviceError({
        operation: 'CM_Enable_DevNode',
        service: this.service,
        configret: cr,
        ...(cycle ? { cycle } : {}),
      });
    const state = this.state(cycle);
    if (state.problem || !state.started)
      throw new PnpDeviceError({
        operation: 'CM_Enable_DevNode',
        service: this.service,
        problem: state.problem?.code ?? 0,
        ...(cycle ? { cycle } : {}),
      });
    return state;
  }
}
