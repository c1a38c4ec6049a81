import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { optc } from "../../vite.js";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [optc()],
  // Inside this repository the runtime comes from source; an installed app resolves "optc/runtime".
  resolve: { alias: { "optc/runtime": fileURLToPath(new URL("../../runtime/index.ts", import.meta.url)) } },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
});
