// Rows printed as kubectl prints a table: columns padded to their widest cell, three spaces
// between them, the last column unpadded (used by `kcp cluster list` and `kcp workspace list`).

export function printColumns(rows: string[][]): void {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  for (const r of rows)
    process.stdout.write(
      `${r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join("   ")
        .trimEnd()}\n`,
    );
}
