/**
 * What the sweep tests share: a tiny sweep spec (seconds per job on two
 * cores), the sweep and worker commands as subprocesses with the task's
 * permissions, and a private Redis server on a free port.
 */

/** Repository root, the working directory of the command subprocesses. */
export const ROOT = new URL("..", import.meta.url).pathname;

/**
 * A tiny sweep: 2 hidden sizes × 2 model seeds (plus `extra` grid values) on
 * two years of seeded synthetic bars, 2 epochs, 10-bar windows, 2 folds and a
 * 20% holdout, on the cpu backend.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile(`${tmp}/s.json`, JSON.stringify(tinySpec("t")));
 * ```
 */
export function tinySpec(
  name: string,
  units: (number | string)[] = [4, 6],
): Record<string, unknown> {
  return {
    name,
    data: { source: "synthetic", ticker: "SYN", start: "2023-01-01", seed: 7 },
    fixed: {
      epochs: 2,
      "batch-size": 64,
      "learning-rate": 0.01,
      backend: "cpu",
      "sequence-length": 10,
    },
    grid: { "lstm-units": units },
    seeds: [1, 2],
    evaluation: { folds: 2, holdout: { fraction: 0.2 } },
  };
}

/** Output of a command run. */
export interface Run {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** The sweep and worker tasks' permissions, with writes under `writeDir` and network to `net`. */
export function sweepPermissions(writeDir: string, net = "127.0.0.1"): string[] {
  return [
    "--allow-read",
    `--allow-write=${writeDir}`,
    "--allow-run",
    "--allow-env",
    "--allow-sys=hostname",
    `--allow-net=${net}`,
  ];
}

/**
 * Runs `cli.ts` with `args` and the sweep permissions.
 *
 * @example
 * ```ts
 * const run = await sweepCli(["sweep", "--spec", spec, "--out", tmp], tmp);
 * ```
 */
export async function sweepCli(args: string[], writeDir: string): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...sweepPermissions(writeDir), "cli.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/**
 * Spawns `cli.ts` with `args` and the sweep permissions, calling `onLine`
 * for each stderr line as it comes.
 *
 * @example
 * ```ts
 * const w = spawnCli(["worker", "--queue", url], tmp, (line) => console.log(line));
 * ```
 */
export function spawnCli(
  args: string[],
  writeDir: string,
  onLine: (line: string) => void = () => {},
): { child: Deno.ChildProcess; done: Promise<Run> } {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...sweepPermissions(writeDir), "cli.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const read = async (stream: ReadableStream<Uint8Array>, each?: (l: string) => void) => {
    const decoder = new TextDecoder();
    let all = "";
    let pending = "";
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      all += text;
      pending += text;
      let end;
      while ((end = pending.indexOf("\n")) >= 0) {
        each?.(pending.slice(0, end));
        pending = pending.slice(end + 1);
      }
    }
    return all;
  };
  const done = (async () => {
    const [stdout, stderr] = await Promise.all([read(child.stdout), read(child.stderr, onLine)]);
    const { code } = await child.status;
    return { code, stdout, stderr };
  })();
  return { child, done };
}

/** A TCP port nobody listens on (now). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Starts a private `redis-server` on 127.0.0.1 at a free port, without
 * persistence, and waits until it accepts connections. `stop` kills it.
 *
 * @example
 * ```ts
 * const redis = await startRedis();
 * try { ... redis.url ... } finally { await redis.stop(); }
 * ```
 */
export async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = freePort();
  const child = new Deno.Command("redis-server", {
    args: ["--save", "", "--appendonly", "no", "--port", String(port), "--bind", "127.0.0.1"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async (): Promise<void> => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
  };
  for (let tries = 0; tries < 100; tries++) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return { url: `redis://127.0.0.1:${port}`, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  await stop();
  throw new Error(`Expected redis-server to listen on 127.0.0.1:${port}, found nothing after 5 s`);
}

/** Reads `results.jsonl` as parsed lines. */
export async function readResults(path: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(path);
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}
