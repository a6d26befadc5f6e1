//! Records verify with nothing but OpenSSH: `ssh-keygen -Y verify` against the
//! roster's allowed_signers export (PROTOCOL 6 and 8). Uses the real ssh-keygen.

use std::io::Write;
use std::process::{Command, Stdio};

use modelgate::trust::record::{self, Location};
use modelgate::trust::roster::Roster;
use serde_json::json;
use ssh_key::{HashAlg, PrivateKey};

fn key() -> PrivateKey {
    PrivateKey::from(ssh_key::private::Ed25519Keypair::from_seed(&[42; 32]))
}

fn verify(dir: &std::path::Path, identity: &str, data: &[u8]) -> std::process::Output {
    let mut child = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-n", "modelgate", "-I", identity, "-f"])
        .arg(dir.join("allowed_signers"))
        .arg("-s")
        .arg(dir.join("record.sig"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ssh-keygen must be installed (openssh-client)");
    child.stdin.take().unwrap().write_all(data).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn ssh_keygen_verifies_a_record_and_rejects_a_tampered_one() {
    let dir = tempfile::TempDir::new().unwrap();
    let public = key().public_key().to_openssh().unwrap();
    let roster_text = format!(
        "[[reviewer]]\nid = \"alice@example.com\"\nroles = [\"validator\"]\nkeys = [{{ key = \"{public} alice@laptop\", valid_after = \"2026-01-01T00:00:00Z\" }}]\n"
    );
    let roster = Roster::parse("roster.toml", roster_text.as_bytes()).unwrap();
    std::fs::write(
        dir.path().join("allowed_signers"),
        roster.allowed_signers().unwrap(),
    )
    .unwrap();

    let fields = json!({
        "v": 1, "action": "comment", "registry": "local:1", "model": "m", "version": "1",
        "actor": "alice@example.com", "role": "validator", "at": "2026-11-27T10:00:00Z",
        "nonce": "00112233445566778899aabbccddeeff", "parents": [], "roster": roster.digest,
        "key": key().public_key().fingerprint(HashAlg::Sha256).to_string(), "reason": "looks fine",
    });
    let signed = record::sign(fields.as_object().unwrap().clone(), &key()).unwrap();
    let here = Location {
        registry: "local:1",
        model: "m",
        version: "1",
    };
    assert!(record::check(&signed.tag_key, &signed.tag_value, here, &roster).valid());

    let sig = signed.fields["sig"].as_str().unwrap();
    std::fs::write(dir.path().join("record.sig"), sig).unwrap();
    let bytes = record::signed_bytes(&signed.fields).unwrap();
    let ok = verify(dir.path(), "alice@example.com", &bytes);
    assert!(
        ok.status.success(),
        "ssh-keygen: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("Good \"modelgate\" signature"));

    let mut tampered = bytes.clone();
    tampered.extend_from_slice(b" ");
    assert!(
        !verify(dir.path(), "alice@example.com", &tampered)
            .status
            .success()
    );
    assert!(
        !verify(dir.path(), "mallory@example.com", &bytes)
            .status
            .success()
    );
}
