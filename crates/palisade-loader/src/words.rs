//! Word-at-a-time byte tests: the line scans of the loader look at eight bytes per step
//! (manifest lines are a few dozen bytes, too short for a vectorised search to pay for its
//! setup, and a byte loop costs several instructions a byte).

pub(crate) const LOW_BITS: u64 = 0x0101_0101_0101_0101;
pub(crate) const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `w` is below `n` (`n` at most 0x80); exact, as the classic
/// "has less" bit trick: a borrow reaches a high bit only from a byte below `n`.
#[inline]
pub(crate) fn has_byte_below(w: u64, n: u8) -> bool {
    w.wrapping_sub(LOW_BITS * u64::from(n)) & !w & HIGH_BITS != 0
}

/// Whether any byte of `w` equals `b`.
#[inline]
pub(crate) fn has_byte(w: u64, b: u8) -> bool {
    has_byte_below(w ^ (LOW_BITS * u64::from(b)), 1)
}

/// The index of the first `b` in `bytes`, if any.
#[inline]
pub(crate) fn find_byte(bytes: &[u8], b: u8) -> Option<usize> {
    let mut i = 0;
    while let Some(word) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        if has_byte(w, b) {
            break;
        }
        i += 8;
    }
    bytes[i..].iter().position(|&x| x == b).map(|j| i + j)
}

#[cfg(test)]
mod tests {
    use super::{find_byte, has_byte, has_byte_below};
    use proptest::prelude::*;

    proptest! {
        /// The word-at-a-time tests agree with looking at each byte.
        #[test]
        fn word_tests_agree_with_bytes(bytes in any::<[u8; 8]>(), n in 0u8..=0x80, b in any::<u8>()) {
            let w = u64::from_le_bytes(bytes);
            prop_assert_eq!(has_byte_below(w, n), bytes.iter().any(|&x| x < n));
            prop_assert_eq!(has_byte(w, b), bytes.contains(&b));
        }
    }

    proptest! {
        #[test]
        fn find_byte_is_position(bytes in proptest::collection::vec(any::<u8>(), 0..40), b in any::<u8>()) {
            prop_assert_eq!(find_byte(&bytes, b), bytes.iter().position(|&x| x == b));
        }
    }

    #[test]
    fn word_tests_on_yaml_bytes() {
        let w = u64::from_le_bytes(*b"  image:");
        assert!(!has_byte(w, b'\n') && !has_byte_below(w, 0x20) && !has_byte(w, 0x7f));
        let w = u64::from_le_bytes(*b"abc\ndefg");
        assert!(has_byte(w, b'\n') && has_byte_below(w, 0x20));
        let w = u64::from_le_bytes(*b"abc\tdefg");
        assert!(!has_byte(w, b'\n') && has_byte_below(w, 0x20));
        assert!(has_byte(u64::from_le_bytes(*b"abcdefg\x7f"), 0x7f));
    }
}
