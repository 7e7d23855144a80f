use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    cleantrack::server::install_crypto_provider();
    cleantrack::server::cli::run().await
}
