pub mod coding;
pub mod error;
pub mod state;
