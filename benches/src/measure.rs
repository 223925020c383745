//! What the timing examples read from Linux's `/proc` about this thread and process: CPU time,
//! time spent waiting for a core, page faults and memory. The machine the figures come from is
//! shared, so wall time alone says little. Elsewhere every reader gives 0 (or `NaN`).

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
