//! Fuzz target `pcap`: arbitrary bytes → `kcfg_runtime::capture::read_capture`
//! (pcap and pcapng; the fuzzer's dictionary-free mutations of the seed
//! captures reach Ethernet/SLL/IP/UDP/TCP/SCTP/WebSocket decoding).
//!
//! Invariants: no panic; the output is bounded by the input: as many messages as the
//! statistics count and not more message bytes than input bytes
//! (reassembly never duplicates data); frame numbers within the frames read.
#![no_main]

use kcfg_runtime::capture::{looks_like_sip, read_capture};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kcfg_runtime::capture::is_capture(data);
    let Ok((packets, stats)) = read_capture(data) else {
        return;
    };
    let bytes: usize = packets.iter().map(|p| p.data.len()).sum();
    assert!(
        bytes <= data.len(),
        "{bytes} bytes of SIP out of {} bytes of capture",
        data.len()
    );
    assert_eq!(packets.len() as u64, stats.sip_messages);
    for p in &packets {
        assert!(p.frame <= stats.frames);
        let _ = looks_like_sip(&p.data);
    }
});
