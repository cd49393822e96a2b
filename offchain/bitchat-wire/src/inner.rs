//! Plaintext of a sealed envelope: a conversation message or a delivery receipt.

/// Plaintext inside an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inner {
    Message {
        conversation: u64,
        seq: u64,
        prev_expires_at: u64,
        body: Vec<u8>,
    },
    Receipt {
        id: [u8; 16],
    },
}

impl Inner {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Inner::Message {
                conversation,
                seq,
                prev_expires_at,
                body,
            } => {
                out.push(1);
                out.extend_from_slice(&conversation.to_be_bytes());
                out.extend_from_slice(&seq.to_be_bytes());
                out.extend_from_slice(&prev_expires_at.to_be_bytes());
                out.extend_from_slice(body);
            }
            Inner::Receipt { id } => {
                out.push(2);
                out.extend_from_slice(id);
            }
        }
        out
    }

    pub fn decode(b: &[u8]) -> Option<Inner> {
        let (&kind, rest) = b.split_first()?;
        let u64_at = |i: usize| -> Option<u64> {
            Some(u64::from_be_bytes(rest.get(i..i + 8)?.try_into().ok()?))
        };
        match kind {
            1 => Some(Inner::Message {
                conversation: u64_at(0)?,
                seq: u64_at(8)?,
                prev_expires_at: u64_at(16)?,
                body: rest.get(24..)?.to_vec(),
            }),
            2 if rest.len() == 16 => Some(Inner::Receipt {
                id: rest.try_into().ok()?,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_round_trip() {
        for i in [
            Inner::Message {
                conversation: 1,
                seq: 2,
                prev_expires_at: 3,
                body: b"hi".to_vec(),
            },
            Inner::Receipt { id: [4; 16] },
        ] {
            assert_eq!(Inner::decode(&i.encode()), Some(i));
        }
        assert_eq!(Inner::decode(&[2, 1]), None);
        assert_eq!(Inner::decode(&[]), None);
    }
}
