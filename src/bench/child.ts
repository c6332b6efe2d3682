/**
 * The bench's child processes: `deno <args>` run from the module root, timed from spawn to their
 * first stdout line, optionally held alive after it so that the parent can read their memory
 * high-water mark (VmHWM).
 *
 * @module
 */

import { MODULE_ROOT } from "../util/assets.ts";

/** What {@linkcode runChild} saw of one child process. */
export interface ChildRun {
  /** The exit code. */
  code: number;
  /** The first stdout line. */
  line: string | null;
  /** Spawn → first stdout line, ms. */
  lineMs: number | null;
  /** VmHWM of the child read while it held, MB (MiB); null without `hold` or /proc. */
  vmHwmMb: number | null;
  /** The last 20 lines of stderr. */
  stderrTail: string[];
}

/** Options of {@linkcode runChild}. */
export interface ChildOptions {
  /** Keep the child's stdin open until its VmHWM is read after its first stdout line. */
  hold?: boolean;
  /** Called with each stderr line as it arrives. */
  echo?: (line: string) => void;
}

/** Splits a byte stream into lines, calling `onLine` for each. */
async function eachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void | Promise<void>,
): Promise<void> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      await onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  }
  if (buffered !== "") await onLine(buffered);
}

/** The VmHWM of process `pid` (Linux), read with `cat` since Deno guards /proc without --allow-all. */
async function vmHwmMb(pid: number): Promise<number | null> {
  if (Deno.build.os !== "linux") return null;
  try {
    const { code, stdout } = await new Deno.Command("cat", {
      args: [`/proc/${pid}/status`],
      stdout: "piped",
      stderr: "null",
    }).output();
    const kb = new TextDecoder().decode(stdout).match(/^VmHWM:\s+(\d+)\s+kB/m);
    return code === 0 && kb ? Number(kb[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Runs `deno <args>` from the module root (with `NO_COLOR=1`). With `hold`, the child keeps running
 * after its first stdout line until its stdin closes, so that its VmHWM can be read first.
 *
 * @example
 * ```ts
 * const run = await runChild(["run", "--allow-read", "src/bench/cold_start.ts", "/tmp/model"]);
 * if (run.code === 0) console.log(run.line, run.lineMs);
 * ```
 */
export async function runChild(args: string[], options: ChildOptions = {}): Promise<ChildRun> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: MODULE_ROOT,
    stdin: options.hold ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stdin = options.hold ? child.stdin.getWriter() : null;
  const release = async (): Promise<void> => {
    await stdin?.close().catch(() => {});
  };
  const stderrTail: string[] = [];
  const err = eachLine(child.stderr, (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    options.echo?.(line);
  });
  let line: string | null = null;
  let lineMs: number | null = null;
  let hwm: number | null = null;
  const out = eachLine(child.stdout, async (text) => {
    if (line !== null) return;
    lineMs = performance.now() - started;
    line = text;
    if (options.hold) hwm = await vmHwmMb(child.pid);
    await release();
  });
  await out;
  await release();
  const { code } = await child.status;
  await err;
  return { code, line, lineMs, vmHwmMb: hwm, stderrTail };
}

/**
 * Why a child failed, in one line: its exit code and its last `error:` line on stderr (Deno's own
 * errors end with a stack backtrace), else its last non-empty stderr line.
 *
 * @example
 * ```ts
 * childFailure({ code: 1, line: null, lineMs: null, vmHwmMb: null, stderrTail: ["error: boom"] });
 * // "failed (exit 1): boom"
 * ```
 */
export function childFailure(run: ChildRun): string {
  const lines = run.stderrTail.filter((l) => l.trim() !== "");
  const last = lines.findLast((l) => l.startsWith("error: ")) ?? lines.at(-1) ?? "no output";
  return `failed (exit ${run.code}): ${last.replace(/^error: /, "")}`;
}

/**
 * A bench child's entry point: prints what `measure` returns as one JSON line on stdout; with
 * `--hold` as the second argument it then stays alive until the parent closes stdin, so that the
 * parent can read this process's memory high-water mark (VmHWM). A failure is one `error:` line on
 * stderr and exit 1.
 *
 * @example
 * ```ts
 * if (import.meta.main) await childMain(() => measureStudy(JSON.parse(Deno.args[0])));
 * ```
 */
export async function childMain(measure: () => Promise<unknown>): Promise<never> {
  try {
    console.log(JSON.stringify(await measure()));
    if (Deno.args[1] === "--hold") {
      for await (const _ of Deno.stdin.readable) { /* drain */ }
    }
    Deno.exit(0);
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}
