// Copies the pinned Chart.js UMD build from node_modules into frontend/vendor/ (served, gitignored).
// Run after `npm ci --prefix frontend`:  node frontend/scripts/build.mjs
import { copyFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "node_modules", "chart.js", "dist", "chart.umd.min.js");
const outDir = join(root, "vendor");
if (!existsSync(src)) {
  console.error(`missing ${src}: run "npm ci --prefix frontend" first`);
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
copyFileSync(src, join(outDir, "chart.umd.min.js"));
console.log(`copied chart.js -> ${join(outDir, "chart.umd.min.js")}`);
