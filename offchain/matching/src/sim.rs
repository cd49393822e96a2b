//! Synthetic populations and requests for tests and benches (no real data anywhere).

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::client::{RequestSpec, UserProfile};

pub const DIM: usize = 32;
const CENTROIDS: u64 = 16;

fn pick(rng: &mut ChaCha20Rng, n: u32) -> u32 {
    rng.next_u32() % n
}

fn centroid(c: u64) -> Vec<f32> {
    let mut rng = ChaCha20Rng::seed_from_u64(0xce47 ^ c);
    (0..DIM)
        .map(|_| (rng.next_u32() as f32 / u32::MAX as f32) * 2.0 - 1.0)
        .collect()
}

fn near(c: &[f32], rng: &mut ChaCha20Rng, noise: f32) -> Vec<f32> {
    c.iter()
        .map(|x| x + noise * ((rng.next_u32() as f32 / u32::MAX as f32) * 2.0 - 1.0))
        .collect()
}

/// Users 1..=n with a condition code (of 20), an age band (of 8), a region (of 10), a consent
/// flag, and an embedding near one of 16 centroids.
pub fn profile(user: u32, seed: u64) -> UserProfile {
    let mut rng = ChaCha20Rng::seed_from_u64(seed ^ (u64::from(user) << 20));
    let cond = pick(&mut rng, 20);
    let age = pick(&mut rng, 8);
    let region = pick(&mut rng, 10);
    let consent = pick(&mut rng, 10) < 8;
    let c = centroid(u64::from(pick(&mut rng, CENTROIDS as u32)));
    UserProfile {
        user,
        attributes: vec![
            format!("cond=C{cond:02}"),
            format!("age={}0s", age + 2),
            format!("region=R{region}"),
            format!("consent={}", if consent { "research" } else { "none" }),
        ],
        embedding: near(&c, &mut rng, 0.15),
    }
}

/// The exact attributes of [`profile`] as a research service publishes them: each field's
/// values, the tokens being `name=value`.
/// The synthetic population's codes are labelled with what a researcher would ask for: 20
/// common chronic conditions and 10 regions.
pub fn fields() -> Vec<crate::service::Field> {
    let field = |name: &str, values: Vec<String>, labels: &[&str]| crate::service::Field {
        name: name.into(),
        values,
        labels: labels.iter().map(|l| l.to_string()).collect(),
    };
    vec![
        field(
            "cond",
            (0..20).map(|c| format!("C{c:02}")).collect(),
            &CONDITIONS,
        ),
        field("age", (2..10).map(|a| format!("{a}0s")).collect(), &[]),
        field(
            "region",
            (0..10).map(|r| format!("R{r}")).collect(),
            &REGIONS,
        ),
        field(
            "consent",
            vec!["research".into(), "none".into()],
            &["Consented to research", "No consent"],
        ),
    ]
}

/// The labels of `cond=C00` to `cond=C19`.
const CONDITIONS: [&str; 20] = [
    "Type 2 diabetes",
    "Hypertension",
    "Asthma",
    "COPD",
    "Coronary heart disease",
    "Heart failure",
    "Atrial fibrillation",
    "Chronic kidney disease",
    "Rheumatoid arthritis",
    "Osteoarthritis",
    "Osteoporosis",
    "Depression",
    "Anxiety disorder",
    "Migraine",
    "Epilepsy",
    "Multiple sclerosis",
    "Parkinson's disease",
    "Hypothyroidism",
    "Psoriasis",
    "Crohn's disease",
];

/// The labels of `region=R0` to `region=R9`.
const REGIONS: [&str; 10] = [
    "North",
    "North-east",
    "East",
    "South-east",
    "South",
    "South-west",
    "West",
    "North-west",
    "Central",
    "Islands",
];

pub fn population(n: u32, seed: u64) -> Vec<UserProfile> {
    (1..=n).map(|u| profile(u, seed)).collect()
}

/// Request `id`: one condition, two adjacent age bands, consent required, an embedding near a
/// centroid with a band threshold.
pub fn request(id: u64, seed: u64) -> RequestSpec {
    let mut rng = ChaCha20Rng::seed_from_u64(seed ^ id.rotate_left(32));
    let cond = pick(&mut rng, 20);
    let age = pick(&mut rng, 7);
    let c = centroid(u64::from(pick(&mut rng, CENTROIDS as u32)));
    RequestSpec {
        id,
        clauses: vec![
            vec![format!("cond=C{cond:02}")],
            vec![format!("age={}0s", age + 2), format!("age={}0s", age + 3)],
            vec!["consent=research".to_string()],
        ],
        embedding: Some(near(&c, &mut rng, 0.05)),
        min_bands: 3,
        max_distance: 0.1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_attribute_is_in_the_published_vocabulary() {
        let tokens: std::collections::HashSet<String> = fields()
            .iter()
            .flat_map(|f| f.values.iter().map(move |v| format!("{}={v}", f.name)))
            .collect();
        for p in population(500, 7) {
            for a in &p.attributes {
                assert!(tokens.contains(a), "{a} not published");
            }
        }
        for i in 0..50 {
            for t in request(i, 11).clauses.iter().flatten() {
                assert!(tokens.contains(t), "{t} not published");
            }
        }
    }

    #[test]
    fn coded_values_are_labelled_one_label_each() {
        for f in fields() {
            let coded = f
                .values
                .iter()
                .any(|v| v.len() <= 3 && v.starts_with(['C', 'R']));
            assert!(
                f.labels.is_empty() || f.labels.len() == f.values.len(),
                "{}",
                f.name
            );
            assert!(
                !coded || !f.labels.is_empty(),
                "{}: codes without labels",
                f.name
            );
            let distinct: std::collections::HashSet<_> = f.labels.iter().collect();
            assert_eq!(distinct.len(), f.labels.len(), "{}: a label twice", f.name);
        }
    }
}
