// `kcp version`: what this binary is and which Kubernetes API level it serves.
import { defineCommand } from "citty";
import { KCP_VERSION, KUBE_GIT_VERSION, KUBE_MAJOR, KUBE_MINOR } from "../version.ts";

export default defineCommand({
  meta: { name: "version", description: "Print the kcp version and the Kubernetes API level it serves" },
  args: {
    output: {
      type: "enum",
      alias: "o",
      options: ["text", "json"],
      default: "text",
      description: "Output format",
    },
  },
  run({ args }) {
    if (args.output === "json") {
      const info = {
        kcpVersion: KCP_VERSION,
        kubernetes: { major: KUBE_MAJOR, minor: KUBE_MINOR, gitVersion: KUBE_GIT_VERSION },
        bunVersion: Bun.version,
        platform: `${process.platform}/${process.arch}`,
      };
      console.log(JSON.stringify(info, null, 2));
    } else {
      console.log(`kcp ${KCP_VERSION} (Kubernetes API v${KUBE_MAJOR}.${KUBE_MINOR})`);
    }
  },
});
