//! The one rule for what a client may send, checked before any handler or query runs:
//!
//! - Text is UTF-8 without control characters; tab, carriage return and newline pass here
//!   (single-line fields refuse line breaks where they are parsed). Postgres refuses NUL bytes
//!   outright, so without this check a stray `%00` became a 500.
//! - A path with a control character names nothing we serve: 404.
//! - A server function's arguments must decode into its argument type. server_fn answers a
//!   decoding failure with a 500 and serde's message (which lists every valid value of an
//!   enum); here it is a 422 naming the field, and the function never runs.
//!
//! Bad query parameters and form fields answer 422 with a message naming the field.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;

use crate::model::error::AppError;
use crate::server::state::AppState;

pub async fn check_input(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if percent_decode(path.as_bytes())
        .is_none_or(|p| std::str::from_utf8(&p).is_err() || p.iter().any(|b| b.is_ascii_control()))
    {
        return AppError::NotFound.into_response();
    }
    let server_fn = path.starts_with("/api/");
    if let Some(query) = req.uri().query() {
        if let Err(problem) = check_pairs(query.as_bytes()) {
            return refuse(server_fn.then_some(path), problem);
        }
    }
    if req.method() != Method::POST || !is_form(&req) {
        return next.run(req).await;
    }
    // Form bodies are small, so reading one whole before the handler costs nothing worth
    // measuring; the request body limit applies here as it does further in.
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, state.config.max_request_body_bytes).await else {
        return AppError::TooLarge("The form is larger than this server accepts.".into()).into_response();
    };
    let path = parts.uri.path();
    let checked = check_pairs(&bytes).and_then(|()| match server_functions().get(path) {
        Some(arguments) => arguments.decode(&bytes),
        None => Ok(()),
    });
    if let Err(problem) = checked {
        return refuse(server_fn.then_some(path), problem);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn is_form(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// What was wrong, for the person: the field as the form names it, and why.
#[derive(Debug, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub reason: &'static str,
}

impl Problem {
    fn message(&self) -> String {
        let label = self.field.split('[').next().unwrap_or_default().replace('_', " ");
        format!("Check “{}”: {}.", label.trim(), self.reason)
    }
}

/// Server functions get the error in their own encoding (the page shows its message); other
/// routes get it as text.
fn refuse(server_fn: Option<&str>, problem: Problem) -> Response {
    let error = AppError::Invalid(problem.message());
    match server_fn {
        Some(path) => {
            let body = serde_json::to_string(&error).unwrap_or_default();
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (HeaderName::from_static(super::errors::SERVER_FN_ERROR_HEADER), path),
                ],
                body,
            )
                .into_response()
        }
        None => error.into_response(),
    }
}

/// `application/x-www-form-urlencoded` pairs (also a query string): every name and value must
/// decode to UTF-8 text without control characters other than tab and line breaks.
pub fn check_pairs(encoded: &[u8]) -> Result<(), Problem> {
    for pair in encoded.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let mut halves = pair.splitn(2, |b| *b == b'=');
        let name = decode_component(halves.next().unwrap_or_default());
        let value = decode_component(halves.next().unwrap_or_default());
        let field = name.clone().unwrap_or_else(|| "a field".into());
        let reason = match (&name, &value) {
            (None, _) | (_, None) => Some("it is not valid text"),
            (Some(n), Some(v)) if has_control(n) || has_control(v) => Some("it contains a control character"),
            _ => None,
        };
        if let Some(reason) = reason {
            return Err(Problem { field: field.chars().filter(|c| !c.is_control()).collect(), reason });
        }
    }
    Ok(())
}

/// Control characters other than tab, CR and LF (C0, DEL and C1).
pub fn has_control(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

fn decode_component(raw: &[u8]) -> Option<String> {
    let plus: Vec<u8> = raw.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
    String::from_utf8(percent_decode(&plus)?).ok()
}

/// Percent-decoding that refuses a `%` not followed by two hex digits.
fn percent_decode(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let hex = raw.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    Some(out)
}

/// What the guard knows of a server function's arguments: their names, and how to decode them.
#[derive(Clone, Copy)]
pub struct Arguments {
    decode: fn(&[u8]) -> Result<(), Problem>,
    names: fn() -> &'static [&'static str],
}

impl Arguments {
    pub fn decode(&self, body: &[u8]) -> Result<(), Problem> {
        (self.decode)(body)
    }

    /// The form field names, in the function's order (for tests that try each one).
    pub fn names(&self) -> &'static [&'static str] {
        (self.names)()
    }
}

/// Decodes a server function's arguments exactly as server_fn will (`PostUrl`: serde_qs with
/// the same settings), keeping the path of the field that failed.
fn decode_as<T: DeserializeOwned>(body: &[u8]) -> Result<(), Problem> {
    struct Tracked<T>(Result<T, Problem>);
    impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Tracked<T> {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Ok(Tracked(serde_path_to_error::deserialize(d).map_err(|err| {
                let path = err.path().to_string();
                let inner = err.into_inner().to_string();
                match missing_field(&inner) {
                    Some(field) if path == "." => Problem { field, reason: "it is missing" },
                    _ => Problem { field: path, reason: "the value is not valid" },
                }
            })))
        }
    }
    match serde_qs::Config::new(5, false).deserialize_bytes::<Tracked<T>>(body) {
        Ok(Tracked(result)) => result.map(drop),
        // The string itself did not parse (brackets, nesting): no field to name.
        Err(_) => Err(Problem { field: "the form".into(), reason: "it could not be read" }),
    }
}

fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_owned())
}

/// The field names of a server function's argument struct, as serde sees them: a deserializer
/// that only records what `deserialize_struct` is asked for.
fn names_of<T: DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{self, Visitor};
    struct Probe<'a>(&'a mut &'static [&'static str]);
    impl<'de> de::Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("names recorded"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
            unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut names: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut names));
    names
}

/// Every server function's arguments, by path. `tests/api/bad_input.rs` fails when a registered
/// server function is missing here.
pub fn server_functions() -> &'static HashMap<&'static str, Arguments> {
    static FUNCTIONS: OnceLock<HashMap<&'static str, Arguments>> = OnceLock::new();
    macro_rules! arguments {
        ($($f:path),* $(,)?) => {
            HashMap::from([$((<$f as ServerFn>::PATH, Arguments { decode: decode_as::<$f>, names: names_of::<$f> })),*])
        };
    }
    use crate::components::session;
    use crate::pages::*;
    FUNCTIONS.get_or_init(|| {
        arguments![
            session::GetSession,
            session::SwitchOrg,
            session::Logout,
            accounts::account::ChangePassword,
            accounts::account::Rename,
            accounts::account::GetSigningProfile,
            accounts::account::ChangeLegalName,
            accounts::account::SetSigningPin,
            accounts::security::SecurityOverview,
            accounts::security::ConfirmTotp,
            accounts::security::DisableTwoFactor,
            accounts::security::RenewRecoveryCodes,
            accounts::security::ListSessions,
            accounts::security::EndSession,
            accounts::security::KeepSession,
            accounts::security::PasskeyRegisterStart,
            accounts::security::PasskeyRegisterFinish,
            accounts::security::RenamePasskey,
            accounts::security::RemovePasskey,
            audit::ListAuditEvents,
            audit::VerifyAuditChain,
            auth::invitation::PreviewInvitation,
            auth::invitation::AcceptInvitation,
            auth::login::Login,
            auth::login::SecondFactor,
            auth::login::PasskeyLoginStart,
            auth::login::PasskeyLoginFinish,
            auth::login::SignInNotice,
            auth::password_reset::RequestPasswordReset,
            auth::password_reset::ResetPassword,
            auth::register::Register,
            auth::verify_email::VerifyEmail,
            auth::verify_email::ResendVerification,
            billing::GetBilling,
            billing::StartCheckout,
            billing::OpenBillingPortal,
            corrective_actions::ListCorrectiveActions,
            corrective_actions::OpenCorrectiveAction,
            corrective_actions::AssignCorrectiveAction,
            corrective_actions::CloseCorrectiveAction,
            corrective_actions::ActOnProblem,
            corrective_actions::DismissProblem,
            dashboard::GetDashboard,
            equipment::ListEquipment,
            equipment::CreateEquipment,
            equipment::UpdateEquipment,
            equipment::RetireEquipment,
            equipment::ReinstateEquipment,
            equipment::RegenerateQr,
            facilities::ListFacilities,
            facilities::CreateFacility,
            facilities::UpdateFacility,
            facilities::RetireFacility,
            equipment::labels::ListLabels,
            logs::LogCleaning,
            logs::AmendLog,
            logs::VerifyLog,
            logs::ListLogs,
            logs::reviews::ListReviews,
            audit::verify::CheckFile,
            logs::reviews::CountReviews,
            monitoring::ListRounds,
            monitoring::StartRound,
            monitoring::GetRound,
            monitoring::RecordSurface,
            monitoring::SignRound,
            notifications::GetInbox,
            notifications::CountUnread,
            notifications::MarkRead,
            notifications::SaveAlertSettings,
            platform::PlatformOverview,
            protocols::ListProtocols,
            protocols::CreateProtocol,
            protocols::ReviseProtocol,
            protocols::AssignProtocol,
            reports::GetReportOptions,
            reports::RequestExport,
            reports::ListExports,
            reports::InviteInspector,
            equipment::scan::ScanEquipment,
            equipment::scan::ReportProblem,
            schedules::SetSchedule,
            schedules::ClearSchedule,
            schedules::ListOverdue,
            accounts::settings::GetSettings,
            accounts::settings::UpdateSettings,
            accounts::settings::GetSignInRules,
            accounts::settings::UpdateSignInRules,
            accounts::settings::GetSsoSettings,
            accounts::settings::SaveSsoSettings,
            accounts::settings::RemoveSsoSettings,
            accounts::team::ListMembers,
            accounts::team::ChangeRole,
            accounts::team::RemoveMember,
            accounts::team::EndMemberSessions,
            accounts::team::InviteMember,
            accounts::team::ListInvitations,
            accounts::team::RevokeInvitation,
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_naming_the_field() {
        let problem = check_pairs(b"name=Ward%003&notes=ok").unwrap_err();
        assert_eq!(problem.field, "name");
        assert_eq!(problem.message(), "Check “name”: it contains a control character.");
        assert!(check_pairs(b"notes=line%0Aline%09tab&x=%7F").is_err());
        assert!(check_pairs(b"notes=line%0D%0Aline%09tab&name=caf%C3%A9+au+lait").is_ok());
    }

    #[test]
    fn text_that_is_not_utf8_or_not_percent_encoded_is_refused() {
        assert_eq!(check_pairs(b"name=%FF").unwrap_err().reason, "it is not valid text");
        assert_eq!(check_pairs(b"name=50%").unwrap_err().reason, "it is not valid text");
    }

    #[test]
    fn undecodable_arguments_name_their_field_and_not_the_valid_values() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Args {
            id: uuid::Uuid,
            contact_time_minutes: i32,
            role: crate::model::role::Role,
        }
        let id = "id=6f1c1f8e-2d3c-4b7a-9a53-0a3c5d2e1f00";
        let problem = decode_as::<Args>(format!("{id}&contact_time_minutes=ten&role=staff").as_bytes()).unwrap_err();
        assert_eq!(problem.field, "contact_time_minutes");
        let problem = decode_as::<Args>(format!("{id}&contact_time_minutes=1&role=superuser").as_bytes()).unwrap_err();
        assert_eq!(problem.message(), "Check “role”: the value is not valid.");
        let problem = decode_as::<Args>(b"contact_time_minutes=1&role=staff").unwrap_err();
        assert_eq!((problem.field.as_str(), problem.reason), ("id", "it is missing"));
        assert!(decode_as::<Args>(format!("{id}&contact_time_minutes=10&role=staff").as_bytes()).is_ok());
        assert_eq!(names_of::<Args>(), ["id", "contact_time_minutes", "role"]);
    }
}
