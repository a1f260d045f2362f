//! The tray lamp renderer against golden images, and the properties a person relies on: "nothing
//! waits" and "not known" never look alike, urgent is marked, counts cap at 99+.
//!
//! After an intended change of the drawing, regenerate the goldens with
//! `VOICELAMP_UPDATE_GOLDEN=1 cargo test -p voicelamp-desktop --test tray_badge` and look at them.

use std::path::PathBuf;

use voicelamp_desktop::badge::{Badge, Rendered, render, render_template};

const SIZE: u32 = 32;

fn cases() -> Vec<(&'static str, Badge)> {
    let b = |new, urgent, not_known| Badge {
        new,
        urgent,
        not_known,
    };
    vec![
        ("zero", b(0, false, false)),
        ("one", b(1, false, false)),
        ("forty-two", b(42, false, false)),
        ("hundred", b(100, false, false)),
        ("urgent", b(3, true, false)),
        ("stale", b(0, false, true)),
        ("stale-with-count", b(5, false, true)),
    ]
}

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/badge-{name}-{SIZE}.png"))
}

fn encode(img: &Rendered) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, img.size, img.size);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("png header");
    writer.write_image_data(&img.rgba).expect("png data");
    writer.finish().expect("png end");
    out
}

fn decode(bytes: &[u8]) -> Rendered {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("png info");
    let mut buf = vec![0; reader.output_buffer_size().expect("png size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    assert_eq!(info.color_type, png::ColorType::Rgba, "goldens are RGBA");
    assert_eq!(info.width, info.height, "goldens are square");
    buf.truncate(info.buffer_size());
    Rendered {
        size: info.width,
        rgba: buf,
    }
}

#[test]
fn renders_match_the_golden_images() {
    let update = std::env::var_os("VOICELAMP_UPDATE_GOLDEN").is_some();
    let colour = cases()
        .into_iter()
        .map(|(name, badge)| (name.to_owned(), render(&badge, SIZE)));
    let template = cases()
        .into_iter()
        .map(|(name, badge)| (format!("template-{name}"), render_template(&badge, SIZE)));
    for (name, img) in colour.chain(template) {
        let name = name.as_str();
        let path = golden_path(name);
        if update {
            std::fs::write(&path, encode(&img)).expect("write golden");
            continue;
        }
        let golden =
            decode(&std::fs::read(&path).unwrap_or_else(|e| {
                panic!("{} missing ({e}); see this file's doc", path.display())
            }));
        assert_eq!(golden.size, img.size, "{name}: size");
        let differing = golden
            .rgba
            .chunks(4)
            .zip(img.rgba.chunks(4))
            .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > 2))
            .count();
        assert_eq!(
            differing,
            0,
            "{name}: {differing} pixels differ from {}",
            path.display()
        );
    }
}

fn pixels(img: &Rendered) -> impl Iterator<Item = (u32, u32, [u8; 4])> + '_ {
    img.rgba.chunks(4).enumerate().map(move |(i, p)| {
        let i = i as u32;
        (i % img.size, i / img.size, [p[0], p[1], p[2], p[3]])
    })
}

fn is_amber(p: [u8; 4]) -> bool {
    p[3] > 200 && p[0] > 230 && p[1] > 140 && p[1] < 200 && p[2] < 80
}

fn is_red(p: [u8; 4]) -> bool {
    p[3] > 200 && p[0] > 190 && p[1] < 70 && p[2] < 90
}

#[test]
fn not_known_never_looks_lit_or_like_nothing_waiting() {
    let zero = render(&Badge::default(), SIZE);
    let stale = render(
        &Badge {
            not_known: true,
            ..Badge::default()
        },
        SIZE,
    );
    let stale_count = render(
        &Badge {
            new: 5,
            not_known: true,
            ..Badge::default()
        },
        SIZE,
    );
    assert_ne!(zero, stale, "'no messages' and 'not known' must differ");
    assert!(
        !pixels(&stale).any(|(_, _, p)| is_amber(p)),
        "a not-known lamp is never lit"
    );
    assert!(
        !pixels(&stale_count).any(|(_, _, p)| is_amber(p)),
        "known counts do not relight it"
    );
    assert!(
        !pixels(&zero).any(|(_, _, p)| is_amber(p)),
        "nothing waiting: the lamp is dark"
    );
}

#[test]
fn waiting_messages_light_the_lamp_and_show_a_count() {
    let one = render(
        &Badge {
            new: 1,
            ..Badge::default()
        },
        SIZE,
    );
    let many = render(
        &Badge {
            new: 42,
            ..Badge::default()
        },
        SIZE,
    );
    assert!(pixels(&one).any(|(_, _, p)| is_amber(p)), "lit");
    assert!(
        pixels(&one).any(|(x, y, p)| is_red(p) && x > SIZE / 2 && y > SIZE / 2),
        "count pill"
    );
    assert_ne!(one, many);
    let hundred = render(
        &Badge {
            new: 100,
            ..Badge::default()
        },
        SIZE,
    );
    let thousands = render(
        &Badge {
            new: 12_345,
            ..Badge::default()
        },
        SIZE,
    );
    assert_eq!(hundred, thousands, "both read 99+");
}

#[test]
fn urgent_adds_a_mark_in_the_top_right_corner() {
    let plain = render(
        &Badge {
            new: 3,
            ..Badge::default()
        },
        SIZE,
    );
    let urgent = render(
        &Badge {
            new: 3,
            urgent: true,
            ..Badge::default()
        },
        SIZE,
    );
    let corner_red = |img: &Rendered| {
        pixels(img)
            .filter(|&(x, y, p)| is_red(p) && x >= SIZE * 3 / 4 && y < SIZE / 4)
            .count()
    };
    assert_eq!(corner_red(&plain), 0);
    assert!(corner_red(&urgent) > 4, "urgent mark visible");
}

#[test]
fn the_macos_template_is_alpha_only_and_keeps_every_state_apart() {
    let all: Vec<(&str, Rendered)> = cases()
        .into_iter()
        .map(|(name, badge)| (name, render_template(&badge, SIZE)))
        .collect();
    for (name, img) in &all {
        assert!(
            pixels(img).all(|(_, _, p)| p[0] == 0 && p[1] == 0 && p[2] == 0),
            "{name}: a template image is black; only its alpha counts"
        );
        assert!(
            pixels(img).any(|(_, _, p)| p[3] > 200),
            "{name}: something is drawn"
        );
    }
    let find = |wanted: &str| {
        &all.iter()
            .find(|(name, _)| *name == wanted)
            .expect("case")
            .1
    };
    // The count is the title's job on macOS; the shape tells the states apart.
    for (a, b) in [
        ("zero", "one"),
        ("zero", "stale"),
        ("one", "urgent"),
        ("one", "stale-with-count"),
    ] {
        assert_ne!(find(a), find(b), "{a} and {b} must look different");
    }
    assert_eq!(find("one"), find("forty-two"), "counts live in the title");
    let ink = |img: &Rendered| pixels(img).filter(|(_, _, p)| p[3] > 128).count();
    assert!(
        ink(find("one")) > ink(find("zero")) + 50,
        "waiting messages fill the lamp"
    );
}
