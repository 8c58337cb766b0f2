// What /proc says about a process (memory, CPU time) and the machine, and TCP connection counts
// to a port (to show that clients reuse connections). Linux only.

import { cpus, totalmem } from "node:os";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

export interface MemoryStatus {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size, bytes (since start or since resetPeak). */
  hwm: number;
}

export function memoryOf(pid: number): MemoryStatus {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
    return m ? Number(m[1]) * 1024 : Number.NaN;
  };
  return { rss: field("VmRSS"), hwm: field("VmHWM") };
}

/** Reset VmHWM to the current RSS (writing 5 to clear_refs, Linux ≥ 4.0). False if not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

const TICKS_PER_SECOND = 100;

/** User + system CPU time of a process, in milliseconds (from /proc/<pid>/stat). */
export function cpuTimeOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/**
 * CPU time, in milliseconds, of a process's JavaScriptCore compiler threads (named "JITWorker"),
 * from /proc/<pid>/task/<tid>/stat; null where that cannot be read (not Linux, process gone).
 */
export function jitCpuTimeOf(pid: number): number | null {
  let total = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      } catch {
        continue; // the thread ended meanwhile
      }
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (name !== "JITWorker") continue;
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += ((Number(rest[11]) + Number(rest[12])) * 1000) / TICKS_PER_SECOND;
    }
  } catch {
    return null;
  }
  return total;
}

/** CPU time of this (the benchmark client) process, milliseconds. */
export function selfCpuTime(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface Connections {
  established: number;
  timeWait: number;
}

/** TCP connections whose local or remote port is `port` on IPv4/IPv6 loopback, counted from the server's side. */
export function connectionsTo(port: number): Connections {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  let established = 0;
  let timeWait = 0;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4) continue;
      const local = cols[1] as string;
      // The server side of each connection: its local port is the listening port.
      if (!local.endsWith(`:${hex}`)) continue;
      if (cols[3] === "01") established++;
      else if (cols[3] === "06") timeWait++;
    }
  }
  // The listening socket itself is state 0A and not counted.
  return { established, timeWait };
}

/** The 1, 5 and 15 minute load averages. */
export function loadAverage(): [number, number, number] {
  try {
    const [a, b, c] = readFileSync("/proc/loadavg", "utf8").split(" ").map(Number);
    return [a ?? Number.NaN, b ?? Number.NaN, c ?? Number.NaN];
  } catch {
    return [Number.NaN, Number.NaN, Number.NaN];
  }
}

export interface MachineInfo {
  nproc: number;
  model: string;
  memoryGiB: number;
  kernel: string;
  bun: string;
  openFilesLimit: string;
}

export function machineInfo(): MachineInfo {
  let model = cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) model = (m[1] as string).trim();
  } catch {}
  let kernel = "unknown";
  try {
    kernel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  } catch {}
  return {
    nproc: navigator.hardwareConcurrency || cpus().length,
    model,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel,
    bun: Bun.version,
    openFilesLimit: openFilesLimit(),
  };
}

/** The soft limit on open files of this process ("Max open files" in /proc/self/limits). */
export function openFilesLimit(): string {
  try {
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return m ? `${m[1]} (hard ${m[2]})` : "unknown";
  } catch {
    return "unknown";
  }
}

export function softOpenFilesLimit(): number {
  const m = /^(\d+)/.exec(openFilesLimit());
  return m ? Number(m[1]) : Number.POSITIVE_INFINITY;
}
