//! `bithive blinding serve` over a real socket: a client's OPRF round gives exactly H(x)^a under
//! the key in the secret file (the key users enrolled with), only for calls signed by admitted
//! accounts within their quota and never for the matching node's operator (the curious node
//! that would blind the whole vocabulary), bad input is refused with a JSON reason, each client
//! address is held to its rate, and pages may call it (CORS).
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use bithive_cli::blinding::{
    load_service, read_admissions, serve, write_admissions, BlindingConfig,
};
use bithive_matching::admission::{sign_request, Admissions, Quotas, Role};
use bithive_matching::group::{Blinded, OprfBatch};
use bithive_matching::service::{OprfPoints, ServiceError, MAX_OPRF_POINTS};
use rand_chacha::rand_core::SeedableRng;

const CHAIN: &str = "bithive-blinding-test-1";

/// A chain account calling the service, signing each call as its wallet would.
struct Account {
    key: k256::ecdsa::SigningKey,
    nonce: u64,
}

impl Account {
    fn new(i: u8) -> Self {
        Self {
            key: k256::ecdsa::SigningKey::from_slice(&[i; 32]).unwrap(),
            nonce: 0,
        }
    }

    fn address(&self) -> String {
        sign_request(&self.key, "bithive", CHAIN, 0, vec![])
            .unwrap()
            .auth
            .unwrap()
            .signer
    }

    /// A signed `/v1/oprf` body for `points`.
    fn body(&mut self, points: &[Blinded]) -> String {
        self.nonce += 1;
        let req = sign_request(
            &self.key,
            "bithive",
            CHAIN,
            self.nonce,
            points.iter().map(hex::encode).collect(),
        )
        .unwrap();
        serde_json::to_string(&req).unwrap()
    }
}

/// The test's config: its chain, and admissions and ledger files in `dir`.
fn config(dir: &Path) -> BlindingConfig {
    let mut c = BlindingConfig {
        admissions: dir.join("admissions.json"),
        ledger: dir.join("ledger.json"),
        ..Default::default()
    };
    c.policy.chain_id = CHAIN.into();
    c
}

/// Admits `account` for `role` in the config's admissions file.
fn admit(config: &BlindingConfig, role: Role, account: &Account) {
    let mut a = read_admissions(&config.admissions).unwrap();
    a.admit(role, &account.address()).unwrap();
    write_admissions(&config.admissions, &a).unwrap();
}

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

/// An unsigned body.
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
    let config = config(dir.path());
    let mut user = Account::new(1);
    admit(&config, Role::User, &user);
    let (addr, stop) = start(config.clone(), &secret).await;
    // The file was created 0600 and the server uses its key.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let key = load_service(&secret, false).unwrap();

    let tokens = ["cond=C03", "age=40s", "age=50s", "consent=research"];
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let (batch, wire) = OprfBatch::new(&tokens, &mut rng);
    let (status, head, text) = http(addr, "POST", "/v1/oprf", &user.body(&wire)).await;
    assert_eq!(status, 200, "{text}");
    assert!(head.contains("access-control-allow-origin: *"), "{head}");
    // The charge is on disk before the answer, private to the service.
    let ledger = std::fs::read_to_string(&config.ledger).unwrap();
    assert!(ledger.contains(&user.address()), "{ledger}");
    let mode = std::fs::metadata(&config.ledger)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
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
    let mut config = config(dir.path());
    config.policy.quotas.researcher_points = 10_000;
    let mut researcher = Account::new(2);
    admit(&config, Role::Researcher, &researcher);
    let (addr, stop) = start(config, &dir.path().join("blinding-secret.json")).await;
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
        // 32 bytes that are no Ristretto255 encoding (checked with the key, after the charge).
        (
            researcher.body(&[valid, [0xff; 32]]),
            400,
            "not a valid Ristretto255",
        ),
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
    let mut config = BlindingConfig {
        points_per_sec: 1.0,
        burst: 300.0,
        ..config(dir.path())
    };
    config.policy.quotas.researcher_points = 10_000;
    let mut researcher = Account::new(3);
    admit(&config, Role::Researcher, &researcher);
    let (addr, stop) = start(config, &dir.path().join("blinding-secret.json")).await;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    let tokens: Vec<String> = (0..200).map(|i| format!("t={i}")).collect();
    let (_, wire) = OprfBatch::new(&tokens, &mut rng);
    let (status, _, text) = http(addr, "POST", "/v1/oprf", &researcher.body(&wire)).await;
    assert_eq!(status, 200, "{text}");
    // 100 points left at most: 200 more must wait about 100 s at one point a second.
    let (status, head, text) = http(addr, "POST", "/v1/oprf", &researcher.body(&wire)).await;
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
    let (status, _, text) = http(addr, "POST", "/v1/oprf", &researcher.body(&wire[..50])).await;
    assert_eq!(status, 200, "{text}");
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_may_call_it_and_an_operator_may_name_the_one_origin() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("blinding-secret.json");
    let (addr, stop) = start(config(dir.path()), &secret).await;
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
        ..config(dir.path())
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
    let ok = config(dir.path());
    let mut no_chain = ok.clone();
    no_chain.policy.chain_id.clear();
    let mut no_quota = ok.clone();
    no_quota.policy.quotas.user_points = 0;
    for bad in [
        BlindingConfig {
            burst: 10.0,
            ..ok.clone()
        },
        BlindingConfig {
            points_per_sec: 0.0,
            ..ok.clone()
        },
        BlindingConfig {
            max_in_flight: 0,
            ..ok.clone()
        },
        BlindingConfig {
            allow_origin: Some("a\nb".into()),
            ..ok.clone()
        },
        no_chain,
        no_quota,
    ] {
        let service = Arc::new(load_service(&dir.path().join("other.json"), true).unwrap());
        assert!(bithive_cli::blinding::router(&bad, service).is_err());
    }
}

/// The curious matching node: it holds every user's H(x)*a and would read every profile with
/// the OPRF of the public vocabulary (about 800 tokens). Unsigned, forged, unadmitted, replayed
/// and denied calls get nothing; an admitted account gets its quota per epoch and not one point
/// more, also after a restart; admissions change without one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_curious_node_cannot_blind_the_vocabulary() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("blinding-secret.json");
    let config = config(dir.path());
    let quota = Quotas::default().user_points as usize;
    let mut operator = Account::new(10);
    let mut sybil = Account::new(11);
    let mut stranger = Account::new(12);
    // The operator enrolled itself as a user, then was denied (as the demo denies the node's
    // accounts); a denial wins over any admission and cannot be undone by admitting again.
    admit(&config, Role::User, &operator);
    admit(&config, Role::User, &sybil);
    let mut a = read_admissions(&config.admissions).unwrap();
    a.deny(&operator.address());
    assert!(a.admit(Role::Researcher, &operator.address()).is_err());
    write_admissions(&config.admissions, &a).unwrap();
    let (addr, stop) = start(config.clone(), &secret).await;

    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
    let vocabulary: Vec<String> = (0..800).map(|i| format!("cond=C{i:03}")).collect();
    let (_, wire) = OprfBatch::new(&vocabulary, &mut rng);
    let call = |body: String| async move { http(addr, "POST", "/v1/oprf", &body).await };

    let (status, _, text) = call(body(&wire[..16])).await;
    assert_eq!(status, 401, "{text}");
    assert!(reason(&text).contains("unsigned"), "{text}");
    let (status, _, text) = call(operator.body(&wire[..16])).await;
    assert_eq!(status, 403, "{text}");
    assert!(reason(&text).contains("may not use"), "{text}");
    let (status, _, text) = call(stranger.body(&wire[..16])).await;
    assert_eq!(status, 403, "{text}");
    assert!(reason(&text).contains("not admitted"), "{text}");
    // The operator's signature under the sybil's address.
    let mut forged: serde_json::Value = serde_json::from_str(&operator.body(&wire[..16])).unwrap();
    forged["auth"]["signer"] = sybil.address().into();
    let (status, _, text) = call(forged.to_string()).await;
    assert_eq!(status, 401, "{text}");

    // The sybil user's budget (a profile, twice), then nothing more: a user's budget is not
    // renewed, so one account cannot cover the vocabulary over many epochs.
    let first = sybil.body(&wire[..quota]);
    let (status, _, text) = call(first.clone()).await;
    assert_eq!(status, 200, "{text}");
    let (status, _, text) = call(first).await;
    assert_eq!(status, 409, "replayed: {text}");
    let (status, _, text) = call(sybil.body(&wire[quota..quota + 1])).await;
    assert_eq!(status, 403, "{text}");
    assert!(reason(&text).contains("once per service key"), "{text}");
    assert_metrics(addr, "ok", 1, quota as u32).await;
    let _ = stop.send(());

    // A restart renews nothing.
    let (addr, stop) = start(config.clone(), &secret).await;
    let (status, _, text) = http(addr, "POST", "/v1/oprf", &sybil.body(&wire[..1])).await;
    assert_eq!(status, 403, "after a restart: {text}");
    // An admission while it runs takes effect at the next call; a researcher's quota is per
    // epoch, told with Retry-After.
    admit(&config, Role::Researcher, &stranger);
    let researcher_quota = Quotas::default().researcher_points as usize;
    let (status, _, text) = http(
        addr,
        "POST",
        "/v1/oprf",
        &stranger.body(&wire[..researcher_quota]),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let (status, head, text) = http(addr, "POST", "/v1/oprf", &stranger.body(&wire[..1])).await;
    assert_eq!(status, 429, "{text}");
    assert!(reason(&text).contains("quota renews in"), "{text}");
    assert!(head.contains("retry-after: "), "{head}");
    let _ = stop.send(());
    // What a dictionary of the vocabulary would take: this many admitted user accounts.
    let accounts = vocabulary.len().div_ceil(quota);
    assert!(accounts >= 25, "{accounts}");
    let _: Admissions = read_admissions(&config.admissions).unwrap();
}

#[test]
fn a_signer_address_is_the_chain_account_of_its_key() {
    use bithive_chain_client::cosmrs::crypto::secp256k1::SigningKey;
    let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
    let expected = key.public_key().account_id("bithive").unwrap().to_string();
    assert_eq!(Account::new(7).address(), expected);
}

/// Issue #43: 1,000 idle connections were held 40 s, and under a 128-descriptor limit 200 idle
/// sockets blocked `/health` and `/v1/oprf` for everyone. Now the open connections are capped
/// (one more is refused at once with the reason, never left hanging) and a silent socket is
/// closed at the header timeout, after which clients are served again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_are_capped_and_closed() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.connections = bithive_http_serve::Limits {
        max_connections: 4,
        max_per_address: None,
        header_timeout: Some(std::time::Duration::from_millis(300)),
        idle_timeout: Some(std::time::Duration::from_secs(1)),
    };
    let (addr, stop) = start(config, &dir.path().join("blinding-secret.json")).await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let (status, _, text) = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        http(addr, "GET", "/health", ""),
    )
    .await
    .expect("a client over the cap was left waiting");
    assert_eq!(status, 503, "{text}");
    assert!(
        reason(&text).contains("too many open connections"),
        "{text}"
    );
    // The silent ones are closed; then the service answers again.
    use tokio::io::AsyncReadExt;
    for s in &mut idle {
        let mut b = [0u8; 8];
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut b))
            .await
            .expect("a silent socket was never closed");
    }
    let (status, _, _) = http(addr, "GET", "/health", "").await;
    assert_eq!(status, 200);
    let _ = stop.send(());
}

/// Issue #43: the connection cap alone let one address take every slot. Now one address holds
/// at most `max_per_address`; one more from it is refused at once with the reason, while
/// another address is still served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.connections = bithive_http_serve::Limits {
        max_connections: 8,
        max_per_address: Some(2),
        header_timeout: Some(std::time::Duration::from_secs(5)),
        idle_timeout: Some(std::time::Duration::from_secs(5)),
    };
    let (addr, stop) = start(config, &dir.path().join("blinding-secret.json")).await;
    // GET /health from a socket bound to `from` (all of 127/8 is loopback on Linux).
    let health_from = |from: [u8; 4]| async move {
        let s = tokio::net::TcpSocket::new_v4().unwrap();
        s.bind(std::net::SocketAddr::from((from, 0))).unwrap();
        let mut c = s.connect(addr).await.unwrap();
        c.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            c.read_to_string(&mut out),
        )
        .await
        .expect("an answer, not a wait")
        .unwrap();
        out
    };
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let refused = health_from([127, 0, 0, 1]).await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("too many open connections"), "{refused}");
    let served = health_from([127, 0, 0, 2]).await;
    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
    // Its own connections closed, the first address is served again.
    drop(held);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let again = health_from([127, 0, 0, 1]).await;
    assert!(again.starts_with("HTTP/1.1 200"), "{again}");
    let _ = stop.send(());
}
