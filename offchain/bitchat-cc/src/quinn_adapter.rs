//! quinn-proto adapter: [`BitChat`] implements `congestion::Controller`, [`BitChatFactory`]
//! implements `ControllerFactory`. All logic lives in [`crate::BitChatCore`].

use std::any::Any;
use std::sync::Arc;
use std::time::Instant;

use quinn_proto::congestion::{Controller, ControllerFactory, ControllerMetrics};
use quinn_proto::RttEstimator;

use crate::{BitChatConfig, BitChatCore};

/// The BitChat congestion controller as seen by quinn.
#[derive(Debug, Clone)]
pub struct BitChat {
    core: BitChatCore,
}

impl BitChat {
    pub fn new(cfg: BitChatConfig, now: Instant, mtu: u16) -> Self {
        Self {
            core: BitChatCore::new(cfg, now, mtu),
        }
    }
    pub fn core(&self) -> &BitChatCore {
        &self.core
    }
}

impl Controller for BitChat {
    fn on_ack(
        &mut self,
        now: Instant,
        sent: Instant,
        bytes: u64,
        app_limited: bool,
        rtt: &RttEstimator,
    ) {
        self.core.on_ack(now, sent, bytes, app_limited, rtt.get());
    }

    fn on_congestion_event(
        &mut self,
        now: Instant,
        sent: Instant,
        is_persistent_congestion: bool,
        lost_bytes: u64,
    ) {
        self.core
            .on_congestion_event(now, sent, is_persistent_congestion, lost_bytes);
    }

    fn on_mtu_update(&mut self, new_mtu: u16) {
        self.core.on_mtu_update(new_mtu);
    }

    fn window(&self) -> u64 {
        self.core.window()
    }

    fn metrics(&self) -> ControllerMetrics {
        let mut m = ControllerMetrics::default();
        m.congestion_window = self.core.window();
        m.ssthresh = Some(self.core.ssthresh());
        m
    }

    fn clone_box(&self) -> Box<dyn Controller> {
        Box::new(self.clone())
    }

    fn initial_window(&self) -> u64 {
        self.core.config().initial_window
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// Builds a [`BitChat`] controller per connection.
#[derive(Debug, Clone, Default)]
pub struct BitChatFactory {
    pub config: BitChatConfig,
}

impl ControllerFactory for BitChatFactory {
    fn build(self: Arc<Self>, now: Instant, current_mtu: u16) -> Box<dyn Controller> {
        Box::new(BitChat::new(self.config.clone(), now, current_mtu))
    }
}
