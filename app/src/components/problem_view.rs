use leptos::prelude::*;

use crate::types::InviteProblem;

/// A clear page for an invite or link that cannot be used, with the way forward.
#[component]
pub fn ProblemView(problem: InviteProblem) -> impl IntoView {
    let (title, body) = match problem {
        InviteProblem::Unknown => (
            "This link isn't valid",
            "We couldn't find this invitation. Check that you scanned the whole QR code, or ask your \
             building's front desk for a new one.",
        ),
        InviteProblem::Expired => (
            "This invitation has expired",
            "Invitations only work for a limited time. Ask your building's front desk or your \
             operator for a new QR code.",
        ),
    };
    view! {
        <section class="card" data-testid="problem">
            <h1>{title}</h1>
            <p>{body}</p>
        </section>
    }
}
