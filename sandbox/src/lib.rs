//! extguard-sandbox: a wasmtime runtime with limits for untrusted extension
//! logic.
//!
//! * [`Sandbox`] owns one wasmtime engine configured for embedding in a
//!   PostgreSQL backend: no signal handlers (`signals_based_traps(false)`),
//!   epoch interruption, a small virtual-memory reservation per linear
//!   memory, a bounded wasm stack. It caches compiled modules by the SHA-256
//!   of their binary.
//! * [`Sandbox::load`] turns WAT text, a wasm binary or base64 of a binary
//!   into a [`Module`], rejecting anything that imports, except the host
//!   functions of [`host`] when the embedder configured a [`Host`] (no
//!   WASI, no other host calls).
//! * [`Module::function`] checks an export against a SQL [`Signature`] and
//!   gives a [`Function`]; [`Sandbox::instantiate`] gives an [`Instance`]
//!   whose [`Instance::call`] runs it under [`CallLimits`].
//!
//! The value ABI is described in [`abi`] and `ABI.md`.

pub mod abi;
pub mod bombs;
mod compile;
mod error;
pub mod host;
mod pool;
mod source;
mod ticker;

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::{
    Config, Engine, ExternType, Func, Memory, ResourceLimiter, Store, Trap, TypedFunc,
    UpdateDeadline, Val, WasmBacktrace, WasmFeatures,
};

pub use abi::{
    Arg, ArrayValue, ElemType, RowKind, Signature, Value, ValueType, ABI_EXPORT_PREFIX,
    ABI_VERSION, MIN_ABI_VERSION, NULLS_FLAG, NULL_ELEMENTS_VERSION,
};
pub use error::{sanitize, SandboxError, TrapKind, MESSAGE_CHARS, NAME_CHARS};
pub use host::{
    check_raise_sqlstate, Host, HostError, MessageLevel, HOST_ERROR_BIT, HOST_IMPORTS, HOST_MODULE,
    MAX_MESSAGES_PER_CALL, MAX_MESSAGE_BYTES_PER_CALL, MESSAGE_TEXT_CHARS, RAISE_DEFAULT_SQLSTATE,
    RAISE_ERROR, RAISE_SQLSTATE_CLASSES,
};
pub use pool::{Pool, INSTANCE_OVERHEAD};
pub use source::CompileLimits;

use abi::WasmType;

/// A check the epoch callback runs while wasm executes; returning `true`
/// stops the call with [`SandboxError::Interrupted`]. PostgreSQL passes a
/// function reading `InterruptPending` / `QueryCancelPending`.
pub type InterruptCheck = Arc<dyn Fn() -> bool + Send + Sync>;

/// The WebAssembly proposals the engine accepts, beyond the 1.0 core: all
/// have deterministic semantics (fixed-width SIMD with NaNs canonicalised).
pub const ENABLED_PROPOSALS: &[(&str, WasmFeatures)] = &[
    ("mutable-global", WasmFeatures::MUTABLE_GLOBAL),
    ("sign-extension", WasmFeatures::SIGN_EXTENSION),
    (
        "nontrapping-float-to-int",
        WasmFeatures::SATURATING_FLOAT_TO_INT,
    ),
    ("multi-value", WasmFeatures::MULTI_VALUE),
    ("bulk-memory", WasmFeatures::BULK_MEMORY),
    ("reference-types", WasmFeatures::REFERENCE_TYPES),
    ("simd", WasmFeatures::SIMD),
    ("extended-const", WasmFeatures::EXTENDED_CONST),
    ("tail-call", WasmFeatures::TAIL_CALL),
];

/// Proposals turned off: host-dependent results (relaxed SIMD), shared
/// state (threads), or surface the sandbox does not need (several or 64-bit
/// memories, GC, exceptions, stack switching, components).
pub const DISABLED_PROPOSALS: &[(&str, WasmFeatures)] = &[
    ("relaxed-simd", WasmFeatures::RELAXED_SIMD),
    ("threads", WasmFeatures::THREADS),
    (
        "shared-everything-threads",
        WasmFeatures::SHARED_EVERYTHING_THREADS,
    ),
    ("multi-memory", WasmFeatures::MULTI_MEMORY),
    ("memory64", WasmFeatures::MEMORY64),
    ("custom-page-sizes", WasmFeatures::CUSTOM_PAGE_SIZES),
    ("wide-arithmetic", WasmFeatures::WIDE_ARITHMETIC),
    ("function-references", WasmFeatures::FUNCTION_REFERENCES),
    ("gc", WasmFeatures::GC),
    ("exceptions", WasmFeatures::EXCEPTIONS),
    ("legacy-exceptions", WasmFeatures::LEGACY_EXCEPTIONS),
    ("stack-switching", WasmFeatures::STACK_SWITCHING),
    ("component-model", WasmFeatures::COMPONENT_MODEL),
];

/// Engine-wide settings, fixed when the [`Sandbox`] is created.
#[derive(Clone)]
pub struct SandboxConfig {
    /// Largest accepted module binary, in bytes (WAT text may be 4x larger).
    pub max_module_bytes: usize,
    /// Wasm stack available to a call, in bytes.
    pub max_wasm_stack: usize,
    /// Virtual address space reserved per linear memory, in bytes. Memories
    /// that grow past it are moved. Kept small: every backend has its own.
    pub memory_reservation: u64,
    /// Unmapped guard after each linear memory, in bytes. With signal-based
    /// traps off it only lets Cranelift merge bounds checks.
    pub memory_guard_size: u64,
    /// How often the epoch advances while wasm runs: the granularity of the
    /// time limit and of the interrupt check.
    pub epoch_tick: Duration,
    /// Whether to meter instructions with fuel. Costs some speed in every
    /// call; needed for [`CallLimits::max_instructions`].
    pub fuel_metering: bool,
    /// Compiled modules kept in the cache.
    pub max_cached_modules: usize,
    /// Bytes of compiled code kept in the cache (least recently used
    /// modules go first).
    pub max_cached_code_bytes: u64,
    /// Caps on a module's shape, checked before compiling.
    pub compile: CompileLimits,
    /// Wall-clock limit of one compile; `None` for none besides the
    /// interrupt check.
    pub max_compile_time: Option<Duration>,
    /// Directory for compiled code shared by every process using the same
    /// engine settings (a PostgreSQL server's backends): created with mode
    /// 0700 and used only while it belongs to this process's user and no
    /// one else can write to it.
    pub cache_dir: Option<PathBuf>,
    /// Largest number of tables a module may declare.
    pub max_tables: usize,
    /// Default limits for new instances.
    pub limits: CallLimits,
    /// Checked on every epoch tick while wasm runs.
    pub interrupt_check: Option<InterruptCheck>,
    /// What the host imports ([`HOST_IMPORTS`]) call; `None` refuses every
    /// import.
    pub host: Option<Arc<dyn Host>>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            max_module_bytes: 4 << 20,
            max_wasm_stack: 256 << 10,
            memory_reservation: 16 << 20,
            memory_guard_size: 64 << 10,
            epoch_tick: Duration::from_millis(10),
            fuel_metering: false,
            max_cached_modules: 128,
            max_cached_code_bytes: 256 << 20,
            compile: CompileLimits::default(),
            max_compile_time: Some(Duration::from_secs(10)),
            cache_dir: None,
            max_tables: 4,
            limits: CallLimits::default(),
            interrupt_check: None,
            host: None,
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("max_module_bytes", &self.max_module_bytes)
            .field("max_wasm_stack", &self.max_wasm_stack)
            .field("memory_reservation", &self.memory_reservation)
            .field("memory_guard_size", &self.memory_guard_size)
            .field("epoch_tick", &self.epoch_tick)
            .field("fuel_metering", &self.fuel_metering)
            .field("max_cached_modules", &self.max_cached_modules)
            .field("max_cached_code_bytes", &self.max_cached_code_bytes)
            .field("compile", &self.compile)
            .field("max_compile_time", &self.max_compile_time)
            .field("cache_dir", &self.cache_dir)
            .field("max_tables", &self.max_tables)
            .field("limits", &self.limits)
            .field("interrupt_check", &self.interrupt_check.is_some())
            .field("host", &self.host.is_some())
            .finish()
    }
}

/// Per-call limits; can change between calls of the same [`Instance`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    /// Largest linear memory, in bytes.
    pub max_memory_bytes: u64,
    /// Largest table, in elements.
    pub max_table_elements: u64,
    /// Wall-clock time slice for one call (including instantiation and the
    /// guest's `alloc`); `None` for no limit besides the interrupt check.
    pub max_time: Option<Duration>,
    /// Instruction budget (fuel) for one call; only honoured when the
    /// sandbox was created with `fuel_metering`.
    pub max_instructions: Option<u64>,
    /// Longest text, bytea or jsonb result, in bytes.
    pub max_result_bytes: u64,
}

/// Longest value PostgreSQL can hold in one varlena (`MaxAllocSize` minus
/// the 4-byte header), less one: the default result cap.
pub const MAX_VARLENA_PAYLOAD: u64 = 0x3fff_ffff - 4 - 1;

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            max_memory_bytes: 16 << 20,
            max_table_elements: 10_000,
            max_time: Some(Duration::from_secs(5)),
            max_instructions: None,
            max_result_bytes: MAX_VARLENA_PAYLOAD,
        }
    }
}

/// A wasmtime engine with limits and a compiled-module cache. Cheap to clone
/// (shared state); create one per process (per PostgreSQL backend), lazily.
#[derive(Clone)]
pub struct Sandbox {
    shared: Arc<Shared>,
}

struct Shared {
    engine: Engine,
    config: SandboxConfig,
    ticker: ticker::Ticker,
    cache: Mutex<ModuleCache>,
    compiler: compile::Compiler,
}

/// Compiled modules by hash, least recently used evicted first.
#[derive(Default)]
struct ModuleCache {
    modules: HashMap<[u8; 32], (Module, u64)>,
    code_bytes: u64,
    tick: u64,
}

impl ModuleCache {
    fn get(&mut self, hash: &[u8; 32]) -> Option<Module> {
        self.tick += 1;
        let tick = self.tick;
        self.modules.get_mut(hash).map(|(m, used)| {
            *used = tick;
            m.clone()
        })
    }

    fn insert(&mut self, module: Module, max_modules: usize, max_bytes: u64) {
        if self.modules.contains_key(&module.hash) {
            return;
        }
        while !self.modules.is_empty()
            && (self.modules.len() >= max_modules.max(1)
                || self.code_bytes + module.code_bytes() > max_bytes)
        {
            self.evict_lru(|_| true);
        }
        self.tick += 1;
        self.code_bytes += module.code_bytes();
        self.modules.insert(module.hash, (module, self.tick));
    }

    /// Drops the least recently used module that `may_evict` allows.
    fn evict_lru(&mut self, may_evict: impl Fn(&[u8; 32]) -> bool) -> bool {
        let oldest = self
            .modules
            .iter()
            .filter(|(h, _)| may_evict(h))
            .min_by_key(|(_, (_, used))| *used)
            .map(|(h, _)| *h);
        match oldest.and_then(|h| self.modules.remove(&h)) {
            Some((m, _)) => {
                self.code_bytes -= m.code_bytes();
                true
            }
            None => false,
        }
    }
}

impl Sandbox {
    /// Creates the engine. No thread is started here (see [`Instance::call`]).
    pub fn new(config: SandboxConfig) -> Result<Self, SandboxError> {
        let mut wasm = Config::new();
        // Proposals: only those with deterministic semantics (README lists
        // them); relaxed SIMD may differ by host, so it is off, and NaN bit
        // patterns are canonicalised so float results match everywhere.
        for (feature, on) in ENABLED_PROPOSALS
            .iter()
            .map(|(_, f)| (*f, true))
            .chain(DISABLED_PROPOSALS.iter().map(|(_, f)| (*f, false)))
        {
            wasm.wasm_features(feature, on);
        }
        wasm.cranelift_nan_canonicalization(true)
            .relaxed_simd_deterministic(true);
        wasm.signals_based_traps(false)
            .epoch_interruption(true)
            .consume_fuel(config.fuel_metering)
            .max_wasm_stack(config.max_wasm_stack)
            .memory_reservation(config.memory_reservation)
            .memory_guard_size(config.memory_guard_size)
            .memory_reservation_for_growth(1 << 20)
            .guard_before_linear_memory(false)
            .memory_init_cow(false)
            .wasm_backtrace_max_frames(std::num::NonZeroUsize::new(16));
        let engine = Engine::new(&wasm).map_err(|e| SandboxError::Engine(e.to_string()))?;
        let ticker = ticker::Ticker::new(engine.clone(), config.epoch_tick);
        let compiler = compile::Compiler::new(&engine, config.cache_dir.clone());
        Ok(Sandbox {
            shared: Arc::new(Shared {
                engine,
                config,
                ticker,
                cache: Mutex::default(),
                compiler,
            }),
        })
    }

    /// The configuration this sandbox was created with.
    pub fn config(&self) -> &SandboxConfig {
        &self.shared.config
    }

    /// True once a call has started the epoch ticker thread.
    pub fn ticker_started(&self) -> bool {
        self.shared.ticker.started()
    }

    /// Number of compiled modules in the cache.
    pub fn cached_modules(&self) -> usize {
        self.lock_cache().modules.len()
    }

    /// Hash and compiled-code size of every cached module.
    pub fn cached_code(&self) -> Vec<([u8; 32], u64)> {
        self.lock_cache()
            .modules
            .iter()
            .map(|(h, (m, _))| (*h, m.code_bytes()))
            .collect()
    }

    /// Drops the least recently used cached module whose hash `may_evict`
    /// accepts; false when there is none.
    pub fn evict_cached_module(&self, may_evict: impl Fn(&[u8; 32]) -> bool) -> bool {
        self.lock_cache().evict_lru(may_evict)
    }

    /// Empties the module cache (compiled code stays on disk).
    pub fn clear_cache(&self) {
        let mut cache = self.lock_cache();
        cache.modules.clear();
        cache.code_bytes = 0;
    }

    /// Why the on-disk cache of compiled code is not in use, if it is not.
    pub fn disk_cache_status(&self) -> Result<PathBuf, String> {
        self.shared.compiler.disk_status()
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, ModuleCache> {
        // A panic while holding the lock cannot leave the map inconsistent.
        self.shared
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The (module, name) pairs modules may import: none without a host.
    fn offered_imports(&self) -> Vec<(&'static str, &'static str)> {
        if self.shared.config.host.is_some() {
            HOST_IMPORTS.iter().map(|(m, n, _)| (*m, *n)).collect()
        } else {
            Vec::new()
        }
    }

    /// Decodes, checks and compiles a module given as WAT text, a wasm
    /// binary, or base64 of a binary. Compiled modules are cached by the
    /// SHA-256 of the binary, so loading the same module again is cheap.
    pub fn load(&self, source: &[u8]) -> Result<Module, SandboxError> {
        self.load_interruptible(source, &|| false)
    }

    /// [`Sandbox::load`] that gives up with [`SandboxError::Interrupted`]
    /// within one poll interval (10 ms) of `interrupted` returning true, and
    /// with [`SandboxError::CompileTimeLimitExceeded`] past the compile time
    /// limit. The compile runs on a helper thread while this thread waits;
    /// one given up on finishes in the background (its cost is bounded by
    /// [`CompileLimits`]) and the next compile waits for it first, so a
    /// process never compiles more than one module at a time.
    pub fn load_interruptible(
        &self,
        source: &[u8],
        interrupted: &dyn Fn() -> bool,
    ) -> Result<Module, SandboxError> {
        let config = &self.shared.config;
        let binary = source::decode(source, config.max_module_bytes)?;
        let hash: [u8; 32] = Sha256::digest(&binary).into();
        if let Some(module) = self.lock_cache().get(&hash) {
            return Ok(module);
        }
        source::prescan(
            &binary,
            &source::StaticLimits {
                max_memory_bytes: config.limits.max_memory_bytes,
                max_table_elements: config.limits.max_table_elements,
                max_tables: config.max_tables,
                compile: &config.compile,
                host_imports: &self.offered_imports(),
            },
        )?;
        let binary_len = binary.len();
        let compiled = self.shared.compiler.compile(
            &self.shared.engine,
            binary.into_owned(),
            &hash,
            config.max_compile_time,
            interrupted,
        )?;
        for import in compiled.imports() {
            // prescan already rejects other imports; keep the rule in one
            // more place, and check the offered ones' types.
            let offered = HOST_IMPORTS
                .iter()
                .find(|(m, n, _)| *m == import.module() && *n == import.name())
                .filter(|_| config.host.is_some());
            let Some((_, name, ty)) = offered else {
                return Err(SandboxError::ForbiddenImport {
                    module: import.module().to_string(),
                    name: import.name().to_string(),
                    kind: "import",
                });
            };
            let ok = match import.ty() {
                ExternType::Func(f) => {
                    let names = |types: &mut dyn Iterator<Item = wasmtime::ValType>| {
                        types
                            .map(|t| match WasmType::of(&t) {
                                Some(WasmType::I32) => "i32",
                                Some(WasmType::I64) => "i64",
                                Some(WasmType::F32) => "f32",
                                Some(WasmType::F64) => "f64",
                                None => "?",
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    let found = format!(
                        "({}) -> {}",
                        names(&mut f.params()),
                        names(&mut f.results())
                    );
                    found == *ty
                }
                _ => false,
            };
            if !ok {
                return Err(SandboxError::WrongSignature {
                    name: format!("{HOST_MODULE}.{name}"),
                    expected: (*ty).to_string(),
                    found: format!("{:?}", import.ty()),
                });
            }
        }
        let abi_version = abi::declared_version(compiled.exports().map(|e| e.name()))
            .map_err(SandboxError::AbiVersion)?;
        let module = Module {
            inner: compiled,
            hash,
            size: binary_len,
            abi_version,
        };
        self.lock_cache().insert(
            module.clone(),
            config.max_cached_modules,
            config.max_cached_code_bytes,
        );
        Ok(module)
    }

    /// Loads a module and checks that it exports `name` with the wasm type
    /// `signature` requires (plus `memory` and `alloc` when needed).
    pub fn load_function(
        &self,
        source: &[u8],
        name: &str,
        signature: &Signature,
    ) -> Result<Function, SandboxError> {
        self.load(source)?.function(name, signature)
    }

    /// A new instance of `function` with the sandbox's default limits. The
    /// module is instantiated on the first call.
    pub fn instantiate(&self, function: &Function) -> Instance {
        Instance {
            shared: self.shared.clone(),
            function: function.clone(),
            limits: self.shared.config.limits,
            live: None,
        }
    }

    /// Calls `function` once in a fresh instance (nothing survives the call).
    pub fn call_once(&self, function: &Function, args: &[Arg<'_>]) -> Result<Value, SandboxError> {
        self.instantiate(function).call(args)
    }
}

/// A compiled, checked module. Cheap to clone.
#[derive(Clone)]
pub struct Module {
    inner: wasmtime::Module,
    hash: [u8; 32],
    size: usize,
    abi_version: u32,
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Module")
            .field("hash", &self.hash_hex())
            .field("size", &self.size)
            .finish()
    }
}

impl Module {
    /// SHA-256 of the module binary (the cache key).
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// The hash as lowercase hex.
    pub fn hash_hex(&self) -> String {
        self.hash.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Size of the module binary in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The ABI version the module declares (an `extguard_abi_N` export;
    /// 1 without one).
    pub fn abi_version(&self) -> u32 {
        self.abi_version
    }

    /// Bytes of memory the compiled code image occupies.
    pub fn code_bytes(&self) -> u64 {
        let range = self.inner.image_range();
        (range.end as usize).saturating_sub(range.start as usize) as u64
    }

    /// Names of the exported functions.
    pub fn exported_functions(&self) -> Vec<String> {
        self.inner
            .exports()
            .filter(|e| matches!(e.ty(), ExternType::Func(_)))
            .map(|e| e.name().to_string())
            .collect()
    }

    /// Checks that export `name` is a function with the wasm type that
    /// `signature` maps to under the ABI, and that `memory` / `alloc` /
    /// `reset` exist with the right types when varlena values are involved.
    pub fn function(&self, name: &str, signature: &Signature) -> Result<Function, SandboxError> {
        let needed = signature.since_version();
        if needed > self.abi_version {
            return Err(SandboxError::AbiVersion(format!(
                "the SQL signature needs ABI version {needed} (numeric, arrays, sets; rows, triggers), \
                 the module targets version {}: export a function named {ABI_EXPORT_PREFIX}{needed}",
                self.abi_version
            )));
        }
        if signature.returns_set && signature.result.as_elem().is_none() {
            return Err(SandboxError::Unsupported(format!(
                "a set of {} (sets of arrays are not in the ABI)",
                signature.result
            )));
        }
        let mut expected_params = signature.wasm_params();
        // Version 2: a trailing i64 parameter receives the NULL mask.
        let null_mask = self.abi_version >= 2
            && signature.row != Some(RowKind::Trigger)
            && matches!(self.inner.get_export(name), Some(ExternType::Func(ty))
                if ty.params().len() == expected_params.len() + 1
                    && ty.params().last().as_ref().and_then(WasmType::of) == Some(WasmType::I64));
        if null_mask {
            if signature.params.len() > 64 {
                return Err(SandboxError::Unsupported(format!(
                    "a NULL mask for {} arguments (at most 64)",
                    signature.params.len()
                )));
            }
            expected_params.push(WasmType::I64);
        }
        let expected_result = signature.wasm_result();
        let mut expected_type = signature.wasm_type();
        if null_mask {
            expected_type = expected_type
                .replacen(") ->", ", i64) ->", 1)
                .replacen("(, ", "(", 1);
        }
        self.check_func(
            name,
            &expected_params,
            &[expected_result],
            &expected_type,
            "the function to call",
        )?;
        let passes_varlena = signature.params.iter().any(|p| p.is_varlena());
        let uses_memory = passes_varlena || signature.result.is_varlena() || signature.returns_set;
        if uses_memory {
            match self.inner.get_export("memory") {
                Some(ExternType::Memory(_)) => {}
                _ => {
                    return Err(SandboxError::MissingExport {
                        name: "memory".into(),
                        reason: "text, bytea and jsonb values travel through the exported memory"
                            .into(),
                    })
                }
            }
        }
        if passes_varlena {
            self.check_func(
                "alloc",
                &[WasmType::I32],
                &[WasmType::I32],
                "(i32) -> i32",
                "the host calls alloc(len) to place text, bytea and jsonb arguments",
            )?;
        }
        // `reset` is only called before calls that move text, bytea or
        // jsonb (ABI.md): a function of numbers only ignores it, whatever
        // its type (it may even be the function called).
        let has_reset = uses_memory && self.inner.get_export("reset").is_some();
        if has_reset {
            self.check_func("reset", &[], &[], "() -> ()", "optional")?;
        }
        Ok(Function {
            module: self.clone(),
            name: Arc::from(name),
            signature: Arc::new(signature.clone()),
            passes_varlena,
            has_reset,
            null_mask,
        })
    }

    fn check_func(
        &self,
        name: &str,
        params: &[WasmType],
        results: &[WasmType],
        expected: &str,
        reason: &str,
    ) -> Result<(), SandboxError> {
        let ty = match self.inner.get_export(name) {
            Some(ExternType::Func(ty)) => ty,
            Some(_) => {
                return Err(SandboxError::MissingExport {
                    name: name.into(),
                    reason: format!("it is not a function; {reason}"),
                })
            }
            None => {
                return Err(SandboxError::MissingExport {
                    name: name.into(),
                    reason: reason.into(),
                })
            }
        };
        let found_params: Vec<Option<WasmType>> = ty.params().map(|t| WasmType::of(&t)).collect();
        let found_results: Vec<Option<WasmType>> = ty.results().map(|t| WasmType::of(&t)).collect();
        let same = |found: &[Option<WasmType>], want: &[WasmType]| {
            found.len() == want.len() && found.iter().zip(want).all(|(f, w)| *f == Some(*w))
        };
        if same(&found_params, params) && same(&found_results, results) {
            return Ok(());
        }
        let list = |v: Vec<String>| v.join(", ");
        let found = format!(
            "({}) -> {}",
            list(ty.params().map(|t| t.to_string()).collect()),
            match found_results.len() {
                0 => "()".to_string(),
                1 => ty
                    .results()
                    .next()
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                _ => format!("({})", list(ty.results().map(|t| t.to_string()).collect())),
            }
        );
        Err(SandboxError::WrongSignature {
            name: name.into(),
            expected: expected.into(),
            found,
        })
    }
}

/// An export checked against a SQL signature. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Function {
    module: Module,
    name: Arc<str>,
    signature: Arc<Signature>,
    passes_varlena: bool,
    has_reset: bool,
    null_mask: bool,
}

impl Function {
    /// True when the export takes the NULL mask (ABI version 2), so
    /// [`Arg::Null`] may be passed.
    pub fn accepts_nulls(&self) -> bool {
        self.null_mask
    }

    /// The export name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The SQL signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The module it belongs to.
    pub fn module(&self) -> &Module {
        &self.module
    }
}

/// Why the epoch callback or the resource limiter stopped a call.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Interrupted,
    TimeLimit,
    Memory {
        requested: u64,
    },
    Table {
        requested: u64,
    },
    HostAborted,
    /// The guest raised an ERROR ([`CallState::raised`] holds it).
    Raised,
    /// Past the per-call message caps.
    MessageLimit,
}

/// Store data: the limits of the current call and why it was stopped.
struct CallState {
    limits: CallLimits,
    deadline: Option<Instant>,
    interrupt_check: Option<InterruptCheck>,
    stop: Option<Stop>,
    /// Current size of the instance's linear memory, in bytes.
    memory_bytes: u64,
    /// Elements of all its tables.
    table_elements: u64,
    /// Behind the host imports.
    host: Option<Arc<dyn Host>>,
    /// Messages the guest raised in this call, and their bytes.
    messages: u32,
    message_bytes: u64,
    /// The ERROR the guest raised: (SQLSTATE, sanitised message).
    raised: Option<(String, String)>,
}

impl ResourceLimiter for CallState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let requested = desired as u64;
        if requested > self.limits.max_memory_bytes {
            self.stop = Some(Stop::Memory { requested });
            return Err(wasmtime::Error::msg("wasm memory limit exceeded"));
        }
        self.memory_bytes = requested;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let requested = desired as u64;
        if requested > self.limits.max_table_elements {
            self.stop = Some(Stop::Table { requested });
            return Err(wasmtime::Error::msg("wasm table limit exceeded"));
        }
        self.table_elements += (desired - current.min(desired)) as u64;
        Ok(true)
    }

    fn instances(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        // Checked precisely at load time; this is the backstop.
        16
    }
}

fn epoch_callback(
    mut ctx: wasmtime::StoreContextMut<'_, CallState>,
) -> wasmtime::Result<UpdateDeadline> {
    let state = ctx.data_mut();
    if let Some(check) = &state.interrupt_check {
        if check() {
            state.stop = Some(Stop::Interrupted);
            return Err(wasmtime::Error::msg("wasm call interrupted"));
        }
    }
    if let Some(deadline) = state.deadline {
        if Instant::now() >= deadline {
            state.stop = Some(Stop::TimeLimit);
            return Err(wasmtime::Error::msg("wasm call time limit exceeded"));
        }
    }
    Ok(UpdateDeadline::Continue(1))
}

/// A live instantiation: the store and the exports a call needs.
struct Live {
    store: Store<CallState>,
    func: Func,
    memory: Option<Memory>,
    alloc: Option<TypedFunc<i32, i32>>,
    reset: Option<TypedFunc<(), ()>>,
    params: Vec<Val>,
}

/// A function ready to be called, possibly many times. The module is
/// instantiated on the first call and the instance (its globals and memory)
/// is reused by later calls, like a per-session static; any error discards
/// it and the next call starts from a fresh instance.
pub struct Instance {
    shared: Arc<Shared>,
    function: Function,
    limits: CallLimits,
    live: Option<Live>,
}

impl fmt::Debug for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Instance")
            .field("function", &self.function.name)
            .field("limits", &self.limits)
            .field("live", &self.live.is_some())
            .finish()
    }
}

impl Instance {
    /// The function this instance calls.
    pub fn function(&self) -> &Function {
        &self.function
    }

    /// The limits applied to the next calls.
    pub fn limits(&self) -> CallLimits {
        self.limits
    }

    /// Changes the limits for the next calls.
    pub fn set_limits(&mut self, limits: CallLimits) {
        self.limits = limits;
    }

    /// Drops the live instance; the next call instantiates afresh.
    pub fn reset(&mut self) {
        self.live = None;
    }

    /// True while an instantiation (memory, globals) is kept between calls.
    pub fn is_live(&self) -> bool {
        self.live.is_some()
    }

    /// Bytes of linear memory the live instantiation holds (0 if none).
    pub fn memory_bytes(&self) -> u64 {
        self.live
            .as_ref()
            .map_or(0, |live| live.store.data().memory_bytes)
    }

    /// Bytes the live instantiation holds besides compiled code: linear
    /// memory, tables and a fixed estimate for the store and instance data
    /// ([`INSTANCE_OVERHEAD`]); 0 if none.
    pub fn state_bytes(&self) -> u64 {
        self.live.as_ref().map_or(0, |live| {
            let state = live.store.data();
            state.memory_bytes + state.table_elements * 16 + INSTANCE_OVERHEAD
        })
    }

    /// Calls the function. Arguments must match the signature. Errors come
    /// back as values after wasmtime has unwound: nothing ever longjmps or
    /// panics across wasm frames.
    pub fn call(&mut self, args: &[Arg<'_>]) -> Result<Value, SandboxError> {
        let signature = &self.function.signature;
        if args.len() != signature.params.len() {
            return Err(SandboxError::BadArguments(format!(
                "{} arguments given, the function takes {}",
                args.len(),
                signature.params.len()
            )));
        }
        for (i, (arg, want)) in args.iter().zip(&signature.params).enumerate() {
            if matches!(arg, Arg::Array(a) if a.has_nulls())
                && self.function.module.abi_version < NULL_ELEMENTS_VERSION
            {
                return Err(SandboxError::BadArguments(format!(
                    "argument {} has NULL elements and the module targets ABI version {} \
                     (NULL elements need {NULL_ELEMENTS_VERSION})",
                    i + 1,
                    self.function.module.abi_version
                )));
            }
            if matches!(arg, Arg::Null(_)) && !self.function.null_mask {
                return Err(SandboxError::BadArguments(format!(
                    "argument {} is NULL and the export takes no NULL mask",
                    i + 1
                )));
            }
            if arg.value_type() != *want {
                return Err(SandboxError::BadArguments(format!(
                    "argument {} is {}, expected {}",
                    i + 1,
                    arg.value_type(),
                    want
                )));
            }
        }
        let shared = self.shared.clone();
        let _running = shared.ticker.enter()?;
        let deadline = self.limits.max_time.map(|t| Instant::now() + t);
        if self.live.is_none() {
            self.live = Some(self.instantiate(deadline)?);
        }
        let result = self.call_live(args, deadline);
        if result.is_err() {
            self.live = None;
        }
        result
    }

    fn new_store(&self, deadline: Option<Instant>) -> Result<Store<CallState>, SandboxError> {
        let shared = &self.shared;
        let mut store = Store::new(
            &shared.engine,
            CallState {
                limits: self.limits,
                deadline,
                interrupt_check: shared.config.interrupt_check.clone(),
                stop: None,
                memory_bytes: 0,
                table_elements: 0,
                host: shared.config.host.clone(),
                messages: 0,
                message_bytes: 0,
                raised: None,
            },
        );
        store.limiter(|state| state);
        store.epoch_deadline_callback(epoch_callback);
        store.set_epoch_deadline(1);
        if shared.config.fuel_metering {
            store
                .set_fuel(self.limits.max_instructions.unwrap_or(u64::MAX))
                .map_err(|e| SandboxError::Engine(e.to_string()))?;
        }
        Ok(store)
    }

    fn instantiate(&self, deadline: Option<Instant>) -> Result<Live, SandboxError> {
        let mut store = self.new_store(deadline)?;
        let module = &self.function.module.inner;
        let instantiated = if module.imports().len() == 0 {
            wasmtime::Instance::new(&mut store, module, &[])
        } else {
            host_linker(&self.shared.engine).instantiate(&mut store, module)
        };
        let instance = match instantiated {
            Ok(instance) => instance,
            Err(e) => return Err(self.classify(&store, e)),
        };
        let name = &self.function.name;
        let func =
            instance
                .get_func(&mut store, name)
                .ok_or_else(|| SandboxError::MissingExport {
                    name: name.to_string(),
                    reason: "the function to call".into(),
                })?;
        let memory = instance.get_memory(&mut store, "memory");
        let alloc = if self.function.passes_varlena {
            Some(
                instance
                    .get_typed_func::<i32, i32>(&mut store, "alloc")
                    .map_err(|e| SandboxError::Engine(e.to_string()))?,
            )
        } else {
            None
        };
        let reset = if self.function.has_reset {
            Some(
                instance
                    .get_typed_func::<(), ()>(&mut store, "reset")
                    .map_err(|e| SandboxError::Engine(e.to_string()))?,
            )
        } else {
            None
        };
        Ok(Live {
            store,
            func,
            memory,
            alloc,
            reset,
            params: Vec::new(),
        })
    }

    fn call_live(
        &mut self,
        args: &[Arg<'_>],
        deadline: Option<Instant>,
    ) -> Result<Value, SandboxError> {
        let limits = self.limits;
        let fuel = self.shared.config.fuel_metering;
        let live = self.live.as_mut().expect("instantiated above");
        {
            let state = live.store.data_mut();
            state.limits = limits;
            state.deadline = deadline;
            state.stop = None;
            state.messages = 0;
            state.message_bytes = 0;
            state.raised = None;
        }
        live.store.set_epoch_deadline(1);
        if fuel {
            live.store
                .set_fuel(limits.max_instructions.unwrap_or(u64::MAX))
                .map_err(|e| SandboxError::Engine(e.to_string()))?;
        }
        let mut params = std::mem::take(&mut live.params);
        params.clear();
        let outcome = self.marshal_and_call(args, &mut params);
        let live = self.live.as_mut().expect("instantiated above");
        live.params = params;
        outcome
    }

    fn marshal_and_call(
        &mut self,
        args: &[Arg<'_>],
        params: &mut Vec<Val>,
    ) -> Result<Value, SandboxError> {
        let live = self.live.as_mut().expect("instantiated above");
        if self.function.passes_varlena {
            if let Some(reset) = &live.reset {
                if let Err(e) = reset.call(&mut live.store, ()) {
                    return Err(classify(&live.store, &self.limits, e));
                }
            }
        }
        let mut nulls = 0i64;
        for (i, arg) in args.iter().enumerate() {
            match *arg {
                Arg::Null(ty) => {
                    nulls |= 1 << i;
                    for w in ty.wasm_params() {
                        params.push(match w {
                            WasmType::I32 => Val::I32(0),
                            WasmType::I64 => Val::I64(0),
                            WasmType::F32 => Val::F32(0),
                            WasmType::F64 => Val::F64(0),
                        });
                    }
                }
                Arg::Numeric(s) => {
                    let ptr = copy_in(live, &self.limits, s.as_bytes())?;
                    params.push(Val::I32(ptr as i32));
                    params.push(Val::I32(s.len() as i32));
                }
                Arg::Array(a) => {
                    let bytes = a.encode();
                    let ptr = copy_in(live, &self.limits, &bytes)?;
                    let flag = if a.has_nulls() { NULLS_FLAG } else { 0 };
                    params.push(Val::I32(ptr as i32));
                    params.push(Val::I32((bytes.len() as u32 | flag) as i32));
                }
                Arg::Int2(v) => params.push(Val::I32(v as i32)),
                Arg::Int4(v) => params.push(Val::I32(v)),
                Arg::Int8(v) => params.push(Val::I64(v)),
                Arg::Float4(v) => params.push(Val::F32(v.to_bits())),
                Arg::Float8(v) => params.push(Val::F64(v.to_bits())),
                Arg::Bool(v) => params.push(Val::I32(v as i32)),
                Arg::Text(s) | Arg::Jsonb(s) => {
                    let ptr = copy_in(live, &self.limits, s.as_bytes())?;
                    params.push(Val::I32(ptr as i32));
                    params.push(Val::I32(s.len() as i32));
                }
                Arg::Bytea(b) => {
                    let ptr = copy_in(live, &self.limits, b)?;
                    params.push(Val::I32(ptr as i32));
                    params.push(Val::I32(b.len() as i32));
                }
            }
        }
        if self.function.null_mask {
            params.push(Val::I64(nulls));
        }
        let mut results = [Val::I32(0)];
        if let Err(e) = live.func.call(&mut live.store, params, &mut results) {
            return Err(classify(&live.store, &self.limits, e));
        }
        convert_result(
            live,
            &self.function,
            &results[0],
            self.limits.max_result_bytes,
        )
    }

    fn classify(&self, store: &Store<CallState>, e: wasmtime::Error) -> SandboxError {
        classify(store, &self.limits, e)
    }
}

/// Calls the guest's `alloc(len)` and copies `bytes` to the pointer it
/// returns, checking that the whole range lies inside linear memory.
fn copy_in(live: &mut Live, limits: &CallLimits, bytes: &[u8]) -> Result<u32, SandboxError> {
    let len = i32::try_from(bytes.len()).map_err(|_| {
        SandboxError::BadArguments(format!("a {} byte value is too large", bytes.len()))
    })?;
    let alloc = live
        .alloc
        .as_ref()
        .expect("checked when the function was made");
    let ptr = match alloc.call(&mut live.store, len) {
        Ok(p) => p as u32,
        Err(e) => return Err(classify(&live.store, limits, e)),
    };
    let memory = live.memory.expect("checked when the function was made");
    memory
        .write(&mut live.store, ptr as usize, bytes)
        .map_err(|_| {
            SandboxError::BadResult(format!(
                "alloc({len}) returned {ptr}, a range outside the module's memory of {} bytes",
                memory.data_size(&live.store)
            ))
        })?;
    Ok(ptr)
}

fn convert_result(
    live: &Live,
    function: &Function,
    val: &Val,
    max_result_bytes: u64,
) -> Result<Value, SandboxError> {
    let signature = &function.signature;
    let ty = signature.result;
    let through_memory = ty.is_varlena() || signature.returns_set;
    if let (true, Val::I64(packed)) = (through_memory, val) {
        if *packed == abi::NULL_RESULT && function.module.abi_version >= 2 {
            return Ok(Value::Null(ty));
        }
        // Version 4: bit 31 of an array's or set's length flags the
        // nullable form.
        let is_array = signature.returns_set || matches!(ty, ValueType::Array(_));
        let nullable = is_array
            && function.module.abi_version >= NULL_ELEMENTS_VERSION
            && (*packed as u32) & NULLS_FLAG != 0;
        let packed = if nullable {
            *packed & !(NULLS_FLAG as i64)
        } else {
            *packed
        };
        let bytes = result_bytes(live, packed, max_result_bytes)?;
        let decode = |elem: ElemType, bytes: &[u8]| {
            if nullable {
                ArrayValue::decode_nullable(elem, bytes)
            } else {
                ArrayValue::decode(elem, bytes)
            }
        };
        if signature.returns_set {
            let elem = ty.as_elem().expect("checked when the function was made");
            return decode(elem, &bytes)
                .map(Value::Array)
                .map_err(|m| SandboxError::BadResult(format!("set of {ty}: {m}")));
        }
        return Ok(match ty {
            ValueType::Bytea => Value::Bytea(bytes),
            ValueType::Array(elem) => decode(elem, &bytes)
                .map(Value::Array)
                .map_err(|m| SandboxError::BadResult(format!("{ty} result: {m}")))?,
            _ => {
                let text = String::from_utf8(bytes).map_err(|e| {
                    SandboxError::BadResult(format!(
                        "{} result is not valid UTF-8 ({e})",
                        ty.sql_name()
                    ))
                })?;
                if text.contains('\0') {
                    return Err(SandboxError::BadResult(format!(
                        "{} result contains a NUL byte",
                        ty.sql_name()
                    )));
                }
                match ty {
                    ValueType::Jsonb => Value::Jsonb(text),
                    ValueType::Numeric => Value::Numeric(text),
                    _ => Value::Text(text),
                }
            }
        });
    }
    let value = match (ty, val) {
        (ValueType::Int2, Val::I32(v)) => Value::Int2(i16::try_from(*v).map_err(|_| {
            SandboxError::BadResult(format!("{v} is out of range for type smallint"))
        })?),
        (ValueType::Int4, Val::I32(v)) => Value::Int4(*v),
        (ValueType::Bool, Val::I32(v)) => Value::Bool(*v != 0),
        (ValueType::Int8, Val::I64(v)) => Value::Int8(*v),
        (ValueType::Float4, Val::F32(v)) => Value::Float4(f32::from_bits(*v)),
        (ValueType::Float8, Val::F64(v)) => Value::Float8(f64::from_bits(*v)),
        (ty, other) => {
            return Err(SandboxError::Engine(format!(
                "result {other:?} does not match {ty}"
            )))
        }
    };
    Ok(value)
}

/// Copies the bytes a packed `(ptr, len)` result names out of the guest's
/// memory, checking the range and the length cap.
fn result_bytes(live: &Live, packed: i64, max_result_bytes: u64) -> Result<Vec<u8>, SandboxError> {
    let (ptr, len) = abi::unpack_ptr_len(packed);
    if len as u64 > max_result_bytes {
        return Err(SandboxError::ResultTooLarge {
            len: len as u64,
            limit: max_result_bytes,
        });
    }
    let memory = live.memory.expect("checked when the function was made");
    let data = memory.data(&live.store);
    (ptr as usize)
        .checked_add(len as usize)
        .and_then(|end| data.get(ptr as usize..end))
        .map(<[u8]>::to_vec)
        .ok_or_else(|| {
            SandboxError::BadResult(format!(
                "(ptr {ptr}, len {len}) lies outside the module's memory of {} bytes",
                data.len()
            ))
        })
}

/// Frames of the wasm backtrace on one line, innermost first: function
/// index and (sanitised, bounded) name. Never the host's Rust backtrace.
fn trap_detail(e: &wasmtime::Error) -> String {
    let Some(trace) = e.downcast_ref::<WasmBacktrace>() else {
        return String::new();
    };
    let frames: Vec<String> = trace
        .frames()
        .iter()
        .take(MAX_DETAIL_FRAMES)
        .map(|f| match f.func_name() {
            Some(name) => format!("func {} ({})", f.func_index(), sanitize(name, NAME_CHARS)),
            None => format!("func {}", f.func_index()),
        })
        .collect();
    let more = trace.frames().len().saturating_sub(MAX_DETAIL_FRAMES);
    let mut detail = format!("wasm backtrace: {}", frames.join(" <- "));
    if more > 0 {
        detail.push_str(&format!(" <- ... {more} more"));
    }
    detail
}

/// Frames shown in a trap's detail.
const MAX_DETAIL_FRAMES: usize = 16;

/// Turns a wasmtime error into a typed error: first the reason our own
/// callback or limiter recorded, then wasmtime's trap code.
fn classify(store: &Store<CallState>, limits: &CallLimits, e: wasmtime::Error) -> SandboxError {
    match store.data().stop {
        Some(Stop::Interrupted) => return SandboxError::Interrupted,
        Some(Stop::TimeLimit) => {
            return SandboxError::TimeLimitExceeded {
                limit: limits.max_time.unwrap_or_default(),
            }
        }
        Some(Stop::Memory { requested }) => {
            return SandboxError::MemoryLimitExceeded {
                requested,
                limit: limits.max_memory_bytes,
            }
        }
        Some(Stop::Table { requested }) => {
            return SandboxError::TableLimitExceeded {
                requested,
                limit: limits.max_table_elements,
            }
        }
        Some(Stop::HostAborted) => return SandboxError::HostAborted,
        Some(Stop::Raised) => {
            if let Some((sqlstate, message)) = store.data().raised.clone() {
                return SandboxError::Raised { sqlstate, message };
            }
        }
        Some(Stop::MessageLimit) => {
            return SandboxError::MessageLimitExceeded {
                messages: store.data().messages,
                bytes: store.data().message_bytes,
            }
        }
        None => {}
    }
    let message = trap_detail(&e);
    let Some(trap) = e.downcast_ref::<Trap>() else {
        let text = e.to_string();
        if text.contains("resource limit exceeded") || text.contains("count of") {
            return SandboxError::ResourceCountExceeded(text);
        }
        // A host import refused the call: its own message first, then where.
        let cause = sanitize(&e.root_cause().to_string(), MESSAGE_CHARS);
        let message = if message.is_empty() {
            cause
        } else {
            format!("{cause}; {message}")
        };
        return SandboxError::Trap {
            kind: TrapKind::Other,
            message,
        };
    };
    let kind = match trap {
        Trap::StackOverflow => return SandboxError::StackOverflow,
        Trap::OutOfFuel => {
            return SandboxError::InstructionLimitExceeded {
                limit: limits.max_instructions.unwrap_or(u64::MAX),
            }
        }
        Trap::Interrupt => return SandboxError::Interrupted,
        Trap::UnreachableCodeReached => TrapKind::Unreachable,
        Trap::IntegerDivisionByZero => TrapKind::DivisionByZero,
        Trap::IntegerOverflow => TrapKind::IntegerOverflow,
        Trap::BadConversionToInteger => TrapKind::BadConversion,
        Trap::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        Trap::TableOutOfBounds => TrapKind::TableOutOfBounds,
        Trap::IndirectCallToNull => TrapKind::IndirectCallToNull,
        Trap::BadSignature => TrapKind::BadSignature,
        _ => TrapKind::Other,
    };
    let message = if message.is_empty() {
        trap.to_string()
    } else {
        format!("{trap}; {message}")
    };
    SandboxError::Trap { kind, message }
}

/// A linker offering the host imports ([`HOST_IMPORTS`]): two
/// `(sql_ptr, sql_len, params_ptr, params_len) -> i64` host queries and
/// `raise`.
fn host_linker(engine: &Engine) -> wasmtime::Linker<CallState> {
    let mut linker = wasmtime::Linker::new(engine);
    linker
        .func_wrap(
            HOST_MODULE,
            "spi_query",
            |caller: wasmtime::Caller<'_, CallState>, s: i32, sn: i32, p: i32, pn: i32| {
                host_query(caller, "spi_query", (s, sn), (p, pn), spi_query)
            },
        )
        .expect("one definition per name");
    linker
        .func_wrap(
            HOST_MODULE,
            "spi_exec",
            |caller: wasmtime::Caller<'_, CallState>, s: i32, sn: i32, p: i32, pn: i32| {
                host_query(caller, "spi_exec", (s, sn), (p, pn), spi_exec)
            },
        )
        .expect("one definition per name");
    linker
        .func_wrap(
            HOST_MODULE,
            "raise",
            |caller: wasmtime::Caller<'_, CallState>,
             level: i32,
             m: i32,
             mn: i32,
             c: i32,
             cn: i32| host_raise(caller, level, (m, mn), (c, cn)),
        )
        .expect("one definition per name");
    linker
}

/// `extguard.raise`: a message below ERROR goes to [`Host::message`]
/// (sanitised, counted against [`MAX_MESSAGES_PER_CALL`] and
/// [`MAX_MESSAGE_BYTES_PER_CALL`]); ERROR stops the call with
/// [`SandboxError::Raised`]. Bad arguments trap.
fn host_raise(
    mut caller: wasmtime::Caller<'_, CallState>,
    level: i32,
    (msg_ptr, msg_len): (i32, i32),
    (state_ptr, state_len): (i32, i32),
) -> wasmtime::Result<i32> {
    let fail = |m: String| Err(wasmtime::Error::msg(format!("raise: {m}")));
    let message_level = MessageLevel::from_raise(level);
    if message_level.is_none() && level != RAISE_ERROR {
        return fail(format!("level {level} is not 0 to {RAISE_ERROR}"));
    }
    let memory = caller
        .get_export("memory")
        .and_then(|e| e.into_memory())
        .ok_or_else(|| wasmtime::Error::msg("raise needs the exported memory"))?;
    let host = caller
        .data()
        .host
        .clone()
        .ok_or_else(|| wasmtime::Error::msg("no host"))?;
    let (text, code) = {
        let data = memory.data(&caller);
        let range = |ptr: i32, len: i32| {
            (ptr as u32 as usize)
                .checked_add(len as u32 as usize)
                .and_then(|end| data.get(ptr as u32 as usize..end))
        };
        let (Some(text), Some(code)) = (range(msg_ptr, msg_len), range(state_ptr, state_len))
        else {
            return fail("a range outside memory".into());
        };
        let Ok(text) = std::str::from_utf8(text) else {
            return fail("the message is not UTF-8".into());
        };
        let Ok(code) = std::str::from_utf8(code) else {
            return fail("the SQLSTATE is not UTF-8".into());
        };
        (sanitize(text, MESSAGE_TEXT_CHARS), code.to_string())
    };
    let state = caller.data_mut();
    state.messages = state.messages.saturating_add(1);
    state.message_bytes = state.message_bytes.saturating_add(msg_len as u32 as u64);
    if state.messages > MAX_MESSAGES_PER_CALL || state.message_bytes > MAX_MESSAGE_BYTES_PER_CALL {
        state.stop = Some(Stop::MessageLimit);
        return Err(wasmtime::Error::msg("raise: message caps exceeded"));
    }
    let Some(message_level) = message_level else {
        let code = if code.is_empty() {
            RAISE_DEFAULT_SQLSTATE.to_string()
        } else {
            check_raise_sqlstate(&code).map_err(|m| wasmtime::Error::msg(format!("raise: {m}")))?;
            code
        };
        state.raised = Some((code, text));
        state.stop = Some(Stop::Raised);
        return Err(wasmtime::Error::msg("raised by the guest"));
    };
    host.message(message_level, &text);
    Ok(0)
}

/// `extguard.spi_query`: text parameters (the flat encoding of a `text[]`).
fn spi_query(host: &dyn Host, sql: &str, params: &[u8]) -> HostAnswer {
    let params = match ArrayValue::decode(ElemType::Text, params) {
        Ok(ArrayValue::Text(p)) => p,
        Ok(_) => Vec::new(),
        Err(m) => return Err(format!("spi_query parameters: {m}")),
    };
    Ok(host.spi_query(sql, &params))
}

/// `extguard.spi_exec`: parameters as a JSON array (UTF-8 text).
fn spi_exec(host: &dyn Host, sql: &str, params: &[u8]) -> HostAnswer {
    let params = std::str::from_utf8(params)
        .map_err(|_| "spi_exec: the parameters are not UTF-8".to_string())?;
    Ok(host.spi_exec(sql, params))
}

/// What a host query gives: the host's answer, or `Err(message)` for
/// arguments the guest got wrong (a trap).
type HostAnswer = Result<Result<String, HostError>, String>;

/// A host query: reads the query text and the parameter bytes from guest
/// memory, asks the host through `ask`, and writes the rows (or the error
/// text, with the top bit set) back through the guest's `alloc`.
fn host_query(
    mut caller: wasmtime::Caller<'_, CallState>,
    what: &str,
    (sql_ptr, sql_len): (i32, i32),
    (params_ptr, params_len): (i32, i32),
    ask: impl FnOnce(&dyn Host, &str, &[u8]) -> HostAnswer,
) -> wasmtime::Result<i64> {
    let memory = caller
        .get_export("memory")
        .and_then(|e| e.into_memory())
        .ok_or_else(|| wasmtime::Error::msg(format!("{what} needs the exported memory")))?;
    let host = caller
        .data()
        .host
        .clone()
        .ok_or_else(|| wasmtime::Error::msg("no host"))?;
    let answer = {
        let data = memory.data(&caller);
        let range = |ptr: i32, len: i32| {
            (ptr as u32 as usize)
                .checked_add(len as u32 as usize)
                .and_then(|end| data.get(ptr as u32 as usize..end))
                .ok_or_else(|| wasmtime::Error::msg(format!("{what}: a range outside memory")))
        };
        let sql = std::str::from_utf8(range(sql_ptr, sql_len)?)
            .map_err(|_| wasmtime::Error::msg(format!("{what}: the query is not UTF-8")))?;
        match ask(host.as_ref(), sql, range(params_ptr, params_len)?) {
            Ok(answer) => answer,
            Err(m) => return Err(wasmtime::Error::msg(m)),
        }
    };
    let (text, bit) = match answer {
        Ok(rows) => (rows, 0),
        Err(HostError::Failed(message)) => (message, HOST_ERROR_BIT),
        Err(HostError::Abort) => {
            caller.data_mut().stop = Some(Stop::HostAborted);
            return Err(wasmtime::Error::msg("stopped by the host"));
        }
    };
    let len = i32::try_from(text.len())
        .map_err(|_| wasmtime::Error::msg(format!("{what}: result too large")))?;
    let alloc = caller
        .get_export("alloc")
        .and_then(|e| e.into_func())
        .ok_or_else(|| wasmtime::Error::msg(format!("{what} needs the exported alloc")))?
        .typed::<i32, i32>(&caller)?;
    let ptr = alloc.call(&mut caller, len)? as u32;
    memory
        .write(&mut caller, ptr as usize, text.as_bytes())
        .map_err(|_| {
            wasmtime::Error::msg(format!("{what}: alloc returned a range outside memory"))
        })?;
    Ok(abi::pack_ptr_len(ptr, len as u32) | bit)
}
