//! What a chat client puts in a BitChat message body. Strict parser: unknown tags, short or
//! oversized fields are refused.

/// The node-level conversation every chat payload travels on: one stream per sender, so a
/// sender's commits and messages arrive in the order it sent them.
pub const CHAT_STREAM: u64 = 0x6269_7463_6861_7401; // "bitchat" + version

/// Largest payload accepted (the MLS crate's own limit plus the tag).
pub const MAX_PAYLOAD: usize = bithive_bitchat_mls::MAX_MLS_MESSAGE + 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// "Let us talk": a fresh key package the recipient invites with if it accepts.
    ContactRequest { key_package: Vec<u8> },
    /// A contact asks for a key package to add this account to a conversation.
    KeyPackageRequest,
    /// The answer to a [`Payload::KeyPackageRequest`].
    KeyPackage { key_package: Vec<u8> },
    /// An MLS welcome, commit, proposal or application message.
    Mls { message: Vec<u8> },
    /// "I have read your message": to its sender only, outside MLS (the carrier seals it), so a
    /// receipt costs one payload and no other member's ratchet moves.
    Read {
        conversation: [u8; 32],
        /// [`super::core::message_digest`] of the message read.
        message: [u8; 32],
    },
}

impl Payload {
    pub fn encode(&self) -> Vec<u8> {
        let read;
        let (tag, body): (u8, &[u8]) = match self {
            Payload::ContactRequest { key_package } => (1, key_package),
            Payload::KeyPackageRequest => (2, &[]),
            Payload::KeyPackage { key_package } => (3, key_package),
            Payload::Mls { message } => (4, message),
            Payload::Read {
                conversation,
                message,
            } => {
                read = [&conversation[..], &message[..]].concat();
                (5, &read)
            }
        };
        let mut out = Vec::with_capacity(1 + body.len());
        out.push(tag);
        out.extend_from_slice(body);
        out
    }

    pub fn decode(b: &[u8]) -> Result<Self, &'static str> {
        if b.len() > MAX_PAYLOAD {
            return Err("payload too large");
        }
        let (&tag, body) = b.split_first().ok_or("empty payload")?;
        let non_empty = |v: &[u8]| {
            if v.is_empty() {
                Err("empty field")
            } else {
                Ok(v.to_vec())
            }
        };
        match tag {
            1 => Ok(Payload::ContactRequest {
                key_package: non_empty(body)?,
            }),
            2 if body.is_empty() => Ok(Payload::KeyPackageRequest),
            3 => Ok(Payload::KeyPackage {
                key_package: non_empty(body)?,
            }),
            4 => Ok(Payload::Mls {
                message: non_empty(body)?,
            }),
            5 if body.len() == 64 => Ok(Payload::Read {
                conversation: body[..32].try_into().expect("32"),
                message: body[32..].try_into().expect("32"),
            }),
            _ => Err("unknown payload"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        for p in [
            Payload::ContactRequest {
                key_package: vec![1, 2],
            },
            Payload::KeyPackageRequest,
            Payload::KeyPackage {
                key_package: vec![3],
            },
            Payload::Mls {
                message: vec![4; 100],
            },
            Payload::Read {
                conversation: [1; 32],
                message: [2; 32],
            },
        ] {
            assert_eq!(Payload::decode(&p.encode()), Ok(p));
        }
        for bad in [
            &[][..],
            &[0],
            &[1],
            &[2, 0],
            &[4],
            &[9, 1],
            &[5; 64],
            &[5; 66],
        ] {
            assert!(Payload::decode(bad).is_err(), "{bad:?}");
        }
        assert!(Payload::decode(&vec![4; MAX_PAYLOAD + 1]).is_err());
    }
}
