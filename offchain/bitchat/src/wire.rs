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
