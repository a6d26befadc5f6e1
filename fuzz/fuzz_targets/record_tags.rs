//! Any record tag key and value a registry can hold, through record checking,
//! the version's integrity findings, the baseline rule and the text the front
//! ends print. A panic, or a control character left in printed text, is a bug.
//!
//!     cargo +nightly fuzz run record_tags -- -max_total_time=60
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use modelgate::registry::{ModelVersion, Tags};
use modelgate::review::queue::{baseline_of, is_version_number};
use modelgate::text::{sanitize_line, short_id};
use modelgate::trust::audit::{check_all_on, record_tags, version_findings};
use modelgate::trust::roster::Roster;

fn roster() -> &'static Roster {
    static R: OnceLock<Roster> = OnceLock::new();
    R.get_or_init(|| {
        let toml = modelgate::demo::roster_toml(7).expect("the demo roster");
        Roster::parse("demo", toml.as_bytes()).expect("the demo roster parses")
    })
}

fn clean(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && c != '\n')
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // key suffix, value and baseline tag, split at the first two NULs
    let mut parts = text.splitn(3, '\0');
    let suffix = parts.next().unwrap_or_default();
    let value = parts.next().unwrap_or_default();
    let baseline = parts.next().unwrap_or_default();
    let mut tags = Tags::new();
    tags.insert(format!("modelgate.record.{suffix}"), value.to_owned());
    tags.insert("modelgate.baseline".into(), baseline.to_owned());
    let found = record_tags("m", "1", &tags);
    let checked = check_all_on(&found, "r", roster(), 1);
    for c in &checked {
        assert!(clean(&short_id(&c.id)));
        for f in &c.findings {
            assert!(clean(&sanitize_line(f)));
        }
    }
    for f in version_findings("m", "1", &checked, None, 0) {
        assert!(clean(&sanitize_line(&f.message)));
    }
    let v = ModelVersion {
        name: "m".into(),
        version: "1".into(),
        tags,
        ..Default::default()
    };
    if let Some(b) = baseline_of(&v, None, "champion") {
        assert!(is_version_number(&b));
    }
});
