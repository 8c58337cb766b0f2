// The demos' output normaliser (scripts/demo/normalise.ts): it must make runs comparable without
// hiding what the demos check.

import { describe, expect, test } from "bun:test";
import { comparable, normaliseDemoOutput, splitSteps } from "../../scripts/demo/normalise.ts";

describe("normaliseDemoOutput", () => {
  test("ports, certificate data, tokens, paths, timestamps, uids and resourceVersions", () => {
    const run = [
      "    server: https://127.0.0.1:41195/clusters/user",
      "    certificate-authority-data: LS0tLS1CRUdJTi==",
      "    token: tRKK5qqUu7HUmFg9LfNSbbE9_x_mmSLXh7I-I1IJPoY",
      "logs are in /tmp/run-1/logs",
      '  creationTimestamp: "2026-12-07T06:43:19Z"',
      "  uid: 2482967f-7fe0-42fa-92da-066d8414db3f",
      '  resourceVersion: "67"',
    ].join("\n");
    expect(normaliseDemoOutput(run, "/tmp/run-1")).toBe(
      [
        "    server: https://127.0.0.1:PORT/clusters/user",
        "    certificate-authority-data: DATA",
        "    token: TOKEN",
        "logs are in DIR/logs",
        '  creationTimestamp: "TIMESTAMP"',
        "  uid: UID",
        '  resourceVersion: "RV"',
      ].join("\n"),
    );
  });

  test("ages in kubectl's AGE column, not the replica counts beside them", () => {
    const table = [
      "NAME                      READY   UP-TO-DATE   AVAILABLE   AGE",
      "my-deployment             0/10    10           0           15s",
      "my-deployment--us-east1   0/5     5            0           2m3s",
      "us-east1   us-east1   False   []                     47h",
    ].join("\n");
    expect(normaliseDemoOutput(table).split("\n")).toEqual([
      "NAME                      READY   UP-TO-DATE   AVAILABLE   AGE",
      "my-deployment             0/10    10           0           AGE",
      "my-deployment--us-east1   0/5     5            0           AGE",
      "us-east1   us-east1   False   []                     AGE",
    ]);
    // A number that is not an age, and an age-like word inside a sentence, stay.
    expect(normaliseDemoOutput("deployment.apps/web scaled to 10s of replicas")).toBe(
      "deployment.apps/web scaled to 10s of replicas",
    );
  });

  test("comparable evens out the padding an age's width moves", () => {
    expect(comparable("my-deployment   10/10   10    AGE   ")).toBe(comparable("my-deployment  10/10  10  AGE"));
    expect(comparable("    ephemeralContainers:")).toBe("    ephemeralContainers:");
    expect(comparable("a   5/5")).not.toBe(comparable("a   4/5"));
  });
});

describe("splitSteps", () => {
  test("cuts at the step lines and drops trailing blank lines", () => {
    const steps = splitSteps("\n--- 0. Setup\n# hello\n\n--- 14. Leaves\n$ kubectl get deployments\nx\n\n");
    expect(steps).toEqual([
      { id: "0", title: "Setup", lines: ["# hello"] },
      { id: "14", title: "Leaves", lines: ["$ kubectl get deployments", "x"] },
    ]);
  });
});
