//! `bithive web` over a real socket: the app's files with hardening headers, deployment.json,
//! `/rpc` forwarded to the configured node only, and no file outside the dist directory.
use std::net::SocketAddr;

use axum::routing::post;
use axum::Router;
use bithive_cli::webapp_server::{serve, WebConfig};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;
use common::http;

/// Serves `config` on a free port; returns its address, the stop switch and the server task.
async fn start(
    config: WebConfig,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        serve(
            &config,
            |a| {
                let _ = tx.send(a);
            },
            async move {
                let _ = stop_rx.await;
            },
        )
        .await
    });
    (rx.await.unwrap(), stop_tx, server)
}

/// `bithive web` on a free port for `rpc`, with [`minimal_app`] and `dir`'s deployment.json and
/// no optional service: a test adds the one it checks.
fn minimal_config(dir: &std::path::Path, rpc: String) -> WebConfig {
    WebConfig {
        listen: ([127, 0, 0, 1], 0).into(),
        dist: minimal_app(dir),
        deployment: dir.join("deployment.json"),
        rpc,
        rpc_ca: None,
        research: None,
        rpc_timeout: std::time::Duration::from_secs(10),
        imaging: None,
        records: None,
        faucet: None,
    }
}

/// `dir/dist` with a one-byte index.html: an app to serve where its content does not matter.
fn minimal_app(dir: &std::path::Path) -> std::path::PathBuf {
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "x").unwrap();
    dist
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_app_and_forwards_rpc_on_one_origin() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(
        dist.join("index.html"),
        "<!doctype html><title>BitHive</title>",
    )
    .unwrap();
    std::fs::write(dist.join("assets/index-abc.js"), "console.log(1)").unwrap();
    // Secrets beside the app that no request may read.
    std::fs::write(dir.path().join("keyring.json"), "SECRET").unwrap();
    let deployment = dir.path().join("deployment.json");
    std::fs::write(&deployment, r#"{"chain_id":"web-test-1"}"#).unwrap();

    // A stand-in node: echoes the JSON-RPC body it got at its path.
    let node = Router::new().route(
        "/base",
        post(|body: String| async move { format!("node got {body}") }),
    );
    let node_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let node_addr = node_listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(node_listener, node).await.unwrap() });

    let config = WebConfig {
        listen: ([127, 0, 0, 1], 0).into(),
        dist,
        deployment,
        rpc: format!("http://{node_addr}/base"),
        rpc_ca: None,
        research: None,
        rpc_timeout: bithive_cli::webapp_server::UPSTREAM_TIMEOUT,
        imaging: None,
        records: None,
        faucet: None,
    };
    let (addr, stop_tx, server) = start(config).await;

    let (status, head, body) = http(addr, "GET", "/", "").await;
    assert_eq!(status, 200);
    assert!(body.contains("<title>BitHive</title>"));
    assert!(head.contains("content-type: text/html"));
    assert!(head.contains("x-frame-options: deny"), "{head}");
    assert!(head.contains("content-security-policy: default-src 'self'"));
    assert!(head.contains("x-content-type-options: nosniff"));

    let (status, head, _) = http(addr, "GET", "/assets/index-abc.js", "").await;
    assert_eq!(status, 200);
    assert!(head.contains("text/javascript") && head.contains("immutable"));

    let (status, _, body) = http(addr, "GET", "/deployment.json", "").await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"chain_id":"web-test-1"}"#)
    );

    // The wallet chain info beside deployment.json: absent is a 404, written is served as is.
    let (status, _, _) = http(addr, "GET", "/keplr-chain-info.json", "").await;
    assert_eq!(status, 404);
    let info = r#"{"chainId":"web-test-1"}"#;
    std::fs::write(dir.path().join("keplr-chain-info.json"), info).unwrap();
    let (status, head, body) = http(addr, "GET", "/keplr-chain-info.json", "").await;
    assert_eq!((status, body.as_str()), (200, info));
    assert!(head.contains("application/json") && head.contains("no-store"));

    let rpc = r#"{"jsonrpc":"2.0","id":1,"method":"status"}"#;
    let (status, _, body) = http(addr, "POST", "/rpc", rpc).await;
    assert_eq!(status, 200);
    assert_eq!(body, format!("node got {rpc}"));

    // Attack: read files beside the app through the static route.
    for evil in [
        "/../keyring.json",
        "/assets/../../keyring.json",
        "/%2e%2e/keyring.json",
        "/.%2e/keyring.json",
        "//keyring.json",
    ] {
        let (status, _, body) = http(addr, "GET", evil, "").await;
        assert_eq!(status, 404, "{evil}");
        assert!(!body.contains("SECRET"), "{evil}");
    }
    let (status, _, _) = http(addr, "DELETE", "/rpc", "").await;
    assert_eq!(status, 405);
    let (status, _, _) = http(addr, "POST", "/index.html", "").await;
    assert_eq!(status, 405);

    stop_tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn refuses_to_start_without_a_built_app_or_with_another_scheme() {
    let dir = tempfile::tempdir().unwrap();
    let config = WebConfig {
        listen: ([127, 0, 0, 1], 0).into(),
        dist: dir.path().join("missing"),
        deployment: dir.path().join("deployment.json"),
        rpc: "http://127.0.0.1:1".into(),
        rpc_ca: None,
        research: None,
        rpc_timeout: bithive_cli::webapp_server::UPSTREAM_TIMEOUT,
        imaging: None,
        records: None,
        faucet: None,
    };
    let err = serve(&config, |_| {}, async {}).await.unwrap_err();
    assert!(err.to_string().contains("build-webapp.sh"), "{err}");
    let config = WebConfig {
        dist: minimal_app(dir.path()),
        rpc: "ftp://node.example:21".into(),
        ..config
    };
    let err = serve(&config, |_| {}, async {}).await.unwrap_err();
    assert!(
        err.to_string().contains("only http:// or https://"),
        "{err}"
    );
}

/// A node behind TLS whose certificate (for `localhost`) comes from its own CA: it answers each
/// request with its request line and body. Returns its port and the CA's PEM.
async fn tls_node() -> (u16, String) {
    use tokio_rustls::rustls;
    let ca = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ca.key_pair.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![ca.cert.der().clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                // Head, then as many body bytes as Content-Length says.
                let body_len = loop {
                    let Ok(n) = tls.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&got).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let len = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length: ")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if body.len() >= len {
                            break (
                                head.lines().next().unwrap_or("").to_string(),
                                body.to_string(),
                            );
                        }
                    }
                };
                let answer = format!("tls node got {} {}", body_len.0, body_len.1);
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, ca.cert.pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_rpc_to_an_https_node_whose_certificate_it_trusts_only() {
    let dir = tempfile::tempdir().unwrap();
    let dist = minimal_app(dir.path());
    let (port, ca_pem) = tls_node().await;
    let ca = dir.path().join("node-ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let rpc = r#"{"jsonrpc":"2.0","id":1,"method":"status"}"#;

    for (trusted, expect) in [(Some(ca), 200u16), (None, 502)] {
        let config = WebConfig {
            listen: ([127, 0, 0, 1], 0).into(),
            dist: dist.clone(),
            deployment: dir.path().join("deployment.json"),
            rpc: format!("https://localhost:{port}/base"),
            rpc_ca: trusted.clone(),
            research: None,
            rpc_timeout: bithive_cli::webapp_server::UPSTREAM_TIMEOUT,
            imaging: None,
            records: None,
            faucet: None,
        };
        let (addr, stop_tx, server) = start(config).await;
        let (status, _, body) = http(addr, "POST", "/rpc", rpc).await;
        // Without the node's CA its certificate is not trusted: nothing is forwarded.
        assert_eq!(status, expect, "trusted {trusted:?}: {body}");
        if expect == 200 {
            assert_eq!(body, format!("tls node got POST /base HTTP/1.1 {rpc}"));
        } else {
            assert!(!body.contains("tls node got"), "{body}");
        }
        stop_tx.send(()).unwrap();
        server.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_research_service_is_served_and_its_blinding_origin_alone_is_allowed_to_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let dist = minimal_app(dir.path());
    let base = |research: Option<std::path::PathBuf>| WebConfig {
        listen: ([127, 0, 0, 1], 0).into(),
        dist: dist.clone(),
        deployment: dir.path().join("deployment.json"),
        rpc: "http://127.0.0.1:9".into(),
        rpc_ca: None,
        research,
        rpc_timeout: bithive_cli::webapp_server::UPSTREAM_TIMEOUT,
        imaging: None,
        records: None,
        faucet: None,
    };
    let service = bithive_matching::service::ResearchService {
        chain_id: "bithive-1".into(),
        blinding_url: "http://127.0.0.1:4567".into(),
        matching_node: bithive_matching::service::MatchingNodeContact {
            address: "bithive1node".into(),
            noise_pubkey: hex::encode([7u8; 32]),
        },
        max_tokens: 256,
        fields: bithive_matching::sim::fields(),
    };
    let file = dir.path().join("research.json");
    std::fs::write(&file, serde_json::to_vec(&service).unwrap()).unwrap();

    let (addr, stop_tx, server) = start(base(Some(file.clone()))).await;
    let (status, head, body) = http(addr, "GET", "/research.json", "").await;
    assert_eq!(status, 200);
    let served: bithive_matching::service::ResearchService = serde_json::from_str(&body).unwrap();
    assert_eq!(served, service);
    for (_, path) in [("page", "/"), ("descriptor", "/research.json")] {
        let (_, head, _) = http(addr, "GET", path, "").await;
        assert!(
            head.contains("connect-src 'self' http://127.0.0.1:4567;"),
            "{path}: {head}"
        );
    }
    assert!(head.contains("x-frame-options: deny"), "{head}");
    let _ = stop_tx.send(());
    server.await.unwrap().unwrap();

    // Without one: 404, and the page may connect to its own origin only.
    let (addr, stop_tx, server) = start(base(None)).await;
    let (status, head, _) = http(addr, "GET", "/research.json", "").await;
    assert_eq!(status, 404);
    assert!(head.contains("connect-src 'self';"), "{head}");
    let _ = stop_tx.send(());
    server.await.unwrap().unwrap();

    // A descriptor whose blinding URL could smuggle policy, or that is no descriptor, is
    // refused at start.
    for bad in [
        serde_json::to_string(&bithive_matching::service::ResearchService {
            blinding_url: "http://x; script-src *".into(),
            ..service.clone()
        })
        .unwrap(),
        "{}".to_string(),
    ] {
        std::fs::write(&file, bad).unwrap();
        let e = bithive_cli::webapp_server::router(&base(Some(file.clone())))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("research service file"), "{e}");
    }
}

/// Issue #43: a node that accepts the connection and never answers held the page's call 40 s
/// with no answer at all; idle clients held `bithive web`'s sockets with no timeout. Now the
/// page gets a 504 at the RPC timeout, and a silent client is closed at the header timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_node_gets_the_page_a_504_and_silent_clients_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let dist = minimal_app(dir.path());
    // A node that accepts and never says anything.
    let node = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let node_addr = node.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = node.accept().await {
            held.push(s);
        }
    });
    let config = WebConfig {
        listen: ([127, 0, 0, 1], 0).into(),
        dist,
        deployment: dir.path().join("deployment.json"),
        rpc: format!("http://{node_addr}"),
        rpc_ca: None,
        research: None,
        rpc_timeout: std::time::Duration::from_millis(500),
        imaging: None,
        records: None,
        faucet: None,
    };
    let (addr, stop_tx, server) = start(config).await;
    let started = std::time::Instant::now();
    let (status, _, body) = http(
        addr,
        "POST",
        "/rpc",
        r#"{"jsonrpc":"2.0","id":1,"method":"status"}"#,
    )
    .await;
    assert_eq!(status, 504, "{body}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    // A client that opens a connection and says nothing is closed by the server.
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut b = [0u8; 16];
    let closed = tokio::time::timeout(std::time::Duration::from_secs(30), silent.read(&mut b))
        .await
        .expect("a silent client was never closed");
    assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
    stop_tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}

/// `method path` with a binary body; status and body.
async fn http_bytes(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let (status, body) = http_raw(addr, method, path, body).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_imaging_routes_serve_keys_refuse_what_no_paid_job_names_and_pass_explanations() {
    use bithive_content_store::{ContentStore, LocalStore, LocalStoreConfig, NodeStore, StoreKey};
    use bithive_dgkbe::{RoaringBitmap, ServerSecret};
    use rand_chacha::rand_core::SeedableRng;

    let dir = tempfile::tempdir().unwrap();
    // The model key authority's public files.
    let keys = dir.path().join("model-keys");
    std::fs::create_dir_all(&keys).unwrap();
    let all: RoaringBitmap = (1..=4).collect();
    let secret =
        ServerSecret::setup(4, &all, 0, &mut rand_chacha::ChaCha20Rng::seed_from_u64(5)).unwrap();
    let (pp, ek) = (secret.bgw_public_params(), secret.bgw_encryption_key());
    std::fs::write(keys.join("params.bin"), pp.to_bytes()).unwrap();
    std::fs::write(keys.join("encryption-key.bin"), ek.to_bytes()).unwrap();
    std::fs::write(
        keys.join("roster.json"),
        r#"[["bithive1node",1],["bithive1attestor",2]]"#,
    )
    .unwrap();
    let store = LocalStore::open(LocalStoreConfig::new(
        dir.path().join("store"),
        StoreKey::from_bytes([7; 32]),
    ))
    .unwrap();
    // A stand-in relayer: one explanation.
    let name = "ab".repeat(32);
    let relayer = Router::new().route(
        &format!("/v1/explanations/{name}"),
        axum::routing::get(|| async { r#"{"job":"x","sealed":"AAAA"}"# }),
    );
    let relayer_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relayer_addr = relayer_listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(relayer_listener, relayer).await.unwrap() });

    let config = WebConfig {
        listen: ([127, 0, 0, 1], 0).into(),
        dist: minimal_app(dir.path()),
        deployment: dir.path().join("deployment.json"),
        // No chain answers: a well-formed upload cannot be checked against a job, so it is not
        // stored.
        rpc: "http://127.0.0.1:1".into(),
        rpc_ca: None,
        research: None,
        rpc_timeout: std::time::Duration::from_secs(2),
        imaging: Some(bithive_cli::webapp_server::ImagingConfig {
            sealing_keys: keys.clone(),
            store: NodeStore::Local(store.clone()),
            relayer: format!("http://{relayer_addr}"),
            max_input_bytes: 100_000,
        }),
        records: None,
        faucet: None,
    };
    std::fs::write(&config.deployment, br#"{"chain_id":"web-test-1"}"#).unwrap();
    let (addr, stop, server) = start(config.clone()).await;

    let (status, _, body) = common::http(addr, "GET", "/sealing.json", "").await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    assert_eq!(
        b64.decode(v["params"].as_str().unwrap()).unwrap(),
        pp.to_bytes()
    );
    assert_eq!(v["roster"][1], serde_json::json!(["bithive1attestor", 2]));
    assert_eq!(v["max_input_bytes"], 100_000);

    // Attacks on the store: a file that is not a sealed input, a sealed input of another job,
    // a job id that is not one, a file above the limit, and a well-formed file for a job the
    // chain cannot confirm. None is stored.
    let job = "bithive1patient/xray";
    let image = vec![9u8; 5000];
    let recipients: RoaringBitmap = [1].into_iter().collect();
    let sealed =
        bithive_content_store::input::seal_input(job, &image, &recipients, &ek, &pp).unwrap();
    let post = |job: &str| format!("/v1/inputs?job={}", job.replace('/', "%2F"));
    let (s, b) = http_bytes(addr, "POST", &post(job), &image).await;
    assert_eq!((s, b.contains("not a sealed input")), (400, true), "{b}");
    let (s, b) = http_bytes(addr, "POST", &post("bithive1attacker/xray"), &sealed).await;
    assert_eq!(
        (s, b.contains("sealed for another job")),
        (400, true),
        "{b}"
    );
    let outside: RoaringBitmap = [3].into_iter().collect();
    let sealed_outside =
        bithive_content_store::input::seal_input(job, &image, &outside, &ek, &pp).unwrap();
    let (s, b) = http_bytes(addr, "POST", &post(job), &sealed_outside).await;
    assert_eq!(
        (s, b.contains("which no roster node holds")),
        (400, true),
        "{b}"
    );
    let (s, b) = http_bytes(addr, "POST", &post("no-payer"), &sealed).await;
    assert_eq!(
        (s, b.contains("is not <payer>/<client id>")),
        (400, true),
        "{b}"
    );
    let (s, _) = http_bytes(addr, "POST", &post(job), &vec![0u8; 200_000]).await;
    assert_eq!(s, 413);
    let (s, _) = http_bytes(addr, "POST", &post(job), &sealed).await;
    assert!(s == 502 || s == 503, "{s}");
    let cid = bithive_content_id::cid_of(&sealed);
    assert!(!store.has(&cid).await.unwrap());

    // Explanations: passed through for a job name, nothing else reaches the relayer.
    let (s, _, b) = common::http(addr, "GET", &format!("/v1/explanations/{name}"), "").await;
    assert_eq!((s, b.as_str()), (200, r#"{"job":"x","sealed":"AAAA"}"#));
    let (s, _, _) = common::http(
        addr,
        "GET",
        &format!("/v1/explanations/{}", "cd".repeat(32)),
        "",
    )
    .await;
    assert_eq!(s, 404);
    for bad in ["../metrics", "AB".repeat(32).as_str(), "abc"] {
        let (s, _, _) = common::http(addr, "GET", &format!("/v1/explanations/{bad}"), "").await;
        assert_eq!(s, 404, "{bad}");
    }
    let _ = stop.send(());
    server.await.unwrap().unwrap();

    // Sealing keys that are not the authority's files stop the server at start.
    std::fs::write(keys.join("params.bin"), b"junk").unwrap();
    let err = serve(&config, |_| {}, async {}).await.unwrap_err();
    assert!(err.to_string().contains("imaging service"), "{err}");
}

/// One HTTP/1.1 request with a binary body; returns (status, body bytes).
async fn http_raw(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // The server may answer (and close) before reading a body it refuses.
    let _ = s.write_all(body).await;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let status = std::str::from_utf8(&out[..split])
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    (status, out[split + 4..].to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_records_routes_store_only_the_file_a_record_names() {
    use bithive_content_store::{ContentStore, LocalStore, LocalStoreConfig, NodeStore, StoreKey};
    use bithive_interface::data_vault::{ExecuteMsg as VaultMsg, RecordMsg, RecordType};
    use sha2::{Digest, Sha256};

    let (devnet, gov, d) = common::deployed_devnet("web-records-1").await;
    let dir = common::home_with(&d);
    // What the page uploads: a record sealed under a key this server never sees.
    let (sealed, _key) = bithive_content_store::record::seal_record(br#"{"hba1c": 54}"#).unwrap();
    let mint = |file: &[u8], size: u64| {
        (
            d.contracts.data_vault.clone(),
            VaultMsg::Mint {
                record: RecordMsg {
                    content_id: bithive_content_id::cid_of(file).to_string(),
                    record_type: RecordType::LabPanel,
                    size,
                    ciphertext_sha256: cosmwasm_std::HexBinary::from(
                        Sha256::digest(file).as_slice(),
                    ),
                },
            },
        )
    };
    let token =
        |out: bithive_chain_client::TxOutcome| out.attr("wasm", "token_id").unwrap().to_string();
    let id = token(
        gov.execute_batch(&[mint(&sealed, sealed.len() as u64)])
            .await
            .unwrap(),
    );
    // A record naming a file larger than the server takes.
    let huge = token(
        gov.execute_batch(&[mint(
            b"x",
            bithive_cli::webapp_server::records::MAX_RECORD_FILE + 1,
        )])
        .await
        .unwrap(),
    );

    let store = LocalStore::open(LocalStoreConfig::new(
        dir.path().join("store"),
        StoreKey::from_bytes([5u8; 32]),
    ))
    .unwrap();
    let config = WebConfig {
        records: Some(bithive_cli::webapp_server::RecordsConfig {
            store: NodeStore::Local(store.clone()),
        }),
        ..minimal_config(dir.path(), devnet.rpc_url())
    };
    let (addr, stop, server) = start(config).await;
    let path = format!("/v1/records/{id}");

    // Not sent yet: nothing to give.
    let (status, body) = http_raw(addr, "GET", &path, b"").await;
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    // Refused, with the reason, and nothing stored: not a token id, no such record, a file
    // of another length, the same length altered, a record too large for this server.
    let refusals: [(&str, Vec<u8>, u16, &str); 5] = [
        (
            "/v1/records/x1",
            sealed.clone(),
            400,
            "not a record's token id",
        ),
        ("/v1/records/999", sealed.clone(), 404, "no record 999"),
        (&path, sealed[1..].to_vec(), 400, "bytes; this file is"),
        (
            &path,
            {
                let mut b = sealed.clone();
                b[30] ^= 1;
                b
            },
            400,
            "sha256 differs",
        ),
        (
            &format!("/v1/records/{huge}"),
            b"x".to_vec(),
            413,
            "at most",
        ),
    ];
    for (p, file, want, why) in &refusals {
        let (status, body) = http_raw(addr, "POST", p, file).await;
        let text = String::from_utf8_lossy(&body);
        assert_eq!(status, *want, "{p}: {text}");
        assert!(text.contains(why), "{p}: {text}");
    }
    let cid: bithive_content_store::Cid = bithive_content_id::cid_of(&sealed)
        .to_string()
        .parse()
        .unwrap();
    assert!(!store.has(&cid).await.unwrap());

    // The file the record names: stored (twice is the same), and given back as it was.
    for _ in 0..2 {
        let (status, body) = http_raw(addr, "POST", &path, &sealed).await;
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["cid"], cid.to_string());
    }
    assert!(store.has(&cid).await.unwrap());
    let (status, body) = http_raw(addr, "GET", &path, b"").await;
    assert_eq!(status, 200);
    assert_eq!(body, sealed);

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

/// One bodiless request with `content_type`; the status and the whole answer, head included,
/// in lower case.
async fn http_whole(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: 0\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_lowercase();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_faucet_serves_each_new_account_once_within_its_hourly_budget() {
    use bithive_chain_client::{query::balance, OperatorKey};
    use bithive_cli::demo::platform::{client, new_mnemonic, PREFIX};
    use bithive_cli::webapp_server::FaucetConfig;

    let (devnet, gov, d) = common::deployed_devnet("web-faucet-1").await;
    let dir = common::home_with(&d);
    let keyring = dir.path().join("keyring.json");
    common::funded_keys(&keyring, &gov, &["faucet"]).await;
    let key = bithive_relayer::keyring::Keyring::new(&keyring)
        .get("faucet", PREFIX)
        .unwrap();
    let faucet = std::sync::Arc::new(client(&devnet.rpc_url(), &d.chain_id, key).unwrap());
    let served = dir.path().join("faucet-served.txt");
    let config = |per_hour: usize| WebConfig {
        faucet: Some(FaucetConfig {
            client: faucet.clone(),
            amount: 1_000_000,
            per_hour,
            served_file: served.clone(),
        }),
        ..minimal_config(dir.path(), devnet.rpc_url())
    };
    let fresh = || {
        OperatorKey::from_mnemonic(&new_mnemonic().unwrap(), PREFIX)
            .unwrap()
            .address()
            .to_string()
    };
    let (a, b, c) = (fresh(), fresh(), fresh());
    let held = |who: String| {
        let rpc = gov.rpc().clone();
        async move { balance(rpc.as_ref(), &who, "ubhive").await.unwrap() }
    };
    let post = |addr: SocketAddr, who: &str| {
        let path = format!("/v1/faucet/{who}");
        async move { http_whole(addr, "POST", &path, "application/json").await }
    };

    let (addr, stop, server) = start(config(2)).await;
    let (status, body) = http_bytes(addr, "GET", "/v1/faucet", b"").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(r#""amount":"1000000""#) && body.contains(r#""denom":"ubhive""#),
        "{body}"
    );
    // Not asked as JSON (what a form or a page of another site could send without a CORS
    // preflight): refused.
    let (status, body) = http_whole(
        addr,
        "POST",
        &format!("/v1/faucet/{a}"),
        "application/x-www-form-urlencoded",
    )
    .await;
    assert_eq!(status, 415, "{body}");
    // Not an account of this chain: refused before anything is read or sent.
    for bad in [
        "nonsense",
        "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu",
        &a.to_uppercase(),
    ] {
        let (status, body) = post(addr, bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body.contains("is not an account of this chain"), "{body}");
    }
    // An account with enough for its fees gets nothing.
    let (status, body) = post(addr, gov.address()).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("enough for its fees"), "{body}");

    // A new account: served once, the coins on chain; never twice.
    let (status, body) = post(addr, &a).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""tx":"#), "{body}");
    assert_eq!(held(a.clone()).await, 1_000_000);
    let (status, body) = post(addr, &a).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("served once already"), "{body}");
    // The hour's budget: two grants, then 429 with Retry-After, nothing sent.
    assert_eq!(post(addr, &b).await.0, 200);
    let (status, whole) = post(addr, &c).await;
    assert_eq!(status, 429, "{whole}");
    assert!(whole.contains("retry-after: "), "{whole}");
    assert!(whole.contains("gave its 2 grants of this hour"), "{whole}");
    assert_eq!(held(c.clone()).await, 0);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();

    // Restarted (a new hour's budget): whom it served is remembered, on disk, 0600.
    let (addr, stop, server) = start(config(10)).await;
    assert_eq!(post(addr, &a).await.0, 409);
    assert_eq!(post(addr, &b).await.0, 409);
    assert_eq!(post(addr, &c).await.0, 200);
    assert_eq!(held(c.clone()).await, 1_000_000);
    let text = std::fs::read_to_string(&served).unwrap();
    let line = |who: &str| format!("{} {who}", d.chain_id);
    assert_eq!(
        text.lines().map(str::to_string).collect::<Vec<_>>(),
        [line(&a), line(&b), line(&c)]
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&served).unwrap().permissions().mode() & 0o777,
        0o600
    );
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    devnet.shutdown().await;
}
