// The OpenAPI documents of each logical cluster, built lazily and kept until the cluster's set of
// resources changes. The registry hands out the same array of ResourceDefs for as long as that
// set is unchanged, so documents are cached by that array's identity (clusters without CRDs share
// one entry); a group-version made only of built-in kinds is shared by every cluster.

import { createHash } from "node:crypto";
import type { ResourceRegistry } from "../../apis/registry.ts";
import type { ResourceDef } from "../../apis/types.ts";
import { buildGroupVersionDocument, groupVersionPath, type OpenAPIV3Document } from "./group-version-document.ts";
import { buildSwaggerDocument } from "./swagger-v2.ts";
import { encodeSwaggerProtobuf } from "./swagger-v2-protobuf.ts";
import { capabilitiesOf } from "../../apis/capabilities.ts";

export interface RenderedDocument {
  document: OpenAPIV3Document;
  json: string;
  /** Upper-case hex SHA-512 of `json`, as kube-apiserver computes its `?hash=`. */
  hash: string;
}

export interface RenderedSwagger {
  json: string;
  protobuf: Uint8Array;
  etag: string;
}

interface ClusterDocuments {
  groupVersions: Map<string, ResourceDef[]>;
  documents: Map<string, RenderedDocument>;
  swagger?: RenderedSwagger;
}

function sha512(data: string | Uint8Array): string {
  return createHash("sha512").update(data).digest("hex").toUpperCase();
}

function render(document: OpenAPIV3Document): RenderedDocument {
  const json = JSON.stringify(document);
  return { document, json, hash: sha512(json) };
}

export class OpenAPIDocuments {
  private readonly byDefs = new WeakMap<readonly ResourceDef[], ClusterDocuments>();
  /** Documents of group-versions whose resources are all built-in, shared across clusters. */
  private readonly builtinDocuments = new Map<string, RenderedDocument>();

  constructor(private readonly registry: ResourceRegistry) {}

  private state(cluster: string): ClusterDocuments {
    const defs = this.registry.resources(cluster);
    let s = this.byDefs.get(defs);
    if (!s) {
      const groupVersions = new Map<string, ResourceDef[]>();
      for (const d of defs) {
        const key = groupVersionPath(d.group, d.version);
        const list = groupVersions.get(key) ?? [];
        list.push(d);
        groupVersions.set(key, list);
      }
      s = { groupVersions, documents: new Map() };
      this.byDefs.set(defs, s);
    }
    return s;
  }

  /** The index keys (`api/v1`, `apis/<g>/<v>`) of the group-versions served in `cluster`. */
  groupVersions(cluster: string): string[] {
    return [...this.state(cluster).groupVersions.keys()].sort();
  }

  /** The v3 document of `gvPath` in `cluster`, or undefined when that group-version is not served. */
  document(cluster: string, gvPath: string): RenderedDocument | undefined {
    const s = this.state(cluster);
    const cached = s.documents.get(gvPath);
    if (cached) return cached;
    const defs = s.groupVersions.get(gvPath);
    if (!defs) return undefined;
    const builtinOnly = defs.every((d) => capabilitiesOf(d).schema === "builtin");
    let doc = builtinOnly ? this.builtinDocuments.get(gvPath) : undefined;
    if (!doc) {
      doc = render(buildGroupVersionDocument(defs[0].group, defs[0].version, defs));
      if (builtinOnly) this.builtinDocuments.set(gvPath, doc);
    }
    s.documents.set(gvPath, doc);
    return doc;
  }

  /** `{gvPath: hash}` for every group-version of `cluster`. */
  hashes(cluster: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const gv of this.groupVersions(cluster)) out[gv] = (this.document(cluster, gv) as RenderedDocument).hash;
    return out;
  }

  /** The merged Swagger 2.0 document of `cluster`, as JSON and as gnostic protobuf. */
  swagger(cluster: string): RenderedSwagger {
    const s = this.state(cluster);
    if (!s.swagger) {
      const docs = this.groupVersions(cluster).map((gv) => (this.document(cluster, gv) as RenderedDocument).document);
      const swagger = buildSwaggerDocument(docs);
      const json = JSON.stringify(swagger);
      s.swagger = { json, protobuf: encodeSwaggerProtobuf(swagger), etag: sha512(json) };
    }
    return s.swagger;
  }
}
