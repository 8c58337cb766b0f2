// One logger for the whole process, so `--log-level` set once applies everywhere.
import { createConsola, LogLevels } from "consola";

export const LOG_LEVEL_NAMES = ["silent", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];

// An explicit level: consola would otherwise drop to "warn" whenever NODE_ENV=test, which hides
// the start-up lines our own end-to-end tests wait for.
export const log = createConsola({ level: LogLevels.info }).withTag("kcp");

export function isLogLevelName(name: string): name is LogLevelName {
  return (LOG_LEVEL_NAMES as readonly string[]).includes(name);
}

export function setLogLevel(name: LogLevelName): void {
  log.level = LogLevels[name];
}

/** True when debug output is on: errors then carry their stack. */
export function isDebugLogging(): boolean {
  return log.level >= LogLevels.debug;
}
