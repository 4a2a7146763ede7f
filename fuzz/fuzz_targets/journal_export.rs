//! journalctl's export format on arbitrary bytes: entries or an error, never a panic, and
//! never more entries than empty lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postwarden_logs::journal::ExportReader;

fuzz_target!(|data: &[u8]| {
    let mut reader = ExportReader::new(data);
    let mut entries = 0;
    while let Ok(Some(_)) = reader.next_entry() {
        entries += 1;
    }
    assert!(entries <= data.iter().filter(|&&b| b == b'\n').count());
});
