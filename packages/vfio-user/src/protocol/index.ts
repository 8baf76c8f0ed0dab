export * from "./constants.js";
export * from "./messages.js";
export { MessageParser } from "./parser.js";
export { BufferReader } from "./reader.js";
export * from "./serializer.js";
export { BufferWriter } from "./writer.js";
