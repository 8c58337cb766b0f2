// One logger for the whole process, so `--log-level` set once applies everywhere.
//
// consola's core (levels, tags, throttling of repeated lines) with a small reporter of our own:
// consola's default reporters format the time with toLocaleTimeString, which loads ICU and the
// time zone data on the first log line (~5 ms and ~5 MiB), and pull in node:util and node:tty.
// Lines carry the time in UTC (ISO 8601), which needs neither, and read the same on any machine:
//   2026-11-25T12:42:36.123Z INFO  [kcp] Serving securely on 127.0.0.1:6443
import { type ConsolaReporter, createConsola, LogLevels, type LogObject } from "consola/core";

export const LOG_LEVEL_NAMES = ["silent", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];

const COLORS: Record<string, string> = {
  fatal: "31",
  error: "31",
  warn: "33",
  success: "32",
  debug: "90",
  trace: "90",
};

/** One line per entry: time, level, tag, message. Errors and warnings go to stderr, the rest to stdout, as consola does. */
export const lineReporter: ConsolaReporter = {
  log(entry: LogObject) {
    const stream = entry.level < 2 ? process.stderr : process.stdout;
    stream.write(`${formatLogLine(entry, stream.isTTY === true)}\n`);
  },
};

export function formatLogLine(entry: Pick<LogObject, "date" | "type" | "tag" | "args">, color = false): string {
  // Upper case, as consola's badges were: WARN and ERROR lines are easy to find (and tests grep them).
  const label = (
    entry.type === "log" || entry.type === "box" ? "info" : entry.type === "success" ? "ok" : entry.type
  ).toUpperCase();
  const code = COLORS[entry.type];
  const level = color && code ? `\x1b[${code}m${label.padEnd(5)}\x1b[39m` : label.padEnd(5);
  const tag = entry.tag ? ` [${entry.tag}]` : "";
  const message = entry.args
    .map((a) => (typeof a === "string" ? a : a instanceof Error ? (a.stack ?? a.message) + causes(a) : Bun.inspect(a)))
    .join(" ");
  return `${entry.date.toISOString()} ${level}${tag} ${message}`;
}

function causes(err: Error): string {
  let out = "";
  for (let e = err.cause, n = 0; e !== undefined && n < 5; e = e instanceof Error ? e.cause : undefined, n++) {
    out += `\n  [cause]: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  }
  return out;
}

// An explicit level: consola would otherwise drop to "warn" whenever NODE_ENV=test, which hides
// the start-up lines our own end-to-end tests wait for.
export const log = createConsola({ level: LogLevels.info, reporters: [lineReporter] }).withTag("kcp");

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
