//! One module per screen.

pub mod landing;
pub mod not_found;
