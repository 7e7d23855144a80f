//! The `cleantrack` command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use super::config::Config;
use super::startup::Application;
use super::{audit, auth, db, deploy_check, secret, telemetry};

#[derive(Parser)]
#[command(name = "cleantrack", version, about = "Cleaning and disinfection compliance platform")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application (the default).
    Serve,
    /// Apply the database migrations embedded in this binary; with --plan, only list each one as
    /// applied or pending.
    Migrate {
        #[arg(long)]
        plan: bool,
    },
    /// Validate the configuration; with --deploy, also list every setting unsafe for production.
    Check {
        #[arg(long)]
        deploy: bool,
    },
    /// Print a new random SECRET_KEY.
    GenerateSecret,
    /// Print a new AUDIT_SIGNING_KEY (and, on standard error, its public key).
    GenerateAuditKey,
    /// Make a platform operator (our staff): an existing account gains the flag, or a new
    /// verified account is created. The password is read from CLEANTRACK_SUPERUSER_PASSWORD,
    /// else from the first line of standard input.
    CreateSuperuser {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Platform operator")]
        name: String,
    },
    /// Run background jobs (email delivery, the daily digest) without serving HTTP.
    Worker,
    /// Development only: migrate, create a demo organization once, and print its sign-ins.
    DemoData {
        /// Equipment in each of the two facilities (the load benchmark uses 500).
        #[arg(long, default_value_t = 6)]
        equipment_per_facility: usize,
        /// Days of cleaning history (the load benchmark uses 117: about 100,000 logs).
        #[arg(long, default_value_t = 30)]
        days: i32,
    },
    /// Post-deploy checks against a running site: HTTPS and HSTS, security headers, static
    /// files and their cache headers, the database, the sign-in page, QR images, the Stripe
    /// webhook refusing an unsigned call. One PASS/FAIL line each; exits 1 if any fails.
    Smoke {
        /// The site's public address, e.g. https://cleantrack.example.com
        #[arg(long)]
        url: url::Url,
        /// A PEM certificate to trust besides the system's (a staging proxy's own).
        #[arg(long)]
        ca_cert: Option<std::path::PathBuf>,
    },
    /// Work with the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every hash chain (or one organization's) and report the first broken event;
    /// exits 1 if any chain is broken.
    Verify {
        #[arg(long)]
        org: Option<uuid::Uuid>,
    },
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    // These two need no configuration: one makes a secret, the other looks at another server.
    match &command {
        Command::GenerateSecret => {
            println!("{}", secret::generate());
            return ExitCode::SUCCESS;
        }
        Command::GenerateAuditKey => {
            use crate::server::audit::signing::AuditKey;
            let seed = AuditKey::generate();
            let key = AuditKey::from_setting(&seed).expect("a fresh seed is usable");
            println!("{seed}");
            eprintln!("public key (Ed25519, hex): {}", key.public_hex());
            return ExitCode::SUCCESS;
        }
        Command::Smoke { url, ca_cert } => return smoke(url, ca_cert.as_deref()).await,
        _ => {}
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        Command::Serve => serve(config).await,
        Command::Migrate { plan: false } => migrate(config).await,
        Command::Migrate { plan: true } => migration_plan(config).await,
        Command::Worker => worker(config).await,
        Command::DemoData { equipment_per_facility, days } => {
            demo_data(config, super::demo::Scale { equipment_per_facility, days }).await
        }
        Command::Check { deploy } => return check(&config, deploy),
        Command::CreateSuperuser { email, name } => create_superuser(config, &email, &name).await,
        Command::Audit { command: AuditCommand::Verify { org } } => return audit_verify(config, org).await,
        Command::GenerateSecret | Command::GenerateAuditKey | Command::Smoke { .. } => {
            unreachable!("handled before reading the configuration")
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn smoke(url: &url::Url, ca_cert: Option<&std::path::Path>) -> ExitCode {
    let client = match super::smoke::client(ca_cert) {
        Ok(client) => client,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    let checks = super::smoke::run(&client, url).await;
    print!("{}", super::smoke::report(&checks));
    if checks.iter().all(|c| c.passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let _telemetry = telemetry::init(&config);
    let production = config.env.is_production();
    let cwd = std::env::current_dir()?;
    for finding in deploy_check::findings(&config, &cwd) {
        if production {
            tracing::warn!(id = finding.id, "unsafe setting: {}", finding.message);
        }
    }
    let database = config.database.clone();
    let app = Application::build(config).await?;
    let pool = &app.state().pool;
    // Development applies migrations itself; production runs `cleantrack migrate` as a release
    // step, so several instances starting at once never race to migrate.
    if !production {
        db::migrate(&database, pool).await?;
    }
    match db::ensure_role_is_bound_by_rls(pool).await {
        Err(err) if err.downcast_ref::<sqlx::Error>().is_some() => {
            tracing::warn!("database not reachable at start-up ({err}); /readyz reports 503 until it is");
        }
        other => other?,
    }
    if db::serving_role_owns_tables(pool).await.unwrap_or(false) {
        tracing::warn!(
            "the server's database role owns the tables: anyone holding DATABASE_URL could disable the audit \
             trail's triggers and row-level security; serve as a role that owns nothing and migrate with \
             MIGRATION_DATABASE_URL (see README, \"Database roles\")"
        );
    }
    tracing::info!("listening on http://{}", app.local_addr());
    app.run_until_stopped().await?;
    Ok(())
}

async fn worker(config: Config) -> anyhow::Result<()> {
    let _telemetry = telemetry::init(&config);
    let count = config.jobs.workers.max(1);
    let addr = config.listen_addr;
    let state = super::startup::state(config, addr);
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let handles = super::jobs::worker::spawn(&state, count, &stop);
    tracing::info!(workers = count, "running background jobs until SIGTERM or Ctrl-C");
    super::startup::shutdown_signal().await;
    tracing::info!("stopping: letting running jobs finish");
    let _ = stop_tx.send(true);
    for handle in handles {
        let _ = handle.await;
    }
    Ok(())
}

async fn demo_data(config: Config, scale: super::demo::Scale) -> anyhow::Result<()> {
    if config.env.is_production() {
        anyhow::bail!("demo data is for development only (APP_ENV=production)");
    }
    let pool = db::pool(&config.database);
    db::migrate(&config.database, &pool).await?;
    let logins = super::demo::create(&pool, scale).await?;
    println!(
        "Demo organization \"Demo Clinic\": sign in at {}login with password \"{}\" as",
        config.public_url,
        super::demo::PASSWORD
    );
    for (role, email) in logins {
        println!("  {:<11} {email}", role.as_str());
    }
    Ok(())
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    let _telemetry = telemetry::init(&config);
    let pool = db::pool(&config.database);
    db::migrate(&config.database, &pool).await?;
    tracing::info!("migrations applied");
    Ok(())
}

async fn migration_plan(config: Config) -> anyhow::Result<()> {
    let pool = db::pool(&config.database);
    for (version, description, applied) in db::migration_plan(&pool).await? {
        println!("{} {version} {description}", if applied { "[applied]" } else { "[pending]" });
    }
    Ok(())
}

async fn create_superuser(config: Config, email: &str, name: &str) -> anyhow::Result<()> {
    let password = match std::env::var("CLEANTRACK_SUPERUSER_PASSWORD") {
        Ok(password) => Some(password),
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            Some(line.trim_end_matches(['\r', '\n']).to_owned()).filter(|p| !p.is_empty())
        }
    };
    let pool = db::pool(&config.database);
    match auth::flows::platform::create_operator(&pool, email, name, password).await {
        Ok(true) => println!("Created platform operator {email}."),
        Ok(false) => println!("{email} is now a platform operator."),
        Err(err) => anyhow::bail!("{err}"),
    }
    Ok(())
}

async fn audit_verify(config: Config, org: Option<uuid::Uuid>) -> ExitCode {
    use crate::model::audit::ChainCheck;
    let pool = db::pool(&config.database);
    let only = org.map(crate::model::ids::OrgId);
    let results = match audit::chain::verify_all_chains_unscoped(&pool, &config.audit_key, only).await {
        Ok(results) => results,
        Err(err) => {
            eprintln!("error: could not read the audit trail: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut broken = false;
    for (chain, check) in &results {
        let name = chain.map_or_else(|| "platform".to_owned(), |o| format!("organization {o}"));
        match check {
            ChainCheck::Verified { events, last_hash, signed_through } => println!(
                "{name}: all {events} events verify (last hash {}); {}",
                last_hash.as_deref().unwrap_or("-"),
                crate::model::audit::signed_words(*signed_through)
            ),
            ChainCheck::Broken { seq, reason } => {
                broken = true;
                println!("{name}: BROKEN at event {seq}: {reason}");
            }
            ChainCheck::RecordAltered { events, record } => {
                broken = true;
                println!("{name}: all {events} events verify, but ALTERED: {record} no longer matches its sealed hash");
            }
        }
    }
    if results.is_empty() {
        println!("no audit events yet");
    }
    if broken {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn check(config: &Config, deploy: bool) -> ExitCode {
    if !deploy {
        println!("Configuration is valid.");
        return ExitCode::SUCCESS;
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let findings = deploy_check::findings(config, &cwd);
    print!("{}", deploy_check::report(&findings));
    if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
