//! Browser package: what a user's device runs. Plain Rust functions (`logic`) hold the logic and
//! are tested on the host; `#[wasm_bindgen]` wrappers (`bindings`) expose them to JavaScript with hex
//! strings, JSON and `Uint8Array`s.

pub mod bindings;
pub mod imaging;
pub mod logic;
pub mod records;
