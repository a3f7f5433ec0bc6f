//! A fixed-capacity history of samples for sparklines.

use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub struct History<T> {
    items: VecDeque<T>,
    capacity: usize,
}

impl<T> History<T> {
    pub fn new(capacity: usize) -> Self {
        Self {
            items: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
        }
    }

    pub fn push(&mut self, item: T) {
        if self.items.len() == self.capacity {
            self.items.pop_front();
        }
        self.items.push_back(item);
    }

    pub fn latest(&self) -> Option<&T> {
        self.items.back()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The newest `n` items, oldest first.
    pub fn last_n(&self, n: usize) -> impl Iterator<Item = &T> {
        self.items.iter().skip(self.items.len().saturating_sub(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_newest_within_capacity() {
        let mut h = History::new(3);
        for i in 0..5 {
            h.push(i);
        }
        assert_eq!(h.len(), 3);
        assert_eq!(h.last_n(10).copied().collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!(h.last_n(2).copied().collect::<Vec<_>>(), vec![3, 4]);
        assert_eq!(h.latest(), Some(&4));
    }
}
