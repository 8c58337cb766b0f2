// The Table of a custom resource, as apiextensions-apiserver builds it: Name, then the CRD
// version's additionalPrinterColumns evaluated by JSONPath (Age alone when there are none).
// Each column yields the first value its path selects, typed as the column says.

import type { KObject, PrinterColumn, TableColumn, TableConvertor } from "../../apis/types.ts";
import {
  OBJECT_META_CREATION_TIMESTAMP_DESCRIPTION,
  OBJECT_META_NAME_DESCRIPTION,
} from "../../apis/builtin/schemas/meta.ts";
import { humanDuration, parseTimestamp } from "../../machinery/human-duration.ts";
import { findResults, type JsonPath, parseJsonPath, printResult } from "../../machinery/jsonpath.ts";

const DEFAULT_COLUMNS: PrinterColumn[] = [
  {
    name: "Age",
    type: "date",
    description: OBJECT_META_CREATION_TIMESTAMP_DESCRIPTION,
    jsonPath: ".metadata.creationTimestamp",
  },
];

/** A cell from a JSON value: typed columns keep values of their type only; dates become ages. */
export function cellForValue(type: string, value: unknown, now: number): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "string":
      return printResult(value);
    case "integer":
      return typeof value === "number" ? Math.trunc(value) : null;
    case "number":
      return typeof value === "number" ? value : null;
    case "boolean":
      return typeof value === "boolean" ? value : null;
    case "date": {
      if (typeof value !== "string") return null;
      const t = parseTimestamp(value);
      return t === undefined ? "<invalid>" : humanDuration(now - t);
    }
    default:
      return null;
  }
}

export interface CustomResourceTable {
  columns: TableColumn[];
  row(obj: KObject, now: number): unknown[];
}

export function customResourceTable(printerColumns: readonly PrinterColumn[] | undefined): CustomResourceTable {
  const defs = printerColumns && printerColumns.length > 0 ? printerColumns : DEFAULT_COLUMNS;
  const paths: (JsonPath | undefined)[] = defs.map((c) => {
    try {
      return parseJsonPath(c.jsonPath);
    } catch {
      // The CRD's validation rejects such paths; a column that cannot be parsed stays empty.
      return undefined;
    }
  });
  const columns: TableColumn[] = [
    { name: "Name", type: "string", format: "name", description: OBJECT_META_NAME_DESCRIPTION, priority: 0 },
    ...defs.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? "",
      description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
      priority: c.priority ?? 0,
    })),
  ];
  return {
    columns,
    row(obj, now) {
      const cells: unknown[] = [obj.metadata.name ?? ""];
      defs.forEach((c, i) => {
        const path = paths[i];
        const results = path ? findResults(path, obj) : [];
        cells.push(results.length === 0 ? null : cellForValue(c.type, results[0], now));
      });
      return cells;
    },
  };
}

export function customResourceTableConvertor(printerColumns: readonly PrinterColumn[] | undefined): TableConvertor {
  const t = customResourceTable(printerColumns);
  return { columns: t.columns, cells: (obj) => t.row(obj, Date.now()) };
}
