//! The envelope protocol: one request carries one opaque BitChat envelope (already end-to-end
//! encrypted by the layer above), the answer is one status byte. Length-prefixed, bounded.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;

pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/bithive/bitchat/envelope/1");

/// Largest envelope carried (a message, or one content-addressed chunk).
pub const MAX_ENVELOPE_BYTES: usize = 256 * 1024;

/// What the receiver did with an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    /// Taken: it is the receiver's now.
    Accepted,
    /// The receiver's queue for this sender is full: try later.
    Busy,
}

#[derive(Debug, Clone, Default)]
pub struct EnvelopeCodec;

/// Reads a u32 big-endian length (1 to `max`) and that many bytes: the framing of both
/// protocols of this crate.
pub(crate) async fn read_prefixed<T: AsyncRead + Unpin + Send>(
    io: &mut T,
    what: &str,
    max: usize,
) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len == 0 || len > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{what} of {len} bytes, 1 to {max}"),
        ));
    }
    let mut buf = vec![0u8; len];
    io.read_exact(&mut buf).await?;
    Ok(buf)
}

/// Writes `bytes` with the u32 big-endian length [`read_prefixed`] reads.
pub(crate) async fn write_prefixed<T: AsyncWrite + Unpin + Send>(
    io: &mut T,
    bytes: &[u8],
) -> io::Result<()> {
    io.write_all(&(bytes.len() as u32).to_be_bytes()).await?;
    io.write_all(bytes).await
}

#[async_trait::async_trait]
impl libp2p::request_response::Codec for EnvelopeCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Ack;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_prefixed(io, "envelope", MAX_ENVELOPE_BYTES).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Ack>
    where
        T: AsyncRead + Unpin + Send,
    {
        let mut b = [0u8; 1];
        io.read_exact(&mut b).await?;
        match b[0] {
            0 => Ok(Ack::Accepted),
            1 => Ok(Ack::Busy),
            x => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("unknown acknowledgement {x}"),
            )),
        }
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        if req.is_empty() || req.len() > MAX_ENVELOPE_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("envelope of {} bytes, 1 to {MAX_ENVELOPE_BYTES}", req.len()),
            ));
        }
        write_prefixed(io, &req).await?;
        io.close().await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        ack: Ack,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&[match ack {
            Ack::Accepted => 0,
            Ack::Busy => 1,
        }])
        .await?;
        io.close().await
    }
}
