//! The tray lamp, drawn at runtime from what the engine knows: a dark lamp when nothing waits, a lit
//! lamp with the number of new messages when something does, an urgent mark when an urgent message
//! waits, and a grey, struck-through lamp when any monitored mailbox is not known (stale or failed),
//! so that "no messages" and "don't know" never look alike.
//!
//! Pure: a [`Badge`] in, straight-alpha RGBA pixels out. Drawn in a 64-unit square and scaled, so
//! one drawing serves every tray size. Digits are drawn as seven-segment shapes, not from a font:
//! the icon looks the same on every machine.

use tiny_skia::{FillRule, Paint, PathBuilder, Pixmap, Rect, Transform};

/// What the tray lamp shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Badge {
    /// New (unheard) messages over every mailbox whose state is known.
    pub new: u32,
    /// Whether any urgent new message waits.
    pub urgent: bool,
    /// Whether any monitored mailbox is unknown, stale or failed.
    pub not_known: bool,
}

impl Badge {
    /// The text of the count: empty for none, `1`..`99`, then `99+`.
    pub fn count_text(&self) -> String {
        match self.new {
            0 => String::new(),
            n @ 1..=99 => n.to_string(),
            _ => "99+".to_owned(),
        }
    }
}

/// Square RGBA pixels (straight alpha), `size` × `size`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub size: u32,
    pub rgba: Vec<u8>,
}

const AMBER: [u8; 4] = [255, 176, 32, 255];
const AMBER_DARK: [u8; 4] = [122, 46, 5, 255];
const HIGHLIGHT: [u8; 4] = [255, 246, 201, 255];
const UNLIT: [u8; 4] = [150, 128, 96, 255];
const GREY: [u8; 4] = [158, 163, 170, 255];
const GREY_DARK: [u8; 4] = [84, 88, 94, 255];
const BASE: [u8; 4] = [59, 63, 70, 255];
const BASE_DARK: [u8; 4] = [31, 34, 38, 255];
const RED: [u8; 4] = [215, 38, 61, 255];
const WHITE: [u8; 4] = [255, 255, 255, 255];
const BLACK: [u8; 4] = [0, 0, 0, 255];

/// Draws `badge` as a `size` × `size` icon. `size` is clamped to 16..=512.
pub fn render(badge: &Badge, size: u32) -> Rendered {
    let size = size.clamp(16, 512);
    let mut pixmap = Pixmap::new(size, size).expect("a non-empty square");
    let scale = size as f32 / 64.0;
    let t = Transform::from_scale(scale, scale);

    let lit = badge.new > 0 && !badge.not_known;
    let (dome, rim) = if badge.not_known {
        (GREY, GREY_DARK)
    } else if badge.new > 0 {
        (AMBER, AMBER_DARK)
    } else {
        (UNLIT, AMBER_DARK)
    };
    lamp(&mut pixmap, t, dome, rim, lit);
    if badge.not_known {
        strike(&mut pixmap, t);
    }
    if badge.urgent {
        urgent_mark(&mut pixmap, t);
    }
    let text = badge.count_text();
    if !text.is_empty() {
        count_pill(&mut pixmap, t, &text);
    }

    let rgba = pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect();
    Rendered { size, rgba }
}

/// Draws `badge` as a macOS menu-bar template image: black shapes whose alpha is all that counts
/// (the system tints them for light and dark menu bars), the count going in the item's title
/// beside it. A hollow lamp when nothing waits, a filled one when messages wait, a dot with an
/// exclamation mark cut out when one is urgent, and the lamp cut through by a bar when any
/// mailbox is not known. `size` is clamped to 16..=512.
pub fn render_template(badge: &Badge, size: u32) -> Rendered {
    let size = size.clamp(16, 512);
    let mut pixmap = Pixmap::new(size, size).expect("a non-empty square");
    let scale = size as f32 / 64.0;
    let t = Transform::from_scale(scale, scale);
    let ink = paint(BLACK);
    let lit = badge.new > 0 && !badge.not_known;
    if let Some(dome) = dome_path() {
        if lit {
            pixmap.fill_path(&dome, &ink, FillRule::Winding, t, None);
        }
        let stroke = tiny_skia::Stroke {
            width: 5.0,
            ..Default::default()
        };
        pixmap.stroke_path(&dome, &ink, &stroke, t, None);
    }
    if let Some(base) = rounded_rect(8.0, 46.0, 56.0, 55.0, 3.0) {
        pixmap.fill_path(&base, &ink, FillRule::Winding, t, None);
    }
    if badge.not_known {
        let mut pb = PathBuilder::new();
        pb.move_to(6.0, 6.0);
        pb.line_to(58.0, 58.0);
        if let Some(path) = pb.finish() {
            let mut cut = paint(BLACK);
            cut.blend_mode = tiny_skia::BlendMode::Clear;
            let gap = tiny_skia::Stroke {
                width: 13.0,
                line_cap: tiny_skia::LineCap::Round,
                ..Default::default()
            };
            pixmap.stroke_path(&path, &cut, &gap, t, None);
            let bar = tiny_skia::Stroke {
                width: 5.0,
                line_cap: tiny_skia::LineCap::Round,
                ..Default::default()
            };
            pixmap.stroke_path(&path, &ink, &bar, t, None);
        }
    }
    if badge.urgent {
        if let Some(disc) = PathBuilder::from_circle(52.0, 12.0, 12.0) {
            pixmap.fill_path(&disc, &ink, FillRule::Winding, t, None);
        }
        let mut cut = paint(BLACK);
        cut.blend_mode = tiny_skia::BlendMode::Clear;
        for (l, top, r, b) in [(50.0, 3.5, 54.0, 15.0), (50.0, 17.0, 54.0, 21.0)] {
            if let Some(rect) = Rect::from_ltrb(l, top, r, b) {
                pixmap.fill_rect(rect, &cut, t, None);
            }
        }
    }
    let rgba = pixmap
        .pixels()
        .iter()
        .flat_map(|p| [0, 0, 0, p.alpha()])
        .collect();
    Rendered { size, rgba }
}

fn paint(rgba: [u8; 4]) -> Paint<'static> {
    let mut paint = Paint::default();
    paint.set_color_rgba8(rgba[0], rgba[1], rgba[2], rgba[3]);
    paint.anti_alias = true;
    paint
}

fn fill_rect(pixmap: &mut Pixmap, t: Transform, l: f32, top: f32, r: f32, b: f32, color: [u8; 4]) {
    if let Some(rect) = Rect::from_ltrb(l, top, r, b) {
        pixmap.fill_rect(rect, &paint(color), t, None);
    }
}

fn rounded_rect(l: f32, t: f32, r: f32, b: f32, radius: f32) -> Option<tiny_skia::Path> {
    let k = 0.5523 * radius;
    let mut pb = PathBuilder::new();
    pb.move_to(l + radius, t);
    pb.line_to(r - radius, t);
    pb.cubic_to(r - radius + k, t, r, t + radius - k, r, t + radius);
    pb.line_to(r, b - radius);
    pb.cubic_to(r, b - radius + k, r - radius + k, b, r - radius, b);
    pb.line_to(l + radius, b);
    pb.cubic_to(l + radius - k, b, l, b - radius + k, l, b - radius);
    pb.line_to(l, t + radius);
    pb.cubic_to(l, t + radius - k, l + radius - k, t, l + radius, t);
    pb.close();
    pb.finish()
}

/// The dome's outline: a half disc over a band.
fn dome_path() -> Option<tiny_skia::Path> {
    let (cx, cy, r) = (32.0_f32, 34.0_f32, 20.0_f32);
    let k = 0.5523 * r;
    let mut pb = PathBuilder::new();
    pb.move_to(cx - r, cy);
    pb.cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
    pb.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
    pb.line_to(cx + r, cy + 8.0);
    pb.line_to(cx - r, cy + 8.0);
    pb.close();
    pb.finish()
}

/// The dome, its base and foot.
fn lamp(pixmap: &mut Pixmap, t: Transform, dome: [u8; 4], rim: [u8; 4], lit: bool) {
    if let Some(path) = dome_path() {
        pixmap.fill_path(&path, &paint(dome), FillRule::Winding, t, None);
        let stroke = tiny_skia::Stroke {
            width: 3.0,
            ..Default::default()
        };
        pixmap.stroke_path(&path, &paint(rim), &stroke, t, None);
    }
    if lit {
        // The glint that makes a lit lamp read as lit even at 16 pixels.
        fill_rect(pixmap, t, 21.0, 24.0, 26.0, 32.0, HIGHLIGHT);
    }
    if let Some(base) = rounded_rect(8.0, 42.0, 56.0, 51.0, 3.0) {
        pixmap.fill_path(&base, &paint(BASE), FillRule::Winding, t, None);
    }
    fill_rect(pixmap, t, 16.0, 51.0, 48.0, 58.0, BASE_DARK);
}

/// A diagonal bar across the lamp: "not known".
fn strike(pixmap: &mut Pixmap, t: Transform) {
    let mut pb = PathBuilder::new();
    pb.move_to(8.0, 8.0);
    pb.line_to(56.0, 56.0);
    if let Some(path) = pb.finish() {
        let halo = tiny_skia::Stroke {
            width: 10.0,
            line_cap: tiny_skia::LineCap::Round,
            ..Default::default()
        };
        pixmap.stroke_path(&path, &paint(WHITE), &halo, t, None);
        let bar = tiny_skia::Stroke {
            width: 5.0,
            line_cap: tiny_skia::LineCap::Round,
            ..Default::default()
        };
        pixmap.stroke_path(&path, &paint(GREY_DARK), &bar, t, None);
    }
}

/// A red disc with an exclamation mark in the top-right corner.
fn urgent_mark(pixmap: &mut Pixmap, t: Transform) {
    if let Some(disc) = PathBuilder::from_circle(52.0, 12.0, 12.0) {
        pixmap.fill_path(&disc, &paint(RED), FillRule::Winding, t, None);
    }
    fill_rect(pixmap, t, 50.0, 3.5, 54.0, 15.0, WHITE);
    fill_rect(pixmap, t, 50.0, 17.0, 54.0, 21.0, WHITE);
}

const DIGIT_W: f32 = 7.0;
const DIGIT_H: f32 = 14.0;
const STROKE: f32 = 2.6;
const GAP: f32 = 1.8;

/// A red pill in the bottom-right corner holding `text` (digits and `+`).
fn count_pill(pixmap: &mut Pixmap, t: Transform, text: &str) {
    let chars = text.chars().count() as f32;
    let width = chars * DIGIT_W + (chars - 1.0) * GAP + 8.0;
    let (right, bottom) = (64.0, 64.0);
    let left = (right - width).max(0.0);
    let top = bottom - (DIGIT_H + 8.0);
    if let Some(pill) = rounded_rect(left, top, right, bottom, 6.0) {
        pixmap.fill_path(&pill, &paint(RED), FillRule::Winding, t, None);
    }
    let mut x = left + 4.0;
    for c in text.chars() {
        glyph(pixmap, t, c, x, top + 4.0);
        x += DIGIT_W + GAP;
    }
}

/// Seven segments, `a` (top) clockwise to `f`, then `g` (middle), as bits 0..=6.
fn segments(c: char) -> u8 {
    match c {
        '0' => 0b011_1111,
        '1' => 0b000_0110,
        '2' => 0b101_1011,
        '3' => 0b100_1111,
        '4' => 0b110_0110,
        '5' => 0b110_1101,
        '6' => 0b111_1101,
        '7' => 0b000_0111,
        '8' => 0b111_1111,
        '9' => 0b110_1111,
        _ => 0,
    }
}

fn glyph(pixmap: &mut Pixmap, t: Transform, c: char, x: f32, y: f32) {
    let (w, h, s) = (DIGIT_W, DIGIT_H, STROKE);
    let mid = y + (h - s) / 2.0;
    if c == '+' {
        fill_rect(pixmap, t, x, mid, x + w, mid + s, WHITE);
        let cx = x + (w - s) / 2.0;
        fill_rect(pixmap, t, cx, y + 3.0, cx + s, y + h - 3.0, WHITE);
        return;
    }
    let bits = segments(c);
    let bars: [(f32, f32, f32, f32); 7] = [
        (x, y, x + w, y + s),           // a
        (x + w - s, y, x + w, mid + s), // b
        (x + w - s, mid, x + w, y + h), // c
        (x, y + h - s, x + w, y + h),   // d
        (x, mid, x + s, y + h),         // e
        (x, y, x + s, mid + s),         // f
        (x, mid, x + w, mid + s),       // g
    ];
    for (i, (l, top, r, b)) in bars.into_iter().enumerate() {
        if bits & (1 << i) != 0 {
            fill_rect(pixmap, t, l, top, r, b, WHITE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_text_caps_at_99_plus() {
        let text = |new| {
            Badge {
                new,
                ..Badge::default()
            }
            .count_text()
        };
        assert_eq!(text(0), "");
        assert_eq!(text(1), "1");
        assert_eq!(text(99), "99");
        assert_eq!(text(100), "99+");
        assert_eq!(text(u32::MAX), "99+");
    }

    #[test]
    fn every_digit_has_segments_and_eight_has_all() {
        for c in '0'..='9' {
            assert_ne!(segments(c), 0, "{c}");
        }
        assert_eq!(segments('8'), 0b111_1111);
    }

    #[test]
    fn size_is_clamped_and_pixels_fill_the_square() {
        let small = render(&Badge::default(), 1);
        assert_eq!(small.size, 16);
        assert_eq!(small.rgba.len(), 16 * 16 * 4);
        let big = render(&Badge::default(), 64);
        assert_eq!(big.rgba.len(), 64 * 64 * 4);
    }
}
