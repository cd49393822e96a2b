//! The energy counters a node reads around its run of the benchmark workload (ADR 007,
//! decision 5): NVML for a workload on an NVIDIA GPU, Linux powercap (Intel and AMD RAPL) for one
//! on the CPU. Where neither is readable there is no reading, and the attestors count the
//! tier's declared figure. A reading is the node's own claim either way: the attestors floor it
//! at half the tier's figure ([`crate::benchmark::penergy`]).
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::benchmark::{Meter, Metered};

/// A cumulative energy counter.
pub trait EnergyCounter: Send + Sync {
    fn meter(&self) -> Meter;
    /// The counter's reading in microjoules (from a fixed point: only differences mean
    /// anything); `None` when it cannot be read now.
    fn microjoules(&self) -> Option<u64>;
}

/// The CPU packages' counters (Linux powercap).
pub struct Rapl;

impl EnergyCounter for Rapl {
    fn meter(&self) -> Meter {
        Meter::Rapl
    }
    fn microjoules(&self) -> Option<u64> {
        rapl_microjoules()
    }
}

/// The CPU packages' energy counter (Linux powercap, Intel and AMD RAPL), summed over the
/// packages, in microjoules; `None` where there is none or it is not readable.
pub fn rapl_microjoules() -> Option<u64> {
    let dir = std::fs::read_dir("/sys/class/powercap").ok()?;
    let mut total = None;
    for entry in dir.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // `intel-rapl:0` is a package; `intel-rapl:0:0` its sub-domains (already counted).
        if !name.starts_with("intel-rapl:") || name.matches(':').count() != 1 {
            continue;
        }
        let text = std::fs::read_to_string(entry.path().join("energy_uj")).ok()?;
        let uj: u64 = text.trim().parse().ok()?;
        total = Some(total.unwrap_or(0u64).saturating_add(uj));
    }
    total
}

/// One NVIDIA GPU's total energy counter (`nvmlDeviceGetTotalEnergyConsumption`, millijoules
/// since the driver loaded; Volta and later), through the driver's `libnvidia-ml.so` loaded at
/// run time: a machine without the driver has no NVML and no reading.
pub struct Nvml {
    nvml: nvml_wrapper::Nvml,
    index: u32,
}

impl Nvml {
    /// NVML for GPU `index`, if the driver is there and the GPU has the counter.
    pub fn open(index: u32) -> Result<Nvml, String> {
        let nvml = nvml_wrapper::Nvml::init().map_err(|e| format!("NVML: {e}"))?;
        let meter = Nvml { nvml, index };
        meter
            .read()
            .map_err(|e| format!("GPU {index}'s energy counter: {e}"))?;
        Ok(meter)
    }

    fn read(&self) -> Result<u64, nvml_wrapper::error::NvmlError> {
        let device = self.nvml.device_by_index(self.index)?;
        Ok(device.total_energy_consumption()?.saturating_mul(1_000))
    }
}

impl EnergyCounter for Nvml {
    fn meter(&self) -> Meter {
        Meter::Nvml
    }
    fn microjoules(&self) -> Option<u64> {
        self.read().ok()
    }
}

/// The counter for a workload on CUDA device `cuda_device` (NVML), or on the CPU (`None`:
/// RAPL); `None` where it cannot be read. A GPU workload gets no CPU reading in NVML's place:
/// the CPU's counter would leave out the GPU doing the work.
pub fn counter_for(cuda_device: Option<u32>) -> Option<Arc<dyn EnergyCounter>> {
    match cuda_device {
        Some(index) => match Nvml::open(index) {
            Ok(m) => Some(Arc::new(m)),
            Err(e) => {
                tracing::warn!(error = %e, "no energy reading for the GPU workload: attestors count the tier's declared power");
                None
            }
        },
        None => rapl_microjoules().map(|_| Arc::new(Rapl) as Arc<dyn EnergyCounter>),
    }
}

/// Runs `run`, reading `counter` before and after it: its result, how long it took, and the
/// energy it used where the counter read both times and did not wrap.
pub fn metered<T>(
    counter: Option<&dyn EnergyCounter>,
    run: impl FnOnce() -> T,
) -> (T, Duration, Option<Metered>) {
    let before = counter.and_then(|c| c.microjoules());
    let started = Instant::now();
    let out = run();
    let elapsed = started.elapsed();
    let after = counter.and_then(|c| c.microjoules());
    let micros = elapsed.as_micros() as u64;
    let energy = match (counter, before, after) {
        (Some(c), Some(b), Some(a)) if a >= b && micros > 0 => Some(Metered {
            meter: c.meter(),
            microjoules: a - b,
            micros,
        }),
        _ => None,
    };
    (out, elapsed, energy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A counter returning its readings in turn.
    struct Readings(Mutex<Vec<Option<u64>>>);

    impl EnergyCounter for Readings {
        fn meter(&self) -> Meter {
            Meter::Nvml
        }
        fn microjoules(&self) -> Option<u64> {
            self.0.lock().unwrap().remove(0)
        }
    }

    fn run(readings: Vec<Option<u64>>) -> Option<Metered> {
        let c = Readings(Mutex::new(readings));
        metered(Some(&c), || std::thread::sleep(Duration::from_millis(2))).2
    }

    #[test]
    fn a_reading_is_the_difference_over_the_run() {
        let m = run(vec![Some(1_000), Some(51_000)]).unwrap();
        assert_eq!((m.meter, m.microjoules), (Meter::Nvml, 50_000));
        assert!(m.micros >= 2_000);
    }

    #[test]
    fn no_reading_from_a_counter_that_wrapped_or_failed() {
        assert_eq!(run(vec![Some(5_000), Some(1_000)]), None);
        assert_eq!(run(vec![None, Some(1_000)]), None);
        assert_eq!(run(vec![Some(1_000), None]), None);
        let ((), _, none) = metered(None, || ());
        assert_eq!(none, None);
    }

    /// Without NVIDIA's driver (this project's test machines) a GPU workload has no reading
    /// rather than the CPU's; with it, GPU 0's counter reads.
    #[test]
    fn a_gpu_workload_is_metered_by_nvml_or_not_at_all() {
        match Nvml::open(0) {
            Ok(m) => {
                assert!(m.microjoules().is_some());
                assert_eq!(counter_for(Some(0)).unwrap().meter(), Meter::Nvml);
            }
            Err(e) => {
                assert!(e.starts_with("NVML") || e.contains("energy counter"), "{e}");
                assert!(counter_for(Some(0)).is_none());
            }
        }
    }
}
