//! Server functions for cleaning logs; the QR landing (`pages::equipment::scan`) is their screen.

// A server function's arguments are its form's fields (and the code its macro writes from them
// cannot carry an attribute), so the cleaning forms' many fields are many arguments.
#![allow(clippy::too_many_arguments)]

pub mod checklist;
pub mod history;
pub mod reviews;

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::model::error::AppError;
use crate::model::ids::{EquipmentId, LogId, PhotoId};
use crate::model::logs::CleaningLog;

/// Records a cleaning, signed by the caller ("performed"). The checklist's answers are keyed by
/// step number: `done` (ticked), `reading`, `text`, `na` with `na_reason` (not applicable).
/// `product_lot`/`product_expiry`: the disinfectant's, when the protocol asks. `applied_at`: when
/// the disinfectant went on (time of day in the facility's zone), for a timed contact.
/// `submission_key`: the form's one-time key; sent again, it answers with the same log.
/// `no_protocol_reason`: required when the equipment has no protocol. `performed_local`: when it
/// was performed, in the facility's time zone, for a cleaning recorded afterwards;
/// `late_entry_reason` is required when that is longer ago than the organization allows.
/// `entered_offline`: sent from a phone's queue after a time without a connection, `performed_at`
/// being the moment it was signed there.
#[server(endpoint = "log_cleaning")]
pub async fn log_cleaning(
    equipment_id: EquipmentId,
    outcome: String,
    notes: String,
    performed_at: Option<String>,
    done: Option<BTreeMap<String, String>>,
    password: Option<String>,
    photos: Option<Vec<PhotoId>>,
    submission_key: Option<uuid::Uuid>,
    no_protocol_reason: Option<String>,
    performed_local: Option<String>,
    late_entry_reason: Option<String>,
    entered_offline: Option<bool>,
    reading: Option<BTreeMap<String, String>>,
    text: Option<BTreeMap<String, String>>,
    na: Option<BTreeMap<String, String>>,
    na_reason: Option<BTreeMap<String, String>>,
    product_lot: Option<String>,
    product_expiry: Option<String>,
    applied_at: Option<String>,
) -> Result<LogId, AppError> {
    use crate::server::logs::signatures::signing;
    use crate::server::logs::{self, checklist::Answers, LogForm};
    let photos = photos.unwrap_or_default();
    let answers = Answers::from_form(done, reading, text, na, na_reason);
    let form = LogForm {
        outcome,
        notes,
        performed_at,
        answers,
        product_lot,
        product_expiry,
        applied_at,
        photos,
        submission_key,
        no_protocol_reason,
        performed_local,
        late_entry_reason,
        entered_offline: entered_offline.unwrap_or(false),
    };
    signing(password, async |tx, signer| logs::record(tx, equipment_id, &form, signer).await).await
}

/// Records a correction of a log: a new log naming the original and the reason; both stay.
#[server(endpoint = "amend_log")]
pub async fn amend_log(
    log_id: LogId,
    reason: String,
    outcome: String,
    notes: String,
    performed_at: Option<String>,
    done: Option<BTreeMap<String, String>>,
    password: Option<String>,
    photos: Option<Vec<PhotoId>>,
    submission_key: Option<uuid::Uuid>,
    no_protocol_reason: Option<String>,
    reading: Option<BTreeMap<String, String>>,
    text: Option<BTreeMap<String, String>>,
    na: Option<BTreeMap<String, String>>,
    na_reason: Option<BTreeMap<String, String>>,
) -> Result<LogId, AppError> {
    use crate::server::logs::signatures::signing;
    use crate::server::logs::{self, checklist::Answers, LogForm};
    let photos = photos.unwrap_or_default();
    let answers = Answers::from_form(done, reading, text, na, na_reason);
    let form = LogForm {
        outcome,
        notes,
        performed_at,
        answers,
        product_lot: None,
        product_expiry: None,
        applied_at: None,
        photos,
        submission_key,
        no_protocol_reason,
        performed_local: None,
        late_entry_reason: None,
        entered_offline: false,
    };
    signing(password, async |tx, signer| logs::amend(tx, log_id, &reason, &form, signer).await).await
}

/// Adds the caller's "verified" signature to someone else's log. `password`: the signer's
/// password or signing PIN, when the organization has strict signatures (see
/// `server::logs::signatures`).
#[server(endpoint = "verify_log")]
pub async fn verify_log(log_id: LogId, password: Option<String>) -> Result<(), AppError> {
    use crate::server::logs::{self, signatures::signing};
    signing(password, async |tx, signer| logs::verify(tx, log_id, signer).await).await
}

/// The latest `limit` logs (default 50, at most 200) of a piece of equipment, newest first.
#[server(endpoint = "list_logs")]
pub async fn list_logs(equipment_id: EquipmentId, limit: Option<i64>) -> Result<Vec<CleaningLog>, AppError> {
    use crate::server::{auth::request::in_tenant, logs};
    in_tenant(async |tx| logs::history(tx, equipment_id, limit.unwrap_or(50)).await).await
}
