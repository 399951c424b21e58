//! The frame decoder rejects oversize and truncated frames before allocating, and
//! round-trips any payload.

use ferrio_executor_pool::frame::{self, FrameError, HEADER_LEN};
use proptest::prelude::*;
use std::io::Cursor;

#[test]
fn oversize_header_is_rejected_before_the_buffer_grows() {
    // The header claims 4 GiB - 1; the limit is 1 MiB.
    let mut input = Cursor::new(vec![0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
    let mut buf = Vec::new();
    let error = frame::read(&mut input, 1 << 20, &mut buf).unwrap_err();
    assert!(
        matches!(
            error,
            FrameError::TooLarge {
                len: 0xffff_ffff,
                max: 0x10_0000
            }
        ),
        "{error}"
    );
    assert_eq!(
        buf.capacity(),
        0,
        "nothing may be allocated for a rejected frame"
    );
    assert_eq!(
        input.position(),
        HEADER_LEN as u64,
        "only the header is consumed"
    );
}

#[test]
fn truncated_payload_is_reported_with_its_sizes() {
    let mut encoded = frame::encode(b"hello world", 1024).unwrap();
    encoded.truncate(HEADER_LEN + 5);
    let error = frame::read(&mut Cursor::new(&encoded), 1024, &mut Vec::new()).unwrap_err();
    assert!(
        matches!(
            error,
            FrameError::Truncated {
                expected: 15,
                got: 9
            }
        ),
        "{error}"
    );
    let error = frame::decode(&encoded, 1024).unwrap_err();
    assert!(
        matches!(
            error,
            FrameError::Truncated {
                expected: 15,
                got: 9
            }
        ),
        "{error}"
    );
}

#[test]
fn truncated_header_is_not_a_clean_end() {
    let error = frame::read(&mut Cursor::new(&[5u8, 0][..]), 1024, &mut Vec::new()).unwrap_err();
    assert!(
        matches!(
            error,
            FrameError::Truncated {
                expected: 4,
                got: 2
            }
        ),
        "{error}"
    );
    assert!(!frame::read(&mut Cursor::new(&[][..]), 1024, &mut Vec::new()).unwrap());
}

#[test]
fn encoding_past_the_limit_fails() {
    let error = frame::encode(&[0; 100], 99).unwrap_err();
    assert!(
        matches!(error, FrameError::TooLarge { len: 100, max: 99 }),
        "{error}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        // Under miri's isolation there is no file system to keep regressions in.
        failure_persistence: if cfg!(miri) { None } else { ProptestConfig::default().failure_persistence },
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_input_decodes_or_fails_cleanly(input in proptest::collection::vec(any::<u8>(), 0..64), max in 0usize..64) {
        match frame::decode(&input, max) {
            Ok((payload, rest)) => {
                prop_assert!(payload.len() <= max);
                prop_assert_eq!(HEADER_LEN + payload.len() + rest.len(), input.len());
            }
            Err(FrameError::TooLarge { len, max: limit }) => prop_assert!(len > limit),
            Err(FrameError::Truncated { expected, got }) => {
                prop_assert!(got < expected);
                prop_assert_eq!(got, input.len());
            }
            Err(other) => prop_assert!(false, "decode fails only as too large or truncated: {}", other),
        }
        let mut buf = Vec::new();
        match frame::read(&mut Cursor::new(&input), max, &mut buf) {
            Ok(true) => prop_assert!(buf.len() <= max),
            Ok(false) => prop_assert!(input.is_empty()),
            Err(_) => prop_assert!(buf.capacity() <= max),
        }
    }

    #[test]
    fn frames_round_trip_back_to_back(payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..8)) {
        let mut stream = Vec::new();
        for payload in &payloads {
            stream.extend(frame::encode(payload, 1024).unwrap());
        }
        let mut rest = &stream[..];
        let mut reader = Cursor::new(&stream);
        let mut buf = Vec::new();
        for payload in &payloads {
            let (decoded, after) = frame::decode(rest, 1024).unwrap();
            prop_assert_eq!(decoded, &payload[..]);
            rest = after;
            prop_assert!(frame::read(&mut reader, 1024, &mut buf).unwrap());
            prop_assert_eq!(&buf, payload);
        }
        prop_assert!(rest.is_empty());
        prop_assert!(!frame::read(&mut reader, 1024, &mut buf).unwrap());
    }
}
