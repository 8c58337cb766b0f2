import { describe, expect, test } from "bun:test";
import { deliverEvent } from "../../src/storage/deliver-event.ts";
import type { WatchEvent } from "../../src/storage/interface.ts";

const ev: WatchEvent = { type: "PUT", key: "/k", value: "v", revision: 2, createRevision: 2, prevRevision: 0 };

describe("deliverEvent", () => {
  test("a watcher that takes the event at once, one that answers with a promise, one that throws", async () => {
    const calls: string[] = [];
    const resume = () => calls.push("resume");
    const fail = (e: Error) => calls.push(`fail: ${e.message}`);

    expect(deliverEvent(() => {}, ev, resume, fail)).toBe("done");
    expect(calls).toEqual([]);

    let release = () => {};
    expect(deliverEvent(() => new Promise<void>((r) => (release = r)), ev, resume, fail)).toBe("waiting");
    await Bun.sleep(0);
    expect(calls).toEqual([]);
    release();
    await Bun.sleep(0);
    expect(calls).toEqual(["resume"]);

    expect(deliverEvent(() => Promise.reject("gone"), ev, resume, fail)).toBe("waiting");
    await Bun.sleep(0);
    expect(calls).toEqual(["resume", "fail: gone"]);

    expect(
      deliverEvent(
        () => {
          throw new Error("broken");
        },
        ev,
        resume,
        fail,
      ),
    ).toBe("failed");
    expect(calls).toEqual(["resume", "fail: gone", "fail: broken"]);
  });

  test('a thenable that settles at once still resumes only after the caller heard "waiting"', async () => {
    const calls: string[] = [];
    // biome-ignore lint/suspicious/noThenProperty: a thenable that settles at once is what this test is about
    const thenable = { then: (ok: () => void) => ok() } as unknown as Promise<void>;
    const outcome = deliverEvent(
      () => thenable,
      ev,
      () => calls.push("resume"),
      () => calls.push("fail"),
    );
    calls.push(`returned ${outcome}`);
    await Bun.sleep(0);
    expect(calls).toEqual(["returned waiting", "resume"]);
  });
});
