import { defineConfig } from "@playwright/test";

// Debian's Chromium (never a downloaded browser), one worker: the flows share one devnet and
// run in order, each checked on chain.
export default defineConfig({
  testDir: "tests",
  // A test's whole budget, not a figure: in CI the flows share two cores with chains, relayers
  // and compilers, and a 2-minute budget ran out inside axe on a loaded machine (CI of d5d9712).
  timeout: 300_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  globalSetup: "./tests/global-setup.ts",
  use: {
    browserName: "chromium",
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    },
    viewport: { width: 1200, height: 900 },
    trace: "off",
  },
});
