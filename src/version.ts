// Versions the binary reports. The JSON import is inlined by the bundler, so the compiled binary
// needs no package.json at run time.
import pkg from "../package.json" with { type: "json" };

export const KCP_VERSION: string = pkg.version;

/** The Kubernetes API level we serve; kubectl picks its own version from /version. */
export const KUBE_MAJOR = "1";
export const KUBE_MINOR = "32";
export const KUBE_GIT_VERSION = `v${KUBE_MAJOR}.${KUBE_MINOR}.0`;
