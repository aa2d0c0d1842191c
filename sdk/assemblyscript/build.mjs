// Compiles examples/<name>.ts to <out>/<name>.wasm with asconfig.json, in
// one process: `node build.mjs <out> [name ...]` (all examples by default);
// `node build.mjs --check` compiles them all and writes nothing.
import asc from "assemblyscript/asc";
import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const [outArg = "build", ...names] = process.argv.slice(2);
const check = outArg === "--check";
const out = resolve(outArg);
process.chdir(here); // asconfig.json and the examples are found from here
const all = readdirSync(join(here, "examples"))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.slice(0, -3));
let failed = false;
for (const name of names.length ? names : all) {
  const { error, stderr } = await asc.main(
    [
      `examples/${name}.ts`,
      "--config",
      "asconfig.json",
      ...(check ? ["--noEmit"] : ["-o", join(out, `${name}.wasm`)]),
    ],
  );
  if (error) {
    process.stderr.write(`examples/${name}.ts: ${error.message}\n${stderr.toString()}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
