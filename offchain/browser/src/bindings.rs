//! JavaScript bindings (thin: parse, call `logic`, map errors to `JsError`).

use wasm_bindgen::prelude::*;

use crate::logic::{self, LshParams};

fn js<T>(r: Result<T, String>) -> Result<T, JsError> {
    r.map_err(|e| JsError::new(&e))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, JsError> {
    serde_json::from_str(s).map_err(|e| JsError::new(&format!("bad JSON: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, JsError> {
    serde_json::to_string(v).map_err(|e| JsError::new(&e.to_string()))
}

/// `attributes_json`: `["cond=C03", ...]`; `lsh_json`: `{"seed":..,"dim":..,"bands":..,"rows":..}`.
/// Returns the token list as JSON.
#[wasm_bindgen(js_name = profileTokens)]
pub fn profile_tokens(
    attributes_json: &str,
    embedding: &[f32],
    lsh_json: &str,
) -> Result<String, JsError> {
    let attrs: Vec<String> = from_json(attributes_json)?;
    let lsh: LshParams = from_json(lsh_json)?;
    to_json(&js(logic::profile_tokens(&attrs, embedding, &lsh))?)
}

/// One OPRF round: `new OprfBatch(tokensJson)`, send `request()` to the service, pass its answers
/// to `finish(answersJson)` to get H(x)^a (JSON array of hex).
#[wasm_bindgen]
pub struct OprfBatch(Option<logic::OprfBatch>);

#[wasm_bindgen]
impl OprfBatch {
    #[wasm_bindgen(constructor)]
    pub fn new(tokens_json: &str) -> Result<OprfBatch, JsError> {
        let tokens: Vec<String> = from_json(tokens_json)?;
        let mut rng = js(logic::os_rng())?;
        Ok(OprfBatch(Some(logic::OprfBatch::new(&tokens, &mut rng))))
    }

    pub fn request(&self) -> Result<String, JsError> {
        match &self.0 {
            Some(b) => to_json(&b.request()),
            None => Err(JsError::new("batch already finished")),
        }
    }

    pub fn finish(&mut self, answers_json: &str) -> Result<String, JsError> {
        let answers: Vec<String> = from_json(answers_json)?;
        let batch = self
            .0
            .take()
            .ok_or_else(|| JsError::new("batch already finished"))?;
        to_json(&js(batch.finish(&answers))?)
    }
}

/// A research request blinded and sealed in the browser: `new ResearchBatch(requestId,
/// clausesJson)` (AND of OR clauses of `field=value` tokens), POST `request()` (JSON array of hex
/// points) to the blinding service, then `seal(answersJson, accountPubkey, nodeNoisePubkeyHex,
/// chainId)` gives the sealed bytes to post as the escrow job's input. `noisePublic()` is the
/// request's fresh Noise key (hex), where the node sends the match notice.
#[wasm_bindgen]
pub struct ResearchBatch(logic::ResearchBatch);

#[wasm_bindgen]
impl ResearchBatch {
    #[wasm_bindgen(constructor)]
    pub fn new(request_id: u64, clauses_json: &str) -> Result<ResearchBatch, JsError> {
        let clauses: Vec<Vec<String>> = from_json(clauses_json)?;
        let mut rng = js(logic::os_rng())?;
        Ok(ResearchBatch(js(logic::ResearchBatch::new(
            request_id, &clauses, &mut rng,
        ))?))
    }

    pub fn request(&self) -> Result<String, JsError> {
        to_json(&js(self.0.request())?)
    }

    /// Throws on a wrong answer count, bad hex or point, an account key that is not a
    /// 33-byte compressed secp256k1 key, a node key that is not 32 bytes of hex, or a batch
    /// already sealed.
    pub fn seal(
        &mut self,
        answers_json: &str,
        account_pubkey: &[u8],
        node_noise_pubkey_hex: &str,
        chain_id: &str,
    ) -> Result<Vec<u8>, JsError> {
        let answers: Vec<String> = from_json(answers_json)?;
        js(self
            .0
            .seal(&answers, account_pubkey, node_noise_pubkey_hex, chain_id))
    }

    #[wasm_bindgen(js_name = noisePublic)]
    pub fn noise_public(&self) -> String {
        self.0.noise_public()
    }
}

#[wasm_bindgen(js_name = hashToken)]
pub fn hash_token(token: &str) -> String {
    logic::hash_token_hex(token)
}

/// BGW decryption (the product scheme) with a 109-byte user key, the group's public parameters
/// and the recipient set: the scheme alone, for test vectors. A recipient of a research
/// delivery uses [`open_delivery`], which checks the chain and the researcher first. Throws on any failure (not a recipient, a header not made for the
/// set, wrong epoch, tampering, malformed input or an old format version).
#[wasm_bindgen]
pub fn decrypt(
    key: &[u8],
    public_params: &[u8],
    recipients: &[u32],
    ciphertext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, JsError> {
    js(logic::decrypt(
        key,
        public_params,
        recipients,
        ciphertext,
        aad,
    ))
}

/// Checks a matching attestation's result hash against (request id, the match's salt, S_i).
#[wasm_bindgen(js_name = verifyMatch)]
pub fn verify_match(
    request_id: u64,
    salt_hex: &str,
    recipients: &[u32],
    result_hash_hex: &str,
) -> Result<bool, JsError> {
    js(logic::verify_match(
        request_id,
        salt_hex,
        recipients,
        result_hash_hex,
    ))
}

/// What a recipient runs on a researcher's delivery (the bytes received over BitChat): checks
/// it names `job_id`, S_i and salt against that job's on-chain result hash and the signature
/// against its payer, then decrypts with the user key; throws on any failure, never returns a plaintext
/// it was not meant to receive.
#[wasm_bindgen(js_name = openDelivery)]
pub fn open_delivery(
    key: &[u8],
    public_params: &[u8],
    delivery: &[u8],
    chain_id: &str,
    job_id: &str,
    result_hash_hex: &str,
    payer: &str,
) -> Result<Vec<u8>, JsError> {
    js(logic::open_delivery(
        key,
        public_params,
        delivery,
        chain_id,
        job_id,
        result_hash_hex,
        payer,
    ))
}

/// Whether a body received from the matching node is a cover message: every enrolled user outside
/// S_i gets one as long as the delivery (so a relay cannot tell who was matched). Drop it without a
/// word, and check it before `deliveryJob` (which refuses it as "not a delivery").
#[wasm_bindgen(js_name = isCover)]
pub fn is_cover(body: &[u8]) -> bool {
    bithive_matching::wire::is_cover(body)
}

/// The escrow job a delivery names (to read its attestation and payer before `openDelivery`).
#[wasm_bindgen(js_name = deliveryJob)]
pub fn delivery_job(delivery: &[u8]) -> Result<String, JsError> {
    js(logic::delivery_job(delivery))
}

#[wasm_bindgen(js_name = cosineDistance)]
pub fn cosine_distance(a: &[f32], b: &[f32]) -> Result<f32, JsError> {
    js(logic::distance(a, b))
}

#[wasm_bindgen(js_name = submitProfileMsg)]
pub fn submit_profile_msg(user: u32, epoch: u64, tags_json: &str) -> Result<String, JsError> {
    let tags: Vec<String> = from_json(tags_json)?;
    js(logic::submit_profile_msg(user, epoch, tags))
}

#[wasm_bindgen(js_name = acceptRequestMsg)]
pub fn accept_request_msg(request_id: u64, commitment_hex: &str) -> Result<String, JsError> {
    js(logic::accept_request_msg(request_id, commitment_hex))
}

/// A DAO proposal's messages (`msgs_json`: the proposal's `msgs` as the chain returns them) in
/// plain words against the deployment (`deployment_json`: deployment.json), with what a member's
/// client objects to: `[{"words": .., "objection": .. | null}, ..]`, the words and objections of
/// `bithive gov show` (`bithive_deploy_plan::gov`). A message it cannot read is shown as it is,
/// with an objection (`explain_json`); only input that is not a JSON list is an error.
#[wasm_bindgen(js_name = explainProposal)]
pub fn explain_proposal(deployment_json: &str, msgs_json: &str) -> Result<String, JsError> {
    let d: bithive_deploy_plan::Deployment = from_json(deployment_json)?;
    let msgs: Vec<serde_json::Value> = from_json(msgs_json)?;
    to_json(
        &msgs
            .iter()
            .map(|m| bithive_deploy_plan::gov::explain_json(m, &d))
            .collect::<Vec<_>>(),
    )
}

/// A patient's image sealed for one job (`sealJobInput`): `sealed()` is the file to upload to
/// the nodes' content store, `cid` its content id (the store must answer the same), `jobInput`
/// the escrow job's input (`{"sealed_input":{..}}`, what goes on chain).
#[wasm_bindgen]
pub struct SealedImage(crate::imaging::SealedJobInput);

#[wasm_bindgen]
impl SealedImage {
    pub fn sealed(&self) -> Vec<u8> {
        self.0.sealed.clone()
    }
    #[wasm_bindgen(getter)]
    pub fn cid(&self) -> String {
        self.0.cid.clone()
    }
    #[wasm_bindgen(getter, js_name = jobInput)]
    pub fn job_input(&self) -> String {
        self.0.job_input.clone()
    }
}

/// Seals `image` for escrow job `jobId` (`<payer>/<client id>`) to the BGW indices
/// `recipients` (the nodes allowed to run the model) with the model key authority's public
/// parameters and encryption key. Throws on bad input (no recipient, unknown index, bad keys).
#[wasm_bindgen(js_name = sealJobInput)]
pub fn seal_job_input(
    job_id: &str,
    image: &[u8],
    params: &[u8],
    encryption_key: &[u8],
    recipients: &[u32],
) -> Result<SealedImage, JsError> {
    js(crate::imaging::seal_job_input(
        job_id,
        image,
        params,
        encryption_key,
        recipients,
    ))
    .map(SealedImage)
}

/// Opens the explanation of job `jobId` (the sealed bytes the relayer serves) with the key only
/// the patient and the nodes that opened `image` derive, and returns the result (JSON: label,
/// probabilities, Tscore and its breakdown, the saliency map) only if it is the one attested on
/// chain (`attestedHashHex`), for this job and this image, with a map. Throws otherwise.
#[wasm_bindgen(js_name = openExplanation)]
pub fn open_explanation(
    job_id: &str,
    image: &[u8],
    sealed: &[u8],
    attested_hash_hex: &str,
) -> Result<String, JsError> {
    to_json(&js(crate::imaging::open_job_explanation(
        job_id,
        image,
        sealed,
        attested_hash_hex,
    ))?)
}

/// What the owner's wallet signs (`signArbitrary`) to unlock its records in `vault` on
/// `chainId`: the same text `bithive vault` signs, so both derive the same keys.
#[wasm_bindgen(js_name = recordKeyText)]
pub fn record_key_text(chain_id: &str, vault: &str) -> String {
    bithive_content_store::record::owner_key_text(chain_id, vault)
}

/// A record sealed in the page (`sealRecord`): `sealed()` is the file to store, `cid` and
/// `sha256` what the vault's mint names.
#[wasm_bindgen]
pub struct SealedRecord(crate::records::SealedRecord);

#[wasm_bindgen]
impl SealedRecord {
    pub fn sealed(&self) -> Vec<u8> {
        self.0.sealed.clone()
    }
    #[wasm_bindgen(getter)]
    pub fn cid(&self) -> String {
        self.0.content_id.clone()
    }
    #[wasm_bindgen(getter)]
    pub fn sha256(&self) -> String {
        self.0.sha256_hex.clone()
    }
}

/// Encrypts `file` for its owner, whose wallet signed `recordKeyText` with `signature` (64
/// bytes). Throws on an empty or too large file or a signature that is not 64 bytes.
#[wasm_bindgen(js_name = sealRecord)]
pub fn seal_record(signature: &[u8], file: &[u8]) -> Result<SealedRecord, JsError> {
    js(crate::records::seal(signature, file)).map(SealedRecord)
}

/// The owner's record opened: throws unless `sealed` is the file the vault names (`sha256Hex`)
/// and opens with the owner's key.
#[wasm_bindgen(js_name = openRecord)]
pub fn open_record(signature: &[u8], sealed: &[u8], sha256_hex: &str) -> Result<Vec<u8>, JsError> {
    js(crate::records::open(signature, sealed, sha256_hex))
}

/// The account's reading key (64 hex characters) from its signature of `recordKeyText`: what
/// others seal a share to so that it opens in this account's page (`openSharedRecord`).
#[wasm_bindgen(js_name = readerKey)]
pub fn reader_key(signature: &[u8]) -> Result<String, JsError> {
    js(crate::records::reader_key(signature))
}

/// Throws unless a share's `wrapped` key opens with this account's reading key for record
/// `tokenId` of `vault` and `grantee` (checked before the read is logged and paid for).
#[wasm_bindgen(js_name = checkSharedRecord)]
pub fn check_shared_record(
    signature: &[u8],
    vault: &str,
    token_id: &str,
    grantee: &str,
    wrapped: &[u8],
) -> Result<(), JsError> {
    js(crate::records::check_share(
        signature, vault, token_id, grantee, wrapped,
    ))
}

/// A record shared with `grantee` (this account, whose wallet signed `recordKeyText`), opened:
/// the grant's `wrapped` key opened with the reading key, then `sealed`, checked against the
/// vault's `sha256Hex`. Throws on a share sealed to another key or record, or another file.
#[wasm_bindgen(js_name = openSharedRecord)]
pub fn open_shared_record(
    signature: &[u8],
    vault: &str,
    token_id: &str,
    grantee: &str,
    wrapped: &[u8],
    sealed: &[u8],
    sha256_hex: &str,
) -> Result<Vec<u8>, JsError> {
    js(crate::records::open_granted(
        signature, vault, token_id, grantee, wrapped, sealed, sha256_hex,
    ))
}

/// A grant's `wrapped_key`: the key of record `tokenId` sealed to `granteeKeyHex` (the grantee's
/// reading key, or its `bithive vault identity`), bound to `vault`, the record and `grantee`. Throws on a bad key, a
/// file that is not the vault's, or a record this account did not put.
#[wasm_bindgen(js_name = wrapRecordKey)]
pub fn wrap_record_key(
    signature: &[u8],
    sealed: &[u8],
    sha256_hex: &str,
    vault: &str,
    token_id: &str,
    grantee: &str,
    grantee_key_hex: &str,
) -> Result<Vec<u8>, JsError> {
    js(crate::records::wrap_key(
        signature,
        sealed,
        sha256_hex,
        vault,
        token_id,
        grantee,
        grantee_key_hex,
    ))
}
