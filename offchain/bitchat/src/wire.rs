//! Reading and writing frames on quinn streams, with the size bound enforced before allocation.

use quinn::{RecvStream, SendStream};

use crate::error::BitChatError;
use crate::frame::{Frame, FrameError, MAX_FRAME};

pub async fn write_frame(send: &mut SendStream, f: &Frame) -> Result<(), BitChatError> {
    send.write_all(&f.encode()).await?;
    Ok(())
}

/// Read one frame; `Ok(None)` on a clean end of stream.
pub async fn read_frame(recv: &mut RecvStream) -> Result<Option<Frame>, BitChatError> {
    let mut len = [0u8; 4];
    match recv.read_exact(&mut len).await {
        Ok(()) => {}
        Err(quinn::ReadExactError::FinishedEarly(0)) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(BitChatError::Frame(FrameError::Oversized(len)));
    }
    let mut body = vec![0u8; len];
    recv.read_exact(&mut body).await?;
    Ok(Some(Frame::decode_body(&body)?))
}

/// Read one length-prefixed frame's bytes, prefix included, for the protocol core to parse;
/// `Ok(None)` on a clean end of stream. A length over the limit is not read past: the prefix
/// alone comes back, and the core refuses it as oversized.
pub async fn read_datagram(recv: &mut RecvStream) -> Result<Option<Vec<u8>>, BitChatError> {
    let mut len = [0u8; 4];
    match recv.read_exact(&mut len).await {
        Ok(()) => {}
        Err(quinn::ReadExactError::FinishedEarly(0)) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let n = u32::from_be_bytes(len) as usize;
    if n > MAX_FRAME {
        return Ok(Some(len.to_vec()));
    }
    let mut buf = vec![0u8; 4 + n];
    buf[..4].copy_from_slice(&len);
    recv.read_exact(&mut buf[4..]).await?;
    Ok(Some(buf))
}
