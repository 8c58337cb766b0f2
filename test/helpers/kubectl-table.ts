// Parse kubectl's column output (`get`, `api-resources`): the header's column starts give each
// cell's span, so empty cells (an empty SHORTNAMES) stay in their column.

export function parseTable(text: string): Record<string, string>[] {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) return [];
  const header = lines[0];
  const starts: { name: string; at: number }[] = [];
  for (const m of header.matchAll(/\S+/g)) starts.push({ name: m[0], at: m.index ?? 0 });
  return lines.slice(1).map((line) => {
    const row: Record<string, string> = {};
    starts.forEach((col, i) => {
      const end = i + 1 < starts.length ? starts[i + 1].at : line.length;
      row[col.name] = line.slice(col.at, end).trim();
    });
    return row;
  });
}
