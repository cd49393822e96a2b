// @cosmjs/crypto uses libsodium only for Argon2 and XChaCha20 (encrypted wallet serialization),
// which the app never does: the wallet signs. Aliased in vite.config.ts to keep ~1 MB of wasm out
// of the bundle; any use fails ("... is not a function") instead of doing something else.
export default { ready: Promise.resolve() };
