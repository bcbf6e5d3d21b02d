/**
 * The agent's blocking-call worker: the SCM's worker (windows/scm/blocking-pool-worker.ts) with the PnP
 * layer's device calls registered first, so one pool runs StartService, ControlService and the
 * SetupAPI/Configuration Manager calls of a PnP cycle. LocalTarget starts its pool from this
 * script, a sibling of local-target.ts in the sources and of agent.js in the agent's bundle.
 */
import '../windows/pnp/device-calls.ts';
import '../windows/scm/blocking-pool-worker.ts';
