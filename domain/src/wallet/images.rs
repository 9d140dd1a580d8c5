//! The pass's images, drawn from the operator's brand colour: an icon (a card glyph on the
//! brand colour, with rounded corners) and a logo mark; and the checks on operators' own artwork.

use super::WalletError;

fn encode(width: u32, height: u32, rgba: &[u8]) -> Result<Vec<u8>, WalletError> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc
        .write_header()
        .map_err(|e| WalletError::Package(e.to_string()))?;
    w.write_image_data(rgba)
        .map_err(|e| WalletError::Package(e.to_string()))?;
    w.finish()
        .map_err(|e| WalletError::Package(e.to_string()))?;
    Ok(out)
}

/// A `size`×`size` rounded square in `bg` with a white card shape in the middle.
pub fn icon(size: u32, bg: (u8, u8, u8)) -> Result<Vec<u8>, WalletError> {
    encode(size, size, &icon_pixels(size, bg))
}

fn icon_pixels(size: u32, bg: (u8, u8, u8)) -> Vec<u8> {
    let s = size as f32;
    let radius = s * 0.22;
    let mut px = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            let inside = rounded(fx, fy, 0.0, 0.0, s, s, radius);
            let card = rounded(fx, fy, s * 0.25, s * 0.18, s * 0.75, s * 0.82, s * 0.08);
            let stripe = fx > s * 0.34 && fx < s * 0.66 && fy > s * 0.30 && fy < s * 0.38;
            let (r, g, b, a) = if !inside {
                (0, 0, 0, 0)
            } else if card && !stripe {
                (255, 255, 255, 255)
            } else {
                (bg.0, bg.1, bg.2, 255)
            };
            px.extend_from_slice(&[r, g, b, a]);
        }
    }
    px
}

/// A logo: the icon's mark at the left of a transparent `width`×`height` strip.
pub fn logo(width: u32, height: u32, bg: (u8, u8, u8)) -> Result<Vec<u8>, WalletError> {
    let mark = height;
    let mut px = vec![0u8; (width * height * 4) as usize];
    let icon_rgba = icon_pixels(mark, bg);
    for y in 0..height {
        for x in 0..mark.min(width) {
            let src = ((y * mark + x) * 4) as usize;
            let dst = ((y * width + x) * 4) as usize;
            px[dst..dst + 4].copy_from_slice(&icon_rgba[src..src + 4]);
        }
    }
    encode(width, height, &px)
}

fn rounded(x: f32, y: f32, x0: f32, y0: f32, x1: f32, y1: f32, r: f32) -> bool {
    if x < x0 || x > x1 || y < y0 || y > y1 {
        return false;
    }
    let cx = x.clamp(x0 + r, x1 - r);
    let cy = y.clamp(y0 + r, y1 - r);
    (x - cx).powi(2) + (y - cy).powi(2) <= r * r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size_of(png: &[u8]) -> (u32, u32) {
        let reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .unwrap();
        (reader.info().width, reader.info().height)
    }

    #[test]
    fn images_are_pngs_of_the_asked_size() {
        let i = icon(58, (31, 79, 209)).unwrap();
        assert_eq!(&i[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(size_of(&i), (58, 58));
        assert_eq!(size_of(&logo(320, 100, (0, 0, 0)).unwrap()), (320, 100));
    }
}

/// What an operator may upload, with Apple's sizes at 3x (the largest Wallet shows): the logo
/// at most 480×150 px (160×50 pt), the icon square and at least 87 px (29 pt), the strip (behind
/// the member's name; the pass becomes a store card) 375 to 1125 px wide and at most 432 px high.
/// Wallet scales the same image for 1x and 2x screens.
pub const UPLOAD_KINDS: [&str; 3] = ["logo", "icon", "strip"];

/// Why an upload was refused; `code()` names it for the dashboard's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadProblem {
    Missing,
    TooLarge,
    NotPng,
    Damaged,
    LogoSize { width: u32, height: u32 },
    IconSize { width: u32, height: u32 },
    StripSize { width: u32, height: u32 },
    Kind,
}

impl UploadProblem {
    pub fn code(&self) -> &'static str {
        match self {
            UploadProblem::Missing => "image-missing",
            UploadProblem::TooLarge => "image-too-large",
            UploadProblem::NotPng => "image-not-png",
            UploadProblem::Damaged => "image-damaged",
            UploadProblem::LogoSize { .. } => "image-logo-size",
            UploadProblem::IconSize { .. } => "image-icon-size",
            UploadProblem::StripSize { .. } => "image-strip-size",
            UploadProblem::Kind => "image-kind",
        }
    }
}

impl std::fmt::Display for UploadProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UploadProblem::Missing => write!(f, "no file"),
            UploadProblem::TooLarge => write!(f, "larger than 512 KB"),
            UploadProblem::NotPng => write!(f, "not a PNG"),
            UploadProblem::Damaged => write!(f, "a damaged PNG"),
            UploadProblem::LogoSize { width, height } => write!(f, "a {width} × {height} logo"),
            UploadProblem::IconSize { width, height } => write!(f, "a {width} × {height} icon"),
            UploadProblem::StripSize { width, height } => write!(f, "a {width} × {height} strip"),
            UploadProblem::Kind => write!(f, "neither logo nor icon"),
        }
    }
}

/// Checks an upload: a PNG of the right size for its kind, at most 512 KB. Returns its size in
/// pixels.
pub fn validate_upload(kind: &str, bytes: &[u8]) -> Result<(u32, u32), UploadProblem> {
    if !UPLOAD_KINDS.contains(&kind) {
        return Err(UploadProblem::Kind);
    }
    if bytes.is_empty() {
        return Err(UploadProblem::Missing);
    }
    if bytes.len() > 512 * 1024 {
        return Err(UploadProblem::TooLarge);
    }
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(UploadProblem::NotPng);
    }
    let reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .map_err(|_| UploadProblem::Damaged)?;
    let (width, height) = (reader.info().width, reader.info().height);
    let fits = match kind {
        "logo" => width <= 480 && (30..=150).contains(&height),
        "strip" => (375..=1125).contains(&width) && (60..=432).contains(&height),
        _ => width == height && (87..=1024).contains(&width),
    };
    match (fits, kind) {
        (true, _) => Ok((width, height)),
        (false, "logo") => Err(UploadProblem::LogoSize { width, height }),
        (false, "strip") => Err(UploadProblem::StripSize { width, height }),
        (false, _) => Err(UploadProblem::IconSize { width, height }),
    }
}

#[cfg(test)]
mod upload_tests {
    use super::*;

    #[test]
    fn uploads_are_checked_for_format_and_size() {
        let png = |w, h| encode(w, h, &vec![200u8; (w * h * 4) as usize]).unwrap();
        assert_eq!(validate_upload("logo", &png(480, 150)), Ok((480, 150)));
        assert_eq!(validate_upload("icon", &png(87, 87)), Ok((87, 87)));
        assert_eq!(
            validate_upload("logo", &png(481, 150)),
            Err(UploadProblem::LogoSize {
                width: 481,
                height: 150
            })
        );
        assert_eq!(
            validate_upload("icon", &png(90, 80)),
            Err(UploadProblem::IconSize {
                width: 90,
                height: 80
            })
        );
        assert_eq!(
            validate_upload("icon", &png(40, 40)).unwrap_err().code(),
            "image-icon-size"
        );
        assert_eq!(
            validate_upload("logo", b"GIF89a...."),
            Err(UploadProblem::NotPng)
        );
        assert_eq!(validate_upload("logo", b""), Err(UploadProblem::Missing));
        let mut cut = png(100, 100);
        cut.truncate(20);
        assert_eq!(validate_upload("icon", &cut), Err(UploadProblem::Damaged));
        assert_eq!(validate_upload("strip", &png(1125, 369)), Ok((1125, 369)));
        assert_eq!(
            validate_upload("strip", &png(100, 100)),
            Err(UploadProblem::StripSize {
                width: 100,
                height: 100
            })
        );
        assert_eq!(
            validate_upload("thumbnail", &png(90, 90)),
            Err(UploadProblem::Kind)
        );
    }
}
