export { ControlServer, type ControlServerOptions, startControlServer } from "./control-server.js";
export { FaultInjector, InjectedFaultError } from "./faults.js";
export * from "./requests.js";
