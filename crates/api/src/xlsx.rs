//! A spreadsheet (`.xlsx`, Office Open XML) written as a stream: a ZIP archive whose entries
//! are deflated as they are written and closed with data descriptors, so no size or checksum is
//! needed up front and memory stays constant however many rows there are. One sheet of text
//! cells (inline strings: nothing a spreadsheet could run as a formula), the first row bold.

use std::io::Write;

use flate2::Compression;
use flate2::write::DeflateEncoder;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs></styleSheet>"#;

const SHEET_START: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;

const SHEET_END: &str = "</sheetData></worksheet>";

/// An entry already written, for the central directory.
struct Entry {
    name: &'static str,
    crc: u32,
    compressed: u32,
    size: u32,
    offset: u32,
}

/// The sheet entry being written.
struct Open {
    encoder: DeflateEncoder<Vec<u8>>,
    crc: crc32fast::Hasher,
    size: u64,
    compressed: u64,
}

/// Writes a workbook of one sheet as a sequence of byte chunks: `start`, then `rows` any number
/// of times, then `finish`.
pub struct XlsxStream {
    entries: Vec<Entry>,
    written: u64,
    sheet: Option<Open>,
    /// Where the sheet's local header starts.
    sheet_at: u32,
    rows: u64,
}

/// 1980-01-01 00:00, the earliest time a ZIP entry can carry (no clock needed).
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;
/// Sizes and checksum follow the data; names are UTF-8.
const FLAGS: u16 = 0x0008 | 0x0800;

impl XlsxStream {
    /// The archive up to the sheet's first row: the package parts, the sheet's header row named
    /// by `sheet` (the sheet's name) and `header`.
    pub fn start(sheet: &str, header: &[&str]) -> (Self, Vec<u8>) {
        let mut me = Self {
            entries: Vec::new(),
            written: 0,
            sheet: None,
            sheet_at: 0,
            rows: 0,
        };
        let mut out = Vec::new();
        me.whole(&mut out, "[Content_Types].xml", CONTENT_TYPES.as_bytes());
        me.whole(&mut out, "_rels/.rels", ROOT_RELS.as_bytes());
        let workbook = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{}" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            escape(&sheet.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect::<String>())
        );
        me.whole(&mut out, "xl/workbook.xml", workbook.as_bytes());
        me.whole(&mut out, "xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes());
        me.whole(&mut out, "xl/styles.xml", STYLES.as_bytes());
        me.sheet_at = me.written as u32;
        me.local_header(&mut out, "xl/worksheets/sheet1.xml");
        me.sheet = Some(Open {
            encoder: DeflateEncoder::new(Vec::new(), Compression::fast()),
            crc: crc32fast::Hasher::new(),
            size: 0,
            compressed: 0,
        });
        let mut xml = String::from(SHEET_START);
        row_xml(&mut xml, header.iter().copied(), true);
        me.rows = 1;
        me.sheet_bytes(&mut out, xml.as_bytes());
        (me, out)
    }

    /// More rows; the bytes of the archive they make so far (perhaps none: deflate buffers).
    pub fn rows<'a, R, C>(&mut self, rows: R) -> Vec<u8>
    where
        R: IntoIterator<Item = C>,
        C: IntoIterator<Item = &'a str>,
    {
        let mut xml = String::new();
        for r in rows {
            row_xml(&mut xml, r, false);
            self.rows += 1;
        }
        let mut out = Vec::new();
        self.sheet_bytes(&mut out, xml.as_bytes());
        out
    }

    /// Closes the sheet and writes the central directory: the archive's last bytes.
    pub fn finish(mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.sheet_bytes(&mut out, SHEET_END.as_bytes());
        let Some(mut open) = self.sheet.take() else {
            return out;
        };
        let _ = open.encoder.try_finish();
        let rest = std::mem::take(open.encoder.get_mut());
        open.compressed += rest.len() as u64;
        out.extend_from_slice(&rest);
        self.written += rest.len() as u64;
        let (crc, compressed, size) = (open.crc.finalize(), open.compressed as u32, open.size as u32);
        // The data descriptor.
        put32(&mut out, 0x0807_4b50);
        put32(&mut out, crc);
        put32(&mut out, compressed);
        put32(&mut out, size);
        let offset = self.sheet_at;
        self.written += 16;
        self.entries.push(Entry {
            name: "xl/worksheets/sheet1.xml",
            crc,
            compressed,
            size,
            offset,
        });
        let directory_start = self.written as u32;
        let mut directory = Vec::new();
        for e in &self.entries {
            put32(&mut directory, 0x0201_4b50);
            put16(&mut directory, 20); // made by
            put16(&mut directory, 20); // needed
            put16(&mut directory, FLAGS);
            put16(&mut directory, 8); // deflate
            put16(&mut directory, DOS_TIME);
            put16(&mut directory, DOS_DATE);
            put32(&mut directory, e.crc);
            put32(&mut directory, e.compressed);
            put32(&mut directory, e.size);
            put16(&mut directory, e.name.len() as u16);
            put16(&mut directory, 0); // extra
            put16(&mut directory, 0); // comment
            put16(&mut directory, 0); // disk
            put16(&mut directory, 0); // internal attributes
            put32(&mut directory, 0); // external attributes
            put32(&mut directory, e.offset);
            directory.extend_from_slice(e.name.as_bytes());
        }
        let directory_size = directory.len() as u32;
        put32(&mut directory, 0x0605_4b50);
        put16(&mut directory, 0);
        put16(&mut directory, 0);
        put16(&mut directory, self.entries.len() as u16);
        put16(&mut directory, self.entries.len() as u16);
        put32(&mut directory, directory_size);
        put32(&mut directory, directory_start);
        put16(&mut directory, 0);
        out.extend_from_slice(&directory);
        out
    }

    /// Rows written so far, the header included.
    pub fn row_count(&self) -> u64 {
        self.rows
    }

    /// A local file header.
    fn local_header(&mut self, out: &mut Vec<u8>, name: &'static str) {
        let start = out.len();
        put32(out, 0x0403_4b50);
        put16(out, 20);
        put16(out, FLAGS);
        put16(out, 8);
        put16(out, DOS_TIME);
        put16(out, DOS_DATE);
        put32(out, 0);
        put32(out, 0);
        put32(out, 0);
        put16(out, name.len() as u16);
        put16(out, 0);
        out.extend_from_slice(name.as_bytes());
        self.written += (out.len() - start) as u64;
    }

    /// A whole small entry, deflated at once.
    fn whole(&mut self, out: &mut Vec<u8>, name: &'static str, data: &[u8]) {
        let offset = self.written as u32;
        self.local_header(out, name);
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        let _ = encoder.write_all(data);
        let compressed = encoder.finish().unwrap_or_default();
        let crc = crc32fast::hash(data);
        out.extend_from_slice(&compressed);
        put32(out, 0x0807_4b50);
        put32(out, crc);
        put32(out, compressed.len() as u32);
        put32(out, data.len() as u32);
        self.written += compressed.len() as u64 + 16;
        self.entries.push(Entry {
            name,
            crc,
            compressed: compressed.len() as u32,
            size: data.len() as u32,
            offset,
        });
    }

    fn sheet_bytes(&mut self, out: &mut Vec<u8>, data: &[u8]) {
        let Some(open) = self.sheet.as_mut() else { return };
        open.crc.update(data);
        open.size += data.len() as u64;
        let _ = open.encoder.write_all(data);
        let produced = std::mem::take(open.encoder.get_mut());
        open.compressed += produced.len() as u64;
        self.written += produced.len() as u64;
        out.extend_from_slice(&produced);
    }
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// One `<row>` of inline-string cells.
fn row_xml<'a>(xml: &mut String, cells: impl IntoIterator<Item = &'a str>, bold: bool) {
    xml.push_str("<row>");
    for c in cells {
        xml.push_str(if bold {
            r#"<c t="inlineStr" s="1"><is><t xml:space="preserve">"#
        } else {
            r#"<c t="inlineStr"><is><t xml:space="preserve">"#
        });
        xml.push_str(&escape(c));
        xml.push_str("</t></is></c>");
    }
    xml.push_str("</row>");
}

/// XML text: the five special characters escaped, characters XML cannot carry left out.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_unwritable_characters_dropped() {
        assert_eq!(escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
        assert_eq!(escape("x\u{0}y\u{1f}z\tw"), "xyz\tw");
        assert_eq!(escape("=1+1"), "=1+1");
    }

    #[test]
    fn the_archive_ends_with_a_directory_naming_every_part() {
        let (mut x, mut bytes) = XlsxStream::start("Contacts", &["a", "b"]);
        for i in 0..2_000 {
            let n = i.to_string();
            bytes.extend(x.rows([[n.as_str(), "text"]]));
        }
        assert_eq!(x.row_count(), 2_001);
        bytes.extend(x.finish());
        assert_eq!(&bytes[..4], &[0x50, 0x4b, 0x03, 0x04]);
        let end = bytes.len() - 22;
        assert_eq!(&bytes[end..end + 4], &[0x50, 0x4b, 0x05, 0x06]);
        assert_eq!(u16::from_le_bytes([bytes[end + 10], bytes[end + 11]]), 6);
        let size = u32::from_le_bytes(bytes[end + 12..end + 16].try_into().unwrap()) as usize;
        let offset = u32::from_le_bytes(bytes[end + 16..end + 20].try_into().unwrap()) as usize;
        assert_eq!(offset + size, end);
        assert_eq!(&bytes[offset..offset + 4], &[0x50, 0x4b, 0x01, 0x02]);
    }
}
