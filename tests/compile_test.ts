import assert from "node:assert/strict";
import { compilePlans, RUNTIME_ASSETS } from "../src/cli/compile.ts";
import { assetPath } from "../src/util/assets.ts";

Deno.test("compile plans embed the WASM binaries and the model", async () => {
  const model = await Deno.makeTempDir();
  const plans = await compilePlans({ outDir: "dist", model });
  assert.deepEqual(plans.map((p) => p.name), ["lstm-signal", "bot"]);
  for (const plan of plans) {
    const included = plan.args.flatMap((a, i) => plan.args[i - 1] === "--include" ? [a] : []);
    assert.ok(included.includes(model), `${plan.name} carries the model`);
    assert.ok(included.some((p) => p.endsWith("tfjs-backend-wasm-simd.wasm")));
    assert.equal(
      plan.args[plan.args.length - 1],
      plan.name === "bot" ? "examples/bot.ts" : "cli.ts",
    );
  }
});

Deno.test("the compiled bot gets read permission only", async () => {
  const [, bot] = await compilePlans({ outDir: "dist" });
  assert.deepEqual(bot.args.filter((a) => a.startsWith("--allow")), ["--allow-read"]);
});

Deno.test("every runtime asset the binaries carry exists in the module", async () => {
  for (const asset of RUNTIME_ASSETS) {
    const info = await Deno.stat(assetPath(asset));
    assert.ok(info.size > 1000, `${asset} is a real file`);
  }
});

Deno.test("compile --dry-run prints the commands as JSON", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-run", "cli.ts", "compile", "--dry-run", "--json"],
    cwd: assetPath("."),
  }).output();
  assert.equal(out.code, 0);
  const result = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(result.dryRun, true);
  assert.equal(result.binaries.length, 2);
  assert.equal(result.binaries[0].command[1], "compile");
});
