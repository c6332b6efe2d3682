/**
 * File-system helpers for tests that run under the test task's scoped permissions.
 *
 * @module
 */

/**
 * Makes `path` a symbolic link to `target` with `ln -s`: `Deno.symlink` needs unscoped
 * `--allow-read` and `--allow-write`, and the test task writes only under `/tmp`.
 *
 * @example
 * ```ts
 * await symlink("/work/main/node_modules", "/tmp/copy/node_modules");
 * ```
 */
export async function symlink(target: string, path: string): Promise<void> {
  const run = await new Deno.Command("sh", {
    args: ["-c", 'ln -s "$1" "$2"', "sh", target, path],
    stderr: "piped",
  }).output();
  if (run.code !== 0) {
    throw new Error(`ln -s ${target} ${path} failed: ${new TextDecoder().decode(run.stderr)}`);
  }
}
