//! The Stripe stand-in of the integration tests (`tests/api/stripe_standin.rs`) as a process,
//! for the browser tests: `scripts/test.sh` starts it next to the app the suite runs against.
//!
//!   stripe_standin --listen 127.0.0.1:12111 --webhook http://127.0.0.1:3100/webhooks/stripe
//!
//! The app is configured with STRIPE_API_BASE=http://<listen>/ and the stand-in's keys.

// The integration tests use all of it; this process only serves.
#[allow(dead_code)]
#[path = "../tests/api/stripe_standin.rs"]
mod stripe_standin;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (mut listen, mut webhook) = ("127.0.0.1:12111".to_owned(), None);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => listen = value,
            "--webhook" => webhook = Some(value),
            other => panic!("unknown flag {other}"),
        }
    }
    cleantrack::server::install_crypto_provider();
    let standin = stripe_standin::StripeStandIn::start(&listen).await;
    standin.send_webhooks_to(webhook.expect("--webhook URL is required"));
    println!("Stripe stand-in listening on {}", standin.url());
    std::future::pending::<()>().await;
}
