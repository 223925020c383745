//! Work split over threads where the machine has them: each thread takes a contiguous run of
//! the items and the runs are put back in order, so a result never depends on the number of
//! threads (unit tests in `index.rs` and `cluster.rs` compare 1 with several).

/// The machine's threads, up to 4 (a policy's default: see `MatchPolicy::threads`).
pub(crate) fn machine_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).clamp(1, 4)
}

/// `run(start, end)` over `0..n` cut into `threads` contiguous runs, the results in order.
pub(crate) fn in_runs<T: Send>(n: usize, threads: usize, run: &(dyn Fn(usize, usize) -> T + Sync)) -> Vec<T> {
    let threads = threads.clamp(1, n.max(1));
    let per = n.div_ceil(threads).max(1);
    let bounds = |k: usize| ((k * per).min(n), ((k + 1) * per).min(n));
    if threads == 1 {
        return vec![run(0, n)];
    }
    std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads)
            .map(|k| {
                let (a, b) = bounds(k);
                scope.spawn(move || run(a, b))
            })
            .collect();
        let (a, b) = bounds(0);
        let first = run(a, b);
        std::iter::once(first)
            .chain(others.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::in_runs;

    #[test]
    fn runs_cover_the_items_in_order_on_any_number_of_threads() {
        for n in [0, 1, 5, 7, 100] {
            for threads in [1, 2, 3, 4, 9] {
                let runs = in_runs(n, threads, &|a, b| (a..b).collect::<Vec<usize>>());
                assert_eq!(runs.concat(), (0..n).collect::<Vec<_>>(), "n {n} threads {threads}");
            }
        }
    }
}
