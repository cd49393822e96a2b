//! The integration story (`bithive_economics_tests::year`) with the contracts as Rust code in
//! cw-multi-test. `tests/vm.rs` runs the same story on the committed artifacts.

use bithive_economics_tests::{year, MultiTest};

#[test]
fn a_simulated_year_in_multi_test() {
    year::a_simulated_year(MultiTest::new());
}
