//! Rows (ABI version 3):
//! * `minmax(int[], OUT lo int, OUT hi int)`: one composite result;
//! * `pairs(text) RETURNS TABLE (k text, v text)`: a set of rows;
//! * `tidy()` `RETURNS trigger`: BEFORE INSERT OR UPDATE, trims and
//!   lower-cases the column its first argument names, skips rows where it
//!   ends up empty, and records the operation in column `op` if the table
//!   has one (`CREATE TRIGGER ... EXECUTE FUNCTION tidy('email')`).

use extguard_guest::{args, result, trigger, Json};

#[no_mangle]
pub extern "C" fn minmax(ptr: i32, len: i32) -> i64 {
    // SAFETY: an integer[] argument.
    let v = unsafe { args::array::<i32>(ptr, len) };
    let row = Json::object([
        ("lo", Json::from(v.iter().min().copied())),
        ("hi", Json::from(v.iter().max().copied())),
    ]);
    result::row(&row)
}

#[no_mangle]
pub extern "C" fn pairs(ptr: i32, len: i32) -> i64 {
    // SAFETY: the text argument.
    let text = unsafe { args::text(ptr, len) };
    text.split(';')
        .map(|item| {
            let (k, v) = match item.split_once('=') {
                Some((k, v)) => (k, Json::from(v)),
                None => (item, Json::Null),
            };
            Json::object([("k", Json::from(k)), ("v", v)]).to_string()
        })
        .collect::<result::Elems>()
        .finish()
}

#[no_mangle]
pub extern "C" fn tidy(ptr: i32, len: i32) -> i64 {
    // SAFETY: the trigger event.
    let event = unsafe { trigger::Event::from_raw(ptr, len) };
    let (Some(new), Some(column)) = (&event.new, event.args.first()) else {
        return trigger::unchanged();
    };
    let value = new.get(column).and_then(Json::as_str).unwrap_or("");
    let tidy = value.trim().to_lowercase();
    if tidy.is_empty() {
        return trigger::skip();
    }
    let mut changes = vec![(column.clone(), Json::from(tidy))];
    if new.get("op").is_some() {
        changes.push(("op".to_string(), Json::from(event.op.as_str())));
    }
    trigger::set(&Json::object(changes))
}
