// Libraries that only some requests need, loaded on first use instead of at start-up: each costs
// 10–30 ms and 8–12 MiB of RSS to load, and an idle server or one without CRDs never uses them.
// Their callers are synchronous (a schema compile, a CEL rule compile, a YAML body), so these are
// `require` calls, which Bun runs synchronously for CommonJS and ES modules alike; the bundler of
// the compiled binary keeps each one a lazily initialised module too.
import type * as Cel from "@marcbachmann/cel-js";
import type * as AjvModule from "ajv";
import type * as Yaml from "yaml";

let yaml: typeof Yaml | undefined;
let ajv: typeof AjvModule | undefined;
let cel: typeof Cel | undefined;

/** The `yaml` package: YAML request bodies and apply patches. */
export function yamlModule(): typeof Yaml {
  yaml ??= require("yaml") as typeof Yaml;
  return yaml;
}

/** The `ajv` package: compiling CRD validation schemas. */
export function ajvModule(): typeof AjvModule {
  ajv ??= require("ajv") as typeof AjvModule;
  return ajv;
}

/** `@marcbachmann/cel-js`: compiling and evaluating CRD validation rules. */
export function celModule(): typeof Cel {
  cel ??= require("@marcbachmann/cel-js") as typeof Cel;
  return cel;
}
