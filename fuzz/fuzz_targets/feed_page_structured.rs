#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fieldsync_fuzz::feed_page_structured(data));
