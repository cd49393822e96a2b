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
    /// The GPU's UUID: NVML's own name for it, whatever the numbering.
    uuid: String,
}

impl Nvml {
    /// NVML for the GPU that CUDA numbers `ordinal` (ONNX Runtime's `cuda_device_id`), if the
    /// driver is there and the GPU has the counter.
    pub fn open(ordinal: u32) -> Result<Nvml, String> {
        let nvml = nvml_wrapper::Nvml::init().map_err(|e| format!("NVML: {e}"))?;
        let uuid = {
            let visible = std::env::var("CUDA_VISIBLE_DEVICES").ok();
            let order = std::env::var("CUDA_DEVICE_ORDER").ok();
            let count = nvml.device_count().map_err(|e| format!("NVML: {e}"))?;
            let device =
                match cuda_to_nvml(ordinal, visible.as_deref(), order.as_deref(), count)? {
                    NvmlRef::Index(i) => nvml.device_by_index(i),
                    NvmlRef::Uuid(u) => nvml.device_by_uuid(u),
                }
                .map_err(|e| format!("GPU {ordinal}: {e}"))?;
            device.uuid().map_err(|e| format!("GPU {ordinal}: {e}"))?
        };
        let meter = Nvml { nvml, uuid };
        meter
            .read()
            .map_err(|e| format!("GPU {ordinal}'s energy counter: {e}"))?;
        Ok(meter)
    }

    fn read(&self) -> Result<u64, nvml_wrapper::error::NvmlError> {
        let device = self.nvml.device_by_uuid(self.uuid.as_str())?;
        Ok(device.total_energy_consumption()?.saturating_mul(1_000))
    }
}

/// How NVML names the GPU CUDA numbers `ordinal`.
#[derive(Debug, PartialEq, Eq)]
enum NvmlRef {
    Index(u32),
    Uuid(String),
}

/// CUDA numbers the GPUs `CUDA_VISIBLE_DEVICES` leaves (indices or UUIDs), in its order, and by
/// default fastest first; NVML numbers every GPU by PCI bus. They agree only without
/// `CUDA_VISIBLE_DEVICES` and with `CUDA_DEVICE_ORDER=PCI_BUS_ID`, or on a single GPU.
fn cuda_to_nvml(
    ordinal: u32,
    visible: Option<&str>,
    order: Option<&str>,
    count: u32,
) -> Result<NvmlRef, String> {
    match visible.map(str::trim).filter(|v| !v.is_empty()) {
        Some(list) => {
            let entry = list
                .split(',')
                .map(str::trim)
                .nth(ordinal as usize)
                .ok_or_else(|| {
                    format!("CUDA device {ordinal} is not in CUDA_VISIBLE_DEVICES={list}")
                })?;
            match entry.parse::<u32>() {
                Ok(i) => Ok(NvmlRef::Index(i)),
                Err(_) if entry.starts_with("GPU-") => Ok(NvmlRef::Uuid(entry.to_string())),
                Err(_) => Err(format!(
                    "CUDA_VISIBLE_DEVICES entry {entry:?}: an index or a GPU-... UUID"
                )),
            }
        }
        None if count > 1 && order != Some("PCI_BUS_ID") => Err(format!(
            "{count} GPUs: set CUDA_DEVICE_ORDER=PCI_BUS_ID (CUDA's default order is not NVML's)"
        )),
        None => Ok(NvmlRef::Index(ordinal)),
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
        // No reading from a counter that did not move (it updates coarsely; a zero would be
        // floored to the tier's best figure) or went back (wrapped).
        (Some(c), Some(b), Some(a)) if a > b && micros > 0 => Some(Metered {
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
    fn cuda_numbering_is_mapped_to_nvmls() {
        use NvmlRef::*;
        assert_eq!(cuda_to_nvml(0, None, None, 1), Ok(Index(0)));
        assert_eq!(cuda_to_nvml(1, None, Some("PCI_BUS_ID"), 4), Ok(Index(1)));
        assert!(cuda_to_nvml(1, None, None, 4)
            .unwrap_err()
            .contains("CUDA_DEVICE_ORDER"));
        assert_eq!(cuda_to_nvml(0, Some("3,1"), None, 4), Ok(Index(3)));
        assert_eq!(cuda_to_nvml(1, Some(" 3, 1 "), None, 4), Ok(Index(1)));
        assert_eq!(
            cuda_to_nvml(0, Some("GPU-8a1b"), None, 4),
            Ok(Uuid("GPU-8a1b".into()))
        );
        assert!(cuda_to_nvml(2, Some("3,1"), None, 4).is_err());
        assert!(cuda_to_nvml(0, Some("MIG-x"), None, 4).is_err());
    }

    #[test]
    fn no_reading_from_a_counter_that_wrapped_stood_still_or_failed() {
        assert_eq!(run(vec![Some(5_000), Some(5_000)]), None);
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
