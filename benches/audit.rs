//! `audit verify`'s record checks against the raw Ed25519 verification rate:
//! target at most 1.5x the raw cost per record on one core, and every core used.

#![allow(clippy::unwrap_used)] // a test that meets the unexpected should stop there

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use modelgate::trust::audit::{Found, check_all, check_all_on};
use modelgate::trust::record::{self, NAMESPACE};
use modelgate::trust::roster::Roster;
use modelgate::trust::verified;
use serde_json::json;
use ssh_key::{HashAlg, PrivateKey, SshSig};

/// 100,000 records when benchmarking; a few hundred when `cargo test` runs the
/// bench once as a test (signing 100k records in a debug build takes minutes).
fn n() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        100_000
    } else {
        500
    }
}

fn key(i: u8) -> PrivateKey {
    PrivateKey::from(ssh_key::private::Ed25519Keypair::from_seed(&[i; 32]))
}

/// The roster and (model, version, tag key, tag value) of each record.
fn fixture() -> (Roster, Vec<(String, String, String, String)>) {
    let keys: Vec<PrivateKey> = (1..=8).map(key).collect();
    let mut body = String::new();
    for (i, k) in keys.iter().enumerate() {
        body.push_str(&format!(
            "[[reviewer]]\nid = \"r{i}\"\nroles = [\"validator\"]\nkeys = [{{ key = \"{}\" }}]\n",
            k.public_key().to_openssh().unwrap()
        ));
    }
    let roster = Roster::parse("bench", body.as_bytes()).unwrap();
    let found = (0..n())
        .map(|n| {
            let i = n % keys.len();
            let f = json!({
                "v": 1, "action": "approve", "registry": "bench", "model": format!("m{}", n / 50), "version": format!("{}", n % 50),
                "actor": format!("r{i}"), "role": "validator", "at": "2026-11-27T10:00:00Z",
                "nonce": format!("{n:032x}"), "parents": [], "roster": roster.digest,
                "key": keys[i].public_key().fingerprint(HashAlg::Sha256).to_string(),
                "evidence": format!("sha256:{}", "a".repeat(64)),
                "gates": {"policy": format!("sha256:{}", "b".repeat(64)), "deny": [], "warn": [], "error": null},
                "risk": "low", "required_roles": ["validator"],
            });
            let s = record::sign(f.as_object().unwrap().clone(), &keys[i]).unwrap();
            (format!("m{}", n / 50), format!("{}", n % 50), s.tag_key, s.tag_value)
        })
        .collect();
    (roster, found)
}

fn bench(c: &mut Criterion) {
    let (roster, owned) = fixture();
    let found: Vec<Found<'_>> = owned
        .iter()
        .map(|(model, version, key, value)| Found {
            model,
            version,
            key,
            value,
        })
        .collect();
    // The raw rate: the same signatures over the same bytes, nothing else.
    let raw: Vec<(Vec<u8>, SshSig, usize)> = found
        .iter()
        .map(|f| {
            let v: serde_json::Value = serde_json::from_str(f.value).unwrap();
            let fields = v.as_object().unwrap().clone();
            let sig = SshSig::from_pem(fields["sig"].as_str().unwrap()).unwrap();
            let actor: usize = fields["actor"].as_str().unwrap()[1..].parse().unwrap();
            (record::signed_bytes(&fields).unwrap(), sig, actor)
        })
        .collect();
    let publics: Vec<_> = (1..=8).map(|i| key(i).public_key().clone()).collect();
    let mut g = c.benchmark_group("audit verify, 100k records");
    g.sample_size(10);
    g.bench_function("raw Ed25519 SSHSIG verification, one core", |b| {
        b.iter(|| {
            for (bytes, sig, i) in &raw {
                black_box(publics[*i].verify(NAMESPACE, bytes, sig).is_ok());
            }
        })
    });
    // Each iteration starts with nothing remembered: the full checks.
    g.bench_function("full record checks, one core", |b| {
        b.iter(|| {
            verified::forget();
            black_box(check_all_on(&found, "bench", &roster, 1))
        })
    });
    g.bench_function("full record checks, every core", |b| {
        b.iter(|| {
            verified::forget();
            black_box(check_all(&found, "bench", &roster))
        })
    });
    // Records whose cryptography passed before (a later command, a later
    // refresh of `serve`): parsing and the roster's checks only.
    check_all(&found, "bench", &roster);
    g.bench_function("remembered record checks, every core", |b| {
        b.iter(|| black_box(check_all(&found, "bench", &roster)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
