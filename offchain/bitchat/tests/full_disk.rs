//! A full disk (issue #46): what BitChat keeps on disk (journals, the relay's mailbox, chunks)
//! fails cleanly when the disk takes no more, loses nothing it had confirmed, and works again
//! once there is room.
//!
//! The disk is filled by a file-size limit on this process (tests/disk_limit).

mod disk_limit;

use bithive_bitchat::at_rest::AtRestKey;
use bithive_bitchat::chunks::ChunkStore;
use bithive_bitchat::frame::Envelope;
use bithive_bitchat::journal::Journal;
use bithive_bitchat::mailbox::{Mailbox, MailboxLimits};
use disk_limit::{disk_freed, disk_room, fillable_disk};

fn payload(i: usize) -> Vec<u8> {
    format!("record {i} ").repeat(20).into_bytes()
}

fn envelope(n: u32, len: usize) -> Envelope {
    let mut id = [0u8; 16];
    id[..4].copy_from_slice(&n.to_be_bytes());
    Envelope {
        id,
        from: [(n % 7) as u8 + 1; 20],
        to: [9; 20],
        expires_at: 10_000,
        ciphertext: vec![n as u8; len],
    }
}

#[test]
fn a_full_disk_refuses_writes_loses_nothing_and_recovers() {
    let _freed = fillable_disk();
    let dir = tempfile::tempdir().unwrap();
    let key = || AtRestKey::derive(&[3; 32], "full disk");
    // Said once there is room again: stderr may be a file, which a full disk refuses too.
    let mut said = Vec::new();

    // 1. A journal (the chat core's, the inbox's, the outbox's and the mailbox's kind): appends
    //    fail once the disk is full, and the file holds exactly the records confirmed before.
    let path = dir.path().join("journal");
    let (mut j, _) = Journal::open(&path, key()).unwrap();
    for i in 0..10 {
        j.append(&payload(i)).unwrap();
    }
    let before = std::fs::metadata(&path).unwrap().len();
    disk_room(before + 2_000);
    let mut confirmed = 10;
    let err = loop {
        match j.append(&payload(confirmed)) {
            Ok(()) => confirmed += 1,
            Err(e) => break e,
        }
        assert!(confirmed < 100, "the disk never filled");
    };
    assert!(confirmed > 10, "some records fitted before the disk filled");
    said.push(format!("journal: {confirmed} records, then: {err}"));
    // The record that did not fit left nothing behind that a later append would follow.
    assert_eq!(std::fs::metadata(&path).unwrap().len(), j.bytes());
    // Compaction needs room for a new file: it fails, and the journal is as it was.
    disk_room(100);
    let live: Vec<Vec<u8>> = (0..confirmed).map(payload).collect();
    assert!(j.compact(live.iter().map(|r| r.as_slice())).is_err());
    assert!(j.append(&payload(confirmed)).is_err());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "journal")
        .collect();
    assert!(
        leftovers.is_empty(),
        "a failed compaction left {leftovers:?}"
    );
    // Room again: the same journal appends, and a restart finds every confirmed record, intact.
    disk_freed();
    j.append(&payload(confirmed)).unwrap();
    drop(j);
    let (_, r) = Journal::open(&path, key()).unwrap();
    assert_eq!(r.truncated_bytes, 0);
    assert_eq!(r.records, (0..=confirmed).map(payload).collect::<Vec<_>>());

    // 2. A relay's mailbox: a deposit the disk cannot take is an error (the depositor keeps the
    //    envelope and tries again), never a stored-but-unwritten envelope; an acknowledgement
    //    that cannot be written keeps the envelope for the next fetch.
    let mpath = dir.path().join("mailbox.journal");
    let mut m = Mailbox::open(&mpath, key(), MailboxLimits::default()).unwrap();
    for n in 0..5 {
        m.deposit(envelope(n, 300), 1).unwrap().unwrap();
    }
    disk_room(std::fs::metadata(&mpath).unwrap().len() + 3_000);
    let mut stored = 5;
    loop {
        match m.deposit(envelope(stored, 300), 1) {
            Ok(Ok(())) => stored += 1,
            Ok(Err(refusal)) => panic!("refused by the mailbox's own limits: {refusal:?}"),
            Err(e) => {
                said.push(format!("mailbox: {stored} envelopes, then: {e}"));
                break;
            }
        }
        assert!(stored < 100, "the disk never filled");
    }
    assert_eq!(m.len(), stored as usize);
    let pending = m.pending_for(&[9; 20], 1, 1_000);
    assert_eq!(pending.len(), stored as usize);
    disk_room(0);
    let ids: Vec<_> = pending.iter().take(2).map(|e| e.id).collect();
    assert!(m.acknowledge(&[9; 20], &ids).is_err());
    assert_eq!(
        m.len(),
        stored as usize,
        "nothing acknowledged was dropped unwritten"
    );
    disk_freed();
    assert_eq!(m.acknowledge(&[9; 20], &ids).unwrap(), 2);
    drop(m);
    let m = Mailbox::open(&mpath, key(), MailboxLimits::default()).unwrap();
    assert_eq!(m.len(), stored as usize - 2);
    let mut left: Vec<u32> = m
        .pending_for(&[9; 20], 1, 1_000)
        .iter()
        .map(|e| u32::from_be_bytes(e.id[..4].try_into().unwrap()))
        .collect();
    left.sort();
    assert_eq!(left, (2..stored).collect::<Vec<_>>());

    // 3. Chunks: one the disk cannot hold is not stored at all (no torn chunk, no temporary
    //    file), and is stored once there is room.
    let chunks = ChunkStore::open(&dir.path().join("chunks"), key()).unwrap();
    let small = chunks.put(b"fits").unwrap();
    disk_room(1_000);
    let big = vec![7u8; 64 * 1024];
    assert!(chunks.put(&big).is_err());
    disk_freed();
    let files: Vec<_> = std::fs::read_dir(dir.path().join("chunks"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files.len(), 1, "only the chunk that fitted: {files:?}");
    assert_eq!(chunks.get(&small).unwrap().as_deref(), Some(&b"fits"[..]));
    let h = chunks.put(&big).unwrap();
    assert_eq!(chunks.get(&h).unwrap(), Some(big));
    eprintln!("{}", said.join("\n"));
}
