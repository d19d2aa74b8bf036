//! The DER that Go's `encoding/asn1` writes for the small structures Sealed Secrets and sprig
//! certificates build by hand: a TLV, and a subject holding only a common name.

/// DER of `CN=<cn>` (PrintableString when Go would pick it, else UTF8String), or the empty DN.
pub fn subject_der(common_name: &str) -> Vec<u8> {
    if common_name.is_empty() {
        return tlv(0x30, &[]);
    }
    let printable = common_name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b));
    let value = tlv(if printable { 0x13 } else { 0x0c }, common_name.as_bytes());
    let oid_cn = [0x06, 0x03, 0x55, 0x04, 0x03];
    let atv = tlv(0x30, &[&oid_cn[..], &value].concat());
    tlv(0x30, &tlv(0x31, &atv))
}

/// One DER TLV with a definite length.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}
