//! Reports for inspections: the cleaning logs as CSV (streamed), the PDF inspection report and
//! the inspection binder (prepared in the background, see `exports`).

pub mod binder;
pub mod csv_export;
pub mod exports;
pub mod layout;
pub mod logs;
pub mod options;
pub mod pdf_file;
pub mod progress;
pub mod report_pdf;
