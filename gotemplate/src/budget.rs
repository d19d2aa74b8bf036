//! The resource budget of rendering one SealedSecret's templates.
//!
//! Templates are written by whoever may create a SealedSecret and run inside the controller,
//! so every render is bounded: bytes built, evaluation steps, and nesting. The meter lives in
//! thread-local cells while a render runs on this thread, so function bodies keep the plain
//! signature of Go's function map and still charge what they build, before they build it.
//! Maps made during a render are kept in an arena and emptied when it ends, so a map that
//! contains itself (`set $d "k" $d`) cannot leak and nothing drops recursively through maps.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

/// Limits for rendering every template of one SealedSecret.
///
/// The defaults keep one object under about a quarter of a second of CPU and a few tens of
/// MiB of memory, so a controller can give each object a fixed deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Bytes of every string, list and map built while rendering, intermediate values and
    /// output alike, summed over the whole render (nothing is refunded). Shared values (a
    /// `.key`, a variable, an unchanged argument) cost nothing again.
    pub max_bytes: u64,
    /// Evaluation steps: one per template node, function call, `range` iteration and value
    /// visited by a function, plus one per 16 bytes of string handed to a function.
    pub max_steps: u64,
}

impl Budget {
    /// 16 MiB: a Secret holds 1 MiB in all.
    pub const DEFAULT_MAX_BYTES: u64 = 16 << 20;
    /// Ten million steps.
    pub const DEFAULT_MAX_STEPS: u64 = 10_000_000;
    /// Parenthesised expressions and `if`/`range`/`with` blocks nest at most this deep in
    /// one template (fixed: it protects the stack).
    pub const MAX_PARSE_DEPTH: usize = 100;
    /// Template calls and nested blocks together, when executing (fixed).
    pub const MAX_EXEC_DEPTH: usize = 300;
    /// Lists and maps nest at most this deep (fixed).
    pub const MAX_VALUE_DEPTH: usize = 64;

    /// A fresh allowance for one SealedSecret.
    pub fn allowance(self) -> Allowance {
        Allowance {
            budget: self,
            bytes_used: 0,
            steps_used: 0,
            exceeded: None,
        }
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_steps: Self::DEFAULT_MAX_STEPS,
        }
    }
}

/// What is left of a [`Budget`]; pass the same allowance to every render of one object.
#[derive(Debug, Clone)]
pub struct Allowance {
    budget: Budget,
    bytes_used: u64,
    steps_used: u64,
    exceeded: Option<Limit>,
}

impl Allowance {
    pub fn budget(&self) -> Budget {
        self.budget
    }

    pub fn bytes_used(&self) -> u64 {
        self.bytes_used
    }

    pub fn steps_used(&self) -> u64 {
        self.steps_used
    }

    /// The limit a render went over, if any; every later render with it fails at once.
    pub fn exceeded(&self) -> Option<Limit> {
        self.exceeded
    }
}

/// A limit of the budget, as named in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Bytes(u64),
    Steps(u64),
    ValueDepth,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Bytes(n) => write!(f, "template budget exceeded: more than {n} bytes built"),
            Limit::Steps(n) => {
                write!(
                    f,
                    "template budget exceeded: more than {n} evaluation steps"
                )
            }
            Limit::ValueDepth => write!(
                f,
                "value nested deeper than {} levels",
                Budget::MAX_VALUE_DEPTH
            ),
        }
    }
}

/// A map the arena can empty; what it held comes back to be dropped after every map is empty.
/// A trait, so that the meter needs nothing from the value model.
pub trait Emptied {
    fn take_contents(&self) -> Box<dyn Any>;
}

type MapCell = Rc<dyn Emptied>;

thread_local! {
    static BYTES_LEFT: Cell<u64> = const { Cell::new(u64::MAX) };
    static STEPS_LEFT: Cell<u64> = const { Cell::new(u64::MAX) };
    static EXCEEDED: Cell<Option<Limit>> = const { Cell::new(None) };
    static LIMITS: Cell<(u64, u64)> = const { Cell::new((u64::MAX, u64::MAX)) };
    static ARENA: RefCell<Option<Vec<MapCell>>> = const { RefCell::new(None) };
}

/// The meter of one render on this thread; dropping it settles the allowance and empties
/// every map the render made.
pub struct Session<'a> {
    allowance: &'a mut Allowance,
    saved: (u64, u64, Option<Limit>, (u64, u64)),
}

impl<'a> Session<'a> {
    pub fn start(allowance: &'a mut Allowance) -> Session<'a> {
        let b = allowance.budget;
        let saved = (
            BYTES_LEFT.get(),
            STEPS_LEFT.get(),
            EXCEEDED.get(),
            LIMITS.get(),
        );
        BYTES_LEFT.set(b.max_bytes.saturating_sub(allowance.bytes_used));
        STEPS_LEFT.set(b.max_steps.saturating_sub(allowance.steps_used));
        EXCEEDED.set(allowance.exceeded);
        LIMITS.set((b.max_bytes, b.max_steps));
        ARENA.with_borrow_mut(|a| {
            if a.is_none() {
                *a = Some(Vec::new());
            }
        });
        Session { allowance, saved }
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let b = self.allowance.budget;
        self.allowance.bytes_used = b.max_bytes - BYTES_LEFT.get().min(b.max_bytes);
        self.allowance.steps_used = b.max_steps - STEPS_LEFT.get().min(b.max_steps);
        self.allowance.exceeded = EXCEEDED.get();
        let (bytes, steps, exceeded, limits) = self.saved;
        BYTES_LEFT.set(bytes);
        STEPS_LEFT.set(steps);
        EXCEEDED.set(exceeded);
        LIMITS.set(limits);
        let maps = ARENA.with_borrow_mut(Option::take).unwrap_or_default();
        // Emptying every map breaks any cycle through maps; what the maps held then drops
        // while the arena still owns every other map, so no drop recurses through one.
        let mut contents: Vec<Box<dyn Any>> = maps.iter().map(|m| m.take_contents()).collect();
        contents.clear();
        drop(maps);
    }
}

/// Registers a map made during a render, so the render's end can empty it.
pub fn adopt(map: MapCell) {
    ARENA.with_borrow_mut(|a| {
        if let Some(a) = a {
            a.push(map);
        }
    });
}

fn exceed(limit: Limit) -> String {
    if EXCEEDED.get().is_none() {
        EXCEEDED.set(Some(limit));
    }
    EXCEEDED.get().unwrap_or(limit).to_string()
}

/// The limit this render went over, if any.
pub fn exceeded() -> Option<Limit> {
    EXCEEDED.get()
}

/// Charges `n` bytes about to be built.
pub fn bytes(n: u64) -> Result<(), String> {
    let left = BYTES_LEFT.get();
    if n > left || EXCEEDED.get().is_some() {
        BYTES_LEFT.set(0);
        return Err(exceed(Limit::Bytes(LIMITS.get().0)));
    }
    BYTES_LEFT.set(left - n);
    Ok(())
}

/// Whether `n` more bytes would fit, without charging them (for a check before allocating
/// a result that is charged when it becomes a value).
pub fn fits(n: u64) -> Result<(), String> {
    if n > BYTES_LEFT.get() || EXCEEDED.get().is_some() {
        BYTES_LEFT.set(0);
        return Err(exceed(Limit::Bytes(LIMITS.get().0)));
    }
    Ok(())
}

/// Charges `n` evaluation steps.
pub fn steps(n: u64) -> Result<(), String> {
    let left = STEPS_LEFT.get();
    if n > left || EXCEEDED.get().is_some() {
        STEPS_LEFT.set(0);
        return Err(exceed(Limit::Steps(LIMITS.get().1)));
    }
    STEPS_LEFT.set(left - n);
    Ok(())
}

/// Charges one step; `false` once the budget is gone (for loops that cannot return errors).
pub fn step() -> bool {
    steps(1).is_ok()
}

/// Marks a value nested too deep (found while walking it).
pub fn too_deep() -> String {
    exceed(Limit::ValueDepth)
}
