//! Browser package: what a user's device runs. Plain Rust functions (`core`) hold the logic and
//! are tested on the host; `#[wasm_bindgen]` wrappers (`web`) expose them to JavaScript with hex
//! strings, JSON and `Uint8Array`s.

pub mod core;
pub mod web;
