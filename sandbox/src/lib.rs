//! extguard-sandbox: a wasmtime runtime with limits (see issue "sandbox").
