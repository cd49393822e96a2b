//! IpfsHttpStore against an in-process fake kubo that checks every request's shape (method,
//! path, query, multipart body) the way kubo's RPC API expects it, and can misbehave on demand.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bithive_content_id::{cid_of, cid_with, Profile};
use bithive_content_store::{ContentStore, IpfsHttpConfig, IpfsHttpStore, NodeStore, StoreError};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

#[derive(Default)]
struct Fake {
    blocks: Mutex<HashMap<String, Vec<u8>>>,
    /// (path, query) of every request, in order.
    log: Mutex<Vec<(String, BTreeMap<String, String>)>>,
    /// Serve altered bytes from cat.
    tamper: AtomicBool,
    /// Answer add with a CIDv0-style hash, as a node with other import settings would.
    other_settings: AtomicBool,
}

fn query(q: Option<&str>) -> BTreeMap<String, String> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn answer(status: u16, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .body(Full::new(body.into()))
        .unwrap()
}

fn kubo_error(status: u16, msg: &str) -> Response<Full<Bytes>> {
    answer(
        status,
        format!("{{\"Message\":{msg:?},\"Code\":0,\"Type\":\"error\"}}\n"),
    )
}

/// The one part of a multipart/form-data body, or why the body is not one.
fn multipart_file(content_type: &str, body: &[u8]) -> Result<Vec<u8>, String> {
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .ok_or(format!("content-type {content_type}"))?;
    let open = format!("--{boundary}\r\n");
    let close = format!("\r\n--{boundary}--\r\n");
    let inner = body
        .strip_prefix(open.as_bytes())
        .and_then(|b| b.strip_suffix(close.as_bytes()))
        .ok_or("not a single framed part")?;
    let split = inner
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no part headers")?;
    let headers = std::str::from_utf8(&inner[..split]).map_err(|e| e.to_string())?;
    if !headers.contains("Content-Disposition: form-data; name=\"file\"") {
        return Err(format!("part headers {headers}"));
    }
    Ok(inner[split + 4..].to_vec())
}

async fn serve(fake: Arc<Fake>, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let q = query(req.uri().query());
    fake.log.lock().unwrap().push((path.clone(), q.clone()));
    // kubo's RPC refuses anything but POST.
    if req.method() != hyper::Method::POST {
        return answer(405, "405 - Method Not Allowed\n");
    }
    let ct = req
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    let body = req.into_body().collect().await.unwrap().to_bytes();
    match path.as_str() {
        "/api/v0/add" => {
            let want: BTreeMap<String, String> = [
                ("cid-version", "1"),
                ("raw-leaves", "true"),
                ("chunker", "size-262144"),
                ("hash", "sha2-256"),
                ("pin", "true"),
                ("progress", "false"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            if q != want {
                return kubo_error(400, &format!("unexpected add options {q:?}"));
            }
            let data = match multipart_file(ct.as_deref().unwrap_or(""), &body) {
                Ok(d) => d,
                Err(e) => return kubo_error(400, &e),
            };
            let cid = if fake.other_settings.load(Ordering::SeqCst) {
                "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH".to_string()
            } else {
                cid_with(&data, Profile::KUBO_V1).to_string()
            };
            let line = format!(
                "{{\"Name\":\"file\",\"Hash\":\"{cid}\",\"Size\":\"{}\"}}\n",
                data.len()
            );
            fake.blocks.lock().unwrap().insert(cid, data);
            answer(200, line)
        }
        "/api/v0/cat" => {
            if q.len() != 1 || !body.is_empty() {
                return kubo_error(400, &format!("unexpected cat request {q:?}"));
            }
            let Some(mut data) = q
                .get("arg")
                .and_then(|c| fake.blocks.lock().unwrap().get(c).cloned())
            else {
                return kubo_error(
                    500,
                    "block was not found locally (offline): ipld: could not find node",
                );
            };
            if fake.tamper.load(Ordering::SeqCst) {
                match data.first_mut() {
                    Some(b) => *b ^= 1,
                    None => data.push(0),
                }
            }
            answer(200, data)
        }
        "/api/v0/block/stat" => {
            if q.get("offline").map(String::as_str) != Some("true") || q.len() != 2 {
                return kubo_error(400, &format!("unexpected block/stat request {q:?}"));
            }
            let arg = q.get("arg").cloned().unwrap_or_default();
            match fake.blocks.lock().unwrap().get(&arg) {
                Some(d) => answer(200, format!("{{\"Key\":\"{arg}\",\"Size\":{}}}\n", d.len())),
                None => kubo_error(
                    500,
                    "block was not found locally (offline): ipld: could not find node",
                ),
            }
        }
        _ => answer(404, "404 page not found\n"),
    }
}

async fn start() -> (Arc<Fake>, IpfsHttpStore) {
    let (fake, api) = start_fake().await;
    let mut cfg = IpfsHttpConfig::new(api);
    cfg.timeout = Duration::from_secs(20);
    (fake, IpfsHttpStore::new(cfg).unwrap())
}

/// The fake and its API URL.
async fn start_fake() -> (Arc<Fake>, String) {
    let fake = Arc::new(Fake::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let f = fake.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let f = f.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    let f = f.clone();
                    async move { Ok::<_, Infallible>(serve(f, req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (fake, format!("http://{addr}"))
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 253) as u8).collect()
}

#[tokio::test]
async fn put_get_has_with_kubo_request_shapes() {
    let (fake, store) = start().await;
    for n in [0usize, 1, 262_145, 700_000] {
        let data = pattern(n);
        let cid = store.put(&data).await.unwrap();
        assert_eq!(cid, cid_of(&data));
        assert!(store.has(&cid).await.unwrap());
        assert_eq!(store.get(&cid).await.unwrap(), data);
    }
    let absent = cid_of(b"absent");
    assert!(!store.has(&absent).await.unwrap());
    assert!(matches!(store.get(&absent).await, Err(StoreError::NotFound(c)) if c == absent));
    let log = fake.log.lock().unwrap();
    let (path, q) = &log[2];
    assert_eq!(path, "/api/v0/cat");
    assert_eq!(q.get("arg").unwrap(), &cid_of(b"").to_string());
    assert_eq!(log.len(), 4 * 3 + 2);
}

#[tokio::test]
async fn content_substituted_by_the_node_is_refused() {
    // Attack: the IPFS node (or a peer it fetched from) serves other bytes for a CID.
    let (fake, store) = start().await;
    for n in [0usize, 5, 300_000] {
        let cid = store.put(&pattern(n)).await.unwrap();
        fake.tamper.store(true, Ordering::SeqCst);
        assert!(
            matches!(store.get(&cid).await, Err(StoreError::Tampered { cid: c, .. }) if c == cid)
        );
        fake.tamper.store(false, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_node_with_other_import_settings_is_detected_on_put() {
    let (fake, store) = start().await;
    fake.other_settings.store(true, Ordering::SeqCst);
    let err = store.put(b"model weights").await.unwrap_err();
    assert!(matches!(err, StoreError::CidMismatch { expected, ref got }
        if expected == cid_of(b"model weights") && got.starts_with("Qm")));
}

#[tokio::test]
async fn oversized_answers_are_cut_off() {
    let (_fake, api) = start_fake().await;
    let store = IpfsHttpStore::new(IpfsHttpConfig::new(api.clone())).unwrap();
    let cid = store.put(&pattern(10_000)).await.unwrap();
    let mut cfg = IpfsHttpConfig::new(api);
    cfg.max_object_bytes = 9_999;
    let small = IpfsHttpStore::new(cfg).unwrap();
    assert!(matches!(
        small.get(&cid).await,
        Err(StoreError::TooLarge { limit: 9_999 })
    ));
    assert!(matches!(
        small.put(&pattern(10_000)).await,
        Err(StoreError::TooLarge { .. })
    ));
}

#[test]
fn api_url_must_be_plain_http_host_port() {
    for bad in [
        "https://x:5001",
        "x:5001",
        "http://",
        "http://a/b",
        "http://u@h:1",
    ] {
        assert!(
            matches!(
                IpfsHttpStore::new(IpfsHttpConfig::new(bad)),
                Err(StoreError::Config(_))
            ),
            "{bad}"
        );
    }
    assert!(IpfsHttpStore::new(IpfsHttpConfig::new("http://127.0.0.1:5001/")).is_ok());
}

/// The relayer's store choice: a kubo API or a local store, exactly one.
#[tokio::test]
async fn a_node_store_is_kubo_or_local_never_both_or_neither() {
    let (_fake, api) = start_fake().await;
    let store = NodeStore::open(Some(&api), None).unwrap();
    let data = pattern(300_000);
    let cid = store.put(&data).await.unwrap();
    assert_eq!(store.get(&cid).await.unwrap(), data);
    assert!(matches!(store, NodeStore::Ipfs(_)));

    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "11".repeat(32)).unwrap();
    let local = NodeStore::open(None, Some((&dir.path().join("s"), &key))).unwrap();
    assert_eq!(
        local.put(&data).await.unwrap(),
        cid,
        "the same CID on both stores"
    );
    assert!(NodeStore::open(None, None).is_err());
    assert!(NodeStore::open(Some(&api), Some((dir.path(), &key))).is_err());
    assert!(NodeStore::open(Some("ftp://x"), None).is_err());
}
