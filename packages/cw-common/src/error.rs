//! The error enum every contract declares: its own variants plus the standard wrappers of
//! cosmwasm-std and cw-common errors, which would otherwise be repeated in each contract.

/// Declares a contract's error enum, deriving `thiserror::Error`, `Debug` and `PartialEq`, with
/// the standard variants named in `standard { .. }` first, each displayed as the error it wraps
/// and converted from it by `?`:
///
/// - `Std(StdError)`, `Overflow(OverflowError)`, `DivideByZero(DivideByZeroError)` of cosmwasm-std;
/// - `Funds(FundsError)`, payment errors (needs this crate's `funds` feature);
/// - `Migrate(MigrateError)`, a refused migration;
/// - `Handover(HandoverError)`, a refused step of the controller's hand-over (`handover` feature).
///
/// The contract crate must depend on `thiserror` and `cosmwasm-std`.
///
/// The contract's own wrapping variants use `#[error("{0}")]`: thiserror's `#[error(transparent)]`
/// binds a variable hygienically and does not compile on variants passed in to this macro.
///
/// ```ignore
/// bithive_cw_common::contract_error! {
///     pub enum ContractError {
///         standard { Std, Overflow, Migrate }
///
///         #[error("unauthorized")]
///         Unauthorized {},
///     }
/// }
/// ```
#[macro_export]
macro_rules! contract_error {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            standard { $($standard:ident),* $(,)? }
            $($variants:tt)*
        }
    ) => {
        #[derive(::thiserror::Error, Debug, PartialEq)]
        $(#[$meta])*
        $vis enum $name {
            $(
                #[error(transparent)]
                $standard(#[from] $crate::__standard_error_type!($standard)),
            )*
            $($variants)*
        }
    };
}

/// The error a standard variant of [`contract_error!`] wraps, by the variant's name.
#[doc(hidden)]
#[macro_export]
macro_rules! __standard_error_type {
    (Std) => {
        ::cosmwasm_std::StdError
    };
    (Overflow) => {
        ::cosmwasm_std::OverflowError
    };
    (DivideByZero) => {
        ::cosmwasm_std::DivideByZeroError
    };
    (Funds) => {
        $crate::funds::FundsError
    };
    (Migrate) => {
        $crate::MigrateError
    };
    (Handover) => {
        $crate::handover::HandoverError
    };
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::{DivideByZeroError, OverflowError, OverflowOperation, StdError};

    use crate::MigrateError;

    contract_error! {
        /// An enum with every standard variant and one of its own.
        pub enum TestError {
            standard { Std, Overflow, DivideByZero, Migrate }

            #[error("unauthorized: {role} only")]
            Unauthorized { role: &'static str },
        }
    }

    #[test]
    fn standard_variants_convert_and_display_as_the_wrapped_error() {
        let std = || StdError::generic_err("boom");
        assert_eq!(TestError::from(std()), TestError::Std(std()));
        assert_eq!(TestError::from(std()).to_string(), std().to_string());

        let overflow = || OverflowError::new(OverflowOperation::Add);
        assert_eq!(
            TestError::from(overflow()).to_string(),
            overflow().to_string()
        );

        let div = || DivideByZeroError::new();
        assert_eq!(TestError::from(div()).to_string(), div().to_string());

        let migrate = || MigrateError::Downgrade {
            stored: "2.0.0".into(),
            new: "1.0.0".into(),
        };
        assert_eq!(
            TestError::from(migrate()).to_string(),
            migrate().to_string()
        );

        let own = TestError::Unauthorized { role: "admin" };
        assert_eq!(own.to_string(), "unauthorized: admin only");
    }

    #[cfg(feature = "funds")]
    #[test]
    fn funds_variant_wraps_funds_error() {
        contract_error! {
            enum PayError {
                standard { Funds }
            }
        }
        let funds = || crate::funds::FundsError::ZeroAmount {};
        assert_eq!(PayError::from(funds()).to_string(), funds().to_string());
    }
}
