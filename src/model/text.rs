//! One-line text fields as people type them (names, reasons, locations, serial numbers): trimmed,
//! inner whitespace collapsed to single spaces, and within a length. The one rule for every such
//! field, on the server and in the browser.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::AppError;

/// `raw` as stored: an error names `what` ("the facility's name") when it is required and empty
/// or longer than `max` characters.
pub fn one_line(raw: &str, what: &str, max: usize, required: bool) -> Result<String, AppError> {
    let value = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if required && value.is_empty() {
        return Err(AppError::Invalid(format!("Enter {what}.")));
    }
    if value.chars().count() > max {
        return Err(AppError::Invalid(format!("Keep {what} under {max} characters.")));
    }
    Ok(value)
}

/// A required one-line name with its own limit and its own words in errors: parsed once where
/// it enters (a server function's input), carried as the type after, and its limit is the
/// `maxlength` of the field that asks for it in the browser.
macro_rules! name_type {
    ($($(#[$doc:meta])* $name:ident: $what:literal, $max:literal;)+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The most characters it may have (the form field's `maxlength`).
            pub const MAX: usize = $max;

            pub fn parse(raw: &str) -> Result<$name, AppError> {
                one_line(raw, $what, $max, true).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )+};
}

name_type! {
    /// What a person is called in the product (the header, lists, emails).
    PersonName: "your name", 100;
    /// A person's full legal name, printed under their signatures (21 CFR 11.50).
    LegalName: "your full legal name", 200;
    OrgName: "the organization's name", 120;
    FacilityName: "the facility's name", 120;
    EquipmentName: "the equipment's name", 120;
    ProtocolName: "the protocol's name", 120;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_are_collapsed_and_limits_named() {
        assert_eq!(one_line("  Hood \t 1\n", "the name", 10, true).unwrap(), "Hood 1");
        assert_eq!(one_line("   ", "the serial", 10, false).unwrap(), "");
        assert_eq!(one_line(" ", "the name", 10, true).unwrap_err(), AppError::Invalid("Enter the name.".into()));
        assert_eq!(
            one_line("abcdefghijk", "the name", 10, true).unwrap_err(),
            AppError::Invalid("Keep the name under 10 characters.".into())
        );
        assert_eq!(one_line("ééééé", "the name", 5, true).unwrap(), "ééééé", "characters, not bytes");
    }

    #[test]
    fn a_name_is_parsed_once_with_its_own_words_and_limit() {
        assert_eq!(PersonName::parse("  Ana \t Lima ").unwrap().as_str(), "Ana Lima");
        assert_eq!(FacilityName::parse(" ").unwrap_err(), AppError::Invalid("Enter the facility's name.".into()));
        let long = "x".repeat(LegalName::MAX + 1);
        assert_eq!(
            LegalName::parse(&long).unwrap_err(),
            AppError::Invalid(format!("Keep your full legal name under {} characters.", LegalName::MAX))
        );
        assert_eq!(serde_json::to_string(&OrgName::parse("North Clinic").unwrap()).unwrap(), "\"North Clinic\"");
    }
}
