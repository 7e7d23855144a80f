//! The password rule, after NIST SP 800-63B: length matters, composition rules do not. The
//! browser checks length as you type; the server also refuses the most common passwords.

pub const MIN_LENGTH: usize = 12;
/// Long enough for any passphrase, short enough that hashing it cannot be used to tie up the server.
pub const MAX_LENGTH: usize = 128;

/// Length rule only; `server::auth::password::check_new` adds the common-password list.
pub fn length_problem(password: &str) -> Option<String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        Some(format!("Use at least {MIN_LENGTH} characters; a few words make a good password."))
    } else if length > MAX_LENGTH {
        Some(format!("Use at most {MAX_LENGTH} characters."))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_what_counts() {
        assert!(length_problem("Sh0rt!").is_some());
        assert!(length_problem("correct horse battery").is_none());
        assert!(length_problem(&"x".repeat(129)).is_some());
        // Characters, not bytes: twelve accented letters are twelve characters.
        assert!(length_problem("éééééééééééé").is_none());
    }
}
