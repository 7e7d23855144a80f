use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: under the QR page's load glibc's malloc, free and their
/// heap consolidation were a third of the server's CPU samples (BENCHMARKS.md, "Where the
/// time went"). mimalloc also hands large blocks (argon2's 19 MiB per password check) back to
/// the system shortly after they are freed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    cleantrack::server::install_crypto_provider();
    cleantrack::server::cli::run().await
}
