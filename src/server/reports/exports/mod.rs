//! Exports prepared in the background: a PDF report or an inspection binder is asked for, a
//! job writes it to a temporary file (memory stays flat however many logs it holds), stores it
//! (local directory or S3, like photos) and marks it ready; its requester downloads it from
//! `GET /exports/{id}`. Progress is written to the export's row as the job goes.

//!
//! `request.rs` asks for one and lists them, `job.rs` builds, stores and expires the files,
//! `download.rs` finds a ready file for the member who asked (the handler is in
//! `server::http::downloads`).

mod download;
mod job;
mod request;

pub use download::{open, Reader};
pub use job::{expire_old, ExportJob, KEPT_DAYS};
pub use request::{list, request};
