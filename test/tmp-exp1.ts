import { startEtcd } from "/work/main/test/helpers/etcd-process.ts";
import { Etcd3 } from "etcd3";
const t0 = Date.now();
const c = await startEtcd({ tls: true });
console.log("started", Date.now() - t0, c.endpoints);
const fs = await import("node:fs");
const client = new Etcd3({ hosts: c.endpoints, credentials: { rootCertificate: fs.readFileSync(c.tls!.caFile), certChain: fs.readFileSync(c.tls!.certFile), privateKey: fs.readFileSync(c.tls!.keyFile) } });
await client.put("/a").value("1");
const r = await client.kv.range({ key: Buffer.from("/a"), range_end: Buffer.from("/b"), count_only: true });
console.log(JSON.stringify(r));
const stream = await client.watchClient.watch();
stream.on("data", (res: any) => console.log("watch", JSON.stringify(res)));
stream.on("error", (e: any) => console.log("werr", e));
stream.write({ create_request: { key: Buffer.from("/"), range_end: Buffer.from("0"), start_revision: 1, prev_kv: true, progress_notify: true } });
await Bun.sleep(200);
await client.put("/b").value("2");
await Bun.sleep(100);
stream.write({ progress_request: {} });
await Bun.sleep(200);
const t = await client.kv.txn({ compare: [{ key: Buffer.from("/a"), target: "Create", result: "Equal", create_revision: 0 }], success: [{ request_put: { key: Buffer.from("/a"), value: Buffer.from("x") } }], failure: [{ request_range: { key: Buffer.from("/a") } }] });
console.log("txn", JSON.stringify(t));
await client.kv.compact({ revision: 3, physical: true });
try { await client.kv.range({ key: Buffer.from("/a"), revision: 2 }); } catch (e: any) { console.log("compacted err", e.constructor.name, e.message, e.code); }
try { await client.kv.range({ key: Buffer.from("/a"), revision: 200 }); } catch (e: any) { console.log("future err", e.constructor.name, e.message, e.code); }
try { await client.kv.compact({ revision: 2 }); } catch (e: any) { console.log("compact old err", e.constructor.name, e.message); }
const s2 = await client.watchClient.watch();
s2.on("data", (res: any) => console.log("watch2", JSON.stringify(res)));
s2.write({ create_request: { key: Buffer.from("/"), range_end: Buffer.from("0"), start_revision: 1, prev_kv: true } });
await Bun.sleep(200);
console.log((await client.maintenance.status()));
client.close();
await c.stop();
