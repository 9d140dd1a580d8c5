//! Demo data for `make run`: one operator with two sites and members covering every branch of
//! the journey. Loaded once, into an empty database.

use std::path::Path;

use crate::store::{
    now_ms, CredentialSource, NewInvite, NewMember, NewOperator, Store, StoreError,
};
use crate::tokens::Token;

pub const DEMO_OPERATOR_SLUG: &str = "northwind";
/// The file, in the data folder, that keeps the demo invite URL (the database keeps only its hash).
pub const DEMO_INVITE_FILE: &str = "demo-invite-url.txt";

/// A demo member: (external id, first, last, email, mobile, synced, active).
type DemoMember = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    bool,
    bool,
);

/// Members, with what each one demonstrates.
pub const DEMO_MEMBERS: &[DemoMember] = &[
    (
        "nw-1001",
        "Ada",
        "Lovelace",
        "ada@example.com",
        Some("+447400123001"),
        true,
        true,
    ),
    // Holds a physical access card: the wallet pass reuses its credential.
    (
        "nw-1002",
        "Grace",
        "Hopper",
        "grace@example.com",
        Some("+447400123002"),
        true,
        true,
    ),
    (
        "nw-1003",
        "Alan",
        "Turing",
        "alan@example.com",
        Some("+447400123003"),
        true,
        true,
    ),
    (
        "nw-1004",
        "Katherine",
        "Johnson",
        "katherine@example.com",
        Some("+447400123004"),
        true,
        true,
    ),
    (
        "nw-1005",
        "Tim",
        "Berners-Lee",
        "tim@example.com",
        Some("+447400123005"),
        true,
        true,
    ),
    // No mobile on record: can never match.
    (
        "nw-1006",
        "Margaret",
        "Hamilton",
        "margaret@example.com",
        None,
        true,
        true,
    ),
    // Not yet synced to the platform.
    (
        "nw-1007",
        "Edsger",
        "Dijkstra",
        "edsger@example.com",
        Some("+447400123007"),
        false,
        true,
    ),
    // Left the workspace.
    (
        "nw-1008",
        "Barbara",
        "Liskov",
        "barbara@example.com",
        Some("+447400123008"),
        true,
        false,
    ),
];

pub struct Seeded {
    pub operator_id: i64,
    pub invite_token: Token,
}

/// Loads the demo into `store` if it holds no operator yet. Returns the new site invite.
pub async fn seed_if_empty(store: &Store) -> Result<Option<Seeded>, StoreError> {
    if store.operator_count().await? > 0 {
        return Ok(None);
    }
    seed(store).await.map(Some)
}

pub async fn seed(store: &Store) -> Result<Seeded, StoreError> {
    let operator_id = store
        .insert_operator(&NewOperator {
            slug: DEMO_OPERATOR_SLUG,
            name: "Northwind Workspace",
            brand_color: "#1f4fd1",
            accent_color: "#0b1f4d",
            support_email: Some("help@northwind.example"),
            support_phone: Some("+44 20 7946 0000"),
            support_url: None,
            default_region: "GB",
        })
        .await?;
    let shoreditch = store
        .insert_site(
            operator_id,
            "Northwind Shoreditch",
            Some("1 Rivington Street, London EC2A 3DT"),
        )
        .await?;
    store
        .insert_site(
            operator_id,
            "Northwind King's Cross",
            Some("10 Pancras Square, London N1C 4AG"),
        )
        .await?;
    let now = now_ms();
    for &(external_id, first, last, email, mobile, synced, active) in DEMO_MEMBERS {
        let member_id = store
            .upsert_member(&NewMember {
                operator_id,
                external_id,
                first_name: first,
                last_name: last,
                email: Some(email),
                mobile_e164: mobile,
                source: "demo",
                synced_at: synced.then_some(now),
                active,
            })
            .await?;
        if external_id == "nw-1002" {
            store
                .insert_credential(
                    operator_id,
                    member_id,
                    CredentialSource::PhysicalCard,
                    42,
                    1002,
                )
                .await?;
        }
    }
    let token = Token::generate(16);
    let invite_id = store
        .insert_invite(&NewInvite {
            operator_id,
            site_id: Some(shoreditch),
            member_id: None,
            token_hash: &token.hash(),
            channel: "print",
            expires_at: now + 365 * 24 * 3600 * 1000,
        })
        .await?;
    store
        .set_print_token(invite_id, token.expose(), Some("Reception poster"))
        .await?;
    Ok(Seeded {
        operator_id,
        invite_token: token,
    })
}

pub const DEMO_ADMIN_EMAIL: &str = "admin@northwind.example";
pub const DEMO_ADMIN_FILE: &str = "demo-admin.txt";

/// The demo operator's admin account, with the given password or a generated one; the
/// sign-in is kept in the data folder so every start can show it again.
pub async fn seed_admin(
    store: &Store,
    operator_id: i64,
    password: Option<&str>,
    data_dir: &Path,
) -> Result<(), StoreError> {
    let password = password
        .map(str::to_owned)
        .unwrap_or_else(|| Token::generate(12).expose().to_owned());
    store
        .create_staff(
            operator_id,
            DEMO_ADMIN_EMAIL,
            &crate::staff::hash_password(&password),
            "admin",
        )
        .await?;
    // The password in clear: for the owner of the data folder only.
    crate::private_file::write(
        &data_dir.join(DEMO_ADMIN_FILE),
        format!("{DEMO_ADMIN_EMAIL} {password}\n").as_bytes(),
    )?;
    Ok(())
}

/// The demo admin's (email, password), as `seed_admin` kept them.
pub fn remembered_admin(data_dir: &Path) -> Option<(String, String)> {
    let text = std::fs::read_to_string(data_dir.join(DEMO_ADMIN_FILE)).ok()?;
    let (email, password) = text.trim().split_once(' ')?;
    Some((email.to_owned(), password.to_owned()))
}

pub fn invite_url(public_url: &str, token: &Token) -> String {
    format!("{public_url}/i/{}", token.expose())
}

/// Keeps the demo invite URL in the data folder so every start can show it again.
pub fn remember_invite_url(data_dir: &Path, url: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(data_dir)?;
    std::fs::write(data_dir.join(DEMO_INVITE_FILE), format!("{url}\n"))
}

pub fn remembered_invite_url(data_dir: &Path) -> Option<String> {
    std::fs::read_to_string(data_dir.join(DEMO_INVITE_FILE))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The URL drawn as a QR code for a terminal (two rows of modules per text line).
pub fn terminal_qr(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}
