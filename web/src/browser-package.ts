// The browser package (offchain/browser, built into src/pkg by scripts/build-webapp.sh), imported
// only through a dynamic import() (research.ts, screens/governance.ts): Vite puts it, its
// wasm-bindgen glue and the .wasm (`?url`: a hashed asset beside the bundle) outside the first
// screen's chunk.
import init, * as pkg from "./pkg/bithive_browser.js";
import wasmUrl from "./pkg/bithive_browser_bg.wasm?url";

let ready: Promise<unknown> | undefined;

/** The package's exports, once its .wasm is instantiated (fetched once). */
export async function browserPackage(): Promise<typeof pkg> {
  ready ??= init({ module_or_path: wasmUrl });
  try {
    await ready;
  } catch (e) {
    ready = undefined;
    throw new Error(`the browser package (${wasmUrl}) did not load: ${e instanceof Error ? e.message : String(e)}`);
  }
  return pkg;
}
