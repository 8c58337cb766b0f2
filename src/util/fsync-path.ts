// Flushing a file, or a directory (so that a rename into it survives a power loss), to disk.
import { closeSync, fsyncSync, openSync } from "node:fs";

export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
