//! Invites, posters and their QR codes.

use super::*;
use domain::store::{now_ms, Store, StoreError};

pub fn invite_state(expires_at: i64, revoked_at: Option<i64>) -> &'static str {
    if revoked_at.is_some() {
        "revoked"
    } else if expires_at <= now_ms() {
        "expired"
    } else {
        "active"
    }
}

pub async fn invites(
    store: &Store,
    operator_id: i64,
    default_days: i64,
) -> Result<InviteList, StoreError> {
    let rows = store
        .invite_rows(operator_id, 200)
        .await?
        .into_iter()
        .map(|i| InviteRow {
            id: i.id,
            poster: i.member_id.is_none(),
            target: match i.member_id {
                Some(_) => format!(
                    "{} {}",
                    i.first_name.unwrap_or_default(),
                    i.last_name.unwrap_or_default()
                )
                .trim()
                .to_owned(),
                None => i.site_name.clone().unwrap_or_else(|| "Any site".to_owned()),
            },
            state: invite_state(i.expires_at, i.revoked_at).to_owned(),
            created: fmt_time(i.created_at),
            expires: fmt_time(i.expires_at),
            sent: i.sent_at.map(fmt_time),
            journeys: i.journeys,
        })
        .collect();
    let sites = store
        .sites_of(operator_id)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let members = store
        .invitable_members(operator_id, 1000)
        .await?
        .into_iter()
        .map(|m| {
            (
                m.id,
                format!(
                    "{} {} <{}>",
                    m.first_name,
                    m.last_name,
                    m.email.unwrap_or_default()
                ),
            )
        })
        .collect();
    Ok(InviteList {
        rows,
        sites,
        members,
        default_days,
    })
}

/// The QR code of a URL as an SVG document.
pub fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(320, 320)
            .quiet_zone(true)
            .build(),
    )
}

/// The QR code of a URL as a PNG (8 pixels a module, with a quiet zone).
pub fn qr_png(url: &str) -> Option<Vec<u8>> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    let n = code.width();
    let scale = 8;
    let quiet = 4;
    let size = (n + 2 * quiet) * scale;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; size * size];
    for y in 0..n {
        for x in 0..n {
            if colors[y * n + x] == qrcode::Color::Dark {
                for dy in 0..scale {
                    let row = ((y + quiet) * scale + dy) * size;
                    let start = row + (x + quiet) * scale;
                    pixels[start..start + scale].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, size as u32, size as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().ok()?;
        w.write_image_data(&pixels).ok()?;
    }
    Some(out)
}

pub async fn poster(
    store: &Store,
    public_url: &str,
    operator_id: i64,
    id: i64,
) -> Result<Option<PosterView>, StoreError> {
    let Some(i) = store.invite_row(operator_id, id).await? else {
        return Ok(None);
    };
    let Some(token) = i.print_token.clone() else {
        return Ok(None);
    };
    let Some(op) = store.operator(operator_id).await? else {
        return Ok(None);
    };
    let url = format!("{public_url}/i/{token}");
    Ok(Some(PosterView {
        id,
        operator: op.name,
        logo_url: op.logo_url,
        site: i.site_name,
        qr_svg: qr_svg(&url).unwrap_or_default(),
        url,
        brand_color: op.brand_color,
        expires: fmt_date(i.expires_at),
        state: invite_state(i.expires_at, i.revoked_at).to_owned(),
    }))
}
