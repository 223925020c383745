//! What the timing examples read from Linux's `/proc` about this thread and process: CPU time,
//! time spent waiting for a core, page faults and memory; [`timed`] prints one call's line.
//! The machine the figures come from is shared, so wall time alone says little. Elsewhere
//! every reader gives 0 (or `NaN`).

/// Nanoseconds this thread has run on a CPU so far (schedstat's first field; 0 where the file
/// does not exist). On some VMs it advances in scheduler ticks (4 ms): time many calls.
pub fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(0)
}

/// CPU time and run-queue wait of this thread so far, in ms (`NaN` where the kernel does not
/// say).
pub fn thread_sched_ms() -> [f64; 2] {
    let sched = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let mut fields = sched.split_whitespace().map(|ns| ns.parse::<f64>().map_or(f64::NAN, |ns| ns / 1e6));
    [fields.next().unwrap_or(f64::NAN), fields.next().unwrap_or(f64::NAN)]
}

/// Minor page faults of this thread so far (`NaN` where the kernel does not say).
pub fn thread_minor_faults() -> f64 {
    // `stat`: the command is in parentheses and may hold spaces; minflt is the 8th field after it.
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(7))
        .and_then(|f| f.parse::<f64>().ok())
        .unwrap_or(f64::NAN)
}

/// CPU seconds this process used so far, all threads (user + system; 0 elsewhere).
pub fn process_cpu_s() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

/// Peak resident memory of this process in MB (0 elsewhere).
pub fn peak_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0)
        / 1000
}

/// Resident memory of this process now, in MB (0 elsewhere).
pub fn resident_mb() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        .unwrap_or(0);
    pages * 4096 / 1_000_000
}

/// What one call took on the calling thread, in ms (`NaN` where the kernel does not say).
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Wall time.
    pub wall_ms: f64,
    /// Time on a CPU.
    pub cpu_ms: f64,
    /// Time runnable but waiting for a core (a loaded machine's share of the wall time).
    pub wait_ms: f64,
    /// Minor page faults taken (a count, not ms).
    pub minor_faults: f64,
}

impl Timing {
    /// Wall time neither on a CPU nor waiting for one: blocked (major page faults, I/O).
    pub fn other_ms(&self) -> f64 {
        self.wall_ms - self.cpu_ms - self.wait_ms
    }
}

impl std::fmt::Display for Timing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "wall {:.0} ms, cpu {:.0} ms, waiting for a core {:.0} ms, other {:.0} ms, minor faults {:.0}",
            self.wall_ms,
            self.cpu_ms,
            self.wait_ms,
            self.other_ms(),
            self.minor_faults
        )
    }
}

/// Runs `f` once on this thread and says what it took.
#[must_use]
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Timing) {
    let usage = || {
        let [cpu, wait] = thread_sched_ms();
        [cpu, wait, thread_minor_faults()]
    };
    let (start, before) = (std::time::Instant::now(), usage());
    let out = f();
    let wall_ms = start.elapsed().as_secs_f64() * 1e3;
    let after = usage();
    let timing = Timing {
        wall_ms,
        cpu_ms: after[0] - before[0],
        wait_ms: after[1] - before[1],
        minor_faults: after[2] - before[2],
    };
    (out, timing)
}

/// Runs `f` once and prints `what: <its Timing>; <counts of its result>`, the timing
/// examples' line.
#[allow(clippy::print_stdout)]
pub fn timed<T>(what: &str, f: impl FnOnce() -> T, counts: impl FnOnce(&T) -> String) {
    let (out, timing) = measure(f);
    println!("{what}: {timing}; {}", counts(&out));
}

/// A scale example's first two arguments: runs per size (default 5) and the sizes, comma
/// separated (default `sizes`).
pub fn runs_and_sizes(args: &mut impl Iterator<Item = String>, sizes: &str) -> (usize, Vec<usize>) {
    let runs = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let sizes = args.next().as_deref().unwrap_or(sizes).split(',').map(|s| s.parse().expect("a size")).collect();
    (runs, sizes)
}
