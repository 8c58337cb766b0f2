// Child process for the kill -9 test (sqlite.test.ts): writes keys to the store at argv[2] as fast
// as it can, with many writes in flight, and prints "<key> <revision>" once each is acknowledged.
// The test kills it with SIGKILL mid-stream and checks that every printed key survived.

import { SqliteStorage } from "../../src/storage/sqlite/sqlite-storage.ts";

const path = process.argv[2];
if (!path) throw new Error("usage: crash-writer.ts <db path>");
const storage = SqliteStorage.open(path);
const value = "x".repeat(200);
let next = 0;

async function writer(): Promise<void> {
  for (;;) {
    const key = `/crash/k${next++}`;
    const revision = await storage.create(key, value);
    process.stdout.write(`${key} ${revision}\n`);
  }
}

for (let i = 0; i < 32; i++) void writer();
