//! Fuzz target `sip`: arbitrary bytes → `kcfg_runtime::sip::SipMsg::parse`
//! and the accessors the runtime calls on a parsed message.
//!
//! Invariants: no panic; what parses is at most `MAX_MSG_SIZE` bytes and has
//! a Via header (the parser's documented rejections); a parsed message's
//! serialisation (`to_wire`) parses again, and serialising is a fixpoint
//! after one round (parse ∘ to_wire keeps start line, headers and body).
#![no_main]

use kcfg_runtime::sip::{SipMsg, Uri, MAX_MSG_SIZE};
use libfuzzer_sys::fuzz_target;

fn touch(m: &SipMsg) {
    let _ = (m.is_request(), m.method(), m.ruri(), m.status(), m.reason());
    let _ = (m.call_id(), m.from_tag(), m.to_tag(), m.via1());
    let _ = (m.cseq_num(), m.cseq_method(), m.header_elems("via"));
    let _ = Uri::parse(m.ruri()).map(|u| {
        (
            u.hostport(),
            u.port_num(),
            u.transport(),
            u.to_string_full(),
        )
    });
}

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = SipMsg::parse(data) else {
        return;
    };
    assert!(data.len() <= MAX_MSG_SIZE);
    assert!(msg.header("via").is_some(), "parsed without a Via header");
    touch(&msg);
    let wire = msg.to_wire();
    if wire.len() > MAX_MSG_SIZE {
        return;
    }
    let again = SipMsg::parse(wire.as_bytes())
        .unwrap_or_else(|e| panic!("to_wire of a parsed message does not parse: {e}\n{wire:?}"));
    touch(&again);
    let wire2 = again.to_wire();
    if wire2.len() > MAX_MSG_SIZE {
        return;
    }
    let third = SipMsg::parse(wire2.as_bytes()).expect("second round parses");
    assert_eq!(third, again, "parse ∘ to_wire is not a fixpoint\n{wire2:?}");
});
