//! This instance's counters for `GET /metrics` (served by `http::metrics`): requests and their
//! latency per route, and job failures. Counters are per instance, as Prometheus expects; it
//! sums across instances.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use axum::http::StatusCode;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Default)]
struct RouteStats {
    by_status: BTreeMap<&'static str, u64>,
    buckets: [u64; BUCKETS.len()],
    sum_seconds: f64,
    count: u64,
}

#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<(String, String), RouteStats>>,
    job_failures: Mutex<BTreeMap<(String, bool), u64>>,
}

impl Metrics {
    pub fn observe(&self, route: String, method: String, status: StatusCode, seconds: f64) {
        let class = match status.as_u16() {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        let stats = routes.entry((route, method)).or_default();
        *stats.by_status.entry(class).or_default() += 1;
        for (bucket, bound) in stats.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        stats.sum_seconds += seconds;
        stats.count += 1;
    }

    /// A job attempt failed; `dead` when it will not be tried again.
    pub fn job_failed(&self, kind: &str, dead: bool) {
        *self.job_failures.lock().unwrap_or_else(|e| e.into_inner()).entry((kind.to_owned(), dead)).or_default() += 1;
    }

    pub fn render_requests(&self, out: &mut String) {
        let routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        out.push_str("# HELP cleantrack_http_requests_total Requests answered, by route, method and status class.\n");
        out.push_str("# TYPE cleantrack_http_requests_total counter\n");
        for ((route, method), stats) in routes.iter() {
            for (status, n) in &stats.by_status {
                let _ = writeln!(
                    out,
                    "cleantrack_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP cleantrack_http_request_duration_seconds Time to answer, by route and method.\n");
        out.push_str("# TYPE cleantrack_http_request_duration_seconds histogram\n");
        for ((route, method), stats) in routes.iter() {
            let labels = format!("route=\"{route}\",method=\"{method}\"");
            for (n, bound) in stats.buckets.iter().zip(BUCKETS) {
                let _ = writeln!(out, "cleantrack_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(
                out,
                "cleantrack_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                stats.count
            );
            let _ = writeln!(out, "cleantrack_http_request_duration_seconds_sum{{{labels}}} {}", stats.sum_seconds);
            let _ = writeln!(out, "cleantrack_http_request_duration_seconds_count{{{labels}}} {}", stats.count);
        }
    }

    pub fn render_job_failures(&self, out: &mut String) {
        out.push_str(
            "# HELP cleantrack_job_failures_total Failed job attempts, by kind and whether the job is dead.\n",
        );
        out.push_str("# TYPE cleantrack_job_failures_total counter\n");
        for ((kind, dead), n) in self.job_failures.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "cleantrack_job_failures_total{{kind=\"{kind}\",dead=\"{dead}\"}} {n}");
        }
    }
}
