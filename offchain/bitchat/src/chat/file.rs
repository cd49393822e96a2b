//! File attachments (no I/O). A file is sealed with a fresh random key (XChaCha20-Poly1305),
//! the ciphertext is stored as content-addressed chunks ([`crate::chunks`]) that anyone may
//! fetch by hash, and the conversation carries a [`FileOffer`] (name, size, key, manifest) as
//! an MLS message: only members can open the chunks, and a fresh key per file means equal
//! files give unrelated chunks (nobody can confirm a file by its hashes).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::chunks::{Manifest, DEFAULT_CHUNK_SIZE};

/// Largest file carried.
pub const MAX_FILE: u64 = 16 << 20;
/// Longest file name, bytes.
pub const MAX_NAME: usize = 255;
/// The AEAD tag the ciphertext adds.
const TAG: u64 = 16;
/// What starts a file offer's message body: text typed by a person never starts with NUL.
const MAGIC: &[u8] = b"\0bithive-file-v1\0";
const AAD: &[u8] = b"bithive-bitchat-file-v1";

/// What a member sends to offer a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOffer {
    pub name: String,
    pub size: u64,
    pub key: [u8; 32],
    /// The ciphertext's chunks.
    pub manifest: Manifest,
}

/// Seals `data` under a fresh key: the key and the ciphertext.
pub fn seal_file(data: &[u8]) -> ([u8; 32], Vec<u8>) {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let ct = XChaCha20Poly1305::new(&key.into())
        // A key is used for one file only, so one fixed nonce is safe.
        .encrypt(
            &XNonce::default(),
            Payload {
                msg: data,
                aad: AAD,
            },
        )
        .expect("in-memory encryption does not fail");
    (key, ct)
}

/// Characters that change how text around them is shown (direction overrides and isolates,
/// zero-width characters, line and paragraph separators): a name with them could show as
/// another ("invoice\u{202E}fdp.sh" shows as "invoicehs.pdf").
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// A file name safe to show and to save under: no path, no control or format characters, not
/// hidden (no leading dot or space), at most [`MAX_NAME`] bytes. Applying it again changes
/// nothing.
pub fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_control() || is_format(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let clean = clean.trim_matches(|c: char| c == '.' || c.is_whitespace());
    let mut out = String::new();
    for c in clean.chars() {
        if out.len() + c.len_utf8() > MAX_NAME {
            break;
        }
        out.push(c);
    }
    // Cutting at the length limit may leave a trailing dot or space.
    let out = out
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
        .to_string();
    if out.is_empty() {
        "file".into()
    } else {
        out
    }
}

impl FileOffer {
    /// Opens the ciphertext the manifest names; refused if it is not this offer's file.
    pub fn open(&self, ciphertext: &[u8]) -> Result<Vec<u8>, &'static str> {
        let data = XChaCha20Poly1305::new(&self.key.into())
            .decrypt(
                &XNonce::default(),
                Payload {
                    msg: ciphertext,
                    aad: AAD,
                },
            )
            .map_err(|_| "the file does not open with the offer's key")?;
        if data.len() as u64 != self.size {
            return Err("the file is not the size offered");
        }
        Ok(data)
    }

    /// `MAGIC || name len (u8) || name || size (u64) || key || chunk count (u32) || hashes`.
    pub fn encode(&self) -> Vec<u8> {
        let name = safe_name(&self.name);
        let mut b = MAGIC.to_vec();
        b.push(name.len() as u8);
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(&self.size.to_be_bytes());
        b.extend_from_slice(&self.key);
        b.extend_from_slice(&(self.manifest.chunks.len() as u32).to_be_bytes());
        for h in &self.manifest.chunks {
            b.extend_from_slice(h);
        }
        b
    }

    /// `Ok(None)`: not a file offer (a text message). `Err`: an offer that is refused, and why.
    pub fn decode(body: &[u8]) -> Result<Option<Self>, String> {
        let Some(mut r) = body.strip_prefix(MAGIC) else {
            return Ok(None);
        };
        let mut take = |n: usize| -> Result<&[u8], String> {
            if r.len() < n {
                return Err("a file offer cut short".into());
            }
            let (a, rest) = r.split_at(n);
            r = rest;
            Ok(a)
        };
        let name_len = usize::from(take(1)?[0]);
        let name = std::str::from_utf8(take(name_len)?)
            .map_err(|_| "a file name that is not text".to_string())?
            .to_string();
        let size = u64::from_be_bytes(take(8)?.try_into().expect("8"));
        if size > MAX_FILE {
            return Err(format!(
                "a file of {size} bytes; at most {MAX_FILE} are taken"
            ));
        }
        let key: [u8; 32] = take(32)?.try_into().expect("32");
        let n = u32::from_be_bytes(take(4)?.try_into().expect("4")) as usize;
        let total_len = size + TAG;
        let want = total_len.div_ceil(DEFAULT_CHUNK_SIZE as u64) as usize;
        if n != want {
            return Err(format!("{n} chunks for {total_len} bytes; {want} expected"));
        }
        let mut chunks = Vec::with_capacity(n);
        for _ in 0..n {
            chunks.push(take(32)?.try_into().expect("32"));
        }
        if !r.is_empty() {
            return Err("bytes after a file offer".into());
        }
        Ok(Some(Self {
            name: safe_name(&name),
            size,
            key,
            manifest: Manifest { total_len, chunks },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunks::hash;

    fn offer(data: &[u8], name: &str) -> (FileOffer, Vec<u8>) {
        let (key, ct) = seal_file(data);
        let chunks = ct.chunks(DEFAULT_CHUNK_SIZE).map(hash).collect();
        let o = FileOffer {
            name: name.into(),
            size: data.len() as u64,
            key,
            manifest: Manifest {
                total_len: ct.len() as u64,
                chunks,
            },
        };
        (o, ct)
    }

    #[test]
    fn an_offer_round_trips_and_opens_only_its_file() {
        let data = vec![7u8; 600 * 1024];
        let (o, ct) = offer(&data, "scan.png");
        let back = FileOffer::decode(&o.encode()).unwrap().unwrap();
        assert_eq!(back, o);
        assert_eq!(back.open(&ct).unwrap(), data);
        let (other, other_ct) = offer(&data, "scan.png");
        // Same file, fresh key: other chunks, and one offer's key does not open the other's.
        assert_ne!(other.manifest.chunks, o.manifest.chunks);
        assert!(o.open(&other_ct).is_err());
        let mut bad = ct.clone();
        bad[10] ^= 1;
        assert!(o.open(&bad).is_err());
    }

    #[test]
    fn text_is_not_an_offer_and_bad_offers_are_refused_with_a_reason() {
        assert_eq!(FileOffer::decode(b"hello").unwrap(), None);
        assert_eq!(FileOffer::decode(b"").unwrap(), None);
        let (o, _) = offer(b"tiny", "a.txt");
        let good = o.encode();
        for cut in [MAGIC.len(), MAGIC.len() + 3, good.len() - 1] {
            assert!(FileOffer::decode(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(FileOffer::decode(&trailing).is_err());
        // Oversized: refused with the size in the reason, before any chunk is looked at.
        let mut big = o.clone();
        big.size = MAX_FILE + 1;
        let e = FileOffer::decode(&big.encode()).unwrap_err();
        assert!(e.contains("at most"), "{e}");
        // A chunk count that does not match the size.
        let mut wrong = o;
        wrong.manifest.chunks.push([0; 32]);
        assert!(FileOffer::decode(&wrong.encode()).is_err());
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\x\\report.pdf"), "report.pdf");
        assert_eq!(safe_name(".bashrc"), "bashrc");
        // Dots and spaces mixed: one pass removes them all (a second pass would have made a
        // dotfile of what the first left).
        assert_eq!(safe_name(" . .bashrc"), "bashrc");
        assert_eq!(safe_name("invoice\u{202E}fdp.sh"), "invoice_fdp.sh");
        assert_eq!(safe_name("a\u{200B}b"), "a_b");
        assert_eq!(safe_name("a\x1b[2Jb"), "a_[2Jb");
        assert_eq!(safe_name(""), "file");
        assert_eq!(safe_name(".."), "file");
        assert!(safe_name(&"é".repeat(300)).len() <= MAX_NAME);
    }

    proptest::proptest! {
        #[test]
        fn safe_names_are_stable_and_never_hidden(n in "\\PC{0,300}") {
            let once = safe_name(&n);
            proptest::prop_assert_eq!(safe_name(&once), once.clone());
            proptest::prop_assert!(!once.starts_with('.') && !once.contains('/'));
            proptest::prop_assert!(once.len() <= MAX_NAME && !once.is_empty());
        }

        #[test]
        fn arbitrary_bodies_never_panic(b in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..256)) {
            let mut body = MAGIC.to_vec();
            body.extend_from_slice(&b);
            let _ = FileOffer::decode(&body);
        }
    }
}
