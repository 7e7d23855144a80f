//! The public front page: what CleanTrack does, for whom.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Landing() -> impl IntoView {
    view! {
        <Title text=""/>
        <section class="hero">
            <h1>"Prove every clean."</h1>
            <p class="hero__lead">
                "CleanTrack records who cleaned which piece of equipment, when, how and with what, "
                "in a trail that shows if anything was ever altered. Built for hospitals, clinics, "
                "laboratories and food plants that answer to inspectors."
            </p>
        </section>
        <section class="flows" aria-label="How it works">
            <article class="card">
                <h2>"Staff"</h2>
                <p>"Scan the QR sticker on a device, tick the protocol, add a photo, sign. Done in seconds on a phone."</p>
            </article>
            <article class="card">
                <h2>"Supervisors"</h2>
                <p>"Verify cleanings with a second signature, see what is overdue, act on failures."</p>
            </article>
            <article class="card">
                <h2>"Administrators"</h2>
                <p>"Set up facilities, equipment, protocols and schedules; invite the team."</p>
            </article>
            <article class="card">
                <h2>"Auditors"</h2>
                <p>"Read everything, export an inspection binder, verify the tamper-evident trail."</p>
            </article>
        </section>
    }
}
