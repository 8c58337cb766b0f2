// What each built-in kind takes from kube's published API, attached in one place: the Table its
// printer renders for `kubectl get`, and the strict-decoding check of request bodies against its
// OpenAPI schema (unknown fields pruned, then reported per the request's fieldValidation).

import { checkBuiltinFields } from "./builtin-unknown-fields.ts";
import { builtinTableConvertor } from "./printers.ts";
import type { ResourceDef } from "../types.ts";

export function attachTableAndSchema(def: ResourceDef): ResourceDef {
  // The review kinds list nothing and have no Table (a Table-only Accept gets 406).
  if (def.mode !== "stored") return def;
  const strategy = def.strategy;
  return {
    ...def,
    table: def.table ?? builtinTableConvertor(def.group, def.kind),
    strategy: {
      ...strategy,
      prepareForCreate(obj, ctx) {
        checkBuiltinFields(def, obj, ctx);
        strategy.prepareForCreate?.(obj, ctx);
      },
      prepareForUpdate(obj, old, ctx) {
        checkBuiltinFields(def, obj, ctx);
        strategy.prepareForUpdate?.(obj, old, ctx);
      },
    },
  };
}
