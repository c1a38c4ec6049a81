// The package as a user gets it: `npm pack` (which builds dist/ through `prepare`), then the
// tarball installed into a fresh project. Used by the package test (test/package/run.mjs) and
// the package bench (bench/package.mjs).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

export function sh(cmd, args, options = {}) {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...options });
}

/** Packs the repository; returns the tarball's path and the paths it holds. */
export function pack(dest = mkdtempSync(join(tmpdir(), "optc-pack-"))) {
  const [info] = JSON.parse(sh(NPM, ["pack", "--json", "--pack-destination", dest], { cwd: ROOT }));
  return { tarball: join(dest, info.filename), files: info.files.map((f) => f.path), size: info.size, unpackedSize: info.unpackedSize };
}

/**
 * A fresh ESM project with the tarball installed, as `npm i ./optc-x.y.z.tgz` does. `link`
 * names packages to take from this repository's node_modules (symlinks: types and optional
 * peers for the consumers that want them, without a download).
 */
export function installInto(tarball, { name = "consumer", link = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `optc-${name}-`));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true, type: "module" }, null, 2));
  sh(NPM, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", tarball], { cwd: dir });
  for (const pkg of link) {
    const target = join(dir, "node_modules", pkg);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(ROOT, "node_modules", pkg), target, "dir");
  }
  return dir;
}
