//! The Open Graph card as PNG: the social networks (Facebook, X, LinkedIn, Slack…) refuse SVG
//! for `og:image`, so the contest's SVG card ([`crate::svg::og_card`]) is rasterised here at
//! [`CARD_WIDTH`] × [`CARD_HEIGHT`] with resvg (pure Rust, no system library).
//!
//! The font is compiled in (DejaVu Sans, regular and bold: Latin, Greek and Cyrillic, so
//! Bulgarian and Greek names show; licence in `assets/fonts/LICENSE`) and no system font is
//! read, so the same SVG gives the same PNG bytes on every machine.

use std::sync::{Arc, OnceLock};

use resvg::{tiny_skia, usvg};

/// Width of the card in pixels (the size Facebook and LinkedIn recommend).
pub const CARD_WIDTH: u32 = 1200;
/// Height of the card in pixels (1.91:1).
pub const CARD_HEIGHT: u32 = 630;

const FONT_REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const FONT_BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");
/// The family every generic and unknown family in the card resolves to.
const FAMILY: &str = "DejaVu Sans";

/// The compiled-in fonts, loaded once per process.
fn fonts() -> &'static Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(FONT_REGULAR.to_vec());
        db.load_font_data(FONT_BOLD.to_vec());
        db.set_sans_serif_family(FAMILY);
        db.set_serif_family(FAMILY);
        db.set_monospace_family(FAMILY);
        Arc::new(db)
    })
}

/// Why a card could not be rasterised (the SVG is ours, so this is a programming error; the
/// page then simply has no PNG card).
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    #[error("the card's SVG does not parse: {0}")]
    Svg(String),
    #[error("the card's PNG could not be encoded: {0}")]
    Png(String),
}

/// Rasterises a card SVG (1200 × 630 user units) to a PNG of [`CARD_WIDTH`] × [`CARD_HEIGHT`].
pub fn png(svg: &str) -> Result<Vec<u8>, CardError> {
    let opt = usvg::Options {
        font_family: FAMILY.to_string(),
        fontdb: fonts().clone(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| CardError::Svg(e.to_string()))?;
    let mut pixmap = tiny_skia::Pixmap::new(CARD_WIDTH, CARD_HEIGHT)
        .ok_or_else(|| CardError::Png("no pixmap of that size".into()))?;
    let size = tree.size();
    let transform = tiny_skia::Transform::from_scale(
        CARD_WIDTH as f32 / size.width(),
        CARD_HEIGHT as f32 / size.height(),
    );
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    pixmap
        .encode_png()
        .map_err(|e| CardError::Png(e.to_string()))
}
