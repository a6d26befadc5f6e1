//! Records verify with nothing but OpenSSH: `ssh-keygen -Y verify` against the
//! roster's allowed_signers export (PROTOCOL 6 and 8); and signing keys made by
//! `ssh-keygen` or `keys init`, through the binary. Uses the real ssh-keygen.

use std::io::Write;
use std::process::{Command, Stdio};

use modelgate::trust::record::{self, Location};
use modelgate::trust::roster::Roster;
use serde_json::json;
use ssh_key::{HashAlg, PrivateKey};

use crate::signing;

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

/// The binary with no config, no keyring (no secret service) and no key file
/// from the environment.
fn mg(dir: &std::path::Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(signing::base_cmd(dir))
}

#[test]
fn keys_made_by_ssh_keygen_or_keys_init_and_what_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::TempDir::new().unwrap();
    let d = dir.path();
    // A key made by ssh-keygen, unencrypted, is accepted as it is.
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "ana@laptop", "-f"])
        .arg(d.join("ana"))
        .output()
        .expect("ssh-keygen must be installed (openssh-client)");
    assert!(made.status.success());
    let shown = mg(d)
        .args(["keys", "show", "--key-file"])
        .arg(d.join("ana"))
        .output()
        .unwrap();
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let shown = String::from_utf8_lossy(&shown.stdout).into_owned();
    let public = std::fs::read_to_string(d.join("ana.pub")).unwrap();
    let key_part = public.split_whitespace().nth(1).unwrap();
    assert!(shown.contains(key_part), "{shown}");
    let print = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(d.join("ana.pub"))
        .output()
        .unwrap();
    let fingerprint = String::from_utf8_lossy(&print.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned();
    assert!(shown.contains(&fingerprint), "{fingerprint} in {shown}");

    // Readable by others: refused, as ssh refuses it.
    std::fs::set_permissions(d.join("ana"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let open = mg(d)
        .args(["keys", "show", "--key-file"])
        .arg(d.join("ana"))
        .output()
        .unwrap();
    assert!(!open.status.success());
    let err = String::from_utf8_lossy(&open.stderr);
    assert!(err.contains("ana") && err.contains("chmod 600"), "{err}");

    // No keyring here: keys init says so and names the way out.
    let headless = mg(d)
        .args(["keys", "init", "--identity", "ana@example.com"])
        .output()
        .unwrap();
    assert!(!headless.status.success());
    let err = String::from_utf8_lossy(&headless.stderr);
    assert!(
        err.contains("no OS keyring") && err.contains("--key-file"),
        "{err}"
    );

    // --key-file: a new file readable by its owner only, never overwritten.
    let new = d.join("new.key");
    let init = mg(d)
        .args(["keys", "init", "--key-file"])
        .arg(&new)
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let mode = std::fs::metadata(&new).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let before = std::fs::read(&new).unwrap();
    let again = mg(d)
        .args(["keys", "init", "--key-file"])
        .arg(&new)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
    assert_eq!(std::fs::read(&new).unwrap(), before);
}
