//! Store and forward for accounts that are away: the mailbox protocol between a node and the
//! public nodes it relays through.
//!
//! A sender that cannot reach an account leaves the envelope at the relays named in the
//! account's record (`Deliver`, answered by `Ack`); the account fetches from its relays when a
//! reservation is granted and every minute while connected (`MailboxFetch`, answered by
//! `MailboxItem`s and `MailboxEnd`), then confirms (`MailboxAck`) so the relay drops them. The
//! connection authenticates both ends: a relay keeps an envelope only if its `from` is the
//! depositor's own account and hands envelopes only to the account they are addressed to. The
//! store is BitChat's relay [`Mailbox`](bithive_bitchat::mailbox::Mailbox): quotas per sender
//! and in all, TTLs, sealed at rest and 0600.

use std::io;

use bithive_bitchat::frame::{Frame, MAX_FRAME};
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;

pub const PROTOCOL: StreamProtocol = StreamProtocol::new("/bithive/bitchat/mailbox/1");

/// Envelopes handed out per fetch (each at most 256 KiB: a 4 MiB answer at most).
pub const FETCH_BATCH: usize = 16;
/// Frames in one answer.
const MAX_ANSWER_FRAMES: usize = FETCH_BATCH + 1;

#[derive(Debug, Clone, Default)]
pub struct MailboxCodec;

async fn read_frame<T: AsyncRead + Unpin + Send>(io: &mut T) -> io::Result<Frame> {
    let buf = crate::codec::read_prefixed(io, "frame", MAX_FRAME).await?;
    Frame::decode_body(&buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

async fn write_frame<T: AsyncWrite + Unpin + Send>(io: &mut T, f: &Frame) -> io::Result<()> {
    crate::codec::write_prefixed(io, &f.encode_body()).await
}

#[async_trait::async_trait]
impl libp2p::request_response::Codec for MailboxCodec {
    type Protocol = StreamProtocol;
    type Request = Frame;
    type Response = Vec<Frame>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Frame>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_frame(io).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<Frame>>
    where
        T: AsyncRead + Unpin + Send,
    {
        let mut n = [0u8; 2];
        io.read_exact(&mut n).await?;
        let n = u16::from_be_bytes(n) as usize;
        if n > MAX_ANSWER_FRAMES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{n} frames in an answer, at most {MAX_ANSWER_FRAMES}"),
            ));
        }
        let mut frames = Vec::with_capacity(n);
        for _ in 0..n {
            frames.push(read_frame(io).await?);
        }
        Ok(frames)
    }

    async fn write_request<T>(&mut self, _: &StreamProtocol, io: &mut T, f: Frame) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &f).await?;
        io.close().await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        frames: Vec<Frame>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let n = frames.len().min(MAX_ANSWER_FRAMES);
        io.write_all(&(n as u16).to_be_bytes()).await?;
        for f in frames.iter().take(n) {
            write_frame(io, f).await?;
        }
        io.close().await
    }
}
