use leptos::prelude::*;

/// The seed's "not found" answer: the number was not recognised, try again or contact support,
/// and keep the profile's mobile number current.
#[component]
pub fn NotFoundNotice(operator: String, support: Option<(String, String)>) -> impl IntoView {
    view! {
        <div class="notice notice-error" role="alert" data-testid="not-found">
            <h2>"We couldn't find that number"</h2>
            <p>
                "The number you entered isn't registered for a digital pass with " {operator.clone()}
                ". Check it and try again"
                {match support {
                    Some((href, label)) => view! {
                        ", or contact support: " <a href=href>{label}</a> "."
                    }.into_any(),
                    None => view! { ", or contact your building's front desk." }.into_any(),
                }}
            </p>
            <p class="tip">
                <strong>"Tip: "</strong>
                "make sure your profile with " {operator} " holds your current mobile number."
            </p>
        </div>
    }
}
