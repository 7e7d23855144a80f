//! Screens for getting in: registration, sign-in, email confirmation, password reset,
//! invitations. Their server functions are the only ones callable without a session.

pub mod invitation;
pub mod login;
pub mod password_reset;
pub mod register;
pub mod verify_email;
