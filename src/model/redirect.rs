//! Where to send someone after signing in: only ever a path on this site.

/// Where signed-in people land by default.
pub const HOME: &str = "/app";

/// `next` if it is a local path, else [`HOME`]. Refuses `//evil.example` (protocol-relative),
/// `/\evil.example` (browsers treat `\` as `/`), schemes, and control characters, so a crafted
/// sign-in link can never bounce a user to another site.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control() || c == '\\') =>
        {
            path
        }
        _ => HOME,
    }
}

/// `value` as one query-string value (`/q/abc?x=1` → `/q/abc%3Fx%3D1`; `/` may stay as it is
/// there), for a `next` parameter in a link.
pub fn encode_component(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_encoded_as_one_component() {
        assert_eq!(encode_component("/q/a-b_c?x=1&y=é"), "/q/a-b_c%3Fx%3D1%26y%3D%C3%A9");
    }

    #[test]
    fn local_paths_are_kept() {
        assert_eq!(safe_next(Some("/team?tab=invites")), "/team?tab=invites");
    }

    #[test]
    fn anything_that_could_leave_the_site_goes_home() {
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil.example",
            "/\t/evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), HOME, "{bad:?}");
        }
        assert_eq!(safe_next(None), HOME);
    }
}
