import assert from "node:assert/strict";
import { fetchWithRetry } from "../src/data/http.ts";
import { DataError } from "../src/util/errors.ts";

function statuses(codes: number[]): { fetch: typeof fetch; calls: () => number } {
  let n = 0;
  const fake = (): Promise<Response> => {
    const status = codes[n++];
    return Promise.resolve(new Response(status === 200 ? "ok" : "no", { status }));
  };
  return { fetch: fake as typeof fetch, calls: () => n };
}

Deno.test("fetchWithRetry retries a 429 and returns the following 200", async () => {
  const { fetch, calls } = statuses([429, 200]);
  const waits: number[] = [];
  const sleep = (ms: number): Promise<void> => {
    waits.push(ms);
    return Promise.resolve();
  };
  const response = await fetchWithRetry("https://example.test/x", { fetch, sleep });
  assert.equal(await response.text(), "ok");
  assert.equal(calls(), 2);
  assert.deepEqual(waits, [500]);
});

Deno.test("fetchWithRetry backs off exponentially on 5xx and gives up after the retries", async () => {
  const { fetch, calls } = statuses([503, 502, 500, 500]);
  const waits: number[] = [];
  const sleep = (ms: number): Promise<void> => {
    waits.push(ms);
    return Promise.resolve();
  };
  await assert.rejects(
    () => fetchWithRetry("https://example.test/x", { fetch, sleep, retries: 3 }),
    (error: unknown) =>
      error instanceof DataError && /HTTP 500 after 4 attempts/.test(error.message),
  );
  assert.equal(calls(), 4);
  assert.deepEqual(waits, [500, 1000, 2000]);
});

Deno.test("fetchWithRetry fails once on 404 without retrying", async () => {
  const { fetch, calls } = statuses([404, 200]);
  await assert.rejects(
    () => fetchWithRetry("https://example.test/x", { fetch, what: "bars for XYZ" }),
    /Expected bars for XYZ at example\.test, found HTTP 404/,
  );
  assert.equal(calls(), 1);
});

Deno.test("fetchWithRetry reports a timeout when the server never answers", async () => {
  const hang =
    ((_: string, init?: RequestInit): Promise<Response> =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      })) as typeof fetch;
  await assert.rejects(
    () =>
      fetchWithRetry("https://example.test/x", {
        fetch: hang,
        timeoutMs: 10,
        retries: 0,
      }),
    /found no response within 10 ms after 1 attempts/,
  );
});
