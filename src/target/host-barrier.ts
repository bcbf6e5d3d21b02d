/**
 * The lab's wait for a driver host to finish dispatching a close. Under Wine, CloseHandle on a
 * driver's device returns at once (the server queues the IRP_MJ_CLOSE to the host), and a stop
 * that follows runs DriverUnload on the host's service thread while its one IRP thread may still
 * be in the driver's close routine; once the image is unmapped that thread faults, and the host's
 * crash would be the driver's verdict. On Windows the unload waits for the device's last
 * reference. The host's IRP thread takes requests in order, so an IOCTL to another device of the
 * same host (the keeper's, drivers/src/host_keeper.c) comes back only after the close's dispatch
 * has returned.
 */
import { DeviceOpenFailed, openDevice, type IoDevice } from '../windows/io/device-io.ts';

/** Any code: the keeper completes every IOCTL with STATUS_SUCCESS. */
const KEEPER_IOCTL = 0x0022_2000;

/**
 * Blocks until the host serving `keeperDevice` has dispatched every request queued before it.
 * A keeper that cannot be reached means its host is gone (the driver crashed it, in a call or in
 * the close itself): there is nothing left to wait for, and the stop that follows finds the
 * crash, which is the driver's.
 */
export function drainDriverHost(keeperDevice: string, boundMs: number): void {
  let keeper: IoDevice;
  try {
    keeper = openDevice(keeperDevice);
  } catch (error) {
    if (error instanceof DeviceOpenFailed) return;
    throw error;
  }
  try {
    const call = keeper.call({
      kind: 'ioctl',
      code: KEEPER_IOCTL,
      input: null,
      inputLength: 0,
      outputLength: 0,
    });
    // The watchdog reports a close past its bound; this wait only keeps the thread from staying.
    const end = call.wait(boundMs * 2);
    if (!end) call.cancel();
    call.release();
  } finally {
    keeper.close();
  }
}
