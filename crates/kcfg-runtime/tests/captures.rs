//! The shared captures (`../shared/traces`, the oracle's b-relay.pcap) are read
//! without error; non-SIP packets are skipped and counted.

use std::path::PathBuf;

use kcfg_runtime::capture::read_capture;

/// `../shared` beside the repository (CI), or beside the worktree directory.
fn shared() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let a = root.join("../shared");
    if a.join("traces").is_dir() {
        a
    } else {
        root.join("../../shared")
    }
}

#[test]
fn shared_traces_are_read() {
    let mut files: Vec<PathBuf> = Vec::new();
    let dir = shared().join("traces");
    for d in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(d.path()).into_iter().flatten().flatten() {
            files.push(f.path());
        }
    }
    files.push(shared().join("tools/kamailio-oracle/samples/b-relay.pcap"));
    files.retain(|f| f.is_file());
    if files.len() < 2 {
        // ../shared is beside the repository on the development machines,
        // not part of a checkout: skip (also in CI) when it is not there
        println!("SKIPPED: ../shared/traces not found");
        return;
    }
    let mut total = 0;
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let (pk, st) = read_capture(&data).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        println!(
            "{}: {} frames, {} SIP messages, skipped {:?}",
            f.display(),
            st.frames,
            st.sip_messages,
            st.skipped
        );
        assert!(st.sip_messages > 0, "{}: no SIP message found", f.display());
        assert_eq!(pk.len() as u64, st.sip_messages);
        for p in &pk {
            assert!(kcfg_runtime::capture::looks_like_sip(&p.data));
        }
        total += pk.len();
    }
    assert!(total > 50);
}

#[test]
fn truncated_and_corrupt_captures_do_not_panic() {
    let data = std::fs::read(shared().join("tools/kamailio-oracle/samples/b-relay.pcap"))
        .unwrap_or_default();
    if data.is_empty() {
        return;
    }
    let (full, _) = read_capture(&data).unwrap();
    for cut in [30, 100, data.len() / 2, data.len() - 3] {
        let r = read_capture(&data[..cut]);
        if let Ok((pk, st)) = r {
            assert!(pk.len() <= full.len());
            assert!(
                st.skipped
                    .contains_key("truncated capture (last frame incomplete)")
                    || pk.len() == full.len()
                    || cut < 40
            );
        }
    }
    let mut bad = data.clone();
    for b in bad.iter_mut().skip(40).step_by(7) {
        *b ^= 0x5a;
    }
    let _ = read_capture(&bad);
}

/// Inputs the `pcap` fuzz target found (fixtures/runtime/fuzz-regressions):
/// read without a panic, the output bounded by the input as the target checks.
#[test]
fn fuzz_regressions_do_not_panic() {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/runtime/fuzz-regressions");
    let mut n = 0;
    for f in std::fs::read_dir(&dir)
        .expect("fuzz-regressions dir")
        .flatten()
    {
        let data = std::fs::read(f.path()).unwrap();
        if let Ok((packets, stats)) = read_capture(&data) {
            let bytes: usize = packets.iter().map(|p| p.data.len()).sum();
            assert!(bytes <= data.len(), "{}", f.path().display());
            assert_eq!(packets.len() as u64, stats.sip_messages);
        }
        n += 1;
    }
    assert!(n >= 1);
}
