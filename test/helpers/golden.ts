/** Golden files: compared by default, rewritten only by `npm run golden:update` (OPTC_UPDATE_GOLDEN=1). */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { expect } from "vitest";

export function expectGolden(file: string, actual: string): void {
  if (process.env.OPTC_UPDATE_GOLDEN === "1") {
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`missing golden file ${file}; run npm run golden:update and review it`);
  expect(actual).toBe(readFileSync(file, "utf8"));
}
