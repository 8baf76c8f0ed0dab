export { type DemoOptions, type DemoResult, runDemo } from "./commands/demo.js";
export { runScenarioCommand, type ScenarioCommandOptions } from "./commands/scenario.js";
export { CliFailure, type CliFailureCode, CliUsageError, ExitCode, type ExitCodeValue } from "./errors.js";
export { type CliIo, memoryIo, processIo } from "./io.js";
export { runCli } from "./program.js";
