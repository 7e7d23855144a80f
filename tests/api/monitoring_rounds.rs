//! Level II monitoring: the server draws and records a round's sample, results are recorded per
//! surface, the evaluator's signature seals the round (the audit check names a round changed
//! afterwards), rates per unit, the PDF summary; and rounds of A are out of B's reach.

use cleantrack::model::audit::ChainCheck;
use cleantrack::model::ids::{EquipmentId, FacilityId, MonitoringRoundId};
use cleantrack::model::monitoring::{Monitoring, RoundDetail};
use cleantrack::model::role::Role;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn_app, superuser_pool, TestApp};
use crate::world::{facility_with_equipment, World};

/// A facility of A with `n` pieces of equipment, the first `scheduled` of them on a schedule.
async fn ward(app: &TestApp, client: &reqwest::Client, n: usize, scheduled: usize) -> (FacilityId, Vec<EquipmentId>) {
    let (facility, first) = facility_with_equipment(app, client, "Ward 4", "Bed rail 1", "Bay 1").await;
    let mut all = vec![first];
    for i in 2..=n {
        let (f, name) = (facility.to_string(), format!("Bed rail {i}"));
        let form = [
            ("facility_id", f.as_str()),
            ("name", &name),
            ("kind", "Bed"),
            ("serial", ""),
            ("location", "Bay"),
            ("risk_level", "high"),
        ];
        all.push(app.call(client, "create_equipment", &form).await.assert_ok().json());
    }
    for e in &all[..scheduled] {
        let e = e.to_string();
        app.call(client, "set_schedule", &[("equipment_id", e.as_str()), ("unit", "days"), ("every_n", "1")])
            .await
            .assert_ok();
    }
    (facility, all)
}

fn start(facility: FacilityId, percent: &str) -> Vec<(&'static str, String)> {
    vec![
        ("facility_id", facility.to_string()),
        ("sample_percent", percent.to_owned()),
        ("fluorescent", "on".to_owned()),
        ("atp", "on".to_owned()),
        ("atp_threshold", "250".to_owned()),
    ]
}

async fn round(app: &TestApp, client: &reqwest::Client, id: MonitoringRoundId) -> RoundDetail {
    app.call(client, "get_round", &[("id", &id.to_string())]).await.assert_ok().json()
}

fn surface(id: MonitoringRoundId, position: i32, removed: &str, rlu: &str) -> Vec<(&'static str, String)> {
    vec![
        ("round_id", id.to_string()),
        ("position", position.to_string()),
        ("marker_removed", removed.to_owned()),
        ("atp_rlu", rlu.to_owned()),
        ("notes", String::new()),
    ]
}

#[sqlx::test]
async fn a_round_draws_its_sample_records_results_and_is_sealed_by_the_evaluators_signature(
    _: PgPoolOptions,
    db: PgConnectOptions,
) {
    let app = spawn_app(db.clone()).await;
    let world = World::build(&app).await;
    let admin = &world.a.member(Role::Admin).client;
    let (facility, equipment) = ward(&app, admin, 12, 10).await;
    let supervisor = &world.a.member(Role::Supervisor).client;

    // Staff do not evaluate; bad set-ups are refused.
    app.call_owned(&world.a.member(Role::Staff).client, "start_round", &start(facility, "15")).await.assert_status(403);
    app.call_owned(supervisor, "start_round", &start(facility, "2")).await.assert_status(422);
    let mut no_method = start(facility, "15");
    no_method.retain(|(k, _)| *k != "fluorescent" && *k != "atp");
    app.call_owned(supervisor, "start_round", &no_method).await.assert_status(422);

    // 15% of the 10 scheduled pieces, rounded up: 2, drawn from the scheduled ones and recorded.
    let id: MonitoringRoundId =
        app.call_owned(supervisor, "start_round", &start(facility, "15")).await.assert_ok().json();
    let r = round(&app, supervisor, id).await;
    assert_eq!((r.population, r.samples.len(), r.summary.sampled), (10, 2, 2));
    assert!(r.samples.iter().all(|s| equipment[..10].contains(&s.equipment_id)), "only scheduled equipment is sampled");
    assert_ne!(r.samples[0].equipment_id, r.samples[1].equipment_id);
    // The draw is random: over a few rounds more than two different surfaces come up.
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..6 {
        let other: MonitoringRoundId =
            app.call_owned(supervisor, "start_round", &start(facility, "15")).await.assert_ok().json();
        seen.extend(round(&app, supervisor, other).await.samples.iter().map(|s| s.equipment_id));
    }
    assert!(seen.len() > 2, "{seen:?}");

    // Results: what the round checks must be given; signing waits for every surface.
    app.call_owned(supervisor, "record_surface", &surface(id, 1, "", "120")).await.assert_status(422);
    app.call_owned(supervisor, "record_surface", &surface(id, 1, "yes", "")).await.assert_status(422);
    app.call_owned(supervisor, "record_surface", &surface(id, 1, "maybe", "1")).await.assert_status(422);
    app.call_owned(supervisor, "record_surface", &surface(id, 9, "yes", "1")).await.assert_status(404);
    app.call_owned(supervisor, "record_surface", &surface(id, 1, "yes", "120")).await.assert_ok();
    let call = app.call(supervisor, "sign_round", &[("round_id", &id.to_string())]).await;
    call.assert_status(422);
    assert!(call.body.contains("1 still without a result"), "{}", call.body);
    app.call_owned(supervisor, "record_surface", &surface(id, 2, "yes", "900")).await.assert_ok();
    let r = round(&app, supervisor, id).await;
    assert_eq!((r.summary.recorded, r.summary.passed, r.summary.rate()), (2, 1, Some(50.0)));
    assert_eq!(r.samples.iter().map(|s| s.passed).collect::<Vec<_>>(), [Some(true), Some(false)]);

    // Signed: who, when, what it means; then nothing changes.
    app.call(supervisor, "sign_round", &[("round_id", &id.to_string())]).await.assert_ok();
    let signed = round(&app, supervisor, id).await.summary.signed.expect("signed");
    assert_eq!((signed.name.as_str(), signed.meaning.as_str()), ("Supervisor of Org A", "evaluated"));
    app.call(supervisor, "sign_round", &[("round_id", &id.to_string())]).await.assert_status(409);
    app.call_owned(supervisor, "record_surface", &surface(id, 2, "yes", "100")).await.assert_status(409);
    let su = superuser_pool(&db).await;
    let err = sqlx::query("UPDATE monitoring_samples SET atp_rlu = 10 WHERE round_id = $1")
        .bind(id)
        .execute(&su)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("never changed"), "{err}");

    // The rate per unit counts signed rounds only.
    let m: Monitoring = app.call(supervisor, "list_rounds", &[]).await.assert_ok().json();
    assert_eq!(m.units.len(), 1);
    assert_eq!((m.units[0].rounds, m.units[0].checked, m.units[0].passed), (1, 2, 1));
    assert_eq!(m.rounds.len(), 7);

    // The PDF summary for the committee: the rate and the signature, issued and recorded.
    let pdf = supervisor.get(app.url("/reports/monitoring.pdf")).send().await.unwrap();
    assert_eq!(pdf.status(), 200);
    let bytes = pdf.bytes().await.unwrap();
    let text = crate::reports::pdf_text(&bytes);
    assert!(text.contains("Ward 4: 50% (1 of 2 surfaces, 1 rounds)"), "{text}");
    assert!(text.contains("evaluated") && text.contains("Supervisor of Org A"), "{text}");
    assert_eq!(
        world.a.member(Role::Staff).client.get(app.url("/reports/monitoring.pdf")).send().await.unwrap().status(),
        403
    );

    // A result changed in the database behind the triggers: the audit check names the round.
    crate::audit::tamper(
        &su,
        &format!("UPDATE monitoring_samples SET atp_rlu = 100 WHERE round_id = '{id}' AND position = 2"),
    )
    .await;
    let check: ChainCheck =
        app.call(&world.a.member(Role::Auditor).client, "verify_audit_chain", &[]).await.assert_ok().json();
    assert!(
        matches!(&check, ChainCheck::RecordAltered { record, .. } if record == &format!("monitoring round {id}")),
        "{check:?}"
    );
}

#[sqlx::test]
async fn rounds_of_a_are_not_found_for_b(_: PgPoolOptions, db: PgConnectOptions) {
    let app = spawn_app(db).await;
    let world = World::build(&app).await;
    let (facility, _) = ward(&app, &world.a.member(Role::Admin).client, 3, 0).await;
    let a = &world.a.member(Role::Supervisor).client;
    let id: MonitoringRoundId = app.call_owned(a, "start_round", &start(facility, "100")).await.assert_ok().json();
    assert_eq!(round(&app, a, id).await.samples.len(), 3, "no schedules: every active piece is eligible");

    let b = &world.b.member(Role::Supervisor).client;
    app.call_owned(b, "start_round", &start(facility, "50")).await.assert_status(404);
    app.call(b, "get_round", &[("id", &id.to_string())]).await.assert_status(404);
    app.call_owned(b, "record_surface", &surface(id, 1, "yes", "10")).await.assert_status(404);
    app.call(b, "sign_round", &[("round_id", &id.to_string())]).await.assert_status(404);
    let m: Monitoring = app.call(b, "list_rounds", &[]).await.assert_ok().json();
    assert!(m.rounds.is_empty() && m.units.is_empty() && m.facilities.is_empty());
    let f = facility.to_string();
    app.call(b, "list_rounds", &[("facility_id", &f)]).await.assert_ok();
    assert_eq!(b.get(app.url(&format!("/reports/monitoring.pdf?facility={f}"))).send().await.unwrap().status(), 200);
    let pdf = b.get(app.url("/reports/monitoring.pdf")).send().await.unwrap().bytes().await.unwrap();
    assert!(!crate::reports::pdf_text(&pdf).contains("Ward 4"));
}
