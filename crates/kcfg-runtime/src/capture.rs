//! Reading SIP messages out of captures: pcap and pcapng files (Ethernet,
//! Linux cooked SLL, raw IP, loopback; IPv4/IPv6; UDP, TCP with
//! reassembly, SCTP DATA chunks, WebSocket frames over TCP, GRE/ERSPAN
//! encapsulation). What is not SIP, or cannot be decoded, is skipped and
//! counted by reason.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_parser::pcapng::Block;
use pcap_parser::{PcapBlockOwned, PcapError};

use crate::sip::{find_sub, frame_stream, MAX_MSG_SIZE};

/// Largest capture file read (a clear error beyond).
pub const MAX_CAPTURE_BYTES: usize = 2 << 30;

/// The transport a message came over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Udp,
    Tcp,
    Tls,
    Sctp,
    Ws,
}

impl Proto {
    pub fn name(self) -> &'static str {
        match self {
            Proto::Udp => "udp",
            Proto::Tcp => "tcp",
            Proto::Tls => "tls",
            Proto::Sctp => "sctp",
            Proto::Ws => "ws",
        }
    }
}

/// A SIP message as seen on the wire.
#[derive(Debug, Clone)]
pub struct WirePacket {
    /// seconds since the epoch (or since the start for text files)
    pub ts: f64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub proto: Proto,
    pub data: Vec<u8>,
    /// frame number in the capture (1-based), 0 for text input
    pub frame: u64,
}

/// What was read and what was skipped.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CaptureStats {
    pub frames: u64,
    pub sip_messages: u64,
    /// reason → count
    pub skipped: BTreeMap<String, u64>,
}

impl CaptureStats {
    fn skip(&mut self, why: &str) {
        *self.skipped.entry(why.to_string()).or_default() += 1;
    }
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// A capture that could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureError(pub String);

impl std::fmt::Display for CaptureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Is this a pcap or pcapng file (by magic number)?
pub fn is_capture(data: &[u8]) -> bool {
    data.len() >= 4
        && matches!(
            u32::from_le_bytes([data[0], data[1], data[2], data[3]]),
            0xa1b2c3d4 | 0xd4c3b2a1 | 0xa1b23c4d | 0x4d3cb2a1 | 0x0a0d0d0a
        )
}

#[derive(Default)]
struct TcpFlow {
    next_seq: Option<u32>,
    pending: BTreeMap<u32, Vec<u8>>,
    buf: Vec<u8>,
    ts: f64,
    frame: u64,
    /// HTTP upgrade seen: the rest of the stream is WebSocket frames
    websocket: bool,
    /// this flow carries HTTP (upgrade request/response)
    http_pending: bool,
    broken: bool,
}

/// Read every SIP message of a pcap/pcapng capture.
pub fn read_capture(data: &[u8]) -> Result<(Vec<WirePacket>, CaptureStats), CaptureError> {
    if data.len() > MAX_CAPTURE_BYTES {
        return Err(CaptureError(format!(
            "capture of {} bytes is larger than the limit of {} bytes",
            data.len(),
            MAX_CAPTURE_BYTES
        )));
    }
    let mut reader = pcap_parser::create_reader(65536, data)
        .map_err(|e| CaptureError(format!("not a pcap/pcapng capture: {e:?}")))?;
    let mut st = Decoder::default();
    // pcapng: link type and time resolution per interface
    let mut ifaces: Vec<(i32, f64)> = Vec::new();
    let mut legacy_link = 1i32;
    let mut legacy_nano = false;
    let mut truncated = false;
    // where the next block starts in `data`, and the byte order of the
    // pcapng section being read (None: legacy pcap, or before the first
    // section header)
    let mut pos = 0usize;
    let mut ng_big_endian: Option<bool> = None;
    loop {
        // pcap-parser 0.16 subtracts 12 from a pcapng block's length after
        // checking it only against the block type's own minimum (4 for a
        // process information block): a length under 12 is corrupt
        // (found by the pcap fuzzer; an overflow panic where overflow
        // checks are on)
        if let (Some(be), Some(h)) = (ng_big_endian, data.get(pos..pos + 8)) {
            let b = [h[4], h[5], h[6], h[7]];
            let len = if be {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            };
            if len < 12 {
                if st.stats.frames == 0 {
                    return Err(CaptureError(format!(
                        "corrupt capture: pcapng block at byte {pos} is {len} bytes long (at least 12)"
                    )));
                }
                truncated = true;
                break;
            }
        }
        match reader.next() {
            Ok((offset, block)) => {
                pos += offset;
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        legacy_link = h.network.0;
                        legacy_nano = h.magic_number == 0xa1b23c4d || h.magic_number == 0x4d3cb2a1;
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let ts = b.ts_sec as f64
                            + b.ts_usec as f64 / if legacy_nano { 1e9 } else { 1e6 };
                        st.frame(legacy_link, ts, b.data);
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
                        ng_big_endian = Some(shb.big_endian());
                        ifaces.clear();
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        let r = idb.if_tsresol;
                        let unit = if r & 0x80 != 0 {
                            2f64.powi(-((r & 0x7f) as i32))
                        } else {
                            10f64.powi(-(r as i32))
                        };
                        ifaces.push((idb.linktype.0, if unit > 0.0 { unit } else { 1e-6 }));
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let (link, unit) =
                            ifaces.get(epb.if_id as usize).copied().unwrap_or((1, 1e-6));
                        let raw = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
                        let caplen = (epb.caplen as usize).min(epb.data.len());
                        st.frame(link, raw as f64 * unit, &epb.data[..caplen]);
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        let link = ifaces.first().map(|i| i.0).unwrap_or(1);
                        st.frame(link, 0.0, spb.data);
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::UnexpectedEof) => {
                truncated = true;
                break;
            }
            Err(PcapError::Incomplete(_)) => {
                if reader.reader_exhausted() {
                    truncated = true;
                    break;
                }
                if reader.refill().is_err() {
                    truncated = true;
                    break;
                }
            }
            Err(e) => {
                if st.stats.frames == 0 {
                    return Err(CaptureError(format!("corrupt capture: {e:?}")));
                }
                truncated = true;
                break;
            }
        }
    }
    if truncated {
        st.stats.skip("truncated capture (last frame incomplete)");
    }
    st.finish();
    st.out.sort_by(|a, b| {
        a.ts.partial_cmp(&b.ts)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.frame.cmp(&b.frame))
    });
    Ok((st.out, st.stats))
}

#[derive(Default)]
struct Decoder {
    stats: CaptureStats,
    out: Vec<WirePacket>,
    flows: HashMap<(SocketAddr, SocketAddr), TcpFlow>,
    frame_no: u64,
}

impl Decoder {
    fn frame(&mut self, link: i32, ts: f64, data: &[u8]) {
        self.stats.frames += 1;
        self.frame_no += 1;
        let sliced = match link {
            1 => SlicedPacket::from_ethernet(data),
            113 => SlicedPacket::from_linux_sll(data),
            276 => {
                // Linux SLL2: 20-byte header, protocol type in the first two bytes
                if data.len() < 20 {
                    self.stats.skip("short SLL2 frame");
                    return;
                }
                let et = u16::from_be_bytes([data[0], data[1]]);
                SlicedPacket::from_ether_type(etherparse::EtherType(et), &data[20..])
            }
            101 | 12 | 14 | 228 | 229 => SlicedPacket::from_ip(data),
            0 | 108 => {
                if data.len() < 4 {
                    self.stats.skip("short loopback frame");
                    return;
                }
                SlicedPacket::from_ip(&data[4..])
            }
            other => {
                self.stats.skip(&format!("link type {other} not supported"));
                return;
            }
        };
        match sliced {
            Ok(p) => self.sliced(ts, p, 0),
            Err(_) => self.stats.skip("undecodable frame"),
        }
    }

    fn sliced(&mut self, ts: f64, p: SlicedPacket<'_>, depth: u32) {
        let Some(net) = &p.net else {
            self.stats.skip("not IP");
            return;
        };
        let (src_ip, dst_ip): (IpAddr, IpAddr) = match net {
            NetSlice::Ipv4(s) => (
                s.header().source_addr().into(),
                s.header().destination_addr().into(),
            ),
            NetSlice::Ipv6(s) => (
                s.header().source_addr().into(),
                s.header().destination_addr().into(),
            ),
        };
        let payload = net
            .ip_payload_ref()
            .map(|p| (p.ip_number.0, p.fragmented, p.payload));
        if let Some((_, true, _)) = payload {
            self.stats.skip("IP fragment (not reassembled)");
            return;
        }
        match &p.transport {
            Some(TransportSlice::Udp(u)) => {
                let src = SocketAddr::new(src_ip, u.source_port());
                let dst = SocketAddr::new(dst_ip, u.destination_port());
                self.datagram(ts, src, dst, Proto::Udp, u.payload());
            }
            Some(TransportSlice::Tcp(t)) => {
                let src = SocketAddr::new(src_ip, t.source_port());
                let dst = SocketAddr::new(dst_ip, t.destination_port());
                self.tcp(ts, src, dst, t.sequence_number(), t.syn(), t.payload());
            }
            Some(_) => self.stats.skip("ICMP"),
            None => match payload {
                Some((132, _, data)) => self.sctp(ts, src_ip, dst_ip, data),
                Some((47, _, data)) if depth < 3 => self.gre(ts, data, depth),
                Some((n, _, _)) => self.stats.skip(&format!("IP protocol {n}")),
                None => self.stats.skip("not IP"),
            },
        }
    }

    /// GRE, with ERSPAN type II/III or transparent Ethernet bridging inside.
    fn gre(&mut self, ts: f64, data: &[u8], depth: u32) {
        if data.len() < 4 {
            self.stats.skip("short GRE");
            return;
        }
        let flags = data[0];
        let proto = u16::from_be_bytes([data[2], data[3]]);
        let mut off = 4;
        if flags & 0x80 != 0 {
            off += 4; // checksum + reserved
        }
        if flags & 0x20 != 0 {
            off += 4; // key
        }
        if flags & 0x10 != 0 {
            off += 4; // sequence
        }
        let inner = match proto {
            0x88be => off + 8,  // ERSPAN type II
            0x22eb => off + 12, // ERSPAN type III
            0x6558 => off,      // transparent Ethernet bridging
            0x0800 | 0x86dd => {
                if let Some(d) = data.get(off..) {
                    match SlicedPacket::from_ip(d) {
                        Ok(p) => self.sliced(ts, p, depth + 1),
                        Err(_) => self.stats.skip("undecodable GRE payload"),
                    }
                }
                return;
            }
            _ => {
                self.stats.skip("GRE payload type not supported");
                return;
            }
        };
        match data.get(inner..).map(SlicedPacket::from_ethernet) {
            Some(Ok(p)) => self.sliced(ts, p, depth + 1),
            _ => self.stats.skip("undecodable ERSPAN payload"),
        }
    }

    fn sctp(&mut self, ts: f64, src_ip: IpAddr, dst_ip: IpAddr, data: &[u8]) {
        if data.len() < 12 {
            self.stats.skip("short SCTP packet");
            return;
        }
        let sp = u16::from_be_bytes([data[0], data[1]]);
        let dp = u16::from_be_bytes([data[2], data[3]]);
        let src = SocketAddr::new(src_ip, sp);
        let dst = SocketAddr::new(dst_ip, dp);
        let mut off = 12;
        let mut any = false;
        while off + 4 <= data.len() {
            let ctype = data[off];
            let len = u16::from_be_bytes([data[off + 2], data[off + 3]]) as usize;
            if len < 4 || off + len > data.len() {
                break;
            }
            if ctype == 0 && len > 16 {
                // DATA chunk: TSN, stream id, stream seq, PPID, then user data
                let user = &data[off + 16..off + len];
                self.datagram(ts, src, dst, Proto::Sctp, user);
                any = true;
            }
            off += (len + 3) & !3;
        }
        if !any {
            self.stats.skip("SCTP without DATA chunk");
        }
    }

    fn datagram(&mut self, ts: f64, src: SocketAddr, dst: SocketAddr, proto: Proto, data: &[u8]) {
        if looks_like_sip(data) {
            self.emit(ts, src, dst, proto, data.to_vec());
        } else if data.starts_with(b"HEP3") {
            self.hep3(ts, data);
        } else if data.iter().all(|b| *b == b'\r' || *b == b'\n' || *b == 0) {
            self.stats.skip("keepalive");
        } else {
            self.stats
                .skip(&format!("{} payload that is not SIP", proto.name()));
        }
    }

    /// HEP v3 (homer encapsulation): chunks carry addresses and the SIP payload.
    fn hep3(&mut self, ts: f64, data: &[u8]) {
        let total = data
            .get(4..6)
            .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
            .unwrap_or(0);
        let data = &data[..total.min(data.len())];
        let (mut sip4, mut dip4, mut sip6, mut dip6) = (None, None, None, None);
        let (mut sp, mut dp, mut proto, mut payload) = (0u16, 0u16, 17u8, None);
        let mut off = 6;
        while off + 6 <= data.len() {
            let ctype = u16::from_be_bytes([data[off + 2], data[off + 3]]);
            let len = u16::from_be_bytes([data[off + 4], data[off + 5]]) as usize;
            if len < 6 || off + len > data.len() {
                break;
            }
            let v = &data[off + 6..off + len];
            match (ctype, v.len()) {
                (3, 4) => sip4 = Some(IpAddr::from([v[0], v[1], v[2], v[3]])),
                (4, 4) => dip4 = Some(IpAddr::from([v[0], v[1], v[2], v[3]])),
                (5, 16) => sip6 = <[u8; 16]>::try_from(v).ok().map(IpAddr::from),
                (6, 16) => dip6 = <[u8; 16]>::try_from(v).ok().map(IpAddr::from),
                (7, 2) => sp = u16::from_be_bytes([v[0], v[1]]),
                (8, 2) => dp = u16::from_be_bytes([v[0], v[1]]),
                (2, 1) => proto = v[0],
                (15, _) => payload = Some(v),
                _ => {}
            }
            off += len;
        }
        let (Some(s), Some(d), Some(p)) = (sip4.or(sip6), dip4.or(dip6), payload) else {
            self.stats.skip("HEP3 without addresses or payload");
            return;
        };
        if looks_like_sip(p) {
            let pr = if proto == 6 { Proto::Tcp } else { Proto::Udp };
            self.emit(
                ts,
                SocketAddr::new(s, sp),
                SocketAddr::new(d, dp),
                pr,
                p.to_vec(),
            );
        } else {
            self.stats.skip("HEP3 payload that is not SIP");
        }
    }

    fn emit(&mut self, ts: f64, src: SocketAddr, dst: SocketAddr, proto: Proto, data: Vec<u8>) {
        if data.len() > MAX_MSG_SIZE {
            self.stats.skip("SIP message larger than 64 KiB");
            return;
        }
        self.stats.sip_messages += 1;
        self.out.push(WirePacket {
            ts,
            src,
            dst,
            proto,
            data,
            frame: self.frame_no,
        });
    }

    fn tcp(
        &mut self,
        ts: f64,
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        syn: bool,
        payload: &[u8],
    ) {
        let key = (src, dst);
        let flow = self.flows.entry(key).or_default();
        if syn {
            flow.next_seq = Some(seq.wrapping_add(1));
            flow.buf.clear();
            flow.pending.clear();
            return;
        }
        if payload.is_empty() {
            return;
        }
        if flow.buf.is_empty() {
            flow.ts = ts;
            flow.frame = self.frame_no;
        }
        let next = *flow.next_seq.get_or_insert(seq);
        let diff = seq.wrapping_sub(next) as i32;
        if diff < 0 {
            // retransmission or overlap: keep only the new part
            // (`unsigned_abs`: a difference of i32::MIN has no negation)
            let skip = diff.unsigned_abs() as usize;
            if skip >= payload.len() {
                self.stats.skip("TCP retransmission");
                return;
            }
            let rest = payload[skip..].to_vec();
            flow.buf.extend_from_slice(&rest);
            flow.next_seq = Some(next.wrapping_add(rest.len() as u32));
        } else if diff > 0 {
            if flow.pending.len() > 1024 {
                flow.broken = true;
            } else {
                flow.pending.insert(seq, payload.to_vec());
            }
            return;
        } else {
            flow.buf.extend_from_slice(payload);
            flow.next_seq = Some(next.wrapping_add(payload.len() as u32));
        }
        // segments that now fit
        loop {
            let n = flow.next_seq.unwrap_or(0);
            let Some((&s, _)) = flow.pending.iter().find(|(s, d)| {
                let off = n.wrapping_sub(**s) as i32;
                off >= 0 && (off as usize) < d.len()
            }) else {
                break;
            };
            let d = flow.pending.remove(&s).unwrap_or_default();
            let off = n.wrapping_sub(s) as usize;
            flow.buf.extend_from_slice(&d[off..]);
            flow.next_seq = Some(n.wrapping_add((d.len() - off) as u32));
            flow.pending
                .retain(|ps, pd| i64::from(ps.wrapping_sub(n) as i32) + pd.len() as i64 > 0);
        }
        self.drain_flow(key);
    }

    fn drain_flow(&mut self, key: (SocketAddr, SocketAddr)) {
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        let mut msgs: Vec<Vec<u8>> = Vec::new();
        let mut skips: Vec<&'static str> = Vec::new();
        let mut proto = Proto::Tcp;
        loop {
            if flow.buf.is_empty() {
                break;
            }
            if !flow.websocket {
                if flow.buf.starts_with(b"GET ") || flow.buf.starts_with(b"HTTP/") {
                    flow.http_pending = true;
                }
                if flow.http_pending {
                    let Some(end) = find_sub(&flow.buf, b"\r\n\r\n") else {
                        break;
                    };
                    let head = String::from_utf8_lossy(&flow.buf[..end]).to_ascii_lowercase();
                    if head.contains("upgrade: websocket") {
                        flow.websocket = true;
                    }
                    flow.buf.drain(..end + 4);
                    flow.http_pending = false;
                    skips.push("HTTP (WebSocket upgrade)");
                    continue;
                }
                if !looks_like_sip(&flow.buf) && !flow.buf.starts_with(b"\r\n") {
                    skips.push("TCP payload that is not SIP");
                    flow.buf.clear();
                    break;
                }
                let (res, used) = frame_stream(&flow.buf);
                for r in res {
                    match r {
                        Ok(m) => msgs.push(m),
                        Err(_) => skips.push("unframeable SIP on TCP"),
                    }
                }
                flow.buf.drain(..used);
                if flow.buf.len() > 4 * MAX_MSG_SIZE {
                    skips.push("TCP stream overflow");
                    flow.buf.clear();
                }
                break;
            }
            proto = Proto::Ws;
            match ws_frame(&flow.buf) {
                WsFrame::Incomplete => break,
                WsFrame::Bad => {
                    skips.push("bad WebSocket frame");
                    flow.buf.clear();
                    break;
                }
                WsFrame::Frame {
                    opcode,
                    payload,
                    used,
                } => {
                    if (opcode == 1 || opcode == 2) && looks_like_sip(&payload) {
                        msgs.push(payload);
                    } else if opcode >= 8 {
                        skips.push("WebSocket control frame");
                    } else {
                        skips.push("WebSocket payload that is not SIP");
                    }
                    flow.buf.drain(..used);
                }
            }
        }
        let (ts, frame) = (flow.ts, flow.frame);
        for s in skips {
            self.stats.skip(s);
        }
        for m in msgs {
            self.stats.sip_messages += 1;
            self.out.push(WirePacket {
                ts,
                src: key.0,
                dst: key.1,
                proto,
                data: m,
                frame,
            });
        }
    }

    fn finish(&mut self) {
        let mut left = 0;
        let mut gaps = 0;
        for f in self.flows.values() {
            if !f.buf.is_empty() {
                left += 1;
            }
            if !f.pending.is_empty() || f.broken {
                gaps += 1;
            }
        }
        for _ in 0..left {
            self.stats.skip("incomplete message at end of TCP stream");
        }
        for _ in 0..gaps {
            self.stats.skip("TCP stream with missing segments");
        }
    }
}

enum WsFrame {
    Incomplete,
    Bad,
    Frame {
        opcode: u8,
        payload: Vec<u8>,
        used: usize,
    },
}

fn ws_frame(b: &[u8]) -> WsFrame {
    if b.len() < 2 {
        return WsFrame::Incomplete;
    }
    let opcode = b[0] & 0x0f;
    let masked = b[1] & 0x80 != 0;
    let mut len = (b[1] & 0x7f) as usize;
    let mut off = 2;
    if len == 126 {
        if b.len() < 4 {
            return WsFrame::Incomplete;
        }
        len = u16::from_be_bytes([b[2], b[3]]) as usize;
        off = 4;
    } else if len == 127 {
        if b.len() < 10 {
            return WsFrame::Incomplete;
        }
        let l = u64::from_be_bytes(b[2..10].try_into().unwrap_or([0; 8]));
        if l > MAX_MSG_SIZE as u64 * 4 {
            return WsFrame::Bad;
        }
        len = l as usize;
        off = 10;
    }
    let key = if masked {
        if b.len() < off + 4 {
            return WsFrame::Incomplete;
        }
        let k = [b[off], b[off + 1], b[off + 2], b[off + 3]];
        off += 4;
        Some(k)
    } else {
        None
    };
    if b.len() < off + len {
        return WsFrame::Incomplete;
    }
    let mut payload = b[off..off + len].to_vec();
    if let Some(k) = key {
        for (i, x) in payload.iter_mut().enumerate() {
            *x ^= k[i % 4];
        }
    }
    WsFrame::Frame {
        opcode,
        payload,
        used: off + len,
    }
}

/// A first line that looks like a SIP request or reply.
pub fn looks_like_sip(data: &[u8]) -> bool {
    let line_end = data
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(data.len().min(200));
    let line = &data[..line_end.min(data.len())];
    if line.starts_with(b"SIP/2.0 ") {
        return true;
    }
    let s = String::from_utf8_lossy(line);
    let s = s.trim_end();
    let mut parts = s.split(' ');
    let (Some(m), Some(_u), Some(v)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !m.is_empty() && m.bytes().all(|b| b.is_ascii_uppercase()) && v.eq_ignore_ascii_case("SIP/2.0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_captures_and_truncation() {
        assert!(read_capture(b"hello").is_err());
        assert!(read_capture(&[]).is_err());
        // a pcap header then half a frame header
        let mut v = vec![
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0,
            0,
        ];
        v.extend_from_slice(&[1, 2, 3]);
        let (pk, st) = read_capture(&v).unwrap();
        assert!(pk.is_empty());
        assert_eq!(st.skipped_total(), 1);
    }

    #[test]
    fn websocket_frames_unmask() {
        let payload = b"OPTIONS sip:a SIP/2.0\r\n\r\n";
        let key = [1u8, 2, 3, 4];
        let mut f = vec![0x81, 0x80 | payload.len() as u8];
        f.extend_from_slice(&key);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        match ws_frame(&f) {
            WsFrame::Frame {
                opcode,
                payload: p,
                used,
            } => {
                assert_eq!((opcode, used), (1, f.len()));
                assert_eq!(p, payload);
            }
            _ => panic!("frame expected"),
        }
    }
}
