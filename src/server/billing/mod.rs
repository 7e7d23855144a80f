//! Billing with Stripe: plans and their limits, Checkout and the customer portal, and webhooks
//! that are signed, recorded once, and applied in an order-proof way.
//!
//! Without Stripe configuration billing is off: every organization is on the Free plan and no
//! limit is enforced (a self-hosted server has nothing to upgrade to).

pub mod account;
pub mod events;
pub mod quantity;
pub mod signature;
pub mod stripe_api;
pub mod subscribe;
pub mod webhook;
