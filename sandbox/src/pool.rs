//! A pool of instances under one memory budget: what a PostgreSQL backend
//! keeps between calls. Counted against the budget: the compiled code of
//! every module the pool or the sandbox's module cache holds (each module
//! once) and every live instance's state (linear memory, tables, a fixed
//! overhead). Before each call the pool evicts least recently used
//! instances, then least recently used cached modules, until the rest fits,
//! and the call's linear memory may only grow into what is left.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use crate::{Arg, CallLimits, Function, Instance, Sandbox, SandboxError, Value};

/// Estimated bytes of a live instance besides its linear memory and
/// tables: the wasmtime store, instance and `VMContext` allocations.
pub const INSTANCE_OVERHEAD: u64 = 16 << 10;

struct Entry<T> {
    instance: Instance,
    data: T,
    last_use: u64,
}

/// Instances keyed by `K` (for PostgreSQL: function and roles), each with
/// the caller's data `T`, sharing a memory budget.
pub struct Pool<K, T> {
    sandbox: Sandbox,
    budget: u64,
    tick: u64,
    entries: HashMap<K, Entry<T>>,
}

impl<K: Eq + Hash + Clone, T> Pool<K, T> {
    /// An empty pool over `sandbox`'s engine and module cache.
    pub fn new(sandbox: Sandbox, budget: u64) -> Self {
        Pool {
            sandbox,
            budget,
            tick: 0,
            entries: HashMap::new(),
        }
    }

    /// The memory budget in bytes.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// Changes the budget; takes effect at the next call.
    pub fn set_budget(&mut self, bytes: u64) {
        self.budget = bytes;
    }

    /// Number of instances held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no instance is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True when `key` has an instance.
    pub fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    /// The function `key`'s instance calls, if any.
    pub fn function(&self, key: &K) -> Option<&Function> {
        self.entries.get(key).map(|e| e.instance.function())
    }

    /// The data stored with `key`'s instance.
    pub fn data(&self, key: &K) -> Option<&T> {
        self.entries.get(key).map(|e| &e.data)
    }

    /// Adds (or replaces) the instance of `key`, not yet instantiated.
    pub fn insert(&mut self, key: K, function: &Function, data: T) {
        self.tick += 1;
        let instance = self.sandbox.instantiate(function);
        self.entries.insert(
            key,
            Entry {
                instance,
                data,
                last_use: self.tick,
            },
        );
    }

    /// Drops the instance of `key`.
    pub fn remove(&mut self, key: &K) {
        self.entries.remove(key);
    }

    /// Keeps only the instances that `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &T) -> bool) {
        self.entries.retain(|k, e| keep(k, &e.data));
    }

    /// Drops every instance and every cached module: all wasm state.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.sandbox.clear_cache();
    }

    /// Bytes counted against the budget now.
    pub fn used_bytes(&self) -> u64 {
        let mut seen = HashSet::new();
        let mut used = 0u64;
        for (hash, bytes) in self.sandbox.cached_code() {
            if seen.insert(hash) {
                used += bytes;
            }
        }
        for entry in self.entries.values() {
            let module = entry.instance.function().module();
            if seen.insert(module.hash()) {
                used += module.code_bytes();
            }
            used += entry.instance.state_bytes();
        }
        used
    }

    /// Evicts least recently used instances other than `keep`, then least
    /// recently used cached modules that `keep` does not use, until what is
    /// held plus `headroom` fits the budget or nothing else can go.
    fn make_room(&mut self, keep: &K, headroom: u64) {
        let keep_hash = self
            .entries
            .get(keep)
            .map(|e| e.instance.function().module().hash());
        while self.used_bytes().saturating_add(headroom) > self.budget {
            let oldest = self
                .entries
                .iter()
                .filter(|(k, _)| *k != keep)
                .min_by_key(|(_, e)| e.last_use)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.entries.remove(&k);
                continue;
            }
            if !self.sandbox.evict_cached_module(|h| Some(*h) != keep_hash) {
                break;
            }
        }
    }

    /// Calls `key`'s instance with `limits`, after making room for its
    /// linear memory to grow to `limits.max_memory_bytes`: other instances
    /// and modules are evicted, least recently used first. If the budget is
    /// smaller than that, the memory may grow only as far as the budget
    /// minus everything else held.
    pub fn call(
        &mut self,
        key: &K,
        args: &[Arg<'_>],
        limits: CallLimits,
    ) -> Result<Value, SandboxError> {
        self.tick += 1;
        let tick = self.tick;
        let headroom = self.entries.get(key).map_or(0, |e| {
            let overhead = if e.instance.is_live() {
                0
            } else {
                INSTANCE_OVERHEAD
            };
            limits
                .max_memory_bytes
                .saturating_sub(e.instance.memory_bytes())
                + overhead
        });
        self.make_room(key, headroom);
        let used = self.used_bytes();
        let Some(entry) = self.entries.get_mut(key) else {
            return Err(SandboxError::Engine("no instance for this key".into()));
        };
        entry.last_use = tick;
        let others = used - entry.instance.memory_bytes();
        let state_floor = if entry.instance.is_live() {
            0
        } else {
            INSTANCE_OVERHEAD
        };
        if others + state_floor >= self.budget {
            return Err(SandboxError::MemoryBudgetExceeded {
                needed: others + state_floor,
                budget: self.budget,
            });
        }
        let room = self.budget - others - state_floor;
        let per_instance = limits.max_memory_bytes;
        let limits = CallLimits {
            max_memory_bytes: per_instance.min(room),
            ..limits
        };
        if entry.instance.limits() != limits {
            entry.instance.set_limits(limits);
        }
        let result = entry.instance.call(args);
        if let Err(SandboxError::MemoryLimitExceeded { requested, .. }) = &result {
            if *requested <= per_instance {
                // The budget, not the per-instance limit, stopped it.
                return Err(SandboxError::MemoryBudgetExceeded {
                    needed: others + state_floor + requested,
                    budget: self.budget,
                });
            }
        }
        result
    }
}
