//! The file names inside a ZIP archive, read from its central directory — all the phishing
//! processor needs to see an executable hidden in an archive (nothing is decompressed, so
//! a ZIP bomb costs nothing). Pure; a damaged archive yields the names that could be read.

/// End of central directory record signature, and the central directory header's.
const EOCD: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
const CENTRAL: [u8; 4] = [0x50, 0x4b, 0x01, 0x02];
/// Most names read from one archive.
const MAX_NAMES: usize = 10_000;

fn u16_at(data: &[u8], at: usize) -> Option<usize> {
    data.get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
}

fn u32_at(data: &[u8], at: usize) -> Option<usize> {
    data.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// Whether `data` starts like a ZIP archive (a local file header or an empty archive).
pub fn is_zip(data: &[u8]) -> bool {
    data.starts_with(&[0x50, 0x4b, 0x03, 0x04]) || data.starts_with(&EOCD)
}

/// The names of the archive's entries.
pub fn zip_names(data: &[u8]) -> Vec<String> {
    // The end record is in the last 22 + 65535 (comment) octets.
    let search_from = data.len().saturating_sub(22 + 65_535);
    let Some(eocd) = data[search_from..]
        .windows(4)
        .rposition(|w| w == EOCD)
        .map(|i| search_from + i)
    else {
        return Vec::new();
    };
    let (Some(count), Some(mut at)) = (u16_at(data, eocd + 10), u32_at(data, eocd + 16)) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for _ in 0..count.min(MAX_NAMES) {
        if data.get(at..at + 4) != Some(&CENTRAL[..]) {
            break;
        }
        let (Some(name_len), Some(extra_len), Some(comment_len)) = (
            u16_at(data, at + 28),
            u16_at(data, at + 30),
            u16_at(data, at + 32),
        ) else {
            break;
        };
        let Some(name) = data.get(at + 46..at + 46 + name_len) else {
            break;
        };
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + name_len + extra_len + comment_len;
    }
    names
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A stored (uncompressed) archive of `files`; CRCs are left zero, which readers of
    /// names do not check.
    pub(crate) fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, content) in files {
            let offset = out.len() as u32;
            out.extend_from_slice(&[0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&[0; 4]);
            out.extend_from_slice(&(content.len() as u32).to_le_bytes());
            out.extend_from_slice(&(content.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(content);
            central.extend_from_slice(&CENTRAL);
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&[0; 4]);
            central.extend_from_slice(&(content.len() as u32).to_le_bytes());
            central.extend_from_slice(&(content.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let central_at = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&EOCD);
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&central_at.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    #[test]
    fn names_come_from_the_central_directory() {
        let data = zip(&[("invoice.pdf.exe", b"MZ"), ("docs/readme.txt", b"hello")]);
        assert!(is_zip(&data));
        assert_eq!(zip_names(&data), vec!["invoice.pdf.exe", "docs/readme.txt"]);
        assert_eq!(zip_names(&data[..data.len() - 30]), Vec::<String>::new());
        assert!(!is_zip(b"%PDF-1.7"));
    }

    proptest! {
        #[test]
        fn any_bytes_are_read_without_panicking(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = zip_names(&data);
        }

        #[test]
        fn a_damaged_archive_yields_no_more_than_it_holds(cut in 0usize..120) {
            let data = zip(&[("a.exe", b"MZ"), ("b.txt", b"x")]);
            let names = zip_names(&data[..data.len().saturating_sub(cut)]);
            prop_assert!(names.len() <= 2);
        }
    }
}
