// An apiVersion's group and version, as Go's schema.ParseGroupVersion reads it.

/** `v1` → core group; `apps/v1` → `apps`; "", "/" and anything with more than one slash → both empty. */
export function parseAPIVersion(apiVersion: string): { group: string; version: string } {
  if (apiVersion === "" || apiVersion === "/") return { group: "", version: "" };
  const parts = apiVersion.split("/");
  if (parts.length === 1) return { group: "", version: parts[0] as string };
  if (parts.length === 2) return { group: parts[0] as string, version: parts[1] as string };
  // Go's ParseGroupVersion fails here, leaving group and version empty.
  return { group: "", version: "" };
}
