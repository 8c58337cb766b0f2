// A request whose body arrives in two halves, the second when the test says: the server admits it
// when its headers arrive, and works it only once the body is complete.
import type { KcpProcess } from "./kcp-process.ts";

export async function slowPost(kcp: KcpProcess, path: string, body: string, release: Promise<void>): Promise<Response> {
  const ca = await Bun.file(`${kcp.rootDir}/data/ca.crt`).text();
  const bytes = new TextEncoder().encode(body);
  const half = Math.floor(bytes.length / 2);
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(bytes.slice(0, half));
      await release;
      controller.enqueue(bytes.slice(half));
      controller.close();
    },
  });
  return fetch(`${kcp.url}${path}`, {
    method: "POST",
    body: stream,
    duplex: "half",
    headers: { Authorization: `Bearer ${kcp.token}`, "Content-Type": "application/json" },
    tls: { ca },
  } as RequestInit);
}
