//! The schedule rule (`app.next_due`, in SQL so lists compute it in one query) as unit tests:
//! one case per line, including time zones and daylight-saving edges. 2026 dates: New York
//! springs forward on 8 March and falls back on 1 November; Berlin on 29 March and 25 October.

use sqlx::PgPool;

struct Case {
    why: &'static str,
    last: Option<&'static str>,
    starts: &'static str,
    unit: &'static str,
    every: Option<i32>,
    days: Option<&'static [i16]>,
    due_time: Option<&'static str>,
    tz: &'static str,
    expect: &'static str,
}

const fn every(
    why: &'static str,
    last: &'static str,
    n: i32,
    unit: &'static str,
    tz: &'static str,
    expect: &'static str,
) -> Case {
    Case {
        why,
        last: Some(last),
        starts: "2026-01-01T00:00:00Z",
        unit,
        every: Some(n),
        days: None,
        due_time: None,
        tz,
        expect,
    }
}

const fn on_days(
    why: &'static str,
    last: &'static str,
    days: &'static [i16],
    due_time: &'static str,
    tz: &'static str,
    expect: &'static str,
) -> Case {
    Case {
        why,
        last: Some(last),
        starts: "2026-01-01T00:00:00Z",
        unit: "weekdays",
        every: None,
        days: Some(days),
        due_time: Some(due_time),
        tz,
        expect,
    }
}

const NY: &str = "America/New_York";
const BERLIN: &str = "Europe/Berlin";
const LISBON: &str = "Europe/Lisbon";

const CASES: &[Case] = &[
    every("hours are absolute", "2026-06-10T08:00:00Z", 8, "hours", LISBON, "2026-06-10 16:00:00+00"),
    every(
        "hours do not follow the wall clock over spring-forward",
        "2026-03-08T05:30:00Z",
        4,
        "hours",
        NY,
        "2026-03-08 09:30:00+00",
    ),
    every(
        "hours do not follow the wall clock over fall-back",
        "2026-11-01T04:30:00Z",
        2,
        "hours",
        NY,
        "2026-11-01 06:30:00+00",
    ),
    every("a day is the same local time next day", "2026-06-10T06:00:00Z", 1, "days", LISBON, "2026-06-11 06:00:00+00"),
    every("the spring-forward day is 23 hours long", "2026-03-07T12:00:00Z", 1, "days", NY, "2026-03-08 11:00:00+00"),
    every("the fall-back day is 25 hours long", "2026-10-31T11:00:00Z", 1, "days", NY, "2026-11-01 12:00:00+00"),
    every(
        "a time in the spring-forward gap lands an hour later",
        "2026-03-07T07:30:00Z",
        1,
        "days",
        NY,
        "2026-03-08 07:30:00+00",
    ),
    every("the same in Berlin", "2026-03-28T01:30:00Z", 1, "days", BERLIN, "2026-03-29 01:30:00+00"),
    every(
        "a time that happens twice means the second one",
        "2026-10-31T05:30:00Z",
        1,
        "days",
        NY,
        "2026-11-01 06:30:00+00",
    ),
    every(
        "weeks keep the local time across a change",
        "2026-10-20T08:00:00Z",
        2,
        "weeks",
        BERLIN,
        "2026-11-03 09:00:00+00",
    ),
    on_days(
        "a cleaning on a scheduled day covers that day",
        "2026-11-23T08:00:00Z",
        &[1, 3, 5],
        "17:00",
        LISBON,
        "2026-11-25 17:00:00+00",
    ),
    on_days(
        "a late cleaning does not cover the next day",
        "2026-11-23T18:00:00Z",
        &[1, 3, 5],
        "17:00",
        LISBON,
        "2026-11-25 17:00:00+00",
    ),
    on_days("after Friday comes Monday", "2026-11-27T09:00:00Z", &[1, 3, 5], "17:00", LISBON, "2026-11-30 17:00:00+00"),
    on_days(
        "a cleaning on an unscheduled day covers nothing after it",
        "2026-11-29T09:00:00Z",
        &[1, 3, 5],
        "17:00",
        LISBON,
        "2026-11-30 17:00:00+00",
    ),
    on_days(
        "one weekday a week comes back after seven days",
        "2026-11-25T09:00:00Z",
        &[3],
        "12:00",
        LISBON,
        "2026-12-02 12:00:00+00",
    ),
    on_days(
        "the local day counts, not the UTC day (Wednesday 12:30 in Auckland)",
        "2026-11-24T23:30:00Z",
        &[3],
        "17:00",
        "Pacific/Auckland",
        "2026-12-02 04:00:00+00",
    ),
    on_days(
        "a weekday slot keeps its local time over spring-forward",
        "2026-03-02T15:00:00Z",
        &[1],
        "09:00",
        NY,
        "2026-03-09 13:00:00+00",
    ),
    on_days("and over fall-back", "2026-10-26T14:00:00Z", &[1], "09:00", NY, "2026-11-02 14:00:00+00"),
    Case {
        why: "never cleaned: counted from the start of the schedule",
        last: None,
        starts: "2026-11-25T10:00:00Z",
        unit: "days",
        every: Some(3),
        days: None,
        due_time: None,
        tz: LISBON,
        expect: "2026-11-28 10:00:00+00",
    },
    Case {
        why: "never cleaned on weekdays: the first slot at or after the start",
        last: None,
        starts: "2026-11-23T18:00:00Z",
        unit: "weekdays",
        every: None,
        days: Some(&[1]),
        due_time: Some("17:00"),
        tz: LISBON,
        expect: "2026-11-30 17:00:00+00",
    },
    Case {
        why: "never cleaned on weekdays, starting before that day's slot",
        last: None,
        starts: "2026-11-23T08:00:00Z",
        unit: "weekdays",
        every: None,
        days: Some(&[1]),
        due_time: Some("17:00"),
        tz: LISBON,
        expect: "2026-11-23 17:00:00+00",
    },
];

#[sqlx::test]
async fn next_due_follows_the_schedule_in_the_facility_time_zone(pool: PgPool) {
    let mut failures = Vec::new();
    for case in CASES {
        let got: String = sqlx::query_scalar(
            "SELECT (app.next_due($1::timestamptz, $2::timestamptz, $3, $4, $5, $6::time, $7) AT TIME ZONE 'UTC')::text || '+00'",
        )
        .bind(case.last)
        .bind(case.starts)
        .bind(case.unit)
        .bind(case.every)
        .bind(case.days.map(<[i16]>::to_vec))
        .bind(case.due_time)
        .bind(case.tz)
        .fetch_one(&pool)
        .await
        .unwrap();
        if got != case.expect {
            failures.push(format!("{}: expected {}, got {got}", case.why, case.expect));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
