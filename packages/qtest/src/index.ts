export * from "./cleanup.js";
export * from "./errors.js";
export * from "./find-qemu.js";
export * from "./launcher.js";
export { LineSplitter, type TraceDirection, type TraceListener } from "./line-transport.js";
export * from "./qmp/client.js";
export * from "./qtest/client.js";
export * from "./qtest/protocol.js";
