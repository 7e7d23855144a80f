//! Checking and cleaning an uploaded photo: the type is decided from the bytes, the image is
//! decoded (proving it is one, within pixel and memory limits that stop decompression bombs),
//! turned upright, and encoded afresh, which drops every bit of metadata (GPS position, camera,
//! owner). A thumbnail is made from the same pixels.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// Larger than any phone camera; a bomb declares far more.
const MAX_SIDE: u32 = 12_000;
/// Decoding memory: a 48-megapixel RGBA image is 192 MB.
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
const THUMB_SIDE: u32 = 320;
const JPEG_QUALITY: u8 = 85;

#[derive(Debug)]
pub struct CleanPhoto {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub extension: &'static str,
    pub thumbnail: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// Of `bytes`, the stored file.
    pub sha256: [u8; 32],
    /// What was uploaded: "jpeg", "png" or "webp".
    pub uploaded_as: &'static str,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("The photo is larger than {0} MB.")]
    TooLarge(usize),
    #[error("The file is empty.")]
    Empty,
    #[error("That file is not a JPEG, PNG or WebP image.")]
    NotAnImage,
    #[error("The image could not be read: it is damaged or incomplete.")]
    Unreadable,
    #[error("The image is too large in pixels (at most {MAX_SIDE} on a side).")]
    TooManyPixels,
    #[error("The image has more than {0} megapixels; a phone photo has far fewer. Send a smaller copy.")]
    OverPixelLimit(u64),
}

/// Checks and cleans `bytes`. CPU-heavy: call it from a blocking task.
pub fn clean(bytes: &[u8], max_bytes: usize, max_pixels: u64) -> Result<CleanPhoto, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > max_bytes {
        return Err(PhotoError::TooLarge(max_bytes.div_ceil(1024 * 1024)));
    }
    // The bytes decide, never the file name or the browser's claimed type.
    let format = image::guess_format(bytes).map_err(|_| PhotoError::NotAnImage)?;
    let uploaded_as = match format {
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::Png => "png",
        ImageFormat::WebP => "webp",
        _ => return Err(PhotoError::NotAnImage),
    };
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(PhotoError::Unreadable);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(classify)?;
    // The header's dimensions, before a single pixel is decoded.
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(PhotoError::OverPixelLimit(max_pixels.div_ceil(1_000_000)));
    }
    // Not every decoder applies the memory limit before allocating: check the declared size.
    if decoder.total_bytes() > MAX_DECODE_BYTES {
        return Err(PhotoError::TooManyPixels);
    }
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(classify)?;
    picture.apply_orientation(orientation);

    // PNG stays PNG (drawings, screenshots, transparency); photos become JPEG.
    let (bytes, content_type, extension) = if format == ImageFormat::Png {
        (encode(&picture, ImageFormat::Png)?, "image/png", "png")
    } else {
        (jpeg(&picture)?, "image/jpeg", "jpg")
    };
    let thumbnail = jpeg(&picture.thumbnail(THUMB_SIDE, THUMB_SIDE))?;
    Ok(CleanPhoto {
        sha256: Sha256::digest(&bytes).into(),
        bytes,
        content_type,
        extension,
        thumbnail,
        width: picture.width(),
        height: picture.height(),
        uploaded_as,
    })
}

/// The JPEG decoder fills a cut-off image with grey rather than failing, so completeness is
/// checked here: the end-of-image marker must follow the last start-of-scan. Scan data cannot
/// contain that marker (0xFF is always escaped there), and an embedded EXIF thumbnail's own
/// markers come before the main image's scans.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    last_scan.is_some_and(|at| bytes[at..].windows(2).any(|w| w == [0xFF, 0xD9]))
}

fn classify(err: image::ImageError) -> PhotoError {
    match err {
        image::ImageError::Limits(_) => PhotoError::TooManyPixels,
        _ => PhotoError::Unreadable,
    }
}

fn jpeg(picture: &DynamicImage) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
    // JPEG has no alpha: flatten to RGB first.
    DynamicImage::ImageRgb8(picture.to_rgb8()).write_with_encoder(encoder).map_err(|_| PhotoError::Unreadable)?;
    Ok(out)
}

fn encode(picture: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, PhotoError> {
    let mut out = Cursor::new(Vec::new());
    picture.write_to(&mut out, format).map_err(|_| PhotoError::Unreadable)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(format: ImageFormat, width: u32, height: u32) -> Vec<u8> {
        let picture = DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        }));
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    /// A JPEG with an EXIF block holding a GPS tag, inserted right after the SOI marker.
    fn jpeg_with_gps() -> Vec<u8> {
        let plain = sample(ImageFormat::Jpeg, 64, 48);
        let marker = b"GPSLatitude 38.7223N";
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(marker);
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&exif);
        out.extend_from_slice(&plain[2..]);
        out
    }

    #[test]
    fn jpeg_png_and_webp_are_accepted_and_thumbnailed() {
        for (format, content_type) in
            [(ImageFormat::Jpeg, "image/jpeg"), (ImageFormat::Png, "image/png"), (ImageFormat::WebP, "image/jpeg")]
        {
            let photo = clean(&sample(format, 800, 600), 10 << 20, 40_000_000).unwrap();
            assert_eq!((photo.content_type, photo.width, photo.height), (content_type, 800, 600), "{format:?}");
            let thumb = image::load_from_memory(&photo.thumbnail).unwrap();
            assert_eq!((thumb.width(), thumb.height()), (320, 240));
            assert_eq!(photo.sha256, <[u8; 32]>::from(Sha256::digest(&photo.bytes)));
        }
    }

    #[test]
    fn metadata_such_as_gps_is_stripped() {
        let upload = jpeg_with_gps();
        assert!(upload.windows(11).any(|w| w == b"GPSLatitude"), "the fixture carries the tag");
        let photo = clean(&upload, 10 << 20, 40_000_000).unwrap();
        assert!(!photo.bytes.windows(11).any(|w| w == b"GPSLatitude"));
        assert!(!photo.bytes.windows(4).any(|w| w == b"Exif"));
    }

    #[test]
    fn bad_uploads_are_refused_with_a_reason() {
        let jpeg = sample(ImageFormat::Jpeg, 400, 300);
        assert_eq!(clean(b"", 100, 40_000_000).err().unwrap(), PhotoError::Empty);
        assert_eq!(clean(&jpeg, 1000, 40_000_000).err().unwrap(), PhotoError::TooLarge(1));
        assert_eq!(clean(b"%PDF-1.7 not a photo at all", 1 << 20, 40_000_000).err().unwrap(), PhotoError::NotAnImage);
        // A real GIF header: an image, but not a kind we take.
        assert_eq!(
            clean(b"GIF89a\x01\x00\x01\x00\x80\x00\x00", 1 << 20, 40_000_000).err().unwrap(),
            PhotoError::NotAnImage
        );
        assert_eq!(clean(&jpeg[..jpeg.len() / 2], 1 << 20, 40_000_000).err().unwrap(), PhotoError::Unreadable);
        for format in [ImageFormat::Png, ImageFormat::WebP] {
            let image = sample(format, 400, 300);
            assert_eq!(
                clean(&image[..image.len() / 2], 1 << 20, 40_000_000).err(),
                Some(PhotoError::Unreadable),
                "{format:?}"
            );
        }
    }

    /// A tiny PNG whose header claims `width` × `height`: what a decompression bomb looks like
    /// to the decoder before it allocates.
    fn png_claiming(width: u32, height: u32) -> Vec<u8> {
        let mut png = sample(ImageFormat::Png, 8, 8);
        // Signature (8), IHDR length (4), "IHDR" (4), then width and height; CRC after 13 bytes.
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn image_bombs_are_refused_before_decoding() {
        let bomb = png_claiming(60_000, 60_000);
        assert!(bomb.len() < 1024, "a small file");
        assert_eq!(clean(&bomb, 1 << 20, 40_000_000).err().unwrap(), PhotoError::TooManyPixels);
        // Within the side limit, but 12,000² pixels would need more memory than allowed.
        assert_eq!(
            clean(&png_claiming(12_000, 12_000), 1 << 20, 200_000_000).err().unwrap(),
            PhotoError::TooManyPixels
        );
        // Within both, but over the configured pixel count (a 7000 × 7000 PNG of 190 KB did
        // cost seconds of CPU before this limit).
        assert_eq!(
            clean(&png_claiming(7_000, 7_000), 1 << 20, 40_000_000).err().unwrap(),
            PhotoError::OverPixelLimit(40)
        );
    }
}
