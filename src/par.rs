//! Mapping a slice on several threads, in order.

/// The machine's cores (1 when it cannot tell).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `f` over `items` on at most `threads` scoped threads, results in the
/// items' order; below `min` items, on this thread. An item of a chunk whose
/// thread panicked (a bug) gets `failed`, so that nothing is lost silently.
pub fn map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    min: usize,
    f: impl Fn(&T) -> R + Sync,
    failed: impl Fn(&T) -> R,
) -> Vec<R> {
    if threads <= 1 || items.len() < min.max(2) {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(f).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .zip(items.chunks(chunk))
            .flat_map(|(h, c)| h.join().unwrap_or_else(|_| c.iter().map(&failed).collect()))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_order_and_a_panicking_chunk_is_marked() {
        let items: Vec<u32> = (0..100).collect();
        let doubled = super::map(&items, 4, 8, |x| x * 2, |_| u32::MAX);
        assert_eq!(doubled, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        let failing = super::map(
            &items,
            2,
            8,
            |&x| {
                assert!(x < 50, "a bug");
                x
            },
            |_| u32::MAX,
        );
        assert_eq!(&failing[..50], &items[..50]);
        assert!(failing[50..].iter().all(|&x| x == u32::MAX));
    }
}
