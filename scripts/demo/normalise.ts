// What varies between two runs of a demo, made constant, so a run compares with its .result file:
// ports, the working directory, certificate data and tokens, timestamps, uids, resourceVersions and
// kubectl's AGE column. Nothing else: the content the demo shows is what the comparison checks.
//
//   scripts/demo.sh kubecon | bun scripts/demo/normalise.ts > scripts/demo/kubecon.result
//
// `comparable` also evens out column padding, which moves with the width of an age.

/** Replace what varies between runs with fixed words (DIR is the demo's working directory, if known). */
export function normaliseDemoOutput(text: string, dir?: string): string {
  let out = text;
  if (dir) out = out.split(dir).join("DIR");
  return out
    .split("\n")
    .map((line) =>
      line
        .replace(/(certificate-authority-data|client-certificate-data|client-key-data): \S+/g, "$1: DATA")
        .replace(/\btoken: \S+/g, "token: TOKEN")
        .replace(/\b(127\.0\.0\.1|localhost|\[::1\]):\d+/g, "$1:PORT")
        .replace(/\/[\w./-]*kcp-demo-[\w-]+\.\w+/g, "DIR")
        .replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\b/g, "TIMESTAMP")
        .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, "UID")
        .replace(/(resourceVersion: ?)"?\d+"?/g, '$1"RV"')
        // kubectl's AGE: a column of its own (two spaces or more before it, the line's end or two
        // spaces after it), e.g. 5s, 2m3s, 47h, 3d4h.
        .replace(/(?<= {2})(\d+[smhd](\d+[smh])?|<unknown>|<invalid>)(?= {2}|$)/g, "AGE")
        .trimEnd(),
    )
    .join("\n");
}

/** A normalised line with its column padding evened out (two spaces wherever there were two or more). */
export function comparable(line: string): string {
  return line.replace(/(\S) {2,}/g, "$1  ").trimEnd();
}

export interface DemoStep {
  /** "0" for the setup, then the demo's step numbers, "end" for the closing line. */
  id: string;
  title: string;
  lines: string[];
}

/** Split a demo's output at its `--- N. title` lines. */
export function splitSteps(text: string): DemoStep[] {
  const steps: DemoStep[] = [];
  let current: DemoStep | undefined;
  for (const line of text.split("\n")) {
    const m = /^--- (\S+)\. (.*)$/.exec(line);
    if (m) {
      current = { id: m[1] ?? "", title: m[2] ?? "", lines: [] };
      steps.push(current);
    } else if (current) {
      current.lines.push(line);
    }
  }
  for (const s of steps) while (s.lines.length > 0 && s.lines[s.lines.length - 1] === "") s.lines.pop();
  return steps;
}

if (import.meta.main) {
  const dir = process.argv[2];
  process.stdout.write(`${normaliseDemoOutput(await Bun.stdin.text(), dir)}\n`.replace(/\n+$/, "\n"));
}
