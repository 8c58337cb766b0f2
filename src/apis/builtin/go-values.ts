// Values printed as Go's %#v prints them, for the field errors where kube shows a struct or a slice
// (e.g. `roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"view"}`).

/** `[]string{"a", "b"}`, or `[]string(nil)` for an absent slice. */
export function goStringSlice(type: string, items: readonly string[] | undefined): string {
  if (items === undefined) return `[]${type}(nil)`;
  return `[]${type}{${items.map((s) => JSON.stringify(s)).join(", ")}}`;
}

/** `pkg.Type{Field:"value", Other:3}`; strings are quoted, numbers and booleans bare. */
export function goStruct(type: string, fields: [string, string | number | boolean][]): string {
  return `${type}{${fields.map(([k, v]) => `${k}:${typeof v === "string" ? JSON.stringify(v) : String(v)}`).join(", ")}}`;
}

/** `[]byte{0x2d, 0x2d}`, as a []byte field's bad value appears in messages. */
export function goBytes(b: Uint8Array | undefined): string {
  if (b === undefined) return "[]byte(nil)";
  return `[]byte{${Array.from(b, (x) => `0x${x.toString(16)}`).join(", ")}}`;
}
