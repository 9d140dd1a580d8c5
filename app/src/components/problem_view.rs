use leptos::prelude::*;

use crate::types::InviteProblem;

/// A clear page for an invite or link that cannot be used, with the way forward.
#[component]
pub fn ProblemView(problem: InviteProblem, texts: crate::types::Texts) -> impl IntoView {
    let key = match problem {
        InviteProblem::Unknown => "invite-unknown",
        InviteProblem::Expired => "invite-expired",
    };
    let (title, body) = (
        texts.t(&format!("{key}-title")),
        texts.t(&format!("{key}-body")),
    );
    view! {
        <section class="card" data-testid="problem">
            <h1>{title}</h1>
            <p>{body}</p>
        </section>
    }
}
