// What the specs share: opening a screen, connecting the injected wallet, the axe scan,
// screenshots, amounts as the app writes them, and the sizes of the built bundle.
import { expect, type Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { gzipSync } from "node:zlib";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TestWallet } from "./wallet";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SHOTS = path.join(HERE, "..", "screenshots");
mkdirSync(SHOTS, { recursive: true });

/** The app of global setup (`bithive web`), without a trailing slash. */
export const webUrl = () => process.env.BITHIVE_WEB_URL!.replace(/\/$/, "");

/** Base units to the app's decimal form (6 decimals, thousands separators). */
export const fmt = (base: string) => {
  const v = BigInt(base), unit = 1_000_000n;
  const frac = (v % unit).toString().padStart(6, "0").replace(/0+$/, "");
  return `${(v / unit).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${frac ? "." + frac : ""}`;
};

/** Opens `#screen` of the app at `base` and waits until the app has drawn it with chain data. */
export async function open(page: Page, screen: string, base = webUrl()) {
  await page.goto(`${base}/#${screen}`);
  await expect(page.locator("body[data-ready=true]")).toHaveCount(1);
}

export async function connect(page: Page, w: TestWallet) {
  await page.getByTestId("connect").click();
  await expect(page.getByTestId("account")).toContainText(w.address.slice(0, 12));
}

/** No serious or critical axe violation on the page as it is. */
export async function axe(page: Page, name: string) {
  const r = await new AxeBuilder({ page }).analyze();
  const bad = r.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${name}: ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

/** Elements wider than the viewport (the page scrolls sideways otherwise), named; none: []. */
export function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const root = document.documentElement;
    if (root.scrollWidth <= root.clientWidth) return [];
    return [...document.querySelectorAll("body *")]
      .filter((e) => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > root.clientWidth + 1)
      .map((e) => `${e.tagName.toLowerCase()}${e.getAttribute("data-testid") ? `[${e.getAttribute("data-testid")}]` : ""}: ${(e.textContent ?? "").slice(0, 40)}`);
  });
}

export const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

/** Bytes and gzip -9 bytes of a set of files. */
export interface Size {
  bytes: number;
  gzip: number;
}

/**
 * The built app's sizes: what the first screen loaded (`firstLoaded`: the asset files the page
 * fetched until its first screen showed chain data: the entry script, its stylesheet and the
 * first screen's chunks), the chunks loaded later (the other screens, the browser package's glue)
 * and the .wasm (fetched by the screens that use the browser package).
 */
export function bundleSizes(firstLoaded: string[]): { first: Size; lazyJs: Size; wasm: Size; lazyChunks: number } {
  const dist = path.join(HERE, "..", "dist");
  const html = readFileSync(path.join(dist, "index.html"), "utf8");
  const first = new Set([...html.matchAll(/(?:src|href)="\/?(assets\/[^"]+)"/g)].map((m) => path.basename(m[1])));
  for (const f of firstLoaded) first.add(path.basename(f));
  const sizes = { first: { bytes: 0, gzip: 0 }, lazyJs: { bytes: 0, gzip: 0 }, wasm: { bytes: 0, gzip: 0 }, lazyChunks: 0 };
  for (const f of readdirSync(path.join(dist, "assets"))) {
    const b = readFileSync(path.join(dist, "assets", f));
    const into = first.has(f) ? sizes.first : f.endsWith(".wasm") ? sizes.wasm : sizes.lazyJs;
    if (into === sizes.lazyJs) sizes.lazyChunks += 1;
    into.bytes += b.length;
    into.gzip += gzipSync(b, { level: 9 }).length;
  }
  return sizes;
}
