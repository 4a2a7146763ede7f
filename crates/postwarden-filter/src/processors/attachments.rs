//! `type = "attachments"`: blocks a message by its attachments' file name extension, MIME
//! type or size. The last extension decides (what the recipient's system would run);
//! trailing dots and spaces are ignored as Windows ignores them, so `invoice.pdf.exe .`
//! is an `.exe`, reported as a double extension. No I/O: the MIME parts come from
//! [`Scanned::attachments`].

use crate::message::{Attachment, Scanned};
use postwarden_core::config::AttachmentsConfig;
use postwarden_core::{Finding, Tag};

const NAME: &str = "attachments";

pub struct Attachments {
    extensions: Vec<String>,
    types: Vec<String>,
    max_size: usize,
}

impl Attachments {
    pub fn new(config: &AttachmentsConfig) -> Self {
        let lower = |list: &[String]| {
            list.iter()
                .map(|e| e.trim_start_matches('.').to_ascii_lowercase())
                .collect()
        };
        Self {
            extensions: lower(&config.block_extensions),
            types: lower(&config.block_types),
            max_size: config.max_size,
        }
    }

    pub fn run(&self, message: &Scanned) -> Vec<Finding> {
        message
            .attachments()
            .iter()
            .filter_map(|attachment| self.verdict(attachment))
            .map(|reason| Finding {
                processor: NAME.into(),
                score: 0.0,
                tags: vec![Tag::Blocked],
                reason,
                recipients: Vec::new(),
                action: None,
            })
            .collect()
    }

    /// Why `attachment` blocks the message, if it does.
    fn verdict(&self, attachment: &Attachment) -> Option<String> {
        let shown = attachment.name.as_deref().unwrap_or("(unnamed)");
        if let Some(name) = &attachment.name {
            let extensions = extensions(name);
            if let Some(last) = extensions.last()
                && self.extensions.contains(last)
            {
                let double = if extensions.len() > 1 {
                    " (double extension)"
                } else {
                    ""
                };
                return Some(format!(
                    "attachment `{shown}`: blocked extension .{last}{double}"
                ));
            }
        }
        if self
            .types
            .contains(&attachment.content_type.to_ascii_lowercase())
        {
            return Some(format!(
                "attachment `{shown}`: blocked type {}",
                attachment.content_type
            ));
        }
        (self.max_size > 0 && attachment.size > self.max_size).then(|| {
            format!(
                "attachment `{shown}`: {} octets, over {}",
                attachment.size, self.max_size
            )
        })
    }
}

/// The lowercase extensions of a file name, in order: `a.PDF.exe. ` → [pdf, exe].
fn extensions(name: &str) -> Vec<String> {
    let name = name.trim_end_matches(['.', ' ']);
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.split('.')
        .skip(1)
        .filter(|e| !e.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use postwarden_smtp::server::Envelope;

    fn message_with(name: &str, content_type: &str, body: &str) -> Scanned {
        let text = format!(
            "Subject: files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nhi\r\n\
             --b\r\nContent-Type: {content_type}\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n{body}\r\n--b--\r\n"
        );
        Scanned::new(Envelope::default(), text.into_bytes())
    }

    fn reasons(processor: &Attachments, message: &Scanned) -> Vec<String> {
        processor
            .run(message)
            .into_iter()
            .map(|f| f.reason)
            .collect()
    }

    #[test]
    fn extensions_types_and_size() {
        let processor = Attachments::new(&AttachmentsConfig {
            max_size: 100,
            ..AttachmentsConfig::default()
        });
        let cases = [
            (
                "invoice.pdf.EXE",
                "application/pdf",
                "x",
                "attachment `invoice.pdf.EXE`: blocked extension .exe (double extension)",
            ),
            (
                "run.js. ",
                "text/plain",
                "x",
                "attachment `run.js. `: blocked extension .js",
            ),
            (
                "setup.bin",
                "application/x-msdownload",
                "x",
                "attachment `setup.bin`: blocked type application/x-msdownload",
            ),
            (
                "big.txt",
                "text/plain",
                &"y".repeat(300),
                "attachment `big.txt`: 300 octets, over 100",
            ),
        ];
        for (name, content_type, body, expected) in cases {
            assert_eq!(
                reasons(&processor, &message_with(name, content_type, body)),
                [expected],
                "{name}"
            );
        }
        for harmless in ["report.exe.pdf", "notes.txt", "archive.tar.gz"] {
            assert!(
                reasons(
                    &processor,
                    &message_with(harmless, "application/octet-stream", "x")
                )
                .is_empty(),
                "{harmless}"
            );
        }
    }

    #[test]
    fn extension_list_is_configurable() {
        let processor = Attachments::new(&AttachmentsConfig {
            block_extensions: vec![".DOCM".into()],
            block_types: vec![],
            max_size: 0,
        });
        assert_eq!(
            reasons(
                &processor,
                &message_with("a.docm", "application/octet-stream", "x")
            )
            .len(),
            1
        );
        assert!(
            reasons(
                &processor,
                &message_with("a.exe", "application/octet-stream", "x")
            )
            .is_empty()
        );
    }
}
