//! Widgets shared by several screens.

pub mod form;
pub mod photo_picker;
pub mod site_footer;
pub mod site_header;
