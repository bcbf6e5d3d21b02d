/**
 * The Target of a pool of machines: every call goes to the machine that serves the tests now, so
 * fixtures and specs keep one Target while the pool swaps a dirty machine for a clean one.
 */
import type { Target } from '../target/types.ts';

export class ActiveTarget implements Target {
  private readonly current: () => Target;

  constructor(current: () => Target) {
    this.current = current;
  }

  get runId(): string {
    return this.current().runId;
  }

  info: Target['info'] = () => this.current().info();
  health: Target['health'] = () => this.current().health();
  install: Target['install'] = (image, options) => this.current().install(image, options);
  start: Target['start'] = (driver, options) => this.current().start(driver, options);
  stop: Target['stop'] = (driver, options) => this.current().stop(driver, options);
  query: Target['query'] = (driver) => this.current().query(driver);
  markForDelete: Target['markForDelete'] = (driver, options) =>
    this.current().markForDelete(driver, options);
  uninstall: Target['uninstall'] = (driver, options) => this.current().uninstall(driver, options);
  listOwned: Target['listOwned'] = () => this.current().listOwned();
  cleanupStale: Target['cleanupStale'] = () => this.current().cleanupStale();
  samplers: Target['samplers'] = () => this.current().samplers();
  sample: Target['sample'] = (request) => this.current().sample(request);
  verifierSettings: Target['verifierSettings'] = () => this.current().verifierSettings();
  events: Target['events'] = (since, until) => this.current().events(since, until);
  runCycles: Target['runCycles'] = (driver, options) => this.current().runCycles(driver, options);
  cancelCycles: Target['cancelCycles'] = (driver) => this.current().cancelCycles(driver);
  close: Target['close'] = () => this.current().close();
}
