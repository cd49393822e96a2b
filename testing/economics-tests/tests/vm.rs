//! The integration story (`bithive_economics_tests::year`) on the committed `artifacts/*.wasm`
//! in cosmwasm-vm 3 (bithive-vm-host): the same year, the same assertions as the multi-test run,
//! with signatures verified by the VM's secp256k1 and wasmd storage gas metered.

use bithive_economics_tests::{year, Vm};

#[test]
fn a_simulated_year_on_the_artifacts() {
    year::a_simulated_year(Vm::new());
}
