//! One-line text fields as people type them (names, reasons, locations, serial numbers): trimmed,
//! inner whitespace collapsed to single spaces, and within a length. The one rule for every such
//! field, on the server and in the browser.

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
}
