// The Swagger 2.0 document as gnostic's `openapi.v2.Document` protobuf, the form kubectl ≤ 1.28
// downloads (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`). Field numbers are
// those of gnostic's OpenAPIv2.proto; only the fields our documents use are written. Free-form
// values (vendor extensions, defaults, enums) travel as `Any.yaml`, which JSON text satisfies.

import { ProtoWriter } from "./proto-writer.ts";
import type { SwaggerDocument } from "./swagger-v2.ts";
import { isObject } from "../../machinery/object.ts";

type Json = Record<string, unknown>;

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" ? v : undefined;
}

function boolean(v: unknown): boolean | undefined {
  return typeof v === "boolean" ? v : undefined;
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
}

/** `Any { string yaml = 2; }` */
function any(w: ProtoWriter, field: number, value: unknown): void {
  w.message(field, (a) => a.string(2, JSON.stringify(value)));
}

/** `repeated NamedAny vendor_extension`: every `x-` key of `obj`. */
function vendorExtensions(w: ProtoWriter, field: number, obj: Json): void {
  for (const [k, v] of Object.entries(obj)) {
    if (!k.startsWith("x-")) continue;
    w.message(field, (n) => {
      n.string(1, k);
      any(n, 2, v);
    });
  }
}

function schema(w: ProtoWriter, s: Json): void {
  w.string(1, str(s.$ref));
  w.string(2, str(s.format));
  w.string(3, str(s.title));
  w.string(4, str(s.description));
  if (s.default !== undefined) any(w, 5, s.default);
  w.double(6, num(s.multipleOf));
  w.double(7, num(s.maximum));
  w.bool(8, boolean(s.exclusiveMaximum));
  w.double(9, num(s.minimum));
  w.bool(10, boolean(s.exclusiveMinimum));
  w.int64(11, num(s.maxLength));
  w.int64(12, num(s.minLength));
  w.string(13, str(s.pattern));
  w.int64(14, num(s.maxItems));
  w.int64(15, num(s.minItems));
  w.bool(16, boolean(s.uniqueItems));
  w.int64(17, num(s.maxProperties));
  w.int64(18, num(s.minProperties));
  w.strings(19, stringList(s.required));
  if (Array.isArray(s.enum)) for (const e of s.enum) any(w, 20, e);
  if (isObject(s.additionalProperties)) {
    const ap = s.additionalProperties;
    w.message(21, (a) => a.message(1, (x) => schema(x, ap)));
  } else if (typeof s.additionalProperties === "boolean") {
    const b = s.additionalProperties;
    // A oneof member is present even when false, so write the varint explicitly.
    w.message(21, (a) => (b ? a.bool(2, true) : a));
  }
  if (typeof s.type === "string") {
    const t = s.type;
    w.message(22, (ti) => ti.strings(1, [t]));
  }
  if (isObject(s.items)) {
    const items = s.items;
    w.message(23, (ii) => ii.message(1, (x) => schema(x, items)));
  }
  if (Array.isArray(s.allOf)) for (const sub of s.allOf) if (isObject(sub)) w.message(24, (x) => schema(x, sub));
  if (isObject(s.properties)) {
    const props = s.properties;
    w.message(25, (p) => {
      for (const [name, sub] of Object.entries(props)) {
        if (!isObject(sub)) continue;
        p.message(1, (n) => n.string(1, name).message(2, (x) => schema(x, sub)));
      }
    });
  }
  w.bool(27, boolean(s.readOnly));
  if (s.example !== undefined) any(w, 30, s.example);
  vendorExtensions(w, 31, s);
}

/** The body of `ParametersItem { Parameter parameter = 1; }` for one query, path or body parameter. */
function parametersItem(item: ProtoWriter, p: Json): void {
  item.message(1, (param) => {
    if (p.in === "body") {
      param.message(1, (b) => {
        b.string(1, str(p.description));
        b.string(2, str(p.name));
        b.string(3, "body");
        b.bool(4, boolean(p.required));
        if (isObject(p.schema)) {
          const sch = p.schema;
          b.message(5, (x) => schema(x, sch));
        }
      });
      return;
    }
    param.message(2, (nb) => {
      if (p.in === "path") {
        nb.message(4, (q) => {
          q.bool(1, boolean(p.required));
          q.string(2, "path");
          q.string(3, str(p.description));
          q.string(4, str(p.name));
          q.string(5, str(p.type));
          q.bool(19, boolean(p.uniqueItems));
        });
      } else {
        nb.message(3, (q) => {
          q.bool(1, boolean(p.required));
          q.string(2, "query");
          q.string(3, str(p.description));
          q.string(4, str(p.name));
          q.string(6, str(p.type));
          q.bool(20, boolean(p.uniqueItems));
        });
      }
    });
  });
}

function operation(w: ProtoWriter, op: Json): void {
  w.strings(1, stringList(op.tags));
  w.string(3, str(op.description));
  w.string(5, str(op.operationId));
  w.strings(6, stringList(op.produces));
  w.strings(7, stringList(op.consumes));
  if (Array.isArray(op.parameters))
    for (const p of op.parameters) if (isObject(p)) w.message(8, (item) => parametersItem(item, p));
  if (isObject(op.responses)) {
    const responses = op.responses;
    w.message(9, (rs) => {
      for (const [code, r] of Object.entries(responses)) {
        if (!isObject(r)) continue;
        rs.message(1, (named) =>
          named.string(1, code).message(2, (value) =>
            value.message(1, (resp) => {
              resp.string(1, str(r.description));
              if (isObject(r.schema)) {
                const sch = r.schema;
                resp.message(2, (item) => item.message(1, (x) => schema(x, sch)));
              }
            }),
          ),
        );
      }
    });
  }
  w.strings(10, stringList(op.schemes));
  vendorExtensions(w, 13, op);
}

const PATH_METHODS: [string, number][] = [
  ["get", 2],
  ["put", 3],
  ["post", 4],
  ["delete", 5],
  ["options", 6],
  ["head", 7],
  ["patch", 8],
];

function pathItem(w: ProtoWriter, item: Json): void {
  for (const [method, field] of PATH_METHODS) {
    const op = item[method];
    if (isObject(op)) w.message(field, (o) => operation(o, op));
  }
  if (Array.isArray(item.parameters))
    for (const p of item.parameters) if (isObject(p)) w.message(9, (x) => parametersItem(x, p));
  vendorExtensions(w, 10, item);
}

export function encodeSwaggerProtobuf(doc: SwaggerDocument): Uint8Array {
  const w = new ProtoWriter();
  w.string(1, doc.swagger);
  w.message(2, (info) => info.string(1, doc.info.title).string(2, doc.info.version));
  w.message(8, (paths) => {
    for (const [name, item] of Object.entries(doc.paths))
      paths.message(2, (np) => np.string(1, name).message(2, (pi) => pathItem(pi, item)));
  });
  w.message(9, (defs) => {
    for (const [name, s] of Object.entries(doc.definitions))
      defs.message(1, (ns) => ns.string(1, name).message(2, (x) => schema(x, s)));
  });
  for (const requirement of doc.security) {
    w.message(12, (sr) => {
      for (const [name, scopes] of Object.entries(requirement))
        sr.message(1, (n) => n.string(1, name).message(2, (arr) => arr.strings(1, scopes)));
    });
  }
  w.message(13, (sd) => {
    for (const [name, def] of Object.entries(doc.securityDefinitions)) {
      const d = def as Json;
      sd.message(1, (n) =>
        n
          .string(1, name)
          .message(2, (item) =>
            item.message(2, (k) =>
              k.string(1, str(d.type)).string(2, str(d.name)).string(3, str(d.in)).string(4, str(d.description)),
            ),
          ),
      );
    }
  });
  return w.finish();
}
