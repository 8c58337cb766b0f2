// The raw parts for the server itself: the least a Bun HTTPS server costs on this machine.
//
// Usage: bun raw-server.ts <port> <cert.pem> <key.pem> [<sqlite file>]
// Answers 200 "ok" to GET. With a SQLite file (opened as kcp opens its store: WAL,
// synchronous=NORMAL), a POST reads its JSON body, commits it as one row (one transaction per
// request, no batching) and answers 201 with the object: the floor of an HTTPS create.

import { Database } from "bun:sqlite";

const [port, certFile, keyFile, dbFile] = process.argv.slice(2);
let insert: ((key: string, value: string) => void) | undefined;
if (dbFile) {
  const db = new Database(dbFile, { create: true, strict: true });
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  db.run("CREATE TABLE IF NOT EXISTS kv (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, value TEXT NOT NULL)");
  const stmt = db.query<unknown, [string, string]>("INSERT INTO kv (key, value) VALUES (?, ?)");
  insert = (key, value) => {
    stmt.run(key, value);
  };
}
let n = 0;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(port),
  tls: { cert: Bun.file(certFile as string), key: Bun.file(keyFile as string) },
  async fetch(req) {
    if (req.method !== "POST" || !insert) return new Response("ok");
    const obj = (await req.json()) as { metadata?: Record<string, unknown> };
    const meta = obj.metadata ?? {};
    meta.resourceVersion = String(++n);
    const body = JSON.stringify(obj);
    insert(`${new URL(req.url).pathname}/${String(meta.name)}`, body);
    return new Response(body, { status: 201, headers: { "Content-Type": "application/json" } });
  },
});
console.log(`raw server listening on ${server.port}`);
process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
