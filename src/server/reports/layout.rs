//! Page layout for the reports: A4 pages with a header and a footer, lines of text in the
//! standard Helvetica fonts (real text, so the PDF can be searched and read back), wrapping,
//! and JPEG thumbnails. Each finished page is written out at once (see `PdfFile`).

use std::io::{self, Write};

use pdf_writer::{Chunk, Content, Filter, Finish, Name, Rect, Ref, Str};

use super::pdf_file::PdfFile;

pub const PAGE_W: f32 = 595.0;
pub const PAGE_H: f32 = 842.0;
pub const MARGIN: f32 = 48.0;
const TOP: f32 = PAGE_H - 64.0;
const BOTTOM: f32 = 56.0;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
}

impl Font {
    fn name(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
        }
    }
}

pub struct Layout<W: Write> {
    pdf: PdfFile<W>,
    pages_ref: Ref,
    fonts: [Ref; 2],
    pages: Vec<Ref>,
    content: Content,
    images: Vec<(String, Ref)>,
    y: f32,
    header: String,
    footer: String,
}

impl<W: Write> Layout<W> {
    pub fn new(out: W, header: String, footer: String) -> io::Result<Layout<W>> {
        let mut pdf = PdfFile::new(out)?;
        let pages_ref = pdf.alloc();
        let fonts = [pdf.alloc(), pdf.alloc()];
        let mut layout = Layout {
            pdf,
            pages_ref,
            fonts,
            pages: Vec::new(),
            content: Content::new(),
            images: Vec::new(),
            y: TOP,
            header,
            footer,
        };
        layout.start_page();
        Ok(layout)
    }

    fn start_page(&mut self) {
        self.content = Content::new();
        self.images.clear();
        self.y = TOP;
        let page = self.pages.len() + 1;
        let header = self.header.clone();
        let footer = format!("{}  ·  page {page}", self.footer);
        self.text_at(MARGIN, PAGE_H - 36.0, Font::Bold, 9.0, &header);
        self.text_at(MARGIN, 30.0, Font::Regular, 8.0, &footer);
        self.content.set_stroke_gray(0.6).set_line_width(0.5);
        self.content.move_to(MARGIN, PAGE_H - 44.0).line_to(PAGE_W - MARGIN, PAGE_H - 44.0).stroke();
        self.content.move_to(MARGIN, 42.0).line_to(PAGE_W - MARGIN, 42.0).stroke();
    }

    fn finish_page(&mut self) -> io::Result<()> {
        let content = std::mem::replace(&mut self.content, Content::new()).finish();
        let compressed = deflate(&content)?;
        let content_ref = self.pdf.alloc();
        let mut chunk = Chunk::new();
        chunk.stream(content_ref, &compressed).filter(Filter::FlateDecode);
        self.pdf.write(content_ref, &chunk)?;

        let page_ref = self.pdf.alloc();
        let mut chunk = Chunk::new();
        let mut page = chunk.page(page_ref);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).parent(self.pages_ref).contents(content_ref);
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Font::Regular.name(), self.fonts[0]);
        fonts.pair(Font::Bold.name(), self.fonts[1]);
        fonts.finish();
        let mut objects = resources.x_objects();
        for (name, image) in &self.images {
            objects.pair(Name(name.as_bytes()), *image);
        }
        objects.finish();
        resources.finish();
        page.finish();
        self.pdf.write(page_ref, &chunk)?;
        self.pages.push(page_ref);
        Ok(())
    }

    /// Starts a new page unless `height` points still fit on this one.
    pub fn ensure(&mut self, height: f32) -> io::Result<()> {
        if self.y - height < BOTTOM {
            self.finish_page()?;
            self.start_page();
        }
        Ok(())
    }

    pub fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    fn text_at(&mut self, x: f32, y: f32, font: Font, size: f32, text: &str) {
        let encoded = win_ansi(text);
        self.content.begin_text().set_font(font.name(), size).next_line(x, y).show(Str(&encoded)).end_text();
    }

    /// One line, cut with "..." if it does not fit.
    pub fn line(&mut self, indent: f32, font: Font, size: f32, text: &str) -> io::Result<()> {
        let leading = size * 1.35;
        self.ensure(leading)?;
        self.y -= leading;
        let room = PAGE_W - 2.0 * MARGIN - indent;
        let fitted = fit(text, font, size, room);
        self.text_at(MARGIN + indent, self.y, font, size, &fitted);
        Ok(())
    }

    /// Text wrapped at word boundaries over as many lines as it needs.
    pub fn paragraph(&mut self, indent: f32, font: Font, size: f32, text: &str) -> io::Result<()> {
        let room = PAGE_W - 2.0 * MARGIN - indent;
        for line in wrap(text, font, size, room) {
            self.line(indent, font, size, &line)?;
        }
        Ok(())
    }

    /// A row of JPEG thumbnails (at most what fits across), each `height` points tall.
    pub fn thumbnails(&mut self, indent: f32, height: f32, jpegs: &[Jpeg]) -> io::Result<()> {
        if jpegs.is_empty() {
            return Ok(());
        }
        self.ensure(height + 6.0)?;
        self.y -= height + 4.0;
        let mut x = MARGIN + indent;
        for jpeg in jpegs {
            let width = height * jpeg.width as f32 / jpeg.height.max(1) as f32;
            if x + width > PAGE_W - MARGIN {
                break;
            }
            let image_ref = self.pdf.alloc();
            let mut chunk = Chunk::new();
            let mut image = chunk.image_xobject(image_ref, &jpeg.bytes);
            image.filter(Filter::DctDecode);
            image.width(jpeg.width as i32).height(jpeg.height as i32).bits_per_component(8);
            if jpeg.gray {
                image.color_space().device_gray();
            } else {
                image.color_space().device_rgb();
            }
            image.finish();
            self.pdf.write(image_ref, &chunk)?;
            let name = format!("Im{}", self.images.len() + 1);
            self.content
                .save_state()
                .transform([width, 0.0, 0.0, height, x, self.y])
                .x_object(Name(name.as_bytes()))
                .restore_state();
            self.images.push((name, image_ref));
            x += width + 6.0;
        }
        self.y -= 2.0;
        Ok(())
    }

    /// Writes the last page, the fonts, the page tree and the document's catalog and info.
    pub fn finish(mut self, title: &str) -> io::Result<W> {
        self.finish_page()?;
        for (font, base) in [(self.fonts[0], "Helvetica"), (self.fonts[1], "Helvetica-Bold")] {
            let mut chunk = Chunk::new();
            chunk.type1_font(font).base_font(Name(base.as_bytes())).encoding_predefined(Name(b"WinAnsiEncoding"));
            self.pdf.write(font, &chunk)?;
        }
        let mut chunk = Chunk::new();
        chunk.pages(self.pages_ref).kids(self.pages.iter().copied()).count(self.pages.len() as i32);
        self.pdf.write(self.pages_ref, &chunk)?;
        let catalog = self.pdf.alloc();
        let mut chunk = Chunk::new();
        chunk.indirect(catalog).dict().pair(Name(b"Type"), Name(b"Catalog")).pair(Name(b"Pages"), self.pages_ref);
        self.pdf.write(catalog, &chunk)?;
        let info = self.pdf.alloc();
        let mut chunk = Chunk::new();
        let title = win_ansi(title);
        chunk.indirect(info).dict().pair(Name(b"Title"), Str(&title)).pair(Name(b"Producer"), Str(b"CleanTrack"));
        self.pdf.write(info, &chunk)?;
        self.pdf.finish(catalog, info)
    }
}

/// A JPEG to draw, as stored (thumbnails are JPEG already, so they go in unchanged).
pub struct Jpeg {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub gray: bool,
}

impl Jpeg {
    pub fn read(bytes: Vec<u8>) -> Option<Jpeg> {
        use image::ImageDecoder;
        let decoder = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(&bytes)).ok()?;
        let (width, height) = decoder.dimensions();
        let gray = matches!(decoder.color_type(), image::ColorType::L8);
        Some(Jpeg { bytes, width, height, gray })
    }
}

fn deflate(data: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data)?;
    encoder.finish()
}

/// Marks WinAnsi lacks, written the way a reader expects them (the ranges and step marks of
/// measured checklists).
fn spelled(text: &str) -> std::borrow::Cow<'_, str> {
    const MARKS: [(char, &str); 4] = [('≤', "<="), ('≥', ">="), ('✓', "(pass)"), ('✗', "(FAIL)")];
    if text.contains(|c| MARKS.iter().any(|(m, _)| *m == c)) {
        let mut out = text.to_owned();
        for (mark, words) in MARKS {
            out = out.replace(mark, words);
        }
        out.into()
    } else {
        text.into()
    }
}

/// The text in WinAnsiEncoding (the standard fonts' encoding): Latin-1 as is, the typographic
/// marks WinAnsi adds, a few others spelled out (`spelled`), and `?` for anything else.
pub fn win_ansi(text: &str) -> Vec<u8> {
    spelled(text)
        .chars()
        .map(|c| match c {
            '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{ff}' => c as u8,
            '€' => 0x80,
            '…' => 0x85,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            _ => b'?',
        })
        .collect()
}

/// Helvetica's advance widths (per 1000 units of font size) for ASCII 32..=126, from its AFM.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556,
    556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
    260, 334, 584,
];

pub fn width(text: &str, font: Font, size: f32) -> f32 {
    let units: u32 = spelled(text)
        .chars()
        .map(|c| if (' '..='~').contains(&c) { HELVETICA[c as usize - 32] as u32 } else { 556 })
        .sum();
    // Bold runs about 6% wider than regular.
    let factor = if font == Font::Bold { 1.06 } else { 1.0 };
    units as f32 * size / 1000.0 * factor
}

fn fit(text: &str, font: Font, size: f32, room: f32) -> String {
    if width(text, font, size) <= room {
        return text.to_owned();
    }
    let mut cut: String = String::new();
    for c in text.chars() {
        if width(&format!("{cut}{c}..."), font, size) > room {
            break;
        }
        cut.push(c);
    }
    format!("{cut}...")
}

fn wrap(text: &str, font: Font, size: f32, room: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
            if width(&candidate, font, size) <= room || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            }
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_encoded_for_the_standard_fonts_and_wrapped_to_the_width() {
        assert_eq!(win_ansi("Café – ok ★"), b"Caf\xe9 \x96 ok ?".to_vec());
        // Marks of measured checklists are spelled out rather than lost.
        assert_eq!(win_ansi("≤ 250 ✓ ≥ 2 ✗"), b"<= 250 (pass) >= 2 (FAIL)".to_vec());
        let lines = wrap("one two three four five six seven", Font::Regular, 10.0, 60.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| width(l, Font::Regular, 10.0) <= 60.0));
        assert!(fit("a long line that will not fit", Font::Regular, 10.0, 50.0).ends_with("..."));
    }
}
