//! quinn endpoints with a selectable congestion controller.
//!
//! TLS here only encrypts the hop and carries a per-node certificate; peer identity is the chain
//! account key, proven after the handshake (see [`crate::auth`]) and bound to this very TLS
//! session via a keying-material exporter, so the TLS layer accepts any certificate.

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use bithive_bitchat_cc::BitChatFactory;
use quinn::congestion::{BbrConfig, CubicConfig, NewRenoConfig};
use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{ClientConfig, Endpoint, EndpointConfig, ServerConfig, TransportConfig, VarInt};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::error::BitChatError;

/// ALPN of the BitChat protocol.
pub const ALPN: &[u8] = b"bitchat/1";

/// Which congestion controller quinn uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CongestionChoice {
    BitChat,
    Cubic,
    Bbr,
    NewReno,
}

impl CongestionChoice {
    pub const ALL: [CongestionChoice; 4] = [Self::BitChat, Self::Cubic, Self::Bbr, Self::NewReno];

    pub fn name(self) -> &'static str {
        match self {
            Self::BitChat => "bitchat",
            Self::Cubic => "cubic",
            Self::Bbr => "bbr",
            Self::NewReno => "newreno",
        }
    }
}

impl std::fmt::Display for CongestionChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CongestionChoice {
    type Err = BitChatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == s.to_ascii_lowercase())
            .ok_or_else(|| BitChatError::Config(format!("unknown congestion controller {s:?}")))
    }
}

/// Transport parameters: flow-control windows sized for 100 Mbit/s x 200 ms plus headroom.
pub fn transport_config(cc: CongestionChoice) -> TransportConfig {
    let mut t = TransportConfig::default();
    match cc {
        CongestionChoice::BitChat => {
            t.congestion_controller_factory(Arc::new(BitChatFactory::default()))
        }
        CongestionChoice::Cubic => {
            t.congestion_controller_factory(Arc::new(CubicConfig::default()))
        }
        CongestionChoice::Bbr => t.congestion_controller_factory(Arc::new(BbrConfig::default())),
        CongestionChoice::NewReno => {
            t.congestion_controller_factory(Arc::new(NewRenoConfig::default()))
        }
    };
    let window = 16u32 << 20;
    t.stream_receive_window(VarInt::from_u32(window))
        .receive_window(VarInt::from_u32(2 * window))
        .send_window(2 * u64::from(window))
        .max_concurrent_uni_streams(VarInt::from_u32(256))
        .max_concurrent_bidi_streams(VarInt::from_u32(256))
        .keep_alive_interval(Some(Duration::from_secs(5)));
    if let Ok(idle) = Duration::from_secs(30).try_into() {
        t.max_idle_timeout(Some(idle));
    }
    t
}

/// A node's TLS certificate and key (self-signed, fresh per node start).
pub struct NodeCert {
    pub cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl NodeCert {
    pub fn generate() -> Result<Self, BitChatError> {
        let ck = rcgen::generate_simple_self_signed(vec!["bitchat.node".to_string()])
            .map_err(|e| BitChatError::Tls(e.to_string()))?;
        Ok(Self {
            cert: ck.cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()),
        })
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A UDP socket with 4 MiB buffers (the default 208 KiB drops bursts at 100 Mbit/s).
pub fn bind_socket(addr: SocketAddr) -> Result<std::net::UdpSocket, BitChatError> {
    let s = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    let _ = s.set_recv_buffer_size(4 << 20);
    let _ = s.set_send_buffer_size(4 << 20);
    s.bind(&addr.into())?;
    Ok(s.into())
}

fn server_config(cert: &NodeCert, cc: CongestionChoice) -> Result<ServerConfig, BitChatError> {
    let mut tls = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| BitChatError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.cert.clone()],
            PrivateKeyDer::Pkcs8(cert.key.clone_key()),
        )
        .map_err(|e| BitChatError::Tls(e.to_string()))?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    tls.max_early_data_size = 0;
    let quic = QuicServerConfig::try_from(tls).map_err(|e| BitChatError::Tls(e.to_string()))?;
    let mut cfg = ServerConfig::with_crypto(Arc::new(quic));
    cfg.transport_config(Arc::new(transport_config(cc)));
    Ok(cfg)
}

fn client_config(cc: CongestionChoice) -> Result<ClientConfig, BitChatError> {
    let provider = provider();
    let mut tls = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| BitChatError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(SessionBoundVerifier(provider)))
        .with_no_client_auth();
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let quic = QuicClientConfig::try_from(tls).map_err(|e| BitChatError::Tls(e.to_string()))?;
    let mut cfg = ClientConfig::new(Arc::new(quic));
    cfg.transport_config(Arc::new(transport_config(cc)));
    Ok(cfg)
}

/// An endpoint that accepts and opens connections with controller `cc`.
pub fn endpoint(
    addr: SocketAddr,
    cert: &NodeCert,
    cc: CongestionChoice,
) -> Result<Endpoint, BitChatError> {
    let socket = bind_socket(addr)?;
    let runtime = quinn::default_runtime()
        .ok_or_else(|| BitChatError::Config("no async runtime".to_string()))?;
    let mut ep = Endpoint::new(
        EndpointConfig::default(),
        Some(server_config(cert, cc)?),
        socket,
        runtime,
    )?;
    ep.set_default_client_config(client_config(cc)?);
    Ok(ep)
}

/// Accepts any server certificate but still checks the handshake signature with the
/// certificate's key: who the peer is gets proven by the account-key exchange bound to this
/// session's exporter secret ([`crate::auth`]).
#[derive(Debug)]
struct SessionBoundVerifier(Arc<CryptoProvider>);

impl ServerCertVerifier for SessionBoundVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("TLS 1.2 is not used".to_string()))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
