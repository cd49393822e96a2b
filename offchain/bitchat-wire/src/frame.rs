//! Wire frames and their strict parser.
//!
//! A frame is `len: u32 BE | type: u8 | body`, `len` counting type and body. The parser never
//! panics and never allocates more than [`MAX_FRAME`]: unknown types, short or trailing bytes,
//! oversized fields are all errors (the caller drops the frame and counts it).

use thiserror::Error;

/// Largest frame accepted (type + body).
pub const MAX_FRAME: usize = 1 << 20;
/// Largest end-to-end ciphertext in an envelope.
pub const MAX_CIPHERTEXT: usize = 256 * 1024;
/// Largest chunk payload.
pub const MAX_CHUNK: usize = 512 * 1024;
/// Most ids in one mailbox acknowledgement.
pub const MAX_ACK_IDS: usize = 1024;

pub type AccountIdBytes = [u8; 20];
pub type MessageId = [u8; 16];
pub type ChunkHash = [u8; 32];

#[derive(Debug, Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("frame too short")]
    Truncated,
    #[error("frame of {0} bytes exceeds the limit")]
    Oversized(usize),
    #[error("unknown frame type {0}")]
    UnknownType(u8),
    #[error("{0} trailing bytes")]
    Trailing(usize),
    #[error("field {0} out of range")]
    BadField(&'static str),
}

/// An end-to-end sealed message as relays see it: routing metadata plus ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub id: MessageId,
    pub from: AccountIdBytes,
    pub to: AccountIdBytes,
    /// Unix seconds after which the envelope must be dropped.
    pub expires_at: u64,
    pub ciphertext: Vec<u8>,
}

/// Transport-level outcome of handing an envelope to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckStatus {
    /// The recipient itself accepted it.
    Delivered = 1,
    /// A relay stored it in the recipient's mailbox.
    Stored = 2,
    /// Refused (quota, size, expired, not allowed).
    Rejected = 3,
    /// Seen before: not delivered again.
    Duplicate = 4,
}

impl AckStatus {
    fn from_u8(v: u8) -> Result<Self, FrameError> {
        Ok(match v {
            1 => Self::Delivered,
            2 => Self::Stored,
            3 => Self::Rejected,
            4 => Self::Duplicate,
            _ => return Err(FrameError::BadField("ack status")),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Account proof bound to the TLS session (see `auth`).
    Auth {
        account_pubkey: [u8; 33],
        noise_pubkey: [u8; 32],
        signature: [u8; 64],
    },
    Deliver(Envelope),
    Ack {
        id: MessageId,
        status: AckStatus,
    },
    MailboxFetch,
    MailboxItem(Envelope),
    MailboxEnd,
    MailboxAck {
        ids: Vec<MessageId>,
    },
    ChunkGet {
        hash: ChunkHash,
    },
    ChunkData {
        hash: ChunkHash,
        data: Vec<u8>,
    },
    ChunkMissing {
        hash: ChunkHash,
    },
}

mod tag {
    pub const AUTH: u8 = 1;
    pub const DELIVER: u8 = 2;
    pub const ACK: u8 = 3;
    pub const MAILBOX_FETCH: u8 = 4;
    pub const MAILBOX_ITEM: u8 = 5;
    pub const MAILBOX_END: u8 = 6;
    pub const MAILBOX_ACK: u8 = 7;
    pub const CHUNK_GET: u8 = 8;
    pub const CHUNK_DATA: u8 = 9;
    pub const CHUNK_MISSING: u8 = 10;
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FrameError> {
        if self.buf.len() < n {
            return Err(FrameError::Truncated);
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Ok(a)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], FrameError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, FrameError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, FrameError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, FrameError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    /// Length-prefixed bytes, at most `max`.
    fn bytes(&mut self, max: usize, field: &'static str) -> Result<Vec<u8>, FrameError> {
        let n = self.u32()? as usize;
        if n > max {
            return Err(FrameError::BadField(field));
        }
        Ok(self.take(n)?.to_vec())
    }
    fn finish(self) -> Result<(), FrameError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(FrameError::Trailing(self.buf.len()))
        }
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_be_bytes());
    out.extend_from_slice(b);
}

fn encode_envelope(out: &mut Vec<u8>, e: &Envelope) {
    out.extend_from_slice(&e.id);
    out.extend_from_slice(&e.from);
    out.extend_from_slice(&e.to);
    out.extend_from_slice(&e.expires_at.to_be_bytes());
    put_bytes(out, &e.ciphertext);
}

fn decode_envelope(r: &mut Reader<'_>) -> Result<Envelope, FrameError> {
    Ok(Envelope {
        id: r.array()?,
        from: r.array()?,
        to: r.array()?,
        expires_at: r.u64()?,
        ciphertext: r.bytes(MAX_CIPHERTEXT, "ciphertext")?,
    })
}

impl Frame {
    /// Type and body, without the length prefix.
    pub fn encode_body(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Frame::Auth {
                account_pubkey,
                noise_pubkey,
                signature,
            } => {
                out.push(tag::AUTH);
                out.extend_from_slice(account_pubkey);
                out.extend_from_slice(noise_pubkey);
                out.extend_from_slice(signature);
            }
            Frame::Deliver(e) => {
                out.push(tag::DELIVER);
                encode_envelope(&mut out, e);
            }
            Frame::Ack { id, status } => {
                out.push(tag::ACK);
                out.extend_from_slice(id);
                out.push(*status as u8);
            }
            Frame::MailboxFetch => out.push(tag::MAILBOX_FETCH),
            Frame::MailboxItem(e) => {
                out.push(tag::MAILBOX_ITEM);
                encode_envelope(&mut out, e);
            }
            Frame::MailboxEnd => out.push(tag::MAILBOX_END),
            Frame::MailboxAck { ids } => {
                out.push(tag::MAILBOX_ACK);
                out.extend_from_slice(&(ids.len() as u32).to_be_bytes());
                for id in ids {
                    out.extend_from_slice(id);
                }
            }
            Frame::ChunkGet { hash } => {
                out.push(tag::CHUNK_GET);
                out.extend_from_slice(hash);
            }
            Frame::ChunkData { hash, data } => {
                out.push(tag::CHUNK_DATA);
                out.extend_from_slice(hash);
                put_bytes(&mut out, data);
            }
            Frame::ChunkMissing { hash } => {
                out.push(tag::CHUNK_MISSING);
                out.extend_from_slice(hash);
            }
        }
        out
    }

    /// Length-prefixed encoding.
    pub fn encode(&self) -> Vec<u8> {
        let body = self.encode_body();
        let mut out = Vec::with_capacity(body.len() + 4);
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// Parse a frame body (type + fields), rejecting anything malformed.
    pub fn decode_body(buf: &[u8]) -> Result<Frame, FrameError> {
        if buf.len() > MAX_FRAME {
            return Err(FrameError::Oversized(buf.len()));
        }
        let mut r = Reader { buf };
        let frame = match r.u8()? {
            tag::AUTH => Frame::Auth {
                account_pubkey: r.array()?,
                noise_pubkey: r.array()?,
                signature: r.array()?,
            },
            tag::DELIVER => Frame::Deliver(decode_envelope(&mut r)?),
            tag::ACK => Frame::Ack {
                id: r.array()?,
                status: AckStatus::from_u8(r.u8()?)?,
            },
            tag::MAILBOX_FETCH => Frame::MailboxFetch,
            tag::MAILBOX_ITEM => Frame::MailboxItem(decode_envelope(&mut r)?),
            tag::MAILBOX_END => Frame::MailboxEnd,
            tag::MAILBOX_ACK => {
                let n = r.u32()? as usize;
                if n > MAX_ACK_IDS {
                    return Err(FrameError::BadField("ack ids"));
                }
                let mut ids = Vec::with_capacity(n);
                for _ in 0..n {
                    ids.push(r.array()?);
                }
                Frame::MailboxAck { ids }
            }
            tag::CHUNK_GET => Frame::ChunkGet { hash: r.array()? },
            tag::CHUNK_DATA => Frame::ChunkData {
                hash: r.array()?,
                data: r.bytes(MAX_CHUNK, "chunk")?,
            },
            tag::CHUNK_MISSING => Frame::ChunkMissing { hash: r.array()? },
            t => return Err(FrameError::UnknownType(t)),
        };
        r.finish()?;
        Ok(frame)
    }

    /// Parse one length-prefixed frame from the start of `buf`; returns it and the bytes used.
    pub fn decode(buf: &[u8]) -> Result<(Frame, usize), FrameError> {
        if buf.len() < 4 {
            return Err(FrameError::Truncated);
        }
        let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        if len > MAX_FRAME {
            return Err(FrameError::Oversized(len));
        }
        let body = buf.get(4..4 + len).ok_or(FrameError::Truncated)?;
        Ok((Frame::decode_body(body)?, 4 + len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Envelope {
        Envelope {
            id: [1; 16],
            from: [2; 20],
            to: [3; 20],
            expires_at: 99,
            ciphertext: vec![4; 50],
        }
    }

    #[test]
    fn every_frame_round_trips() {
        let frames = vec![
            Frame::Auth {
                account_pubkey: [1; 33],
                noise_pubkey: [2; 32],
                signature: [3; 64],
            },
            Frame::Deliver(env()),
            Frame::Ack {
                id: [5; 16],
                status: AckStatus::Stored,
            },
            Frame::MailboxFetch,
            Frame::MailboxItem(env()),
            Frame::MailboxEnd,
            Frame::MailboxAck {
                ids: vec![[1; 16], [2; 16]],
            },
            Frame::ChunkGet { hash: [7; 32] },
            Frame::ChunkData {
                hash: [7; 32],
                data: vec![1, 2, 3],
            },
            Frame::ChunkMissing { hash: [8; 32] },
        ];
        for f in frames {
            let bytes = f.encode();
            assert_eq!(Frame::decode(&bytes), Ok((f, bytes.len())));
        }
    }

    #[test]
    fn malformed_frames_are_rejected() {
        assert_eq!(Frame::decode(&[0, 0]), Err(FrameError::Truncated));
        assert_eq!(
            Frame::decode_body(&[200]),
            Err(FrameError::UnknownType(200))
        );
        let mut b = Frame::MailboxEnd.encode_body();
        b.push(0);
        assert_eq!(Frame::decode_body(&b), Err(FrameError::Trailing(1)));
        // Oversized length prefix.
        let big = ((MAX_FRAME + 1) as u32).to_be_bytes();
        assert_eq!(
            Frame::decode(&big),
            Err(FrameError::Oversized(MAX_FRAME + 1))
        );
        // Ciphertext length field larger than the limit.
        let mut e = Frame::Deliver(env()).encode_body();
        let off = 1 + 16 + 20 + 20 + 8;
        e[off..off + 4].copy_from_slice(&((MAX_CIPHERTEXT + 1) as u32).to_be_bytes());
        assert_eq!(
            Frame::decode_body(&e),
            Err(FrameError::BadField("ciphertext"))
        );
        // Bad ack status.
        let mut a = Frame::Ack {
            id: [0; 16],
            status: AckStatus::Delivered,
        }
        .encode_body();
        a[17] = 9;
        assert_eq!(
            Frame::decode_body(&a),
            Err(FrameError::BadField("ack status"))
        );
    }
}
