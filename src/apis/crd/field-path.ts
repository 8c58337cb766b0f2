// Field paths as k8s.io/apimachinery's field.Path prints them: `spec.versions[0].name`, map keys
// in brackets (`properties[spec]`), the root as an empty path.

export function child(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}
