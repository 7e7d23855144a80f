//! A PDF written to a file object by object, so a report of any length needs the memory of one
//! page. pdf-writer serialises each object (one `Chunk` per object); this type only remembers
//! where each one starts and writes the cross-reference table and trailer at the end.

use std::io::{self, Write};

use pdf_writer::{Chunk, Ref};

pub struct PdfFile<W: Write> {
    out: W,
    written: u64,
    /// Byte offset of object `n` at index `n - 1`; 0 until written.
    offsets: Vec<u64>,
}

impl<W: Write> PdfFile<W> {
    pub fn new(mut out: W) -> io::Result<PdfFile<W>> {
        // The comment's high bytes tell tools the file is binary.
        let header = b"%PDF-1.7\n%\x80\x80\x80\x80\n";
        out.write_all(header)?;
        Ok(PdfFile { out, written: header.len() as u64, offsets: Vec::new() })
    }

    /// A new object number, for an object written now or later.
    pub fn alloc(&mut self) -> Ref {
        self.offsets.push(0);
        Ref::new(self.offsets.len() as i32)
    }

    /// Writes a chunk holding exactly one object, `id`.
    pub fn write(&mut self, id: Ref, chunk: &Chunk) -> io::Result<()> {
        debug_assert_eq!(chunk.refs().collect::<Vec<_>>(), vec![id], "one object per chunk");
        self.offsets[id.get() as usize - 1] = self.written;
        self.out.write_all(chunk.as_bytes())?;
        self.written += chunk.len() as u64;
        Ok(())
    }

    /// Writes the cross-reference table and the trailer; every allocated object must be written.
    pub fn finish(mut self, catalog: Ref, info: Ref) -> io::Result<W> {
        let start = self.written;
        let mut table = format!("xref\n0 {}\n0000000000 65535 f\r\n", self.offsets.len() + 1);
        for offset in &self.offsets {
            assert!(*offset > 0, "an allocated PDF object was never written");
            table.push_str(&format!("{offset:010} 00000 n\r\n"));
        }
        self.out.write_all(table.as_bytes())?;
        let size = self.offsets.len() + 1;
        let (root, info) = (catalog.get(), info.get());
        write!(self.out, "trailer\n<< /Size {size} /Root {root} 0 R /Info {info} 0 R >>\nstartxref\n{start}\n%%EOF\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}
