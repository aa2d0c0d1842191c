//! Text and arrays:
//! * `words(text) RETURNS SETOF text`: the words of a text (split on
//!   whitespace, trimmed of punctuation, lower-cased);
//! * `kv_to_json(text) RETURNS jsonb`: `"a=1; b = two"` as
//!   `{"a": "1", "b": "two"}`, NULL for NULL (non-strict, NULL mask);
//! * `mean(float8[]) RETURNS float8` and `top_n(int[], int) RETURNS int[]`.

use extguard_guest::{args, result, Json};

#[no_mangle]
pub extern "C" fn words(ptr: i32, len: i32) -> i64 {
    // SAFETY: the text argument.
    let text = unsafe { args::text(ptr, len) };
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect::<result::Elems>()
        .finish()
}

#[no_mangle]
pub extern "C" fn kv_to_json(ptr: i32, len: i32, nulls: i64) -> i64 {
    if args::is_null(nulls, 0) {
        return result::NULL;
    }
    // SAFETY: the text argument (not NULL).
    let text = unsafe { args::text(ptr, len) };
    let pairs = text
        .split(';')
        .filter_map(|item| item.split_once('='))
        .map(|(k, v)| (k.trim(), Json::from(v.trim())));
    result::text(Json::object(pairs).to_string())
}

#[no_mangle]
pub extern "C" fn mean(ptr: i32, len: i32) -> f64 {
    // SAFETY: a float8[] argument.
    let v = unsafe { args::array::<f64>(ptr, len) };
    v.iter().sum::<f64>() / v.len() as f64
}

#[no_mangle]
pub extern "C" fn top_n(ptr: i32, len: i32, n: i32) -> i64 {
    // SAFETY: an integer[] argument.
    let mut v = unsafe { args::array::<i32>(ptr, len) }.to_vec();
    v.sort_unstable_by(|a, b| b.cmp(a));
    v.truncate(n.max(0) as usize);
    result::array(v)
}
