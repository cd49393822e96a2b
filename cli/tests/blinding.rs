//! `bithive blinding serve` over a real socket: a client's OPRF round gives exactly H(x)^a under
//! the key in the secret file (the key users enrolled with), bad input is refused with a JSON
//! reason, each client address is held to its rate, and pages may call it (CORS).
use std::net::SocketAddr;
use std::sync::Arc;

use bithive_cli::blinding::{load_service, serve, BlindingConfig};
use bithive_matching::group::OprfBatch;
use bithive_matching::service::{OprfPoints, ServiceError, MAX_OPRF_POINTS};
use rand_chacha::rand_core::SeedableRng;

mod common;
use common::http;

/// `/metrics` counts `calls` calls with `outcome` and `points` points evaluated in all.
async fn assert_metrics(addr: SocketAddr, outcome: &str, calls: u32, points: u32) {
    let (_, _, text) = http(addr, "GET", "/metrics", "").await;
    assert!(
        text.contains(&format!(
            "bithive_blinding_calls_total{{outcome=\"{outcome}\"}} {calls}"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("bithive_blinding_points_total {points}")),
        "{text}"
    );
}

/// Serves on a free port with `config` and the key in `secret`; returns the address and the
/// stop switch.
async fn start(
    config: BlindingConfig,
    secret: &std::path::Path,
) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let service = Arc::new(load_service(secret, true).unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        serve(
            &BlindingConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                ..config
            },
            service,
            |a| {
                let _ = tx.send(a);
            },
            async move {
                let _ = stop_rx.await;
            },
        )
        .await
        .unwrap()
    });
    (rx.await.unwrap(), stop_tx)
}

fn body(points: &[[u8; 32]]) -> String {
    serde_json::to_string(&OprfPoints::encode(points)).unwrap()
}

fn reason(text: &str) -> String {
    serde_json::from_str::<ServiceError>(text)
        .unwrap_or_else(|e| panic!("not a JSON error ({e}): {text}"))
        .error
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oprf_round_over_http_gives_the_tags_of_the_key_in_the_secret_file() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("blinding-secret.json");
    let (addr, stop) = start(BlindingConfig::default(), &secret).await;
    // The file was created 0600 and the server uses its key.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let key = load_service(&secret, false).unwrap();

    let tokens = ["cond=C03", "age=40s", "age=50s", "consent=research"];
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let (batch, wire) = OprfBatch::new(&tokens, &mut rng);
    let (status, head, text) = http(addr, "POST", "/v1/oprf", &body(&wire)).await;
    assert_eq!(status, 200, "{text}");
    assert!(head.contains("access-control-allow-origin: *"), "{head}");
    let answers = serde_json::from_str::<OprfPoints>(&text)
        .unwrap()
        .decode()
        .unwrap();
    // The service saw H(x)*r only; the client unblinds to H(x)*a, the tag users enrolled with.
    assert_ne!(answers[0], key.evaluate_token(tokens[0]));
    let tags = batch.finish(&answers).unwrap();
    let expected: Vec<_> = tokens.iter().map(|t| key.evaluate_token(t)).collect();
    assert_eq!(tags, expected);

    let (status, _, text) = http(addr, "GET", "/health", "").await;
    assert_eq!((status, text.as_str()), (200, "ok\n"));
    assert_metrics(addr, "ok", 1, 4).await;
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_a_reason_and_nothing_is_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, stop) = start(
        BlindingConfig::default(),
        &dir.path().join("blinding-secret.json"),
    )
    .await;
    let valid = {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
        OprfBatch::new(&["cond=C01"], &mut rng).1[0]
    };
    let cases: Vec<(String, u16, &str)> = vec![
        ("not json".into(), 400, "not an OPRF request"),
        ("{\"points\":[],\"x\":1}".into(), 400, "not an OPRF request"),
        ("{\"points\":[]}".into(), 400, "no points"),
        (
            body(&vec![valid; MAX_OPRF_POINTS + 1]),
            400,
            "at most 256 per call",
        ),
        (
            format!("{{\"points\":[\"{}\",\"abc\"]}}", hex::encode(valid)),
            400,
            "point 1 is not 64 hex",
        ),
        // 32 bytes that are no Ristretto255 encoding.
        (body(&[valid, [0xff; 32]]), 400, "not a valid Ristretto255"),
        ("x".repeat(33_000), 413, "larger than"),
    ];
    for (input, status, why) in cases {
        let (got, _, text) = http(addr, "POST", "/v1/oprf", &input).await;
        assert_eq!(got, status, "{text}");
        assert!(reason(&text).contains(why), "{why}: {text}");
    }
    let (got, _, _) = http(addr, "GET", "/v1/oprf", "").await;
    assert_eq!(got, 405);
    assert_metrics(addr, "bad_input", 6, 0).await;
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_client_address_is_held_to_its_rate_and_told_when_to_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let config = BlindingConfig {
        points_per_sec: 1.0,
        burst: 300.0,
        ..Default::default()
    };
    let (addr, stop) = start(config, &dir.path().join("blinding-secret.json")).await;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    let tokens: Vec<String> = (0..200).map(|i| format!("t={i}")).collect();
    let (_, wire) = OprfBatch::new(&tokens, &mut rng);
    let (status, _, text) = http(addr, "POST", "/v1/oprf", &body(&wire)).await;
    assert_eq!(status, 200, "{text}");
    // 100 points left at most: 200 more must wait about 100 s at one point a second.
    let (status, head, text) = http(addr, "POST", "/v1/oprf", &body(&wire)).await;
    assert_eq!(status, 429, "{text}");
    assert!(reason(&text).contains("try again in"), "{text}");
    let retry: u64 = head
        .lines()
        .find_map(|l| l.strip_prefix("retry-after: "))
        .unwrap_or_else(|| panic!("no retry-after: {head}"))
        .trim()
        .parse()
        .unwrap();
    assert!((95..=101).contains(&retry), "{retry}");
    // A smaller call still fits the bucket.
    let (status, _, text) = http(addr, "POST", "/v1/oprf", &body(&wire[..50])).await;
    assert_eq!(status, 200, "{text}");
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_may_call_it_and_an_operator_may_name_the_one_origin() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("blinding-secret.json");
    let (addr, stop) = start(BlindingConfig::default(), &secret).await;
    let (status, head, _) = http(addr, "OPTIONS", "/v1/oprf", "").await;
    assert_eq!(status, 204);
    for h in [
        "access-control-allow-origin: *",
        "access-control-allow-methods: post",
        "access-control-allow-headers: content-type",
    ] {
        assert!(head.contains(h), "{h}: {head}");
    }
    let _ = stop.send(());

    let config = BlindingConfig {
        allow_origin: Some("https://app.example".into()),
        ..Default::default()
    };
    let (addr, stop) = start(config, &secret).await;
    let (_, head, _) = http(addr, "OPTIONS", "/v1/oprf", "").await;
    assert!(
        head.contains("access-control-allow-origin: https://app.example"),
        "{head}"
    );
    let _ = stop.send(());
}

#[test]
fn the_key_file_must_exist_unless_asked_to_create_it_and_be_private() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("blinding-secret.json");
    assert!(load_service(&secret, false).is_err());
    load_service(&secret, true).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = load_service(&secret, false).err().unwrap().to_string();
    assert!(e.contains("blinding-secret.json"), "{e}");
    // Refused configurations.
    for bad in [
        BlindingConfig {
            burst: 10.0,
            ..Default::default()
        },
        BlindingConfig {
            points_per_sec: 0.0,
            ..Default::default()
        },
        BlindingConfig {
            max_in_flight: 0,
            ..Default::default()
        },
        BlindingConfig {
            allow_origin: Some("a\nb".into()),
            ..Default::default()
        },
    ] {
        let service = Arc::new(load_service(&dir.path().join("other.json"), true).unwrap());
        assert!(bithive_cli::blinding::router(&bad, service).is_err());
    }
}
