import { defineConfig } from "vite";

// `bithive web` serves dist/ with /deployment.json, /keplr-chain-info.json, /research.json and
// /rpc on the same origin; `npm run dev` forwards them to a running `bithive web` (BITHIVE_WEB,
// default http://127.0.0.1:8080).
const web = process.env.BITHIVE_WEB ?? "http://127.0.0.1:8080";
export default defineConfig({
  resolve: { alias: { "libsodium-wrappers-sumo": new URL("./src/stubs/libsodium.ts", import.meta.url).pathname } },
  build: { target: "es2022", sourcemap: false, chunkSizeWarningLimit: 2048 },
  server: { proxy: { "/rpc": web, "/deployment.json": web, "/keplr-chain-info.json": web, "/research.json": web } },
});
