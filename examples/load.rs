//! Load generator for the QR landing page and for log submission (`scripts/bench-load.sh` runs
//! it). Each of `--concurrency` workers signs in once, then requests as fast as it can for
//! `--seconds` after a short warm-up; the report gives requests/s, latency percentiles and
//! errors.
//!
//!   load --url URL --email E --password P --targets FILE --mode page|log [--concurrency 64] [--seconds 20]
//!
//! `--targets`: one line per piece of equipment, `token<TAB>equipment id<TAB>number of steps`.

use std::time::{Duration, Instant};

struct Args {
    url: String,
    email: String,
    password: String,
    targets: Vec<(String, String, usize)>,
    log_mode: bool,
    concurrency: usize,
    seconds: u64,
    /// The server's process id, to report its memory once everyone is signed in and at its
    /// peak while the load runs (Linux /proc).
    server_pid: Option<u32>,
}

fn args() -> Args {
    let mut raw = std::env::args().skip(1);
    let (mut url, mut email, mut password, mut targets, mut mode) = Default::default();
    let (mut concurrency, mut seconds, mut server_pid) = (64, 20, None);
    while let Some(flag) = raw.next() {
        let value = raw.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => url = value,
            "--email" => email = value,
            "--password" => password = value,
            "--targets" => targets = value,
            "--mode" => mode = value,
            "--concurrency" => concurrency = value.parse().expect("a number"),
            "--seconds" => seconds = value.parse().expect("a number"),
            "--server-pid" => server_pid = Some(value.parse().expect("a process id")),
            other => panic!("unknown flag {other}"),
        }
    }
    let targets = std::fs::read_to_string(&targets)
        .expect("--targets file")
        .lines()
        .filter_map(|l| {
            let mut parts = l.split('\t');
            Some((parts.next()?.to_owned(), parts.next()?.to_owned(), parts.next()?.trim().parse().ok()?))
        })
        .collect::<Vec<_>>();
    assert!(!targets.is_empty(), "no targets");
    Args { url, email, password, targets, log_mode: mode == "log", concurrency, seconds, server_pid }
}

async fn signed_in(args: &Args) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", args.url.parse().unwrap());
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .post(format!("{}/api/login", args.url))
        .header("accept", "application/json")
        .form(&[("email", args.email.as_str()), ("password", args.password.as_str())])
        .send()
        .await
        .expect("login request");
    assert!(response.status().is_success(), "login failed: {}", response.status());
    client
}

/// One request of the chosen kind, for target number `n`; whether it succeeded.
async fn request(client: &reqwest::Client, args: &Args, n: usize) -> bool {
    let (token, equipment, steps) = &args.targets[n % args.targets.len()];
    let sent = if args.log_mode {
        let mut form = vec![
            ("equipment_id".to_owned(), equipment.clone()),
            ("outcome".to_owned(), "pass".to_owned()),
            ("notes".to_owned(), String::new()),
            // Signatures re-authenticate (21 CFR 11.200): each one carries the password.
            ("password".to_owned(), args.password.clone()),
        ];
        form.extend((0..*steps).map(|i| (format!("done[{i}]"), "on".to_owned())));
        client
            .post(format!("{}/api/log_cleaning", args.url))
            .header("accept", "application/json")
            .form(&form)
            .send()
            .await
    } else {
        client.get(format!("{}/q/{token}", args.url)).header("accept", "text/html").send().await
    };
    match sent {
        Ok(response) => {
            let ok = response.status().is_success();
            ok && response.bytes().await.is_ok()
        }
        Err(_) => false,
    }
}

#[tokio::main]
async fn main() {
    let args: &'static Args = Box::leak(Box::new(args()));
    let mut clients = Vec::new();
    for _ in 0..args.concurrency {
        clients.push(signed_in(args).await);
    }
    let rss_signed_in = args.server_pid.and_then(rss_kb);
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    if let Some(pid) = args.server_pid {
        let peak = peak.clone();
        tokio::spawn(async move {
            while let Some(kb) = rss_kb(pid) {
                peak.fetch_max(kb, std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
    }
    let warm_up = Instant::now() + Duration::from_secs(3);
    let end = warm_up + Duration::from_secs(args.seconds);
    let workers: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(w, client)| {
            tokio::spawn(async move {
                let (mut latencies, mut errors, mut n) = (Vec::new(), 0u64, w * 7919);
                loop {
                    let start = Instant::now();
                    if start >= end {
                        break;
                    }
                    let ok = request(&client, args, n).await;
                    n += 1;
                    if start >= warm_up {
                        latencies.push(start.elapsed());
                        errors += u64::from(!ok);
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut all, mut errors) = (Vec::new(), 0);
    for worker in workers {
        let (latencies, e) = worker.await.unwrap();
        all.extend(latencies);
        errors += e;
    }
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0;
    println!(
        "mode={} concurrency={} seconds={} requests={} errors={} req/s={:.0} p50_ms={:.1} p90_ms={:.1} p99_ms={:.1} max_ms={:.1}",
        if args.log_mode { "log" } else { "page" },
        args.concurrency,
        args.seconds,
        all.len(),
        errors,
        all.len() as f64 / args.seconds as f64,
        pct(0.50),
        pct(0.90),
        pct(0.99),
        all.last().unwrap().as_secs_f64() * 1000.0,
    );
    if let Some(signed_in) = rss_signed_in {
        let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
        println!("server_rss_mb: signed_in={} peak_during_load={}", signed_in / 1024, peak / 1024);
    }
}

/// Resident memory of process `pid` in KiB.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
