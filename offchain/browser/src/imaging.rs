//! A patient's image through the web app (issue #47): sealed in the browser to the nodes
//! allowed to run the job's model, bound to the job (`bithive_content_store::input`), and the
//! explanation of its result opened and checked against the attestation on chain. The image
//! leaves the device only sealed; the explanation is trusted only if it is the attested result.

use bithive_content_store::input::{explanation_key, open_explanation, seal_input, SealedInputRef};
use bithive_dgkbe::bgw::{BgwEncryptionKey, BgwPublicParams};
use bithive_inference_result::InferenceResult;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// An image sealed for one job: the file to store and the escrow job's `input`.
#[derive(Debug, Serialize)]
pub struct SealedJobInput {
    /// The sealed file (BHINPUT), to upload to the nodes' content store.
    #[serde(skip)]
    pub sealed: Vec<u8>,
    /// Its content id: the store must answer the same, or it stored something else.
    pub cid: String,
    /// The job input, `{"sealed_input":{"cid","sha256","bytes"}}` (what goes on chain).
    pub job_input: String,
}

/// Seals `image` for job `job_id` (`<payer>/<client id>`) to the BGW indices `recipients` with
/// the key authority's public parameters and encryption key.
pub fn seal_job_input(
    job_id: &str,
    image: &[u8],
    params: &[u8],
    encryption_key: &[u8],
    recipients: &[u32],
) -> Result<SealedJobInput, String> {
    if image.is_empty() {
        return Err("the image is empty".into());
    }
    if !job_id.contains('/') {
        return Err(format!(
            "job id {job_id:?} is not the escrow's <payer>/<client id>"
        ));
    }
    let pp = BgwPublicParams::from_bytes(params).map_err(|e| format!("public parameters: {e}"))?;
    let ek =
        BgwEncryptionKey::from_bytes(encryption_key).map_err(|e| format!("encryption key: {e}"))?;
    let set = crate::logic::recipient_set(recipients)?;
    if set.is_empty() {
        return Err("no node is allowed to run the model: nothing to seal to".into());
    }
    if let Some(i) = recipients.iter().find(|&&i| i == 0 || i > pp.n()) {
        return Err(format!(
            "recipient {i} is outside the parameters' 1..={}",
            pp.n()
        ));
    }
    let sealed = seal_input(job_id, image, &set, &ek, &pp).map_err(|e| e.to_string())?;
    let reference = SealedInputRef::of(&sealed, image);
    let job_input = String::from_utf8(reference.to_job_input()).expect("JSON is UTF-8");
    Ok(SealedJobInput {
        cid: reference.cid,
        sealed,
        job_input,
    })
}

/// Opens the explanation of job `job_id` (the relayer's sealed file) with the key only the
/// patient (who holds `image`) and the nodes that opened it derive, and accepts it only if it is
/// the result attested on chain: its hash recomputes from its fields and the saliency map, equals
/// `attested_hash_hex`, names this job and this image, and carries a map. Returns the result.
pub fn open_job_explanation(
    job_id: &str,
    image: &[u8],
    sealed: &[u8],
    attested_hash_hex: &str,
) -> Result<InferenceResult, String> {
    let key = explanation_key(job_id, image);
    let doc = open_explanation(&key, job_id, sealed)
        .map_err(|_| "the explanation does not open with this job's image: it is not for this job or this image, or it was altered".to_string())?;
    let result: InferenceResult = serde_json::from_slice(&doc)
        .map_err(|e| format!("the explanation is not a result: {e}"))?;
    if !result.verify() {
        return Err("the explanation's result does not match its own hash or Tscore".into());
    }
    if !result
        .result_sha256
        .eq_ignore_ascii_case(attested_hash_hex.trim())
    {
        return Err(format!(
            "the explanation is result {}, the attestation on chain is {}",
            result.result_sha256, attested_hash_hex
        ));
    }
    if result.job_id != job_id || result.input_sha256 != hex::encode(Sha256::digest(image)) {
        return Err("the explanation is of another job or another image".into());
    }
    if result.saliency.is_none() {
        return Err("the result carries no saliency map".into());
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bithive_content_store::input::{open_input, seal_explanation};
    use bithive_dgkbe::{RoaringBitmap, ServerSecret};
    use bithive_inference_result::{
        ResultCore, Saliency, TrustBreakdown, TscoreInputs, TscoreWeights,
    };
    use cosmwasm_std::Decimal;
    use rand_chacha::rand_core::SeedableRng;

    fn authority() -> ServerSecret {
        let all: RoaringBitmap = (1..=4).collect();
        ServerSecret::setup(4, &all, 0, &mut rand_chacha::ChaCha20Rng::seed_from_u64(3)).unwrap()
    }

    fn result(job_id: &str, image: &[u8]) -> InferenceResult {
        let weights = TscoreWeights {
            alpha: Decimal::percent(40),
            beta: Decimal::percent(30),
            gamma: Decimal::percent(30),
        };
        let inputs = TscoreInputs {
            d_quality: Decimal::one(),
            m_confidence: Decimal::percent(90),
            h_consensus: Decimal::zero(),
            u_factor: Decimal::percent(20),
            e_evidence: Decimal::percent(81),
        };
        let tscore = bithive_formulas::tscore::tscore(&weights, &inputs).unwrap();
        let saliency = Saliency {
            grid: 2,
            label_index: 1,
            cells: vec![0, 255, 3, 9],
            max_drop_ppm: 400_000,
        };
        let model = [7u8; 32];
        let input: [u8; 32] = Sha256::digest(image).into();
        let probabilities = [0.1f32, 0.9];
        let hash = ResultCore {
            job_id,
            model_sha256: &model,
            input_sha256: &input,
            label_index: 1,
            label: "PNEUMONIA",
            probabilities: &probabilities,
            tscore,
            saliency_sha256: Some(saliency.sha256()),
        }
        .sha256();
        InferenceResult {
            job_id: job_id.into(),
            model: "chest".into(),
            model_version: "1".into(),
            model_sha256: hex::encode(model),
            input_sha256: hex::encode(input),
            label: "PNEUMONIA".into(),
            label_index: 1,
            probabilities: probabilities.to_vec(),
            tscore,
            trust: TrustBreakdown {
                weights,
                inputs,
                tscore,
            },
            saliency: Some(saliency),
            domain_similarity: None,
            execution_provider: "cpu".into(),
            batch_size: 1,
            result_sha256: hex::encode(hash),
        }
    }

    #[test]
    fn a_sealed_image_opens_for_the_allowed_node_and_its_job() {
        let a = authority();
        let (pp, ek) = (a.bgw_public_params(), a.bgw_encryption_key());
        let image: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        let job = "bithive1patient/xray";
        let s = seal_job_input(job, &image, &pp.to_bytes(), &ek.to_bytes(), &[1, 2]).unwrap();
        let reference = SealedInputRef::from_job_input(s.job_input.as_bytes()).unwrap();
        assert_eq!(reference.cid, s.cid);
        assert_eq!(
            reference.cid,
            bithive_content_id::cid_of(&s.sealed).to_string()
        );
        let mut key = a.bgw_extract(2).unwrap();
        let opened = open_input(&s.sealed, job, &reference, &mut key, &pp).unwrap();
        assert_eq!(*opened, image);
        let mut outsider = a.bgw_extract(3).unwrap();
        assert!(open_input(&s.sealed, job, &reference, &mut outsider, &pp).is_err());
        // Bad input is refused with a reason, never sealed to nobody or to a phantom index.
        for (recipients, why) in [
            (&[][..], "no node"),
            (&[1, 1][..], "duplicate"),
            (&[9][..], "outside"),
        ] {
            let e = seal_job_input(job, &image, &pp.to_bytes(), &ek.to_bytes(), recipients)
                .unwrap_err();
            assert!(e.contains(why), "{e}");
        }
        assert!(seal_job_input(job, &[], &pp.to_bytes(), &ek.to_bytes(), &[1]).is_err());
        assert!(seal_job_input("no-payer", &image, &pp.to_bytes(), &ek.to_bytes(), &[1]).is_err());
        assert!(seal_job_input(job, &image, b"junk", &ek.to_bytes(), &[1]).is_err());
    }

    #[test]
    fn only_the_attested_explanation_of_this_image_is_accepted() {
        let image = b"an x-ray".to_vec();
        let job = "bithive1patient/xray";
        let r = result(job, &image);
        assert!(r.verify());
        let seal = |r: &InferenceResult, job: &str, image: &[u8]| {
            seal_explanation(
                &explanation_key(job, image),
                job,
                &serde_json::to_vec(r).unwrap(),
            )
            .unwrap()
        };
        let sealed = seal(&r, job, &image);
        let got =
            open_job_explanation(job, &image, &sealed, &r.result_sha256.to_uppercase()).unwrap();
        assert_eq!(got, r);
        // Attacks: another image's key, another job's file, an altered map, another attested
        // hash, a map-less result, a file cut short.
        assert!(
            open_job_explanation(job, b"another x-ray", &sealed, &r.result_sha256)
                .unwrap_err()
                .contains("does not open")
        );
        assert!(
            open_job_explanation("bithive1other/xray", &image, &sealed, &r.result_sha256).is_err()
        );
        let mut altered = r.clone();
        altered.saliency.as_mut().unwrap().cells[0] = 200;
        assert!(
            open_job_explanation(job, &image, &seal(&altered, job, &image), &r.result_sha256)
                .unwrap_err()
                .contains("own hash")
        );
        assert!(open_job_explanation(job, &image, &sealed, &"00".repeat(32))
            .unwrap_err()
            .contains("on chain"));
        let mut bare = result(job, &image);
        bare.saliency = None;
        bare.result_sha256 = bare.recompute_hash().unwrap();
        assert!(
            open_job_explanation(job, &image, &seal(&bare, job, &image), &bare.result_sha256)
                .unwrap_err()
                .contains("no saliency")
        );
        assert!(open_job_explanation(job, &image, &sealed[..30], &r.result_sha256).is_err());
    }
}
