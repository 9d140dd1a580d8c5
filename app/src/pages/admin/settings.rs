//! The operator's settings at `/admin/settings` (admins only).

use leptos::prelude::*;

use super::layout::{Csrf, Layout};
use super::problem;
use crate::api::admin::admin_settings;
use crate::types::admin::Admin;

#[component]
pub fn AdminSettingsPage() -> impl IntoView {
    let data = admin_settings();
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: s }) => view! {
                        <Layout me=me.clone() current="settings" title="Settings".to_owned()>
                            <form method="post" action="/admin/settings" class="admin-form settings">
                                <Csrf me=me.clone()/>
                                <fieldset><legend>"Branding"</legend>
                                    <label for="s-name">"Name"</label><input id="s-name" name="name" required maxlength="80" value=s.name.clone()/>
                                    <label for="s-brand">"Brand colour"</label><input id="s-brand" name="brand_color" type="color" value=s.brand_color.clone()/>
                                    <label for="s-accent">"Accent colour"</label><input id="s-accent" name="accent_color" type="color" value=s.accent_color.clone()/>
                                    <label for="s-logo">"Logo URL (https://)"</label><input id="s-logo" name="logo_url" type="url" value=s.logo_url.clone()/>
                                </fieldset>
                                <fieldset><legend>"Support contact"</legend>
                                    <label for="s-email">"Email"</label><input id="s-email" name="support_email" type="email" value=s.support_email.clone()/>
                                    <label for="s-phone">"Phone"</label><input id="s-phone" name="support_phone" type="tel" value=s.support_phone.clone()/>
                                    <label for="s-url">"Help page (https://)"</label><input id="s-url" name="support_url" type="url" value=s.support_url.clone()/>
                                </fieldset>
                                <fieldset><legend>"Numbers and lifetimes"</legend>
                                    <label for="s-region">"Default phone region"</label>
                                    <select id="s-region" name="default_region">
                                        {crate::types::REGIONS.iter().map(|r| view! {
                                            <option value=r.code selected=s.default_region == r.code>{format!("{} ({})", r.name, r.dial)}</option>
                                        }).collect_view()}
                                    </select>
                                    <label for="s-link">"Texted link works for (minutes, 1–60)"</label>
                                    <input id="s-link" name="link_minutes" type="number" min="1" max="60" value=s.link_minutes.to_string()/>
                                    <label for="s-invite">"New invites work for (days, 1–366)"</label>
                                    <input id="s-invite" name="invite_days" type="number" min="1" max="366" value=s.invite_days.to_string()/>
                                </fieldset>
                                <fieldset><legend>"Access credential"</legend>
                                    <label for="s-format">"The pass's QR code carries"</label>
                                    <select id="s-format" name="credential_format">
                                        {[("h10301", "H10301:facility:card (e.g. H10301:42:1002)"),
                                          ("card", "The card number alone (1002)"),
                                          ("wiegand26", "The 26-bit Wiegand value with parity, in hex (0A807D5)"),
                                          ("signed", "A signed token readers verify offline (key at /credential-key.pem)")]
                                            .into_iter().map(|(v, l)| view! {
                                                <option value=v selected=s.credential_format == v>{l}</option>
                                            }).collect_view()}
                                    </select>
                                    <label for="s-devices">"Apple devices one pass may be on (1–10; more shows a warning)"</label>
                                    <input id="s-devices" name="max_apple_devices" type="number" min="1" max="10" value=s.max_apple_devices.to_string()/>
                                </fieldset>
                                <fieldset data-testid="languages"><legend>"Members' languages"</legend>
                                    <input type="hidden" name="languages_shown" value="1"/>
                                    <p class="help">"Members read the pages, the text, the invite email and the pass in their language: the CRM's, else their phone's, else the default. Each text must stay within two SMS segments; one character outside the GSM alphabet makes it UCS-2 (70 characters a segment instead of 160)."</p>
                                    <div class="table-wrap">
                                        <table class="admin-table">
                                            <caption class="visually-hidden">"Languages and their text's length"</caption>
                                            <thead><tr><th scope="col">"Language"</th><th scope="col">"Text message"</th></tr></thead>
                                            <tbody>
                                                {s.languages.iter().map(|l| {
                                                    let id = format!("s-lang-{}", l.tag);
                                                    let class = if l.segments > 2 { "notice-error" } else { "" };
                                                    let cost = format!("{} segment{} · {} · {} characters", l.segments, if l.segments == 1 { "" } else { "s" }, l.encoding, l.characters);
                                                    view! {
                                                        <tr data-testid="language-row">
                                                            <td><label class="check"><input id=id type="checkbox" name=format!("language-{}", l.tag) checked=l.enabled/>" " {l.name.clone()} " (" {l.tag.clone()} ")"</label></td>
                                                            <td data-testid="sms-segments" class=class>{cost}</td>
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                    <label for="s-default-language">"Default language"</label>
                                    <select id="s-default-language" name="default_language">
                                        {s.languages.iter().map(|l| view! {
                                            <option value=l.tag.clone() selected=s.default_language == l.tag>{l.name.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                </fieldset>
                                <fieldset><legend>"Abuse limits"</legend>
                                    <label for="s-countries">"Countries texts may go to (e.g. GB,IE; empty: the default region only)"</label>
                                    <input id="s-countries" name="sms_countries" value=s.sms_countries.clone()/>
                                    <label for="s-budget">"Texts per hour, at most"</label>
                                    <input id="s-budget" name="sms_hourly_budget" type="number" min="1" value=s.sms_hourly_budget.to_string()/>
                                    <label class="check"><input type="checkbox" name="strict" checked=s.strict/>
                                        " Strict enumeration mode: a number that is not found looks the same as one that is"</label>
                                </fieldset>
                                <button type="submit" class="button primary">"Save settings"</button>
                            </form>
                            <section class="panel settings" aria-labelledby="sites-title">
                                <h2 id="sites-title">"Sites at the door"</h2>
                                <p>"Where each site's door is, in decimal degrees (your map app shows them). Apple Wallet then brings the pass up on the lock screen at the door."</p>
                                {s.sites.iter().map(|site| {
                                    let id = site.id;
                                    view! {
                                        <form method="post" action=format!("/admin/sites/{id}") class="admin-form site-form" data-testid="site-form">
                                            <Csrf me=me.clone()/>
                                            <fieldset><legend>{site.name.clone()}</legend>
                                                <label for=format!("site-{id}-lat")>"Latitude"</label>
                                                <input id=format!("site-{id}-lat") name="latitude" inputmode="decimal" placeholder="51.5246" value=site.latitude.clone()/>
                                                <label for=format!("site-{id}-lng")>"Longitude"</label>
                                                <input id=format!("site-{id}-lng") name="longitude" inputmode="decimal" placeholder="-0.0781" value=site.longitude.clone()/>
                                                <label for=format!("site-{id}-entrance")>"Entrance (optional)"</label>
                                                <input id=format!("site-{id}-entrance") name="entrance" maxlength="80" placeholder="Main entrance" value=site.entrance.clone()/>
                                                <button type="submit" class="button">{format!("Save {}", site.name)}</button>
                                            </fieldset>
                                        </form>
                                    }
                                }).collect_view()}
                            </section>
                            <section class="panel settings" aria-labelledby="images-title">
                                <h2 id="images-title">"Pass images"</h2>
                                <p>"PNG files. The logo is at most 480 × 150 pixels; the icon is square, 87 to 1024 pixels; the optional strip (behind the member's name) is 375 to 1125 pixels wide and at most 432 high. Without them, passes use images drawn in your brand colour and no strip."</p>
                                {["logo", "icon", "strip"].into_iter().filter(|k| s.images.iter().any(|i| i == k)).map(|kind| view! {
                                    <div class="current-image">
                                        <img src=format!("/admin/images/{kind}.png") alt=format!("Your current {kind}")/>
                                        <form method="post" action="/admin/settings/images" enctype="multipart/form-data" class="inline-form">
                                            <Csrf me=me.clone()/>
                                            <input type="hidden" name="kind" value=kind/>
                                            <input type="hidden" name="remove" value="1"/>
                                            <button type="submit" class="button small danger">{format!("Remove the {kind}")}</button>
                                        </form>
                                    </div>
                                }).collect_view()}
                                <form method="post" action="/admin/settings/images" enctype="multipart/form-data" class="admin-form">
                                    <Csrf me=me.clone()/>
                                    <label for="img-kind">"Image"</label>
                                    <select id="img-kind" name="kind"><option value="logo">"Logo"</option><option value="icon">"Icon"</option><option value="strip">"Strip"</option></select>
                                    <label for="img-file">"PNG file"</label>
                                    <input id="img-file" name="file" type="file" accept="image/png" required/>
                                    <button type="submit" class="button primary">"Upload"</button>
                                </form>
                            </section>
                        </Layout>
                    }.into_any(),
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}
