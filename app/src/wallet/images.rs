//! The pass's images, drawn from the operator's brand colour: an icon (a card glyph on the
//! brand colour, with rounded corners) and a logo mark. Operators' own artwork is a later step.

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
