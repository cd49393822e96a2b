//! Chat over real nodes (issue #46's test of record, without NAT): a group of 20 members homed
//! on 3 relays, built from contact requests; messages reach all; a removed member gets nothing
//! more; a member offline during a conversation gets it from the relays when it returns; every
//! file written is sealed and 0600.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bithive_bitchat::chat::{ChatClient, ChatCore, ConversationId, Event};
use bithive_bitchat::{AccountId, StaticAllowlist};
use common::{assert_sealed_at_rest, cfg, identity, register, secret, start};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

struct Member {
    id: AccountId,
    client: Arc<ChatClient>,
    events: mpsc::UnboundedReceiver<Event>,
    pump: JoinHandle<()>,
    seen: Vec<Event>,
}

async fn member(dir: &Path, n: u8, relay: SocketAddr, reg: &Arc<StaticAllowlist>) -> Member {
    let name = format!("m{n}");
    let mut c = cfg(dir, &name);
    c.relays = vec![relay];
    let node = start(c, n, reg).await;
    register(reg, n, Some(node.local_addr().unwrap()));
    let chat_dir = dir.join(&name).join("chat");
    std::fs::create_dir_all(&chat_dir).unwrap();
    let core = ChatCore::open(Some(&chat_dir), &secret(n)).unwrap();
    let client = Arc::new(ChatClient::new(node, core));
    let (tx, events) = mpsc::unbounded_channel();
    let pump = {
        let client = client.clone();
        tokio::spawn(async move {
            loop {
                for e in client.poll(Duration::from_millis(100)).await {
                    if tx.send(e).is_err() {
                        return;
                    }
                }
            }
        })
    };
    Member {
        id: identity(n).account_id(),
        client,
        events,
        pump,
        seen: Vec::new(),
    }
}

impl Member {
    /// Waits until `pred` holds for an event seen (kept across calls).
    async fn wait(&mut self, what: &str, pred: impl Fn(&Event) -> bool) {
        let t = Instant::now();
        loop {
            if self.seen.iter().any(&pred) {
                return;
            }
            match tokio::time::timeout(Duration::from_millis(200), self.events.recv()).await {
                Ok(Some(e)) => self.seen.push(e),
                Ok(None) => panic!("{}: event stream ended waiting for {what}", self.id),
                Err(_) => {}
            }
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "{}: no {what} within 60 s; saw {:?}",
                self.id,
                self.seen
            );
        }
    }
    async fn stop(self) {
        self.pump.abort();
        let _ = self.pump.await;
        let client = Arc::try_unwrap(self.client).ok().expect("no other holder");
        client.shutdown().await;
    }
}

fn message(from: AccountId, body: &'static [u8]) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::Message { from: f, body: b, .. } if *f == from && b == body)
}

async fn connect(a: &mut Member, admin: &mut Member) {
    a.client.request_contact(admin.id).await.unwrap();
    let from = a.id;
    admin
        .wait(
            "contact request",
            |e| matches!(e, Event::ContactRequest { from: f } if *f == from),
        )
        .await;
    admin.client.accept(a.id).await.unwrap();
    a.wait("1:1 welcome", |e| matches!(e, Event::Joined { .. }))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_of_twenty_on_three_relays() {
    let dir = tempfile::tempdir().unwrap();
    let reg = Arc::new(StaticAllowlist::new());
    let mut relays = Vec::new();
    let mut relay_addrs = Vec::new();
    for r in 0..3u8 {
        let mut c = cfg(dir.path(), &format!("relay{r}"));
        c.relay = true;
        let node = start(c, 100 + r, &reg).await;
        let addr = node.local_addr().unwrap();
        register(&reg, 100 + r, Some(addr));
        relay_addrs.push(addr);
        relays.push(node);
    }
    let mut members = Vec::new();
    for n in 0..20u8 {
        members.push(member(dir.path(), n, relay_addrs[n as usize % 3], &reg).await);
    }
    let (admin, rest) = members.split_first_mut().unwrap();
    for m in rest.iter_mut() {
        connect(m, admin).await;
    }
    let ids: Vec<AccountId> = rest.iter().map(|m| m.id).collect();
    let (g, _): (ConversationId, _) = admin.client.create_group(&ids).await.unwrap();
    for m in rest.iter_mut() {
        let g2 = g.clone();
        m.wait(
            "group welcome",
            move |e| matches!(e, Event::Joined { conversation, .. } if *conversation == g2),
        )
        .await;
    }
    // The admin's view once every member's add is committed.
    let t = Instant::now();
    while admin.client.core().await.members(&g).unwrap().len() < 20 {
        assert!(t.elapsed() < Duration::from_secs(60));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    admin.client.send(&g, b"hello all twenty").await.unwrap();
    let admin_id = admin.id;
    for m in rest.iter_mut() {
        m.wait(
            "the admin's message",
            message(admin_id, b"hello all twenty"),
        )
        .await;
    }
    let five = rest[4].id;
    rest[4].client.send(&g, b"member five here").await.unwrap();
    admin
        .wait("member five", message(five, b"member five here"))
        .await;
    for (i, m) in rest.iter_mut().enumerate() {
        if i != 4 {
            m.wait("member five", message(five, b"member five here"))
                .await;
        }
    }

    // Member 7 is removed; what follows reaches the others only.
    let seven = rest[6].id;
    admin.client.remove(&g, &[seven]).await.unwrap();
    let g2 = g.clone();
    rest[6]
        .wait("its removal", move |e| {
            *e == Event::RemovedFrom {
                conversation: g2.clone(),
            }
        })
        .await;
    admin.client.send(&g, b"after seven left").await.unwrap();
    for (i, m) in rest.iter_mut().enumerate() {
        if i != 6 {
            m.wait(
                "the post-removal message",
                message(admin_id, b"after seven left"),
            )
            .await;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    while let Ok(e) = rest[6].events.try_recv() {
        rest[6].seen.push(e);
    }
    assert!(!rest[6]
        .seen
        .iter()
        .any(message(admin_id, b"after seven left")));

    // Member 19 goes offline; the conversation goes on; it returns and reads from the relays.
    let last = members.pop().unwrap();
    let (n19, id19) = (19u8, last.id);
    last.stop().await;
    let dead = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    register(&reg, n19, Some(dead.local_addr().unwrap()));
    let (admin, rest) = members.split_first_mut().unwrap();
    admin
        .client
        .send(&g, b"while nineteen is away")
        .await
        .unwrap();
    let two = rest[1].id;
    rest[1]
        .client
        .send(&g, b"member two, also while away")
        .await
        .unwrap();
    drop(dead);
    let mut back = member(dir.path(), n19, relay_addrs[n19 as usize % 3], &reg).await;
    assert_eq!(back.id, id19);
    let mut fetched = 0;
    for r in &relay_addrs {
        fetched += back.client.carrier().fetch_mailbox(*r).await.unwrap();
    }
    assert!(fetched >= 2, "{fetched} envelopes at the relays");
    back.wait(
        "the admin's message from the relay",
        message(admin_id, b"while nineteen is away"),
    )
    .await;
    back.wait(
        "member two's message from the relay",
        message(two, b"member two, also while away"),
    )
    .await;
    let history = back.client.core().await.history(&g);
    assert!(
        history.iter().any(|h| h.body == b"hello all twenty"),
        "history kept across the restart"
    );

    // Everything on every disk is sealed and 0600.
    let needles: Vec<&[u8]> = vec![
        b"hello all twenty",
        b"member five here",
        b"while nineteen",
        b"after seven",
    ];
    back.stop().await;
    for m in members {
        m.stop().await;
    }
    for r in relays {
        r.shutdown().await;
    }
    let files = assert_sealed_at_rest(dir.path(), &needles);
    assert!(files > 60, "{files} files scanned");
}
