//! `bithive web` over a real socket: the app's files with hardening headers, deployment.json,
//! `/rpc` forwarded to the configured node only, and no file outside the dist directory.
use std::net::SocketAddr;

use axum::routing::post;
use axum::Router;
use bithive_cli::web::{serve, WebConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One HTTP/1.1 request; returns (status, lower-cased head, body).
async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_string())
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
    };
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
    let addr = rx.await.unwrap();

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
    };
    let err = serve(&config, |_| {}, async {}).await.unwrap_err();
    assert!(err.to_string().contains("build-webapp.sh"), "{err}");
    std::fs::create_dir_all(dir.path().join("dist")).unwrap();
    std::fs::write(dir.path().join("dist/index.html"), "x").unwrap();
    let config = WebConfig {
        dist: dir.path().join("dist"),
        rpc: "https://node.example:443".into(),
        ..config
    };
    let err = serve(&config, |_| {}, async {}).await.unwrap_err();
    assert!(err.to_string().contains("only http://"), "{err}");
}
