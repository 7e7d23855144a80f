//! The Stripe calls we make. Requests are built with async-stripe's typed builders (so the
//! form encoding of nested parameters is Stripe's own); answers are read into small types of
//! ours holding only what we use, so a field Stripe adds, drops or renames in another API
//! version cannot break billing.

use std::collections::HashMap;

use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_billing::subscription::{RetrieveSubscription, UpdateSubscription, UpdateSubscriptionItems};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
};
use stripe_client_core::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_core::customer::CreateCustomer;

use crate::server::config::StripeConfig;

/// A failed call: Stripe refused the request (4xx: retrying the same request cannot help), or
/// it could not be made or answered (network, timeouts, 5xx, rate limits: worth retrying).
#[derive(Debug, thiserror::Error)]
pub enum StripeCallError {
    #[error("Stripe refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("Stripe could not be reached: {0}")]
    Unavailable(String),
}

impl From<stripe::StripeError> for StripeCallError {
    fn from(err: stripe::StripeError) -> Self {
        match err {
            stripe::StripeError::Stripe(errors, status) if (400..500).contains(&status) && status != 429 => {
                StripeCallError::Refused { status, message: errors.message.unwrap_or_default() }
            }
            other => StripeCallError::Unavailable(other.to_string()),
        }
    }
}

/// Something with an id and, for sessions, the page to send the customer to.
#[derive(Debug, miniserde::Deserialize)]
pub struct Created {
    pub id: String,
    pub url: Option<String>,
}

/// The parts of a subscription that billing depends on.
#[derive(Debug, Clone, miniserde::Deserialize)]
pub struct Subscription {
    pub id: String,
    pub customer: String,
    pub status: String,
    pub cancel_at_period_end: Option<bool>,
    pub trial_end: Option<i64>,
    pub items: SubscriptionItems,
}

#[derive(Debug, Clone, miniserde::Deserialize)]
pub struct SubscriptionItems {
    pub data: Vec<SubscriptionItem>,
}

/// Since API version 2025-03-31 the billing period lives on the item, not the subscription.
#[derive(Debug, Clone, miniserde::Deserialize)]
pub struct SubscriptionItem {
    pub id: String,
    pub quantity: Option<u64>,
    pub current_period_end: Option<i64>,
}

pub struct Stripe {
    client: stripe::Client,
    config: StripeConfig,
}

impl Stripe {
    pub fn new(config: &StripeConfig) -> Result<Stripe, StripeCallError> {
        let mut builder = stripe::ClientBuilder::new(config.secret_key.expose()).timeout(config.timeout);
        if let Some(base) = &config.api_base {
            builder = builder.url(base.as_str());
        }
        let client = builder.build().map_err(|e| StripeCallError::Unavailable(e.to_string()))?;
        Ok(Stripe { client, config: config.clone() })
    }

    /// The customer for an organization. The idempotency key makes a repeated call (a double
    /// click, a retried request) return the same customer instead of creating a second one.
    pub async fn create_customer(&self, org_id: &str, org_name: &str, email: &str) -> Result<Created, StripeCallError> {
        let request = CreateCustomer::new()
            .email(email)
            .name(org_name)
            .metadata(HashMap::from([("org_id".to_owned(), org_id.to_owned())]));
        self.send(request.build(), Some(format!("cleantrack-customer-{org_id}"))).await
    }

    /// A Checkout session for the Pro plan: `facilities` seats, a trial when `trial_days` is set.
    pub async fn create_checkout(
        &self,
        customer: &str,
        org_id: &str,
        facilities: u64,
        trial_days: Option<u32>,
        success_url: &str,
        cancel_url: &str,
    ) -> Result<Created, StripeCallError> {
        let mut item = CreateCheckoutSessionLineItems::new();
        item.price = Some(self.config.pro_price_id.clone());
        item.quantity = Some(facilities.max(1));
        let mut subscription = CreateCheckoutSessionSubscriptionData::new();
        subscription.trial_period_days = trial_days;
        subscription.metadata = Some(HashMap::from([("org_id".to_owned(), org_id.to_owned())]));
        let request = CreateCheckoutSession::new()
            .mode(stripe_checkout::CheckoutSessionMode::Subscription)
            .customer(customer)
            .client_reference_id(org_id)
            .line_items(vec![item])
            .subscription_data(subscription)
            .success_url(success_url)
            .cancel_url(cancel_url);
        self.send(request.build(), None).await
    }

    pub async fn create_portal(&self, customer: &str, return_url: &str) -> Result<Created, StripeCallError> {
        self.send(CreateBillingPortalSession::new().customer(customer).return_url(return_url).build(), None).await
    }

    pub async fn subscription(&self, id: &str) -> Result<Subscription, StripeCallError> {
        self.send(RetrieveSubscription::new(id).build(), None).await
    }

    /// Sets the subscription's seats; Stripe prorates the change on the next invoice.
    pub async fn set_quantity(
        &self,
        subscription: &str,
        item: &str,
        quantity: u64,
        key: String,
    ) -> Result<Subscription, StripeCallError> {
        let mut change = UpdateSubscriptionItems::new();
        change.id = Some(item.to_owned());
        change.quantity = Some(quantity);
        self.send(UpdateSubscription::new(subscription).items(vec![change]).build(), Some(key)).await
    }

    async fn send<T: miniserde::Deserialize>(
        &self,
        request: stripe_client_core::RequestBuilder,
        idempotency_key: Option<String>,
    ) -> Result<T, StripeCallError> {
        let mut request = request.customize::<T>();
        if let Some(key) = idempotency_key {
            let key = IdempotencyKey::new(key).map_err(|e| StripeCallError::Unavailable(e.to_string()))?;
            request = request.request_strategy(RequestStrategy::Idempotent(key));
        }
        Ok(request.send(&self.client).await?)
    }
}
