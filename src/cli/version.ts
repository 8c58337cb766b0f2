// `kcp version`: what this binary is, the commit it was built from, and which Kubernetes API level
// it serves.
import { defineCommand } from "citty";
import { buildInfo, KCP_VERSION, KUBE_GIT_VERSION, KUBE_MAJOR, KUBE_MINOR } from "../version.ts";

export default defineCommand({
  meta: {
    name: "version",
    description: "Print the kcp version, the git commit it was built from and the Kubernetes API level it serves",
  },
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
    const build = buildInfo();
    if (args.output === "json") {
      const info = {
        kcpVersion: KCP_VERSION,
        gitCommit: build.gitCommit,
        gitTreeState: build.gitTreeState,
        buildDate: build.buildDate,
        kubernetes: { major: KUBE_MAJOR, minor: KUBE_MINOR, gitVersion: KUBE_GIT_VERSION },
        bunVersion: Bun.version,
        platform: `${process.platform}/${process.arch}`,
      };
      console.log(JSON.stringify(info, null, 2));
    } else {
      const commit = build.gitTreeState === "dirty" ? `${build.gitCommit}-dirty` : build.gitCommit;
      console.log(`kcp ${KCP_VERSION} (commit ${commit}, Kubernetes API v${KUBE_MAJOR}.${KUBE_MINOR})`);
    }
  },
});
