//! Generators of hostile wasm binaries whose cost is in compiling, not in
//! running: the shapes a tenant would use to stall a backend at
//! `CREATE FUNCTION`. Used by the tests, the e2e battery and
//! `make bench-wasm`; every module exports `f: () -> i32` (or `() -> ()`).

/// Unsigned LEB128.
fn leb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn section(out: &mut Vec<u8>, id: u8, body: &[u8]) {
    out.push(id);
    leb(out, body.len() as u64);
    out.extend_from_slice(body);
}

/// A module of `bodies` (each a function's locals + code, without the size
/// prefix), all of type `() -> i32` when `returns_i32`, else `() -> ()`,
/// the first exported as `f`, and `globals` mutable i32 globals.
fn module(bodies: &[Vec<u8>], returns_i32: bool, globals: u32) -> Vec<u8> {
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    let ty: &[u8] = if returns_i32 {
        &[1, 0x60, 0, 1, 0x7f]
    } else {
        &[1, 0x60, 0, 0]
    };
    section(&mut out, 1, ty);
    let mut funcs = Vec::new();
    leb(&mut funcs, bodies.len() as u64);
    funcs.resize(funcs.len() + bodies.len(), 0);
    section(&mut out, 3, &funcs);
    if globals > 0 {
        let mut g = Vec::new();
        leb(&mut g, globals as u64);
        for _ in 0..globals {
            g.extend_from_slice(&[0x7f, 1, 0x41, 0, 0x0b]);
        }
        section(&mut out, 6, &g);
    }
    section(&mut out, 7, &[1, 1, b'f', 0, 0]);
    let mut code = Vec::new();
    leb(&mut code, bodies.len() as u64);
    for body in bodies {
        leb(&mut code, body.len() as u64);
        code.extend_from_slice(body);
    }
    section(&mut out, 10, &code);
    out
}

/// `depth` nested `loop`s (`opcode` 0x03) or `block`s (0x02) around
/// `i32.const 0`, repeated `groups` times in one function.
pub fn nested(opcode: u8, depth: usize, groups: usize) -> Vec<u8> {
    let mut body = vec![0];
    for g in 0..groups {
        body.extend(std::iter::repeat_n([opcode, 0x40], depth).flatten());
        body.extend(std::iter::repeat_n(0x0b, depth));
        if g + 1 == groups {
            body.extend_from_slice(&[0x41, 0]);
        }
    }
    if groups == 0 {
        body.extend_from_slice(&[0x41, 0]);
    }
    body.push(0x0b);
    module(&[body], true, 0)
}

/// `depth` nested loops in one function (the "nested loops" bomb).
pub fn nested_loops(depth: usize) -> Vec<u8> {
    nested(0x03, depth, 1)
}

/// One function with `locals` i32 locals, each set and then all summed:
/// every local is live across the whole body.
pub fn many_locals(locals: u32) -> Vec<u8> {
    let mut body = Vec::new();
    leb(&mut body, 1);
    leb(&mut body, locals as u64);
    body.push(0x7f);
    for i in 0..locals {
        body.push(0x41); // i32.const i
        leb(&mut body, (i & 0x3f) as u64);
        body.push(0x21); // local.set i
        leb(&mut body, i as u64);
    }
    body.extend_from_slice(&[0x41, 0]);
    for i in 0..locals {
        body.push(0x20); // local.get i
        leb(&mut body, i as u64);
        body.push(0x6a); // i32.add
    }
    body.push(0x0b);
    module(&[body], true, 0)
}

/// `count` empty functions of type `() -> ()`.
pub fn many_functions(count: usize) -> Vec<u8> {
    let body = vec![0, 0x0b];
    module(&vec![body; count], false, 0)
}

/// A trivial `f` and `count` mutable globals.
pub fn many_globals(count: u32) -> Vec<u8> {
    module(&[vec![0, 0x41, 0, 0x0b]], true, count)
}

/// Functions of about `body_bytes` each, filled with `depth`-deep nested
/// loops, up to `total_bytes`: the worst shape that fits given caps.
pub fn worst_within(depth: usize, body_bytes: usize, total_bytes: usize) -> Vec<u8> {
    let group = depth * 3;
    let groups = (body_bytes.saturating_sub(8) / group.max(1)).max(1);
    let one = {
        let mut body = vec![0];
        for _ in 0..groups {
            body.extend(std::iter::repeat_n([0x03, 0x40], depth).flatten());
            body.extend(std::iter::repeat_n(0x0b, depth));
        }
        body.extend_from_slice(&[0x41, 0, 0x0b]);
        body
    };
    let count = (total_bytes / one.len().max(1)).max(1);
    module(&vec![one; count], true, 0)
}

/// `f: () -> i32` that traps (`unreachable`), with `name` as its name in
/// the module's `name` section: what a trap's detail would show.
pub fn trap_named(name: &str) -> Vec<u8> {
    let mut out = module(&[vec![0, 0x00, 0x0b]], true, 0);
    let mut names = Vec::new();
    leb(&mut names, 1); // one function
    leb(&mut names, 0); // index 0
    leb(&mut names, name.len() as u64);
    names.extend_from_slice(name.as_bytes());
    let mut body = Vec::new();
    leb(&mut body, 4);
    body.extend_from_slice(b"name");
    body.push(1); // function names subsection
    leb(&mut body, names.len() as u64);
    body.extend_from_slice(&names);
    section(&mut out, 0, &body);
    out
}

/// Ordinary code for a compile-time-per-MB figure: functions of about 2 kB
/// with 16 locals, a loop and straight-line integer arithmetic, up to
/// `total_bytes`.
pub fn ordinary(total_bytes: usize) -> Vec<u8> {
    let mut body = Vec::new();
    leb(&mut body, 1);
    leb(&mut body, 16);
    body.push(0x7f);
    body.extend_from_slice(&[0x03, 0x40]); // loop
    for i in 0..120u64 {
        let (a, b, c) = (i % 16, (i * 7 + 3) % 16, (i * 5 + 1) % 16);
        body.extend_from_slice(&[0x20, a as u8, 0x20, b as u8, 0x6a, 0x41]); // get a, get b, add, const
        leb(&mut body, i * 31 % 64);
        body.extend_from_slice(&[0x6c, 0x21, c as u8]); // mul, set c
    }
    body.extend_from_slice(&[0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b]); // dec, tee, br_if 0, end
    body.extend_from_slice(&[0x20, 1, 0x0b]);
    let count = (total_bytes / body.len()).max(1);
    module(&vec![body; count], true, 0)
}
