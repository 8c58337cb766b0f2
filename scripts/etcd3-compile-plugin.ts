// A Bun.build plugin that lets etcd3 run inside `bun build --compile`.
//
// etcd3 loads its gRPC service definitions when it is imported, with
// `protoLoader.loadSync(`${__dirname}/../proto/rpc.proto`)`: a read from node_modules, which a
// compiled binary does not have, so the binary crashes at start. The plugin parses those .proto
// files at build time and replaces the call with `protoLoader.fromJSON(<the parsed definitions>)`.
// They are parsed with `keepCase: true`, as etcd3's own loadSync does: with protobufjs' default
// camelCase the client would send field names etcd does not know, and silently lose them.
//
// Usage: Bun.build({ ..., plugins: [etcd3CompilePlugin] })

import type { BunPlugin } from "bun";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The one statement the plugin rewrites (etcd3 1.1.x, compiled by tsc). */
const LOAD_SYNC = /\(0, proto_loader_1\.loadSync\)\(`\$\{__dirname\}\/\.\.\/proto\/rpc\.proto`,/;

interface ProtobufRoot {
  loadSync(filename: string, options: { keepCase: boolean }): ProtobufRoot;
  resolveAll(): ProtobufRoot;
  toJSON(): unknown;
}

/** etcd's service definitions as protobufjs JSON, parsed with the protobufjs proto-loader uses. */
export function etcd3ProtoJson(connectionPoolPath: string): unknown {
  const requireFromLoader = createRequire(createRequire(connectionPoolPath).resolve("@grpc/proto-loader"));
  const protobuf = requireFromLoader("protobufjs") as { Root: new () => ProtobufRoot };
  const root = new protobuf.Root().loadSync(join(dirname(connectionPoolPath), "../proto/rpc.proto"), {
    keepCase: true,
  });
  return root.resolveAll().toJSON();
}

/** Replace etcd3's runtime loadSync in the source of `lib/connection-pool.js`. */
export function embedEtcd3Proto(source: string, connectionPoolPath: string): string {
  if (!LOAD_SYNC.test(source)) {
    throw new Error(
      `etcd3 compile plugin: the loadSync call was not found in ${connectionPoolPath}; check the etcd3 version`,
    );
  }
  const json = JSON.stringify(JSON.stringify(etcd3ProtoJson(connectionPoolPath)));
  return source.replace(LOAD_SYNC, `(0, proto_loader_1.fromJSON)(JSON.parse(${json}),`);
}

export const etcd3CompilePlugin: BunPlugin = {
  name: "etcd3-embedded-proto",
  setup(build) {
    build.onLoad({ filter: /[\\/]etcd3[\\/]lib[\\/]connection-pool\.js$/ }, async (args) => {
      const source = await Bun.file(args.path).text();
      return { contents: embedEtcd3Proto(source, args.path), loader: "js" };
    });
  },
};

export default etcd3CompilePlugin;
