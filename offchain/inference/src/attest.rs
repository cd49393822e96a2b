//! The attestable result of one job and the canonical encoding its hash is taken over: defined
//! in `bithive-inference-result` (what a verifier needs without the engine), re-exported here.

pub use bithive_inference_result::{InferenceResult, ResultCore, RESULT_DOMAIN, RESULT_DOMAIN_V2};
