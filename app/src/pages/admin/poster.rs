//! A site poster's printable page at `/admin/invites/:id/poster`.

use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title};

use super::{param, problem};
use crate::api::admin::admin_poster;
use crate::types::admin::Admin;

/// A printable page: the operator, a large QR code and three short instructions.
#[component]
pub fn AdminPosterPage() -> impl IntoView {
    let id: i64 = param("id").parse().unwrap_or(-1);
    let data = admin_poster(id);
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: p }) => {
                        let style = if p.brand_color.len() == 7 && p.brand_color.starts_with('#') { format!("--brand: {};", p.brand_color) } else { String::new() };
                        view! {
                            <Title text=format!("Poster · {}", me.operator)/>
                            <Stylesheet href="/admin.css"/>
                            <main class="poster" style=style data-testid="poster">
                                <p class="poster-tools no-print"><a href="/admin/invites">"← Invites"</a>
                                    " · Use your browser's Print command. · "
                                    <a href=format!("/admin/invites/{}/qr.png", p.id) download="qr.png">"Download PNG"</a>
                                    {(p.state != "active").then(|| view! { <strong>{format!(" This invite is {}.", p.state)}</strong> })}
                                </p>
                                <header>
                                    {p.logo_url.clone().map(|src| view! { <img class="poster-logo" src=src alt=format!("{} logo", p.operator)/> })}
                                    <h1>{format!("Your {} pass, on your phone", p.operator)}</h1>
                                    {p.site.clone().map(|s| view! { <p class="poster-site">{s}</p> })}
                                </header>
                                <div class="poster-qr" role="img" aria-label="QR code to get your digital pass" inner_html=p.qr_svg></div>
                                <ol class="poster-steps">
                                    <li>"Scan the code with your phone's camera."</li>
                                    <li>"Enter the mobile number on your member profile."</li>
                                    <li>"Open the link we text you and add your pass to Apple Wallet or Google Wallet."</li>
                                </ol>
                                <p class="poster-url">{p.url.clone()}</p>
                                <p class="poster-fine">{format!("Works until {}.", p.expires)}</p>
                            </main>
                        }.into_any()
                    }
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}
